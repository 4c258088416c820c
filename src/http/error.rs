//! The one error type handlers return. Each capability's error maps to a status and the stable body
//! `{"error": {"code", "message", "details"}}`; 5xx bodies say nothing internal (the detail goes to
//! the log inside the request span).

use crate::domain::InvalidValue;
use crate::identity::service::AuthError;
use crate::identity::IdentityError;
use crate::store::StoreError;
use crate::tenders::access::Denied;
use crate::tenders::service::TenderError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: the session is missing, expired or not recognised",
        )
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", why)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// A field refused by its rule: 422 naming the field and the rule.
    pub fn invalid_field(field: impl Into<String>, iv: &InvalidValue) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            iv.message.clone(),
        )
        .with_details(json!({ "field": field.into(), "rule": iv.rule }))
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.details["retry_after_seconds"].as_i64();
        let body = json!({ "error": { "code": self.code, "message": self.message, "details": self.details } });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after.filter(|_| self.status == StatusCode::TOO_MANY_REQUESTS)
        {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Conflict(detail) => {
                tracing::info!(%detail, "write conflict");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the record changed or already exists; reload and try again",
                )
            }
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the hall's storage is unavailable; try again shortly",
                )
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Store(s) => s.into(),
            AuthError::Identity(i) => i.into(),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let message = e.to_string();
        match e {
            IdentityError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", message)
            }
            IdentityError::LoginTaken => {
                ApiError::new(StatusCode::CONFLICT, "login_taken", message)
            }
            IdentityError::OrganisationExists => {
                ApiError::new(StatusCode::CONFLICT, "organisation_exists", message)
            }
            IdentityError::OrganisationNameTaken => {
                ApiError::new(StatusCode::CONFLICT, "organisation_name_taken", message)
            }
            IdentityError::UnknownOrganisation => ApiError::not_found("organisation"),
            IdentityError::TooManyAttempts {
                retry_after_seconds,
            } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
                .with_details(json!({ "retry_after_seconds": retry_after_seconds })),
            IdentityError::Invalid(iv) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                iv.message.clone(),
            )
            .with_details(json!({ "rule": iv.rule })),
        }
    }
}

/// The access policy's refusals, the same on every route (docs/api.md, "Errors").
impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        let message = d.to_string();
        match d {
            Denied::Hidden => ApiError::not_found("tender"),
            Denied::SignIn => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message),
            Denied::Forbidden(why) => ApiError::forbidden(why),
            Denied::UntilOpening { deadline } => {
                ApiError::new(StatusCode::FORBIDDEN, "confidential_until_opening", message)
                    .with_details(json!({ "deadline": deadline }))
            }
        }
    }
}

impl From<TenderError> for ApiError {
    fn from(e: TenderError) -> Self {
        let message = e.to_string();
        use TenderError as T;
        match e {
            T::Store(s) => s.into(),
            T::NotFound => ApiError::not_found("tender"),
            T::Forbidden(why) => ApiError::forbidden(why),
            T::Invalid { field, value } => ApiError::invalid_field(field, &value),
            T::Law(violations) => {
                let too_late = violations.iter().find(|v| v.rule == "amendment_15_days");
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    if too_late.is_some() {
                        "amendment_too_late"
                    } else {
                        "law_violation"
                    },
                    message,
                );
                let proposed = too_late.and_then(|v| v.earliest);
                err.details = json!({
                    "violations": violations,
                    "proposed_deadline": proposed,
                });
                err
            }
            T::StaleVersion { current } => {
                ApiError::new(StatusCode::CONFLICT, "stale_version", message)
                    .with_details(json!({ "current_version": current }))
            }
            T::WrongState { state } => ApiError::new(StatusCode::CONFLICT, "wrong_state", message)
                .with_details(json!({ "state": state })),
            T::PublishedNeedsAmendment => ApiError::new(
                StatusCode::CONFLICT,
                "published_tender_needs_amendment",
                message,
            ),
            T::DocumentsNotOnSale { .. } => {
                ApiError::new(StatusCode::CONFLICT, "documents_not_on_sale", message)
            }
            T::DocumentTooLarge { limit_bytes } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", message)
                    .with_details(json!({ "limit_bytes": limit_bytes }))
            }
            T::NotObtained => ApiError::forbidden(message),
            T::Access(d) => d.into(),
            T::Blob(detail) => ApiError::internal(detail),
        }
    }
}

impl From<crate::bonds::service::BondsError> for ApiError {
    fn from(e: crate::bonds::service::BondsError) -> Self {
        use crate::bonds::movements::{ForfeitError, RefundError};
        use crate::bonds::service::BondsError as B;
        use crate::bonds::NotificationError as N;
        let message = e.to_string();
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match e {
            B::NotFound => ApiError::not_found("tender"),
            B::Forbidden(why) => ApiError::forbidden(why),
            B::NotObtained => ApiError::new(StatusCode::FORBIDDEN, "not_obtained", message),
            B::NoContract => ApiError::new(StatusCode::CONFLICT, "no_contract", message),
            B::ConfidentialUntilOpening { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "confidential_until_opening", message)
            }
            B::UnknownBank(_) => ApiError::new(StatusCode::NOT_FOUND, "unknown_bank", message),
            B::NoBank => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_bank", message),
            B::Notification(n) => match n {
                N::BadSignature => {
                    ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", message)
                }
                N::StaleTimestamp { skew_seconds } => {
                    ApiError::new(StatusCode::UNAUTHORIZED, "stale_timestamp", message)
                        .with_details(json!({ "skew_seconds": skew_seconds }))
                }
                N::Malformed { .. } => ApiError::new(StatusCode::BAD_REQUEST, "malformed", message),
            },
            B::Conflicting { bank_txn_id } => {
                ApiError::new(StatusCode::CONFLICT, "conflicting", message)
                    .with_details(json!({ "bank_txn_id": bank_txn_id }))
            }
            B::Refund(r) => match r {
                RefundError::UnknownInstruction { .. } => {
                    ApiError::new(unprocessable, "unknown_instruction", message)
                }
                RefundError::AmountMismatch { instructed, .. } => {
                    ApiError::new(unprocessable, "amount_mismatch", message)
                        .with_details(json!({ "instructed_fen": instructed as i64 }))
                }
                RefundError::WrongBank { .. } => {
                    ApiError::new(unprocessable, "wrong_bank", message)
                }
                RefundError::AlreadyPaid { .. } => {
                    ApiError::new(StatusCode::CONFLICT, "already_paid", message)
                }
                other => ApiError::internal(other),
            },
            B::Forfeit(f) => match f {
                ForfeitError::GroundDoesNotApply { ground, .. } => {
                    ApiError::new(unprocessable, "ground_does_not_apply", message).with_details(
                        json!({ "ground": ground.code(), "article": ground.article() }),
                    )
                }
                ForfeitError::GroundNotEstablished { ground, .. } => {
                    ApiError::new(unprocessable, "ground_not_established", message).with_details(
                        json!({ "ground": ground.code(), "article": ground.article() }),
                    )
                }
                ForfeitError::NothingHeld { .. } => {
                    ApiError::new(StatusCode::CONFLICT, "nothing_held", message)
                }
                other => ApiError::internal(other),
            },
            B::Invalid { field, value } => ApiError::invalid_field(field, &value),
            B::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message),
            B::Store(s) => s.into(),
        }
    }
}
