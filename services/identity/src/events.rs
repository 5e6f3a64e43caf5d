//! What identity publishes (stream PYLON_IDENTITY), always through its outbox in the
//! transaction of the change. It consumes nothing.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::error::IdentityError;

/// The tenant token of events no tenant may subscribe to (one-time codes).
pub const NO_TENANT: &str = "_";

pub use bus::event::timestamp;

/// Writes `event` to the outbox as `pylon.identity.<subject_tenant>.<aggregate>.<name>`.
/// (Event types, `ce-type` included, are named in `bus::catalog`.)
pub async fn enqueue<E: bus::Event>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    subject_tenant: &str,
    tenant: &str,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<(), IdentityError> {
    bus::Outbox::new(crate::SCHEMA)
        .enqueue_event(
            conn,
            ns,
            crate::NAME,
            subject_tenant,
            tenant,
            (aggregate, name),
            now,
            event,
        )
        .await?;
    Ok(())
}
