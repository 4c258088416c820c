//! The sandbox bank's HTTP face, nestable at any prefix: payer accounts and transfers, each behind
//! its account's access code (a bearer header for the API, an HttpOnly cookie for the page); the
//! hall-facing refund and statement endpoints of docs/bonds.md §5.2, signed by the hall; and a
//! plain HTML page (网上银行). Handlers only translate; the rules are in the bank.

use super::access::AccessCode;
use super::{page, AccountView, BankError, SandboxBank};
use crate::http::error::ApiError;
use crate::web::i18n::{self, Lang, LANG_COOKIE};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

pub const TIMESTAMP_HEADER: &str = "Bidhall-Timestamp";
pub const SIGNATURE_HEADER: &str = "Bidhall-Signature";

/// The page's cookies are named this ‖ the account number; each holds that account's code.
const COOKIE_PREFIX: &str = "sbx_acct_";
/// How many accounts one browser's cookies are read for.
const MAX_HELD: usize = 20;
/// A page cookie lasts 30 days; the payer can sign in again with the code at any time.
const COOKIE_MAX_AGE_SECS: i64 = 30 * 24 * 3600;

#[derive(Clone)]
struct Bank {
    bank: Arc<SandboxBank>,
    /// Where the router is nested, for the page's links and form actions.
    prefix: Arc<str>,
    /// Mark the page's cookies `Secure` (served over HTTPS).
    secure_cookies: bool,
}

/// The bank's routes, to be served at `prefix` (`""` when it runs on its own).
pub fn router(bank: Arc<SandboxBank>, prefix: &str, secure_cookies: bool) -> Router {
    let routes = Router::new()
        .route("/accounts", post(open_account))
        .route("/accounts/{account}", get(account))
        .route("/transfers", post(transfer))
        .route("/refunds", post(refund))
        .route("/statements/{date}", get(statement))
        .route("/guarantees", post(issue_guarantee))
        .route("/guarantee-issuer", get(guarantee_issuer))
        .route("/form/accounts", post(form_open_account))
        .route("/form/transfers", post(form_transfer))
        .route("/form/sign-in", post(form_sign_in))
        .route("/form/sign-out", post(form_sign_out))
        .route("/", get(home));
    routes.with_state(Bank {
        bank,
        prefix: prefix.trim_end_matches('/').into(),
        secure_cookies,
    })
}

fn status_of(e: &BankError) -> StatusCode {
    match e {
        BankError::UnknownAccount(_) => StatusCode::NOT_FOUND,
        BankError::Unauthenticated => StatusCode::UNAUTHORIZED,
        BankError::InsufficientFunds { .. }
        | BankError::InvalidAmount
        | BankError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        BankError::Signature(s) if s.code() == "malformed" => StatusCode::BAD_REQUEST,
        BankError::Signature(_) => StatusCode::UNAUTHORIZED,
        BankError::Conflicting(_) => StatusCode::CONFLICT,
        BankError::Journal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<BankError> for ApiError {
    fn from(e: BankError) -> Self {
        let message = e.to_string();
        if let BankError::Journal(_) = e {
            return ApiError::internal(message);
        }
        ApiError::new(status_of(&e), e.code(), message)
    }
}

/// Nothing a payer sees (an account, an access code) is kept by a cache.
const NO_STORE: [(axum::http::HeaderName, &str); 1] = [(CACHE_CONTROL, "no-store")];

/// The access code an API request carries for `account`: none → `401 unauthenticated`; one that is
/// not a code at all opens nothing, like a wrong one.
fn bearer(headers: &HeaderMap, account: &str) -> Result<AccessCode, BankError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, code)| code)
        .ok_or(BankError::Unauthenticated)?;
    AccessCode::parse(value).ok_or_else(|| BankError::UnknownAccount(account.to_owned()))
}

/// The (account, code) pairs this browser's cookies hold, as it sent them: not yet checked.
fn cookie_codes(headers: &HeaderMap) -> Vec<(String, AccessCode)> {
    let mut held = Vec::new();
    for h in headers.get_all(COOKIE) {
        for pair in h.to_str().unwrap_or("").split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            let Some(account) = name.strip_prefix(COOKIE_PREFIX) else {
                continue;
            };
            if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(code) = AccessCode::parse(value) {
                if held.len() < MAX_HELD && !held.iter().any(|(a, _)| a == account) {
                    held.push((account.to_owned(), code));
                }
            }
        }
    }
    held
}

/// The accounts this browser's cookies open; a stale or wrong cookie shows nothing.
fn held_accounts(b: &Bank, headers: &HeaderMap) -> Vec<AccountView> {
    cookie_codes(headers)
        .iter()
        .filter_map(|(account, code)| b.bank.account(account, code).ok())
        .collect()
}

impl Bank {
    fn cookie(&self, account: &str, value: &str, max_age_secs: i64) -> HeaderValue {
        let path = if self.prefix.is_empty() {
            "/"
        } else {
            &self.prefix
        };
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE_PREFIX}{account}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
        ))
        .expect("digits, a code and a path are ASCII")
    }

    fn keep(&self, account: &str, code: &AccessCode) -> HeaderValue {
        self.cookie(account, code.expose(), COOKIE_MAX_AGE_SECS)
    }

    fn forget(&self, account: &str) -> HeaderValue {
        self.cookie(account, "", 0)
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    balance_fen: i64,
}

#[derive(Serialize)]
struct Opened<'a> {
    #[serde(flatten)]
    view: &'a AccountView,
    /// Given this once; the bank keeps only its digest.
    access_code: &'a str,
}

async fn open_account(State(b): State<Bank>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let input: NewAccount = crate::http::extract::parse_json(&body)?;
    let opened = b.bank.open_account(&input.name, input.balance_fen)?;
    let body = Opened {
        view: &opened.view,
        access_code: opened.access_code.expose(),
    };
    Ok((StatusCode::CREATED, NO_STORE, Json(body)).into_response())
}

async fn account(
    State(b): State<Bank>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let code = bearer(&headers, &number)?;
    let view = b.bank.account(&number, &code)?;
    Ok((NO_STORE, Json(view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTransfer {
    from_account: String,
    to_sub_account: String,
    amount_fen: i64,
}

async fn transfer(
    State(b): State<Bank>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    // Who asks comes before what is asked: a stranger learns nothing from a refusal of the body.
    if headers.get(AUTHORIZATION).is_none() {
        return Err(BankError::Unauthenticated.into());
    }
    let t: NewTransfer = crate::http::extract::parse_json(&body)?;
    let code = bearer(&headers, &t.from_account)?;
    let id = b
        .bank
        .transfer(&t.from_account, &code, &t.to_sub_account, t.amount_fen)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "bank_txn_id": id.as_str() })),
    ))
}

async fn refund(
    State(b): State<Bank>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let accepted = b.bank.refund(
        header(&headers, TIMESTAMP_HEADER),
        header(&headers, SIGNATURE_HEADER),
        &body,
    )?;
    Ok(Json(accepted))
}

/// The statement, signed by the bank like every message it sends.
async fn statement(
    State(b): State<Bank>,
    headers: HeaderMap,
    Path(date): Path<String>,
) -> Result<Response, ApiError> {
    let s = b.bank.signed_statement(
        header(&headers, TIMESTAMP_HEADER),
        header(&headers, SIGNATURE_HEADER),
        &date,
    )?;
    let body = s.to_body().map_err(ApiError::internal)?;
    let (ts, sig) = b.bank.sign(&body);
    Ok((
        [
            ("content-type", "application/json".to_owned()),
            (TIMESTAMP_HEADER, ts.to_string()),
            (SIGNATURE_HEADER, sig),
        ],
        body,
    )
        .into_response())
}

/// The page, in the language `?lang=` asks for (then kept in the hall's language cookie, which
/// the hall's pages read too), else the one that cookie holds, else Chinese.
async fn home(State(b): State<Bank>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let asked = q
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("lang=")));
    let (lang, remember) = i18n::choose(asked, lang_cookie(&headers).as_deref());
    let mut resp = page(&b, &headers, lang, StatusCode::OK, None);
    if remember {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

fn lang_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The language of a form's answer: the one the page was in.
fn lang_of(headers: &HeaderMap) -> Lang {
    i18n::choose(None, lang_cookie(headers).as_deref()).0
}

#[derive(Deserialize)]
struct AccountForm {
    name: String,
    balance_yuan: String,
}

/// Opens an account and shows its code this once; the browser keeps it in a cookie.
async fn form_open_account(
    State(b): State<Bank>,
    headers: HeaderMap,
    Form(f): Form<AccountForm>,
) -> Response {
    let outcome = page::yuan_to_fen(&f.balance_yuan)
        .ok_or(BankError::InvalidAmount)
        .and_then(|fen| b.bank.open_account(&f.name, fen));
    let opened = match outcome {
        Ok(opened) => opened,
        Err(e) => return refused(&b, &headers, e),
    };
    let mut held = held_accounts(&b, &headers);
    held.retain(|a| a.account != opened.view.account);
    held.push(opened.view.clone());
    let html = page::render(
        &b.prefix,
        &page::View {
            held: &held,
            message: None,
            opened: Some((&opened.view.account, opened.access_code.expose())),
        },
        lang_of(&headers),
    );
    let cookie = b.keep(&opened.view.account, &opened.access_code);
    (StatusCode::OK, NO_STORE, [(SET_COOKIE, cookie)], Html(html)).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    account: String,
    access_code: String,
}

/// Number and code → the browser keeps the code; a wrong pair says only that it is wrong.
async fn form_sign_in(
    State(b): State<Bank>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let account = f.account.trim();
    let outcome = AccessCode::parse(&f.access_code)
        .ok_or_else(|| BankError::UnknownAccount(account.to_owned()))
        .and_then(|code| b.bank.account(account, &code).map(|_| code));
    match outcome {
        Ok(code) => (
            NO_STORE,
            [(SET_COOKIE, b.keep(account, &code))],
            Redirect::to(&page::home(&b.prefix)),
        )
            .into_response(),
        Err(e) => refused(&b, &headers, e),
    }
}

/// Forgets every account this browser holds.
async fn form_sign_out(State(b): State<Bank>, headers: HeaderMap) -> Response {
    let mut out = HeaderMap::new();
    for (account, _) in cookie_codes(&headers) {
        out.append(SET_COOKIE, b.forget(&account));
    }
    (out, Redirect::to(&page::home(&b.prefix))).into_response()
}

#[derive(Deserialize)]
struct TransferForm {
    from_account: String,
    to_sub_account: String,
    amount_yuan: String,
}

/// A transfer from one of the accounts this browser holds, with the code its cookie keeps.
async fn form_transfer(
    State(b): State<Bank>,
    headers: HeaderMap,
    Form(f): Form<TransferForm>,
) -> Response {
    let from = f.from_account.trim();
    let outcome = cookie_codes(&headers)
        .into_iter()
        .find(|(account, _)| account == from)
        .map(|(_, code)| code)
        .ok_or_else(|| BankError::UnknownAccount(from.to_owned()))
        .and_then(|code| {
            let fen = page::yuan_to_fen(&f.amount_yuan).ok_or(BankError::InvalidAmount)?;
            b.bank.transfer(from, &code, f.to_sub_account.trim(), fen)
        });
    match outcome {
        Ok(id) => {
            let lang = lang_of(&headers);
            let done = page::transferred(id.as_str(), lang);
            page(&b, &headers, lang, StatusCode::OK, Some(&done))
        }
        Err(e) => refused(&b, &headers, e),
    }
}

/// The page again, saying in the payer's words why the bank refused; the detail of an internal
/// failure goes to the log only.
fn refused(b: &Bank, headers: &HeaderMap, e: BankError) -> Response {
    if let BankError::Journal(j) = &e {
        tracing::error!(error = %j, "the sandbox bank could not journal a request");
    }
    let lang = lang_of(headers);
    page(
        b,
        headers,
        lang,
        status_of(&e),
        Some(&page::refusal(&e, lang)),
    )
}

/// The page with the accounts this browser holds, and nothing of anyone else's.
fn page(
    b: &Bank,
    headers: &HeaderMap,
    lang: Lang,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let held = held_accounts(b, headers);
    let html = page::render(
        &b.prefix,
        &page::View {
            held: &held,
            message,
            opened: None,
        },
        lang,
    );
    (status, NO_STORE, Html(html)).into_response()
}

/// The bank signs a bid guarantee (电子保函) for the demo.
async fn issue_guarantee(
    State(b): State<Bank>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let issuer = b
        .bank
        .issuer()
        .ok_or_else(|| ApiError::not_found("guarantee issuer at this bank"))?;
    let request = crate::http::extract::parse_json(&body)?;
    let g = issuer.issue(request, b.bank.now())?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// The id and key the platform registers to accept this bank's guarantees.
async fn guarantee_issuer(State(b): State<Bank>) -> Result<impl IntoResponse, ApiError> {
    let issuer = b
        .bank
        .issuer()
        .ok_or_else(|| ApiError::not_found("guarantee issuer at this bank"))?;
    Ok(Json(json!({
        "id": super::issuer::ISSUER_ID,
        "name": "沙箱银行 Sandbox Bank",
        "kind": "bank",
        "public_key": issuer.public_key(),
    })))
}
