//! What identity publishes (stream PYLON_IDENTITY), always through its outbox in the
//! transaction of the change. It consumes nothing.

use chrono::{DateTime, Utc};
use proto::events::{OneTimeCodeRequested, OrgChanged, RoleGranted, UserDisabled, UserRegistered};
use sqlx::PgConnection;

use crate::error::IdentityError;

/// An event identity publishes, with its `ce-type`. (A local trait: Rust's orphan rule
/// forbids implementing `bus::Event` here for the generated `proto` types, so the
/// outgoing event is assembled below with the same headers `OutgoingEvent::new` gives.)
pub trait IdentityEvent: prost::Message {
    const TYPE: &'static str;
}

impl IdentityEvent for UserRegistered {
    const TYPE: &'static str = "pylon.identity.user.registered.v1";
}
impl IdentityEvent for UserDisabled {
    const TYPE: &'static str = "pylon.identity.user.disabled.v1";
}
impl IdentityEvent for OrgChanged {
    const TYPE: &'static str = "pylon.identity.org.changed.v1";
}
impl IdentityEvent for RoleGranted {
    const TYPE: &'static str = "pylon.identity.role.granted.v1";
}
impl IdentityEvent for OneTimeCodeRequested {
    const TYPE: &'static str = "pylon.identity.otp.requested.v1";
}

/// The tenant token of events no tenant may subscribe to (one-time codes).
pub const NO_TENANT: &str = "_";

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Writes `event` to the outbox as `pylon.identity.<subject_tenant>.<aggregate>.<name>`.
pub async fn enqueue<E: IdentityEvent>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    subject_tenant: &str,
    tenant: &str,
    (aggregate, name): (&str, &str),
    now: DateTime<Utc>,
    event: &E,
) -> Result<(), IdentityError> {
    let token = |s: &str| bus::Token::new(s.to_owned());
    let subject = bus::subject::event_subject(
        ns,
        &token(crate::NAME)?,
        &token(subject_tenant)?,
        &token(aggregate)?,
        &token(name)?,
    );
    let ev = bus::OutgoingEvent {
        subject,
        meta: bus::EventMeta {
            id: uuid::Uuid::now_v7(),
            event_type: E::TYPE.to_owned(),
            source: "pylon/identity".to_owned(),
            tenant: tenant.to_owned(),
            time: now,
            traceparent: bus::event::current_traceparent(),
        },
        payload: bytes::Bytes::from(event.encode_to_vec()),
    };
    bus::Outbox::new(crate::SCHEMA).enqueue(conn, &ev).await?;
    Ok(())
}
