//! `pylon admin bootstrap`: the first operator and its administrator (operator_admin
//! and platform_admin on the operator node). Idempotent: run again, it reports what
//! exists and changes nothing.

use std::sync::Arc;

use base64::Engine as _;
use uuid::Uuid;

use crate::app::users::{NewAccount, create_account, grant};
use crate::app::{Ctx, create_tenant};
use crate::domain::ids::TenantCode;
use crate::domain::rbac::BuiltinRole;
use crate::domain::user::{self, Email, Phone, UserKind};
use crate::error::IdentityError;
use crate::{Identity, store, tokens};

pub struct Bootstrap {
    pub tenant_code: String,
    pub tenant_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
    /// Generated (and returned) when absent.
    pub password: Option<String>,
}

#[derive(Debug)]
pub struct Bootstrapped {
    pub tenant_id: Uuid,
    pub tenant_code: String,
    pub user_id: Uuid,
    /// The e-mail or phone to log in with.
    pub login: String,
    /// The password, when this run set it.
    pub password: Option<String>,
    /// False when the operator already existed (nothing changed).
    pub created: bool,
}

pub async fn run(config: &runtime::Config, b: Bootstrap) -> anyhow::Result<Bootstrapped> {
    let code = TenantCode::parse(&b.tenant_code).map_err(anyhow::Error::msg)?;
    let email = b.email.as_deref().map(Email::parse).transpose()?;
    let phone = b.phone.as_deref().map(Phone::parse).transpose()?;
    let login = match (&email, &phone) {
        (Some(e), _) => e.as_str().to_owned(),
        (None, Some(p)) => p.as_str().to_owned(),
        (None, None) => anyhow::bail!("give the administrator an --email or a --phone"),
    };
    let name = user::display_name(&b.display_name)?;
    let services: Vec<Arc<dyn runtime::Service>> = vec![Arc::new(Identity)];
    runtime::app::migrate(config, &services).await?;
    let bus = runtime::app::connect_nats(config).await?;
    let pool = runtime::db::pool(&config.database)?;
    let ctx = Ctx::new(pool.clone(), Arc::new(config.clone()), &bus)?;

    if let Some(t) = store::tenants::by_code(&pool, code.as_str()).await? {
        let existing = match (&email, &phone) {
            (Some(e), _) => store::users::by_email(&pool, t.id, e.as_str()).await?,
            (None, Some(p)) => store::users::by_phone(&pool, t.id, p.as_str()).await?,
            _ => None,
        };
        let u = existing.ok_or_else(|| {
            anyhow::anyhow!("operator {} exists but has no user {login}", code.as_str())
        })?;
        return Ok(Bootstrapped {
            tenant_id: t.id,
            tenant_code: t.code,
            user_id: u.id,
            login,
            password: None,
            created: false,
        });
    }

    let password = match b.password {
        Some(p) => p,
        None => format!(
            "Py1-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tokens::random_bytes::<12>()?)
        ),
    };
    user::check_password(&password)?;
    let hash = ctx.hasher.hash(&password).await?;
    ctx.keys.rotate_if_due(false).await?;
    let mut tx = pool.begin().await?;
    let root = create_tenant::create(&ctx, &mut tx, code.as_str(), &b.tenant_name).await?;
    let u = create_account(
        &ctx,
        &mut tx,
        NewAccount {
            tenant: root.tenant_id,
            node: root.id,
            kind: UserKind::Staff,
            display_name: &name,
            phone: phone.as_ref(),
            email: email.as_ref(),
            password_hash: Some(&hash),
            by: Some("bootstrap"),
        },
    )
    .await?;
    for role in [BuiltinRole::OperatorAdmin, BuiltinRole::PlatformAdmin] {
        grant(
            &ctx,
            &mut tx,
            root.tenant_id,
            u.id,
            role.name(),
            root.id,
            "bootstrap",
        )
        .await?;
    }
    tx.commit().await.map_err(IdentityError::from)?;
    pool.close().await;
    Ok(Bootstrapped {
        tenant_id: root.tenant_id,
        tenant_code: code.as_str().to_owned(),
        user_id: u.id,
        login,
        password: Some(password),
        created: true,
    })
}
