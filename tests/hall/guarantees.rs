//! Electronic guarantees over HTTP: the trading centre registers issuers, a tenderer uploads a
//! guarantee naming itself, each bad guarantee is refused with its reason, and the guarantee is
//! read back with the issuer's key so it can be verified again outside the hall.

use crate::common::*;
use base64::Engine;
use reqwest::StatusCode;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

struct IssuerKey(EcdsaKeyPair);

impl IssuerKey {
    fn new() -> IssuerKey {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        IssuerKey(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }
    fn public(&self) -> String {
        b64(self.0.public_key().as_ref())
    }
    /// Signs as docs/guarantees.md says: the domain line, then the RFC 8785 document.
    fn sign(&self, doc: &Value) -> String {
        let mut msg = b"bidhall-guarantee/1\n".to_vec();
        msg.extend_from_slice(&bidhall::canonical::canonicalize(doc));
        let sig = self.0.sign(&ring::rand::SystemRandom::new(), &msg).unwrap();
        b64(sig.as_ref())
    }
}

struct Setup {
    app: TestApp,
    platform: String,
    tenderer: String,
    tender: String,
    lot: String,
    tenderer_org: String,
    deadline: bidhall::domain::Timestamp,
    key: IssuerKey,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "电子保函测试").await;
    let platform = app.sign_in("platform").await;
    let key = IssuerKey::new();
    let r = app
        .post(
            "/api/guarantee-issuers",
            Some(&platform),
            json!({ "id": "PICC-LN", "name": "某财产保险股份有限公司辽宁分公司", "kind": "insurer", "public_key": key.public() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    Setup {
        tenderer: app.sign_in("tenderer1").await,
        tenderer_org: app.org_id("tenderer", "华建").await,
        tender: t["id"].as_str().unwrap().to_owned(),
        lot: t["spec"]["lots"][0]["id"].as_str().unwrap().to_owned(),
        deadline: ts(t["spec"]["schedule"]["bid_deadline"].as_str().unwrap()),
        platform,
        key,
        app,
    }
}

impl Setup {
    /// A good bid guarantee for tenderer1's lot: 20 000 yuan, valid from now to 120 days after
    /// the deadline.
    fn document(&self, number: &str) -> Value {
        json!({
            "issuer_id": "PICC-LN",
            "guarantee_number": number,
            "kind": "bid",
            "tender_id": self.tender,
            "lot_id": self.lot,
            "tenderer_id": self.tenderer_org,
            "amount_fen": 2_000_000,
            "valid_from": self.app.now().to_rfc3339(),
            "valid_until": self.deadline.plus_millis(120 * DAY_MS).to_rfc3339(),
        })
    }

    async fn upload(&self, token: Option<&str>, doc: &Value, signature: &str) -> Reply {
        self.app
            .post(
                format!("/api/tenders/{}/guarantees", self.tender),
                token,
                json!({ "document": doc, "signature": signature }),
            )
            .await
    }
}

#[tokio::test]
async fn the_trading_centre_registers_issuers_that_anyone_can_list_with_their_keys() {
    let s = setup().await;
    let app = &s.app;
    let listed = app.get("/api/guarantee-issuers", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body[0]["id"], "PICC-LN");
    assert_eq!(listed.body[0]["kind"], "insurer");
    assert_eq!(listed.body[0]["public_key"], s.key.public());

    let another = json!({ "id": "BOC-LN", "name": "某银行", "kind": "bank", "public_key": IssuerKey::new().public() });
    let r = app
        .post("/api/guarantee-issuers", Some(&s.tenderer), another.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let agent = app.sign_in("agent").await;
    let r = app
        .post("/api/guarantee-issuers", Some(&agent), another.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post("/api/guarantee-issuers", None, another.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let mut dup = another.clone();
    dup["id"] = "PICC-LN".into();
    let r = app
        .post("/api/guarantee-issuers", Some(&s.platform), dup)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "issuer_exists")
    );
    let mut bad_key = another.clone();
    bad_key["public_key"] = "AAAA".into();
    let r = app
        .post("/api/guarantee-issuers", Some(&s.platform), bad_key)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["details"]["field"], "public_key");
    let listed = app.get("/api/guarantee-issuers", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_tenderer_s_verified_guarantee_is_kept_and_can_be_verified_again_by_anyone_after_the_deadline(
) {
    let s = setup().await;
    let doc = s.document("BH-2027-0001");
    let before = s.app.log_size().await;
    let r = s.upload(Some(&s.tenderer), &doc, &s.key.sign(&doc)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(s.app.log_size().await, before + 1, "one audit entry");
    let id = r.body["id"].as_str().unwrap().to_owned();

    let mine = s
        .app
        .get(format!("/api/guarantees/{id}"), Some(&s.tenderer))
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    // Everything needed to check it outside the hall: the signed bytes, the signature, the key.
    let key = base64::engine::general_purpose::STANDARD
        .decode(mine.body["issuer"]["public_key"].as_str().unwrap())
        .unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(mine.body["signature"].as_str().unwrap())
        .unwrap();
    let mut msg = b"bidhall-guarantee/1\n".to_vec();
    msg.extend_from_slice(mine.body["document_text"].as_str().unwrap().as_bytes());
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &key)
        .verify(&msg, &sig)
        .expect("the issuer's signature verifies outside the hall");
    assert_eq!(
        mine.body["document"]["tenderer_id"],
        s.tenderer_org.as_str()
    );

    // Before the opening the tenderers stay confidential: nobody else learns of it.
    let other = s.app.sign_in("tenderer2").await;
    let agent = s.app.sign_in("agent").await;
    for token in [Some(other.as_str()), Some(agent.as_str()), None] {
        let r = s.app.get(format!("/api/guarantees/{id}"), token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = s
        .app
        .get(format!("/api/guarantees/{id}"), Some(&s.platform))
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // The same guarantee twice is refused.
    let r = s.upload(Some(&s.tenderer), &doc, &s.key.sign(&doc)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "guarantee_duplicate")
    );

    s.app.advance_days(26);
    let public = s.app.get(format!("/api/guarantees/{id}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["issuer"]["public_key"], s.key.public());
    // After the deadline no guarantee is taken any more.
    let tenderer = s.app.sign_in("tenderer1").await;
    let late = s.document("BH-2027-0002");
    let r = s.upload(Some(&tenderer), &late, &s.key.sign(&late)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "guarantee_too_late")
    );
}

#[tokio::test]
async fn each_bad_guarantee_is_refused_with_its_reason() {
    let s = setup().await;
    let before = s.app.log_size().await;
    let refused = |doc: Value, sig: Option<String>, code: &'static str| {
        let s = &s;
        async move {
            let sig = sig.unwrap_or_else(|| s.key.sign(&doc));
            let r = s.upload(Some(&s.tenderer), &doc, &sig).await;
            assert_eq!(r.code(), code, "{:?}", r.body);
            assert!(r.status.is_client_error());
        }
    };
    let good = s.document("BH-1");
    // Forged: signed by a key that is not the issuer's.
    refused(
        good.clone(),
        Some(IssuerKey::new().sign(&good)),
        "guarantee_signature_invalid",
    )
    .await;
    // Altered after signing: the amount raised.
    let mut raised = good.clone();
    raised["amount_fen"] = 9_000_000.into();
    refused(
        raised,
        Some(s.key.sign(&good)),
        "guarantee_signature_invalid",
    )
    .await;
    let mut small = s.document("BH-2");
    small["amount_fen"] = 1_999_999.into();
    refused(small, None, "guarantee_too_small").await;
    let mut short = s.document("BH-3");
    short["valid_until"] = s.deadline.plus_millis(30 * DAY_MS).to_rfc3339().into();
    refused(short, None, "guarantee_expired").await;
    let mut later = s.document("BH-4");
    later["valid_from"] = s.deadline.plus_millis(DAY_MS).to_rfc3339().into();
    refused(later, None, "guarantee_not_yet_valid").await;
    let mut unknown = s.document("BH-5");
    unknown["issuer_id"] = "NOBODY".into();
    refused(unknown, None, "guarantee_unknown_issuer").await;
    let mut no_lot = s.document("BH-6");
    no_lot["lot_id"] = "01890a5d-ac96-774b-bcce-b302099a8060".into();
    refused(no_lot, None, "guarantee_wrong_party").await;
    let mut extra = s.document("BH-7");
    extra["note"] = "x".into();
    refused(extra, None, "guarantee_malformed").await;
    assert_eq!(s.app.log_size().await, before, "nothing refused is logged");
}

#[tokio::test]
async fn only_the_tenderer_a_guarantee_names_may_give_it() {
    let s = setup().await;
    let doc = s.document("BH-9");
    let sig = s.key.sign(&doc);
    // Another tenderer cannot hand in tenderer1's guarantee.
    let other = s.app.sign_in("tenderer2").await;
    let r = s.upload(Some(&other), &doc, &sig).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "guarantee_wrong_party")
    );
    // Nor can the agent, the trading centre or the public.
    for login in ["agent", "platform", "supervisor"] {
        let t = s.app.sign_in(login).await;
        let r = s.upload(Some(&t), &doc, &sig).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!(
        s.upload(None, &doc, &sig).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The guarantee is still free to be given by its tenderer.
    let r = s.upload(Some(&s.tenderer), &doc, &sig).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // A guarantee for a tender that does not exist.
    let r = s
        .app
        .post(
            "/api/tenders/01890a5d-ac96-774b-bcce-b302099a8057/guarantees",
            Some(&s.tenderer),
            json!({ "document": doc, "signature": sig }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
