//! Routes for signing in and out, organisations, users and signing keys.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, ClientAddress, SESSION_COOKIE};
use crate::app::AppState;
use crate::domain::{OrgId, Timestamp};
use crate::identity::keys::SigningKey;
use crate::identity::service::{self, Credentials, NewOrganisation, NewSigningKey, NewUser};
use crate::identity::{Actor, Organisation, Role};
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/session", post(sign_in).delete(sign_out))
        .route("/api/me", get(me))
        .route("/api/register", post(register))
        .route(
            "/api/organisations",
            post(create_organisation).get(list_organisations),
        )
        .route("/api/organisations/{id}/users", post(create_user))
        .route("/api/keys", post(register_key).get(list_keys))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActorView {
    pub user_id: String,
    pub org_id: String,
    pub role: Role,
    pub display_name: String,
    pub org_name: String,
}

impl From<&Actor> for ActorView {
    fn from(a: &Actor) -> Self {
        ActorView {
            user_id: a.user_id.to_string(),
            org_id: a.org_id.to_string(),
            role: a.role,
            display_name: a.display_name.clone(),
            org_name: a.org_name.clone(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    /// The bearer token for the API; the web gets the same in an HttpOnly cookie.
    pub token: String,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
    pub actor: ActorView,
}

fn session_cookie(app: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// Sign in with a login and password.
#[utoipa::path(post, path = "/api/session", request_body = Credentials, tag = "identity",
    responses((status = 200, body = SignedIn), (status = 401, description = "bad_credentials"), (status = 429, description = "too many failed sign-ins for this login or address; `Retry-After` says when to try again")))]
async fn sign_in(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(creds): ApiJson<Credentials>,
) -> Result<impl IntoResponse, ApiError> {
    let (token, expires_at, actor) = service::sign_in(&app, creds, address).await?;
    let max_age = (expires_at.millis() - app.clock.wall().millis()) / 1000;
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, session_cookie(&app, token.expose(), max_age));
    // The answer carries a token: no cache keeps it.
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    let body = SignedIn {
        token: token.expose().to_string(),
        expires_at,
        actor: (&actor).into(),
    };
    Ok((headers, Json(body)))
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/api/session", tag = "identity", responses((status = 204)))]
async fn sign_out(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(token) = super::extract::token_of(&parts).ok().flatten() {
        service::sign_out(&app, &token).await?;
    }
    let mut out = HeaderMap::new();
    out.insert(SET_COOKIE, session_cookie(&app, "", 0));
    Ok((StatusCode::NO_CONTENT, out))
}

/// Who am I?
#[utoipa::path(get, path = "/api/me", tag = "identity", responses((status = 200, body = ActorView), (status = 401)))]
async fn me(AuthUser(actor): AuthUser) -> Json<ActorView> {
    Json((&actor).into())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub organisation: NewOrganisation,
    pub user: NewUser,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub credit_code: String,
    pub region: String,
}

impl From<&Organisation> for OrganisationView {
    fn from(o: &Organisation) -> Self {
        OrganisationView {
            id: o.id.to_string(),
            role: o.role,
            name: o.name.as_str().to_string(),
            credit_code: o.credit_code.as_str().to_string(),
            region: o.region.as_str().to_string(),
        }
    }
}

/// A tenderer registers itself and its first user.
#[utoipa::path(post, path = "/api/register", request_body = Registration, tag = "identity",
    responses((status = 201, body = OrganisationView), (status = 409), (status = 422), (status = 429, description = "too many registrations from this address; `Retry-After` says when to try again")))]
async fn register(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(r): ApiJson<Registration>,
) -> Result<impl IntoResponse, ApiError> {
    let (org, _) = service::register_tenderer(&app, r.organisation, r.user, address).await?;
    Ok((StatusCode::CREATED, Json(OrganisationView::from(&org))))
}

fn platform_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.role != Role::Platform {
        return Err(ApiError::forbidden(
            "only the platform operator registers organisations and their users",
        ));
    }
    Ok(())
}

/// The platform operator registers an organisation of any role.
#[utoipa::path(post, path = "/api/organisations", request_body = NewOrganisation, tag = "identity",
    responses((status = 201, body = OrganisationView), (status = 403)))]
async fn create_organisation(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewOrganisation>,
) -> Result<impl IntoResponse, ApiError> {
    platform_only(&actor)?;
    let org = service::create_organisation(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(OrganisationView::from(&org))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrgFilter {
    pub role: Option<String>,
}

/// Registered organisations (public facts: name, credit code, role), optionally of one role.
#[utoipa::path(get, path = "/api/organisations", params(OrgFilter), tag = "identity",
    responses((status = 200, body = Vec<OrganisationView>)))]
async fn list_organisations(
    State(app): State<AppState>,
    AuthUser(_signed_in): AuthUser,
    Query(f): Query<OrgFilter>,
) -> Result<Json<Vec<OrganisationView>>, ApiError> {
    let role = match f.role.as_deref() {
        None | Some("") => None,
        Some(r) => Some(Role::parse(r).map_err(|iv| ApiError::invalid_field("role", &iv))?),
    };
    let orgs = app.store.list_organisations(role).await?;
    Ok(Json(orgs.iter().map(OrganisationView::from).collect()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub org_id: String,
    pub login: String,
    pub display_name: String,
}

/// The platform operator adds a user to an organisation.
#[utoipa::path(post, path = "/api/organisations/{id}/users", request_body = NewUser, tag = "identity",
    responses((status = 201, body = UserView), (status = 403), (status = 409)))]
async fn create_user(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    platform_only(&actor)?;
    let org = OrgId::parse(&id).map_err(|_| ApiError::not_found("organisation"))?;
    let user = service::create_user(&app, &actor, &org, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserView {
            id: user.id.to_string(),
            org_id: user.org_id.to_string(),
            login: user.login.as_str().to_string(),
            display_name: user.display_name.as_str().to_string(),
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    pub label: String,
    pub public_key: String,
    pub fingerprint: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<&SigningKey> for KeyView {
    fn from(k: &SigningKey) -> Self {
        KeyView {
            id: k.id.to_string(),
            label: k.label.as_str().to_string(),
            public_key: k.public_key.to_base64(),
            fingerprint: k.fingerprint.clone(),
            created_at: k.created_at,
        }
    }
}

/// Register a P-256 signing key for the caller's organisation, with a proof of possession.
#[utoipa::path(post, path = "/api/keys", request_body = NewSigningKey, tag = "identity",
    responses((status = 201, body = KeyView), (status = 422)))]
async fn register_key(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewSigningKey>,
) -> Result<impl IntoResponse, ApiError> {
    let key = service::register_signing_key(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(KeyView::from(&key))))
}

/// The signing keys of the caller's organisation.
#[utoipa::path(get, path = "/api/keys", tag = "identity", responses((status = 200, body = Vec<KeyView>)))]
async fn list_keys(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    let keys = app.store.list_signing_keys(&actor.org_id).await?;
    Ok(Json(keys.iter().map(KeyView::from).collect()))
}
