//! SQL of the registry (schema `charging` only). Static statements; every one filters
//! on the tenant (`$n::uuid IS NULL` only for platform administrators, who see all).

pub mod devices;
pub mod models;
pub mod qr;
pub mod sites;

/// Unique constraints whose violation is the caller's duplicate (409), by name.
pub const SITE_NODE_TAKEN: &str = "sites_org_node_key";
pub const MODEL_NAME_TAKEN: &str = "device_models_name_key";
pub const DEVICE_ID_TAKEN: &str = "devices_device_id_key";
pub const UID_TAKEN: &str = "devices_uid_key";

/// The constraint a database error violated, if it is a unique violation.
pub fn unique_violation(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => d.constraint(),
        _ => None,
    }
}

/// Filter of the caller's reach: `tenant` (None = all, platform admins) and the org
/// path prefixes their grants cover (None = everywhere in the tenant).
#[derive(Clone, Debug, Default)]
pub struct Reach {
    pub tenant: Option<uuid::Uuid>,
    pub prefixes: Option<Vec<String>>,
}
