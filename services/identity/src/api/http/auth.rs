//! `/api/v1/auth/*` and the JWKS.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use runtime::auth::{Auth, Caller, ClientIp};
use runtime::http::{ApiError, ApiJson, ApiResult, ok};
use serde::{Deserialize, Serialize};

use super::Note;
use super::perms::KeysRotate;
use super::views::{GrantView, MeView, UserView};
use crate::app::request_code::Purpose;
use crate::app::session::TokenPair;
use crate::app::{self, Ctx};
use crate::domain::user::Identifier;

/// `GET /.well-known/jwks.json`: the public keys access tokens are signed with.
pub async fn jwks(State(ctx): State<Ctx>) -> Result<impl IntoResponse, ApiError> {
    let set = ctx.keys.jwks().await?;
    Ok(([("cache-control", "public, max-age=60")], Json(set)))
}

#[derive(Debug, Serialize)]
pub struct Session {
    #[serde(flatten)]
    pub tokens: TokenPair,
    pub user: UserView,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Tenant code or id.
    tenant: String,
    /// Phone number or e-mail address.
    identifier: String,
    password: String,
}

pub async fn login(
    State(ctx): State<Ctx>,
    ClientIp(ip): ClientIp,
    note: Note,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Session> {
    let masked = Identifier::parse(&b.identifier)
        .map(|i| i.masked())
        .unwrap_or_else(|_| "invalid identifier".into());
    note.target(format!("login {masked}"));
    let tenant = b.tenant.clone();
    let res = app::login::run(
        &ctx,
        ip,
        app::login::Login {
            tenant: b.tenant,
            identifier: b.identifier,
            password: b.password,
        },
    )
    .await;
    match res {
        Ok((tokens, user)) => {
            note.actor(user.id, user.tenant_id);
            Ok(ok(Session {
                tokens,
                user: UserView::new(&user, true),
            }))
        }
        Err(e) => {
            if let Ok(t) = app::login::tenant(&ctx, &tenant).await {
                note.tenant(t.id);
            }
            Err(e.into())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    tenant: String,
    phone: Option<String>,
    email: Option<String>,
    /// The `register` code sent to `phone`.
    code: Option<String>,
    password: String,
    display_name: String,
}

pub async fn register(
    State(ctx): State<Ctx>,
    ClientIp(ip): ClientIp,
    note: Note,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<Session> {
    let (tokens, user) = app::register::run(
        &ctx,
        ip,
        app::register::Register {
            tenant: b.tenant,
            phone: b.phone,
            email: b.email,
            code: b.code,
            password: b.password,
            display_name: b.display_name,
        },
    )
    .await?;
    note.actor(user.id, user.tenant_id);
    note.target(format!("user {}", user.id));
    Ok(ok(Session {
        tokens,
        user: UserView::new(&user, true),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginBody {
    tenant: String,
    phone: String,
    code: String,
}

pub async fn login_sms(
    State(ctx): State<Ctx>,
    ClientIp(ip): ClientIp,
    note: Note,
    ApiJson(b): ApiJson<SmsLoginBody>,
) -> ApiResult<Session> {
    note.target(format!("login {}", runtime::mask::phone(&b.phone)));
    let (tokens, user) = app::login_sms::run(&ctx, ip, &b.tenant, &b.phone, &b.code).await?;
    note.actor(user.id, user.tenant_id);
    Ok(ok(Session {
        tokens,
        user: UserView::new(&user, true),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    tenant: String,
    phone: String,
    /// `login` (default), `register` or `reset`.
    purpose: Option<String>,
}

#[derive(Serialize)]
pub struct CodeSent {
    /// Always true: whether a code really went out is not revealed.
    accepted: bool,
    expires_in: u64,
}

pub async fn sms_code(
    State(ctx): State<Ctx>,
    ClientIp(ip): ClientIp,
    note: Note,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult<CodeSent> {
    note.target(format!("code {}", runtime::mask::phone(&b.phone)));
    let purpose = Purpose::parse(b.purpose.as_deref().unwrap_or("login"))?;
    let expires_in = app::request_code::run(&ctx, ip, &b.tenant, &b.phone, purpose).await?;
    Ok(ok(CodeSent {
        accepted: true,
        expires_in,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(ctx): State<Ctx>,
    note: Note,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult<TokenPair> {
    note.target("refresh token");
    Ok(ok(app::refresh::run(&ctx, &b.refresh_token).await?))
}

pub async fn logout(
    State(ctx): State<Ctx>,
    note: Note,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult<()> {
    note.target("refresh token family");
    app::logout::run(&ctx, &b.refresh_token).await?;
    Ok(ok(()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    old_password: String,
    new_password: String,
}

pub async fn change_password(
    State(ctx): State<Ctx>,
    me: Caller,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<TokenPair> {
    Ok(ok(app::change_password::run(
        &ctx,
        &me,
        &b.old_password,
        &b.new_password,
    )
    .await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    tenant: String,
    phone: String,
    code: String,
    new_password: String,
}

pub async fn reset_password(
    State(ctx): State<Ctx>,
    ClientIp(ip): ClientIp,
    note: Note,
    ApiJson(b): ApiJson<ResetBody>,
) -> ApiResult<()> {
    note.target(format!("password {}", runtime::mask::phone(&b.phone)));
    app::reset_password::run(&ctx, ip, &b.tenant, &b.phone, &b.code, &b.new_password).await?;
    Ok(ok(()))
}

fn me_view(u: &crate::store::users::UserRow, grants: &[crate::store::grants::GrantRow]) -> MeView {
    MeView {
        user: UserView::new(u, true),
        grants: grants.iter().map(GrantView::from).collect(),
    }
}

pub async fn me(State(ctx): State<Ctx>, me: Caller) -> ApiResult<MeView> {
    let (u, g) = app::profile::get(&ctx, &me).await?;
    Ok(ok(me_view(&u, &g)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    display_name: Option<String>,
    email: Option<String>,
}

pub async fn update_me(
    State(ctx): State<Ctx>,
    me: Caller,
    ApiJson(b): ApiJson<ProfileBody>,
) -> ApiResult<MeView> {
    let (u, g) =
        app::profile::update(&ctx, &me, b.display_name.as_deref(), b.email.as_deref()).await?;
    Ok(ok(me_view(&u, &g)))
}

#[derive(Serialize)]
pub struct Rotated {
    kid: Option<String>,
}

/// `POST /auth/keys/rotate` (platform admins): a new signing key now.
pub async fn rotate_keys(State(ctx): State<Ctx>, auth: Auth<KeysRotate>) -> ApiResult<Rotated> {
    if !auth.platform_admin {
        return Err(ApiError::from_status(axum::http::StatusCode::FORBIDDEN));
    }
    Ok(ok(Rotated {
        kid: ctx.keys.rotate_if_due(true).await?,
    }))
}
