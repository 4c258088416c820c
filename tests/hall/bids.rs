//! The sealed bid box over HTTP: custodian keys, sealed bids received and receipted, the deadline
//! to the millisecond, refusals, and that nothing the hall stores reveals a bid.

use crate::common::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bidhall::bids::receipt::ReceiptBody;
use bidhall::identity::keys::test_support::{new_pair, proof_for, sign};
use bidhall::sealbox::envelope::{self, SealParams};
use bidhall::sealbox::keys::{CustodianPrivateKey, CustodianPublicKey, TendererSigningKey};
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use serde_json::{json, Value};

/// A published tender whose custodians have all registered keys, and a tenderer ready to bid.
pub(crate) struct Box_ {
    pub(crate) tender: String,
    pub(crate) lot: String,
    pub(crate) deadline: bidhall::domain::Timestamp,
    pub(crate) custodian_keys: Vec<Option<CustodianPrivateKey>>,
    pub(crate) tenderer: String,
    pub(crate) tenderer_org: String,
    pub(crate) signer_pkcs8: Vec<u8>,
}

pub(crate) async fn org_of(app: &TestApp, token: &str) -> String {
    app.get("/api/me", Some(token)).await.body["org_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Registers a P-256 signing key for the signed-in user's organisation; returns its PKCS#8.
pub(crate) async fn signing_key(app: &TestApp, token: &str) -> Vec<u8> {
    let org = bidhall::domain::OrgId::parse(&org_of(app, token).await).unwrap();
    let (_, pkcs8) = new_pair();
    let (public, proof) = proof_for(&pkcs8, &org);
    let r = app
        .post(
            "/api/keys",
            Some(token),
            json!({ "label": "测试密钥", "public_key": public.to_base64(), "proof": proof }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    pkcs8
}

async fn register_custodian(
    app: &TestApp,
    tender: &str,
    index: u8,
    login: &str,
) -> CustodianPrivateKey {
    let token = app.sign_in(login).await;
    let pkcs8 = signing_key(app, &token).await;
    let key = CustodianPrivateKey::generate(&SystemRandom::new()).unwrap();
    let public = B64.encode(key.public_key().to_sec1());
    let tid = bidhall::domain::TenderId::parse(tender).unwrap();
    let signature = sign(
        &pkcs8,
        &bidhall::bids::key_registration_message(&tid, index, &public),
    );
    let r = app
        .post(
            format!("/api/tenders/{tender}/custodians/{index}/key"),
            Some(&token),
            json!({ "public_key": public, "signature": signature }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{login}: {:?}", r.body);
    key
}

/// Two more tenderers bid for the box's lot, so that it has the 3 bids a lot needs to be opened
/// (条例44); their bids are honest and come after the test's own.
pub(crate) async fn two_more_bids(app: &TestApp, b: &Box_) {
    for (i, login) in ["tenderer2", "tenderer3"].iter().enumerate() {
        let code = credit_code(&format!("91210100MA0Y8300{i}"));
        let who = crate::opening::bidder(app, b, login, &code).await;
        crate::opening::bid(app, b, &who, &bid_archive(99_000_000 + i as i64)).await;
    }
}

pub(crate) async fn open_box(app: &TestApp) -> Box_ {
    open_box_with(app, json!({})).await
}

/// The box of a tender whose spec has `overrides` (top-level fields) over the legal default.
pub(crate) async fn open_box_with(app: &TestApp, overrides: Value) -> Box_ {
    let agent = app.sign_in("agent").await;
    let mut spec = app.spec("密封投标").await;
    for (k, v) in overrides.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let draft = app.draft_tender(&agent, spec).await;
    let published = app
        .post(
            format!("/api/tenders/{}/publish", draft["id"].as_str().unwrap()),
            Some(&agent),
            json!({ "version": draft["version"] }),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    let t = published.body;
    let tender = t["id"].as_str().unwrap().to_string();
    let lot = t["spec"]["lots"][0]["id"].as_str().unwrap().to_string();
    // demo custodians: 1 time-release (the hall's), 2 agent, 3 supervisor, 4 witness
    let listed = app
        .get(format!("/api/tenders/{tender}/custodians"), None)
        .await;
    assert_eq!(
        listed.body[0]["registered_by"], "time-release",
        "{:?}",
        listed.body
    );
    let k2 = register_custodian(app, &tender, 2, "agent").await;
    let k3 = register_custodian(app, &tender, 3, "supervisor").await;
    let k4 = register_custodian(app, &tender, 4, "witness").await;
    let tenderer = app.sign_in("tenderer1").await;
    let obtained = app
        .post(
            format!("/api/tenders/{tender}/obtain"),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(obtained.status, StatusCode::OK);
    let signer_pkcs8 = signing_key(app, &tenderer).await;
    Box_ {
        deadline: ts(t["spec"]["schedule"]["bid_deadline"].as_str().unwrap()),
        tender,
        lot,
        custodian_keys: vec![None, Some(k2), Some(k3), Some(k4)],
        tenderer_org: org_of(app, &tenderer).await,
        tenderer,
        signer_pkcs8,
    }
}

pub(crate) async fn params(app: &TestApp, b: &Box_) -> SealParams {
    let listed = app
        .get(format!("/api/tenders/{}/custodians", b.tender), None)
        .await;
    let custodians = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            CustodianPublicKey::from_sec1(&B64.decode(c["public_key"].as_str().unwrap()).unwrap())
                .unwrap()
        })
        .collect();
    SealParams {
        tender_id: b.tender.clone(),
        lot_id: b.lot.clone(),
        tenderer_id: b.tenderer_org.clone(),
        custodians,
        k: 3,
    }
}

/// Tenderer `login` bids `payload` (a bid archive) in the box's lot: it obtains the documents and
/// registers a signing key unless it is the box's own tenderer, seals on its device and submits.
pub(crate) async fn bid_as(app: &TestApp, b: &Box_, login: &str, payload: &[u8]) {
    let token = app.sign_in(login).await;
    let org = org_of(app, &token).await;
    let pkcs8 = if org == b.tenderer_org {
        b.signer_pkcs8.clone()
    } else {
        let obtained = app
            .post(
                format!("/api/tenders/{}/obtain", b.tender),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(
            obtained.status,
            StatusCode::OK,
            "{login}: {:?}",
            obtained.body
        );
        signing_key(app, &token).await
    };
    let envelope = seal_as(app, b, &org, &pkcs8, payload).await;
    let (status, body) = submit(app, b, envelope, &token).await;
    assert_eq!(status, StatusCode::CREATED, "{login}: {body}");
}

/// Seals `payload` on the box's own tenderer's "device".
pub(crate) async fn seal(app: &TestApp, b: &Box_, payload: &[u8]) -> Vec<u8> {
    seal_as(app, b, &b.tenderer_org, &b.signer_pkcs8, payload).await
}

/// Seals `payload` on the device of tenderer `org`, signed with its key.
pub(crate) async fn seal_as(
    app: &TestApp,
    b: &Box_,
    org: &str,
    pkcs8: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut p = params(app, b).await;
    p.tenderer_id = org.to_string();
    let rng = SystemRandom::new();
    let signer = TendererSigningKey::from_pkcs8(pkcs8, &rng).unwrap();
    let mut out = Vec::new();
    envelope::seal(&p, &signer, payload, payload.len() as u64, &mut out, &rng).unwrap();
    out
}

pub(crate) async fn submit(
    app: &TestApp,
    b: &Box_,
    envelope: Vec<u8>,
    token: &str,
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!(
            "{}/api/tenders/{}/lots/{}/bid",
            app.base, b.tender, b.lot
        ))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(envelope)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_sealed_bid_is_receipted_and_the_log_learns_nothing_of_it() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(
        &app,
        &b,
        br#"{"price_fen": 98765400, "duration_days": 180}"#,
    )
    .await;
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &envelope));
    let (status, r) = submit(&app, &b, envelope.clone(), &b.tenderer).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["envelope_sha256"], sha.as_str());
    // the receipt verifies offline with the hall's key
    let key = log_key(&app).await;
    let verifier = bidhall::auditlog::note::NoteVerifier::parse(key.trim()).unwrap();
    let body = ReceiptBody::verify(r["receipt"].as_str().unwrap(), &verifier).unwrap();
    assert_eq!(
        (body.tender.as_str(), body.envelope_sha256.as_str()),
        (b.tender.as_str(), sha.as_str())
    );
    // the log entry names neither the tender nor the tenderer, only a commitment the salt opens
    let e = app
        .get(format!("/api/log/entries/{}", r["log_index"]), None)
        .await;
    let text = e.body["entry"].to_string();
    assert!(
        !text.contains(&b.tenderer_org) && !text.contains(&b.tender),
        "{text}"
    );
    let salt: [u8; 32] = hex::decode(r["salt"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let opened = bidhall::auditlog::event::commitment(
        &salt,
        &format!("{}\n{}\n{}", b.tender, b.lot, b.tenderer_org),
    );
    assert_eq!(e.body["entry"]["actor"]["commitment"], opened.as_str());
    // the tenderer sees its bid; nobody else can list bids
    let mine = app
        .get(
            format!("/api/tenders/{}/bids/mine", b.tender),
            Some(&b.tenderer),
        )
        .await;
    assert_eq!(mine.body[0]["state"], "submitted");
    for login in ["agent", "owner", "supervisor", "platform"] {
        let t = app.sign_in(login).await;
        assert_eq!(
            app.get(format!("/api/tenders/{}/bids/mine", b.tender), Some(&t))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
}

#[tokio::test]
async fn the_box_closes_at_the_deadline_to_the_millisecond() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    app.clock.set(b.deadline.plus_millis(-1));
    let tenderer = app.sign_in("tenderer1").await;
    let envelope = seal(&app, &b, b"{\"price_fen\": 1}").await;
    let (status, r) = submit(&app, &b, envelope.clone(), &tenderer).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "deadline - 1 ms is in time: {r}"
    );
    app.clock.set(b.deadline);
    let (status, r) = submit(&app, &b, envelope, &tenderer).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(r["error"]["code"], "box_closed");
    let w = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&tenderer),
            None,
        )
        .await;
    assert_eq!(
        w.code(),
        "box_closed",
        "no withdrawal after the deadline either"
    );
    // the box's closing is logged once, with the number of bids, and the hall's custodian releases
    bidhall::bids::closing::close_due_boxes(&app.app)
        .await
        .unwrap();
    assert!(
        bidhall::bids::closing::close_due_boxes(&app.app)
            .await
            .unwrap()
            .is_empty(),
        "closed once"
    );
    let entries = app
        .get(
            format!("/api/log/entries?tender={}&limit=1000", b.tender),
            None,
        )
        .await;
    let closed: Vec<&Value> = entries
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "box_closed")
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["entry"]["payload"]["bids"], 1);
    let released = entries
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "share_released")
        .count();
    assert_eq!(
        released, 0,
        "one bid: the lot is not opened (条例44), so not even the hall's custodian releases"
    );
}

#[tokio::test]
async fn a_bid_is_replaced_or_withdrawn_and_the_latest_counts() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let first = seal(&app, &b, b"{\"price_fen\": 100}").await;
    let second = seal(&app, &b, b"{\"price_fen\": 90}").await;
    assert_eq!(
        submit(&app, &b, first, &b.tenderer).await.0,
        StatusCode::CREATED
    );
    let (_, r2) = submit(&app, &b, second, &b.tenderer).await;
    let mine = app
        .get(
            format!("/api/tenders/{}/bids/mine", b.tender),
            Some(&b.tenderer),
        )
        .await;
    let states: Vec<&str> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["submitted", "replaced"]);
    assert_eq!(mine.body[0]["envelope_sha256"], r2["envelope_sha256"]);
    let w = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&b.tenderer),
            None,
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{:?}", w.body);
    assert_eq!(w.body["action"], "withdrawn");
    let again = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&b.tenderer),
            None,
        )
        .await;
    assert_eq!(again.code(), "no_bid");
}

#[tokio::test]
async fn the_wrong_party_or_a_bad_envelope_gets_no_receipt() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, b"{\"price_fen\": 5}").await;
    // an agent cannot bid; a tenderer that did not obtain the documents cannot either
    let agent = app.sign_in("agent").await;
    assert_eq!(
        submit(&app, &b, envelope.clone(), &agent).await.0,
        StatusCode::FORBIDDEN
    );
    let other = app.sign_in("tenderer2").await;
    let (status, r) = submit(&app, &b, envelope.clone(), &other).await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("documents_not_obtained"))
    );
    // another tenderer uploading this tenderer's envelope: not sealed for it
    app.post(
        format!("/api/tenders/{}/obtain", b.tender),
        Some(&other),
        json!({}),
    )
    .await;
    let (status, r) = submit(&app, &b, envelope.clone(), &other).await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_envelope")),
        "{r}"
    );
    // a flipped bit in the header breaks the signature; a truncated body is refused
    let mut flipped = envelope.clone();
    flipped[40] ^= 1;
    assert_eq!(
        submit(&app, &b, flipped, &b.tenderer).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let truncated = envelope[..envelope.len() - 10].to_vec();
    let (status, r) = submit(&app, &b, truncated, &b.tenderer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("truncated"));
    let mut longer = envelope.clone();
    longer.extend_from_slice(b"extra");
    assert_eq!(
        submit(&app, &b, longer, &b.tenderer).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mine = app
        .get(
            format!("/api/tenders/{}/bids/mine", b.tender),
            Some(&b.tenderer),
        )
        .await;
    assert_eq!(
        mine.body.as_array().unwrap().len(),
        0,
        "no refused upload became a bid"
    );
}

#[tokio::test]
async fn bidding_waits_for_every_custodian_and_keys_come_only_from_their_holders() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "托管人未齐").await;
    let tender = t["id"].as_str().unwrap().to_string();
    let lot = t["spec"]["lots"][0]["id"].as_str().unwrap().to_string();
    // a tenderer or another agent cannot register the agent's or the supervisor's key
    for (login, index) in [
        ("tenderer1", 2),
        ("agent2", 2),
        ("agent", 3),
        ("platform", 1),
    ] {
        let token = app.sign_in(login).await;
        let r = app
            .post(
                format!("/api/tenders/{tender}/custodians/{index}/key"),
                Some(&token),
                json!({ "public_key": "AA==", "signature": "AA==" }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{login} for custodian {index}: {:?}",
            r.body
        );
    }
    // a key signed by a key that is not the organisation's is refused
    let key = CustodianPrivateKey::generate(&SystemRandom::new()).unwrap();
    let (_, stranger) = new_pair();
    let public = B64.encode(key.public_key().to_sec1());
    let tid = bidhall::domain::TenderId::parse(&tender).unwrap();
    let sig = sign(
        &stranger,
        &bidhall::bids::key_registration_message(&tid, 2, &public),
    );
    let r = app
        .post(
            format!("/api/tenders/{tender}/custodians/2/key"),
            Some(&agent),
            json!({ "public_key": public, "signature": sig }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // the agent registers properly; twice is refused
    register_custodian(&app, &tender, 2, "agent").await;
    let tenderer = app.sign_in("tenderer1").await;
    app.post(
        format!("/api/tenders/{tender}/obtain"),
        Some(&tenderer),
        json!({}),
    )
    .await;
    let r = app
        .client
        .post(format!("{}/api/tenders/{tender}/lots/{lot}/bid", app.base))
        .bearer_auth(&tenderer)
        .body(vec![0u8; 16])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "custodians_incomplete");
    assert_eq!(body["error"]["details"]["missing"], json!([3, 4]));
}

#[tokio::test]
async fn nothing_the_hall_writes_contains_the_bid_or_its_keys() {
    // every file the hall writes, the ciphertext included: files kept in its data folder
    let app = TestApp::spawn_with(|c| c.store.object_store = None).await;
    let b = open_box(&app).await;
    let marker = b"MARKER-3f9c2a7e-the-secret-price-98765400";
    let mut payload = br#"{"price_fen": 98765400, "note": ""#.to_vec();
    payload.extend_from_slice(marker);
    payload.extend_from_slice(br#""}"#);
    let envelope = seal(&app, &b, &payload).await;
    let (status, _) = submit(&app, &b, envelope.clone(), &b.tenderer).await;
    assert_eq!(status, StatusCode::CREATED);
    // The content key and shares exist only inside the envelope; opening it here (as custodians
    // will at the opening) gives the secrets to look for in everything the hall wrote.
    let header_len = bidhall::sealbox::envelope::Header::declared_len(&envelope[..12]).unwrap();
    let header = bidhall::sealbox::envelope::Header::parse(&envelope[..header_len]).unwrap();
    let mut shares = Vec::new();
    for (i, k) in b.custodian_keys.iter().enumerate() {
        if let Some(k) = k {
            shares.push(envelope::open_share(&header, (i + 1) as u8, k).unwrap());
        }
    }
    let ck = envelope::rebuild_key(&header, &shares).unwrap();
    let mut needles: Vec<Vec<u8>> = vec![
        marker.to_vec(),
        b"98765400".to_vec(),
        ck.expose_secret().to_vec(),
    ];
    for s in &shares {
        needles.push(s.share.to_vec());
        needles.push(hex::encode(s.share).into_bytes());
        needles.push(B64.encode(s.share).into_bytes());
    }
    needles.push(hex::encode(ck.expose_secret()).into_bytes());
    needles.push(B64.encode(ck.expose_secret()).into_bytes());
    // every file under the data folder: the database (SQLite), its WAL, blobs, keys
    let mut files = Vec::new();
    let mut stack = vec![app.args.store.data_dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("sha256")),
        "the ciphertext is stored"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == &n[..]),
                "{} contains a secret ({} bytes)",
                f.display(),
                n.len()
            );
        }
    }
    // and the audit log, on whichever database
    let entries = app
        .app
        .store
        .audit_entries(None, -1, 100_000)
        .await
        .unwrap();
    for e in &entries {
        for n in &needles {
            assert!(
                !e.entry.windows(n.len()).any(|w| w == &n[..]),
                "log entry {} contains a secret",
                e.index
            );
        }
    }
}

/// A bid archive as a tenderer's client makes it: bid.json first, then attachments.
pub(crate) fn bid_archive(price_fen: i64) -> Vec<u8> {
    let bid = format!(r#"{{"price_fen": {price_fen}, "duration_days": 180, "quality": "合格"}}"#);
    let attachment = b"%PDF-1.7 technical proposal";
    let mut w = bidhall::sealbox::tar::TarWriter::new(Vec::new());
    w.append("bid.json", bid.len() as u64, bid.as_bytes())
        .unwrap();
    w.append("technical.pdf", attachment.len() as u64, &attachment[..])
        .unwrap();
    w.finish().unwrap()
}

/// Custodian `index` fetches the headers, opens its shares with its own key, and releases them.
pub(crate) async fn release_as(
    app: &TestApp,
    b: &Box_,
    login: &str,
    index: u8,
    corrupt: bool,
) -> (StatusCode, Value) {
    let token = app.sign_in(login).await;
    let key = b.custodian_keys[usize::from(index) - 1].as_ref().unwrap();
    let listed = app
        .get(
            format!("/api/tenders/{}/opening/shares/{index}", b.tender),
            Some(&token),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let mut releases = Vec::new();
    for item in listed.body.as_array().unwrap() {
        let header = bidhall::sealbox::envelope::Header::parse(
            &B64.decode(item["header"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        let share = envelope::open_share(&header, index, key).unwrap();
        let mut bytes = share.to_bytes().to_vec();
        if corrupt {
            bytes[5] ^= 1;
        }
        releases.push(json!({ "bid_id": item["bid_id"], "share": B64.encode(bytes) }));
    }
    let r = app
        .post(
            format!("/api/tenders/{}/opening/shares/{index}", b.tender),
            Some(&token),
            json!(releases),
        )
        .await;
    (r.status, r.body)
}

#[tokio::test]
async fn k_custodians_open_the_box_after_the_deadline_and_k_minus_one_cannot() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(98_765_400)).await;
    assert_eq!(
        submit(&app, &b, envelope, &b.tenderer).await.0,
        StatusCode::CREATED
    );
    // nothing is released before the opening time
    let agent = app.sign_in("agent").await;
    let early = app
        .get(
            format!("/api/tenders/{}/opening/shares/2", b.tender),
            Some(&agent),
        )
        .await;
    assert_eq!(early.code(), "too_early");
    // the deadline passes and the box closes (the watcher would within a second)
    two_more_bids(&app, &b).await;
    app.clock.set(b.deadline);
    bidhall::bids::closing::close_due_boxes(&app.app)
        .await
        .unwrap();
    let (agent, supervisor) = (app.sign_in("agent").await, app.sign_in("supervisor").await);
    let url = format!("/api/tenders/{}/opening/decrypt", b.tender);
    // the time-release custodian releases by itself: 1 of k = 3
    let r = app.post(&url, Some(&agent), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body[0]["status"], "waiting");
    assert_eq!(r.body[0]["detail"]["missing_custodians"], json!([2, 3, 4]));
    // the agent releases: 2 of 3 — still sealed
    assert_eq!(
        release_as(&app, &b, "agent", 2, false).await.0,
        StatusCode::OK
    );
    let r = app.post(&url, Some(&supervisor), json!({})).await;
    assert_eq!(r.body[0]["status"], "waiting", "k - 1 shares open nothing");
    // the supervisor releases: k = 3 of 4 — the key could be rebuilt, but a bid is judged on
    // every share or on the shares of the whole release window, never on whichever came first
    assert_eq!(
        release_as(&app, &b, "supervisor", 3, false).await.0,
        StatusCode::OK
    );
    let r = app.post(&url, Some(&agent), json!({})).await;
    assert_eq!(r.body[0]["status"], "waiting", "{:?}", r.body);
    assert_eq!(r.body[0]["detail"]["missing_custodians"], json!([4]));
    // the witness releases: all four in — opened
    assert_eq!(
        release_as(&app, &b, "witness", 4, false).await.0,
        StatusCode::OK
    );
    let r = app.post(&url, Some(&agent), json!({})).await;
    assert_eq!(r.body[0]["status"], "opened", "{:?}", r.body);
    assert_eq!(r.body[0]["detail"]["bid"]["price_fen"], 98_765_400);
    assert_eq!(
        r.body[0]["detail"]["attachments"][0]["name"],
        "technical.pdf"
    );
    // a tenderer cannot run the opening or fetch shares
    let tenderer = app.sign_in("tenderer1").await;
    assert_eq!(
        app.post(&url, Some(&tenderer), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(
            format!("/api/tenders/{}/opening/shares/2", b.tender),
            Some(&tenderer)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_share_that_does_not_match_its_commitment_is_refused_naming_the_custodian() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(1)).await;
    assert_eq!(
        submit(&app, &b, envelope, &b.tenderer).await.0,
        StatusCode::CREATED
    );
    two_more_bids(&app, &b).await;
    app.clock.set(b.deadline.plus_millis(1));
    let (status, body) = release_as(&app, &b, "witness", 4, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "share_mismatch");
    assert_eq!(body["error"]["details"]["custodian"], 4);
    // the agent cannot release the witness's share
    let agent = app.sign_in("agent").await;
    let r = app
        .post(
            format!("/api/tenders/{}/opening/shares/4", b.tender),
            Some(&agent),
            json!([]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

fn bidhall_cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn the_command_line_seals_uploads_verifies_and_releases() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    std::fs::write(path("signing.p8"), &b.signer_pkcs8).unwrap();
    std::fs::write(
        path("bid.json"),
        br#"{"price_fen": 12345600, "duration_days": 90}"#,
    )
    .unwrap();
    std::fs::write(path("proposal.pdf"), vec![b'%'; 300_000]).unwrap();
    let out = {
        let (url, tender, lot) = (app.base.clone(), b.tender.clone(), b.lot.clone());
        let (bid, pdf, key, env_out, token) = (
            path("bid.json"),
            path("proposal.pdf"),
            path("signing.p8"),
            path("bid.bhseal"),
            b.tenderer.clone(),
        );
        tokio::task::spawn_blocking(move || {
            bidhall_cli(
                &[
                    "seal",
                    "--tender",
                    &tender,
                    "--lot",
                    &lot,
                    "--bid",
                    &bid,
                    "--attach",
                    &pdf,
                    "--signing-key",
                    &key,
                    "--out",
                    &env_out,
                    "--upload",
                ],
                &[("BIDHALL_URL", &url), ("BIDHALL_TOKEN", &token)],
            )
        })
        .await
        .unwrap()
    };
    assert!(
        out.status.success(),
        "seal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the receipt verifies offline, and a changed one does not
    let key = log_key(&app).await;
    std::fs::write(path("log.key"), key).unwrap();
    let ok = bidhall_cli(
        &[
            "receipt",
            "verify",
            &path("bid.receipt"),
            "--key",
            &path("log.key"),
        ],
        &[],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let forged = std::fs::read_to_string(path("bid.receipt"))
        .unwrap()
        .replacen("submitted", "withdrawn", 1);
    std::fs::write(path("forged.receipt"), forged).unwrap();
    let bad = bidhall_cli(
        &[
            "receipt",
            "verify",
            &path("forged.receipt"),
            "--key",
            &path("log.key"),
        ],
        &[],
    );
    assert!(!bad.status.success(), "a changed receipt must not verify");
    // and the log entry is provably in the log, offline
    let prove = bidhall_cli(
        &[
            "log",
            "prove",
            &path("bid.log-receipt.json"),
            "--key",
            &path("log.key"),
        ],
        &[],
    );
    assert!(
        prove.status.success(),
        "log prove: {}",
        String::from_utf8_lossy(&prove.stderr)
    );
    assert!(String::from_utf8_lossy(&prove.stdout).contains("bid_received"));
    // at the opening, the three other custodians release from the command line
    two_more_bids(&app, &b).await;
    app.clock.set(b.deadline);
    for (index, login) in [(2u8, "agent"), (3, "supervisor"), (4, "witness")] {
        let key = b.custodian_keys[usize::from(index) - 1].as_ref().unwrap();
        let file = path(&format!("custodian{index}.key"));
        std::fs::write(&file, key.to_key_file().unwrap().as_bytes()).unwrap();
        let token = app.sign_in(login).await;
        let (url, tender) = (app.base.clone(), b.tender.clone());
        let out = tokio::task::spawn_blocking(move || {
            bidhall_cli(
                &[
                    "custodian",
                    "release",
                    "--tender",
                    &tender,
                    "--index",
                    &index.to_string(),
                    "--key",
                    &file,
                ],
                &[("BIDHALL_URL", &url), ("BIDHALL_TOKEN", &token)],
            )
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "release {index}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let agent = app.sign_in("agent").await;
    let r = app
        .post(
            format!("/api/tenders/{}/opening/decrypt", b.tender),
            Some(&agent),
            json!({}),
        )
        .await;
    assert_eq!(r.body[0]["status"], "opened", "{:?}", r.body);
    assert_eq!(r.body[0]["detail"]["bid"]["price_fen"], 12_345_600);
    assert_eq!(r.body[0]["detail"]["attachments"][0]["size"], 300_000);
    // anyone re-checks the opening from the public record, with no account
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    assert_eq!(record.body[0]["org_id"], b.tenderer_org.as_str());
    // the command line sealed a version 2 envelope: the record has its announced key, who
    // released, and no share
    assert_eq!(record.body[0]["version"], 2);
    assert_eq!(record.body[0]["released_by"], json!([1, 2, 3, 4]));
    assert_eq!(record.body[0]["announced_key"].as_str().unwrap().len(), 64);
    assert!(record.body[0].get("shares").is_none());
    let (url, tender) = (app.base.clone(), b.tender.clone());
    let out = tokio::task::spawn_blocking(move || {
        bidhall_cli(
            &["bid", "verify", "--tender", &tender],
            &[("BIDHALL_URL", &url)],
        )
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "bid verify: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("12345600"), "{text}");
    assert!(text.contains("announced key matches"), "{text}");
}

#[tokio::test]
async fn an_envelope_over_the_size_limit_is_refused_before_it_is_read() {
    let app = TestApp::spawn_with(|a| a.max_bid_mib = 1).await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &vec![7u8; 2 * 1024 * 1024]).await;
    let (status, r) = submit(&app, &b, envelope, &b.tenderer).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    assert_eq!(r["error"]["code"], "bid_too_large");
}

// ---- after the opening: the public verifies, the entitled read (envelope version 2) ----------

/// bid.json as the bid page writes it: the announced fields (开标一览表).
pub(crate) fn bid_json(price_fen: i64) -> Vec<u8> {
    format!(r#"{{"price_fen":"{price_fen}","duration_days":180,"quality_commitment":"合格"}}"#)
        .into_bytes()
}

/// The technical proposal every v2 test bid attaches; its words must never reach the public.
pub(crate) const PROPOSAL: &[u8] = b"%PDF-1.7 technical proposal: confidential method statement";

/// Seals a version 2 envelope on the device of tenderer `org`: `bid` announced, `attachments` as
/// the documents archive.
pub(crate) async fn seal_v2_as(
    app: &TestApp,
    b: &Box_,
    org: &str,
    pkcs8: &[u8],
    bid: &[u8],
    attachments: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut p = params(app, b).await;
    p.tenderer_id = org.to_string();
    let rng = SystemRandom::new();
    let signer = TendererSigningKey::from_pkcs8(pkcs8, &rng).unwrap();
    let mut tar = bidhall::sealbox::tar::TarWriter::documents(Vec::new());
    for (name, data) in attachments {
        tar.append(name, data.len() as u64, *data).unwrap();
    }
    let documents = tar.finish().unwrap();
    let mut out = Vec::new();
    envelope::seal_v2(
        &p,
        &signer,
        bid,
        &documents[..],
        documents.len() as u64,
        &mut out,
        &rng,
    )
    .unwrap();
    out
}

/// A concluded opening of three bids — tenderer1 and tenderer2 sealed version 2 envelopes,
/// tenderer3 an old version 1 envelope — with the expert draw done and the committee formed;
/// returns the box, the bidders and the committee members' one-time codes.
pub(crate) async fn concluded_with_committee(
    app: &TestApp,
) -> (Box_, Vec<crate::opening::Bidder>, Vec<String>) {
    let b = open_box(app).await;
    crate::award::expert_draw(app, &b.tender).await;
    let mut bidders = Vec::new();
    for (i, login) in ["tenderer1", "tenderer2", "tenderer3"].iter().enumerate() {
        let who = crate::opening::bidder(
            app,
            &b,
            login,
            &credit_code(&format!("91210100MA0Y8000{i}")),
        )
        .await;
        let price = 98_000_000 + i as i64 * 1_000_000;
        let sealed = if i < 2 {
            seal_v2_as(
                app,
                &b,
                &who.org,
                &who.pkcs8,
                &bid_json(price),
                &[("attachments/technical.pdf", PROPOSAL)],
            )
            .await
        } else {
            seal_as(app, &b, &who.org, &who.pkcs8, &bid_archive(price)).await
        };
        let (status, body) = submit(app, &b, sealed, &who.token).await;
        assert_eq!(status, StatusCode::CREATED, "{login}: {body}");
        bidders.push(who);
    }
    crate::award::conclude_opening(app, &b, &mut bidders).await;
    let agent = app.sign_in("agent").await;
    let formed = crate::award::committee(app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let codes = crate::award::codes(&formed)
        .into_iter()
        .map(|(_, code)| code)
        .collect();
    (b, bidders, codes)
}

pub(crate) async fn documents(
    app: &TestApp,
    b: &Box_,
    bid: &str,
    token: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = app.client.get(format!(
        "{}/api/tenders/{}/opening/documents/{bid}",
        app.base, b.tender
    ));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn after_the_opening_the_public_verifies_the_announced_lines_and_only_the_entitled_read_the_documents(
) {
    let app = TestApp::spawn().await;
    let (b, bidders, codes) = concluded_with_committee(&app).await;
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    assert_eq!(record.status, StatusCode::OK, "{:?}", record.body);
    let lines = record.body.as_array().unwrap().clone();
    assert_eq!(lines.len(), 3);
    let line_of = |org: &str| lines.iter().find(|l| l["org_id"] == org).unwrap().clone();
    let (first, third) = (line_of(&bidders[0].org), line_of(&bidders[2].org));

    // The public record: the announced line and key, who released — never a share.
    let text = record.body.to_string();
    let tid = bidhall::domain::TenderId::parse(&b.tender).unwrap();
    let shares = app.app.store.released_shares(&tid).await.unwrap();
    assert!(shares.len() >= 9);
    for (_, _, share_hex) in &shares {
        assert!(
            !text.contains(share_hex.as_str()),
            "a released share is public"
        );
        assert!(
            !text.contains(&share_hex[2..66]),
            "a share's value is public"
        );
    }
    for l in &lines {
        assert!(l.get("shares").is_none());
        assert_eq!(l["outcome"]["status"], "opened", "{l}");
        assert!(l["outcome"].get("attachments").is_none(), "{l}");
    }
    assert_eq!(first["version"], 2);
    assert_eq!(first["outcome"]["bid"]["price_fen"], "98000000");
    let announced_key = first["announced_key"].as_str().unwrap().to_string();
    assert_eq!(third["version"], 1);
    assert_eq!(third["announced_key"], Value::Null);
    // The signed opening record carries the same key in the bid's line.
    let report = app
        .get(format!("/api/tenders/{}/opening/report", b.tender), None)
        .await;
    let signed_line = report.body["record"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["org_id"] == bidders[0].org.as_str())
        .unwrap()
        .clone();
    assert_eq!(signed_line["announced_key"], announced_key.as_str());
    // The public log has the key too, and no share.
    let log = app
        .get(
            format!("/api/log/entries?tender={}&limit=1000", b.tender),
            None,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let log_text = log.body.to_string();
    assert!(
        log_text.contains(&announced_key),
        "the log has the announced key"
    );
    for (_, _, share_hex) in &shares {
        assert!(!log_text.contains(&share_hex[2..66]));
    }

    // Anyone: the served envelope is the receipted one; the published key is the committed one
    // and opens bid.json; it does not open the documents.
    let bid1 = first["bid_id"].as_str().unwrap();
    let bytes = app
        .client
        .get(format!(
            "{}/api/tenders/{}/opening/envelopes/{bid1}",
            app.base, b.tender
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes)),
        first["envelope_sha256"].as_str().unwrap()
    );
    let header = envelope::Header::read_from(&mut &bytes[..]).unwrap();
    let key: [u8; 32] = hex::decode(&announced_key).unwrap().try_into().unwrap();
    let key = envelope::AnnouncedKey::from_bytes(key);
    envelope::check_announced_key(&header, &key).unwrap();
    let mut body = &bytes[header.as_bytes().len()..];
    let mut announced = Vec::new();
    envelope::open_announced(&header, &key, &mut body, &mut announced).unwrap();
    let announced: Value = serde_json::from_slice(&announced).unwrap();
    assert_eq!(announced, first["outcome"]["bid"]);
    let as_ck = envelope::ContentKey::from_bytes(*key.expose_secret());
    assert!(matches!(
        envelope::open_documents(&header, &as_ck, body, Vec::new()),
        Err(bidhall::sealbox::EnvelopeError::KeyDoesNotMatchHeader)
    ));
    assert!(!contains(&bytes, b"confidential method statement"));

    // Refused: signed out (401), a competing tenderer, the operator and the witness (403), a
    // member token that is not valid (401).
    let (status, _) = documents(&app, &b, bid1, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for login in ["tenderer2", "platform", "witness"] {
        let token = app.sign_in(login).await;
        let (status, body) = documents(&app, &b, bid1, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!contains(&body, b"confidential"), "{login}");
    }
    let (status, _) = documents(
        &app,
        &b,
        bid1,
        Some("bhm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Entitled: the owner, the agent, the supervisor, the bidder itself and a committee member.
    let member = crate::award::member_sign_in(&app, &codes[0]).await;
    let mut readers = Vec::new();
    for login in ["owner", "agent", "supervisor", "tenderer1"] {
        readers.push((login.to_string(), app.sign_in(login).await));
    }
    readers.push(("member".into(), member.clone()));
    for (who, token) in &readers {
        let (status, tar) = documents(&app, &b, bid1, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        let mut reader = bidhall::sealbox::tar::TarReader::documents(&tar[..]);
        let entry = reader.next_entry().unwrap().unwrap();
        assert_eq!(entry.name, "attachments/technical.pdf", "{who}");
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut content).unwrap();
        assert_eq!(content, PROPOSAL, "{who}");
    }
    // Nothing decrypted is kept: the documents are decrypted again from the sealed envelope as
    // they are sent (so every node serves them), their length announced; no stored file — the
    // database, the blobs, the keys — holds them in the clear.
    let served = app
        .client
        .get(format!(
            "{}/api/tenders/{}/opening/documents/{bid1}",
            app.base, b.tender
        ))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    let announced_len = served.content_length();
    let tar = served.bytes().await.unwrap();
    assert_eq!(announced_len, Some(tar.len() as u64));
    let mut dirs = vec![app.args.store.data_dir.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                assert!(
                    !contains(&bytes, b"confidential method statement"),
                    "{} holds bid documents in the clear",
                    p.display()
                );
            }
        }
    }
    // The bidder reads its own documents, not a rival's.
    let tenderer1 = app.sign_in("tenderer1").await;
    let bid2 = line_of(&bidders[1].org)["bid_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        documents(&app, &b, &bid2, Some(&tenderer1)).await.0,
        StatusCode::FORBIDDEN
    );

    // The old v1 envelope opened too; its bidder and the committee read its whole archive.
    let bid3 = third["bid_id"].as_str().unwrap();
    let tenderer3 = app.sign_in("tenderer3").await;
    for token in [&tenderer3, &member] {
        let (status, tar) = documents(&app, &b, bid3, Some(token)).await;
        assert_eq!(status, StatusCode::OK);
        let mut reader = bidhall::sealbox::tar::TarReader::new(&tar[..]);
        assert_eq!(reader.next_entry().unwrap().unwrap().name, "bid.json");
    }
    assert_eq!(
        documents(&app, &b, bid3, Some(&tenderer1)).await.0,
        StatusCode::FORBIDDEN
    );

    // `bidhall bid verify`, with no account: both v2 lines check out; the v1 one says why the
    // public can no longer re-decrypt it, and that is not a mismatch.
    let (url, tender) = (app.base.clone(), b.tender.clone());
    let out = tokio::task::spawn_blocking(move || {
        bidhall_cli(
            &["bid", "verify", "--tender", &tender],
            &[("BIDHALL_URL", &url)],
        )
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "bid verify: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("announced key matches").count(), 2, "{text}");
    assert!(text.contains("version 1 envelope"), "{text}");
}

#[tokio::test]
async fn before_the_opening_nobody_reads_bid_documents() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let sealed = seal_v2_as(
        &app,
        &b,
        &b.tenderer_org,
        &b.signer_pkcs8,
        &bid_json(1),
        &[("attachments/technical.pdf", PROPOSAL)],
    )
    .await;
    let (status, receipt) = submit(&app, &b, sealed, &b.tenderer).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let mine = app
        .get(
            format!("/api/tenders/{}/bids/mine", b.tender),
            Some(&b.tenderer),
        )
        .await;
    let bid = mine.body[0]["id"].as_str().unwrap().to_string();
    let agent = app.sign_in("agent").await;
    let r = app
        .get(
            format!("/api/tenders/{}/opening/documents/{bid}", b.tender),
            Some(&agent),
        )
        .await;
    assert_eq!(r.code(), "too_early", "{:?}", r.body);
    // At the deadline, before the shares are in, there is nothing decrypted to read.
    app.clock.set(b.deadline);
    let agent = app.sign_in("agent").await;
    let r = app
        .get(
            format!("/api/tenders/{}/opening/documents/{bid}", b.tender),
            Some(&agent),
        )
        .await;
    assert_eq!(r.code(), "documents_unavailable", "{:?}", r.body);
}

/// In Chromium (when installed; CI makes it required with BIDHALL_BROWSER_TEST=1): signed out and
/// as a competing tenderer, a v2 bid's announced line verifies in the browser but its documents
/// can be neither fetched nor decrypted; a committee member reads them (web/test/browser/documents.mjs).
#[tokio::test]
async fn signed_out_or_as_a_rival_the_documents_stay_sealed_and_a_member_reads_them_in_the_browser()
{
    let Some(chromium) = chromium_for("documents.mjs") else {
        return;
    };
    let app = TestApp::spawn().await;
    let (b, bidders, codes) = concluded_with_committee(&app).await;
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    let bid = record
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["org_id"] == bidders[0].org.as_str())
        .unwrap()["bid_id"]
        .as_str()
        .unwrap()
        .to_string();
    let env = [
        ("BIDHALL_TENDER", b.tender.clone()),
        ("BIDHALL_BID", bid),
        ("BIDHALL_MEMBER_CODE", codes[0].clone()),
        ("BIDHALL_PASSWORD", bidhall::demo::password().to_string()),
    ];
    run_browser_script(
        &chromium,
        "documents.mjs",
        "documents",
        &app.base,
        &env,
        240,
    )
    .await;
}
