//! One device connection: read with timeouts, let the protocol session decide, write its
//! answers (directly, or through a bounded queue when the socket is full), publish its
//! events with their acknowledgements pipelined. Nothing here interprets bytes.
//!
//! One task per connection and no buffer held while idle: the socket is read only when
//! it is readable, into a buffer on the thread's stack (`read_some`); the protocol
//! decoders keep what belongs to an unfinished frame.
//!
//! Events of one connection are sent in order, at most [`ACK_WINDOW`] unsettled; the
//! publisher reads their acknowledgements (and retries a failure as `Publisher::publish`
//! does, then logs it) without waking the connection, which waits only when its window is
//! full or when it must. Guarantee kept: every event is settled before the connection
//! hands a frame to a command in flight (so the command's caller finds the frame's
//! events stored), before it asks for a card decision, and before the connection's own
//! `disconnected` event; the stream stores a connection's events in the order they
//! happened unless a retry was needed.

mod outbox;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use prost::Message as _;
use proto::events::DisconnectReason;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::control::{self, Job, ResultSender};
use crate::domain::detect::{Detected, detect};
use crate::domain::dny::DnySession;
use crate::domain::executor::{Effect, Executor};
use crate::domain::gn::GnSession;
use crate::domain::{CardQuery, DeviceEvent, DeviceKey, DeviceSession, Fatal, Output, Protocol};
use crate::events::{self, ConnInfo};
use crate::listener::Shared;
use crate::sessions::SessionRecord;
use outbox::Outbox;

/// When a connection ticks first: between half a period and a period after its device
/// was identified, spread by its peer's port. Connections opened together (a fleet
/// reconnecting after a restart, 2,500 a second) would otherwise refresh their sessions
/// in step for good: 50,000 piles connected within 24 s put 2,100 session writes a
/// second into 24 s of every minute (docs/benchmarks.md, "Eighth machine").
fn first_tick(peer: SocketAddr, period: Duration) -> Duration {
    // Fibonacci hashing: consecutive ports land far apart; the top 10 bits, 0..1024.
    let spread = u64::from(peer.port()).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
    period / 2 + (period / 2).mul_f64(spread as f64 / 1024.0)
}

/// How often a connection ticks its session. A DNY tick has nothing to do more often
/// than its port snapshot and its `last_seen` refresh, both every 5 minutes; a GN tick
/// also takes sockets missing from the status reports offline, which wants a finer
/// clock. Each tick wakes the connection's task (a worker woken, a futex), which is most
/// of what an idle connection costs (docs/benchmarks.md, "Fourteenth machine").
fn tick_period(p: Protocol) -> Duration {
    match p {
        Protocol::Dny => REFRESH_EVERY,
        Protocol::Gn => Duration::from_secs(60),
    }
}

/// Protocol heartbeat periods (fact sheet: DNY 0x21 every 3 min, GN every minute).
fn heartbeat_period(p: Protocol) -> Duration {
    match p {
        Protocol::Dny => Duration::from_secs(180),
        Protocol::Gn => Duration::from_secs(60),
    }
}

/// Commands waiting for a connection's task to take them.
const COMMAND_QUEUE: usize = 64;
/// Events of one connection sent and not yet settled (stored, or retried and logged).
pub(crate) const ACK_WINDOW: usize = 32;
/// Card decisions of one connection waiting to be written (each is one swipe).
const CARD_ANSWERS: usize = 4;
/// Bytes taken from the socket per read, on the stack.
const READ_CHUNK: usize = 4096;
/// How often the session's `last_seen` in `device_sessions` is refreshed. Nothing
/// decides on it (commands find the replica by the record, liveness comes from the
/// connection itself); at one refresh a minute the KV writes were a third of what 50,000
/// idle piles sent NATS.
const REFRESH_EVERY: Duration = Duration::from_secs(300);

/// Whether a tick refreshes `last_seen`: every `REFRESH_EVERY` worth of ticks, if
/// anything was received since the last refresh.
#[derive(Debug)]
struct LastSeen {
    /// Ticks per refresh (1 for DNY, 5 for GN).
    every: u32,
    ticks: u32,
    received: bool,
}

impl LastSeen {
    fn new(tick: Duration) -> Self {
        let every = (REFRESH_EVERY.as_secs() / tick.as_secs().max(1)).max(1);
        Self {
            every: u32::try_from(every).unwrap_or(u32::MAX),
            ticks: 0,
            received: false,
        }
    }

    fn received(&mut self) {
        self.received = true;
    }

    /// A tick; `true` when it should refresh.
    fn tick(&mut self) -> bool {
        self.ticks += 1;
        if self.ticks < self.every {
            return false;
        }
        self.ticks = 0;
        std::mem::take(&mut self.received)
    }
}

/// The connection's protocol session, once detected.
type Session = Box<dyn DeviceSession>;

/// What one readiness of the socket gave.
enum Read {
    /// Nothing after all (spurious readiness).
    Nothing,
    /// Detection needs more bytes.
    NeedMore,
    /// The session took the bytes; its outputs are decoded one frame at a time.
    Fed,
    End(DisconnectReason, String),
}

/// Reads what the socket has into a buffer on this thread's stack (a synchronous
/// function, so the buffer is never part of the connection's task) and feeds it to the
/// session, detecting the protocol first.
fn read_some(
    stream: &TcpStream,
    session: &mut Option<Session>,
    pending: &mut Vec<u8>,
    only: Option<Protocol>,
    bytes_received: &metrics::Counter,
) -> Read {
    let mut buf = [0u8; READ_CHUNK];
    let mut got = None;
    // A short read shows the socket's receive queue drained (epoll is edge-triggered):
    // telling tokio so (`WouldBlock` from the `try_io` closure clears the readiness it
    // saw, never a close) spares the read that would only return `WouldBlock` on the
    // next turn — one system call per frame. tokio's own `poll_read` does the same.
    let r = stream.try_io(Interest::READABLE, || {
        let n = stream.try_read(&mut buf)?;
        got = Some(n);
        if n > 0 && n < READ_CHUNK {
            Err(std::io::ErrorKind::WouldBlock.into())
        } else {
            Ok(())
        }
    });
    let n = match (got, r) {
        (Some(0), _) => return Read::End(DisconnectReason::Closed, String::new()),
        (Some(n), _) => n,
        (None, Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => return Read::Nothing,
        (None, Err(e)) => return Read::End(DisconnectReason::Closed, e.to_string()),
        (None, Ok(())) => return Read::Nothing,
    };
    bytes_received.increment(n as u64);
    let data = buf.get(..n).unwrap_or_default();
    let fed = match session {
        Some(s) => s.feed(data),
        None => {
            pending.extend_from_slice(data);
            match detect(pending) {
                Detected::NeedMore => return Read::NeedMore,
                Detected::Unknown => {
                    return Read::End(
                        DisconnectReason::ProtocolError,
                        "not a DNY or GN device".into(),
                    );
                }
                Detected::Known(p) if only.is_some_and(|o| o != p) => {
                    return Read::End(
                        DisconnectReason::ProtocolError,
                        format!("a {} device on a port for another protocol", p.as_str()),
                    );
                }
                Detected::Known(p) => {
                    metrics::counter!("pylon_gateway_connections_total", "protocol" => p.as_str())
                        .increment(1);
                    let s = session.insert(match p {
                        Protocol::Dny => Box::new(DnySession::new()),
                        Protocol::Gn => Box::new(GnSession::new()),
                    });
                    let first = std::mem::take(pending);
                    s.feed(&first)
                }
            }
        }
    };
    match fed {
        Ok(()) => Read::Fed,
        Err(Fatal(why)) => Read::End(DisconnectReason::ProtocolError, why),
    }
}

/// The next item of a channel that may not exist yet (never, while it does not).
async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Serves one connection until it ends; publishes `DeviceDisconnected` if it was identified.
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    only: Option<Protocol>,
) {
    let started = std::time::Instant::now();
    let cfg = &shared.config;
    let mut out = Outbox::new(
        cfg.write_queue_frames,
        Duration::from_secs(cfg.write_timeout_secs),
    );
    let mut conn = ConnInfo {
        remote_addr: peer.to_string(),
        replica: shared.replica.clone(),
        tenant: events::UNASSIGNED.to_owned(),
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut session: Option<Session> = None;
    let mut device: Option<DeviceKey> = None;
    // Ends the connection on the gateway's shutdown (a child of its token) or when a
    // newer connection of the device takes over (the claim cancels it). One token of its
    // own, pinned once: polling the gateway's token in every turn of the loop would take
    // a lock that every connection shares.
    let stop = shared.shutdown.child_token();
    let stopped = stop.clone().cancelled_owned();
    tokio::pin!(stopped);
    let mut claim: Option<u64> = None;
    let mut record: Option<SessionRecord> = None;
    // Events sent and not yet settled.
    let in_flight = bus::InFlight::new();
    // Commands for this connection's devices: queued by `control::executing` once the
    // device is known (the queue exists from then on), run by the executor.
    let mut commands_rx: Option<mpsc::Receiver<Box<Job>>> = None;
    let mut commands: Option<Executor<ResultSender>> = None;
    // Card decisions come back here to be written in order with everything else.
    let mut cards: Option<(mpsc::Sender<Bytes>, mpsc::Receiver<Bytes>)> = None;
    let mut timeout = Duration::from_secs(cfg.handshake_timeout_secs);
    let mut idle_at = Instant::now() + timeout;
    // No tick before the device is known (the handshake timeout runs meanwhile); the
    // protocol's period and first tick are set when it is identified. Until then a tick
    // has nothing to do, and the shorter period only re-arms the timer.
    let mut next_tick = Instant::now() + timeout;
    let mut tick = tick_period(Protocol::Gn);
    // One timer for the idle timeout, the tick and a stalled write: it may fire early
    // (the idle deadline moves with every read without touching the timer) and then
    // only re-arms.
    let timer = tokio::time::sleep_until(idle_at.min(next_tick));
    tokio::pin!(timer);
    let mut last_seen = LastSeen::new(tick);
    let (reason, detail) = loop {
        if out.failed() {
            break (
                DisconnectReason::WriteTimeout,
                "writes did not drain".into(),
            );
        }
        let due = out
            .deadline()
            .map_or(idle_at.min(next_tick), |d| d.min(idle_at).min(next_tick));
        if due < timer.deadline() {
            timer.as_mut().reset(due);
        }
        let wake = commands
            .as_ref()
            .and_then(Executor::next_wakeup)
            .map(Instant::from_std);
        let card_rx = &mut cards;
        let read = tokio::select! {
            () = &mut stopped => break if shared.shutdown.is_cancelled() {
                (DisconnectReason::Shutdown, String::new())
            } else {
                (DisconnectReason::Replaced, "a newer connection took over".into())
            },
            Some(job) = recv_opt(&mut commands_rx) => {
                if let Some(ex) = commands.as_mut() {
                    let effects = ex.submit(job.plan, job.reply, std::time::Instant::now());
                    apply(effects, &stream, &mut out, &shared.replica);
                }
                continue;
            }
            Some(frame) = async {
                match card_rx {
                    Some((_, rx)) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                out.send(&stream, frame);
                continue;
            }
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                if let Some(ex) = commands.as_mut() {
                    apply(ex.poll(std::time::Instant::now()), &stream, &mut out, &shared.replica);
                }
                continue;
            }
            r = stream.writable(), if out.is_queued() => {
                match r {
                    Ok(()) => out.flush(&stream),
                    Err(_) => out.fail(),
                }
                continue;
            }
            () = &mut timer => {
                let now = Instant::now();
                if out.deadline().is_some_and(|d| now >= d) {
                    break (DisconnectReason::WriteTimeout, "writes did not drain".into());
                }
                if now >= idle_at {
                    break (
                        DisconnectReason::IdleTimeout,
                        format!("nothing received for {timeout:?}"),
                    );
                }
                if now >= next_tick {
                    next_tick = now + tick;
                    // Periodic port snapshots and GN socket liveness: events only.
                    for o in session.as_mut().map(|s| s.tick(Utc::now())).unwrap_or_default() {
                        if let Output::Event(e) = o {
                            publish(&shared, &e, &conn, &in_flight).await;
                        }
                    }
                    if last_seen.tick() && let (Some(d), Some(record)) = (&device, &record) {
                        shared.sessions.put(d, &SessionRecord { last_seen: Utc::now(), ..record.clone() }).await;
                    }
                }
                timer.as_mut().reset(idle_at.min(next_tick));
                continue;
            }
            r = stream.readable() => match r {
                Ok(()) => read_some(&stream, &mut session, &mut pending, only, &shared.counters.bytes_received),
                Err(e) => Read::End(DisconnectReason::Closed, e.to_string()),
            },
        };
        match read {
            Read::Nothing => continue,
            Read::End(reason, detail) => break (reason, detail),
            // While detection needs more bytes there is no session: nothing to decode.
            Read::NeedMore | Read::Fed => {}
        }
        idle_at = Instant::now() + timeout;
        last_seen.received();
        let mut refused = false;
        let mut fatal = None;
        // One frame's outputs at a time (`DeviceSession::next_outputs`): a read can hold
        // hundreds of frames when the connection fell behind.
        let mut outputs = Vec::new();
        while !refused {
            match session
                .as_mut()
                .map(|s| s.next_outputs(Utc::now(), &mut outputs))
            {
                Some(Ok(true)) => {}
                None | Some(Ok(false)) => break,
                Some(Err(Fatal(why))) => {
                    fatal = Some(why);
                    break;
                }
            }
            for o in outputs.drain(..) {
                match o {
                    Output::Identified(key) => {
                        // What follows waits on the registry and the session bucket.
                        out.release(&stream);
                        // Events name the device's operator from now on (`_` if unassigned).
                        conn.tenant = shared.tenant_of(&key.device_id).await;
                        if shared.refuses(&key).await {
                            // Recorded as a `Rejected` disconnect, never as connected.
                            device = Some(key);
                            refused = true;
                            break;
                        }
                        let (commands_tx, rx) = mpsc::channel::<Box<Job>>(COMMAND_QUEUE);
                        commands_rx = Some(rx);
                        let generation = shared.claim(&key, commands_tx, stop.clone());
                        claim = Some(generation);
                        // Ids of a new connection start elsewhere than the last one's; below
                        // the GN session's own range (`gn::OWN_SEQUENCE_BASE`). The executor
                        // allocates nothing until its first command.
                        let seed = (Utc::now().timestamp_subsec_nanos() ^ (generation as u32))
                            & 0x3FFF_FFFF;
                        commands = Some(Executor::new(
                            control::rules(&shared.config, key.protocol),
                            seed,
                        ));
                        timeout = match cfg.idle_timeout_secs {
                            0 => heartbeat_period(key.protocol) * cfg.heartbeat_misses,
                            secs => Duration::from_secs(secs),
                        };
                        idle_at = Instant::now() + timeout;
                        tick = tick_period(key.protocol);
                        next_tick = Instant::now() + first_tick(peer, tick);
                        last_seen = LastSeen::new(tick);
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
                    // Written together after the read's last frame (`Outbox::hold`).
                    Output::Answer(frame) => out.hold(frame),
                    Output::Event(e) => {
                        if window_full(&in_flight) {
                            // The publish below waits for acks: the answers go first.
                            out.release(&stream);
                        }
                        publish(&shared, &e, &conn, &in_flight).await;
                    }
                    Output::Raw { device_id, frame } => {
                        shared.publish_raw(&device_id, &frame).await
                    }
                    Output::Malformed(why) => {
                        metrics::counter!("pylon_gateway_decode_errors_total").increment(1);
                        tracing::debug!(peer = %peer, %why, "malformed input from device");
                    }
                    Output::Reply(reply) => {
                        if let Some(ex) = commands.as_mut()
                            && ex.next_wakeup().is_some()
                        {
                            // A command waits: whoever gets its result must find this
                            // frame's events stored.
                            out.release(&stream);
                            in_flight.settled().await;
                            let effects = ex.on_reply(&reply, std::time::Instant::now());
                            apply(effects, &stream, &mut out, &shared.replica);
                        }
                    }
                    Output::CardDecision(q) => {
                        out.release(&stream);
                        in_flight.settled().await;
                        let tx = cards
                            .get_or_insert_with(|| mpsc::channel(CARD_ANSWERS))
                            .0
                            .clone();
                        let shared = shared.clone();
                        tokio::spawn(async move { decide_card(q, tx, shared).await });
                    }
                }
            }
        }
        out.release(&stream);
        if let Some(why) = fatal {
            break (DisconnectReason::ProtocolError, why);
        }
        if refused {
            break (
                DisconnectReason::Rejected,
                "device is not in the registry".into(),
            );
        }
    };
    in_flight.settled().await;
    // A replaced connection's sockets live on in the new connection.
    if reason != DisconnectReason::Replaced {
        for o in session
            .as_mut()
            .map(|s| s.close(Utc::now()))
            .unwrap_or_default()
        {
            if let Output::Event(e) = o {
                publish(&shared, &e, &conn, &in_flight).await;
            }
        }
        in_flight.settled().await;
    }
    if let Some(ex) = commands.as_mut() {
        for (waiter, mut result) in ex.close(&format!("{reason:?} {detail}")) {
            result.replica.clone_from(&shared.replica);
            let _ = waiter.0.send(result);
        }
    }
    // What was queued still goes out (bounded by the write timeout), then FIN.
    out.finish(&stream).await;
    let _ = stream.shutdown().await;
    if let Some(d) = device {
        if let Some(generation) = claim {
            shared.release(&d, generation);
        }
        if reason != DisconnectReason::Replaced {
            shared.sessions.remove_if_ours(&d, &shared.replica).await;
        }
        let ev = events::disconnected(
            &shared.bus.namespace,
            &conn.tenant,
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

/// Whether [`publish`] would wait for acks before sending.
fn window_full(in_flight: &bus::InFlight) -> bool {
    in_flight.len() >= ACK_WINDOW
}

/// Sends a device event, once fewer than [`ACK_WINDOW`] of the connection's are unsettled.
async fn publish(shared: &Shared, e: &DeviceEvent, conn: &ConnInfo, in_flight: &bus::InFlight) {
    let ev = events::outgoing(&shared.bus.namespace, e, conn);
    if window_full(in_flight) {
        in_flight.at_most(ACK_WINDOW - 1).await;
    }
    shared.publisher.dispatch(ev, in_flight).await;
    shared.counters.event(e.kind());
}

/// Carries out what the executor decided: frames to the device (a device that does not
/// read ends the connection), results to their callers.
fn apply(effects: Vec<Effect<ResultSender>>, stream: &TcpStream, out: &mut Outbox, replica: &str) {
    for effect in effects {
        match effect {
            Effect::Send(frame) => {
                metrics::counter!("pylon_gateway_commands_sent_total").increment(1);
                out.send(stream, frame);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_seen_is_refreshed_every_fifth_gn_tick_when_something_was_received() {
        let mut seen = LastSeen::new(tick_period(Protocol::Gn));
        seen.received();
        let refreshed: Vec<bool> = (0..5).map(|_| seen.tick()).collect();
        assert_eq!(refreshed, [false, false, false, false, true]);
        // A quiet period: nothing to refresh at its fifth tick.
        assert!((0..5).all(|_| !seen.tick()));
        seen.received();
        assert!(
            !seen.tick(),
            "received early in the period, refreshed at its end"
        );
        assert!((1..5).map(|_| seen.tick()).last().unwrap());
    }

    #[test]
    fn a_dny_connection_ticks_once_per_refresh_and_snapshot_period() {
        assert_eq!(tick_period(Protocol::Dny), REFRESH_EVERY);
        assert_eq!(
            tick_period(Protocol::Dny),
            crate::domain::dny::SNAPSHOT_PERIOD.to_std().unwrap()
        );
        let mut seen = LastSeen::new(tick_period(Protocol::Dny));
        assert!(!seen.tick(), "nothing received: nothing to refresh");
        seen.received();
        assert!(seen.tick(), "every DNY tick refreshes what was received");
    }

    #[test]
    fn first_ticks_of_connections_opened_together_are_spread_over_half_a_period() {
        const TICK: Duration = Duration::from_secs(60);
        let ticks: Vec<Duration> = (40_000u16..42_500)
            .map(|port| first_tick(SocketAddr::from(([127, 0, 0, 2], port)), TICK))
            .collect();
        assert!(ticks.iter().all(|t| *t >= TICK / 2 && *t < TICK));
        // Every sixteenth of the half period gets a share of them.
        let mut buckets = [0usize; 16];
        for t in &ticks {
            let i = ((*t - TICK / 2).as_secs_f64() / (TICK / 2).as_secs_f64() * 16.0) as usize;
            buckets[i.min(15)] += 1;
        }
        assert!(
            buckets.iter().all(|n| *n > ticks.len() / 32),
            "bunched: {buckets:?}"
        );
    }
}
