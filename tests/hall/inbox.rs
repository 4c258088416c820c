//! Notifications (docs/inbox.md): a step that asks something of an organisation lands in its
//! inbox, once, with nothing its recipient may not know; and it is mailed through a real SMTP
//! server when the hall has one.

use crate::common::*;
use bidhall::inbox::follow::notify;
use bidhall::inbox::mail::send_due;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn inbox(app: &TestApp, login: &str) -> Value {
    let token = app.sign_in(login).await;
    let r = app.get("/api/inbox", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{login}: {:?}", r.body);
    r.body
}

fn kinds(inbox: &Value) -> Vec<String> {
    inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_published_tender_asks_its_custodians_for_their_keys_once_and_nobody_else() {
    let app = TestApp::spawn_with(|a| a.notifier_ms = 0).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "通知测试工程").await;
    notify(&app.app).await.unwrap();
    // the agent, the supervisor and the witness hold keys; the hall's own time-release does not
    for login in ["agent", "supervisor", "witness"] {
        let b = inbox(&app, login).await;
        let asked: Vec<&Value> = b["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["tender_id"] == t["id"] && n["kind"] == "custodian_key_needed")
            .collect();
        assert_eq!(asked.len(), 1, "{login}: {b}");
        assert_eq!(asked[0]["params"]["title"], "通知测试工程");
        assert_eq!(
            asked[0]["link"],
            format!("/tenders/{}/custodian", t["id"].as_str().unwrap())
        );
        assert_eq!(asked[0]["due_at"], t["spec"]["schedule"]["bid_deadline"]);
    }
    for login in ["tenderer1", "owner"] {
        assert!(
            !kinds(&inbox(&app, login).await).contains(&"custodian_key_needed".to_string()),
            "{login}"
        );
    }
    // a second round makes nothing again
    assert_eq!(notify(&app.app).await.unwrap(), 0);
    assert_eq!(
        kinds(&inbox(&app, "supervisor").await)
            .iter()
            .filter(|k| *k == "custodian_key_needed")
            .count(),
        // the demo's two published tenders and this one
        kinds(&inbox(&app, "witness").await)
            .iter()
            .filter(|k| *k == "custodian_key_needed")
            .count()
    );
    // signed out: nothing; another organisation's notice cannot be marked
    assert_eq!(
        app.get("/api/inbox", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let sup = inbox(&app, "supervisor").await;
    let id = sup["notices"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/inbox/{}/read", bidhall::web::format::url_encode(&id));
    let tenderer = app.sign_in("tenderer1").await;
    assert_eq!(
        app.post(&path, Some(&tenderer), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let supervisor = app.sign_in("supervisor").await;
    assert_eq!(
        app.post(&path, Some(&supervisor), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    let after = inbox(&app, "supervisor").await;
    assert_eq!(after["unread"], sup["unread"].as_u64().unwrap() - 1);
    // the page speaks Chinese, with the deadline in Beijing time
    let page = app
        .client
        .get(format!("{}/inbox", app.base))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("请登记您作为密钥保管人的公钥") && page.contains("通知测试工程"),
        "{page}"
    );
    assert_speaks_chinese("the inbox", &page);
    // a bad address is refused in words
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/inbox/contact",
            Some(&supervisor),
            Some(json!({ "email": "not an address" })),
        )
        .await;
    assert_eq!(
        r.body["error"]["details"]["rule"], "bad_email",
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn the_owner_hears_of_a_question_but_not_who_asked_it() {
    let app = TestApp::spawn_with(|a| a.notifier_ms = 0).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "提问通知工程").await;
    let id = t["id"].as_str().unwrap();
    let tenderer = app.sign_in("tenderer1").await;
    let r = app
        .post(
            format!("/api/tenders/{id}/obtain"),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            format!("/api/tenders/{id}/questions"),
            Some(&tenderer),
            json!({ "text": "第三章工期要求是否可以调整？" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    notify(&app.app).await.unwrap();
    let me = app.get("/api/me", Some(&tenderer)).await.body;
    let asker = me["org_id"].as_str().unwrap_or("none").to_string();
    for login in ["owner", "agent"] {
        let b = inbox(&app, login).await;
        let q: Vec<&Value> = b["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "question_to_answer")
            .collect();
        assert_eq!(q.len(), 1, "{login}: {b}");
        assert!(!q[0].to_string().contains(&asker), "法22: {}", q[0]);
    }
}

/// A server from PyPI's aiosmtpd, writing what it receives into a maildir; the test runs when
/// `BIDHALL_SMTP_TEST` names a Python that has it (CI installs it), and is skipped otherwise.
struct Smtp {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp_server() -> Option<Smtp> {
    let python = std::env::var("BIDHALL_SMTP_TEST").ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(&python)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir.path().join("mail"))
        .spawn()
        .expect("BIDHALL_SMTP_TEST names a Python with aiosmtpd");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Smtp { child, port, dir });
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("the SMTP server did not start");
}

/// Every message the server received, its body decoded.
fn received(dir: &std::path::Path) -> Vec<String> {
    use base64::Engine;
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(files) = std::fs::read_dir(dir.join("mail").join(sub)) else {
            continue;
        };
        for f in files {
            let raw = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let (head, body) = raw
                .split_once("\n\n")
                .or_else(|| raw.split_once("\r\n\r\n"))
                .unwrap();
            let body = if head
                .to_ascii_lowercase()
                .contains("content-transfer-encoding: base64")
            {
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .unwrap(),
                )
                .unwrap()
            } else {
                body.to_string()
            };
            out.push(format!("{head}\n\n{body}"));
        }
    }
    out
}

#[tokio::test]
async fn notices_are_mailed_through_a_real_smtp_server_and_a_failed_send_is_retried() {
    let Some(server) = smtp_server().await else {
        eprintln!("skipped: BIDHALL_SMTP_TEST does not name a Python with aiosmtpd");
        return;
    };
    let url = format!("smtp://127.0.0.1:{}", server.port);
    let app = TestApp::spawn_with(move |a| {
        a.notifier_ms = 0;
        a.smtp_url = Some(url);
    })
    .await;
    let supervisor = app.sign_in("supervisor").await;
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/inbox/contact",
            Some(&supervisor),
            Some(json!({ "email": "jianguan@example.cn" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let agent = app.sign_in("agent").await;
    app.publish_tender(&agent, "邮件通知工程").await;
    notify(&app.app).await.unwrap();
    let sent = send_due(&app.app).await.unwrap();
    assert!(sent >= 1, "{sent}");
    let mails = received(server.dir.path());
    let ours: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains("邮件通知工程"))
        .collect();
    assert_eq!(ours.len(), 1, "{mails:?}");
    assert!(ours[0].contains("jianguan@example.cn"));
    assert!(ours[0].contains("请登记您作为密钥保管人的公钥"));
    assert!(ours[0].contains("/custodian"), "a link to where to act");
    // nothing secret in it: no session token, no key material
    assert!(!ours[0].contains(&supervisor));
    let b = inbox(&app, "supervisor").await;
    assert!(b["notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["mail_state"] == "sent"));
    // the relay goes away: the next notice waits, counted, for another attempt
    drop(server);
    app.publish_tender(&agent, "邮件重试工程").await;
    notify(&app.app).await.unwrap();
    assert_eq!(send_due(&app.app).await.unwrap(), 0);
    let later = app.now().plus_millis(61_000);
    let due = app.app.store.mail_due(later, 10).await.unwrap();
    let retry: Vec<_> = due
        .iter()
        .filter(|d| d.notice.params["title"] == "邮件重试工程")
        .collect();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    assert!(app
        .app
        .store
        .mail_due(app.now(), 10)
        .await
        .unwrap()
        .is_empty());
}
