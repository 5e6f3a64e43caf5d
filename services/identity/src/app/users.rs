//! Creating accounts (shared by registration, SMS login, staff creation and bootstrap)
//! and the one-time-code check.

use chrono::Utc;
use proto::events::{RoleGranted, UserRegistered};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Ctx;
use crate::domain::rbac::BuiltinRole;
use crate::domain::user::{Email, Phone, UserKind};
use crate::error::{IdentityError, Result};
use crate::events::{self, timestamp};
use crate::store::users::{NewUser, UserRow};
use crate::{store, tokens};

pub struct NewAccount<'a> {
    pub tenant: Uuid,
    pub node: Uuid,
    pub kind: UserKind,
    pub display_name: &'a str,
    pub phone: Option<&'a Phone>,
    pub email: Option<&'a Email>,
    pub password_hash: Option<&'a str>,
    /// Who creates it: the user's own id for sign-ups.
    pub by: Option<&'a str>,
}

/// Inserts the user (drivers also get the driver role on the operator node) and
/// publishes `user.registered` (and `role.granted`), in `conn`'s transaction.
pub async fn create_account(
    ctx: &Ctx,
    conn: &mut PgConnection,
    a: NewAccount<'_>,
) -> Result<UserRow> {
    let id = Uuid::now_v7();
    let inserted = store::users::insert(
        &mut *conn,
        &NewUser {
            id,
            tenant_id: a.tenant,
            node_id: a.node,
            kind: a.kind.as_str(),
            display_name: a.display_name,
            phone: a.phone.map(Phone::as_str),
            email: a.email.map(Email::as_str),
            password_hash: a.password_hash,
        },
    )
    .await?;
    if let Err(what) = inserted {
        return Err(IdentityError::AlreadyRegistered(what));
    }
    let now = Utc::now();
    let tenant = a.tenant.to_string();
    events::enqueue(
        conn,
        &ctx.ns,
        &tenant,
        &tenant,
        ("user", "registered"),
        now,
        &UserRegistered {
            user_id: id.to_string(),
            tenant_id: tenant.clone(),
            kind: a.kind.as_str().into(),
            display_name: a.display_name.into(),
            phone_masked: a.phone.map(Phone::masked).unwrap_or_default(),
            email_masked: a.email.map(Email::masked).unwrap_or_default(),
            node_id: a.node.to_string(),
            registered_at: Some(timestamp(now)),
        },
    )
    .await?;
    if a.kind == UserKind::Driver {
        let by = a.by.map(str::to_owned).unwrap_or_else(|| id.to_string());
        grant(
            ctx,
            conn,
            a.tenant,
            id,
            BuiltinRole::Driver.name(),
            a.tenant,
            &by,
        )
        .await?;
    }
    store::users::get(&mut *conn, store::TenantScope::one(a.tenant), id)
        .await?
        .ok_or(IdentityError::Internal("user vanished after insert".into()))
}

/// Records a grant and publishes `role.granted`. `Ok(None)` if it already existed.
#[allow(clippy::too_many_arguments)]
pub async fn grant(
    ctx: &Ctx,
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    role: &str,
    node: Uuid,
    by: &str,
) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    if !store::grants::insert(&mut *conn, id, tenant, user, role, node, by).await? {
        return Ok(None);
    }
    let path = store::orgs::get(&mut *conn, store::TenantScope::one(tenant), node)
        .await?
        .map(|n| n.path)
        .unwrap_or_default();
    let now = Utc::now();
    let t = tenant.to_string();
    events::enqueue(
        conn,
        &ctx.ns,
        &t,
        &t,
        ("role", "granted"),
        now,
        &RoleGranted {
            tenant_id: t.clone(),
            grant_id: id.to_string(),
            user_id: user.to_string(),
            role: role.into(),
            node_id: node.to_string(),
            node_path: path,
            by: by.into(),
            granted_at: Some(timestamp(now)),
        },
    )
    .await?;
    Ok(Some(id))
}

/// Attempts per code before it is void.
const MAX_CODE_ATTEMPTS: i32 = 5;

/// Checks and consumes the newest code for `purpose`. A wrong code counts an attempt
/// (committed on its own, whatever the caller does next).
pub async fn verify_code(
    ctx: &Ctx,
    tenant: Uuid,
    phone: &Phone,
    purpose: &str,
    code: &str,
) -> Result<()> {
    use subtle::ConstantTimeEq;
    let mut tx = ctx.pool.begin().await?;
    let row = store::codes::latest_for_update(&mut *tx, tenant, phone.as_str(), purpose)
        .await?
        .ok_or(IdentityError::InvalidCode)?;
    if row.attempts >= MAX_CODE_ATTEMPTS {
        return Err(IdentityError::InvalidCode);
    }
    let given = tokens::code_hash(&tenant, phone.as_str(), code.trim());
    if !bool::from(given.ct_eq(&row.code_hash)) {
        store::codes::bump_attempts(&mut *tx, row.id).await?;
        tx.commit().await?;
        return Err(IdentityError::InvalidCode);
    }
    store::codes::consume(&mut *tx, row.id).await?;
    tx.commit().await?;
    Ok(())
}
