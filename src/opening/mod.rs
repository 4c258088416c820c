//! The live opening (不见面开标): a ceremony run by the hall at the bid deadline, kept as a list of
//! events per tender (docs/opening.md). The events are the truth; the state, the hall page and the
//! signed opening record are folds over them. Nothing here broadcasts an event before it is stored.

pub mod decide;
pub mod driver;
pub mod event;
pub mod hub;
pub mod record;
pub mod service;
pub mod state;
#[cfg(test)]
mod vectors;

use crate::domain::{OrgId, Timestamp};
use serde::Serialize;
use serde_json::Value;

/// Who may see an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// The host and the supervisor.
    Hall,
    /// One tenderer (and the hall).
    Party(OrgId),
    /// One tenderer alone: what it does before the box closes, such as signing in to the lobby,
    /// would tell the hall that it bid (招标投标法 第二十二条). At the close the hall is told the
    /// list in one `sign_ins_disclosed` event.
    Own(OrgId),
}

impl Audience {
    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Hall => "hall",
            Audience::Party(_) => "party",
            Audience::Own(_) => "own",
        }
    }

    pub fn from_stored(kind: &str, org: Option<String>) -> Option<Self> {
        match (kind, org) {
            ("public", _) => Some(Audience::Public),
            ("hall", _) => Some(Audience::Hall),
            ("party", Some(o)) => Some(Audience::Party(OrgId::from_stored(o))),
            ("own", Some(o)) => Some(Audience::Own(OrgId::from_stored(o))),
            _ => None,
        }
    }

    pub fn party(&self) -> Option<&OrgId> {
        match self {
            Audience::Party(o) | Audience::Own(o) => Some(o),
            _ => None,
        }
    }
}

/// One stored event of an opening.
#[derive(Debug, Clone, PartialEq)]
pub struct OpeningEvent {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: String,
    pub audience: Audience,
    pub body: Value,
}

/// An event as clients receive it (the audience is not sent).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView<'a> {
    pub seq: i64,
    pub at: String,
    pub kind: &'a str,
    #[schema(value_type = Object)]
    pub body: &'a Value,
}

impl OpeningEvent {
    /// An event as the hall writes it, from its typed body.
    pub fn new(seq: i64, at: Timestamp, audience: Audience, body: &event::Body) -> Self {
        let (kind, body) = event::split(body);
        OpeningEvent {
            seq,
            at,
            kind,
            audience,
            body,
        }
    }

    pub fn view(&self) -> EventView<'_> {
        EventView {
            seq: self.seq,
            at: self.at.to_rfc3339(),
            kind: &self.kind,
            body: &self.body,
        }
    }

    /// The typed body, strictly parsed (`event::Body::parse`).
    pub fn typed(&self) -> Result<event::Body, event::EventError> {
        event::Body::parse(self.seq, &self.kind, &self.body)
    }

    /// The RFC 8785 bytes of what clients receive; the audit log and the record hash these.
    pub fn canonical(&self) -> Vec<u8> {
        crate::canonical::to_canonical_vec(&self.view()).expect("an event serialises")
    }
}

/// Who is looking: what the hall shows depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The tender's host (its agent, or its owner) or its supervisor.
    pub hall: bool,
    pub role: &'static str,
    /// The viewer's organisation, when signed in.
    pub org: Option<OrgId>,
}

impl Viewer {
    pub fn public() -> Self {
        Viewer {
            hall: false,
            role: "public",
            org: None,
        }
    }

    pub fn sees(&self, audience: &Audience) -> bool {
        match audience {
            Audience::Public => true,
            Audience::Hall => self.hall,
            Audience::Party(o) => self.hall || self.org.as_ref() == Some(o),
            Audience::Own(o) => self.org.as_ref() == Some(o),
        }
    }
}
