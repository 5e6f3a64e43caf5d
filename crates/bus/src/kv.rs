//! KV buckets. async-nats' `create_key_value` asks for account info in a shape
//! nats-server 2.9 does not send, so the bucket's backing stream is declared here the way
//! the KV layer expects it, then opened.

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};

use crate::{BusError, Namespace};

/// Opens `bucket` (in `ns`), creating its backing stream first if needed.
pub async fn ensure_bucket(
    js: &jetstream::Context,
    ns: &Namespace,
    bucket: &str,
    history: i64,
    max_age: Duration,
) -> Result<kv::Store, BusError> {
    let name = ns.name(bucket);
    let err = |e: Box<dyn std::error::Error + Send + Sync>| BusError::KeyValue {
        bucket: name.clone(),
        source: e,
    };
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: history,
        max_age,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| err(Box::new(e)))?;
    js.get_key_value(&name).await.map_err(|e| err(Box::new(e)))
}
