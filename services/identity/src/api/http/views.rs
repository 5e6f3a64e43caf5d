//! JSON shapes of identity's REST API. Phone numbers and e-mails are masked unless the
//! caller may see them (`pii:read` on the user's node, or it is their own record).

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::rbac::BuiltinRole;
use crate::store::apps::AppRow;
use crate::store::audit::AuditRow;
use crate::store::grants::GrantRow;
use crate::store::orgs::OrgRow;
use crate::store::roles::RoleRow;
use crate::store::users::UserRow;

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    pub kind: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: String,
    pub locked: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl UserView {
    pub fn new(u: &UserRow, reveal: bool) -> Self {
        let show = |v: &Option<String>, mask: fn(&str) -> String| {
            v.as_deref()
                .map(|s| if reveal { s.to_owned() } else { mask(s) })
        };
        Self {
            id: u.id,
            tenant_id: u.tenant_id,
            node_id: u.node_id,
            kind: u.kind.clone(),
            display_name: u.display_name.clone(),
            phone: show(&u.phone, runtime::mask::phone),
            email: show(&u.email, runtime::mask::email),
            status: u.status.clone(),
            locked: u.locked_until.is_some_and(|t| t > Utc::now()),
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct GrantView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub node_id: Uuid,
    pub node_path: String,
    /// The node or an ancestor is disabled: the grant gives nothing for now.
    pub suspended: bool,
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<&GrantRow> for GrantView {
    fn from(g: &GrantRow) -> Self {
        Self {
            id: g.id,
            user_id: g.user_id,
            role: g.role.clone(),
            node_id: g.node_id,
            node_path: g.node_path.clone(),
            suspended: g.suspended,
            granted_by: g.granted_by.clone(),
            created_at: g.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Serialize)]
pub struct OrgView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: String,
    pub name: String,
    pub path: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&OrgRow> for OrgView {
    fn from(n: &OrgRow) -> Self {
        Self {
            id: n.id,
            tenant_id: n.tenant_id,
            parent_id: n.parent_id,
            kind: n.kind.clone(),
            name: n.name.clone(),
            path: n.path.clone(),
            disabled: n.disabled,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RoleView {
    /// The role's name for built-in roles, its UUID for custom ones.
    pub id: String,
    pub name: String,
    pub builtin: bool,
    pub description: String,
    pub permissions: Vec<String>,
}

impl RoleView {
    pub fn builtin(r: BuiltinRole) -> Self {
        Self {
            id: r.name().into(),
            name: r.name().into(),
            builtin: true,
            description: r.description().into(),
            permissions: r.permissions().iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl From<&RoleRow> for RoleView {
    fn from(r: &RoleRow) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            builtin: false,
            description: r.description.clone(),
            permissions: r.permissions.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AppView {
    pub id: String,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Only in the answers to create and rotate: shown once, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl AppView {
    pub fn new(a: &AppRow, with_secret: bool) -> Self {
        Self {
            id: a.id.clone(),
            tenant_id: a.tenant_id,
            node_id: a.node_id,
            name: a.name.clone(),
            scopes: a.scopes.clone(),
            status: a.status.clone(),
            created_by: a.created_by.clone(),
            created_at: a.created_at,
            rotated_at: a.rotated_at,
            revoked_at: a.revoked_at,
            secret: with_secret.then(|| a.secret.clone()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AuditView {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub actor_id: Option<String>,
    pub actor_kind: Option<String>,
    pub action: String,
    pub target: String,
    pub result: String,
    pub status: i32,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&AuditRow> for AuditView {
    fn from(r: &AuditRow) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            actor_id: r.actor_id.clone(),
            actor_kind: r.actor_kind.clone(),
            action: r.action.clone(),
            target: r.target.clone(),
            result: r.result.clone(),
            status: r.status,
            ip: r.ip.clone(),
            request_id: r.request_id.clone(),
            at: r.at,
        }
    }
}
