//! The device port: accept within the connection limits, hand each connection its task.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use async_nats::jetstream::kv;
use runtime::config::GatewayConfig;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::control::JobSender;
use crate::control::transfer::Running;
use crate::counters::Counters;
use crate::domain::{DeviceKey, Protocol, WireFrame};
use crate::sessions::Sessions;

/// A device's connection on this replica.
struct Live {
    generation: u64,
    kick: CancellationToken,
    commands: JobSender,
}

/// What every connection of this replica shares.
pub struct Shared {
    pub config: GatewayConfig,
    pub bus: bus::Bus,
    pub publisher: bus::Publisher,
    pub sessions: Sessions,
    /// Written by charging; read only when unregistered devices are refused.
    pub registry: Option<kv::Store>,
    pub replica: String,
    pub shutdown: CancellationToken,
    /// Piles receiving a firmware image from this replica.
    pub transfers: Running,
    /// Device → its current connection here: the token that ends it (a second
    /// connection for the same device replaces the first) and its command queue.
    live: Mutex<HashMap<String, Live>>,
    generation: std::sync::atomic::AtomicU64,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    /// `max_connections` over every device port together.
    slots: Arc<Semaphore>,
    pub counters: Counters,
}

impl Shared {
    pub fn new(
        config: GatewayConfig,
        bus: bus::Bus,
        sessions: Sessions,
        registry: Option<kv::Store>,
        replica: String,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            // Device events go through the coalescing task, which reads their acks
            // itself; the context carries what is published directly: retries (up to
            // `ACK_WINDOW` per connection while JetStream fails), each connection's
            // `disconnected` event and transfers. A cap below that sum (async-nats's
            // default is 5,000) would only make them queue for permits.
            publisher: bus::Publisher::new(
                async_nats::jetstream::ContextBuilder::new()
                    .timeout(bus::ACK_TIMEOUT)
                    .max_ack_inflight(
                        config
                            .max_connections
                            .saturating_mul(crate::connection::ACK_WINDOW + 1)
                            .saturating_add(1024)
                            .min(usize::MAX >> 4),
                    )
                    .build(bus.client.clone()),
            )
            .coalescing(),
            bus,
            sessions,
            registry,
            replica,
            shutdown,
            transfers: Running::default(),
            live: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            per_ip: Mutex::new(HashMap::new()),
            counters: Counters::new(),
            slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
        }
    }

    /// Registers this connection as the device's current one and ends an older one.
    /// Returns the claim's generation and the token that a newer claim cancels.
    pub fn claim(&self, device: &DeviceKey, commands: JobSender, kick: CancellationToken) -> u64 {
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let this = Live {
            generation,
            kick,
            commands,
        };
        if let Ok(mut live) = self.live.lock()
            && let Some(old) = live.insert(device.device_id.clone(), this)
        {
            old.kick.cancel();
        }
        generation
    }

    /// The command queue of the connection carrying `connection_id`, if it is here.
    pub fn commands_for(&self, connection_id: &str) -> Option<JobSender> {
        let live = self.live.lock().ok()?;
        live.get(connection_id).map(|l| l.commands.clone())
    }

    /// Forgets the device's connection if it is still the claim of `generation`.
    pub fn release(&self, device: &DeviceKey, generation: u64) {
        if let Ok(mut live) = self.live.lock()
            && live
                .get(&device.device_id)
                .is_some_and(|l| l.generation == generation)
        {
            live.remove(&device.device_id);
        }
    }

    /// The operator `device_id` is registered to (`device_registry`, written by
    /// charging), or `_` while unassigned.
    pub async fn tenant_of(&self, device_id: &str) -> String {
        #[derive(serde::Deserialize)]
        struct Entry {
            tenant_id: String,
        }
        let Some(registry) = &self.registry else {
            return crate::events::UNASSIGNED.to_owned();
        };
        match registry.get(device_id).await {
            Ok(Some(v)) => serde_json::from_slice::<Entry>(&v)
                .ok()
                .map(|e| e.tenant_id)
                .filter(|t| bus::Token::new(t.clone()).is_ok())
                .unwrap_or_else(|| crate::events::UNASSIGNED.to_owned()),
            _ => crate::events::UNASSIGNED.to_owned(),
        }
    }

    /// Whether policy refuses this device (unregistered while `reject_unregistered`).
    pub async fn refuses(&self, device: &DeviceKey) -> bool {
        let Some(registry) = (self.config.reject_unregistered)
            .then_some(())
            .and(self.registry.as_ref())
        else {
            return false;
        };
        !matches!(registry.get(&device.device_id).await, Ok(Some(_)))
    }

    /// Raw frames are for debugging and third parties: published on core NATS (the
    /// stream stores them; no acknowledgement is asked for), so they never slow the
    /// device path. The hex and JSON are built here, only when `gateway.raw_frames` is on.
    pub async fn publish_raw(&self, device_id: &str, frame: &WireFrame) {
        if !self.config.raw_frames {
            return;
        }
        let subject = self
            .bus
            .namespace
            .subject(&["raw", frame.protocol(), device_id]);
        self.publisher
            .publish_core(subject, frame.raw_json().into())
            .await;
    }

    fn admit(&self, ip: IpAddr) -> bool {
        let Ok(mut per_ip) = self.per_ip.lock() else {
            return false;
        };
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= self.config.max_connections_per_ip {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, ip: IpAddr) {
        if let Ok(mut per_ip) = self.per_ip.lock()
            && let Some(n) = per_ip.get_mut(&ip)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_ip.remove(&ip);
            }
        }
    }
}

/// Accepts until shutdown. Connections over the limits are closed at once. `only`: a
/// dedicated port that takes one protocol.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, only: Option<Protocol>) {
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = shared.slots.clone().try_acquire_owned() else {
            metrics::counter!("pylon_gateway_refused_total", "why" => "max_connections")
                .increment(1);
            continue;
        };
        if !shared.admit(peer.ip()) {
            metrics::counter!("pylon_gateway_refused_total", "why" => "per_ip").increment(1);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        metrics::gauge!("pylon_gateway_connections").increment(1.0);
        tokio::spawn(async move {
            crate::connection::serve(stream, peer, shared.clone(), only).await;
            shared.leave(peer.ip());
            metrics::gauge!("pylon_gateway_connections").decrement(1.0);
            drop(permit);
        });
    }
}
