//! Tampering: every header bit, every chunk, and what each layer attributes to whom.
//! A tampered envelope must never open here, and no test may accept a fault on the wrong party.

use super::{open_envelope, pattern, released, seal_bytes, tender, Tender};
use crate::sealbox::envelope::{self, mac_key, signature_message, Header, MAC_LEN};
use crate::sealbox::error::{EnvelopeError, Fault};
use crate::sealbox::keys::SIGNATURE_LEN;
use crate::sealbox::stream::{self, CHUNK_SIZE, TAG_LEN};
use ring::{digest, hmac};
use std::collections::BTreeMap;
use std::ops::Range;

/// Every field of a header with its byte range, in order; checks they tile the header exactly.
fn header_fields(h: &Header) -> Vec<(String, Range<usize>)> {
    let mut fields = Vec::new();
    let mut pos = 0;
    let mut push = |name: String, len: usize| {
        fields.push((name, pos..pos + len));
        pos += len;
    };
    push("magic".into(), 7);
    push("version".into(), 1);
    push("header_len".into(), 4);
    for (name, value) in [
        ("tender_id", h.tender_id()),
        ("lot_id", h.lot_id()),
        ("tenderer_id", h.tenderer_id()),
    ] {
        push(format!("{name}.len"), 4);
        push(name.into(), value.len());
    }
    push("envelope_id".into(), 16);
    push("n".into(), 1);
    push("k".into(), 1);
    push("chunk_size".into(), 4);
    push("payload_len".into(), 8);
    for r in h.custodians() {
        let i = r.index;
        push(format!("custodian{i}.index"), 1);
        push(format!("custodian{i}.fingerprint"), 32);
        push(format!("custodian{i}.commitment"), 32);
        push(format!("custodian{i}.enc"), 65);
        push(format!("custodian{i}.sealed_share"), 80);
    }
    push("mac".into(), MAC_LEN);
    push("signature".into(), SIGNATURE_LEN);
    assert_eq!(pos, h.as_bytes().len());
    fields
}

fn field_of(fields: &[(String, Range<usize>)], offset: usize) -> &str {
    &fields.iter().find(|(_, r)| r.contains(&offset)).unwrap().0
}

/// Someone other than the tenderer flips bits: the signature (or the strict parser before it)
/// stops every one, and none of them is blamed on the tenderer or a custodian.
#[test]
fn every_header_bit_flip_is_rejected() {
    let t = tender(4, 3);
    let bytes = seal_bytes(&t, &pattern(1000));
    let header = Header::read_from(&mut &bytes[..]).unwrap();
    let fields = header_fields(&header);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for offset in 0..header.as_bytes().len() {
        for bit in 0..8 {
            let mut bad = bytes.clone();
            bad[offset] ^= 1 << bit;
            let err = open_envelope(&bad, &t, &[1, 2, 3]).expect_err("tampered header opened");
            let name = field_of(&fields, offset);
            assert!(
                err.fault().is_none()
                    && (err.is_format() || matches!(err, EnvelopeError::BadSignature)),
                "{name} byte {offset} bit {bit}: {err}"
            );
            *seen.entry(name).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), fields.len(), "every field was flipped");
}

/// The tenderer (who holds the signing key) alters its own header after the MAC and re-signs:
/// the upload check, a custodian's share check or the MAC blames the tenderer, or the strict
/// parser refuses the bytes. Nothing is blamed on a custodian and nothing opens.
#[test]
fn a_resigned_header_change_is_the_tenderers_fault() {
    let t = tender(4, 3);
    let bytes = seal_bytes(&t, &pattern(1000));
    let header = Header::read_from(&mut &bytes[..]).unwrap();
    let fields = header_fields(&header);
    let sig_at = header.as_bytes().len() - SIGNATURE_LEN;
    let rng = ring::rand::SystemRandom::new();
    for offset in 12..sig_at {
        let mut bad = bytes.clone();
        bad[offset] ^= 1 << (offset % 8);
        let sig = t
            .signer
            .sign(&signature_message(1, &bad[..sig_at]), &rng)
            .unwrap();
        bad[sig_at..sig_at + SIGNATURE_LEN].copy_from_slice(&sig);
        let name = field_of(&fields, offset);
        let err = open_envelope(&bad, &t, &[1, 2, 3, 4]).expect_err(name);
        let expected = match name.split('.').collect::<Vec<_>>()[..] {
            ["tender_id"] | ["lot_id"] | ["tenderer_id"] => {
                // A flipped high bit can leave invalid UTF-8, which the parser refuses first.
                matches!(err, EnvelopeError::NotSealedFor { .. }) || err.is_format()
            }
            ["k"] => matches!(err, EnvelopeError::NotSealedFor { field: "k" }) || err.is_format(),
            ["envelope_id"] => matches!(err, EnvelopeError::ShareUndecryptable { index: 1 }),
            ["payload_len"] | ["mac"] => matches!(err, EnvelopeError::HeaderMac) || err.is_format(),
            [c, "fingerprint"] => {
                matches!(err, EnvelopeError::CustodianKeyNotRegistered { index } if c.ends_with(&index.to_string()))
            }
            [c, "commitment"] => {
                matches!(err, EnvelopeError::ShareNotCommitted { index } if c.ends_with(&index.to_string()))
            }
            [c, "enc"] | [c, "sealed_share"] => {
                err.is_format()
                    || matches!(err, EnvelopeError::ShareUndecryptable { index } if c.ends_with(&index.to_string()))
            }
            _ => err.is_format(),
        };
        assert!(expected, "{name} byte {offset}: unexpected {err:?}");
        assert!(
            err.fault().is_none() || err.fault() == Some(Fault::Tenderer),
            "{name}: {err}"
        );
    }
}

/// Without the server's upload check the inner layers still catch a changed tender, lot or
/// tenderer: the shares are bound to tender and lot, the MAC to everything.
#[test]
fn inner_layers_bind_the_header_without_the_upload_check() {
    let t = tender(3, 2);
    let bytes = seal_bytes(&t, b"bid");
    let header = Header::read_from(&mut &bytes[..]).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let sig_at = header.as_bytes().len() - SIGNATURE_LEN;
    let fields = header_fields(&header);
    for field in ["tender_id", "lot_id", "tenderer_id"] {
        let range = fields.iter().find(|(n, _)| n == field).unwrap().1.clone();
        let mut bad = header.as_bytes().to_vec();
        bad[range.start] ^= 0x01; // stays ASCII, so the parser accepts it
        let sig = t
            .signer
            .sign(&signature_message(1, &bad[..sig_at]), &rng)
            .unwrap();
        bad[sig_at..].copy_from_slice(&sig);
        let h = Header::parse(&bad).unwrap();
        envelope::verify_signature(&h, &t.signer.public_key()).unwrap();
        let outcome = released(&h, &t, &[1, 2]).and_then(|s| envelope::rebuild_key(&h, &s));
        let err = outcome.expect_err(field);
        if field == "tenderer_id" {
            assert!(matches!(err, EnvelopeError::HeaderMac), "{field}: {err}");
        } else {
            assert!(
                matches!(err, EnvelopeError::ShareUndecryptable { index: 1 }),
                "{field}: {err}"
            );
        }
        assert_eq!(err.fault(), Some(Fault::Tenderer));
    }
}

/// A tenderer that sabotages one custodian's share but keeps the MAC right: that custodian sees
/// the tenderer's fault (provable by disclosing its per-tender key); the server, which cannot
/// see inside, holds the custodian to its commitment; k honest others still open the bid.
#[test]
fn one_sabotaged_share_is_attributed_and_does_not_block_the_opening() {
    let t = tender(4, 3);
    let payload = pattern(5000);
    let bytes = seal_bytes(&t, &payload);
    let mut reader = &bytes[..];
    let header = Header::read_from(&mut reader).unwrap();
    let genuine = released(&header, &t, &[1, 2, 3, 4]).unwrap();
    let ck = envelope::rebuild_key(&header, &genuine).unwrap();

    let fields = header_fields(&header);
    let commit2 = fields
        .iter()
        .find(|(n, _)| n == "custodian2.commitment")
        .unwrap()
        .1
        .clone();
    let len = header.as_bytes().len();
    let (mac_at, sig_at) = (len - SIGNATURE_LEN - MAC_LEN, len - SIGNATURE_LEN);
    let mut forged = header.as_bytes().to_vec();
    forged[commit2.start] ^= 0x80;
    let mac = hmac::sign(
        &hmac::Key::new(
            hmac::HMAC_SHA256,
            &*mac_key(1, ck.expose_secret(), header.envelope_id()),
        ),
        &forged[..mac_at],
    );
    forged[mac_at..sig_at].copy_from_slice(mac.as_ref());
    let sig = t
        .signer
        .sign(
            &signature_message(1, &forged[..sig_at]),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
    forged[sig_at..].copy_from_slice(&sig);
    let h = Header::parse(&forged).unwrap();
    envelope::verify_signature(&h, &t.signer.public_key()).unwrap();
    envelope::check_sealed_for(&h, &t.params).unwrap();

    let custodian_view = envelope::open_share(&h, 2, &t.keys[1]).unwrap_err();
    assert!(matches!(
        custodian_view,
        EnvelopeError::ShareNotCommitted { index: 2 }
    ));
    assert_eq!(custodian_view.fault(), Some(Fault::Tenderer));
    let server_view = envelope::check_released_share(&h, 2, &genuine[1]).unwrap_err();
    assert!(matches!(
        server_view,
        EnvelopeError::ShareMismatch { index: 2 }
    ));
    assert_eq!(server_view.fault(), Some(Fault::Custodian(2)));
    assert!(
        envelope::rebuild_key(&h, &genuine).is_err(),
        "a mismatching share is never used"
    );

    let others = released(&h, &t, &[1, 3, 4]).unwrap();
    let key = envelope::rebuild_key(&h, &others).unwrap();
    let mut out = Vec::new();
    envelope::open_payload(&h, &key, reader, &mut out).unwrap();
    assert_eq!(out, payload);
}

#[test]
fn custodian_faults_are_named() {
    let t = tender(4, 3);
    let bytes = seal_bytes(&t, b"bid");
    let header = Header::read_from(&mut &bytes[..]).unwrap();

    let wrong_key = envelope::open_share(&header, 3, &t.keys[0]).unwrap_err();
    assert!(matches!(
        wrong_key,
        EnvelopeError::WrongCustodianKey { index: 3 }
    ));
    assert_eq!(wrong_key.fault(), Some(Fault::Custodian(3)));
    assert_eq!(
        wrong_key.to_string(),
        "custodian 3 used a key that is not the one the envelope was sealed to"
    );

    let mut shares = released(&header, &t, &[1, 2, 4]).unwrap();
    type Tamper = fn(&mut envelope::ReleasedShare);
    let tampers: [(&str, Tamper); 3] = [
        ("share", |s| s.share[5] ^= 1),
        ("salt", |s| s.salt[31] ^= 0x40),
        ("index", |s| s.index = 3),
    ];
    for (what, tamper) in tampers {
        let mut bad = shares[2].clone();
        tamper(&mut bad);
        let err = envelope::check_released_share(&header, 4, &bad).unwrap_err();
        assert!(
            matches!(err, EnvelopeError::ShareMismatch { index: 4 }),
            "{what}"
        );
        assert_eq!(err.fault(), Some(Fault::Custodian(4)));
    }
    shares[2].share[0] ^= 1;
    let err = envelope::rebuild_key(&header, &shares).unwrap_err();
    assert!(matches!(err, EnvelopeError::ShareMismatch { index: 4 }));
    assert_eq!(
        err.to_string(),
        "share released by custodian 4 does not match its commitment in the header"
    );

    let good = released(&header, &t, &[1, 2]).unwrap();
    let dup = vec![good[0].clone(), good[1].clone(), good[0].clone()];
    assert!(matches!(
        envelope::rebuild_key(&header, &dup),
        Err(EnvelopeError::DuplicateShare { index: 1 })
    ));
    assert!(matches!(
        envelope::open_share(&header, 5, &t.keys[0]),
        Err(EnvelopeError::NoSuchCustodian { index: 5 })
    ));
}

fn chunks_of(body: &[u8], payload_len: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut left = payload_len;
    loop {
        let take = left.min(CHUNK_SIZE);
        let (chunk, tail) = rest.split_at(take + TAG_LEN);
        out.push(chunk.to_vec());
        rest = tail;
        left -= take;
        if left == 0 {
            break;
        }
    }
    assert!(rest.is_empty());
    out
}

fn open_body(t: &Tender, header_bytes: &[u8], body: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let mut joined = header_bytes.to_vec();
    joined.extend_from_slice(body);
    open_envelope(&joined, t, &[1, 2, 3])
}

#[test]
fn chunk_tampering_is_detected_and_is_the_tenderers_fault() {
    let t = tender(4, 3);
    let len = 2 * CHUNK_SIZE + 1000;
    let payload = pattern(len);
    let bytes = seal_bytes(&t, &payload);
    let header_len = Header::read_from(&mut &bytes[..]).unwrap().as_bytes().len();
    let (head, body) = bytes.split_at(header_len);
    assert_eq!(open_body(&t, head, body).unwrap(), payload);
    let chunks = chunks_of(body, len);
    assert_eq!(chunks.len(), 3);

    let expect = |body: Vec<u8>, want: &dyn Fn(&EnvelopeError) -> bool, what: &str| {
        let err = open_body(&t, head, &body).expect_err(what);
        assert!(want(&err), "{what}: {err:?}");
        assert_eq!(err.fault(), Some(Fault::Tenderer), "{what}");
    };
    for (chunk, offset) in [(0, 0), (0, 40_000), (1, CHUNK_SIZE - 1), (2, 999)] {
        let mut bad = chunks.clone();
        bad[chunk][offset] ^= 0x10;
        expect(
            bad.concat(),
            &|e| matches!(e, EnvelopeError::ChunkCorrupt { chunk: c } if *c == chunk as u64),
            "body bit",
        );
        let mut bad = chunks.clone();
        let tag_at = bad[chunk].len() - 1 - (offset % TAG_LEN);
        bad[chunk][tag_at] ^= 0x01;
        expect(
            bad.concat(),
            &|e| matches!(e, EnvelopeError::ChunkCorrupt { chunk: c } if *c == chunk as u64),
            "tag bit",
        );
    }
    let c = &chunks;
    expect(
        [&c[0][..], &c[2]].concat(),
        &|e| matches!(e, EnvelopeError::PayloadTruncated { chunk: 1 }),
        "drop middle",
    );
    expect(
        [&c[0][..], &c[1]].concat(),
        &|e| matches!(e, EnvelopeError::PayloadTruncated { chunk: 2 }),
        "drop last",
    );
    expect(
        [&c[1][..], &c[2]].concat(),
        &|e| matches!(e, EnvelopeError::ChunkCorrupt { chunk: 0 }),
        "drop first",
    );
    expect(
        [&c[1][..], &c[0], &c[2]].concat(),
        &|e| matches!(e, EnvelopeError::ChunkCorrupt { chunk: 0 }),
        "swap",
    );
    expect(
        [&c[0][..], &c[0], &c[1], &c[2]].concat(),
        &|e| matches!(e, EnvelopeError::ChunkCorrupt { chunk: 1 }),
        "duplicate",
    );
    expect(
        [&c[0][..], &c[1], &c[2], &c[2]].concat(),
        &|e| matches!(e, EnvelopeError::TrailingCiphertext),
        "duplicate last",
    );
    expect(
        body[..body.len() - 1].to_vec(),
        &|e| matches!(e, EnvelopeError::PayloadTruncated { chunk: 2 }),
        "truncate",
    );
    expect(
        Vec::new(),
        &|e| matches!(e, EnvelopeError::PayloadTruncated { chunk: 0 }),
        "no body",
    );
    expect(
        [body, &[0u8]].concat(),
        &|e| matches!(e, EnvelopeError::TrailingCiphertext),
        "trailing byte",
    );
}

/// The last-chunk flag on its own: a stream cut at a chunk boundary and presented as complete
/// fails, because its last surviving chunk was not sealed as final.
#[test]
fn a_stream_cut_at_a_chunk_boundary_fails_on_the_final_flag() {
    let key = stream::payload_cipher(&[7u8; 32]).unwrap();
    let payload = pattern(2 * CHUNK_SIZE);
    let mut body = Vec::new();
    let mut hash = digest::Context::new(&digest::SHA256);
    stream::encrypt(
        &key,
        payload.len() as u64,
        &mut &payload[..],
        &mut body,
        &mut hash,
    )
    .unwrap();
    let first = &body[..CHUNK_SIZE + TAG_LEN];
    let err =
        stream::decrypt(&key, CHUNK_SIZE as u64, &mut &first[..], &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EnvelopeError::ChunkCorrupt { chunk: 0 }));
    let mut out = Vec::new();
    stream::decrypt(&key, payload.len() as u64, &mut &body[..], &mut out).unwrap();
    assert_eq!(out, payload);
}

#[test]
fn a_wrong_content_key_is_refused_before_decrypting() {
    let t = tender(2, 2);
    let bytes = seal_bytes(&t, b"bid");
    let mut reader = &bytes[..];
    let header = Header::read_from(&mut reader).unwrap();
    let key = envelope::ContentKey::from_bytes([0u8; 32]);
    let err = envelope::open_payload(&header, &key, reader, Vec::new()).unwrap_err();
    assert!(matches!(err, EnvelopeError::KeyDoesNotMatchHeader));
    assert_eq!(err.fault(), None);
}
