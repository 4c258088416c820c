//! The sandbox bank's HTTP face, nestable at any prefix: payer accounts and transfers for the
//! demo and tests, the hall-facing refund and statement endpoints of docs/bonds.md §5.2, and a
//! plain HTML page (网上银行). Handlers only translate; the rules are in the bank.

use super::{page, BankError, SandboxBank};
use crate::http::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub const TIMESTAMP_HEADER: &str = "Bidhall-Timestamp";
pub const SIGNATURE_HEADER: &str = "Bidhall-Signature";

#[derive(Clone)]
struct Bank {
    bank: Arc<SandboxBank>,
    /// Where the router is nested, for the page's links and form actions.
    prefix: Arc<str>,
}

/// The bank's routes, to be served at `prefix` (`""` when it runs on its own).
pub fn router(bank: Arc<SandboxBank>, prefix: &str) -> Router {
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
        .route("/", get(home));
    routes.with_state(Bank {
        bank,
        prefix: prefix.trim_end_matches('/').into(),
    })
}

impl From<BankError> for ApiError {
    fn from(e: BankError) -> Self {
        let message = e.to_string();
        let status = match &e {
            BankError::UnknownAccount(_) => StatusCode::NOT_FOUND,
            BankError::InsufficientFunds { .. }
            | BankError::InvalidAmount
            | BankError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            BankError::Signature(s) if s.code() == "malformed" => StatusCode::BAD_REQUEST,
            BankError::Signature(_) => StatusCode::UNAUTHORIZED,
            BankError::Conflicting(_) => StatusCode::CONFLICT,
            BankError::Journal(_) => return ApiError::internal(message),
        };
        ApiError::new(status, e.code(), message)
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

async fn open_account(State(b): State<Bank>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let input: NewAccount = crate::http::extract::parse_json(&body)?;
    let view = b.bank.open_account(&input.name, input.balance_fen)?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn account(
    State(b): State<Bank>,
    Path(number): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    b.bank
        .account(&number)
        .map(Json)
        .ok_or_else(|| BankError::UnknownAccount(number).into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTransfer {
    from_account: String,
    to_sub_account: String,
    amount_fen: i64,
}

async fn transfer(State(b): State<Bank>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let t: NewTransfer = crate::http::extract::parse_json(&body)?;
    let id = b
        .bank
        .transfer(&t.from_account, &t.to_sub_account, t.amount_fen)?;
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

async fn home(State(b): State<Bank>) -> Html<String> {
    Html(page::render(&b.prefix, &b.bank.accounts(), None))
}

#[derive(Deserialize)]
struct AccountForm {
    name: String,
    balance_yuan: String,
}

async fn form_open_account(State(b): State<Bank>, Form(f): Form<AccountForm>) -> Response {
    let outcome = page::yuan_to_fen(&f.balance_yuan)
        .ok_or(BankError::InvalidAmount)
        .and_then(|fen| b.bank.open_account(&f.name, fen));
    match outcome {
        Ok(_) => Redirect::to(&page::home(&b.prefix)).into_response(),
        Err(e) => page_with(&b, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct TransferForm {
    from_account: String,
    to_sub_account: String,
    amount_yuan: String,
}

async fn form_transfer(State(b): State<Bank>, Form(f): Form<TransferForm>) -> Response {
    let outcome = page::yuan_to_fen(&f.amount_yuan)
        .ok_or(BankError::InvalidAmount)
        .and_then(|fen| {
            b.bank
                .transfer(f.from_account.trim(), f.to_sub_account.trim(), fen)
        });
    match outcome {
        Ok(id) => page_with(
            &b,
            StatusCode::OK,
            &format!("转账成功 transfer done: {}", id.as_str()),
        ),
        Err(e) => page_with(&b, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    }
}

fn page_with(b: &Bank, status: StatusCode, message: &str) -> Response {
    (
        status,
        Html(page::render(&b.prefix, &b.bank.accounts(), Some(message))),
    )
        .into_response()
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
