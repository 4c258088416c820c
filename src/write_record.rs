//! The record of every write (《电子招标投标办法》: the platform records the time, network address
//! and person of each step): for each state-changing request of a signed-in user, when, who (user,
//! organisation, role), what (method and route, the tender when the route names one), the answer's
//! status and the client's address. It is not the public audit log and is never published: the
//! tender's supervisor (from the opening on, as 招标投标法 第二十二条 keeps the tenderers secret
//! until then) and the trading centre read it (docs/api.md, "The record of writes").

use crate::app::AppState;
use crate::domain::{OrgId, TenderId, Timestamp, UserId};
use crate::identity::{Actor, Role};
use crate::tenders::access::{self, Action, Relations};
use crate::tenders::service::TenderError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WriteRecord {
    #[schema(value_type = String)]
    pub at: Timestamp,
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub role: Role,
    pub method: String,
    /// The route as declared, e.g. `/api/tenders/{id}/obtain`.
    pub route: String,
    #[schema(value_type = Option<String>)]
    pub tender_id: Option<TenderId>,
    /// The answer's HTTP status.
    pub status: u16,
    /// The client's address: the socket's peer, or the trusted proxy's `X-Forwarded-For`.
    pub address: Option<String>,
}

impl WriteRecord {
    /// What `actor` did, answered `status`, recorded at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        at: Timestamp,
        actor: &Actor,
        method: &str,
        route: &str,
        path: &str,
        status: u16,
        address: Option<std::net::IpAddr>,
    ) -> Self {
        WriteRecord {
            at,
            user_id: actor.user_id.clone(),
            org_id: actor.org_id.clone(),
            role: actor.role,
            method: method.to_string(),
            route: route.to_string(),
            tender_id: tender_of(route, path),
            status,
            address: address.map(|a| a.to_string()),
        }
    }
}

/// Is this a write (a method that changes state)?
pub fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// The tender a request concerns, when its route is one of a tender's (`/api/tenders/{id}…`).
pub fn tender_of(route: &str, path: &str) -> Option<TenderId> {
    let under_tender = route == "/api/tenders/{id}" || route.starts_with("/api/tenders/{id}/");
    if !under_tender {
        return None;
    }
    TenderId::parse(path.split('/').nth(3)?).ok()
}

/// The record of writes to one tender, oldest first, for those who may read it.
pub async fn for_tender(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<WriteRecord>, TenderError> {
    let tender = app.store.get_tender(id).await?;
    access::may(
        Action::SeeWriteRecord,
        &Relations::of(Some(actor), &tender),
        &tender,
        app.clock.now(),
    )?;
    Ok(app.store.write_record(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tender_is_taken_from_a_tender_s_routes_only() {
        let id = TenderId::generate();
        let path = format!("/api/tenders/{}/obtain", id.as_str());
        assert_eq!(
            tender_of("/api/tenders/{id}/obtain", &path),
            Some(id.clone())
        );
        let path = format!("/api/tenders/{}", id.as_str());
        assert_eq!(tender_of("/api/tenders/{id}", &path), Some(id));
        assert_eq!(tender_of("/api/tenders", "/api/tenders"), None);
        assert_eq!(
            tender_of("/api/draws/{id}/commit", "/api/draws/x/commit"),
            None
        );
        assert_eq!(
            tender_of("/api/tenders/{id}/obtain", "/api/tenders/not-an-id/obtain"),
            None
        );
    }

    #[test]
    fn writes_are_the_methods_that_change_state() {
        for m in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(is_write(m));
        }
        for m in ["GET", "HEAD", "OPTIONS"] {
            assert!(!is_write(m));
        }
    }
}
