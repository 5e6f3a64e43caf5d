//! `POST /auth/register`: a driver signs up with a password and a phone (proved by a
//! `register` code) and/or an e-mail address.

use std::net::IpAddr;

use super::session::{self, TokenPair};
use super::users::{NewAccount, create_account, verify_code};
use super::{Ctx, login};
use crate::domain::user::{self, Email, Phone, UserKind};
use crate::error::{IdentityError, Result};
use crate::store::users::UserRow;

pub struct Register {
    pub tenant: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub code: Option<String>,
    pub password: String,
    pub display_name: String,
}

pub async fn run(ctx: &Ctx, ip: Option<IpAddr>, r: Register) -> Result<(TokenPair, UserRow)> {
    if !ctx.limiter.check(ip) {
        return Err(IdentityError::RateLimited);
    }
    let tenant = login::tenant(ctx, &r.tenant)
        .await
        .map_err(|_| IdentityError::NotFound("tenant"))?;
    let phone = r.phone.as_deref().map(Phone::parse).transpose()?;
    let email = r.email.as_deref().map(Email::parse).transpose()?;
    if phone.is_none() && email.is_none() {
        return Err(IdentityError::Invalid("give a phone or an email".into()));
    }
    let name = user::display_name(&r.display_name)?;
    user::check_password(&r.password)?;
    if let Some(p) = &phone {
        let code = r.code.as_deref().ok_or_else(|| {
            IdentityError::Invalid(
                "registering a phone needs its code (POST /auth/sms-code, purpose register)".into(),
            )
        })?;
        verify_code(ctx, tenant.id, p, "register", code).await?;
    }
    let hash = ctx.hasher.hash(&r.password).await?;
    let mut tx = ctx.pool.begin().await?;
    let user = create_account(
        ctx,
        &mut tx,
        NewAccount {
            tenant: tenant.id,
            node: tenant.id,
            kind: UserKind::Driver,
            display_name: &name,
            phone: phone.as_ref(),
            email: email.as_ref(),
            password_hash: Some(&hash),
            by: None,
        },
    )
    .await?;
    let pair = session::issue(ctx, &mut tx, &user, None).await?;
    tx.commit().await?;
    Ok((pair, user))
}
