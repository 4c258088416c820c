//! What the law keeps confidential stays so (招标投标法 第二十二条): before the bid deadline nobody
//! but the trading centre, and each tenderer about itself, learns who paid a bond, who signed in
//! to the opening or who obtained the documents. Each test names the leak it closes.

use crate::bids::open_box;
use crate::common::*;
use crate::opening::{bids_in, relogin};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn before_the_deadline_only_the_trading_centre_sees_who_paid_a_bond() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let bidders = bids_in(&app, &b, &[Some(98_000_000), Some(97_000_000)], &[]).await;
    let bonds = format!("/api/tenders/{}/bonds", b.tender);
    let ledger = format!("/api/tenders/{}/bonds/ledger", b.tender);

    let platform = app.sign_in("platform").await;
    let r = app.get(&bonds, Some(&platform)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), 2);

    // The owner, the agent and the supervisor: not before the deadline.
    for login in ["owner", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        for path in [&bonds, &ledger] {
            let r = app.get(path, Some(&token)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login} {path}");
            assert_eq!(r.code(), "confidential_until_opening", "{login} {path}");
            let text = r.body.to_string();
            for who in &bidders {
                assert!(!text.contains(&who.org), "{login} learnt a payer: {text}");
            }
        }
    }
    // A tenderer, another owner, the public: never.
    let tenderer = app.sign_in("tenderer1").await;
    assert_eq!(
        app.get(&bonds, Some(&tenderer)).await.status,
        StatusCode::FORBIDDEN
    );
    let owner2 = app.sign_in("owner2").await;
    assert_eq!(
        app.get(&bonds, Some(&owner2)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&bonds, None).await.status, StatusCode::UNAUTHORIZED);

    // From the deadline the parties see them.
    app.clock.set(b.deadline);
    for login in ["owner", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        let r = app.get(&bonds, Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {:?}", r.body);
        assert_eq!(r.body.as_array().unwrap().len(), 2, "{login}");
    }
    assert_eq!(
        app.get(&bonds, Some(&app.sign_in("tenderer1").await))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_tenderer_s_sign_in_in_the_lobby_is_seen_by_itself_alone_until_the_box_closes() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let mut bidders = bids_in(&app, &b, &[Some(98_000_000), Some(97_000_000)], &[]).await;
    app.clock.set(b.deadline.plus_millis(-20 * 60 * 1000));
    relogin(&app, &mut bidders).await;
    let (host, supervisor, owner) = (
        app.sign_in("agent").await,
        app.sign_in("supervisor").await,
        app.sign_in("owner").await,
    );
    let sign_in = format!("/api/tenders/{}/opening/sign-in", b.tender);
    for t in [&host, &supervisor, &bidders[0].token] {
        let r = app.post(&sign_in, Some(t), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let state = |token: Option<String>| {
        let app = &app;
        let path = format!("/api/tenders/{}/opening", b.tender);
        async move { app.get(&path, token.as_deref()).await.body.to_string() }
    };
    let events = |token: Option<String>| {
        let app = &app;
        let path = format!("/api/tenders/{}/opening/events?after=0", b.tender);
        async move { app.get(&path, token.as_deref()).await.body.to_string() }
    };
    let first = &bidders[0].org;
    for (who, token) in [
        ("host", Some(host.clone())),
        ("supervisor", Some(supervisor.clone())),
        ("owner", Some(owner.clone())),
        ("another bidder", Some(bidders[1].token.clone())),
        ("public", None),
    ] {
        let s = state(token.clone()).await;
        assert!(!s.contains(first.as_str()), "{who} sees the sign-in: {s}");
        let e = events(token).await;
        assert!(!e.contains(first.as_str()), "{who} sees the event: {e}");
    }
    // The tenderer sees its own sign-in.
    assert!(state(Some(bidders[0].token.clone()))
        .await
        .contains(first.as_str()));
    assert!(events(Some(bidders[0].token.clone()))
        .await
        .contains(first.as_str()));

    // The box closes: the host and the supervisor now see who signed in.
    app.clock.set(b.deadline);
    let host = app.sign_in("agent").await;
    let supervisor = app.sign_in("supervisor").await;
    assert!(state(Some(host)).await.contains(first.as_str()));
    assert!(state(Some(supervisor)).await.contains(first.as_str()));
}

#[tokio::test]
async fn a_flagged_receipt_in_the_public_log_names_no_tenderer() {
    let app = TestApp::spawn_with(|a| a.opening_watcher_ms = 0).await;
    let (id, payers) = crate::bonds::tender_with_payers(&app, &["tenderer1"]).await;
    let (token, account) = &payers[0];
    let org = crate::bids::org_of(&app, token).await;
    // The bond, then the same amount again: the second is flagged `already_held` (bonds.md §7.4).
    for txn in ["SBX-HELD-1", "SBX-HELD-2"] {
        let r = crate::bonds::pay(&app, txn, account, crate::bonds::BOND).await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let flagged = |body: &serde_json::Value| -> Vec<serde_json::Value> {
        body.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "receipt_flagged")
            .cloned()
            .collect()
    };
    // Before the opening the entry is sealed: neither the tender nor the tenderer.
    let log = app.get("/api/log/entries?limit=1000", None).await;
    let entries = flagged(&log.body);
    assert_eq!(entries.len(), 1, "{:?}", log.body);
    let text = entries[0]["entry"].to_string();
    assert!(
        !text.contains(org.as_str()) && !text.contains(&id),
        "{text}"
    );
    assert_eq!(entries[0]["entry"]["actor"]["kind"], "sealed");
    // From the opening its facts are public, and still name no tenderer.
    crate::bonds::past_the_deadline(&app, &id).await;
    let disclosed = app.get(format!("/api/tenders/{id}/log/sealed"), None).await;
    assert_eq!(disclosed.status, StatusCode::OK, "{:?}", disclosed.body);
    let facts: Vec<&serde_json::Value> = disclosed
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["index"] == entries[0]["index"])
        .collect();
    assert_eq!(facts.len(), 1);
    let text = facts[0]["facts"].to_string();
    assert!(text.contains("already_held"), "{text}");
    assert!(!text.contains(org.as_str()), "the tenderer leaked: {text}");
}

#[tokio::test]
async fn before_the_opening_the_public_log_cannot_count_a_tender_s_obtains_accounts_or_bonds() {
    let app = TestApp::spawn_with(|a| a.opening_watcher_ms = 0).await;
    let (id, payers) = crate::bonds::tender_with_payers(&app, &["tenderer1", "tenderer2"]).await;
    for (i, (_, account)) in payers.iter().enumerate() {
        let r = crate::bonds::pay(&app, &format!("SBX-C-{i}"), account, crate::bonds::BOND).await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let mut orgs = Vec::new();
    for (token, _) in &payers {
        orgs.push(crate::bids::org_of(&app, token).await);
    }
    // Filtered by the tender, the log shows none of them.
    let by_tender = app
        .get(format!("/api/log/entries?tender={id}&limit=1000"), None)
        .await;
    let kinds: Vec<&str> = by_tender
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for hidden in [
        "tender_documents_obtained",
        "sub_account_opened",
        "bond_received",
    ] {
        assert!(!kinds.contains(&hidden), "{hidden} countable: {kinds:?}");
    }
    // In the whole log, each is sealed, with a commitment of its own (nothing links them).
    let all = app.get("/api/log/entries?limit=1000", None).await;
    let mut commitments = Vec::new();
    for e in all.body.as_array().unwrap() {
        let kind = e["kind"].as_str().unwrap();
        if [
            "tender_documents_obtained",
            "sub_account_opened",
            "bond_received",
        ]
        .contains(&kind)
        {
            let text = e["entry"].to_string();
            assert!(!text.contains(&id), "{kind} names the tender: {text}");
            for org in &orgs {
                assert!(!text.contains(org.as_str()), "{kind} names a tenderer");
            }
            commitments.push(
                e["entry"]["actor"]["commitment"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(commitments.len(), 6, "two obtains, two accounts, two bonds");
    let distinct: std::collections::BTreeSet<_> = commitments.iter().collect();
    assert_eq!(distinct.len(), 6, "linkable: {commitments:?}");
    // The disclosures wait for the opening, then let anyone link them.
    let sealed = format!("/api/tenders/{id}/log/sealed");
    assert_eq!(
        app.get(&sealed, None).await.code(),
        "confidential_until_opening"
    );
    crate::bonds::past_the_deadline(&app, &id).await;
    let disclosed = app.get(&sealed, None).await;
    assert_eq!(disclosed.body.as_array().unwrap().len(), 6);
}

/// Who bid is in the data directory (its database, the sealed bids): no other local user reads it.
#[cfg(unix)]
#[tokio::test]
async fn a_fresh_data_directory_and_its_files_are_the_hall_s_user_s_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn_with(|c| {
        c.store.data_dir = c.store.data_dir.join("fresh");
        c.store.object_store = None; // the sealed bid in the data folder too
    })
    .await;
    let b = open_box(&app).await;
    bids_in(&app, &b, &[Some(98_000_000)], &[]).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = app.args.store.data_dir.clone();
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    if let Some(db) = app.args.store.sqlite_file() {
        assert_eq!(mode(&db), 0o600, "{}", db.display());
    }
    let mut files = Vec::new();
    let mut dirs = vec![data.join("blobs")];
    while let Some(d) = dirs.pop() {
        assert_eq!(mode(&d) & 0o077, 0, "{} is open to others", d.display());
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    assert!(!files.is_empty(), "the sealed bid is stored");
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}
