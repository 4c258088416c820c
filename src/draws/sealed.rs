//! The sealed pool of an expert draw (法37, 条例: the committee stays secret until the result is
//! determined): each member is published as a salted commitment to its id and name, the draw runs
//! over positions, and the openings published at the result let anyone map positions to names.
//! Pure code: the salts come from the caller; nothing here may print or log a salt before opening.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::draws::protocol::{put_lp, sha256, SECRET_LEN};
use crate::draws::{Candidate, DrawError, Pool};

/// The domain string of a pool member's commitment.
pub const MEMBER_DOMAIN: &str = "bidhall-draw/1/pool-member";

/// The word between the two tabs of a sealed pool line (an open line has exactly one tab).
pub const SEALED_WORD: &str = "sealed";

/// c_i = SHA-256(lp("bidhall-draw/1/pool-member") ‖ lp(draw id) ‖ lp(id) ‖ lp(NFC(name)) ‖ salt_i).
pub fn member_commitment(
    draw_id: &str,
    id: &str,
    name: &str,
    salt: &[u8; SECRET_LEN],
) -> Result<[u8; SECRET_LEN], DrawError> {
    let name: String = name.nfc().collect();
    let mut msg = Vec::with_capacity(64 + draw_id.len() + id.len() + name.len());
    put_lp(&mut msg, "member domain", MEMBER_DOMAIN.as_bytes())?;
    put_lp(&mut msg, "draw id", draw_id.as_bytes())?;
    put_lp(&mut msg, "candidate id", id.as_bytes())?;
    put_lp(&mut msg, "display name", name.as_bytes())?;
    msg.extend_from_slice(salt);
    Ok(sha256(&msg))
}

/// The canonical bytes of a sealed pool: for position i = 1 … N,
/// decimal(i) ‖ TAB ‖ "sealed" ‖ TAB ‖ hex(c_i) ‖ LF.
pub fn sealed_lines(commitments: &[[u8; SECRET_LEN]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(commitments.len() * 80);
    for (k, c) in commitments.iter().enumerate() {
        out.extend_from_slice(format!("{}\t{SEALED_WORD}\t{}\n", k + 1, hex::encode(c)).as_bytes());
    }
    out
}

pub fn sealed_pool_hash(commitments: &[[u8; SECRET_LEN]]) -> [u8; SECRET_LEN] {
    sha256(&sealed_lines(commitments))
}

/// The handle of position `position` (1-based) in a sealed draw's result and replacements.
pub fn position_handle(position: usize) -> String {
    position.to_string()
}

/// The position a handle names, if it is one: a decimal without sign or leading zero, ≥ 1.
pub fn handle_position(handle: &str) -> Option<usize> {
    let digits = !handle.is_empty()
        && !handle.starts_with('0')
        && handle.bytes().all(|b| b.is_ascii_digit());
    if digits {
        handle.parse().ok()
    } else {
        None
    }
}

/// One member's opening as published when the result is determined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// 1-based position in the sealed pool.
    pub position: u32,
    pub id: String,
    pub name: String,
    /// Hex, exactly 32 bytes.
    pub salt: String,
}

/// A pool sealed for one draw: members in line order (bytewise by id, as an open pool), each with
/// its salt. Holds secrets: it must never be serialised into anything public before the opening.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedPool {
    members: Vec<(Candidate, [u8; SECRET_LEN])>,
    commitments: Vec<[u8; SECRET_LEN]>,
}

impl std::fmt::Debug for SealedPool {
    // Never prints a salt or a name, so a stray `{:?}` in a log cannot open the pool.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedPool({} members)", self.members.len())
    }
}

impl SealedPool {
    /// Seals `pool` for `draw_id` with one fresh salt per member, taken from `salt` in line order.
    pub fn seal(
        draw_id: &str,
        pool: &Pool,
        mut salt: impl FnMut() -> [u8; SECRET_LEN],
    ) -> Result<SealedPool, DrawError> {
        let mut members = Vec::with_capacity(pool.len());
        let mut commitments = Vec::with_capacity(pool.len());
        for c in pool.candidates() {
            let s = salt();
            commitments.push(member_commitment(draw_id, &c.id, &c.name, &s)?);
            members.push((c.clone(), s));
        }
        Ok(SealedPool {
            members,
            commitments,
        })
    }

    pub fn commitments(&self) -> &[[u8; SECRET_LEN]] {
        &self.commitments
    }

    pub fn hash(&self) -> [u8; SECRET_LEN] {
        sealed_pool_hash(&self.commitments)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Every member's opening, in position order.
    pub fn openings(&self) -> Vec<Opening> {
        self.members
            .iter()
            .enumerate()
            .map(|(k, (c, s))| Opening {
                position: (k + 1) as u32,
                id: c.id.clone(),
                name: c.name.clone(),
                salt: hex::encode(s),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_has_two_tabs_so_it_is_never_an_open_line() {
        let lines = sealed_lines(&[[0u8; 32], [0xffu8; 32]]);
        let text = String::from_utf8(lines).expect("ascii");
        let mut it = text.lines();
        assert_eq!(it.next(), Some(&*format!("1\tsealed\t{}", "00".repeat(32))));
        assert_eq!(it.next(), Some(&*format!("2\tsealed\t{}", "ff".repeat(32))));
        for line in text.lines() {
            assert_eq!(line.matches('\t').count(), 2);
        }
    }

    #[test]
    fn the_commitment_binds_the_draw_the_id_the_nfc_name_and_the_salt() {
        let s = [1u8; 32];
        let c = member_commitment("d", "EX-1", "Caf\u{e9}", &s).expect("c");
        assert_eq!(
            member_commitment("d", "EX-1", "Cafe\u{301}", &s).expect("c"),
            c,
            "names are committed in NFC"
        );
        assert_ne!(member_commitment("d2", "EX-1", "Caf\u{e9}", &s).unwrap(), c);
        assert_ne!(member_commitment("d", "EX-2", "Caf\u{e9}", &s).unwrap(), c);
        assert_ne!(member_commitment("d", "EX-1", "Cafe", &s).unwrap(), c);
        assert_ne!(
            member_commitment("d", "EX-1", "Caf\u{e9}", &[2u8; 32]).unwrap(),
            c
        );
        // lp keeps the id and the name apart: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            member_commitment("d", "ab", "c", &s).unwrap(),
            member_commitment("d", "a", "bc", &s).unwrap()
        );
    }

    #[test]
    fn handles_are_plain_decimals_from_one() {
        assert_eq!(handle_position("1"), Some(1));
        assert_eq!(handle_position("120"), Some(120));
        for bad in ["", "0", "01", "+1", "-1", "1.0", " 1", "EX-1"] {
            assert_eq!(handle_position(bad), None, "{bad:?}");
        }
        assert_eq!(position_handle(7), "7");
    }

    #[test]
    fn debug_never_shows_a_salt_or_a_name() {
        let pool = Pool::new([Candidate::new("EX-1", "张三")]).expect("pool");
        let sealed = SealedPool::seal("d", &pool, || [0xab; 32]).expect("sealed");
        let shown = format!("{sealed:?}");
        assert!(
            !shown.contains("张三") && !shown.contains("abab"),
            "{shown}"
        );
    }
}
