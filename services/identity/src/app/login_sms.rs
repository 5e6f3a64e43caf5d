//! `POST /auth/login/sms`: phone + one-time code. A phone without an account becomes a
//! new driver (sign-up by SMS).

use std::net::IpAddr;

use super::session::{self, TokenPair};
use super::users::{NewAccount, create_account, verify_code};
use super::{Ctx, login};
use crate::domain::user::{Phone, UserKind, UserStatus};
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::users::UserRow;

pub async fn run(
    ctx: &Ctx,
    ip: Option<IpAddr>,
    tenant: &str,
    phone: &str,
    code: &str,
) -> Result<(TokenPair, UserRow)> {
    if !ctx.limiter.check(ip) {
        return Err(IdentityError::RateLimited);
    }
    let tenant = login::tenant(ctx, tenant).await?;
    let phone = Phone::parse(phone).map_err(|_| IdentityError::InvalidCode)?;
    verify_code(ctx, tenant.id, &phone, "login", code).await?;
    let mut tx = ctx.pool.begin().await?;
    let user = match store::users::by_phone(&mut *tx, tenant.id, phone.as_str()).await? {
        Some(u) => u,
        None => {
            let name = phone.masked();
            create_account(
                ctx,
                &mut tx,
                NewAccount {
                    tenant: tenant.id,
                    node: tenant.id,
                    kind: UserKind::Driver,
                    display_name: &name,
                    phone: Some(&phone),
                    email: None,
                    password_hash: None,
                    by: None,
                },
            )
            .await?
        }
    };
    if UserStatus::parse(&user.status)? == UserStatus::Disabled {
        return Err(IdentityError::AccountDisabled);
    }
    store::users::record_login(&mut *tx, user.id).await?;
    let pair = session::issue(ctx, &mut tx, &user, None).await?;
    tx.commit().await?;
    Ok((pair, user))
}
