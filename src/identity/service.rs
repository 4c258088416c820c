//! Identity use cases: registering organisations and users, signing in and out, registering keys.

use super::keys::{P256PublicKey, SigningKey};
use super::password::Password;
use super::session::{Session, SessionToken};
use super::*;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{Line, Timestamp, HOUR_MS};
use crate::store::StoreError;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn conflict_as(e: StoreError, as_: IdentityError) -> AuthError {
    match e {
        StoreError::Conflict(_) => AuthError::Identity(as_),
        other => AuthError::Store(other),
    }
}

/// Whether `org` would be a second registration: of the same organisation (its credit code), or
/// under a name an existing one already has once normalised (`name_key`). Asked before writing,
/// for the answer; the store's unique keys decide when two registrations race.
async fn already_registered(
    app: &AppState,
    org: &Organisation,
) -> Result<Option<IdentityError>, StoreError> {
    let key = super::name_key::NameKey::of(org.name.as_str());
    Ok(app
        .store
        .find_organisation_by_name(&key)
        .await?
        .map(|other| {
            if other.credit_code == org.credit_code {
                IdentityError::OrganisationExists
            } else {
                IdentityError::OrganisationNameTaken
            }
        }))
}

/// A refused write of `org`: says which registration it collided with.
async fn collision(app: &AppState, org: &Organisation, e: StoreError) -> AuthError {
    let StoreError::Conflict(constraint) = &e else {
        return e.into();
    };
    match already_registered(app, org).await {
        Ok(Some(why)) => why.into(),
        // The winner of a race may not be readable yet (it commits in the same group as this
        // write): the broken unique key says which registration this collided with.
        Ok(None) if constraint.contains("name_key") => IdentityError::OrganisationNameTaken.into(),
        Ok(None) => IdentityError::OrganisationExists.into(),
        Err(e) => e.into(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub role: Role,
    #[schema(value_type = String)]
    pub name: OrgName,
    #[schema(value_type = String)]
    pub credit_code: CreditCode,
    #[serde(default = "no_region")]
    #[schema(value_type = String)]
    pub region: Line<0, 64>,
}

fn no_region() -> Line<0, 64> {
    Line::parse("").expect("empty region is valid")
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(value_type = String)]
    pub login: Login,
    #[schema(value_type = String)]
    pub display_name: PersonName,
    #[schema(value_type = String)]
    pub password: Password,
}

impl NewOrganisation {
    fn build(self, now: Timestamp) -> Organisation {
        Organisation {
            id: crate::domain::OrgId::generate(),
            role: self.role,
            name: self.name,
            credit_code: self.credit_code,
            region: self.region,
            created_at: now,
        }
    }
}

impl NewUser {
    /// The new account's password must not be one a guesser tries first, nor made of its own words.
    fn check_password(&self, org: &str, credit_code: &str) -> Result<(), IdentityError> {
        super::password::check_new(
            &self.password,
            &[
                self.login.as_str(),
                self.display_name.as_str(),
                org,
                credit_code,
            ],
        )
        .map_err(IdentityError::Invalid)
    }

    /// The user to store; its password is hashed on the hashing pool, as at sign-in.
    async fn build(self, org: &OrgId, now: Timestamp) -> User {
        let password = self.password;
        let password_hash = super::password::hashing(move || password.hash()).await;
        User {
            id: UserId::generate(),
            org_id: org.clone(),
            login: self.login,
            display_name: self.display_name,
            password_hash,
            created_at: now,
        }
    }
}

/// The platform operator registers an organisation of any role.
pub async fn create_organisation(
    app: &AppState,
    actor: &Actor,
    new: NewOrganisation,
) -> Result<Organisation, AuthError> {
    let org = new.build(app.clock.now());
    if let Some(why) = already_registered(app, &org).await? {
        return Err(why.into());
    }
    let audit = AuditEvent::new(
        "organisation_registered",
        None,
        actor.into(),
        org.created_at,
        json!({ "org": org.id, "role": org.role, "name": org.name.as_str() }),
    );
    if let Err(e) = app.store.create_organisation(&org, &audit).await {
        return Err(collision(app, &org, e).await);
    }
    Ok(org)
}

/// A tenderer registers itself: its organisation and its first user.
pub async fn register_tenderer(
    app: &AppState,
    org: NewOrganisation,
    user: NewUser,
    address: Option<std::net::IpAddr>,
) -> Result<(Organisation, User), AuthError> {
    let now = app.clock.now();
    if let Err(locked) = app.throttle.may_register(address, now) {
        return Err(IdentityError::TooManyAttempts {
            retry_after_seconds: locked.retry_after_seconds(now),
        }
        .into());
    }
    if org.role != Role::Tenderer {
        return Err(AuthError::Identity(IdentityError::Invalid(InvalidValue::new(
            "self_registration_is_for_tenderers",
            "only tenderers register themselves; other organisations are registered by the platform",
        ))));
    }
    user.check_password(org.name.as_str(), org.credit_code.as_str())?;
    let org = org.build(now);
    if let Some(why) = already_registered(app, &org).await? {
        return Err(why.into());
    }
    let user = user.build(&org.id, now).await;
    let audit = AuditEvent::new(
        "tenderer_registered",
        None,
        AuditActor::System,
        now,
        json!({ "org": org.id, "name": org.name.as_str() }),
    );
    match app
        .store
        .register_organisation_with_user(&org, &user, &audit)
        .await
    {
        Ok(()) => Ok((org, user)),
        Err(StoreError::Conflict(msg)) if msg.contains("login") => {
            Err(AuthError::Identity(IdentityError::LoginTaken))
        }
        Err(e) => Err(collision(app, &org, e).await),
    }
}

/// The platform adds a user to an organisation.
pub async fn create_user(
    app: &AppState,
    actor: &Actor,
    org_id: &OrgId,
    new: NewUser,
) -> Result<User, AuthError> {
    let org = match app.store.get_organisation(org_id).await {
        Ok(o) => o,
        Err(StoreError::NotFound) => return Err(IdentityError::UnknownOrganisation.into()),
        Err(e) => return Err(e.into()),
    };
    new.check_password(org.name.as_str(), org.credit_code.as_str())?;
    let user = new.build(&org.id, app.clock.now()).await;
    let audit = AuditEvent::new(
        "user_created",
        None,
        actor.into(),
        user.created_at,
        json!({ "org": org.id, "user": user.id, "login": user.login.as_str() }),
    );
    app.store
        .create_user(&user, &audit)
        .await
        .map_err(|e| conflict_as(e, IdentityError::LoginTaken))?;
    Ok(user)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

/// Signs in: a new session token and when it expires. The same error for an unknown login and a
/// wrong password.
pub async fn sign_in(
    app: &AppState,
    creds: Credentials,
    address: Option<std::net::IpAddr>,
) -> Result<(SessionToken, Timestamp, Actor), AuthError> {
    // While locked the password is not even looked at (identity/throttle.rs).
    let now = app.clock.now();
    if let Err(locked) = app.throttle.may_sign_in(&creds.login, address, now) {
        return Err(IdentityError::TooManyAttempts {
            retry_after_seconds: locked.retry_after_seconds(now),
        }
        .into());
    }
    let login = Login::parse(&creds.login).ok();
    let password = Password::parse(&creds.password).ok();
    let user = match &login {
        Some(l) => app.store.find_user_by_login(l).await?,
        None => None,
    };
    // Spend the hashing work even for a malformed password, so timing reveals nothing; off the
    // async workers (password::hashing).
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = super::password::hashing(move || match &password {
        Some(p) => p.verify(stored.as_ref()),
        None => {
            let _ = Password::parse("placeholder-for-timing").map(|p| p.verify(None));
            false
        }
    })
    .await;
    let Some(user) = user.filter(|_| ok) else {
        if let Some(locked) = app.throttle.failed(&creds.login, address, now) {
            // Kept in the operator's log, never the password; the login is the one tried.
            tracing::warn!(
                login = %creds.login.chars().take(64).collect::<String>(),
                address = ?address,
                until = %locked.0.to_rfc3339(),
                "sign-ins locked after repeated failures"
            );
        }
        return Err(IdentityError::BadCredentials.into());
    };
    app.throttle.succeeded(&creds.login);
    let token = SessionToken::generate();
    // Sessions run on real time, so that moving the demo's clock signs nobody out.
    let wall = app.clock.wall();
    let expires_at = wall.plus_millis(app.config.session_hours * HOUR_MS);
    app.store
        .create_session(&Session {
            token_digest: token.digest(),
            user_id: user.id.clone(),
            created_at: wall,
            expires_at,
        })
        .await?;
    let (_, actor) = app
        .store
        .find_session(&token.digest())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((token, expires_at, actor))
}

/// The actor behind a token, if the session exists and has not expired.
pub async fn authenticate(
    app: &AppState,
    token: &SessionToken,
) -> Result<Option<Actor>, StoreError> {
    match app.store.find_session(&token.digest()).await? {
        Some((session, actor)) if app.clock.wall() < session.expires_at => Ok(Some(actor)),
        _ => Ok(None),
    }
}

pub async fn sign_out(app: &AppState, token: &SessionToken) -> Result<(), StoreError> {
    app.store.delete_session(&token.digest()).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSigningKey {
    #[schema(value_type = String)]
    pub label: Line<1, 100>,
    /// Base64 of the 65-byte uncompressed SEC1 point (WebCrypto `exportKey('raw')`).
    #[schema(value_type = String)]
    pub public_key: P256PublicKey,
    /// Base64 of the key's ECDSA P-256 SHA-256 signature (r ‖ s) over the registration message.
    pub proof: String,
}

pub async fn register_signing_key(
    app: &AppState,
    actor: &Actor,
    new: NewSigningKey,
) -> Result<SigningKey, AuthError> {
    let key = SigningKey::register(
        &actor.org_id,
        new.label,
        new.public_key,
        &new.proof,
        app.clock.now(),
    )
    .map_err(IdentityError::Invalid)?;
    let audit = AuditEvent::new(
        "signing_key_registered",
        None,
        actor.into(),
        key.created_at,
        json!({ "org": key.org_id, "key": key.id, "fingerprint": key.fingerprint }),
    );
    app.store.add_signing_key(&key, &audit).await.map_err(|e| {
        conflict_as(
            e,
            IdentityError::Invalid(InvalidValue::new(
                "key_exists",
                "this key is already registered",
            )),
        )
    })?;
    Ok(key)
}
