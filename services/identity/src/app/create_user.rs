//! `POST /users`: an administrator creates a staff account (or a driver) on a node.

use runtime::auth::Principal;
use uuid::Uuid;

use super::users::{NewAccount, create_account};
use super::{Ctx, actor, authorized_node};
use crate::domain::user::{self, Email, Phone, UserKind};
use crate::error::{IdentityError, Result};
use crate::store::users::UserRow;

pub struct CreateUser {
    pub node_id: Uuid,
    pub kind: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

pub async fn run(ctx: &Ctx, p: &Principal, c: CreateUser) -> Result<UserRow> {
    let node = authorized_node(ctx, p, "users:create", c.node_id).await?;
    if node.disabled {
        return Err(IdentityError::NodeDisabled);
    }
    let kind = c
        .kind
        .as_deref()
        .map(UserKind::parse)
        .transpose()?
        .unwrap_or(UserKind::Staff);
    let phone = c.phone.as_deref().map(Phone::parse).transpose()?;
    let email = c.email.as_deref().map(Email::parse).transpose()?;
    if phone.is_none() && email.is_none() {
        return Err(IdentityError::Invalid("give a phone or an email".into()));
    }
    let name = user::display_name(&c.display_name)?;
    let hash = match &c.password {
        Some(pw) => {
            user::check_password(pw)?;
            Some(ctx.hasher.hash(pw).await?)
        }
        None => None,
    };
    let by = actor(p);
    let mut tx = ctx.pool.begin().await?;
    let u = create_account(
        ctx,
        &mut tx,
        NewAccount {
            tenant: node.tenant_id,
            node: node.id,
            kind,
            display_name: &name,
            phone: phone.as_ref(),
            email: email.as_ref(),
            password_hash: hash.as_deref(),
            by: Some(&by),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(u)
}
