//! PostgreSQL access for schema `identity` (and nothing else). Every statement is
//! static SQL with bound parameters; every query of tenant data names the tenant (or,
//! for platform administrators, explicitly none: `tenant IS NULL` in the filter).

pub mod apps;
pub mod audit;
pub mod codes;
pub mod grants;
pub mod keys;
pub mod orgs;
pub mod refresh;
pub mod roles;
pub mod tenants;
pub mod users;

use uuid::Uuid;

/// Which tenant a query may see: one, or every one (platform administrators only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantScope(Option<Uuid>);

impl TenantScope {
    pub fn one(tenant: Uuid) -> Self {
        Self(Some(tenant))
    }
    pub fn all() -> Self {
        Self(None)
    }
    /// For a `($n::uuid IS NULL OR tenant_id = $n)` bind.
    pub fn bind(&self) -> Option<Uuid> {
        self.0
    }
}

/// `s` as a literal inside an `ILIKE '%' || $n || '%'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
