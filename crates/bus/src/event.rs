//! Events as they travel: a protobuf payload plus CloudEvents-style headers.

use async_nats::{HeaderMap, HeaderName};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::BusError;

/// A protobuf message that is published as an event. `TYPE` is its `ce-type`, stable
/// forever, e.g. `pylon.charging.order.created.v1`.
pub trait Event: prost::Message + Default {
    const TYPE: &'static str;
}

/// Header names. `Nats-Msg-Id` makes JetStream drop a re-publish within the stream's
/// duplicate window.
pub mod headers {
    pub const ID: &str = "ce-id";
    pub const TYPE: &str = "ce-type";
    pub const SOURCE: &str = "ce-source";
    pub const TIME: &str = "ce-time";
    pub const TENANT: &str = "ce-tenant";
    pub const SPEC_VERSION: &str = "ce-specversion";
    pub const CONTENT_TYPE: &str = "content-type";
    pub const TRACEPARENT: &str = "traceparent";
    pub const MSG_ID: &str = "Nats-Msg-Id";
    pub const PROTOBUF: &str = "application/protobuf";
}

/// What is known about an event besides its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventMeta {
    /// UUIDv7; also the `Nats-Msg-Id`.
    pub id: Uuid,
    pub event_type: String,
    /// Who emitted it, e.g. `pylon/charging`.
    pub source: String,
    pub tenant: String,
    pub time: DateTime<Utc>,
    /// W3C trace context of the operation that caused it, when tracing is on.
    pub traceparent: Option<String>,
}

impl EventMeta {
    pub fn to_headers(&self) -> HeaderMap {
        // Names built once: a `&str` name is validated and copied into the map per event.
        const ID: HeaderName = HeaderName::from_static(headers::ID);
        const MSG_ID: HeaderName = HeaderName::from_static(headers::MSG_ID);
        const TYPE: HeaderName = HeaderName::from_static(headers::TYPE);
        const SOURCE: HeaderName = HeaderName::from_static(headers::SOURCE);
        const TENANT: HeaderName = HeaderName::from_static(headers::TENANT);
        const TIME: HeaderName = HeaderName::from_static(headers::TIME);
        const SPEC_VERSION: HeaderName = HeaderName::from_static(headers::SPEC_VERSION);
        const CONTENT_TYPE: HeaderName = HeaderName::from_static(headers::CONTENT_TYPE);
        const TRACEPARENT: HeaderName = HeaderName::from_static(headers::TRACEPARENT);
        let mut h = HeaderMap::new();
        // Formatted values are moved into the map (a `&str` would be copied again).
        let id = self.id.hyphenated().to_string();
        h.insert(ID, id.clone());
        h.insert(MSG_ID, id);
        h.insert(TYPE, self.event_type.as_str());
        h.insert(SOURCE, self.source.as_str());
        h.insert(TENANT, self.tenant.as_str());
        h.insert(TIME, self.time.to_rfc3339_opts(SecondsFormat::Micros, true));
        h.insert(SPEC_VERSION, "1.0");
        h.insert(CONTENT_TYPE, headers::PROTOBUF);
        if let Some(tp) = &self.traceparent {
            h.insert(TRACEPARENT, tp.as_str());
        }
        h
    }

    pub fn from_headers(h: &HeaderMap) -> Result<Self, BusError> {
        let get = |name: &'static str| {
            h.get(name)
                .map(|v| v.as_str().to_owned())
                .ok_or(BusError::MissingHeader(name))
        };
        let id = get(headers::ID)?
            .parse::<Uuid>()
            .map_err(|_| BusError::MissingHeader(headers::ID))?;
        let time = DateTime::parse_from_rfc3339(&get(headers::TIME)?)
            .map_err(|_| BusError::MissingHeader(headers::TIME))?
            .with_timezone(&Utc);
        Ok(Self {
            id,
            event_type: get(headers::TYPE)?,
            source: get(headers::SOURCE)?,
            tenant: get(headers::TENANT)?,
            time,
            traceparent: h.get(headers::TRACEPARENT).map(|v| v.as_str().to_owned()),
        })
    }
}

/// An event ready to publish (or to store in the outbox).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingEvent {
    pub subject: String,
    pub meta: EventMeta,
    pub payload: Bytes,
}

impl OutgoingEvent {
    /// A new event with a fresh UUIDv7 id, the current trace context and `time` as its
    /// occurrence time (callers pass the clock; the bus does not read it for them).
    pub fn new<E: Event>(
        subject: String,
        source: &str,
        tenant: &str,
        time: DateTime<Utc>,
        event: &E,
    ) -> Self {
        Self {
            subject,
            meta: EventMeta {
                id: Uuid::now_v7(),
                event_type: E::TYPE.to_owned(),
                source: source.to_owned(),
                tenant: tenant.to_owned(),
                time,
                traceparent: current_traceparent(),
            },
            payload: Bytes::from(event.encode_to_vec()),
        }
    }

    /// Decodes the payload as `E`, checking the declared type first.
    pub fn decode<E: Event>(&self) -> Result<E, BusError> {
        decode_payload(&self.meta.event_type, &self.payload)
    }
}

pub(crate) fn decode_payload<E: Event>(event_type: &str, payload: &[u8]) -> Result<E, BusError> {
    if event_type != E::TYPE {
        return Err(BusError::WrongEventType {
            expected: E::TYPE,
            found: event_type.to_owned(),
        });
    }
    E::decode(payload).map_err(|source| BusError::Decode {
        event_type: event_type.to_owned(),
        source,
    })
}

/// A UTC instant as a protobuf `Timestamp` (event payloads carry their times this way).
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A protobuf `Timestamp` as a UTC instant ([`timestamp`]'s inverse); `None` when out of
/// range. Negative nanoseconds (not a valid `Timestamp`) count as zero.
pub fn datetime(t: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
}

/// The W3C `traceparent` of the current tracing span, if OpenTelemetry is active.
pub fn current_traceparent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let meta = EventMeta {
            id: Uuid::now_v7(),
            event_type: "pylon.test.thing.happened.v1".into(),
            source: "pylon/test".into(),
            tenant: "t1".into(),
            time: DateTime::parse_from_rfc3339("2026-11-26T03:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        let h = meta.to_headers();
        assert_eq!(
            h.get(headers::MSG_ID).unwrap().as_str(),
            meta.id.to_string()
        );
        assert_eq!(EventMeta::from_headers(&h).unwrap(), meta);
    }

    #[test]
    fn missing_id_is_named() {
        let err = EventMeta::from_headers(&HeaderMap::new()).unwrap_err();
        assert!(err.to_string().contains("ce-id"), "{err}");
    }
}
