//! When two organisation names are the same name: compared after NFKC (full-width letters, digits,
//! spaces and brackets （） become their ordinary forms), case folding, and without any whitespace.
//! The store keeps this key unique (migration 0014), so nobody can register an existing company's
//! name again, exactly or in a form that only looks different. The name shown is never changed.

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey(String);

impl NameKey {
    pub fn of(name: &str) -> NameKey {
        let folded: String = name.nfkc().collect::<String>().to_lowercase();
        // Lower-casing can leave a string NFKC would change again; normalise once more.
        NameKey(folded.nfkc().filter(|c| !c.is_whitespace()).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_only_look_different_have_the_same_key() {
        let key = NameKey::of("沈阳华建（集团）工程有限公司");
        for same in [
            "沈阳华建(集团)工程有限公司",
            " 沈阳华建 （集团） 工程有限公司 ",
            "沈阳华建\u{3000}(集团)工程有限公司",
            "沈阳华建（集团）\t工程\n有限公司",
        ] {
            assert_eq!(NameKey::of(same), key, "{same:?}");
        }
        assert_eq!(
            NameKey::of("ＡＢＣ Construction Co., Ltd."),
            NameKey::of("abc construction co.,ltd.")
        );
        assert_eq!(NameKey::of("ABC Bau GmbH").as_str(), "abcbaugmbh");
    }

    #[test]
    fn different_names_keep_different_keys() {
        assert_ne!(
            NameKey::of("沈阳华建工程有限公司"),
            NameKey::of("沈阳华建工程集团有限公司")
        );
        assert_ne!(
            NameKey::of("沈阳华建（集团）工程有限公司"),
            NameKey::of("沈阳华建【集团】工程有限公司")
        );
    }
}
