//! `POST /auth/sms-code`: a one-time code, published for notification to send by SMS
//! (and, with `identity.log_codes`, written to the log for development).

use std::net::IpAddr;

use chrono::{Duration, Utc};
use proto::events::OneTimeCodeRequested;
use uuid::Uuid;

use super::{Ctx, login};
use crate::domain::user::Phone;
use crate::error::{IdentityError, Result};
use crate::events::{self, NO_TENANT, timestamp};
use crate::{store, tokens};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Register,
    Reset,
}

impl Purpose {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "login" => Ok(Purpose::Login),
            "register" => Ok(Purpose::Register),
            "reset" => Ok(Purpose::Reset),
            _ => Err(IdentityError::Invalid(
                "purpose must be login, register or reset".into(),
            )),
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Register => "register",
            Purpose::Reset => "reset",
        }
    }
}

/// One code per phone and purpose per minute, ten per phone per day.
const MIN_GAP: Duration = Duration::seconds(60);
const PER_DAY: i64 = 10;

/// Sends a code unless that would reveal something: a reset code only goes to a
/// registered phone, a registration code only to an unregistered one, and the answer is
/// the same either way. Returns the code's lifetime.
pub async fn run(
    ctx: &Ctx,
    ip: Option<IpAddr>,
    tenant: &str,
    phone: &str,
    purpose: Purpose,
) -> Result<u64> {
    if !ctx.limiter.check(ip) {
        return Err(IdentityError::RateLimited);
    }
    let tenant = login::tenant(ctx, tenant)
        .await
        .map_err(|_| IdentityError::NotFound("tenant"))?;
    let phone = Phone::parse(phone)?;
    let ttl = ctx.config.identity.code_ttl_secs;
    let now = Utc::now();
    let p = phone.as_str();
    if store::codes::sent_since(
        &ctx.pool,
        tenant.id,
        p,
        Some(purpose.as_str()),
        now - MIN_GAP,
    )
    .await?
        > 0
        || store::codes::sent_since(&ctx.pool, tenant.id, p, None, now - Duration::days(1)).await?
            >= PER_DAY
    {
        return Err(IdentityError::RateLimited);
    }
    let exists = store::users::by_phone(&ctx.pool, tenant.id, phone.as_str())
        .await?
        .is_some();
    let send = match purpose {
        Purpose::Login => true,
        Purpose::Register => !exists,
        Purpose::Reset => exists,
    };
    if !send {
        tracing::info!(phone = %phone.masked(), purpose = purpose.as_str(), "code not sent (account state)");
        return Ok(ttl);
    }
    let code = tokens::new_code()?;
    let expires = now + Duration::seconds(ttl as i64);
    let mut tx = ctx.pool.begin().await?;
    store::codes::insert(
        &mut *tx,
        Uuid::now_v7(),
        tenant.id,
        phone.as_str(),
        purpose.as_str(),
        &tokens::code_hash(&tenant.id, phone.as_str(), &code),
        expires,
    )
    .await?;
    let t = tenant.id.to_string();
    events::enqueue(
        &mut tx,
        &ctx.ns,
        NO_TENANT,
        &t,
        ("otp", "requested"),
        now,
        &OneTimeCodeRequested {
            tenant_id: t.clone(),
            phone: phone.as_str().into(),
            code: code.clone(),
            purpose: purpose.as_str().into(),
            expires_at: Some(timestamp(expires)),
        },
    )
    .await?;
    tx.commit().await?;
    if ctx.config.identity.log_codes {
        tracing::warn!(phone = %phone.masked(), purpose = purpose.as_str(), code = %code, "development: one-time code (identity.log_codes is on)");
    }
    Ok(ttl)
}
