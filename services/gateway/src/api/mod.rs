//! Adapters only: parse, authorize, call the service's logic, map errors.

pub mod control;
pub mod grpc;
pub mod http;
