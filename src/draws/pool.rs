//! The frozen candidate pool of a draw and its canonical lines: id ‖ TAB ‖ NFC(name) ‖ LF, sorted by
//! id bytewise. A `Pool` is valid once built; it must never accept a field that could forge a line
//! boundary (TAB or LF) or a second candidate under the same id.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::draws::protocol::{sha256, SECRET_LEN};
use crate::draws::DrawError;

/// One eligible candidate (an agent or an expert) as it is published with the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub id: String,
    pub name: String,
}

impl Candidate {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Candidate {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// Which field of a candidate broke a pool rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolField {
    Id,
    Name,
}

impl std::fmt::Display for PoolField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PoolField::Id => "id",
            PoolField::Name => "display name",
        })
    }
}

/// A checked pool: candidates in line order (bytewise by id), names in NFC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    candidates: Vec<Candidate>,
}

impl Pool {
    pub fn new(candidates: impl IntoIterator<Item = Candidate>) -> Result<Pool, DrawError> {
        let mut checked = Vec::new();
        for candidate in candidates {
            if candidate.id.is_empty() {
                return Err(DrawError::EmptyCandidateId);
            }
            if breaks_line(&candidate.id) {
                return Err(DrawError::ForbiddenCharacter {
                    id: candidate.id,
                    field: PoolField::Id,
                });
            }
            // NFC never creates or removes a TAB or LF, so checking before or after is the same.
            if breaks_line(&candidate.name) {
                return Err(DrawError::ForbiddenCharacter {
                    id: candidate.id,
                    field: PoolField::Name,
                });
            }
            let name = candidate.name.nfc().collect();
            checked.push(Candidate {
                id: candidate.id,
                name,
            });
        }
        // String's Ord is bytewise over UTF-8, which is the order the spec fixes.
        checked.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = checked.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(DrawError::DuplicateCandidate {
                id: pair[0].id.clone(),
            });
        }
        Ok(Pool {
            candidates: checked,
        })
    }

    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    pub fn ids(&self) -> Vec<String> {
        self.candidates.iter().map(|c| c.id.clone()).collect()
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    /// The canonical bytes that pool_hash covers.
    pub fn lines(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for c in &self.candidates {
            out.extend_from_slice(c.id.as_bytes());
            out.push(b'\t');
            out.extend_from_slice(c.name.as_bytes());
            out.push(b'\n');
        }
        out
    }

    pub fn hash(&self) -> [u8; SECRET_LEN] {
        sha256(&self.lines())
    }
}

fn breaks_line(s: &str) -> bool {
    s.contains(['\t', '\n'])
}

/// The canonical pool bytes of any candidate list (validated, NFC-normalised, sorted).
pub fn pool_lines(candidates: &[Candidate]) -> Result<Vec<u8>, DrawError> {
    Ok(Pool::new(candidates.iter().cloned())?.lines())
}

/// SHA-256 of the canonical pool bytes.
pub fn pool_hash(candidates: &[Candidate]) -> Result<[u8; SECRET_LEN], DrawError> {
    Ok(Pool::new(candidates.iter().cloned())?.hash())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sorted_bytewise_by_id_not_by_name() {
        let pool = Pool::new([
            Candidate::new("b", "A"),
            Candidate::new("B", "z"),
            Candidate::new("a", "m"),
        ])
        .expect("valid pool");
        assert_eq!(pool.lines(), b"B\tz\na\tm\nb\tA\n");
    }

    #[test]
    fn names_are_normalised_to_nfc_but_ids_are_not() {
        // "e" + COMBINING ACUTE becomes U+00E9 in the name; the id keeps its bytes.
        let pool = Pool::new([Candidate::new("e\u{301}", "Caf\u{65}\u{301}")]).expect("valid");
        assert_eq!(pool.lines(), "e\u{301}\tCaf\u{e9}\n".as_bytes());
    }

    #[test]
    fn tab_or_line_feed_in_an_id_or_a_name_is_refused() {
        for (id, name, field) in [
            ("a\tb", "n", PoolField::Id),
            ("a\nb", "n", PoolField::Id),
            ("a", "n\tm", PoolField::Name),
            ("a", "n\nm", PoolField::Name),
        ] {
            let got = Pool::new([Candidate::new(id, name)]);
            assert_eq!(
                got,
                Err(DrawError::ForbiddenCharacter {
                    id: id.into(),
                    field
                })
            );
        }
    }

    #[test]
    fn duplicate_and_empty_ids_are_refused() {
        assert_eq!(
            Pool::new([Candidate::new("x", "1"), Candidate::new("x", "2")]),
            Err(DrawError::DuplicateCandidate { id: "x".into() })
        );
        assert_eq!(
            Pool::new([Candidate::new("", "1")]),
            Err(DrawError::EmptyCandidateId)
        );
    }

    #[test]
    fn empty_pool_hashes_the_empty_string() {
        let pool = Pool::new([]).expect("an empty pool is well formed");
        assert!(pool.is_empty());
        assert_eq!(
            hex::encode(pool.hash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
