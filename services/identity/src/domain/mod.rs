//! Identity's rules, free of I/O: ids, the organization tree, users and credentials,
//! roles and permissions. Unit-tested here; `app/` applies them.

pub mod ids;
pub mod org;
pub mod rbac;
pub mod roles;
pub mod user;
