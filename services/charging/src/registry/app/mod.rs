//! Use cases of the registry, one file per group. They take the tenant and the caller's
//! reach; REST adapters authorize. Writes commit first, then mirror to the gateway.

pub mod batch;
pub mod devices;
pub mod import;
pub mod models;
pub mod provisioning;
pub mod qr;
pub mod sites;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use runtime::auth::{OrgPath, Principal};
use runtime::http::codes;
use uuid::Uuid;

use super::domain::FieldError;
use super::store;
use crate::error::{ChargingError, code};

/// Now at the database's resolution, so an answer equals a later read.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl From<FieldError> for ChargingError {
    fn from(e: FieldError) -> Self {
        ChargingError::Invalid(e.to_string())
    }
}

/// The caller's tenant id.
pub fn tenant_of(p: &Principal) -> Result<Uuid, ChargingError> {
    p.tenant.parse().map_err(|_| {
        ChargingError::Upstream(format!("principal tenant {:?} is not a uuid", p.tenant))
    })
}

/// The tenant filter of lookups: the caller's, or none for platform administrators.
pub fn lookup_tenant(p: &Principal) -> Result<Option<Uuid>, ChargingError> {
    if p.platform_admin {
        Ok(None)
    } else {
        tenant_of(p).map(Some)
    }
}

/// A path read back from the database.
pub fn stored_path(s: &str) -> Result<OrgPath, ChargingError> {
    OrgPath::parse(s).map_err(|e| ChargingError::Upstream(format!("stored path: {e}")))
}

/// A tenant's root path.
pub fn root_path(tenant: Uuid) -> Result<OrgPath, ChargingError> {
    stored_path(&format!("/{tenant}/"))
}

pub fn forbidden() -> ChargingError {
    ChargingError::Refused(
        StatusCode::FORBIDDEN,
        codes::PERMISSION_DENIED,
        "permission denied".into(),
    )
}

pub fn duplicate(message: String) -> ChargingError {
    ChargingError::Refused(StatusCode::CONFLICT, code::DUPLICATE, message)
}

pub fn in_use(message: String) -> ChargingError {
    ChargingError::Refused(StatusCode::CONFLICT, code::IN_USE, message)
}

/// A database error, with unique violations turned into 409s naming the field.
pub fn db(e: sqlx::Error, what: &str) -> ChargingError {
    match store::unique_violation(&e) {
        Some(store::SITE_NODE_TAKEN) => {
            duplicate("node_path: this organization node already has a site".into())
        }
        Some(store::MODEL_NAME_TAKEN) => duplicate("name: a model with this name exists".into()),
        Some(store::DEVICE_ID_TAKEN) => {
            duplicate(format!("device_id: {what} is already registered"))
        }
        Some(store::UID_TAKEN) => duplicate("uid: another socket has this UID".into()),
        _ => ChargingError::Db(e),
    }
}

/// May the caller act at a path? Adapters pass their permission check in, so use cases
/// that touch many records (imports, batches) authorize each one.
pub type Allowed<'a> = &'a (dyn Fn(&OrgPath) -> bool + Sync);
