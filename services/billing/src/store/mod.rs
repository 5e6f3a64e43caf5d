//! PostgreSQL access for schema `billing` (and nothing else). Every statement is static
//! SQL with bound parameters; every query of tenant data names the tenant (or, for
//! platform administrators, explicitly none: `$n::uuid IS NULL` in the filter).

pub mod assignments;
pub mod bills;
pub mod invoices;
pub mod moves;
pub mod resolve;
pub mod tariffs;
pub mod versions;

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

/// Whether `e` is a violation of the constraint named `name`.
pub fn violates(e: &sqlx::Error, name: &str) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.constraint() == Some(name))
}
