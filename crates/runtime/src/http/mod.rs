//! The HTTP side every service shares: the response envelope and error codes (DESIGN §6),
//! extractors that answer bad input in the envelope, pagination, the middleware stack,
//! health endpoints and `/metrics`.

pub mod envelope;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod pagination;
pub mod server;

pub use envelope::{ApiError, ApiResult, Envelope, codes, ok};
pub use extract::ApiJson;
pub use pagination::{Page, PageQuery, Paged};
