//! The vectors of docs/bid-box.md ("Signed key registrations"): the exact bytes signed to register
//! an organisation's signing key (`POST /api/keys`) and a custodian's key for a tender
//! (`POST /api/tenders/{id}/custodians/{index}/key`), with a signature that verifies.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bidhall::domain::{OrgId, TenderId};
use bidhall::identity::keys::{registration_message, P256PublicKey};

/// The P-256 generator G: the public key of the private scalar 1 (never use it for real).
const G: &str = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

fn key() -> P256PublicKey {
    P256PublicKey::parse_base64(&B64.encode(hex::decode(G).unwrap())).unwrap()
}

#[test]
fn the_signing_key_registration_message_matches_the_documented_vector() {
    let org = OrgId::parse("0190f5d2-0000-7000-8000-000000000001").unwrap();
    let message = registration_message(&org, &key());
    assert_eq!(
        String::from_utf8(message.clone()).unwrap(),
        "bidhall-signing-key/1\n0190f5d2-0000-7000-8000-000000000001\nBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfU=\n"
    );
    assert_eq!(
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &message)),
        SIGNING_KEY_MESSAGE_SHA256
    );
    let sig = B64.decode(SIGNING_KEY_PROOF).unwrap();
    assert!(
        key().verify(&message, &sig),
        "the documented proof verifies"
    );
}

#[test]
fn the_custodian_key_registration_message_matches_the_documented_vector() {
    let tender = TenderId::parse("0190f5d2-0000-7000-8000-0000000000aa").unwrap();
    let message = bidhall::bids::key_registration_message(&tender, 2, &key().to_base64());
    assert_eq!(
        String::from_utf8(message.clone()).unwrap(),
        "bidhall-custodian-key/1\n0190f5d2-0000-7000-8000-0000000000aa\n2\nBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfU=\n"
    );
    assert_eq!(
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &message)),
        CUSTODIAN_KEY_MESSAGE_SHA256
    );
    let sig = B64.decode(CUSTODIAN_KEY_PROOF).unwrap();
    assert!(
        key().verify(&message, &sig),
        "the documented proof verifies"
    );
}

/// Prints fresh signatures by the scalar-1 key (ECDSA signatures are randomised; any of them
/// verifies): `cargo test --test hall key_messages -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_key_registration_vectors() {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let mut one = [0u8; 32];
    one[31] = 1;
    let pair = EcdsaKeyPair::from_private_key_and_public_key(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &one,
        &hex::decode(G).unwrap(),
        &rng,
    )
    .unwrap();
    let org = OrgId::parse("0190f5d2-0000-7000-8000-000000000001").unwrap();
    let tender = TenderId::parse("0190f5d2-0000-7000-8000-0000000000aa").unwrap();
    for m in [
        registration_message(&org, &key()),
        bidhall::bids::key_registration_message(&tender, 2, &key().to_base64()),
    ] {
        println!(
            "sha256 {} signature {}",
            hex::encode(ring::digest::digest(&ring::digest::SHA256, &m)),
            B64.encode(pair.sign(&rng, &m).unwrap().as_ref())
        );
    }
}

const SIGNING_KEY_MESSAGE_SHA256: &str =
    "2aec1b91a8076035a6d9075150f5817cb0820eadf40aef5c2c021806b1863b31";
const SIGNING_KEY_PROOF: &str =
    "jiKsIGkwPycU5v6LbwFgyqO+2+tZTZWmn7ynqqSiufMbP/216MTQfY7r57ftmVwH5x/NQkfWV3J+Eh2FW8hxtA==";
const CUSTODIAN_KEY_MESSAGE_SHA256: &str =
    "d5fbe292cfb2e7ff8e23130a1db45010b71c61a86483f2c0778260a64bc31763";
const CUSTODIAN_KEY_PROOF: &str =
    "57EOqvMoMdGA8Sgp6M3+cK5Q/PTCwWKs3UG6w+6glwy7+48HuSXo9GvbmJ/VtoQU9OONbpL0Cwcn6sBkmnVgZA==";
