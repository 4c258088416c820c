//! The C2SP tlog-checkpoint note body: origin, tree size, root hash, extension lines.
//! Owns the one canonical text form of a tree head; it never accepts a body that would
//! not format back to the same bytes, and never deals with signatures.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use thiserror::Error;

use crate::auditlog::merkle::Hash;

/// Why a checkpoint body was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    #[error("checkpoint body must end with a newline")]
    MissingFinalNewline,
    #[error("checkpoint body has {0} lines; origin, size and root hash are required")]
    TooFewLines(usize),
    #[error("checkpoint line {line} is empty")]
    EmptyLine { line: usize },
    #[error("checkpoint line {line} contains a control character")]
    ControlCharacter { line: usize },
    #[error("tree size {0:?} is not a canonical decimal number")]
    BadSize(String),
    #[error("root hash {0:?} is not the base64 of 32 bytes")]
    BadRootHash(String),
}

/// A parsed checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines; the origin is checked as `parse` would.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        check_line(origin, 1)?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Adds extension lines, refusing any that `parse` would refuse.
    pub fn with_extensions(mut self, extensions: Vec<String>) -> Result<Self, CheckpointError> {
        for (i, e) in extensions.iter().enumerate() {
            check_line(e, i + 4)?;
        }
        self.extensions = extensions;
        Ok(self)
    }

    /// Parses a note text as a checkpoint body, refusing anything not in canonical form.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let Some(content) = body.strip_suffix('\n') else {
            return Err(CheckpointError::MissingFinalNewline);
        };
        let lines: Vec<&str> = content.split('\n').collect();
        for (i, l) in lines.iter().enumerate() {
            check_line(l, i + 1)?;
        }
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines(lines.len()));
        };
        Ok(Self {
            origin: (*origin).to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The exact note text of this checkpoint.
    pub fn to_body(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.origin)?;
        writeln!(f, "{}", self.size)?;
        writeln!(f, "{}", STANDARD.encode(self.root))?;
        for e in &self.extensions {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

fn check_line(line: &str, number: usize) -> Result<(), CheckpointError> {
    if line.is_empty() {
        return Err(CheckpointError::EmptyLine { line: number });
    }
    // A note may carry no control characters, and a newline would split the line.
    if line.chars().any(|c| c < ' ') {
        return Err(CheckpointError::ControlCharacter { line: number });
    }
    Ok(())
}

/// Decimal with no sign, no leading zeros and no overflow, so each size has one spelling.
pub(crate) fn parse_canonical_u64(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 20 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    s.parse().ok()
}

fn parse_size(s: &str) -> Result<u64, CheckpointError> {
    parse_canonical_u64(s).ok_or_else(|| CheckpointError::BadSize(s.to_owned()))
}

fn parse_root(s: &str) -> Result<Hash, CheckpointError> {
    // The standard engine rejects missing padding and non-zero trailing bits,
    // so only the canonical encoding of a hash is accepted.
    STANDARD
        .decode(s)
        .ok()
        .and_then(|v| Hash::try_from(v.as_slice()).ok())
        .ok_or_else(|| CheckpointError::BadRootHash(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn parses_the_spec_example() {
        let c = Checkpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20852163);
        assert_eq!(
            hex::encode(c.root),
            "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62"
        );
        assert!(c.extensions.is_empty());
        assert_eq!(c.to_body(), SPEC_EXAMPLE);
    }

    #[test]
    fn keeps_extension_lines() {
        let body = format!("{SPEC_EXAMPLE}ext one\nsecond\n");
        let c = Checkpoint::parse(&body).unwrap();
        assert_eq!(c.extensions, vec!["ext one", "second"]);
        assert_eq!(c.to_body(), body);
    }

    #[test]
    fn formats_empty_tree() {
        let c = Checkpoint::new("log.example/a", 0, crate::auditlog::merkle::EMPTY_ROOT).unwrap();
        assert_eq!(
            c.to_body(),
            "log.example/a\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases: Vec<(String, CheckpointError)> = vec![
            (
                format!("o\n1\n{root}"),
                CheckpointError::MissingFinalNewline,
            ),
            ("o\n1\n".into(), CheckpointError::TooFewLines(2)),
            (
                format!("\n1\n{root}\n"),
                CheckpointError::EmptyLine { line: 1 },
            ),
            (
                format!("o\n1\n{root}\n\n"),
                CheckpointError::EmptyLine { line: 4 },
            ),
            (
                format!("o\n01\n{root}\n"),
                CheckpointError::BadSize("01".into()),
            ),
            (
                format!("o\n+1\n{root}\n"),
                CheckpointError::BadSize("+1".into()),
            ),
            (
                format!("o\n 1\n{root}\n"),
                CheckpointError::BadSize(" 1".into()),
            ),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                CheckpointError::BadSize("18446744073709551616".into()),
            ),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".into(),
                CheckpointError::BadRootHash("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I".into()),
            ),
            (
                // Same bytes but non-zero padding bits: not the canonical spelling.
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".into(),
                CheckpointError::BadRootHash("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=".into()),
            ),
            (
                "o\n1\nAAAA\n".into(),
                CheckpointError::BadRootHash("AAAA".into()),
            ),
            (
                format!("o\r\n1\n{root}\n"),
                CheckpointError::ControlCharacter { line: 1 },
            ),
            (
                format!("o\n1\n{root}\nbad\ttab\n"),
                CheckpointError::ControlCharacter { line: 4 },
            ),
        ];
        for (body, want) in cases {
            assert_eq!(Checkpoint::parse(&body), Err(want), "{body:?}");
        }
        assert!(Checkpoint::new("", 1, [0; 32]).is_err());
        assert!(Checkpoint::new("a\nb", 1, [0; 32]).is_err());
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(origin in "[a-z0-9./+ \u{e9}-]{1,40}", size in any::<u64>(), root in any::<[u8; 32]>(), ext in prop::collection::vec("[ -~]{1,20}", 0..3)) {
            let c = Checkpoint::new(&origin, size, root).unwrap().with_extensions(ext).unwrap();
            let body = c.to_body();
            prop_assert_eq!(Checkpoint::parse(&body).unwrap(), c);
        }

        #[test]
        fn parse_never_accepts_what_it_cannot_reproduce(body in "[a-z0-9\n=+/]{0,80}") {
            if let Ok(c) = Checkpoint::parse(&body) {
                prop_assert_eq!(c.to_body(), body);
            }
        }
    }
}
