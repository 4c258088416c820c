//! The cryptographic core of `bidhall-draw/1`: commitments, the seed, the HMAC word stream, `uniform`
//! and the partial Fisher–Yates. Every byte follows `docs/draw.md`; nothing here may touch a clock, an
//! operating-system RNG or `rand`, because any auditor must be able to recompute each value offline.

use std::num::NonZeroU64;

use ring::{digest, hmac};

use crate::draws::DrawError;

/// The algorithm id announced with every draw and bound into every salt.
pub const ALGORITHM: &str = "bidhall-draw/1";

/// The domain string of a commitment: a commitment can never be mistaken for any other hash.
pub const COMMIT_DOMAIN: &str = "bidhall-draw/1/commit";

/// Length in bytes of a party's random contribution r_j, of a commitment, of a pool hash and of a seed.
pub const SECRET_LEN: usize = 32;

/// Appends lp(x) = u32be(len(x)) ‖ x, refusing what a u32 cannot describe rather than truncating.
pub(crate) fn put_lp(
    out: &mut Vec<u8>,
    field: &'static str,
    bytes: &[u8],
) -> Result<(), DrawError> {
    let len = u32::try_from(bytes.len()).map_err(|_| DrawError::TooLong {
        field,
        len: bytes.len(),
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// c_j = SHA-256(lp("bidhall-draw/1/commit") ‖ lp(draw id) ‖ lp(party id) ‖ r_j).
pub fn commitment(
    draw_id: &str,
    party_id: &str,
    r: &[u8; SECRET_LEN],
) -> Result<[u8; SECRET_LEN], DrawError> {
    let mut msg =
        Vec::with_capacity(4 + COMMIT_DOMAIN.len() + 8 + draw_id.len() + party_id.len() + 32);
    put_lp(&mut msg, "commit domain", COMMIT_DOMAIN.as_bytes())?;
    put_lp(&mut msg, "draw id", draw_id.as_bytes())?;
    put_lp(&mut msg, "party id", party_id.as_bytes())?;
    msg.extend_from_slice(r);
    Ok(sha256(&msg))
}

/// One party's revealed contribution as it enters the seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedInput {
    pub party: String,
    pub commitment: [u8; SECRET_LEN],
    pub r: [u8; SECRET_LEN],
}

/// seed = HKDF-Extract(salt, IKM) = HMAC-SHA256(key = salt, message = IKM), with
/// salt = lp("bidhall-draw/1") ‖ lp(draw id) and
/// IKM = lp(pool_hash) ‖ u32be(P) ‖ (lp(party) ‖ lp(c_j) ‖ lp(r_j))* ‖ lp(beacon).
///
/// The reveals are sorted here by party id (bytewise), so the order in which a transcript lists them
/// can never change the seed. `beacon` is `None` or the beacon's bytes; both `None` and an empty slice
/// give lp(""), which is why a transcript may never carry an empty beacon value.
pub fn derive_seed(
    draw_id: &str,
    pool_hash: &[u8; SECRET_LEN],
    reveals: &[SeedInput],
    beacon: Option<&[u8]>,
) -> Result<[u8; SECRET_LEN], DrawError> {
    let mut salt = Vec::new();
    put_lp(&mut salt, "algorithm id", ALGORITHM.as_bytes())?;
    put_lp(&mut salt, "draw id", draw_id.as_bytes())?;

    let mut sorted: Vec<&SeedInput> = reveals.iter().collect();
    sorted.sort_by(|a, b| a.party.as_bytes().cmp(b.party.as_bytes()));
    if let Some(pair) = sorted.windows(2).find(|w| w[0].party == w[1].party) {
        return Err(DrawError::DuplicateParty {
            party: pair[0].party.clone(),
        });
    }
    let count = u32::try_from(sorted.len()).map_err(|_| DrawError::TooLong {
        field: "party list",
        len: sorted.len(),
    })?;

    let mut ikm = Vec::new();
    put_lp(&mut ikm, "pool hash", pool_hash)?;
    ikm.extend_from_slice(&count.to_be_bytes());
    for reveal in sorted {
        put_lp(&mut ikm, "party id", reveal.party.as_bytes())?;
        put_lp(&mut ikm, "commitment", &reveal.commitment)?;
        put_lp(&mut ikm, "reveal", &reveal.r)?;
    }
    put_lp(&mut ikm, "beacon", beacon.unwrap_or_default())?;

    let key = hmac::Key::new(hmac::HMAC_SHA256, &salt);
    Ok(tag_bytes(hmac::sign(&key, &ikm)))
}

/// The deterministic word stream: block_i = HMAC-SHA256(seed, "drbg" ‖ u64be(i)), each block read as
/// four big-endian u64 words, used in order. A word, once handed out, is never handed out again.
pub struct Stream {
    key: hmac::Key,
    next_block: u64,
    words: [u64; 4],
    used: usize,
}

impl Stream {
    pub fn new(seed: &[u8; SECRET_LEN]) -> Self {
        Stream {
            key: hmac::Key::new(hmac::HMAC_SHA256, seed),
            next_block: 0,
            words: [0; 4],
            // Starts "exhausted" so the first call computes block 0.
            used: 4,
        }
    }

    pub fn next_word(&mut self) -> u64 {
        if self.used == 4 {
            self.refill();
        }
        let word = self.words[self.used];
        self.used += 1;
        word
    }

    fn refill(&mut self) {
        let mut msg = [0u8; 12];
        msg[..4].copy_from_slice(b"drbg");
        msg[4..].copy_from_slice(&self.next_block.to_be_bytes());
        let tag = tag_bytes(hmac::sign(&self.key, &msg));
        for (word, chunk) in self.words.iter_mut().zip(tag.chunks_exact(8)) {
            let mut be = [0u8; 8];
            be.copy_from_slice(chunk);
            *word = u64::from_be_bytes(be);
        }
        // 2^64 blocks cannot be consumed by any draw; wrapping would only ever be reached by a bug.
        self.next_block = self.next_block.wrapping_add(1);
        self.used = 0;
    }

    /// A uniform integer in [0, m) by rejection: words at or above
    /// limit = 2^64 − (2^64 mod m) are discarded, so every residue has exactly the same number of
    /// preimages. Plain `x % m` would favour the small residues.
    pub fn uniform(&mut self, m: NonZeroU64) -> u64 {
        let m = m.get();
        // 2^64 mod m computed without 128-bit arithmetic: (2^64 − 1) mod m, plus one, mod m.
        let excess = (u64::MAX % m + 1) % m;
        loop {
            let x = self.next_word();
            // excess == 0 means m divides 2^64: every word is acceptable.
            if excess == 0 || x < 0u64.wrapping_sub(excess) {
                return x % m;
            }
        }
    }
}

impl Iterator for Stream {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        Some(self.next_word())
    }
}

/// Selected and reserves, each in draw order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<T> {
    pub selected: Vec<T>,
    pub reserves: Vec<T>,
}

/// The partial Fisher–Yates of `bidhall-draw/1`: for i in 0 … s + r − 1, j = i + uniform(N − i),
/// swap a[i] and a[j]. `items` must already be in pool line order.
pub fn shuffle<T: Clone>(
    items: &[T],
    select: usize,
    reserves: usize,
    stream: &mut Stream,
) -> Result<Selection<T>, DrawError> {
    if select == 0 {
        return Err(DrawError::NothingToSelect);
    }
    let needed = select.saturating_add(reserves);
    if needed > items.len() {
        return Err(DrawError::PoolTooSmall {
            pool: items.len(),
            needed,
        });
    }
    let order = partial_fisher_yates(items, needed, |i, n| {
        let remaining = NonZeroU64::new((n - i) as u64).unwrap_or(NonZeroU64::MIN);
        i + stream.uniform(remaining) as usize
    });
    let (selected, reserves) = order.split_at(select);
    Ok(Selection {
        selected: selected.to_vec(),
        reserves: reserves.to_vec(),
    })
}

/// The swap loop alone, with the index choice injected so the statistical tests can prove that a
/// biased choice (plain modulo, `j = uniform(N)`) is caught. Callers guarantee `count <= items.len()`
/// and that `pick(i, n)` returns an index in [0, n).
pub(crate) fn partial_fisher_yates<T: Clone>(
    items: &[T],
    count: usize,
    mut pick: impl FnMut(usize, usize) -> usize,
) -> Vec<T> {
    let mut a = items.to_vec();
    let n = a.len();
    for i in 0..count.min(n) {
        let j = pick(i, n);
        a.swap(i, j);
    }
    a.truncate(count.min(n));
    a
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; SECRET_LEN] {
    let digest = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; SECRET_LEN];
    out.copy_from_slice(digest.as_ref());
    out
}

fn tag_bytes(tag: hmac::Tag) -> [u8; SECRET_LEN] {
    let mut out = [0u8; SECRET_LEN];
    out.copy_from_slice(tag.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(m: u64) -> NonZeroU64 {
        NonZeroU64::new(m).expect("test modulus is non-zero")
    }

    #[test]
    fn lp_prefixes_big_endian_length() {
        let mut out = Vec::new();
        put_lp(&mut out, "x", b"abc").expect("short field");
        assert_eq!(out, [0, 0, 0, 3, b'a', b'b', b'c']);
    }

    #[test]
    fn words_come_four_per_block_and_are_never_reused() {
        let seed = [7u8; 32];
        let mut stream = Stream::new(&seed);
        let words: Vec<u64> = (0..8).map(|_| stream.next_word()).collect();
        let key = hmac::Key::new(hmac::HMAC_SHA256, &seed);
        for block in 0..2u64 {
            let mut msg = b"drbg".to_vec();
            msg.extend_from_slice(&block.to_be_bytes());
            let tag = hmac::sign(&key, &msg);
            for k in 0..4 {
                let mut be = [0u8; 8];
                be.copy_from_slice(&tag.as_ref()[8 * k..8 * k + 8]);
                assert_eq!(words[block as usize * 4 + k], u64::from_be_bytes(be));
            }
        }
    }

    #[test]
    fn uniform_of_one_consumes_a_word_and_returns_zero() {
        let seed = [0u8; 32];
        let mut stream = Stream::new(&seed);
        let mut reference = Stream::new(&seed);
        assert_eq!(stream.uniform(nz(1)), 0);
        reference.next_word();
        assert_eq!(stream.next_word(), reference.next_word());
    }

    #[test]
    fn uniform_rejects_words_at_or_above_the_limit() {
        // m = 2^63 + 1: 2^64 mod m = 2^63 − 1, limit = 2^63 + 1. The zero seed's first word
        // (14371451221860065909, from the shared vectors) is above the limit and must be skipped; the
        // second (5249064157133070394) is accepted and returned as is.
        let m = (1u64 << 63) + 1;
        let mut stream = Stream::new(&[0u8; 32]);
        assert_eq!(stream.uniform(nz(m)), 5_249_064_157_133_070_394);
        // The rejected word is not reused: the next word is the third of the stream.
        assert_eq!(stream.next_word(), 3_279_701_921_344_841_910);
    }

    #[test]
    fn uniform_accepts_every_word_when_m_divides_two_to_the_64() {
        // The first word is above 2^63; with m = 2^63 it is still accepted (limit = 2^64).
        let mut stream = Stream::new(&[0u8; 32]);
        assert_eq!(
            stream.uniform(nz(1 << 63)),
            14_371_451_221_860_065_909 - (1 << 63)
        );
        assert_eq!(
            stream.uniform(nz(1 << 32)),
            5_249_064_157_133_070_394 % (1 << 32)
        );
    }

    #[test]
    fn uniform_of_u64_max_rejects_only_u64_max() {
        // limit = 2^64 − 1: every word of the zero seed's first block is below it.
        let mut stream = Stream::new(&[0u8; 32]);
        assert_eq!(stream.uniform(nz(u64::MAX)), 14_371_451_221_860_065_909);
    }

    #[test]
    fn shuffle_with_one_candidate_selects_it() {
        let mut stream = Stream::new(&[1u8; 32]);
        let got = shuffle(&["only"], 1, 0, &mut stream).expect("pool of one");
        assert_eq!(got.selected, ["only"]);
        assert!(got.reserves.is_empty());
    }

    #[test]
    fn shuffle_refuses_a_pool_smaller_than_selection_plus_reserves() {
        let mut stream = Stream::new(&[1u8; 32]);
        assert_eq!(
            shuffle(&["a", "b"], 2, 1, &mut stream),
            Err(DrawError::PoolTooSmall { pool: 2, needed: 3 })
        );
        let empty: [&str; 0] = [];
        assert_eq!(
            shuffle(&empty, 1, 0, &mut stream),
            Err(DrawError::PoolTooSmall { pool: 0, needed: 1 })
        );
        assert_eq!(
            shuffle(&["a"], 0, 1, &mut stream),
            Err(DrawError::NothingToSelect)
        );
    }

    #[test]
    fn shuffle_may_take_the_whole_pool() {
        let mut stream = Stream::new(&[2u8; 32]);
        let got = shuffle(&[1, 2, 3, 4], 2, 2, &mut stream).expect("whole pool");
        let mut all: Vec<i32> = got.selected.iter().chain(&got.reserves).copied().collect();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3, 4]);
    }

    #[test]
    fn seed_refuses_the_same_party_twice() {
        let input = SeedInput {
            party: "p".into(),
            commitment: [0; 32],
            r: [0; 32],
        };
        assert_eq!(
            derive_seed("d", &[0; 32], &[input.clone(), input], None),
            Err(DrawError::DuplicateParty { party: "p".into() })
        );
    }

    #[test]
    fn no_beacon_and_empty_beacon_give_the_same_seed() {
        let a = derive_seed("d", &[0; 32], &[], None).expect("seed");
        let b = derive_seed("d", &[0; 32], &[], Some(&[])).expect("seed");
        assert_eq!(a, b);
    }
}
