//! Use cases of remote operations and campaigns. They take the acting principal and
//! rows the adapters already authorized; every one leaves an audit row.

pub mod audit;
pub mod campaigns;
pub mod firmware;
pub mod remote;
pub mod rollout;

use chrono::{DateTime, SubsecRound, Utc};
use runtime::auth::{Principal, PrincipalKind};
use uuid::Uuid;

/// Now at the database's resolution, so an answer equals a later read.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Who acts, as the audit records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// user, app or campaign.
    pub kind: &'static str,
    pub id: String,
    /// Role names from the token (access tokens carry no names or phone numbers; the
    /// user id resolves to them in identity).
    pub roles: Vec<String>,
}

impl Actor {
    pub fn of(p: &Principal) -> Self {
        Self {
            kind: match p.kind {
                PrincipalKind::User => "user",
                PrincipalKind::App => "app",
            },
            id: p.subject.clone(),
            roles: p.roles.clone(),
        }
    }

    /// A campaign's runner acting for it.
    pub fn campaign(id: Uuid) -> Self {
        Self {
            kind: "campaign",
            id: id.to_string(),
            roles: Vec::new(),
        }
    }
}
