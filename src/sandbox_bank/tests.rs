//! The sandbox bank's rules: funds, refund idempotency, the delivery schedule, re-signing a stale
//! message, and replaying the journal after a crash.

use super::*;
use crate::clock::ManualClock;
use crate::domain::time::SECOND_MS;
use std::sync::Mutex as StdMutex;

const SECRET: &[u8] = b"bidhall-test-bank-secret-0123456";
const SUB: &str = "8801089892966438763";

fn secret() -> Secret {
    Secret::from_bytes(SECRET).unwrap()
}

fn start() -> Timestamp {
    Timestamp::parse("2027-03-01T02:00:00Z").unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    journal: PathBuf,
    clock: Arc<ManualClock>,
    bank: SandboxBank,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let journal = journal_path(dir.path());
        let clock = Arc::new(ManualClock::new(start()));
        let bank = open(&journal, &clock);
        Fixture {
            _dir: dir,
            journal,
            clock,
            bank,
        }
    }

    /// The account's holder pays `fen` to the test's sub-account.
    fn pay(&self, a: &OpenedAccount, fen: i64) -> Result<BankTxnId, BankError> {
        self.bank
            .transfer(&a.view.account, &a.access_code, SUB, fen)
    }

    fn balance(&self, a: &OpenedAccount) -> i64 {
        self.bank
            .account(&a.view.account, &a.access_code)
            .unwrap()
            .balance_fen
    }

    /// Drops the bank as a crash would and opens it again from its journal.
    fn crash_and_reopen(&mut self) {
        let reopened = open(&self.journal, &self.clock);
        self.bank = reopened;
    }
}

fn open(journal: &Path, clock: &Arc<ManualClock>) -> SandboxBank {
    SandboxBank::open(
        BankCode::parse(SANDBOX_CODE).unwrap(),
        secret(),
        clock.clone(),
        journal,
    )
    .unwrap()
}

fn refund_body(instruction: &str, amount: i64, to: &str) -> Vec<u8> {
    crate::canonical::to_canonical_vec(&serde_json::json!({
        "amount_fen": amount, "instruction_id": instruction, "to_account": to, "to_name": "某公司"
    }))
    .unwrap()
}

fn signed_refund(f: &Fixture, body: &[u8]) -> Result<RefundAccepted, BankError> {
    let ts = f.clock.now().millis() / 1000;
    f.bank
        .refund(&ts.to_string(), &bank::sign(&secret(), ts, body), body)
}

#[test]
fn a_transfer_needs_the_money_and_an_account() {
    let f = Fixture::new();
    let a = f
        .bank
        .open_account("江苏某建设工程有限公司", 1_000)
        .unwrap();
    assert!(matches!(
        f.pay(&a, 1_001),
        Err(BankError::InsufficientFunds {
            balance_fen: 1_000,
            amount_fen: 1_001
        })
    ));
    assert!(matches!(
        f.bank
            .transfer("62220201999999999999", &a.access_code, SUB, 1),
        Err(BankError::UnknownAccount(_))
    ));
    assert!(matches!(f.pay(&a, 0), Err(BankError::InvalidAmount)));
    assert_eq!(f.balance(&a), 1_000);
    assert_eq!(f.bank.clearing_balance(), 0);
    assert!(f.bank.pending().is_empty());
}

#[test]
fn an_account_opens_only_with_its_own_access_code() {
    let f = Fixture::new();
    let a = f.bank.open_account("江苏甲建设有限公司", 50_000).unwrap();
    let b = f.bank.open_account("浙江乙工程有限公司", 80_000).unwrap();
    // Another payer's code, or one never issued, opens nothing and moves nothing; the refusal is
    // the same as for an account that does not exist.
    for code in [&b.access_code, &access::AccessCode::generate()] {
        assert!(matches!(
            f.bank.account(&a.view.account, code),
            Err(BankError::UnknownAccount(_))
        ));
        assert!(matches!(
            f.bank.transfer(&a.view.account, code, SUB, 1_000),
            Err(BankError::UnknownAccount(_))
        ));
    }
    assert_eq!(f.balance(&a), 50_000);
    assert_eq!(f.bank.clearing_balance(), 0);
    assert!(f.bank.pending().is_empty());
    f.pay(&a, 1_000).unwrap();
    assert_eq!(f.balance(&a), 49_000);
    assert_eq!(f.balance(&b), 80_000);
}

#[test]
fn the_journal_keeps_only_the_access_codes_digest() {
    let mut f = Fixture::new();
    let a = f.bank.open_account("某公司", 1_000).unwrap();
    let journal = std::fs::read_to_string(&f.journal).unwrap();
    assert!(!journal.contains(a.access_code.expose()));
    assert!(!journal.contains(&a.access_code.expose()[4..]));
    assert!(journal.contains(&String::from(a.access_code.digest())));
    f.crash_and_reopen();
    assert_eq!(
        f.balance(&a),
        1_000,
        "the code still opens it after a replay"
    );
}

#[test]
fn an_account_journaled_before_access_codes_replays_but_stays_locked() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_path(dir.path());
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    let old = "6222020100000000001";
    std::fs::write(
        &journal,
        format!("{{\"event\":\"account_opened\",\"account\":\"{old}\",\"name\":\"旧账户\",\"balance_fen\":5000,\"at_ms\":0}}\n"),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let f = Fixture {
        bank: open(&journal, &clock),
        _dir: dir,
        journal,
        clock,
    };
    let any = access::AccessCode::generate();
    assert!(matches!(
        f.bank.account(old, &any),
        Err(BankError::UnknownAccount(_))
    ));
    assert!(matches!(
        f.bank.transfer(old, &any, SUB, 1),
        Err(BankError::UnknownAccount(_))
    ));
    // New accounts are numbered after it, and the hall can still refund to it.
    let b = f.bank.open_account("新账户", 10).unwrap();
    assert_eq!(b.view.account, "6222020100000000002");
    f.pay(&b, 10).unwrap();
    let body = refund_body("R-old", 10, old);
    assert_eq!(signed_refund(&f, &body).unwrap().status, "accepted");
    assert_eq!(f.bank.clearing_balance(), 0);
}

#[test]
fn a_transfer_moves_the_money_books_a_line_and_queues_a_signed_notification() {
    let f = Fixture::new();
    let a = f
        .bank
        .open_account("江苏某建设工程有限公司", 3_000_000)
        .unwrap();
    let id = f.pay(&a, 2_000_000).unwrap();
    assert_eq!(id.as_str(), "SBX20270301000001");
    assert_eq!(f.balance(&a), 1_000_000);
    assert_eq!(f.bank.clearing_balance(), 2_000_000);
    let q = f.bank.due(start());
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].kind, Outbound::Notification);
    let ts = start().millis() / 1000;
    let n = bank::verify(
        &secret(),
        &ts.to_string(),
        &bank::sign(&secret(), ts, &q[0].body),
        &q[0].body,
        start(),
    )
    .unwrap();
    assert_eq!(n.sub_account(), SUB);
    assert_eq!(n.payer_name(), "江苏某建设工程有限公司");
    assert_eq!(n.payer_account(), a.view.account);
    let s = f
        .bank
        .statement(StatementDate::parse("2027-03-01").unwrap());
    assert_eq!(s.lines().len(), 1);
    assert_eq!((s.opening().fen(), s.closing().fen()), (0, 2_000_000));
    let next = f
        .bank
        .statement(StatementDate::parse("2027-03-02").unwrap());
    assert!(next.lines().is_empty());
    assert_eq!(next.opening().fen(), 2_000_000);
}

#[test]
fn a_refund_instruction_is_paid_once_whatever_the_retries() {
    let f = Fixture::new();
    let payer = f.bank.open_account("某公司", 500_000).unwrap();
    f.pay(&payer, 500_000).unwrap();
    let body = refund_body("R-1", 500_000, &payer.view.account);
    let first = signed_refund(&f, &body).unwrap();
    assert_eq!(
        first,
        RefundAccepted {
            instruction_id: "R-1".into(),
            status: "accepted"
        }
    );
    f.clock.advance_millis(10 * SECOND_MS);
    assert_eq!(signed_refund(&f, &body).unwrap(), first);
    assert_eq!(f.balance(&payer), 500_000);
    assert_eq!(f.bank.clearing_balance(), 0);
    let other = refund_body("R-1", 400_000, &payer.view.account);
    assert!(matches!(
        signed_refund(&f, &other),
        Err(BankError::Conflicting(_))
    ));
    let s = f
        .bank
        .statement(StatementDate::parse("2027-03-01").unwrap());
    assert_eq!(s.lines().len(), 2);
    assert_eq!(s.closing().fen(), 0);
    // One refunds-paid confirmation is queued, with the instruction's id.
    let paid: Vec<Queued> = f
        .bank
        .pending()
        .into_iter()
        .filter(|q| q.kind == Outbound::RefundPaid)
        .collect();
    assert_eq!(paid.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&paid[0].body).unwrap();
    assert_eq!(v["instruction_id"], "R-1");
    assert_eq!(v["amount_fen"], 500_000);
}

#[test]
fn a_refund_instruction_must_be_signed_fresh_and_covered() {
    let f = Fixture::new();
    let body = refund_body("R-2", 100, "62220201000000000001");
    let ts = start().millis() / 1000;
    let wrong = Secret::from_bytes(b"bidhall-test-hall-secret-abcdefg").unwrap();
    let code = |r: Result<RefundAccepted, BankError>| r.unwrap_err().code();
    assert_eq!(
        code(
            f.bank
                .refund(&ts.to_string(), &bank::sign(&wrong, ts, &body), &body)
        ),
        "bad_signature"
    );
    let old = ts - 301;
    assert_eq!(
        code(
            f.bank
                .refund(&old.to_string(), &bank::sign(&secret(), old, &body), &body)
        ),
        "stale_timestamp"
    );
    assert_eq!(code(f.bank.refund("x", "y", &body)), "malformed");
    let extra =
        br#"{"amount_fen":100,"extra":1,"instruction_id":"R","to_account":"1","to_name":"n"}"#;
    assert_eq!(
        code(
            f.bank
                .refund(&ts.to_string(), &bank::sign(&secret(), ts, extra), extra)
        ),
        "malformed"
    );
    // Nothing in the clearing account: the bank cannot pay.
    assert_eq!(code(signed_refund(&f, &body)), "insufficient_funds");
}

/// What the stub hall received: path, timestamp, signature, body.
type Sent = (String, i64, String, Vec<u8>);

/// A hall that answers from a script and keeps what it was sent.
struct StubHall {
    answers: StdMutex<Vec<(u16, &'static str)>>,
    sent: StdMutex<Vec<Sent>>,
    /// Moves the bank's clock on each request, as a slow network would.
    clock: Option<(Arc<ManualClock>, i64)>,
}

impl StubHall {
    fn new(answers: Vec<(u16, &'static str)>) -> StubHall {
        StubHall {
            answers: StdMutex::new(answers),
            sent: StdMutex::new(vec![]),
            clock: None,
        }
    }
    fn sent(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl Courier for StubHall {
    async fn post(
        &self,
        path: &str,
        timestamp: i64,
        signature: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        self.sent.lock().unwrap().push((
            path.to_owned(),
            timestamp,
            signature.to_owned(),
            body.to_vec(),
        ));
        if let Some((clock, ms)) = &self.clock {
            clock.advance_millis(*ms);
        }
        let mut answers = self.answers.lock().unwrap();
        if answers.is_empty() {
            return Err("connection refused".into());
        }
        let (status, body) = answers.remove(0);
        Ok((status, body.as_bytes().to_vec()))
    }
}

fn one_transfer(f: &Fixture) -> String {
    let a = f.bank.open_account("某公司", 1_000).unwrap();
    f.pay(&a, 1_000).unwrap().as_str().to_owned()
}

#[test]
fn the_backoff_doubles_from_one_second_up_to_five_minutes() {
    let waits: Vec<i64> = (1..=11).map(backoff_ms).collect();
    assert_eq!(
        waits,
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map(|s| s * SECOND_MS)
    );
    assert_eq!(backoff_ms(u32::MAX), 300 * SECOND_MS);
}

#[tokio::test]
async fn an_unanswered_notification_is_retried_on_the_backoff_schedule_until_the_hall_takes_it() {
    let f = Fixture::new();
    let id = one_transfer(&f);
    let hall = StubHall::new(vec![
        (500, "{}"),
        (503, "{}"),
        (200, r#"{"outcome":"recorded"}"#),
    ]);
    let t0 = start();
    let r = f.bank.deliver_due(&hall, t0).await.unwrap();
    assert_eq!(r.retrying, vec![id.clone()]);
    // Not due again before 1 s has passed.
    let r = f
        .bank
        .deliver_due(&hall, t0.plus_millis(999))
        .await
        .unwrap();
    assert_eq!(r, DeliveryReport::default());
    assert_eq!(hall.sent(), 1);
    let t1 = t0.plus_millis(SECOND_MS);
    assert_eq!(
        f.bank.deliver_due(&hall, t1).await.unwrap().retrying,
        vec![id.clone()]
    );
    // The second failure waits 2 s.
    assert!(f
        .bank
        .deliver_due(&hall, t1.plus_millis(1_999))
        .await
        .unwrap()
        .retrying
        .is_empty());
    let r = f
        .bank
        .deliver_due(&hall, t1.plus_millis(2 * SECOND_MS))
        .await
        .unwrap();
    assert_eq!(r.delivered, vec![id.clone()]);
    assert_eq!(hall.sent(), 3);
    assert!(f.bank.pending().is_empty());
    assert_eq!(
        f.bank.settlement(&id),
        Some((200, r#"{"outcome":"recorded"}"#.into()))
    );
    // Settled: never sent again.
    f.bank
        .deliver_due(&hall, t1.plus_millis(3_600 * SECOND_MS))
        .await
        .unwrap();
    assert_eq!(hall.sent(), 3);
}

#[tokio::test]
async fn a_final_refusal_stops_the_retries_but_a_stale_timestamp_is_signed_again() {
    let f = Fixture::new();
    let id = one_transfer(&f);
    let hall = StubHall::new(vec![(
        409,
        r#"{"error":{"code":"conflicting","message":"…"}}"#,
    )]);
    let r = f.bank.deliver_due(&hall, start()).await.unwrap();
    assert_eq!(r.refused, vec![id.clone()]);
    assert_eq!(f.bank.settlement(&id).unwrap().0, 409);
    assert!(f.bank.pending().is_empty());

    let mut g = Fixture::new();
    let id = one_transfer(&g);
    let mut hall = StubHall::new(vec![
        (401, r#"{"error":{"code":"stale_timestamp","message":"…"}}"#),
        (200, r#"{"outcome":"recorded"}"#),
    ]);
    // The first request took six minutes to arrive.
    hall.clock = Some((g.clock.clone(), 6 * 60 * SECOND_MS));
    let r = g.bank.deliver_due(&hall, start()).await.unwrap();
    assert_eq!(r.delivered, vec![id]);
    let sent = hall.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].1 - sent[0].1,
        6 * 60,
        "re-signed with a fresh timestamp"
    );
    let now = Timestamp::from_millis(sent[1].1 * 1000).unwrap();
    assert!(bank::verify(
        &secret(),
        &sent[1].1.to_string(),
        &sent[1].2,
        &sent[1].3,
        now
    )
    .is_ok());
    g.crash_and_reopen();
    assert!(g.bank.pending().is_empty());
}

#[tokio::test]
async fn after_a_crash_nothing_answered_is_lost_and_a_replayed_refund_is_not_paid_twice() {
    let mut f = Fixture::new();
    let payer = f.bank.open_account("某公司", 900_000).unwrap();
    let t1 = f.pay(&payer, 300_000).unwrap();
    let t2 = f.pay(&payer, 200_000).unwrap();
    let hall = StubHall::new(vec![(200, r#"{"outcome":"recorded"}"#)]);
    f.bank.deliver_due(&hall, start()).await.unwrap();
    let body = refund_body("R-9", 300_000, &payer.view.account);
    signed_refund(&f, &body).unwrap();
    let before = f
        .bank
        .statement(StatementDate::parse("2027-03-01").unwrap());

    f.crash_and_reopen();

    assert_eq!(f.balance(&payer), 700_000);
    assert_eq!(f.bank.clearing_balance(), 200_000);
    assert_eq!(
        f.bank
            .statement(StatementDate::parse("2027-03-01").unwrap()),
        before
    );
    // The first notification was delivered; the second and the refund's confirmation still wait.
    let pending: Vec<String> = f
        .bank
        .pending()
        .into_iter()
        .map(|q| q.bank_txn_id)
        .collect();
    assert!(!pending.contains(&t1.as_str().to_owned()));
    assert!(pending.contains(&t2.as_str().to_owned()));
    assert_eq!(pending.len(), 2);
    // The hall retries its instruction after the restart: same answer, paid once.
    f.clock.advance_millis(60 * SECOND_MS);
    assert_eq!(signed_refund(&f, &body).unwrap().status, "accepted");
    assert_eq!(f.balance(&payer), 700_000);
    // New transaction ids carry on after the replayed ones.
    let t3 = f.pay(&payer, 1).unwrap();
    assert_eq!(t3.as_str(), "SBX20270301000004");
}

/// A hall endpoint over real HTTP: what the bank sends verifies with the hall's own check.
#[tokio::test]
async fn the_notification_a_hall_receives_over_http_verifies_with_the_bank_secret() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    let received: Arc<StdMutex<Vec<Notification>>> = Arc::default();
    let keep = received.clone();
    let hall = axum::Router::new().route(
        "/api/banks/{bank}/notifications",
        axum::routing::post(
            move |axum::extract::Path(bank): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: Bytes| async move {
                let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
                let n = bank::verify(
                    &secret(),
                    &h("bidhall-timestamp"),
                    &h("bidhall-signature"),
                    &body,
                    start(),
                );
                match n {
                    Ok(n) if bank == "SBX" => {
                        keep.lock().unwrap().push(n);
                        (axum::http::StatusCode::OK, r#"{"outcome":"recorded"}"#)
                    }
                    _ => (axum::http::StatusCode::UNAUTHORIZED, "{}"),
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, hall).await });
    let f = Fixture::new();
    let id = one_transfer(&f);
    let courier = HttpCourier::new(&format!("http://{addr}/"), f.bank.code());
    let r = f.bank.deliver_due(&courier, start()).await.unwrap();
    assert_eq!(r.delivered, vec![id.clone()]);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].bank_txn_id().as_str(), id);
    assert_eq!(got[0].amount().fen(), 1_000);
}

#[test]
fn the_shared_secret_is_made_once_private_and_read_back_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("banks");
    let code = BankCode::parse(SANDBOX_CODE).unwrap();
    let first = load_or_create_secret(&dir, &code).unwrap();
    let path = secret_path(&dir, &code);
    assert!(path.ends_with("banks/SBX.secret"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), 64);
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = load_or_create_secret(&dir, &code).unwrap();
    assert_eq!(bank::sign(&first, 1, b"x"), bank::sign(&again, 1, b"x"));
    std::fs::write(&path, "not hex").unwrap();
    assert!(load_or_create_secret(&dir, &code).is_err());
}
