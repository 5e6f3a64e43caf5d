//! Adapters only: parse, authorize, call the use case, map errors.

pub mod error;
pub mod grpc;
pub mod http;
