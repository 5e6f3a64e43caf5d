//! The bus's own tables (outbox, processed events) live in each service's schema, next to
//! the state they are written with, so one transaction covers both.

use std::fmt;

use sqlx::AssertSqlSafe;
use sqlx::migrate::{Migration, Migrator};

use crate::BusError;

/// A PostgreSQL schema name that is safe to splice into SQL: `[a-z][a-z0-9_]*`, ≤ 48 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SchemaName(&'static str);

impl SchemaName {
    /// For constants: an invalid name fails the build (the check runs at compile time).
    pub const fn from_static(name: &'static str) -> Self {
        let b = name.as_bytes();
        assert!(
            !b.is_empty() && b.len() <= 48,
            "schema name must be 1..=48 bytes"
        );
        assert!(b[0].is_ascii_lowercase(), "schema name must start with a-z");
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            assert!(
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_',
                "schema name may hold only a-z, 0-9 and '_'"
            );
            i += 1;
        }
        Self(name)
    }

    pub fn new(name: &'static str) -> Result<Self, BusError> {
        let ok = !name.is_empty()
            && name.len() <= 48
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(name))
        } else {
            Err(BusError::InvalidSchema(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// `template` with `{schema}` replaced by this name. The name is validated on
    /// construction, so it is the only dynamic part of such SQL and cannot inject.
    pub fn sql(&self, template: &str) -> AssertSqlSafe<String> {
        AssertSqlSafe(template.replace("{schema}", self.0))
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The bus tables' migrations. Their versions are small integers, service migrations use
/// timestamps, so the two sets never collide inside one schema's migration history.
pub static BUS_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A service's migrations (if it has any yet) with the bus tables in front, applied as
/// one history.
pub fn with_bus_tables(service: Option<&Migrator>) -> Migrator {
    let migrations: Vec<Migration> = BUS_MIGRATOR
        .iter()
        .chain(service.into_iter().flat_map(|m| m.iter()))
        .cloned()
        .collect();
    Migrator::with_migrations(migrations)
}
