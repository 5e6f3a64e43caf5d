//! What payment publishes (stream PYLON_PAYMENT), always through its outbox in the
//! transaction of the change. Event types are named in `bus::catalog`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::PaymentError;

/// Writes `event` to the outbox as `pylon.payment.<tenant>.<aggregate>.<name>`.
pub async fn enqueue<E: bus::Event>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    tenant: Uuid,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<(), PaymentError> {
    let event = outgoing(ns, tenant, (aggregate, name), now, event)?;
    bus::Outbox::new(crate::SCHEMA)
        .enqueue(conn, &event)
        .await?;
    Ok(())
}

/// `event` as [`enqueue`] would store it, for a statement that writes the outbox row
/// itself (`bus::Outbox::insert_many`).
pub fn outgoing<E: bus::Event>(
    ns: &bus::Namespace,
    tenant: Uuid,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<bus::OutgoingEvent, PaymentError> {
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
