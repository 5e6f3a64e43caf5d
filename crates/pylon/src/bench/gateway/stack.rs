//! The benchmark's side of NATS: a private namespace, stored-message counts of its
//! streams, and removing everything it created at the end.

use anyhow::Context as _;
use futures::TryStreamExt as _;

/// NATS as the benchmark uses it, in its own namespace.
pub struct Stack {
    pub bus: bus::Bus,
    /// The namespace as configured (`PYLON_NATS__NAMESPACE` of the gateway).
    pub namespace: String,
}

impl Stack {
    /// Connects with the configuration's NATS settings in namespace `namespace`.
    pub async fn connect(config: &runtime::Config, namespace: &str) -> anyhow::Result<Self> {
        let mut config = config.clone();
        config.nats.namespace = namespace.to_owned();
        let bus = runtime::app::connect_nats(&config)
            .await
            .context("connecting to NATS")?;
        Ok(Self {
            bus,
            namespace: namespace.to_owned(),
        })
    }

    /// `PYLON_DEVICE` in this namespace.
    pub fn device_stream(&self) -> String {
        self.bus.namespace.name("PYLON_DEVICE")
    }

    /// `PYLON_RAW` in this namespace.
    pub fn raw_stream(&self) -> String {
        self.bus.namespace.name("PYLON_RAW")
    }

    /// Messages ever stored in `stream` (its last sequence; deduplicated re-publishes do
    /// not count). Zero while the stream does not exist yet.
    pub async fn stored(&self, stream: &str) -> anyhow::Result<u64> {
        match self.bus.jetstream.get_stream(stream).await {
            Ok(mut s) => Ok(s.info().await?.state.last_sequence),
            Err(e)
                if matches!(
                    e.kind(),
                    async_nats::jetstream::context::GetStreamErrorKind::JetStream(_)
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Messages in `stream` whose subject matches `filter` (e.g. every `disconnected`).
    pub async fn count_subjects(&self, stream: &str, filter: &str) -> anyhow::Result<u64> {
        let s = self.bus.jetstream.get_stream(stream).await?;
        let subjects: std::collections::HashMap<String, usize> =
            s.info_with_subjects(filter).await?.try_collect().await?;
        Ok(subjects.values().map(|n| *n as u64).sum())
    }

    /// Deletes every stream (and so every KV bucket) of the namespace. Best effort: a
    /// failure is reported, not fatal, since the results are already in hand.
    pub async fn cleanup(&self) -> usize {
        let prefix = self.bus.namespace.name("");
        if prefix.is_empty() {
            // The production namespace: never the benchmark's to delete.
            return 0;
        }
        let kv_prefix = format!("KV_{prefix}");
        let names: Vec<String> = match self.bus.jetstream.stream_names().try_collect().await {
            Ok(n) => n,
            Err(e) => {
                eprintln!("bench: cannot list streams to clean up: {e}");
                return 0;
            }
        };
        let mut deleted = 0;
        for name in names
            .into_iter()
            .filter(|n| n.starts_with(&prefix) || n.starts_with(&kv_prefix))
        {
            match self.bus.jetstream.delete_stream(&name).await {
                Ok(_) => deleted += 1,
                Err(e) => eprintln!("bench: stream {name} not deleted: {e}"),
            }
        }
        deleted
    }
}
