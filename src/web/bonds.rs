//! The bonds' pages (docs/bonds.md): `GET /tenders/{id}/bond`, the tenderer's own bond page (how to
//! pay, each bond's state, receipts, refunds, electronic guarantees); `GET /tenders/{id}/bonds`, the
//! tender's bonds for its owner, agent, supervisor and the trading centre; `GET /ledger`, the
//! trading centre's ledger, and `POST /ledger`, the same page with a pasted bank statement
//! reconciled against the ledger (nothing is written). Each page calls the use case the JSON API
//! calls, so it shows what the API would let the viewer read and refuses whom the API refuses.

use super::tender::org_names;
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::bonds::directory::{SANDBOX_CODE, SANDBOX_PATH};
use crate::bonds::ledger::Account;
use crate::bonds::reconcile::{reconcile, Difference};
use crate::bonds::service::{
    self, instruction_for, BondLine, BondsError, BondsView, RefundLine, PAYEE_NAME,
};
use crate::bonds::statement::Statement;
use crate::bonds::Bond;
use crate::domain::{OrgId, Timestamp};
use crate::tenders::access::Action;
use crate::tenders::model::Tender;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where a signed-out visitor goes.
fn to_sign_in() -> Response {
    Redirect::to("/signin").into_response()
}

/// The page for a refusal of the bonds' use cases.
fn refused(page: &Page, e: BondsError) -> Response {
    match e {
        BondsError::NotFound => page.not_found(),
        BondsError::Forbidden(_) => page.message(
            StatusCode::FORBIDDEN,
            "bonds_not_for_you_title",
            "bonds_not_for_you_body",
        ),
        BondsError::ConfidentialUntilOpening { .. } => page.message(
            StatusCode::FORBIDDEN,
            "bonds_confidential_title",
            "bonds_confidential_body",
        ),
        BondsError::NotObtained => page.message(
            StatusCode::FORBIDDEN,
            "bond_not_obtained_title",
            "bond_not_obtained_body",
        ),
        BondsError::Store(e) => page.store_failed(e),
        e => {
            tracing::error!(error = %e, "a bonds page could not be built");
            page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            )
        }
    }
}

/// How the tenderer pays: the sub-account once it has one, the payee, the bank. Each bond's own
/// deadline is beside its amount (a bid bond's is the bid deadline, a performance bond's the
/// contract's), never one date for all.
#[derive(Debug, Serialize)]
pub struct HowToPay {
    pub bank: Option<String>,
    pub sub_account: Option<String>,
    pub payee_name: &'static str,
    /// The sandbox bank's own page, in the demo.
    pub sandbox_url: Option<String>,
}

/// One bond the tenderer is expected to give, and where it stands.
#[derive(Debug, Serialize)]
pub struct BondState {
    /// `bid` or `performance`.
    pub bond: &'static str,
    pub lot_id: Option<String>,
    pub lot_name: Option<String>,
    pub required_fen: i64,
    pub due_by: Timestamp,
    pub received_fen: i64,
    pub held_fen: i64,
    /// `awaiting`, `received`, `refund_instructed`, `refunded` or `forfeited`.
    pub state: &'static str,
    pub ground: Option<String>,
    pub article: Option<String>,
}

/// Where a bond stands, from its postings, its refund instruction and any forfeiture.
pub fn bond_state(
    line: Option<&BondLine>,
    refund: Option<&RefundLine>,
    forfeited: bool,
) -> &'static str {
    let Some(line) = line else {
        return "awaiting";
    };
    if forfeited || line.forfeited_fen > 0 {
        "forfeited"
    } else if line.refunded_fen > 0 {
        match refund {
            Some(r) if r.state == "paid" => "refunded",
            _ => "refund_instructed",
        }
    } else if line.held_fen > 0 {
        "received"
    } else {
        "awaiting"
    }
}

fn same_bond(line: &BondLine, bond: &Bond) -> bool {
    match bond {
        Bond::Bid { lot, tenderer, .. } => {
            line.bond == "bid"
                && line.lot_id.as_deref() == Some(lot.as_str())
                && line.tenderer_id == tenderer.as_str()
        }
        Bond::Performance { tenderer, .. } => {
            line.bond == "performance" && line.tenderer_id == tenderer.as_str()
        }
    }
}

fn account_of(bond: &Bond) -> Account {
    match bond.clone() {
        Bond::Bid {
            tender,
            lot,
            tenderer,
        } => Account::BidBond {
            tender,
            lot,
            tenderer,
        },
        Bond::Performance { tender, tenderer } => Account::PerformanceBond { tender, tenderer },
    }
}

/// Every expected bond of the tenderer with its state (pure, for the tests).
pub fn bond_states(
    tender: &Tender,
    expected: &[crate::bonds::ExpectedBond],
    view: &BondsView,
) -> Vec<BondState> {
    expected
        .iter()
        .map(|e| {
            let line = view.bonds.iter().find(|l| same_bond(l, &e.bond));
            let instruction = instruction_for(&account_of(&e.bond));
            let refund = view
                .refunds
                .iter()
                .find(|r| r.instruction_id == instruction.as_str());
            let (kind, lot) = match &e.bond {
                Bond::Bid { lot, .. } => ("bid", Some(lot.as_str().to_owned())),
                Bond::Performance { .. } => ("performance", None),
            };
            let forfeiture = view
                .forfeitures
                .iter()
                .find(|f| f["bond"] == kind && f["lot_id"].as_str().map(str::to_owned) == lot);
            let lot_name = lot.as_ref().and_then(|id| {
                tender
                    .spec
                    .lots
                    .iter()
                    .find(|l| l.id.as_str() == id)
                    .map(|l| l.name.as_str().to_owned())
            });
            BondState {
                bond: kind,
                lot_id: lot,
                lot_name,
                required_fen: e.required.fen(),
                due_by: e.due_by,
                received_fen: line.map_or(0, |l| l.received_fen),
                held_fen: line.map_or(0, |l| l.held_fen),
                state: bond_state(line, refund, forfeiture.is_some()),
                ground: forfeiture.and_then(|f| f["ground"].as_str().map(str::to_owned)),
                article: forfeiture.and_then(|f| f["article"].as_str().map(str::to_owned)),
            }
        })
        .collect()
}

/// A refund as a page shows it: overdue once its due date passed unpaid.
fn refund_rows(refunds: &[RefundLine], now: Timestamp) -> Vec<Value> {
    refunds
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["overdue"] = json!(r.state != "paid" && r.due_by < now);
            v
        })
        .collect()
}

/// The lots' names by id, for the tables.
fn lot_names(tender: &Tender) -> BTreeMap<String, String> {
    tender
        .spec
        .lots
        .iter()
        .map(|l| (l.id.as_str().to_owned(), l.name.as_str().to_owned()))
        .collect()
}

pub async fn bond(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(actor) = page.actor.clone() else {
        return to_sign_in();
    };
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let view = match service::my_bonds(&app, &actor, &tender.id).await {
        Ok(v) => v,
        Err(e) => return refused(&page, e),
    };
    let expected = match service::expected_bonds(&app, &tender, &actor.org_id).await {
        Ok(e) => e,
        Err(e) => return refused(&page, e),
    };
    let found = tokio::try_join!(
        app.store.sub_account_of(&tender.id, &actor.org_id),
        app.store.guarantees_of_tender(&tender.id),
    );
    let (sub_account, guarantees) = match found {
        Ok(found) => found,
        Err(e) => return page.store_failed(e),
    };
    let bank = match &sub_account {
        Some(row) => app.banks.get(&row.bank),
        None => app.banks.default_bank(),
    };
    let how = HowToPay {
        bank: bank.as_ref().map(|b| b.code.as_str().to_owned()),
        sub_account: sub_account.map(|row| row.number),
        payee_name: PAYEE_NAME,
        // The sandbox bank's page is served by the hall itself only in the demo.
        sandbox_url: bank
            .filter(|b| app.config.demo && b.code.as_str() == SANDBOX_CODE)
            .map(|_| SANDBOX_PATH.to_owned()),
    };
    let guarantees: Vec<Value> = guarantees
        .iter()
        .filter(|g| g.document.tenderer_id == actor.org_id)
        .map(|g| {
            json!({
                "id": g.id,
                "number": g.document.guarantee_number,
                "kind": g.document.kind,
                "lot_id": g.document.lot_id,
                "amount_fen": g.document.amount_fen.fen(),
                "valid_from": g.document.valid_from,
                "valid_until": g.document.valid_until,
                "uploaded_at": g.uploaded_at,
            })
        })
        .collect();
    let now = app.clock.now();
    let ctx = context! {
        tender => &tender,
        how => &how,
        lot_names => lot_names(&tender),
        states => bond_states(&tender, &expected, &view),
        receipts => &view.receipts,
        refunds => refund_rows(&view.refunds, now),
        forfeitures => &view.forfeitures,
        guarantees => guarantees,
        bidding_open => tender.is_bidding_open(now),
        page_json => script_json(&json!({ "tender_id": tender.id })),
    };
    page.render_tender(&app, StatusCode::OK, "bond.html", ctx, &tender)
        .await
}

/// Sums over a tender's bonds and refunds, for the page's footer.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub received_fen: i64,
    pub held_fen: i64,
    pub refunded_fen: i64,
    pub forfeited_fen: i64,
    pub flagged_fen: i64,
    pub flagged: usize,
    pub refunds_due: usize,
    pub refunds_overdue: usize,
}

/// The totals of a tender's (or the hall's) view (pure, for the tests).
pub fn totals(view: &BondsView, now: Timestamp) -> Totals {
    let mut t = Totals::default();
    for b in &view.bonds {
        t.received_fen += b.received_fen;
        t.held_fen += b.held_fen;
        t.refunded_fen += b.refunded_fen;
        t.forfeited_fen += b.forfeited_fen;
    }
    for r in view.receipts.iter().filter(|r| r.status == "flagged") {
        t.flagged += 1;
        t.flagged_fen += r.amount_fen;
    }
    for r in view.refunds.iter().filter(|r| r.state != "paid") {
        t.refunds_due += 1;
        if r.due_by < now {
            t.refunds_overdue += 1;
        }
    }
    t
}

/// Names of the tenderers a view mentions; an unknown one keeps its id.
async fn tenderer_names(
    app: &AppState,
    ids: impl Iterator<Item = String>,
) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        let name = match OrgId::parse(&id) {
            Ok(org) => match app.store.get_organisation(&org).await {
                Ok(o) => o.name.as_str().to_owned(),
                Err(_) => id.clone(),
            },
            Err(_) => id.clone(),
        };
        names.insert(id, name);
    }
    names
}

pub async fn tender_bonds(
    State(app): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let Some(actor) = page.actor.clone() else {
        return to_sign_in();
    };
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let view = match service::tender_bonds(&app, &actor, &tender.id).await {
        Ok(v) => v,
        Err(e) => return refused(&page, e),
    };
    let ids = view
        .bonds
        .iter()
        .map(|b| b.tenderer_id.clone())
        .chain(view.receipts.iter().filter_map(|r| r.tenderer_id.clone()))
        .chain(view.refunds.iter().filter_map(|r| r.tenderer_id.clone()))
        .collect::<Vec<_>>();
    let names = tenderer_names(&app, ids.into_iter()).await;
    let now = app.clock.now();
    let flagged: Vec<_> = view
        .receipts
        .iter()
        .filter(|r| r.status == "flagged")
        .collect();
    let ctx = context! {
        tender => &tender,
        orgs => org_names(&app, &tender).await,
        names => names,
        lot_names => lot_names(&tender),
        bonds => &view.bonds,
        flagged => flagged,
        refunds => refund_rows(&view.refunds, now),
        forfeitures => &view.forfeitures,
        totals => totals(&view, now),
    };
    page.render_tender(&app, StatusCode::OK, "tender_bonds.html", ctx, &tender)
        .await
}

/// An account of the ledger as the page names it: its kind and what it belongs to.
fn balance_row(account: &Account, balance_fen: i64) -> Value {
    let mut v = serde_json::to_value(account).unwrap_or_default();
    v["balance_fen"] = json!(balance_fen);
    v
}

/// A reconciliation as the page shows it, or why the statement could not be read.
#[derive(Debug, Serialize)]
pub struct Reconciled {
    pub statement: String,
    /// The parser's own words (English), for an English page.
    pub error: Option<String>,
    /// What is wrong in words any page has: `syntax` (not JSON), `eof` (cut short) or `data`
    /// (JSON, but not a statement), and where.
    pub error_kind: Option<&'static str>,
    pub error_line: usize,
    pub error_column: usize,
    pub bank: Option<String>,
    pub date: Option<String>,
    pub lines: usize,
    pub matched: usize,
    pub differences: Vec<Value>,
}

/// Reads a pasted statement (docs/bonds.md §5.3) and lists its differences with the ledger
/// (pure, for the tests). Nothing is corrected on either side.
pub fn reconcile_pasted(text: &str, ledger: &crate::bonds::Ledger) -> Reconciled {
    let mut out = Reconciled {
        statement: text.to_owned(),
        error: None,
        error_kind: None,
        error_line: 0,
        error_column: 0,
        bank: None,
        date: None,
        lines: 0,
        matched: 0,
        differences: Vec::new(),
    };
    let statement: Statement = match serde_json::from_str(text.trim()) {
        Ok(s) => s,
        Err(e) => {
            use serde_json::error::Category;
            out.error = Some(e.to_string());
            out.error_kind = Some(match e.classify() {
                Category::Syntax | Category::Io => "syntax",
                Category::Eof => "eof",
                Category::Data => "data",
            });
            (out.error_line, out.error_column) = (e.line(), e.column());
            return out;
        }
    };
    let r = reconcile(&statement, ledger);
    out.bank = Some(r.bank.as_str().to_owned());
    out.date = Some(r.date.to_string());
    out.lines = statement.lines().len();
    out.matched = r.matched;
    out.differences = r.differences.iter().map(difference_row).collect();
    out
}

fn difference_row(d: &Difference) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    v["code"] = json!(d.code());
    // Balances are i128 in the ledger; a page shows them as fen like every other amount.
    if let Some(f) = v.get("ledger_fen").and_then(|f| f.as_f64()) {
        v["ledger_fen"] = json!(f as i64);
    }
    v
}

#[derive(Deserialize)]
pub struct StatementForm {
    #[serde(default)]
    statement: String,
}

async fn ledger_page(app: &AppState, page: &Page, pasted: Option<String>) -> Response {
    let Some(actor) = page.actor.clone() else {
        return to_sign_in();
    };
    let hall = match service::hall_ledger(app, &actor).await {
        Ok(h) => h,
        Err(e) => return refused(page, e),
    };
    let reconciled = match pasted {
        Some(text) => match service::ledger(app).await {
            Ok(ledger) => Some(reconcile_pasted(&text, &ledger)),
            Err(e) => return refused(page, e),
        },
        None => None,
    };
    let balances: Vec<Value> = hall
        .balances
        .iter()
        .map(|b| balance_row(&b.account, b.balance_fen))
        .collect();
    let ids = hall
        .balances
        .iter()
        .filter_map(|b| match &b.account {
            Account::BidBond { tenderer, .. } | Account::PerformanceBond { tenderer, .. } => {
                Some(tenderer.to_string())
            }
            _ => None,
        })
        .chain(hall.flagged.iter().filter_map(|r| r.tenderer_id.clone()))
        .chain(hall.refunds.iter().filter_map(|r| r.tenderer_id.clone()))
        .collect::<Vec<_>>();
    let names = tenderer_names(app, ids.into_iter()).await;
    let now = app.clock.now();
    let daily: Vec<Value> = match app.store.reconciliations(30).await {
        Ok(rows) => rows
            .into_iter()
            .map(|r| {
                serde_json::json!({
                    "bank": r.bank, "day": r.day, "matched": r.matched,
                    "differences": r.differences.as_array().map_or(0, Vec::len),
                    "ran_at": crate::web::format::beijing(&r.ran_at.to_rfc3339()),
                })
            })
            .collect(),
        Err(e) => return page.store_failed(e),
    };
    let ctx = context! {
        hall => &hall,
        names => names,
        balances => balances,
        refunds => refund_rows(&hall.refunds, now),
        reconciled => reconciled,
        daily => daily,
    };
    page.render(StatusCode::OK, "ledger.html", ctx)
}

pub async fn ledger(State(app): State<AppState>, page: Page) -> Response {
    ledger_page(&app, &page, None).await
}

pub async fn reconcile_statement(
    State(app): State<AppState>,
    page: Page,
    Form(form): Form<StatementForm>,
) -> Response {
    ledger_page(&app, &page, Some(form.statement)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bonds::ledger::Ground;
    use crate::bonds::service::ReceiptLine;
    use crate::web::bidbox::tests::tender;
    use crate::web::i18n::{self, Lang};
    use crate::web::views::Views;
    use std::sync::Arc;

    const XSS: &str = "<script>alert(1)</script>";
    const TEMPLATES: [&str; 6] = [
        include_str!("../../web/templates/bond.html"),
        include_str!("../../web/templates/tender_bonds.html"),
        include_str!("../../web/templates/ledger.html"),
        include_str!("../../web/templates/_receipts.html"),
        include_str!("../../web/templates/_refunds.html"),
        include_str!("../../web/templates/_forfeitures.html"),
    ];
    const SCRIPT: &str = include_str!("../../web/static/js/app/bond-page.js");

    fn line(received: i64, refunded: i64, forfeited: i64) -> BondLine {
        BondLine {
            tenderer_id: "t".into(),
            bond: "bid".into(),
            lot_id: Some("l".into()),
            received_fen: received,
            held_fen: received - refunded - forfeited,
            refunded_fen: refunded,
            forfeited_fen: forfeited,
        }
    }

    fn refund(state: &str, due_by: i64) -> RefundLine {
        RefundLine {
            instruction_id: "RF1".into(),
            tenderer_id: Some("t".into()),
            amount_fen: 100,
            due_by: Timestamp::from_stored(due_by),
            article: "条例 第五十七条".into(),
            state: state.into(),
            attempts: 1,
        }
    }

    #[test]
    fn a_bond_is_awaited_received_refunded_or_forfeited() {
        assert_eq!(bond_state(None, None, false), "awaiting");
        assert_eq!(bond_state(Some(&line(0, 0, 0)), None, false), "awaiting");
        assert_eq!(bond_state(Some(&line(100, 0, 0)), None, false), "received");
        let pending = refund("pending", 0);
        let paid = refund("paid", 0);
        assert_eq!(
            bond_state(Some(&line(100, 100, 0)), Some(&pending), false),
            "refund_instructed"
        );
        assert_eq!(
            bond_state(Some(&line(100, 100, 0)), Some(&paid), false),
            "refunded"
        );
        assert_eq!(
            bond_state(Some(&line(100, 0, 100)), None, false),
            "forfeited"
        );
    }

    #[test]
    fn totals_count_flagged_money_and_refunds_due_and_overdue() {
        let view = BondsView {
            tender_id: "x".into(),
            bonds: vec![line(100, 0, 0), line(300, 300, 0)],
            receipts: vec![ReceiptLine {
                tenderer_id: None,
                bank_txn_id: "SBX1".into(),
                sub_account: "8801".into(),
                amount_fen: 7,
                value_time: Timestamp::from_stored(0),
                status: "flagged",
                reason: Some("short".into()),
                detail: json!({}),
            }],
            refunds: vec![
                refund("pending", 10),
                refund("accepted", 1_000),
                refund("paid", 0),
            ],
            forfeitures: vec![],
        };
        let t = totals(&view, Timestamp::from_stored(500));
        assert_eq!(
            (t.received_fen, t.held_fen, t.refunded_fen),
            (400, 100, 300)
        );
        assert_eq!((t.flagged, t.flagged_fen), (1, 7));
        assert_eq!((t.refunds_due, t.refunds_overdue), (2, 1));
    }

    #[test]
    fn a_statement_that_is_not_one_is_refused_in_words_and_kept_as_text() {
        let r = reconcile_pasted("{\"bank\": 1}", &crate::bonds::Ledger::new());
        assert!(r.error.is_some() && r.differences.is_empty());
        let html = Page::new(Lang::Zh, None, Arc::new(Views::new()))
            .html(
                "ledger.html",
                context! {
                    hall => json!({"trial_balance_fen": 0, "transactions": 0, "balances": [], "flagged": [], "refunds": []}),
                    balances => Vec::<Value>::new(),
                    refunds => Vec::<Value>::new(),
                    names => BTreeMap::<String, String>::new(),
                    reconciled => reconcile_pasted(XSS, &crate::bonds::Ledger::new()),
                },
            )
            .unwrap();
        assert!(
            !html.contains("<script>alert"),
            "raw pasted markup in the page"
        );
        assert!(html.contains("&lt;script&gt;alert(1)"));
        assert!(html.contains(r#"id="statement-error""#));
    }

    #[test]
    fn user_text_on_a_tender_s_bonds_is_escaped() {
        let t = tender(&OrgId::generate(), &OrgId::generate());
        let lot = t.spec.lots[0].id.as_str().to_owned();
        let html = Page::new(Lang::En, None, Arc::new(Views::new()))
            .html(
                "tender_bonds.html",
                context! {
                    tender => &t,
                    names => BTreeMap::from([("t".to_string(), format!("乙 {XSS}"))]),
                    lot_names => lot_names(&t),
                    bonds => vec![BondLine { lot_id: Some(lot.clone()), ..line(100, 0, 0) }],
                    flagged => Vec::<Value>::new(),
                    refunds => Vec::<Value>::new(),
                    forfeitures => vec![json!({"tenderer_id": "t", "bond": "bid", "lot_id": lot,
                        "amount_fen": 100, "ground": "refused_to_sign", "article": "条例 第七十四条",
                        "reason": format!("拒签 {XSS}"), "at": "2026-12-01T01:30:00Z"})],
                    totals => Totals::default(),
                },
            )
            .unwrap();
        assert!(
            !html.contains("<script>alert"),
            "raw user markup in the page"
        );
        assert!(html.contains("The winner refused to sign the contract"));
        assert!(html.contains("¥1.00") && html.contains("2026-12-01 09:30"));
    }

    fn receipt(status: &'static str, reason: Option<&str>, detail: Value) -> ReceiptLine {
        ReceiptLine {
            tenderer_id: Some("t".into()),
            bank_txn_id: "SBX0001".into(),
            sub_account: "8801000000000001".into(),
            amount_fen: 1_999_999,
            value_time: Timestamp::parse("2026-12-01T01:30:00Z").unwrap(),
            status,
            reason: reason.map(str::to_owned),
            detail,
        }
    }

    fn signed_in(role: crate::identity::Role) -> Page {
        let actor = crate::identity::Actor {
            user_id: crate::domain::UserId::generate(),
            org_id: OrgId::generate(),
            role,
            display_name: "李会计".into(),
            org_name: "沈阳某建设工程有限公司".into(),
        };
        Page::new(Lang::Zh, Some(actor), Arc::new(Views::new()))
    }

    #[test]
    fn the_bond_pages_and_the_ledger_speak_chinese() {
        use crate::identity::Role;
        use crate::web::zh_guard::assert_speaks_chinese;
        let t = tender(&OrgId::generate(), &OrgId::generate());
        let lot = t.spec.lots[0].id.as_str().to_owned();
        let flagged = vec![
            receipt(
                "flagged",
                Some("short"),
                json!({"required": 2_000_000, "paid": 1_999_999}),
            ),
            receipt(
                "flagged",
                Some("after_deadline"),
                json!({"due_by": "2026-12-01T01:30:00Z"}),
            ),
            receipt(
                "flagged",
                Some("nothing_outstanding"),
                json!({"outstanding": [2_000_000]}),
            ),
        ];
        let refunds = refund_rows(
            &[
                refund("pending", 1_800_000_000_000),
                refund("paid", 1_800_000_000_000),
            ],
            Timestamp::from_stored(1_800_000_000_001),
        );
        let forfeitures = vec![
            json!({"tenderer_id": "t", "bond": "performance", "lot_id": null,
            "amount_fen": 35_800_000, "ground": "refused_to_sign", "article": "条例 第七十四条",
            "reason": "拒签合同", "at": "2026-12-20T01:30:00Z"}),
        ];

        // the tenderer's bond page: a bid bond due at the bid deadline and a performance bond
        // due at the contract's, each beside its own amount
        let states = vec![
            BondState {
                bond: "bid",
                lot_id: Some(lot.clone()),
                lot_name: Some("第一标段".into()),
                required_fen: 2_000_000,
                due_by: t.spec.schedule.bid_deadline,
                received_fen: 2_000_000,
                held_fen: 0,
                state: "refunded",
                ground: None,
                article: None,
            },
            BondState {
                bond: "performance",
                lot_id: None,
                lot_name: None,
                required_fen: 35_800_000,
                due_by: Timestamp::parse("2027-01-05T01:30:00Z").unwrap(),
                received_fen: 0,
                held_fen: 0,
                state: "awaiting",
                ground: None,
                article: None,
            },
        ];
        let how = HowToPay {
            bank: Some("SBX".into()),
            sub_account: Some("8801000000000001".into()),
            payee_name: PAYEE_NAME,
            sandbox_url: Some("/sandbox-bank".into()),
        };
        let guarantees = vec![json!({"id": "g", "number": "BH-2026-0001", "kind": "bid",
            "lot_id": lot, "amount_fen": 2_000_000, "valid_from": "2026-11-20T00:00:00Z",
            "valid_until": "2027-03-01T00:00:00Z", "uploaded_at": "2026-11-21T02:00:00Z"})];
        let bond = signed_in(Role::Tenderer)
            .html(
                "bond.html",
                context! {
                    tender => &t, how => &how, lot_names => lot_names(&t), states => &states,
                    receipts => vec![receipt("bond", None, json!({"lot_id": lot}))],
                    refunds => &refunds, forfeitures => &forfeitures, guarantees => &guarantees,
                    bidding_open => false, page_json => script_json(&json!({})),
                },
            )
            .unwrap();
        assert_speaks_chinese("the bond page", &bond);
        let amounts = &bond[bond.find(r#"id="amounts""#).unwrap()..];
        let amounts = &amounts[..amounts.find("</ul>").unwrap()];
        assert!(
            amounts.contains("¥358,000.00")
                && amounts.contains("合同签订期限前到账：")
                && amounts.contains("2027-01-05 09:30"),
            "{amounts}"
        );
        // the bid deadline is the bid bond's alone
        assert_eq!(amounts.matches("2026-12-01 09:30").count(), 1, "{amounts}");

        // a tender's bonds, for the owner's side
        let names = BTreeMap::from([("t".to_string(), "沈阳某建设工程有限公司".to_string())]);
        let bonds = signed_in(Role::Agent)
            .html(
                "tender_bonds.html",
                context! {
                    tender => &t, names => &names, lot_names => lot_names(&t),
                    bonds => vec![BondLine { lot_id: Some(lot.clone()), ..line(2_000_000, 0, 0) }],
                    flagged => &flagged, refunds => &refunds, forfeitures => &forfeitures,
                    totals => Totals { flagged: 3, refunds_due: 1, refunds_overdue: 1, ..Totals::default() },
                },
            )
            .unwrap();
        assert_speaks_chinese("a tender's bonds", &bonds);

        // the trading centre's ledger, with the daily reconciliations, an unreadable statement
        // and one with every kind of difference
        let hall = json!({"trial_balance_fen": 0, "transactions": 12, "balances": [],
            "flagged": flagged, "refunds": []});
        let balances = vec![
            json!({"kind": "clearing", "bank": "SBX", "balance_fen": 4_000_000}),
            json!({"kind": "bid_bond", "tender": t.id, "lot": lot, "tenderer": "t", "balance_fen": 2_000_000}),
            json!({"kind": "performance_bond", "tender": t.id, "tenderer": "t", "balance_fen": 0}),
            json!({"kind": "suspense", "bank": "SBX", "bank_txn": "SBX0002", "balance_fen": 12_345}),
            json!({"kind": "refunds_payable", "instruction": "RF1", "balance_fen": 100}),
            json!({"kind": "forfeited", "balance_fen": 0}),
        ];
        let daily = vec![
            json!({"bank": "SBX", "day": "2026-12-01", "matched": 3, "differences": 0,
                "ran_at": crate::web::format::beijing("2026-12-02T00:05:00Z")}),
            json!({"bank": "SBX", "day": "2026-12-02", "matched": 2, "differences": 1,
                "ran_at": crate::web::format::beijing("2026-12-03T00:05:00Z")}),
        ];
        let mut differences = reconcile_pasted("{}", &crate::bonds::Ledger::new());
        differences.error = None;
        differences.error_kind = None;
        differences.bank = Some("SBX".into());
        differences.date = Some("2026-12-01".into());
        differences.differences = vec![
            json!({"code": "missing_in_ledger", "bank_txn_id": "SBX1", "direction": "credit", "amount_fen": 100}),
            json!({"code": "missing_in_statement", "bank_txn_id": "SBX2", "direction": "debit", "amount_fen": 100, "at": "2026-12-01T03:00:00Z"}),
            json!({"code": "amount_differs", "bank_txn_id": "SBX3", "statement_fen": 100, "ledger_fen": 99}),
            json!({"code": "direction_differs", "bank_txn_id": "SBX4", "statement": "credit", "ledger": "debit"}),
            json!({"code": "day_differs", "bank_txn_id": "SBX5", "statement": "2026-12-01T03:00:00Z", "ledger": "2026-12-02T03:00:00Z"}),
            json!({"code": "reference_differs", "bank_txn_id": "SBX6", "statement": "8801000000000001", "ledger": "8801000000000002"}),
            json!({"code": "opening_balance_differs", "statement_fen": 100, "ledger_fen": 0}),
            json!({"code": "closing_balance_differs", "statement_fen": 100, "ledger_fen": 0}),
        ];
        let unreadable = [
            "{\"bank\": 1}",
            "{\"bank\": \"SBX\",",
            "not json",
            "{\"bank\": \"SBX\", \"date\": \"2026-12-01\", \"unknown_member\": 1}",
        ];
        for reconciled in unreadable
            .iter()
            .map(|s| reconcile_pasted(s, &crate::bonds::Ledger::new()))
            .chain([differences])
        {
            let html = signed_in(Role::Platform)
                .html(
                    "ledger.html",
                    context! {
                        hall => &hall, names => &names, balances => &balances,
                        refunds => &refunds, reconciled => &reconciled, daily => &daily,
                    },
                )
                .unwrap();
            assert_speaks_chinese("the ledger", &html);
            // a statement's UTC day is shown as the Beijing times it covers
            assert!(html.contains("2026-12-01 08:00 – 2026-12-02 08:00"));
            if reconciled.error.is_some() {
                assert!(
                    html.contains("对账单无法读取") && html.contains("行第"),
                    "{html}"
                );
            }
        }
    }

    #[test]
    fn every_word_the_bond_pages_name_exists() {
        let table = i18n::table(Lang::En);
        for template in TEMPLATES {
            for (i, _) in template.match_indices("tr.") {
                let id: String = template[i + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(table.contains_key(id.as_str()), "no message {id:?}");
            }
        }
        let grounds = [
            Ground::RevokedAfterDeadline,
            Ground::RefusedToSign,
            Ground::ConditionsAtSigning,
            Ground::NoPerformanceBond,
            Ground::ContractNotPerformed,
        ]
        .map(Ground::code);
        let codes: &[(&str, &[&str])] = &[
            ("bond_kind_", &["bid", "performance"]),
            ("bond_due_", &["bid", "performance"]),
            (
                "bond_state_",
                &[
                    "awaiting",
                    "received",
                    "refund_instructed",
                    "refunded",
                    "forfeited",
                ],
            ),
            ("bond_ground_", &grounds),
            (
                "bond_reason_",
                &[
                    "unknown_sub_account",
                    "short",
                    "over",
                    "no_matching_amount",
                    "already_held",
                    "nothing_outstanding",
                    "after_deadline",
                ],
            ),
            ("bond_refund_", &["pending", "accepted", "paid"]),
            (
                "ledger_kind_",
                &[
                    "clearing",
                    "bid_bond",
                    "performance_bond",
                    "forfeited",
                    "suspense",
                    "refunds_payable",
                ],
            ),
            (
                "ledger_diff_",
                &[
                    "missing_in_ledger",
                    "missing_in_statement",
                    "amount_differs",
                    "direction_differs",
                    "day_differs",
                    "reference_differs",
                    "opening_balance_differs",
                    "closing_balance_differs",
                ],
            ),
            ("ledger_dir_", &["credit", "debit"]),
        ];
        for (prefix, list) in codes {
            for code in *list {
                let id = format!("{prefix}{code}");
                assert!(table.contains_key(id.as_str()), "no message {id:?}");
            }
        }
        // the script's own words, and a verdict in words for every refusal of a guarantee
        for id in [
            "js_guarantee_not_json",
            "js_guarantee_accepted",
            "js_guarantee_refused",
        ] {
            assert!(SCRIPT.contains(id) && table.contains_key(id), "{id}");
        }
        assert!(SCRIPT.contains("js_verdict_"));
        for code in [
            "malformed",
            "unknown_issuer",
            "signature_invalid",
            "kind_not_accepted",
            "wrong_party",
            "too_small",
            "not_yet_valid",
            "expired",
            "duplicate",
            "too_late",
        ] {
            let id = format!("js_verdict_guarantee_{code}");
            assert!(table.contains_key(id.as_str()), "no message {id:?}");
        }
    }
}
