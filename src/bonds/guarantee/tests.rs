//! The test vector of docs/guarantees.md, and every refusal of a bid guarantee.

use super::*;
use base64::Engine;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

/// docs/guarantees.md, "Test vector": private scalar SHA-256("bidhall-test-guarantee-issuer").
pub(crate) const VECTOR_PKCS8_HEX: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420b67f14c6068750f4dbcd24c5d59a4a7437f295bb2a2eb109d85802d4158aaeb9a144034200046caaea846d8c29c3aa89d28d062fca45e7ffd20dbd6ee72c57f21bf8f8b867ea299d4b826ab210cf1c55c0f3490760351738f27d2936878c30f7945630cd6a40";
const VECTOR_PUBLIC_KEY: &str =
    "BGyq6oRtjCnDqonSjQYvykXn/9INvW7nLFfyG/j4uGfqKZ1LgmqyEM8cVcDzSQdgNRc48n0pNoeMMPeUVjDNakA=";
const VECTOR_DOCUMENT: &str = r#"{"amount_fen":2000000,"guarantee_number":"SBXG20270301000001","issuer_id":"SBX","kind":"bid","lot_id":"01890a5d-ac96-774b-bcce-b302099a8060","tender_id":"01890a5d-ac96-774b-bcce-b302099a8057","tenderer_id":"01890a5d-ac96-774b-bcce-b302099a8058","valid_from":"2027-03-01T00:00:00.000Z","valid_until":"2027-09-01T00:00:00.000Z"}"#;
const VECTOR_SIGNATURE: &str =
    "wYWZjHPpdc0HwM2qppJXJ53U3aMkMui+H77pcn1F+vCA5f6c+8NJWeC3ZQ+TjufkpKrIuw8xGt2N5/HgrjccoQ==";

fn issuer() -> Issuer {
    Issuer {
        id: IssuerId::parse("SBX").unwrap(),
        name: Line::parse("沙箱银行 Sandbox Bank").unwrap(),
        kind: IssuerKind::Bank,
        public_key: P256PublicKey::parse_base64(VECTOR_PUBLIC_KEY).unwrap(),
        registered_at: Timestamp::parse("2027-01-01T00:00:00Z").unwrap(),
    }
}

fn sign(doc: &Value) -> String {
    let pkcs8 = hex::decode(VECTOR_PKCS8_HEX).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
    let sig = pair
        .sign(&rng, &signing_message(&crate::canonical::canonicalize(doc)))
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(sig.as_ref())
}

fn vector() -> Value {
    serde_json::from_str(VECTOR_DOCUMENT).unwrap()
}

fn tender() -> TenderId {
    TenderId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap()
}
fn tenderer() -> OrgId {
    OrgId::parse("01890a5d-ac96-774b-bcce-b302099a8058").unwrap()
}
fn deadline() -> Timestamp {
    Timestamp::parse("2027-03-26T01:00:00Z").unwrap()
}

fn check(doc: &Value, sig: &str, lot_bond: Option<i64>) -> Result<(), GuaranteeError> {
    let signed = SignedDocument::from_value(doc)?;
    let (t, o) = (tender(), tenderer());
    check_bid_guarantee(
        &signed,
        sig,
        Some(&issuer()),
        &BidBondTerms {
            tender: &t,
            tenderer: &o,
            lot_bond: lot_bond.map(|f| Money::from_fen(f).unwrap()),
            bid_deadline: deadline(),
        },
    )
}

fn with(field: &str, value: Value) -> Value {
    let mut d = vector();
    d[field] = value;
    d
}

#[test]
fn the_documented_vector_verifies_with_the_issuer_key() {
    let signed = SignedDocument::from_value(&vector()).unwrap();
    assert_eq!(signed.bytes, VECTOR_DOCUMENT.as_bytes());
    assert_eq!(
        verify_signature(&issuer().public_key, &signed.bytes, VECTOR_SIGNATURE),
        Ok(())
    );
    assert_eq!(check(&vector(), VECTOR_SIGNATURE, Some(2_000_000)), Ok(()));
    // The key in the docs is the one the private scalar makes.
    let pkcs8 = hex::decode(VECTOR_PKCS8_HEX).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    use ring::signature::KeyPair;
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(pair.public_key().as_ref()),
        VECTOR_PUBLIC_KEY
    );
    let doc = include_str!("../../../docs/guarantees.md");
    for v in [
        VECTOR_DOCUMENT,
        VECTOR_SIGNATURE,
        VECTOR_PUBLIC_KEY,
        VECTOR_PKCS8_HEX,
    ] {
        assert!(doc.contains(v), "docs/guarantees.md lacks {v}");
    }
}

#[test]
fn a_forged_or_altered_document_fails_the_signature() {
    // One fen more, same signature.
    let altered = with("amount_fen", 2_000_001.into());
    assert_eq!(
        check(&altered, VECTOR_SIGNATURE, Some(2_000_000)),
        Err(GuaranteeError::SignatureInvalid)
    );
    // Signed by another key.
    let rng = ring::rand::SystemRandom::new();
    let other = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, other.as_ref(), &rng).unwrap();
    let forged = pair
        .sign(&rng, &signing_message(VECTOR_DOCUMENT.as_bytes()))
        .unwrap();
    let forged = base64::engine::general_purpose::STANDARD.encode(forged.as_ref());
    assert_eq!(
        check(&vector(), &forged, Some(2_000_000)),
        Err(GuaranteeError::SignatureInvalid)
    );
    assert_eq!(
        check(&vector(), "not base64!", Some(2_000_000)),
        Err(GuaranteeError::SignatureInvalid)
    );
    // Signed without the domain line: not what an issuer signs.
    let bare = pair.sign(&rng, VECTOR_DOCUMENT.as_bytes()).unwrap();
    let bare = base64::engine::general_purpose::STANDARD.encode(bare.as_ref());
    assert_eq!(
        verify_signature(&pair_public(&pair), VECTOR_DOCUMENT.as_bytes(), &bare),
        Err(GuaranteeError::SignatureInvalid)
    );
}

fn pair_public(pair: &EcdsaKeyPair) -> P256PublicKey {
    use ring::signature::KeyPair;
    P256PublicKey::parse_base64(
        &base64::engine::general_purpose::STANDARD.encode(pair.public_key().as_ref()),
    )
    .unwrap()
}

#[test]
fn each_unmet_rule_is_refused_with_its_reason() {
    let code = |doc: Value, bond: Option<i64>| check(&doc, &sign(&doc), bond).unwrap_err().code();
    assert_eq!(
        code(vector(), Some(2_000_001)),
        "guarantee_too_small",
        "one fen short of the lot's bond"
    );
    assert_eq!(code(vector(), None), "guarantee_wrong_party");
    assert_eq!(
        code(
            with("tenderer_id", "01890a5d-ac96-774b-bcce-b302099a8059".into()),
            Some(1)
        ),
        "guarantee_wrong_party"
    );
    assert_eq!(
        code(
            with("tender_id", "01890a5d-ac96-774b-bcce-b302099a8059".into()),
            Some(1)
        ),
        "guarantee_wrong_party"
    );
    assert_eq!(
        code(with("valid_from", "2027-03-26T01:00:01Z".into()), Some(1)),
        "guarantee_not_yet_valid"
    );
    // Valid at the deadline but not for the 90 days after it.
    assert_eq!(
        code(with("valid_until", "2027-06-24T00:59:59Z".into()), Some(1)),
        "guarantee_expired"
    );
    assert_eq!(
        check(
            &with("valid_until", "2027-06-24T01:00:00Z".into()),
            &sign(&with("valid_until", "2027-06-24T01:00:00Z".into())),
            Some(1)
        ),
        Ok(())
    );
    let mut perf = with("kind", "performance".into());
    perf.as_object_mut().unwrap().remove("lot_id");
    assert_eq!(code(perf, Some(1)), "guarantee_kind_not_accepted");
    let signed = SignedDocument::from_value(&vector()).unwrap();
    let (t, o) = (tender(), tenderer());
    let terms = BidBondTerms {
        tender: &t,
        tenderer: &o,
        lot_bond: Some(Money::from_fen(1).unwrap()),
        bid_deadline: deadline(),
    };
    assert_eq!(
        check_bid_guarantee(&signed, VECTOR_SIGNATURE, None, &terms)
            .unwrap_err()
            .code(),
        "guarantee_unknown_issuer"
    );
}

#[test]
fn a_malformed_document_is_named() {
    for bad in [
        with("extra", 1.into()),
        with("amount_fen", 0.into()),
        with("valid_until", "2027-02-01T00:00:00Z".into()),
        with("guarantee_number", "has space".into()),
        with("kind", "loan".into()),
        {
            let mut d = vector();
            d.as_object_mut().unwrap().remove("lot_id");
            d
        },
    ] {
        assert_eq!(
            SignedDocument::from_value(&bad).unwrap_err().code(),
            "guarantee_malformed",
            "{bad}"
        );
    }
}

#[test]
fn a_lot_is_covered_only_by_a_sufficient_guarantee_valid_and_on_record_at_the_deadline() {
    let signed = SignedDocument::from_value(&vector()).unwrap();
    let g = Guarantee {
        id: "g".into(),
        document: signed.document.clone(),
        document_text: VECTOR_DOCUMENT.into(),
        signature: VECTOR_SIGNATURE.into(),
        uploaded_at: Timestamp::parse("2027-03-20T00:00:00Z").unwrap(),
    };
    let lot = signed.document.lot_id.clone().unwrap();
    let fen = |n| Money::from_fen(n).unwrap();
    let covers = |gs: &[Guarantee], need, at| {
        covers_bid_bond(gs, &tender(), &lot, &tenderer(), fen(need), at)
    };
    assert!(covers(std::slice::from_ref(&g), 2_000_000, deadline()));
    assert!(!covers(std::slice::from_ref(&g), 2_000_001, deadline()));
    assert!(!covers(&[], 1, deadline()));
    let late = Guarantee {
        uploaded_at: deadline().plus_millis(1),
        ..g.clone()
    };
    assert!(!covers(&[late], 1, deadline()));
    let other_lot = LotId::parse("01890a5d-ac96-774b-bcce-b302099a8061").unwrap();
    assert!(!covers_bid_bond(
        std::slice::from_ref(&g),
        &tender(),
        &other_lot,
        &tenderer(),
        fen(1),
        deadline()
    ));
    // Expires within 90 days of a later deadline.
    assert!(!covers(
        &[g],
        1,
        Timestamp::parse("2027-06-10T00:00:00Z").unwrap()
    ));
}
