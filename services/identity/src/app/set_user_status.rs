//! `POST /users/{id}/disable`, `/enable` and `/unlock`.

use chrono::Utc;
use proto::events::UserDisabled;
use runtime::auth::Principal;
use uuid::Uuid;

use super::{Ctx, actor, authorized_user};
use crate::domain::user::UserStatus;
use crate::error::{IdentityError, Result};
use crate::events::{self, timestamp};
use crate::store::users::UserRow;
use crate::store::{self, TenantScope};

/// Disables (ending every session, publishing `user.disabled`) or enables a user.
pub async fn run(ctx: &Ctx, p: &Principal, id: Uuid, status: UserStatus) -> Result<UserRow> {
    let u = authorized_user(ctx, p, "users:disable", id).await?;
    if status == UserStatus::Disabled && u.id.to_string() == p.subject {
        return Err(IdentityError::Invalid("you cannot disable yourself".into()));
    }
    let mut tx = ctx.pool.begin().await?;
    store::users::set_status(&mut *tx, u.tenant_id, id, status.as_str()).await?;
    if status == UserStatus::Disabled && u.status != UserStatus::Disabled.as_str() {
        store::refresh::revoke_user(&mut *tx, u.tenant_id, id, "disabled").await?;
        let now = Utc::now();
        let t = u.tenant_id.to_string();
        events::enqueue(
            &mut tx,
            &ctx.ns,
            &t,
            &t,
            ("user", "disabled"),
            now,
            &UserDisabled {
                user_id: id.to_string(),
                tenant_id: t.clone(),
                by: actor(p),
                disabled_at: Some(timestamp(now)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    reload(ctx, &u).await
}

/// Clears a lockout.
pub async fn unlock(ctx: &Ctx, p: &Principal, id: Uuid) -> Result<UserRow> {
    let u = authorized_user(ctx, p, "users:unlock", id).await?;
    store::users::unlock(&ctx.pool, u.tenant_id, id).await?;
    reload(ctx, &u).await
}

async fn reload(ctx: &Ctx, u: &UserRow) -> Result<UserRow> {
    store::users::get(&ctx.pool, TenantScope::one(u.tenant_id), u.id)
        .await?
        .ok_or(IdentityError::NotFound("user"))
}
