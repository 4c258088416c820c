//! Who is acting: organisations, their users, sign-in sessions and registered signing keys.
//! It owns the password and token rules; it never stores a password or a session token in the clear.

pub mod keys;
pub mod name_key;
pub mod password;
pub mod service;
pub mod session;
pub mod throttle;

use crate::domain::{InvalidValue, Line, OrgId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// What an organisation is in the hall; a user acts with the role of its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 招标人 / 采购人
    Owner,
    /// 招标代理机构
    Agent,
    /// 投标人
    Tenderer,
    /// 行政监督部门
    Supervisor,
    /// 公证机构、纪检监察: independent custodians and witnesses
    Witness,
    /// 交易中心, the operator
    Platform,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Agent,
        Role::Tenderer,
        Role::Supervisor,
        Role::Witness,
        Role::Platform,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
            Role::Tenderer => "tenderer",
            Role::Supervisor => "supervisor",
            Role::Witness => "witness",
            Role::Platform => "platform",
        }
    }

    pub fn parse(s: &str) -> Result<Role, InvalidValue> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| InvalidValue::new("unknown_role", format!("unknown role {s:?}")))
    }
}

pub type OrgName = Line<1, 200>;
pub type PersonName = Line<1, 100>;

/// 统一社会信用代码 (GB 32100-2015): 18 digits or capital letters of the code's alphabet, the last
/// one the check character computed from the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// The code's 31 characters, in the order of their values 0 to 30 (no I, O, S, V, Z).
    const ALPHABET: &'static str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 || !s.chars().all(|c| Self::ALPHABET.contains(c)) {
            return Err(InvalidValue::new(
                "bad_credit_code",
                "a unified social credit code is 18 digits or capital letters (no I, O, S, V, Z)",
            ));
        }
        let expected = Self::check_character(&s[..17]).expect("17 characters of the alphabet");
        if !s.ends_with(expected) {
            return Err(InvalidValue::new(
                "credit_code_check",
                "the unified social credit code's last character does not match the others: \
                 check it for a mistyped character",
            ));
        }
        Ok(CreditCode(s))
    }

    /// A code the store accepted earlier, under the rules of its day (the check character came
    /// later): not checked again, so older records stay readable.
    pub fn from_stored(s: String) -> Self {
        CreditCode(s)
    }

    /// The 18th character for the first 17 (GB 32100-2015, 4.3): with each character's value
    /// C_i and weight W_i = 3^(i-1) mod 31, it is the character of value 31 - (Σ C_i·W_i mod 31),
    /// and 0 where that is 31. None if `base` is not 17 characters of the alphabet.
    pub fn check_character(base: &str) -> Option<char> {
        if base.chars().count() != 17 {
            return None;
        }
        let mut sum = 0;
        let mut weight = 1;
        for c in base.chars() {
            sum += Self::ALPHABET.find(c)? * weight;
            weight = weight * 3 % 31;
        }
        Self::ALPHABET.chars().nth((31 - sum % 31) % 31)
    }

    /// `base` (17 characters of the alphabet) completed with its check character: for generated
    /// test and benchmark organisations.
    pub fn with_check_character(base: &str) -> String {
        let check = Self::check_character(base).expect("17 characters of the code's alphabet");
        format!("{base}{check}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for CreditCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

/// A login name: lower-case letters, digits, `.`, `_`, `-`, 3 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

impl Login {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim().to_ascii_lowercase();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !(3..=64).contains(&s.len()) || !s.chars().all(ok_char) {
            return Err(InvalidValue::new(
                "bad_login",
                "a login is 3 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Login(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Login {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Login> for String {
    fn from(l: Login) -> String {
        l.0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Organisation {
    pub id: OrgId,
    pub role: Role,
    pub name: OrgName,
    pub credit_code: CreditCode,
    /// Administrative division code or name, e.g. 210100 (沈阳市).
    pub region: Line<0, 64>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub login: Login,
    pub display_name: PersonName,
    pub password_hash: password::PasswordHash,
    pub created_at: Timestamp,
}

/// The authenticated actor of a request: a user of an organisation with that organisation's role.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    pub display_name: String,
    pub org_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the login or the password is wrong")]
    BadCredentials,
    #[error("that login is already taken")]
    LoginTaken,
    #[error("an organisation with that credit code is already registered")]
    OrganisationExists,
    #[error(
        "another organisation is already registered under that name (names are compared \
         ignoring case, spacing and full-width forms)"
    )]
    OrganisationNameTaken,
    #[error("no such organisation")]
    UnknownOrganisation,
    #[error("{0}")]
    Invalid(#[from] InvalidValue),
    #[error("too many attempts; try again in {retry_after_seconds} seconds")]
    TooManyAttempts { retry_after_seconds: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_use_the_national_alphabet() {
        assert!(CreditCode::parse("91210100MA0Y12345M").is_ok());
        assert!(CreditCode::parse("91210100MA0Y12345").is_err());
        assert!(CreditCode::parse("91210100MA0Y12345I").is_err());
    }

    /// Codes published by real companies (as printed on their business licences), each worked
    /// through by hand with the weights 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28.
    #[test]
    fn the_check_character_is_the_one_of_gb_32100() {
        for code in [
            "91110000802100433B",
            "914403001922038216",
            "91440300708461136T",
            "91110000710925462X",
            "91110108551385082Q",
        ] {
            assert_eq!(
                CreditCode::check_character(&code[..17]),
                code.chars().last(),
                "{code}"
            );
            assert_eq!(CreditCode::parse(code).unwrap().as_str(), code);
        }
        // Where 31 - (sum mod 31) is 31, the character is 0.
        let zero = (0..)
            .map(|n: u32| format!("9121010{n:010}"))
            .find(|b| CreditCode::check_character(b) == Some('0'))
            .unwrap();
        assert!(CreditCode::parse(&format!("{zero}0")).is_ok());
        assert_eq!(CreditCode::check_character("91210100MA0Y1234"), None);
        assert_eq!(CreditCode::check_character("91210100MA0Y1234I"), None);
    }

    #[test]
    fn a_mistyped_character_or_swapped_neighbours_are_caught_by_the_check_character() {
        let good = "914403001922038216";
        let typo = "914403001922039216";
        let swapped = "914403001922083216";
        for bad in [typo, swapped, "91440300192203821A"] {
            assert_eq!(
                CreditCode::parse(bad).unwrap_err().rule,
                "credit_code_check",
                "{bad}"
            );
        }
        assert!(CreditCode::parse(&good.to_lowercase()).is_ok());
    }

    #[test]
    fn logins_are_lower_cased_and_plain() {
        assert_eq!(Login::parse("Agent.One").unwrap().as_str(), "agent.one");
        assert!(Login::parse("a b").is_err());
        assert!(Login::parse("x'--").is_err());
    }
}
