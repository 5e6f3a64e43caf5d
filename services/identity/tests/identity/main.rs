//! Identity against the real stack: each test boots identity in-process on port 0 with
//! its own database and NATS namespace (`spawn_app`), and, where "another service" is
//! needed, a probe service in a second app that verifies tokens from identity's JWKS
//! over HTTP — as every other Pylon service does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod flows;
mod grpc;
mod helpers;
mod inputs;
mod login;
mod matrix;
mod orgs;
mod probe;
mod signatures;
mod tenancy;
mod tokens;

pub use helpers::*;
