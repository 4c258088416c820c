//! The threshold itself: fewer than k custodians learn nothing usable, any k open the bid.
//! Checks by interpolating directly too, so it cannot pass on a mere share count.

use super::{open_envelope, pattern, released, seal_bytes, tender, Tender};
use crate::sealbox::envelope::{self, ContentKey, Header};
use crate::sealbox::error::EnvelopeError;
use crate::sealbox::shamir::{self, Share};

fn subsets(n: u8, size: usize) -> Vec<Vec<u8>> {
    (0u32..1 << n)
        .filter(|mask| mask.count_ones() as usize == size)
        .map(|mask| (1..=n).filter(|i| mask & (1 << (i - 1)) != 0).collect())
        .collect()
}

/// Whether the custodians in `which` can get at the payload by any means the format allows:
/// through `rebuild_key`, or by interpolating their shares directly and trying the result.
fn can_open(bytes: &[u8], t: &Tender, which: &[u8], payload: &[u8]) -> bool {
    let mut reader = bytes;
    let header = Header::read_from(&mut reader).unwrap();
    let shares = released(&header, t, which).unwrap();
    if let Ok(key) = envelope::rebuild_key(&header, &shares) {
        let mut out = Vec::new();
        return envelope::open_payload(&header, &key, reader, &mut out).is_ok() && out == payload;
    }
    let points: Vec<Share> = shares
        .iter()
        .map(|s| Share {
            x: s.index,
            y: s.share,
        })
        .collect();
    let guess = ContentKey::from_bytes(shamir::combine(&points).unwrap());
    let mut out = Vec::new();
    envelope::open_payload(&header, &guess, reader, &mut out).is_ok()
}

#[test]
fn fewer_than_k_custodians_cannot_open_and_any_k_can() {
    let t = tender(4, 3);
    let payload = pattern(70_000);
    let bytes = seal_bytes(&t, &payload);
    for size in 1..=2 {
        for which in subsets(4, size) {
            assert!(
                !can_open(&bytes, &t, &which, &payload),
                "{which:?} opened a k = 3 envelope"
            );
            let header = Header::read_from(&mut &bytes[..]).unwrap();
            let shares = released(&header, &t, &which).unwrap();
            assert!(matches!(
                envelope::rebuild_key(&header, &shares),
                Err(EnvelopeError::NotEnoughShares { have, need: 3 }) if have == size
            ));
        }
    }
    for size in 3..=4 {
        for which in subsets(4, size) {
            assert_eq!(
                open_envelope(&bytes, &t, &which).unwrap(),
                payload,
                "{which:?}"
            );
        }
    }
}

/// The test above would notice a sealer that used a lower threshold: with k = 2 at seal time
/// the very same check finds every pair able to open.
#[test]
fn the_threshold_check_notices_a_lower_k() {
    let mut t = tender(4, 3);
    t.params.k = 2;
    let payload = pattern(1000);
    let bytes = seal_bytes(&t, &payload);
    for which in subsets(4, 2) {
        assert!(can_open(&bytes, &t, &which, &payload), "{which:?}");
    }
}
