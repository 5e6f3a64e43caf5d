//! What billing publishes (stream PYLON_BILLING), always through its outbox in the
//! transaction of the change. Event types are named in `bus::catalog`. What it
//! consumes is in `consumers`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::BillingError;

pub use bus::event::timestamp;

/// Writes `event` to the outbox as `pylon.billing.<tenant>.<aggregate>.<name>`.
pub async fn enqueue<E: bus::Event>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    tenant: Uuid,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<(), BillingError> {
    let event = outgoing(ns, tenant, (aggregate, name), now, event)?;
    bus::Outbox::new(crate::SCHEMA)
        .enqueue(conn, &event)
        .await?;
    Ok(())
}

/// `event` as [`enqueue`] would store it, for a statement that writes the outbox row
/// itself (`bus::Outbox::insert_per_row`).
pub fn outgoing<E: bus::Event>(
    ns: &bus::Namespace,
    tenant: Uuid,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<bus::OutgoingEvent, BillingError> {
    let tenant = tenant.to_string();
    Ok(bus::outbox::service_event(
        ns,
        crate::NAME,
        &tenant,
        &tenant,
        (aggregate, name),
        now,
        event,
    )?)
}
