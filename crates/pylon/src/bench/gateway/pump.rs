//! The ingest load: DNY pile connections that send protocol-true 0x21 heartbeats at a
//! fixed total rate, driven by one thread with plain non-blocking sockets.
//!
//! Why not the simulator's piles: the load shares the machine's two cores with the
//! gateway and NATS, which are what is measured, and a simulated pile spends about
//! 13 µs of CPU per heartbeat (a timer and a socket wake-up per frame, its state
//! machine, decoding every answer) where the frame's write alone needs about 6 (the
//! kernel's loopback delivery into the gateway's socket). Real piles run elsewhere; the
//! less the load costs here, the more the benchmark measures the gateway. The frames and
//! the gateway's work are the same: each pile sends its ICCID and a register frame, then
//! a heartbeat every `piles / rate` seconds, and every heartbeat is answered and becomes
//! one `heartbeat` event (and one raw frame).
//!
//! The thread wakes every millisecond and takes the turns due by then, piles in turn; a
//! turn writes the pile's heartbeat. Answers are read, counted and dropped every
//! [`READ_EVERY`] turns of a pile (one read takes them all), so a pile costs no wake-up
//! of its own; a read that finds the connection closed retires the pile (it never
//! reconnects: an overloaded gateway shows as frames not answered, not as a reconnect
//! storm).
//!
//! Offered more than the gateway takes, the piles hold back: a turn writes nothing while
//! more than [`BACKLOG_PER_PILE`] frames per pile (beyond the answers not yet read) are
//! unanswered, as a real pile waits for its answers. Until 2026-11-27 the load wrote
//! every frame offered into the sockets' buffers: at 45,000/s offered against a gateway
//! taking 23,000 it spent 0.35 cores, half of them on frames that only queued, on the
//! cores the gateway and NATS are measured on.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use codec_dny::{Frame, MessageId, PhysicalId};

use super::baseline::heartbeat_frame;
use super::ingest::LoadOptions;

/// Ports of every load pile (the simulator's default DNY pile).
const PORTS: u8 = 2;
/// A pile's answers are read every this many of its turns.
const READ_EVERY: u32 = 8;
/// How often the thread wakes to write what is due.
const TICK: Duration = Duration::from_millis(1);
/// Unanswered frames per pile beyond which turns write nothing (on top of the up to
/// [`READ_EVERY`] answers a pile has not read yet): enough that a gateway at its limit
/// always finds frames waiting.
const BACKLOG_PER_PILE: u64 = 4;
/// Every frame the gateway writes starts with this (its answers are counted by it).
const DNY_MAGIC: &[u8] = b"DNY";

/// What the pump is told and what it counts, shared with its thread.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    silent: AtomicBool,
    connected: AtomicU64,
    frames_sent: AtomicU64,
}

/// Running load piles; dropping the pump closes their connections.
pub struct Pump {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Pump {
    /// Starts the thread, which connects `cfg.piles` piles to `target` at
    /// `cfg.connect_rate` and then sends `cfg.rate` heartbeats a second.
    pub fn start(target: SocketAddr, cfg: LoadOptions) -> anyhow::Result<Pump> {
        let shared = Arc::new(Shared::default());
        let piles = (0..cfg.piles)
            .map(|i| PileId::new(cfg.first_index + i))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("load-piles".into())
            .spawn(move || {
                if let Err(e) = run(target, &cfg, piles, &thread_shared) {
                    eprintln!("bench: load piles stopped: {e:#}");
                }
            })?;
        Ok(Pump {
            shared,
            thread: Some(thread),
        })
    }

    /// Piles connected and not closed by the gateway.
    pub fn connected(&self) -> u64 {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// False once the thread has ended (stopped, or failed to connect a pile).
    pub fn running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Frames written completely (ICCIDs not counted), from the start.
    pub fn frames_sent(&self) -> u64 {
        self.shared.frames_sent.load(Ordering::Relaxed)
    }

    /// Silent piles keep their connections and send nothing; speaking again, they do
    /// not make up for the silence.
    pub fn set_silent(&self, silent: bool) {
        self.shared.silent.store(silent, Ordering::Relaxed);
    }
}

impl Drop for Pump {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A pile's identity and its fixed frames.
struct PileId {
    id: PhysicalId,
    iccid: [u8; 20],
    index: u32,
}

impl PileId {
    fn new(index: u32) -> anyhow::Result<PileId> {
        Ok(PileId {
            id: sim::ids::dny_physical_id(index, PORTS)?,
            iccid: sim::ids::dny_iccid(index),
            index,
        })
    }

    /// What the simulator's 2-port pile registers with (message id 0).
    fn register(&self) -> anyhow::Result<Bytes> {
        Ok(Frame {
            physical_id: self.id,
            message_id: MessageId::new(0),
            message: sim::dny_register(PORTS, sim::ids::dny_model(PORTS), 0),
        }
        .to_bytes()?)
    }

    /// The simulator's idle 2-port heartbeat (220.0 V, signal 28, 30 °C).
    fn heartbeat(&self, seq: u16) -> anyhow::Result<Bytes> {
        heartbeat_frame(self.id, seq, sim::DNY_VOLTAGE_DV)
    }
}

/// A connected pile.
struct Pile {
    id: PileId,
    stream: TcpStream,
    seq: u16,
    /// A frame the socket took only part of, and how much of it.
    rest: Option<(Bytes, usize)>,
    turns: u32,
    closed: bool,
}

impl Pile {
    /// Writes what is left of a partly written frame; true once nothing is.
    fn flush(&mut self, shared: &Shared) -> bool {
        let Some((frame, done)) = self.rest.take() else {
            return true;
        };
        match self.stream.write(frame.get(done..).unwrap_or_default()) {
            Ok(n) if done + n == frame.len() => {
                shared.frames_sent.fetch_add(1, Ordering::Relaxed);
                true
            }
            Ok(n) => {
                self.rest = Some((frame, done + n));
                false
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                self.rest = Some((frame, done));
                false
            }
            Err(_) => {
                self.close(shared);
                false
            }
        }
    }

    /// Sends `frame` (a pile whose socket still holds part of the last one skips it,
    /// as a real pile blocked on its socket would).
    fn send(&mut self, frame: Bytes, shared: &Shared) {
        if self.flush(shared) && !self.closed {
            self.rest = Some((frame, 0));
            self.flush(shared);
        }
    }

    /// Reads and drops the answers waiting, and counts them (a frame split between two
    /// reads may go uncounted: the count steers the backlog, it is not reported); notes
    /// a closed connection.
    fn drain(&mut self, buf: &mut [u8], shared: &Shared) -> u64 {
        let mut answers = 0;
        loop {
            match self.stream.read(buf) {
                Ok(0) => {
                    self.close(shared);
                    return answers;
                }
                Ok(n) => {
                    let read = buf.get(..n).unwrap_or_default();
                    answers += read
                        .windows(DNY_MAGIC.len())
                        .filter(|w| *w == DNY_MAGIC)
                        .count() as u64;
                    if n < buf.len() {
                        return answers;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return answers,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.close(shared);
                    return answers;
                }
            }
        }
    }

    fn close(&mut self, shared: &Shared) {
        if !self.closed {
            self.closed = true;
            self.rest = None;
            shared.connected.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn run(
    target: SocketAddr,
    cfg: &LoadOptions,
    ids: Vec<PileId>,
    shared: &Shared,
) -> anyhow::Result<()> {
    let mut piles = connect(target, cfg, ids, shared)?;
    let mut buf = [0u8; 4096];
    // Turns are due at `rate` per second from `since`, counted in `taken`.
    let mut since = Instant::now();
    let mut taken = 0u64;
    let mut next = 0usize;
    let mut was_silent = false;
    let count = piles.len();
    let bound = count as u64 * (u64::from(READ_EVERY) + BACKLOG_PER_PILE);
    // Answers read (register and heartbeat answers, as `frames_sent` counts both).
    let mut answered = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        if shared.silent.load(Ordering::Relaxed) {
            was_silent = true;
            continue;
        }
        if was_silent {
            (since, taken, was_silent) = (Instant::now(), 0, false);
        }
        let due = (since.elapsed().as_secs_f64() * f64::from(cfg.rate)) as u64;
        let mut skipped = 0;
        while taken < due && skipped < count {
            let Some(pile) = piles.get_mut(next) else {
                break;
            };
            next = (next + 1) % count;
            if pile.closed {
                skipped += 1;
                continue;
            }
            skipped = 0;
            taken += 1;
            let unanswered = shared
                .frames_sent
                .load(Ordering::Relaxed)
                .saturating_sub(answered);
            if unanswered <= bound {
                pile.seq = pile.seq.wrapping_add(1).max(1);
                pile.send(pile.id.heartbeat(pile.seq)?, shared);
            }
            pile.turns += 1;
            if pile.turns % READ_EVERY == 0 {
                answered += pile.drain(&mut buf, shared);
            }
        }
    }
    Ok(())
}

/// Connects every pile (ICCID, then the register frame) at `connect_rate` per second.
fn connect(
    target: SocketAddr,
    cfg: &LoadOptions,
    ids: Vec<PileId>,
    shared: &Shared,
) -> anyhow::Result<Vec<Pile>> {
    // Binding a source address needs tokio's socket; the streams leave its runtime
    // (`into_std`, non-blocking) once connected.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let started = Instant::now();
    let mut piles = Vec::with_capacity(ids.len());
    for (n, id) in ids.into_iter().enumerate() {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let at = Duration::from_secs_f64(n as f64 / f64::from(cfg.connect_rate.max(1)));
        if let Some(wait) = at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let stream = rt.block_on(open(target, cfg, id.index))?.into_std()?;
        let mut pile = Pile {
            stream,
            seq: 0,
            rest: None,
            turns: 0,
            closed: false,
            id,
        };
        shared.connected.fetch_add(1, Ordering::Relaxed);
        // The socket is fresh: 20 bytes of ICCID always fit.
        pile.stream.write_all(&pile.id.iccid)?;
        pile.send(pile.id.register()?, shared);
        piles.push(pile);
    }
    Ok(piles)
}

async fn open(
    target: SocketAddr,
    cfg: &LoadOptions,
    index: u32,
) -> anyhow::Result<tokio::net::TcpStream> {
    let socket = if target.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    if let Some(size) = cfg.socket_buffer {
        socket.set_send_buffer_size(size)?;
        socket.set_recv_buffer_size(size)?;
    }
    if !cfg.sources.is_empty() {
        let i = index as usize % cfg.sources.len();
        if let Some(ip) = cfg.sources.get(i) {
            socket.bind(SocketAddr::new(*ip, 0))?;
        }
    }
    let stream = socket.connect(target).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
