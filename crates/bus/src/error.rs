use thiserror::Error;

/// Everything the bus can fail at, named for the operation that failed.
#[derive(Debug, Error)]
pub enum BusError {
    #[error("invalid subject token {token:?}: {reason}")]
    InvalidToken { token: String, reason: &'static str },
    #[error("invalid schema name {0:?}: only lowercase letters, digits and '_' are allowed")]
    InvalidSchema(String),
    #[error("declaring stream {stream}: {source}")]
    DeclareStream {
        stream: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("publishing to {subject}: {source}")]
    Publish {
        subject: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("consumer {consumer}: {source}")]
    Consumer {
        consumer: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("opening key-value bucket {bucket}: {source}")]
    KeyValue {
        bucket: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("message header {0} is missing or malformed")]
    MissingHeader(&'static str),
    #[error("expected an event of type {expected}, found {found}")]
    WrongEventType {
        expected: &'static str,
        found: String,
    },
    #[error("decoding event payload of type {event_type}: {source}")]
    Decode {
        event_type: String,
        #[source]
        source: prost::DecodeError,
    },
    #[error("outbox database operation: {0}")]
    Database(#[from] sqlx::Error),
}

impl BusError {
    pub(crate) fn publish(
        subject: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Publish {
            subject: subject.to_owned(),
            source: Box::new(source),
        }
    }

    pub(crate) fn consumer(
        consumer: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Consumer {
            consumer: consumer.to_owned(),
            source: source.into(),
        }
    }
}
