//! The bank side of bonds, pure: signed payment notifications and the virtual sub-accounts
//! (虚拟子账号) that make a transfer name its tender and tenderer. No HTTP and no store here; the
//! protocol and its test vectors are specified in docs/bonds.md. Secrets never reach Debug or errors.

use crate::canonical::to_canonical_vec;
use crate::domain::money::MAX_FEN;
use crate::domain::{InvalidValue, Money, OrgId, TenderId, Timestamp, MINUTE_MS};
use ring::hmac;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A notification's timestamp may differ from the hall's clock by at most this much.
pub const TIMESTAMP_WINDOW_MS: i64 = 5 * MINUTE_MS;

// An amount is written as a JSON integer; the hall's largest amount stays below 2^53, so every
// JSON reader (and RFC 8785's number form) keeps it exactly.
const _: () = assert!(MAX_FEN < (1 << 53));

const SUB_ACCOUNT_DOMAIN: &str = "bidhall/sub-account/v1";
const SUB_ACCOUNT_BODY_DIGITS: usize = 14;
const SUB_ACCOUNT_BODY_MODULUS: u64 = 100_000_000_000_000; // 10^14
const MAX_PREFIX_DIGITS: usize = 6;

/// A key shared with one bank, or the hall's own key for sub-accounts. Never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// At least 32 bytes: a shorter HMAC key is weaker than the hash it keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidValue> {
        if bytes.len() < 32 {
            return Err(InvalidValue::new(
                "secret_too_short",
                "a secret must be at least 32 bytes",
            ));
        }
        Ok(Secret(Zeroizing::new(bytes.to_vec())))
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A bank's short code on the platform, e.g. `SBX` (the sandbox bank): ASCII letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BankCode(String);

impl BankCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(InvalidValue::new(
                "malformed_bank_code",
                "a bank code is 1 to 32 ASCII letters, digits or '-'",
            ));
        }
        Ok(BankCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BankCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        BankCode::parse(&s)
    }
}

impl From<BankCode> for String {
    fn from(c: BankCode) -> String {
        c.0
    }
}

/// The bank's own id for a transaction: the idempotency key of what it tells us.
/// 1 to 64 printable ASCII characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BankTxnId(String);

impl BankTxnId {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if !is_reference(s) {
            return Err(InvalidValue::new(
                "malformed_bank_txn_id",
                "a bank transaction id is 1 to 64 printable ASCII characters without spaces",
            ));
        }
        Ok(BankTxnId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BankTxnId {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        BankTxnId::parse(&s)
    }
}

impl From<BankTxnId> for String {
    fn from(id: BankTxnId) -> String {
        id.0
    }
}

pub(crate) fn is_reference(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// What a bank tells the hall about one incoming transfer. The sub-account is kept as the bank
/// wrote it: money sent to a mistyped or unknown one has still arrived, and the ledger parks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireNotification")]
pub struct Notification {
    bank_txn_id: BankTxnId,
    sub_account: String,
    amount_fen: Money,
    payer_name: String,
    payer_account: String,
    value_time: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireNotification {
    bank_txn_id: BankTxnId,
    sub_account: String,
    amount_fen: i64,
    payer_name: String,
    payer_account: String,
    value_time: Timestamp,
}

impl TryFrom<WireNotification> for Notification {
    type Error = InvalidValue;
    fn try_from(w: WireNotification) -> Result<Self, Self::Error> {
        Notification::new(
            w.bank_txn_id,
            w.sub_account,
            w.amount_fen,
            w.payer_name,
            w.payer_account,
            w.value_time,
        )
    }
}

impl Notification {
    pub fn new(
        bank_txn_id: BankTxnId,
        sub_account: String,
        amount_fen: i64,
        payer_name: String,
        payer_account: String,
        value_time: Timestamp,
    ) -> Result<Self, InvalidValue> {
        if amount_fen <= 0 || amount_fen > MAX_FEN {
            return Err(InvalidValue::new(
                "amount_out_of_range",
                format!("amount_fen must lie between 1 and {MAX_FEN}"),
            ));
        }
        if !is_reference(&sub_account) {
            return Err(InvalidValue::new(
                "malformed_sub_account",
                "sub_account is 1 to 64 printable ASCII characters without spaces",
            ));
        }
        let printable = |s: &str, max: usize| {
            !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
        };
        if !printable(&payer_name, 200) {
            return Err(InvalidValue::new(
                "malformed_payer_name",
                "payer_name is 1 to 200 characters without control characters",
            ));
        }
        if !is_reference(&payer_account) {
            return Err(InvalidValue::new(
                "malformed_payer_account",
                "payer_account is 1 to 64 printable ASCII characters without spaces",
            ));
        }
        Ok(Notification {
            bank_txn_id,
            sub_account,
            amount_fen: Money::from_fen(amount_fen)?,
            payer_name,
            payer_account,
            value_time,
        })
    }

    pub fn bank_txn_id(&self) -> &BankTxnId {
        &self.bank_txn_id
    }
    pub fn sub_account(&self) -> &str {
        &self.sub_account
    }
    pub fn amount(&self) -> Money {
        self.amount_fen
    }
    pub fn payer_name(&self) -> &str {
        &self.payer_name
    }
    pub fn payer_account(&self) -> &str {
        &self.payer_account
    }
    pub fn value_time(&self) -> Timestamp {
        self.value_time
    }

    /// The body a bank sends: the notification's RFC 8785 form.
    pub fn to_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        to_canonical_vec(self)
    }
}

/// Why a notification was refused. Names only, never the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("bad_signature: the signature does not match the timestamp and body under this bank's secret")]
    BadSignature,
    #[error("stale_timestamp: the timestamp is {skew_seconds} s away from the hall's clock (at most 300 s allowed)")]
    StaleTimestamp { skew_seconds: i64 },
    #[error("malformed: {what}")]
    Malformed { what: String },
}

impl NotificationError {
    pub fn code(&self) -> &'static str {
        match self {
            NotificationError::BadSignature => "bad_signature",
            NotificationError::StaleTimestamp { .. } => "stale_timestamp",
            NotificationError::Malformed { .. } => "malformed",
        }
    }
}

fn signed_message(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut msg = format!("{timestamp}\n").into_bytes();
    msg.extend_from_slice(body);
    msg
}

/// The signature, lowercase hex, of `timestamp ‖ "\n" ‖ body` under the bank's secret;
/// `timestamp` is Unix seconds written in decimal.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    hex::encode(hmac::sign(&secret.key(), &signed_message(timestamp, body)).as_ref())
}

/// Checks a notification as received: the signature (in constant time), then the timestamp against
/// the hall's `now`, then the body. `timestamp` and `signature` are the header values as sent.
pub fn verify(
    secret: &Secret,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<Notification, NotificationError> {
    let malformed = |what: &str| NotificationError::Malformed { what: what.into() };
    if timestamp.is_empty()
        || timestamp.len() > 12
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed("the timestamp is not Unix seconds in decimal"));
    }
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| malformed("the timestamp is not Unix seconds in decimal"))?;
    if signature.len() != 64 {
        return Err(malformed("the signature is not 64 hex digits"));
    }
    let tag =
        hex::decode(signature).map_err(|_| malformed("the signature is not 64 hex digits"))?;
    hmac::verify(&secret.key(), &signed_message(seconds, body), &tag)
        .map_err(|_| NotificationError::BadSignature)?;
    let skew_ms = seconds * 1000 - now.millis();
    if skew_ms.abs() > TIMESTAMP_WINDOW_MS {
        return Err(NotificationError::StaleTimestamp {
            skew_seconds: skew_ms / 1000,
        });
    }
    serde_json::from_slice::<Notification>(body).map_err(|e| NotificationError::Malformed {
        what: format!("the body is not a notification: {e}"),
    })
}

/// The bank's digits in front of every sub-account it opens for the hall (1 to 6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubAccountPrefix(String);

impl SubAccountPrefix {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() || s.len() > MAX_PREFIX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "malformed_prefix",
                "a sub-account prefix is 1 to 6 digits",
            ));
        }
        Ok(SubAccountPrefix(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A virtual sub-account (虚拟子账号) for one (tender, tenderer): the bank's prefix, 14 digits
/// derived from the pair under the hall's secret, and a Damm check digit (docs/bonds.md).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct SubAccount(String);

/// Why a typed sub-account is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubAccountError {
    #[error("not_digits: a sub-account is written in digits only")]
    NotDigits,
    #[error("wrong_length: a sub-account here has {expected} digits, this one has {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("wrong_prefix: this bank's sub-accounts start with {expected}")]
    WrongPrefix { expected: String },
    #[error("bad_check_digit: the last digit does not check; the number was probably mistyped")]
    BadCheckDigit,
}

impl SubAccount {
    /// The sub-account of (tender, tenderer). Deterministic, so it can be given again on request;
    /// `attempt` is 0 unless the store found the number already taken by another pair, and then
    /// the next attempt gives another number.
    pub fn derive(
        secret: &Secret,
        prefix: &SubAccountPrefix,
        tender: &TenderId,
        tenderer: &OrgId,
        attempt: u32,
    ) -> SubAccount {
        let msg = format!("{SUB_ACCOUNT_DOMAIN}\n{tender}\n{tenderer}\n{attempt}");
        let tag = hmac::sign(&secret.key(), msg.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        let body = u64::from_be_bytes(first) % SUB_ACCOUNT_BODY_MODULUS;
        let mut digits = format!(
            "{}{body:0width$}",
            prefix.as_str(),
            width = SUB_ACCOUNT_BODY_DIGITS
        );
        let check = damm(digits.as_bytes());
        digits.push(char::from(b'0' + check));
        SubAccount(digits)
    }

    /// Reads a sub-account as typed; refuses anything this bank's format cannot produce.
    pub fn parse(s: &str, prefix: &SubAccountPrefix) -> Result<SubAccount, SubAccountError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SubAccountError::NotDigits);
        }
        let expected = prefix.as_str().len() + SUB_ACCOUNT_BODY_DIGITS + 1;
        if s.len() != expected {
            return Err(SubAccountError::WrongLength {
                expected,
                got: s.len(),
            });
        }
        if !s.starts_with(prefix.as_str()) {
            return Err(SubAccountError::WrongPrefix {
                expected: prefix.as_str().to_owned(),
            });
        }
        // With the check digit appended, a correct number runs the quasigroup back to 0.
        if damm(s.as_bytes()) != 0 {
            return Err(SubAccountError::BadCheckDigit);
        }
        Ok(SubAccount(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<SubAccount> for String {
    fn from(a: SubAccount) -> String {
        a.0
    }
}

impl std::fmt::Display for SubAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// H. Michael Damm's totally anti-symmetric quasigroup of order 10 (2004): a check digit that
/// catches every single-digit error and every swap of two adjacent digits.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The interim digit after running `digits` (ASCII '0'..='9') through the quasigroup.
fn damm(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0u8, |acc, d| DAMM[acc as usize][(d - b'0') as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank_secret() -> Secret {
        Secret::from_bytes(b"bidhall-test-bank-secret-0123456").unwrap()
    }

    fn hall_secret() -> Secret {
        Secret::from_bytes(b"bidhall-test-hall-secret-abcdefg").unwrap()
    }

    fn vector_notification() -> Notification {
        Notification::new(
            BankTxnId::parse("SBX20270301000001").unwrap(),
            "8801089892966438763".into(),
            2_000_000,
            "江苏某建设工程有限公司".into(),
            "6222020100012345678".into(),
            Timestamp::parse("2027-03-01T02:00:00.000Z").unwrap(),
        )
        .unwrap()
    }

    const VECTOR_TIMESTAMP: i64 = 1_803_866_400; // 2027-03-01T02:00:00Z
    const VECTOR_BODY: &str = r#"{"amount_fen":2000000,"bank_txn_id":"SBX20270301000001","payer_account":"6222020100012345678","payer_name":"江苏某建设工程有限公司","sub_account":"8801089892966438763","value_time":"2027-03-01T02:00:00.000Z"}"#;
    const VECTOR_SIGNATURE: &str =
        "f29ebe768798eee365237ce1cc84f8084da1913d1845b837a343d30757dc3e9b";

    fn now() -> Timestamp {
        Timestamp::from_millis(VECTOR_TIMESTAMP * 1000).unwrap()
    }

    /// The vector of docs/bonds.md, "Test vectors".
    #[test]
    fn the_signature_matches_the_documented_vector() {
        let body = vector_notification().to_body().unwrap();
        assert_eq!(String::from_utf8(body.clone()).unwrap(), VECTOR_BODY);
        assert_eq!(
            sign(&bank_secret(), VECTOR_TIMESTAMP, &body),
            VECTOR_SIGNATURE
        );
        assert_eq!(
            verify(
                &bank_secret(),
                &VECTOR_TIMESTAMP.to_string(),
                VECTOR_SIGNATURE,
                VECTOR_BODY.as_bytes(),
                now()
            ),
            Ok(vector_notification())
        );
    }

    #[test]
    fn the_documented_vectors_are_the_tested_ones() {
        let doc = include_str!("../../docs/bonds.md");
        for value in [
            VECTOR_BODY,
            VECTOR_SIGNATURE,
            "8801089892966438763",
            "8801221583035748321",
            "bidhall-test-bank-secret-0123456",
            "bidhall-test-hall-secret-abcdefg",
            "01890a5d-ac96-774b-bcce-b302099a8057",
            "01890a5d-ac96-774b-bcce-b302099a8058",
            &VECTOR_TIMESTAMP.to_string(),
        ] {
            assert!(doc.contains(value), "docs/bonds.md lacks {value}");
        }
    }

    #[test]
    fn a_changed_body_timestamp_or_secret_is_a_bad_signature() {
        let ts = VECTOR_TIMESTAMP.to_string();
        let changed = VECTOR_BODY.replace("2000000", "2000001");
        let err = |r: Result<Notification, NotificationError>| r.unwrap_err().code();
        assert_eq!(
            err(verify(
                &bank_secret(),
                &ts,
                VECTOR_SIGNATURE,
                changed.as_bytes(),
                now()
            )),
            "bad_signature"
        );
        let other_ts = (VECTOR_TIMESTAMP + 1).to_string();
        assert_eq!(
            err(verify(
                &bank_secret(),
                &other_ts,
                VECTOR_SIGNATURE,
                VECTOR_BODY.as_bytes(),
                now()
            )),
            "bad_signature"
        );
        assert_eq!(
            err(verify(
                &hall_secret(),
                &ts,
                VECTOR_SIGNATURE,
                VECTOR_BODY.as_bytes(),
                now()
            )),
            "bad_signature"
        );
    }

    #[test]
    fn a_timestamp_outside_five_minutes_is_stale_even_when_signed() {
        let body = VECTOR_BODY.as_bytes();
        for (offset, stale) in [(-301, true), (-300, false), (300, false), (301, true)] {
            let ts = VECTOR_TIMESTAMP + offset;
            let sig = sign(&bank_secret(), ts, body);
            let got = verify(&bank_secret(), &ts.to_string(), &sig, body, now());
            if stale {
                assert_eq!(
                    got,
                    Err(NotificationError::StaleTimestamp {
                        skew_seconds: offset
                    })
                );
            } else {
                assert!(got.is_ok(), "offset {offset}: {got:?}");
            }
        }
    }

    #[test]
    fn malformed_headers_and_bodies_are_named() {
        let body = VECTOR_BODY.as_bytes();
        let ts = VECTOR_TIMESTAMP.to_string();
        for bad_ts in ["", "-1", "1e9", "１２３", "1234567890123"] {
            assert_eq!(
                verify(&bank_secret(), bad_ts, VECTOR_SIGNATURE, body, now())
                    .unwrap_err()
                    .code(),
                "malformed"
            );
        }
        for bad_sig in ["", "zz", &"g".repeat(64), &"0".repeat(63)] {
            assert_eq!(
                verify(&bank_secret(), &ts, bad_sig, body, now())
                    .unwrap_err()
                    .code(),
                "malformed"
            );
        }
        // Signed but not a notification: unknown member, negative amount, not JSON.
        for bad_body in [
            VECTOR_BODY.replace("\"amount_fen\"", "\"extra\":1,\"amount_fen\""),
            VECTOR_BODY.replace("2000000", "-5"),
            VECTOR_BODY.replace("2000000", "9007199254740992"),
            "not json".to_owned(),
        ] {
            let sig = sign(&bank_secret(), VECTOR_TIMESTAMP, bad_body.as_bytes());
            let err = verify(&bank_secret(), &ts, &sig, bad_body.as_bytes(), now()).unwrap_err();
            assert_eq!(err.code(), "malformed", "{bad_body}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let s = bank_secret();
        assert_eq!(format!("{s:?}"), "Secret(…)");
        let e = verify(&s, "1", VECTOR_SIGNATURE, b"{}", now()).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("bidhall-test"));
        assert!(Secret::from_bytes(b"short").is_err());
    }

    fn vector_pair() -> (TenderId, OrgId) {
        (
            TenderId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap(),
            OrgId::parse("01890a5d-ac96-774b-bcce-b302099a8058").unwrap(),
        )
    }

    /// The vector of docs/bonds.md, "Test vectors".
    #[test]
    fn the_sub_account_matches_the_documented_vector() {
        let (tender, tenderer) = vector_pair();
        let prefix = SubAccountPrefix::parse("8801").unwrap();
        let a0 = SubAccount::derive(&hall_secret(), &prefix, &tender, &tenderer, 0);
        let a1 = SubAccount::derive(&hall_secret(), &prefix, &tender, &tenderer, 1);
        assert_eq!(a0.as_str(), "8801089892966438763");
        assert_eq!(a1.as_str(), "8801221583035748321");
        // The notification vector pays into this very sub-account.
        assert_eq!(vector_notification().sub_account(), a0.as_str());
        assert_eq!(SubAccount::parse(a0.as_str(), &prefix), Ok(a0));
    }

    #[test]
    fn sub_accounts_differ_per_pair_and_secret() {
        let (tender, tenderer) = vector_pair();
        let prefix = SubAccountPrefix::parse("8801").unwrap();
        let other = OrgId::parse("01890a5d-ac96-774b-bcce-b302099a8059").unwrap();
        let a = SubAccount::derive(&hall_secret(), &prefix, &tender, &tenderer, 0);
        assert_ne!(
            a,
            SubAccount::derive(&hall_secret(), &prefix, &tender, &other, 0)
        );
        assert_ne!(
            a,
            SubAccount::derive(&bank_secret(), &prefix, &tender, &tenderer, 0)
        );
        assert_eq!(
            a,
            SubAccount::derive(&hall_secret(), &prefix, &tender, &tenderer, 0)
        );
    }

    #[test]
    fn every_single_digit_error_and_adjacent_swap_is_refused() {
        let (tender, tenderer) = vector_pair();
        let prefix = SubAccountPrefix::parse("8801").unwrap();
        let good = SubAccount::derive(&hall_secret(), &prefix, &tender, &tenderer, 0);
        let digits = good.as_str().as_bytes().to_vec();
        for i in prefix.as_str().len()..digits.len() {
            for d in b'0'..=b'9' {
                if d == digits[i] {
                    continue;
                }
                let mut typo = digits.clone();
                typo[i] = d;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(
                    SubAccount::parse(&typo, &prefix),
                    Err(SubAccountError::BadCheckDigit),
                    "{typo}"
                );
            }
        }
        for i in prefix.as_str().len()..digits.len() - 1 {
            if digits[i] == digits[i + 1] {
                continue;
            }
            let mut swapped = digits.clone();
            swapped.swap(i, i + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            assert_eq!(
                SubAccount::parse(&swapped, &prefix),
                Err(SubAccountError::BadCheckDigit)
            );
        }
    }

    #[test]
    fn the_damm_table_is_weakly_totally_anti_symmetric() {
        // The property the check digit's guarantees rest on: (c∗x)∗y = (c∗y)∗x implies x = y,
        // a zero diagonal, and every row and column a permutation of 0–9.
        for c in 0..10 {
            assert_eq!(DAMM[c][c], 0);
            let mut row: Vec<u8> = DAMM[c].to_vec();
            row.sort_unstable();
            assert_eq!(row, (0..10).collect::<Vec<u8>>());
            let mut col: Vec<u8> = (0..10).map(|r| DAMM[r][c]).collect();
            col.sort_unstable();
            assert_eq!(col, (0..10).collect::<Vec<u8>>());
            for x in 0..10 {
                for y in 0..10 {
                    let a = DAMM[DAMM[c][x] as usize][y];
                    let b = DAMM[DAMM[c][y] as usize][x];
                    assert!(a != b || x == y, "c={c} x={x} y={y}");
                }
            }
        }
        // Damm's published example: 572 takes the check digit 4.
        assert_eq!(damm(b"572"), 4);
        assert_eq!(damm(b"5724"), 0);
    }

    #[test]
    fn mistyped_sub_accounts_are_named() {
        let prefix = SubAccountPrefix::parse("8801").unwrap();
        assert_eq!(
            SubAccount::parse("8801-2345", &prefix),
            Err(SubAccountError::NotDigits)
        );
        assert_eq!(
            SubAccount::parse("88011234", &prefix),
            Err(SubAccountError::WrongLength {
                expected: 19,
                got: 8
            })
        );
        assert_eq!(
            SubAccount::parse("7701000000000000000", &prefix),
            Err(SubAccountError::WrongPrefix {
                expected: "8801".into()
            })
        );
        assert!(SubAccountPrefix::parse("1234567").is_err());
        assert!(SubAccountPrefix::parse("88a").is_err());
    }
}
