//! PostgreSQL access for schema `payment` (and nothing else): static SQL with bound
//! parameters; every query names the tenant.

pub mod accounts;
pub mod callbacks;
pub mod holds;
pub mod journal;
pub mod payments;
pub mod refunds;
