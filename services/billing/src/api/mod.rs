//! Adapters only: parse, authorize, call the service's logic, map errors.

pub mod error;
pub mod grpc;
pub mod http;
