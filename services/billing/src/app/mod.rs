//! Use cases, one file each. Each writes in one transaction and publishes through the
//! outbox in it. They take the tenant they act in; the REST adapters check the caller's
//! permission on the node of what is touched (`Auth::at`), the gRPC adapter serves other
//! services of the platform, which name their tenant.

pub mod add_version;
pub mod assignments;
pub mod bills;
pub mod create_tariff;
pub mod follow_move;
pub mod invoices;
pub mod quote;
pub mod rate_session;
pub mod request_invoice;
pub mod resolve;
pub mod tariff_bodies;
pub mod tariff_changed;
pub mod tariffs;

use chrono::{DateTime, SubsecRound, Utc};
use runtime::auth::{OrgPath, Principal};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{BillingError, Result};
use crate::store::TenantScope;

/// What the use cases need from the process.
#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub ns: bus::Namespace,
    pub tariff_bodies: tariff_bodies::TariffBodies,
}

impl Ctx {
    pub fn new(svc: &runtime::ServiceContext) -> anyhow::Result<Self> {
        Ok(Self {
            pool: svc.db()?.clone(),
            ns: svc.bus.namespace.clone(),
            tariff_bodies: tariff_bodies::TariffBodies::default(),
        })
    }
}

/// The current instant at the database's resolution (microseconds), so what a use case
/// answers equals what a later read of the stored row answers.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The caller's tenant id.
pub fn tenant_of(p: &Principal) -> Result<Uuid> {
    p.tenant.parse().map_err(|_| {
        BillingError::Internal(format!("principal tenant {:?} is not a uuid", p.tenant))
    })
}

/// What the caller's lookups may see: their tenant, or all for platform admins.
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

/// `s` as an organization path, the error naming `field`.
pub fn org_path(field: &str, s: &str) -> Result<OrgPath> {
    OrgPath::parse(s).map_err(|_| {
        BillingError::invalid(
            field,
            "is not an organization path like /<tenant>/<region>/<site>/",
        )
    })
}

/// The tenant a path belongs to (its first segment).
pub fn tenant_of_path(field: &str, p: &OrgPath) -> Result<Uuid> {
    p.tenant()
        .parse()
        .map_err(|_| BillingError::invalid(field, "does not start with a tenant id"))
}

/// A path read back from the database.
pub fn stored_path(s: &str) -> Result<OrgPath> {
    OrgPath::parse(s).map_err(|e| BillingError::Internal(format!("stored path: {e}")))
}

/// A UUID named by `field`.
pub fn uuid(field: &str, s: &str) -> Result<Uuid> {
    s.parse()
        .map_err(|_| BillingError::invalid(field, format!("{s:?} is not a UUID")))
}
