//! Translating rows to domain values. Only values the hall itself wrote are read back, so a row that
//! does not parse means the database was altered outside the hall: reported as `Unavailable`.

use super::StoreError;
use crate::domain::*;
use crate::identity::keys::{P256PublicKey, SigningKey};
use crate::identity::password::PasswordHash;
use crate::identity::{Actor, CreditCode, Login, Organisation, Role, User};
use crate::tenders::model::*;
use crate::tenders::notices::{public_status, NoticeSummary};
use crate::tenders::obtain::Obtained;
use sqlx::any::AnyRow;
use sqlx::Row;

pub fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("stored {what} does not parse"))
}

fn parsed<T, E>(r: Result<T, E>, what: &str) -> Result<T, StoreError> {
    r.map_err(|_| corrupt(what))
}

pub fn opt_ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_stored)
}

pub fn organisation(r: &AnyRow) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: OrgId::from_stored(r.try_get("id")?),
        role: parsed(Role::parse(&r.try_get::<String, _>("role")?), "role")?,
        name: parsed(Line::parse(&r.try_get::<String, _>("name")?), "name")?,
        credit_code: CreditCode::from_stored(r.try_get("credit_code")?),
        region: parsed(Line::parse(&r.try_get::<String, _>("region")?), "region")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

pub fn user(r: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::from_stored(r.try_get("id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        login: parsed(Login::parse(&r.try_get::<String, _>("login")?), "login")?,
        display_name: parsed(
            Line::parse(&r.try_get::<String, _>("display_name")?),
            "name",
        )?,
        password_hash: PasswordHash::from_stored(r.try_get("password_hash")?),
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

pub fn actor(r: &AnyRow) -> Result<Actor, StoreError> {
    Ok(Actor {
        user_id: UserId::from_stored(r.try_get("user_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        role: parsed(Role::parse(&r.try_get::<String, _>("role")?), "role")?,
        display_name: r.try_get("display_name")?,
        org_name: r.try_get("org_name")?,
    })
}

pub fn signing_key(r: &AnyRow) -> Result<SigningKey, StoreError> {
    Ok(SigningKey {
        id: KeyId::from_stored(r.try_get("id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        label: parsed(Line::parse(&r.try_get::<String, _>("label")?), "label")?,
        public_key: parsed(
            P256PublicKey::parse_base64(&r.try_get::<String, _>("public_key")?),
            "key",
        )?,
        fingerprint: r.try_get("fingerprint")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

pub fn project(r: &AnyRow) -> Result<Project, StoreError> {
    Ok(Project {
        id: ProjectId::from_stored(r.try_get("id")?),
        owner_org_id: OrgId::from_stored(r.try_get("owner_org_id")?),
        agent_org_id: r
            .try_get::<Option<String>, _>("agent_org_id")?
            .map(OrgId::from_stored),
        agent_by_draw: r.try_get::<i64, _>("agent_by_draw")? != 0,
        name: parsed(Line::parse(&r.try_get::<String, _>("name")?), "name")?,
        code: parsed(Line::parse(&r.try_get::<String, _>("code")?), "code")?,
        region: parsed(Line::parse(&r.try_get::<String, _>("region")?), "region")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

pub fn tender(r: &AnyRow) -> Result<Tender, StoreError> {
    let spec: TenderSpec = parsed(
        serde_json::from_str(&r.try_get::<String, _>("spec")?),
        "spec",
    )?;
    Ok(Tender {
        id: TenderId::from_stored(r.try_get("id")?),
        project_id: ProjectId::from_stored(r.try_get("project_id")?),
        owner_org_id: OrgId::from_stored(r.try_get("owner_org_id")?),
        agent_org_id: r
            .try_get::<Option<String>, _>("agent_org_id")?
            .map(OrgId::from_stored),
        state: TenderState::parse(&r.try_get::<String, _>("state")?)
            .ok_or_else(|| corrupt("state"))?,
        spec,
        version: r.try_get("version")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
        updated_at: Timestamp::from_stored(r.try_get("updated_at")?),
        published_at: opt_ts(r.try_get("published_at")?),
        documents_issued_at: opt_ts(r.try_get("documents_issued_at")?),
        award_stage: r.try_get("award_stage")?,
    })
}

pub fn amendment(r: &AnyRow) -> Result<Amendment, StoreError> {
    parsed(
        serde_json::from_str(&r.try_get::<String, _>("body")?),
        "amendment",
    )
}

pub fn document(r: &AnyRow) -> Result<TenderDocument, StoreError> {
    Ok(TenderDocument {
        id: DocumentId::from_stored(r.try_get("id")?),
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        name: parsed(Line::parse(&r.try_get::<String, _>("name")?), "name")?,
        media_type: r.try_get("media_type")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        state: DocumentState::parse(&r.try_get::<String, _>("state")?)
            .ok_or_else(|| corrupt("document state"))?,
        amendment_id: r
            .try_get::<Option<String>, _>("amendment_id")?
            .map(AmendmentId::from_stored),
        uploaded_at: Timestamp::from_stored(r.try_get("uploaded_at")?),
    })
}

pub fn obtained(r: &AnyRow) -> Result<Obtained, StoreError> {
    let salt_hex: String = r.try_get("salt")?;
    let mut salt = [0u8; 32];
    parsed(hex::decode_to_slice(salt_hex, &mut salt), "salt")?;
    Ok(Obtained {
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        salt,
        commitment: r.try_get("commitment")?,
        obtained_at: Timestamp::from_stored(r.try_get("obtained_at")?),
    })
}

pub fn notice(r: &AnyRow, now: Timestamp) -> Result<NoticeSummary, StoreError> {
    let state =
        TenderState::parse(&r.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?;
    let bid_deadline = Timestamp::from_stored(r.try_get("bid_deadline")?);
    Ok(NoticeSummary {
        id: TenderId::from_stored(r.try_get("id")?),
        title: r.try_get("title")?,
        category: Category::parse(&r.try_get::<String, _>("category")?)
            .ok_or_else(|| corrupt("category"))?,
        region: r.try_get("region")?,
        status: public_status(
            state,
            bid_deadline,
            now,
            r.try_get::<Option<String>, _>("award_stage")?.as_deref(),
        ),
        bid_deadline,
        published_at: Timestamp::from_stored(
            r.try_get::<Option<i64>, _>("published_at")?.unwrap_or(0),
        ),
        total_estimate_fen: r.try_get("total_estimate")?,
    })
}
