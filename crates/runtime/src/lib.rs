//! Plumbing shared by every Pylon service. Business types never live here: if a type
//! belongs to one service, it lives in that service's crate.

pub mod app;
pub mod auth;
pub mod clickhouse;
pub mod config;
pub mod db;
pub mod grpc;
pub mod http;
pub mod mask;
pub mod net;
pub mod service;
pub mod telemetry;

pub use config::{Config, Secret};
pub use grpc::GrpcRoutes;
pub use service::{Service, ServiceContext};
