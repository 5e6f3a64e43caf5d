//! `PATCH /users/{id}`: name, e-mail, home node, or a new password set by an
//! administrator (which ends the user's sessions).

use runtime::auth::Principal;
use uuid::Uuid;

use super::{Ctx, authorized_node, authorized_user};
use crate::domain::user::{self, Email};
use crate::error::{IdentityError, Result};
use crate::store::users::{ProfileUpdate, UserRow};
use crate::store::{self, TenantScope};

#[derive(Default)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub node_id: Option<Uuid>,
    pub password: Option<String>,
}

pub async fn run(ctx: &Ctx, p: &Principal, id: Uuid, u: UpdateUser) -> Result<UserRow> {
    let current = authorized_user(ctx, p, "users:update", id).await?;
    if let Some(node) = u.node_id {
        let n = authorized_node(ctx, p, "users:update", node).await?;
        if n.tenant_id != current.tenant_id {
            return Err(IdentityError::NotFound("organization"));
        }
    }
    let upd = ProfileUpdate {
        display_name: u
            .display_name
            .as_deref()
            .map(user::display_name)
            .transpose()?,
        email: u
            .email
            .as_deref()
            .map(|e| Email::parse(e).map(|e| e.as_str().to_owned()))
            .transpose()?,
        node_id: u.node_id,
    };
    let hash = match &u.password {
        Some(pw) => {
            user::check_password(pw)?;
            Some(ctx.hasher.hash(pw).await?)
        }
        None => None,
    };
    let mut tx = ctx.pool.begin().await?;
    if let Err(what) = store::users::update_profile(&mut *tx, current.tenant_id, id, &upd).await? {
        return Err(IdentityError::AlreadyRegistered(what));
    }
    if let Some(h) = &hash {
        store::users::set_password(&mut *tx, current.tenant_id, id, h).await?;
        store::refresh::revoke_user(
            &mut *tx,
            current.tenant_id,
            id,
            "password set by administrator",
        )
        .await?;
    }
    tx.commit().await?;
    store::users::get(&ctx.pool, TenantScope::one(current.tenant_id), id)
        .await?
        .ok_or(IdentityError::NotFound("user"))
}
