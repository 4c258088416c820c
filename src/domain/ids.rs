//! Opaque, random, unguessable identifiers (UUIDv7: time-ordered for index locality, 74 random bits).
//! A typed id per entity so a tender id can never be passed where an organisation id is expected.

use super::InvalidValue;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                let u = uuid::Uuid::try_parse(s)
                    .map_err(|_| InvalidValue::new("malformed_id", "not a valid id"))?;
                Ok($name(u.hyphenated().to_string()))
            }
            /// For values read back from our own store.
            pub fn from_stored(s: String) -> Self {
                $name(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

id_type!(
    OrgId,
    UserId,
    ProjectId,
    TenderId,
    LotId,
    AmendmentId,
    DocumentId,
    KeyId,
    // disputes (src/disputes): a question, an objection to the documents, a complaint
    QuestionId,
    ObjectionId,
    ComplaintId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_parse_back() {
        let a = TenderId::generate();
        let b = TenderId::generate();
        assert_ne!(a, b);
        assert_eq!(TenderId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn injection_attempts_are_not_ids() {
        assert!(TenderId::parse("1' OR '1'='1").is_err());
        assert!(TenderId::parse("").is_err());
    }
}
