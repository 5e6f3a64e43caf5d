//! Use cases, one file each: they check the caller's permission on the node of what they
//! touch, apply the domain rules, write through `store` and publish through the outbox.

pub mod apps;
pub mod audit;
pub mod change_password;
pub mod create_node;
pub mod create_role;
pub mod create_tenant;
pub mod create_user;
pub mod grant_role;
pub mod list_nodes;
pub mod list_users;
pub mod login;
pub mod login_sms;
pub mod logout;
pub mod move_node;
pub mod profile;
pub mod refresh;
pub mod register;
pub mod request_code;
pub mod reset_password;
pub mod revoke_grant;
pub mod roles;
pub mod session;
pub mod set_node_disabled;
pub mod set_user_status;
pub mod update_node;
pub mod update_user;
pub mod users;

use std::sync::Arc;

use chrono::Duration;
use runtime::auth::{OrgPath, Principal};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{IdentityError, Result};
use crate::keys::SigningKeys;
use crate::limits::LoginLimiter;
use crate::password::Hasher;
use crate::store::{self, TenantScope};

/// What the use cases need from the process.
#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub config: Arc<runtime::Config>,
    pub ns: bus::Namespace,
    pub jetstream: async_nats::jetstream::Context,
    pub keys: Arc<SigningKeys>,
    pub hasher: Arc<Hasher>,
    pub limiter: Arc<LoginLimiter>,
    apps_kv: Arc<tokio::sync::OnceCell<async_nats::jetstream::kv::Store>>,
}

impl Ctx {
    pub fn new(pool: PgPool, config: Arc<runtime::Config>, bus: &bus::Bus) -> Result<Self> {
        let id = &config.identity;
        let auth = &config.auth;
        let publish_after_retire = Duration::seconds(
            (id.access_ttl_secs + auth.leeway_secs + auth.jwks_refresh_secs + 60) as i64,
        );
        Ok(Self {
            keys: Arc::new(SigningKeys::new(
                pool.clone(),
                Duration::days(id.key_rotation_days as i64),
                publish_after_retire,
            )),
            hasher: Arc::new(Hasher::new(
                id.argon2_memory_kib,
                id.argon2_iterations,
                id.argon2_parallelism,
            )?),
            limiter: Arc::new(LoginLimiter::new(id.login_rate_per_minute)),
            pool,
            ns: bus.namespace.clone(),
            jetstream: bus.jetstream.clone(),
            config,
            apps_kv: Arc::default(),
        })
    }

    /// The app registry bucket (declared by the runtime at start).
    pub async fn apps_kv(&self) -> Result<&async_nats::jetstream::kv::Store> {
        self.apps_kv
            .get_or_try_init(|| async {
                bus::kv::ensure_bucket(
                    &self.jetstream,
                    &self.ns,
                    runtime::auth::apps::APPS_BUCKET,
                    1,
                    std::time::Duration::ZERO,
                )
                .await
                .map_err(IdentityError::from)
            })
            .await
    }
}

/// The caller's tenant id.
pub fn tenant_of(p: &Principal) -> Result<Uuid> {
    p.tenant.parse().map_err(|_| {
        IdentityError::Internal(format!("principal tenant {:?} is not a uuid", p.tenant))
    })
}

/// What the caller's queries may see: their tenant, or all for platform admins.
pub fn scope_of(p: &Principal) -> Result<TenantScope> {
    Ok(if p.platform_admin {
        TenantScope::all()
    } else {
        TenantScope::one(tenant_of(p)?)
    })
}

/// The tenant a list asks for: the caller's, or (platform admins) the one named.
pub fn list_tenant(p: &Principal, asked: Option<Uuid>) -> Result<Option<Uuid>> {
    if p.platform_admin {
        Ok(asked)
    } else {
        Ok(Some(tenant_of(p)?))
    }
}

pub fn path(s: &str) -> Result<OrgPath> {
    OrgPath::parse(s).map_err(IdentityError::from)
}

/// Loads node `id` as the caller may see it and checks `permission` on it.
pub async fn authorized_node(
    ctx: &Ctx,
    p: &Principal,
    permission: &str,
    id: Uuid,
) -> Result<store::orgs::OrgRow> {
    let node = store::orgs::get(&ctx.pool, scope_of(p)?, id)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    runtime::auth::authorize(p, permission, &path(&node.path)?)?;
    Ok(node)
}

/// Loads user `id` as the caller may see it and checks `permission` on the user's node.
pub async fn authorized_user(
    ctx: &Ctx,
    p: &Principal,
    permission: &str,
    id: Uuid,
) -> Result<store::users::UserRow> {
    let user = store::users::get(&ctx.pool, scope_of(p)?, id)
        .await?
        .ok_or(IdentityError::NotFound("user"))?;
    runtime::auth::authorize(p, permission, &path(&user.node_path)?).map_err(|d| match d {
        runtime::auth::Denied::OtherTenant => IdentityError::NotFound("user"),
        runtime::auth::Denied::Permission => IdentityError::Forbidden,
    })?;
    Ok(user)
}

/// Who did it, for events and rows: the user or app id.
pub fn actor(p: &Principal) -> String {
    p.subject.clone()
}
