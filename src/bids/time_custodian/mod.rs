//! The hall's time-release custodian (docs/bid-box.md, "The time-release custodian"): it registers
//! one key per tender, and after the deadline releases its share of every counted bid on its own,
//! running the same checks as any custodian. Two ways to run it:
//!
//! - **in the hall's process** (the single-node default), with its key directory
//!   (`BIDHALL_TIME_CUSTODIAN_DIR`);
//! - **as its own process**, `bidhall time-custodian serve`, one per deployment with its own key
//!   directory, that every node asks over HTTP (`BIDHALL_TIME_CUSTODIAN_URL`, `server.rs`). It
//!   keeps, per key, the earliest time it may open a share and judges it by its own clock, so no
//!   node can have the time share early.

pub mod keys;
pub mod server;

pub use keys::TimeCustodian;

use super::custody::{
    check_before_release, refuse, ListedEnvelope, Party, Refusal, ReleaseCheck, ServedHeader,
};
use crate::config::ServeArgs;
use crate::domain::{TenderId, Timestamp};
use crate::sealbox::envelope::ReleasedShare;
use crate::sealbox::keys::{CustodianPublicKey, TendererPublicKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

/// A tender key as registered: base64 of its SEC1 point, hex of its fingerprint, and base64 of the
/// identity key's signature over `key_registration_message`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub public_key: String,
    pub fingerprint: String,
    pub proof: String,
}

/// One header to release a share of, as the hall serves it (base64 throughout).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeaderToRelease {
    pub bid_id: String,
    pub header: String,
    pub tenderer_id: String,
    pub tenderer_keys: Vec<String>,
}

/// What the custodian checks a release against: the fingerprint of its key as the hall registered
/// it, the tender's k and custodian keys (custodian 1 first, base64 SEC1), the logged closing list,
/// and the headers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub fingerprint: String,
    pub k: u8,
    pub custodian_keys: Vec<String>,
    pub counted: Vec<ListedEnvelope>,
    pub headers: Vec<HeaderToRelease>,
}

/// Why a share is withheld, on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefusalWire {
    pub code: String,
    pub fault: Option<String>,
    pub message: String,
}

/// One header's answer: its released share (base64 of index ‖ share ‖ salt) or why not.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseAnswer {
    pub bid_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<RefusalWire>,
}

/// Why the custodian releases nothing at all (the HTTP error codes of `server.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Unreleased {
    /// Its own clock says the tender's deadline has not come (`too_early`).
    TooEarly { not_before: i64 },
    /// It holds no key for the tender and index (`no_key`).
    NoKey(String),
    /// Its key is not the one the hall registered (`key_mismatch`).
    KeyMismatch(String),
    /// The request is malformed (`bad_request`).
    BadRequest(String),
    /// It could not be asked, or answered what it should not.
    Unavailable(String),
}

impl std::fmt::Display for Unreleased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreleased::TooEarly { not_before } => write!(
                f,
                "the time-release custodian opens no share before {}",
                Timestamp::from_millis(*not_before)
                    .map(|t| t.shanghai())
                    .unwrap_or_else(|_| not_before.to_string())
            ),
            Unreleased::NoKey(m)
            | Unreleased::KeyMismatch(m)
            | Unreleased::BadRequest(m)
            | Unreleased::Unavailable(m) => f.write_str(m),
        }
    }
}

/// Runs the checks and opens the shares with `custodian`'s key, at `now_ms` by its clock: the one
/// release both ways of running the custodian perform.
pub fn release_with(
    custodian: &TimeCustodian,
    tender: &TenderId,
    index: u8,
    request: &ReleaseRequest,
    now_ms: i64,
) -> Result<Vec<ReleaseAnswer>, Unreleased> {
    let key = custodian
        .key_for(tender.as_str(), index)
        .map_err(Unreleased::NoKey)?;
    if hex::encode(key.fingerprint()) != request.fingerprint {
        return Err(Unreleased::KeyMismatch(format!(
            "the time-release custodian's key for tender {tender} is not the registered one: every node must use the custodian that registered it (BIDHALL_TIME_CUSTODIAN_DIR or BIDHALL_TIME_CUSTODIAN_URL)"
        )));
    }
    if let Some(not_before) = custodian
        .not_before(tender.as_str(), index)
        .map_err(Unreleased::Unavailable)?
    {
        if now_ms < not_before {
            return Err(Unreleased::TooEarly { not_before });
        }
    }
    let bad = |what: &str| Unreleased::BadRequest(format!("bad release request: {what}"));
    let custodians = request
        .custodian_keys
        .iter()
        .map(|k| {
            B64.decode(k)
                .ok()
                .and_then(|raw| CustodianPublicKey::from_sec1(&raw).ok())
                .ok_or_else(|| bad("a custodian key is not a P-256 point"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let counted: HashMap<String, ListedEnvelope> = request
        .counted
        .iter()
        .map(|e| (e.bid_id.clone(), e.clone()))
        .collect();
    let check = ReleaseCheck {
        tender: tender.as_str(),
        k: request.k,
        custodians: &custodians,
        index,
        counted: &counted,
    };
    let mut answers = Vec::new();
    for h in &request.headers {
        let header = B64
            .decode(&h.header)
            .map_err(|_| bad("a header is not base64"))?;
        let tenderer_keys: Vec<TendererPublicKey> = h
            .tenderer_keys
            .iter()
            .filter_map(|k| B64.decode(k).ok())
            .filter_map(|raw| TendererPublicKey::from_sec1(&raw).ok())
            .collect();
        let served = ServedHeader {
            bid_id: &h.bid_id,
            header: &header,
            tenderer_id: &h.tenderer_id,
            tenderer_keys: &tenderer_keys,
        };
        answers.push(match check_before_release(&check, &served, &key) {
            Ok(share) => ReleaseAnswer {
                bid_id: h.bid_id.clone(),
                share: Some(B64.encode(*share.to_bytes())),
                refused: None,
            },
            Err(r) => ReleaseAnswer {
                bid_id: h.bid_id.clone(),
                share: None,
                refused: Some(RefusalWire {
                    code: r.code.to_string(),
                    fault: r.fault.map(|p| p.code().to_string()),
                    message: r.message,
                }),
            },
        });
    }
    Ok(answers)
}

/// The refusal codes a custodian gives (docs/bid-box.md); anything else read off the wire is
/// `custodian_refused`.
const REFUSAL_CODES: &[&str] = &[
    "not_counted",
    "header_not_logged",
    "bad_header",
    "no_tenderer_key",
    "bad_signature",
    "not_sealed_for",
    "custodian_key_not_registered",
    "wrong_custodian_key",
    "share_undecryptable",
    "share_not_committed",
    "share_unopenable",
];

/// An answer as the hall acts on it: the share, or the refusal with its party.
pub(crate) fn answer_of(
    answer: &ReleaseAnswer,
    index: u8,
) -> Result<Result<ReleasedShare, Refusal>, Unreleased> {
    match (&answer.share, &answer.refused) {
        (Some(share), None) => {
            let bytes = B64
                .decode(share)
                .map_err(|_| Unreleased::Unavailable("a released share is not base64".into()))?;
            let share = ReleasedShare::from_bytes(&bytes).map_err(|e| {
                Unreleased::Unavailable(format!("a released share is malformed: {e}"))
            })?;
            Ok(Ok(share))
        }
        (None, Some(r)) => {
            let code = REFUSAL_CODES
                .iter()
                .find(|c| **c == r.code)
                .copied()
                .unwrap_or("custodian_refused");
            let fault = match r.fault.as_deref() {
                Some("hall") => Some(Party::Hall),
                Some("tenderer") => Some(Party::Tenderer),
                Some("custodian") => Some(Party::Custodian(index)),
                _ => None,
            };
            Ok(Err(refuse(code, fault, r.message.clone())))
        }
        _ => Err(Unreleased::Unavailable(
            "an answer holds neither a share nor a refusal".into(),
        )),
    }
}

/// The error body of the custodian's process: `{"error": {"code", "message", "not_before"?}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    not_before: Option<i64>,
}

/// Where the hall's time-release custodian runs.
pub enum TimeRelease {
    /// In this process, with its key directory.
    Local(PathBuf),
    /// Its own process, asked over HTTP with the shared bearer token, if any.
    Remote {
        url: String,
        token: Option<String>,
        client: reqwest::Client,
    },
}

impl TimeRelease {
    pub fn of(config: &ServeArgs) -> Self {
        match config
            .time_custodian_url
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            Some(url) => TimeRelease::Remote {
                url: url.trim_end_matches('/').to_string(),
                token: config.time_custodian_token.clone(),
                client: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(30))
                    .build()
                    .unwrap_or_default(),
            },
            None => TimeRelease::Local(config.time_custodian_dir()),
        }
    }

    fn local(dir: &std::path::Path) -> Result<TimeCustodian, Unreleased> {
        TimeCustodian::open(dir).map_err(Unreleased::Unavailable)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, Unreleased> {
        let TimeRelease::Remote { url, token, client } = self else {
            unreachable!("only the remote custodian is called");
        };
        let mut req = client.request(method, format!("{url}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let unavailable =
            |e: reqwest::Error| Unreleased::Unavailable(format!("the time-release custodian: {e}"));
        let r = req.send().await.map_err(unavailable)?;
        if r.status().is_success() {
            return r.json().await.map_err(unavailable);
        }
        let status = r.status();
        match r.json::<ErrorBody>().await {
            Ok(ErrorBody { error }) => Err(match (error.code.as_str(), error.not_before) {
                ("too_early", Some(not_before)) => Unreleased::TooEarly { not_before },
                ("no_key", _) => Unreleased::NoKey(error.message),
                ("key_mismatch", _) => Unreleased::KeyMismatch(error.message),
                _ => Unreleased::Unavailable(format!(
                    "the time-release custodian refused ({status}, {}): {}",
                    error.code, error.message
                )),
            }),
            Err(_) => Err(Unreleased::Unavailable(format!(
                "the time-release custodian answered {status}"
            ))),
        }
    }

    /// Base64 of the identity key that signs the custodian's key registrations.
    pub async fn identity(&self) -> Result<String, Unreleased> {
        match self {
            TimeRelease::Local(dir) => Ok(B64.encode(Self::local(dir)?.identity_public_key())),
            TimeRelease::Remote { .. } => {
                let v: serde_json::Value = self
                    .call(reqwest::Method::GET, "/v1/identity", None::<&()>)
                    .await?;
                v["public_key"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Unreleased::Unavailable("no identity key in the answer".into()))
            }
        }
    }

    /// Can the custodian be used now (`/readyz`)?
    pub async fn ready(&self) -> Result<(), String> {
        match self {
            TimeRelease::Local(dir) => TimeCustodian::ready(dir),
            TimeRelease::Remote { .. } => {
                self.identity().await.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }

    /// The tender's key for custodian `index`, made on first asking, to be opened no earlier than
    /// `not_before` (the bid deadline; asked again with a later one, the hold moves on).
    pub async fn register(
        &self,
        tender: &TenderId,
        index: u8,
        not_before: Timestamp,
    ) -> Result<Registration, Unreleased> {
        match self {
            TimeRelease::Local(dir) => {
                let c = Self::local(dir)?;
                register_with(&c, tender, index, not_before.millis())
                    .map_err(Unreleased::Unavailable)
            }
            TimeRelease::Remote { .. } => {
                self.call(
                    reqwest::Method::POST,
                    &format!("/v1/tenders/{tender}/custodians/{index}/key"),
                    Some(&serde_json::json!({ "not_before_ms": not_before.millis() })),
                )
                .await
            }
        }
    }

    /// The custodian's answer for every header of `request`, by its clock (`now` in this process).
    pub async fn release(
        &self,
        tender: &TenderId,
        index: u8,
        request: &ReleaseRequest,
        now: Timestamp,
    ) -> Result<Vec<ReleaseAnswer>, Unreleased> {
        match self {
            TimeRelease::Local(dir) => {
                release_with(&Self::local(dir)?, tender, index, request, now.millis())
            }
            TimeRelease::Remote { .. } => {
                self.call(
                    reqwest::Method::POST,
                    &format!("/v1/tenders/{tender}/custodians/{index}/release"),
                    Some(request),
                )
                .await
            }
        }
    }
}

/// Makes (or finds) the tender's key, holds it until `not_before_ms`, and signs its registration.
pub fn register_with(
    custodian: &TimeCustodian,
    tender: &TenderId,
    index: u8,
    not_before_ms: i64,
) -> Result<Registration, String> {
    let key = custodian.key_to_register(tender.as_str(), index)?;
    custodian.hold_until(tender.as_str(), index, not_before_ms)?;
    let public_key = B64.encode(key.public_key().to_sec1());
    let proof = custodian.sign(&super::key_registration_message(tender, index, &public_key))?;
    Ok(Registration {
        public_key,
        fingerprint: hex::encode(key.fingerprint()),
        proof: B64.encode(proof),
    })
}
