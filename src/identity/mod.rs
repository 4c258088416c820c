//! Who is acting: organisations, their users, sign-in sessions and registered signing keys.
//! It owns the password and token rules; it never stores a password or a session token in the clear.

pub mod keys;
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

/// 统一社会信用代码: 18 characters of digits and capital letters (GB 32100-2015 alphabet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    const ALPHABET: &'static str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 || !s.chars().all(|c| Self::ALPHABET.contains(c)) {
            return Err(InvalidValue::new(
                "bad_credit_code",
                "a unified social credit code is 18 digits or capital letters (no I, O, S, V, Z)",
            ));
        }
        Ok(CreditCode(s))
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
        assert!(CreditCode::parse("91210100MA0Y123456").is_ok());
        assert!(CreditCode::parse("91210100MA0Y12345").is_err());
        assert!(CreditCode::parse("91210100MA0Y12345I").is_err());
    }

    #[test]
    fn logins_are_lower_cased_and_plain() {
        assert_eq!(Login::parse("Agent.One").unwrap().as_str(), "agent.one");
        assert!(Login::parse("a b").is_err());
        assert!(Login::parse("x'--").is_err());
    }
}
