//! One device connection: read with timeouts, let the protocol session decide, write its
//! answers through a bounded queue, publish its events. Nothing here interprets bytes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use prost::Message as _;
use proto::events::DisconnectReason;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::control::{self, Job, ResultSender};
use crate::domain::detect::{Detected, detect};
use crate::domain::dny::DnySession;
use crate::domain::executor::{Effect, Executor};
use crate::domain::gn::GnSession;
use crate::domain::{CardQuery, DeviceEvent, DeviceKey, Fatal, Output, Protocol};
use crate::events::{self, ConnInfo};
use crate::listener::Shared;
use crate::sessions::SessionRecord;

/// Protocol heartbeat periods (fact sheet: DNY 0x21 every 3 min, GN every minute).
fn heartbeat_period(p: Protocol) -> Duration {
    match p {
        Protocol::Dny => Duration::from_secs(180),
        Protocol::Gn => Duration::from_secs(60),
    }
}

/// Commands waiting for a connection's task to take them.
const COMMAND_QUEUE: usize = 64;
/// How often a connection refreshes its session's `last_seen` (and ticks its session).
const TICK: Duration = Duration::from_secs(60);

enum Session {
    Dny(DnySession),
    Gn(GnSession),
}

impl Session {
    fn on_bytes(&mut self, data: &[u8]) -> Result<Vec<Output>, Fatal> {
        let now = Utc::now();
        match self {
            Session::Dny(s) => s.on_bytes(data, now),
            Session::Gn(s) => s.on_bytes(data, now),
        }
    }

    /// What the end of the connection means beyond the device itself (GN sockets).
    fn close(&mut self) -> Vec<Output> {
        match self {
            Session::Dny(_) => Vec::new(),
            Session::Gn(s) => s.close(Utc::now()),
        }
    }

    fn tick(&mut self) -> Vec<Output> {
        let now = Utc::now();
        match self {
            Session::Dny(s) => s.tick(now),
            Session::Gn(s) => s.tick(now),
        }
    }
}

/// Serves one connection until it ends; publishes `DeviceDisconnected` if it was identified.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    only: Option<Protocol>,
) {
    let started = std::time::Instant::now();
    let (mut rd, mut wr) = stream.into_split();
    let cfg = &shared.config;
    let (tx, mut rx) = mpsc::channel::<Bytes>(cfg.write_queue_frames);
    let write_timeout = Duration::from_secs(cfg.write_timeout_secs);
    let closed = CancellationToken::new();
    let writer_closed = closed.clone();
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            match tokio::time::timeout(write_timeout, wr.write_all(&frame)).await {
                Ok(Ok(())) => {}
                _ => {
                    writer_closed.cancel();
                    return DisconnectReason::WriteTimeout;
                }
            }
        }
        let _ = wr.shutdown().await;
        DisconnectReason::Closed
    });

    let conn = ConnInfo {
        remote_addr: peer.to_string(),
        replica: shared.replica.clone(),
    };
    let mut buf = vec![0u8; 4096];
    let mut pending: Vec<u8> = Vec::new();
    let mut session: Option<Session> = None;
    let mut device: Option<DeviceKey> = None;
    let mut kicked = CancellationToken::new();
    let mut claim: Option<u64> = None;
    let mut record: Option<SessionRecord> = None;
    // Commands for this connection's devices: queued by `control::executing`, run by the
    // executor once the device is known.
    let (commands_tx, mut commands_rx) = mpsc::channel::<Job>(COMMAND_QUEUE);
    let mut commands: Option<Executor<ResultSender>> = None;
    let mut timeout = Duration::from_secs(cfg.handshake_timeout_secs);
    let mut idle_at = Instant::now() + timeout;
    let mut tick = tokio::time::interval_at(Instant::now() + TICK, TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen_since_tick = false;
    let (reason, detail) = loop {
        let wake = commands
            .as_ref()
            .and_then(Executor::next_wakeup)
            .map(Instant::from_std);
        let read = tokio::select! {
            _ = shared.shutdown.cancelled() => break (DisconnectReason::Shutdown, String::new()),
            _ = closed.cancelled() => break (DisconnectReason::WriteTimeout, "writes did not drain".into()),
            _ = kicked.cancelled() => break (DisconnectReason::Replaced, "a newer connection took over".into()),
            Some(job) = commands_rx.recv() => {
                if let Some(ex) = commands.as_mut() {
                    let effects = ex.submit(job.plan, job.reply, std::time::Instant::now());
                    apply(effects, &tx, &closed, &shared.replica);
                }
                continue;
            }
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                if let Some(ex) = commands.as_mut() {
                    apply(ex.poll(std::time::Instant::now()), &tx, &closed, &shared.replica);
                }
                continue;
            }
            _ = tick.tick() => {
                // Periodic port snapshots and GN socket liveness: events only.
                for out in session.as_mut().map(Session::tick).unwrap_or_default() {
                    if let Output::Event(e) = out {
                        publish(&shared, &e, &conn).await;
                    }
                }
                if seen_since_tick && let (Some(d), Some(record)) = (&device, &record) {
                    shared.sessions.put(d, &SessionRecord { last_seen: Utc::now(), ..record.clone() }).await;
                }
                seen_since_tick = false;
                continue;
            }
            r = tokio::time::timeout_at(idle_at, rd.read(&mut buf)) => r,
        };
        let n = match read {
            Err(_) => {
                break (
                    DisconnectReason::IdleTimeout,
                    format!("nothing received for {timeout:?}"),
                );
            }
            Ok(Err(e)) => break (DisconnectReason::Closed, e.to_string()),
            Ok(Ok(0)) => break (DisconnectReason::Closed, String::new()),
            Ok(Ok(n)) => n,
        };
        idle_at = Instant::now() + timeout;
        seen_since_tick = true;
        metrics::counter!("pylon_gateway_bytes_received_total").increment(n as u64);
        let data = &buf[..n];
        let outputs = match &mut session {
            Some(s) => s.on_bytes(data),
            None => {
                pending.extend_from_slice(data);
                match detect(&pending) {
                    Detected::NeedMore => continue,
                    Detected::Unknown => {
                        break (
                            DisconnectReason::ProtocolError,
                            "not a DNY or GN device".into(),
                        );
                    }
                    Detected::Known(p) if only.is_some_and(|o| o != p) => {
                        break (
                            DisconnectReason::ProtocolError,
                            format!("a {} device on a port for another protocol", p.as_str()),
                        );
                    }
                    Detected::Known(p) => {
                        metrics::counter!("pylon_gateway_connections_total", "protocol" => p.as_str()).increment(1);
                        let s = session.insert(match p {
                            Protocol::Dny => Session::Dny(DnySession::new()),
                            Protocol::Gn => Session::Gn(GnSession::new()),
                        });
                        let first = std::mem::take(&mut pending);
                        s.on_bytes(&first)
                    }
                }
            }
        };
        let outputs = match outputs {
            Ok(o) => o,
            Err(Fatal(why)) => break (DisconnectReason::ProtocolError, why),
        };
        let mut refused = false;
        for out in outputs {
            match out {
                Output::Identified(key) => {
                    if shared.refuses(&key).await {
                        // Recorded as a `Rejected` disconnect, never as connected.
                        device = Some(key);
                        refused = true;
                        break;
                    }
                    let (generation, token) = shared.claim(&key, commands_tx.clone());
                    kicked = token;
                    claim = Some(generation);
                    // Ids of a new connection start elsewhere than the last one's; below
                    // the GN session's own range (`gn::OWN_SEQUENCE_BASE`).
                    let seed =
                        (Utc::now().timestamp_subsec_nanos() ^ (generation as u32)) & 0x3FFF_FFFF;
                    commands = Some(Executor::new(
                        control::rules(&shared.config, key.protocol),
                        seed,
                    ));
                    timeout = match cfg.idle_timeout_secs {
                        0 => heartbeat_period(key.protocol) * cfg.heartbeat_misses,
                        secs => Duration::from_secs(secs),
                    };
                    idle_at = Instant::now() + timeout;
                    let rec = record.insert(SessionRecord {
                        replica: shared.replica.clone(),
                        protocol: key.protocol.as_str().into(),
                        remote_addr: conn.remote_addr.clone(),
                        connected_since: Utc::now(),
                        last_seen: Utc::now(),
                    });
                    shared.sessions.put(&key, rec).await;
                    device = Some(key);
                }
                Output::Answer(frame) => {
                    if tx.try_send(frame).is_err() {
                        closed.cancel();
                    }
                }
                Output::Event(e) => publish(&shared, &e, &conn).await,
                Output::Raw {
                    device_id,
                    frame_hex,
                    json,
                } => shared.publish_raw(&device_id, &frame_hex, json).await,
                Output::Malformed(why) => {
                    metrics::counter!("pylon_gateway_decode_errors_total").increment(1);
                    tracing::debug!(peer = %peer, %why, "malformed input from device");
                }
                Output::Reply(reply) => {
                    if let Some(ex) = commands.as_mut() {
                        let effects = ex.on_reply(&reply, std::time::Instant::now());
                        apply(effects, &tx, &closed, &shared.replica);
                    }
                }
                Output::CardDecision(q) => {
                    let tx = tx.clone();
                    let shared = shared.clone();
                    tokio::spawn(async move { decide_card(q, tx, shared).await });
                }
            }
        }
        if refused {
            break (
                DisconnectReason::Rejected,
                "device is not in the registry".into(),
            );
        }
    };
    // A replaced connection's sockets live on in the new connection.
    if reason != DisconnectReason::Replaced {
        for out in session.as_mut().map(Session::close).unwrap_or_default() {
            if let Output::Event(e) = out {
                publish(&shared, &e, &conn).await;
            }
        }
    }
    if let Some(ex) = commands.as_mut() {
        for (waiter, mut result) in ex.close(&format!("{reason:?} {detail}")) {
            result.replica.clone_from(&shared.replica);
            let _ = waiter.0.send(result);
        }
    }
    drop(tx);
    let _ = writer.await;
    if let Some(d) = device {
        if let Some(generation) = claim {
            shared.release(&d, generation);
        }
        if reason != DisconnectReason::Replaced {
            shared.sessions.remove_if_ours(&d, &shared.replica).await;
        }
        let ev = events::disconnected(
            &shared.bus.namespace,
            &d,
            reason,
            &detail,
            started.elapsed().as_secs(),
            Utc::now(),
        );
        if let Err(e) = shared.publisher.publish(&ev).await {
            tracing::warn!(error = %e, "disconnect event not published");
        }
    }
    tracing::debug!(peer = %peer, ?reason, %detail, "device connection closed");
}

/// Publishes a device event (acknowledged by the stream).
async fn publish(shared: &Shared, e: &DeviceEvent, conn: &ConnInfo) {
    let ev = events::outgoing(&shared.bus.namespace, e, conn);
    if let Err(err) = shared.publisher.publish(&ev).await {
        tracing::error!(error = %err, kind = e.kind(), "device event not published");
    }
    metrics::counter!("pylon_gateway_events_total", "kind" => e.kind()).increment(1);
}

/// Carries out what the executor decided: frames to the write queue (a full queue means
/// the device does not read: the connection ends), results to their callers.
fn apply(
    effects: Vec<Effect<ResultSender>>,
    tx: &mpsc::Sender<Bytes>,
    closed: &CancellationToken,
    replica: &str,
) {
    for effect in effects {
        match effect {
            Effect::Send(frame) => {
                metrics::counter!("pylon_gateway_commands_sent_total").increment(1);
                if tx.try_send(frame).is_err() {
                    closed.cancel();
                }
            }
            Effect::Done(waiter, mut result) => {
                result.replica = replica.to_owned();
                let _ = waiter.0.send(result);
            }
        }
    }
}

/// Asks charging whether the card may charge; the protocol's refusal when nobody
/// answers in time.
async fn decide_card(q: CardQuery, tx: mpsc::Sender<Bytes>, shared: Arc<Shared>) {
    let req = proto::pylon::gateway::v1::CardAuthorizeRequest {
        device_id: q.device.device_id.clone(),
        protocol: q.device.protocol.as_str().into(),
        port: q.port,
        card_no: q.card_no.clone(),
    };
    let subject = shared
        .bus
        .namespace
        .subject(&["charging", "card", "authorize"]);
    let timeout = Duration::from_millis(shared.config.decision_timeout_ms);
    let asked = tokio::time::timeout(
        timeout,
        shared
            .bus
            .client
            .request(subject, req.encode_to_vec().into()),
    )
    .await;
    let (status, balance) = match asked {
        Ok(Ok(reply)) => {
            match proto::pylon::gateway::v1::CardAuthorizeResponse::decode(reply.payload.as_ref()) {
                Ok(r) => (
                    u8::try_from(r.account_status).unwrap_or(1),
                    u32::try_from(r.balance_fen.max(0)).unwrap_or(u32::MAX),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "undecodable card decision; refusing");
                    (1, 0)
                }
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, card = %q.card_no, "no card decision (no responder); refusing");
            (1, 0)
        }
        Err(_) => {
            tracing::warn!(card = %q.card_no, "card decision timed out; refusing");
            (1, 0)
        }
    };
    if let Some(frame) = crate::domain::card_answer(&q.reply, status, balance) {
        let _ = tx.send(frame).await;
    }
}
