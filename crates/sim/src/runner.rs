//! One task per pile: connect, then shuttle bytes between the socket and the pile's
//! protocol logic ([`Device`]), fire its timers, obey the handle. Everything a pile
//! does on the wire is decided by the `Device`; this file owns the socket, the
//! silent mode, malformed-frame injection, reconnects and event delivery.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::WriteHalf;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use crate::clock::{Clock, SimTime};
use crate::config::{NetConfig, Profile};
use crate::event::{DisconnectReason, SimEvent};
use crate::faults::{Alarm, Malformed, PortFault};
use crate::handle::{Control, Counters, EventHub, PileState};
use crate::net::{self, Backoff};
use crate::rng::Rng;

/// Read buffer per connection (frames are far smaller; the decoders reassemble).
const READ_BUF: usize = 512;

/// What a device wants done after handling an input.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Bytes to write, each marked whether it is a protocol frame (preambles,
    /// `link` and malformed bytes are not).
    writes: Vec<(Bytes, bool)>,
    events: Vec<SimEvent>,
    close: Option<DisconnectReason>,
    frames_in: u64,
}

impl Outbox {
    pub(crate) fn frame(&mut self, b: Bytes) {
        self.writes.push((b, true));
    }

    pub(crate) fn raw(&mut self, b: Bytes) {
        self.writes.push((b, false));
    }

    pub(crate) fn event(&mut self, e: SimEvent) {
        self.events.push(e);
    }

    pub(crate) fn close(&mut self, reason: DisconnectReason) {
        self.close.get_or_insert(reason);
    }

    pub(crate) fn frame_received(&mut self) {
        self.frames_in += 1;
    }
}

/// Actions from the handle that the protocol logic carries out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    SwipeCard { index: usize, card: u64 },
    QueryBalance { index: usize, card: u64 },
    Plug { index: usize, plugged: bool },
    Fault { index: usize, fault: PortFault },
    ClearFault { index: usize },
    Alarm { index: Option<usize>, alarm: Alarm },
    DropCommands(u32),
}

/// A pile's protocol logic, sans-IO: inputs in, frames and events out.
pub(crate) trait Device: Send {
    /// A connection is up.
    fn on_connect(&mut self, now: SimTime, out: &mut Outbox);
    /// The connection is gone (timers keep running: charges end offline too).
    fn on_disconnect(&mut self, now: SimTime);
    /// Bytes from the server.
    fn on_bytes(&mut self, now: SimTime, bytes: &[u8], out: &mut Outbox);
    /// Timers due (writes are discarded while offline).
    fn on_tick(&mut self, now: SimTime, out: &mut Outbox);
    /// When `on_tick` next has something to do.
    fn next_due(&self) -> Option<SimTime>;
    /// A handle action.
    fn on_action(&mut self, now: SimTime, action: Action, out: &mut Outbox);
    /// Silent mode changed (the runner suppresses writes; the device stops expecting
    /// answers to heartbeats it did not really send).
    fn set_silent(&mut self, silent: bool);
    /// One malformed frame of this kind.
    fn malformed(&mut self, kind: Malformed) -> Bytes;
    /// The live state (connection flags are filled in by the runner).
    fn state(&self, now: SimTime) -> PileState;
}

/// How a wait or a connection ended.
enum Flow {
    /// Go on (connect now).
    Next,
    /// Reconnect after this wall delay.
    After(Duration),
    /// Stop the pile.
    Exit,
}

pub(crate) struct Runner {
    pub(crate) dev: Box<dyn Device>,
    pub(crate) index: u32,
    pub(crate) clock: Clock,
    pub(crate) profile: Arc<Profile>,
    pub(crate) net: Arc<NetConfig>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) hub: Arc<EventHub>,
    pub(crate) control: mpsc::Receiver<Control>,
    pub(crate) rng: Rng,
    pub(crate) silent: bool,
    connected: bool,
    registered: bool,
    frames_out: u64,
    malformed_out: u64,
}

impl Runner {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        dev: Box<dyn Device>,
        index: u32,
        clock: Clock,
        profile: Arc<Profile>,
        net: Arc<NetConfig>,
        counters: Arc<Counters>,
        hub: Arc<EventHub>,
        control: mpsc::Receiver<Control>,
    ) -> Self {
        let silent = profile.faults.silent;
        Runner {
            dev,
            index,
            clock,
            profile,
            net,
            counters,
            hub,
            control,
            rng: Rng::new(u64::from(index)),
            silent,
            connected: false,
            registered: false,
            frames_out: 0,
            malformed_out: 0,
        }
    }

    pub(crate) async fn run(mut self, start_delay: Duration) {
        if self.silent {
            self.dev.set_silent(true);
        }
        let mut backoff = Backoff::new(self.profile.backoff_min, self.profile.backoff_max);
        let mut wait = start_delay;
        loop {
            match self.wait(Instant::now() + wait).await {
                Flow::Exit => return,
                Flow::Next | Flow::After(_) => {}
            }
            wait = match net::connect(&self.net, self.index).await {
                Ok(stream) => {
                    self.registered = false;
                    let flow = self.connection(stream).await;
                    self.connected = false;
                    self.dev.on_disconnect(self.clock.now());
                    if self.registered {
                        // A connection that worked resets the back-off; one the server
                        // drops at once does not, so a refusing gateway is not hammered.
                        backoff.reset();
                    }
                    match flow {
                        Flow::Exit => return,
                        Flow::After(d) => d,
                        Flow::Next => backoff.next_wall(&self.clock, &mut self.rng),
                    }
                }
                Err(e) => {
                    self.emit(SimEvent::ConnectFailed {
                        error: e.to_string(),
                    });
                    backoff.next_wall(&self.clock, &mut self.rng)
                }
            };
        }
    }

    fn emit(&mut self, e: SimEvent) {
        if matches!(e, SimEvent::Registered) {
            self.registered = true;
        }
        self.hub.emit(e, &self.counters);
    }

    fn deliver(&mut self, out: &mut Outbox) {
        if out.frames_in > 0 {
            for _ in 0..out.frames_in {
                self.counters.received_frame();
            }
            out.frames_in = 0;
        }
        for e in std::mem::take(&mut out.events) {
            self.emit(e);
        }
    }

    /// Offline until `until`: device timers still run, writes are discarded.
    async fn wait(&mut self, until: Instant) -> Flow {
        loop {
            let due = self.dev.next_due().map(|t| self.clock.wall_instant(t));
            let wake = due.map_or(until, |d| d.min(until));
            tokio::select! {
                () = sleep_until(wake) => {
                    if Instant::now() >= until {
                        return Flow::Next;
                    }
                    let mut out = Outbox::default();
                    self.dev.on_tick(self.clock.now(), &mut out);
                    self.deliver(&mut out);
                }
                c = self.control.recv() => match self.on_control(c, None) {
                    Flow::Exit => return Flow::Exit,
                    // A reconnect request while offline: connect now.
                    Flow::After(_) => return Flow::Next,
                    Flow::Next => {}
                },
            }
        }
    }

    /// Handles a handle request; `out` is `Some` while connected.
    fn on_control(&mut self, c: Option<Control>, out: Option<&mut Outbox>) -> Flow {
        let now = self.clock.now();
        let action = match c {
            // Every handle dropped: nobody can observe or stop the pile any more.
            None | Some(Control::Shutdown) => return Flow::Exit,
            Some(Control::State(tx)) => {
                let mut s = self.dev.state(now);
                s.connected = self.connected;
                s.registered = self.connected && self.registered;
                s.silent = self.silent;
                // The asker may have given up; nothing to do then.
                let _ = tx.send(s);
                return Flow::Next;
            }
            Some(Control::Silent(on)) => {
                self.silent = on;
                self.dev.set_silent(on);
                return Flow::Next;
            }
            Some(Control::Reconnect) => {
                if let Some(out) = out {
                    out.close(DisconnectReason::Requested);
                }
                return Flow::After(Duration::ZERO);
            }
            Some(Control::Malformed(kind)) => {
                if let Some(out) = out {
                    out.raw(self.dev.malformed(kind));
                    out.event(SimEvent::MalformedSent { kind });
                }
                return Flow::Next;
            }
            Some(Control::SwipeCard { index, card }) => Action::SwipeCard { index, card },
            Some(Control::QueryBalance { index, card }) => Action::QueryBalance { index, card },
            Some(Control::Plug { index, plugged }) => Action::Plug { index, plugged },
            Some(Control::Fault { index, fault }) => Action::Fault { index, fault },
            Some(Control::ClearFault { index }) => Action::ClearFault { index },
            Some(Control::Alarm { index, alarm }) => Action::Alarm { index, alarm },
            Some(Control::DropCommands(n)) => Action::DropCommands(n),
        };
        let mut offline = Outbox::default();
        let out = match out {
            Some(o) => o,
            None => &mut offline,
        };
        self.dev.on_action(now, action, out);
        if self.connected {
            return Flow::Next;
        }
        self.deliver(&mut offline);
        Flow::Next
    }

    async fn connection(&mut self, mut stream: TcpStream) -> Flow {
        let local = match stream.local_addr() {
            Ok(a) => a,
            Err(e) => {
                self.emit(SimEvent::ConnectFailed {
                    error: e.to_string(),
                });
                return Flow::Next;
            }
        };
        self.connected = true;
        self.emit(SimEvent::Connected { local });
        let (mut rd, mut wr) = stream.split();
        let mut out = Outbox::default();
        self.dev.on_connect(self.clock.now(), &mut out);
        let mut buf = [0u8; READ_BUF];
        let mut after = Flow::Next;
        // One timer for the device's next deadline, moved only when the deadline moves:
        // a new `Sleep` in every turn would register and deregister a timer for each
        // frame sent and each answer read (load piles send thousands a second).
        let timer = sleep_until(Instant::now());
        tokio::pin!(timer);
        let reason = loop {
            if let Err(reason) = self.flush(&mut wr, &mut out).await {
                break reason;
            }
            if let Some(reason) = out.close.take() {
                break reason;
            }
            let due = self.dev.next_due().map(|t| self.clock.wall_instant(t));
            if let Some(d) = due
                && d != timer.deadline()
            {
                timer.as_mut().reset(d);
            }
            tokio::select! {
                r = rd.read(&mut buf) => match r {
                    Ok(0) => break DisconnectReason::PeerClosed,
                    Ok(n) => {
                        self.counters.received_bytes(n as u64);
                        let bytes = buf.get(..n).unwrap_or_default();
                        self.dev.on_bytes(self.clock.now(), bytes, &mut out);
                    }
                    Err(e) => break DisconnectReason::Io(e.to_string()),
                },
                () = &mut timer, if due.is_some() => self.dev.on_tick(self.clock.now(), &mut out),
                c = self.control.recv() => match self.on_control(c, Some(&mut out)) {
                    Flow::Exit => {
                        after = Flow::Exit;
                        break DisconnectReason::Shutdown;
                    }
                    Flow::After(_) => {
                        after = Flow::After(self.quick_wait());
                    }
                    Flow::Next => {}
                },
            }
        };
        if matches!(reason, DisconnectReason::Reboot) {
            after = Flow::After(self.quick_wait());
        }
        // Events of the last step (e.g. what led to the close) come before the
        // disconnect.
        self.deliver(&mut out);
        // Best effort: the peer may already be gone.
        let _ = wr.shutdown().await;
        self.emit(SimEvent::Disconnected { reason });
        after
    }

    fn quick_wait(&mut self) -> Duration {
        Backoff::new(self.profile.backoff_min, self.profile.backoff_max)
            .min_wall(&self.clock, &mut self.rng)
    }

    /// Writes what the device queued (unless silent) and delivers its events.
    async fn flush(
        &mut self,
        wr: &mut WriteHalf<'_>,
        out: &mut Outbox,
    ) -> Result<(), DisconnectReason> {
        self.deliver(out);
        if out.writes.is_empty() {
            return Ok(());
        }
        if self.silent {
            out.writes.clear();
            return Ok(());
        }
        // The usual case, one frame and nothing injected: written as it is, at once if
        // the socket takes it (no copy, no write timer).
        if self.profile.faults.malformed_every.is_none()
            && let [(bytes, is_frame)] = out.writes.as_slice()
        {
            let (bytes, frames) = (bytes.clone(), u64::from(*is_frame));
            out.writes.clear();
            self.frames_out += frames;
            return self.write(wr, &bytes, frames).await;
        }
        let mut buf = BytesMut::new();
        let mut frames = 0u64;
        let mut injected = Vec::new();
        for (bytes, is_frame) in std::mem::take(&mut out.writes) {
            if is_frame {
                frames += 1;
                self.frames_out += 1;
                if let Some(n) = self.profile.faults.malformed_every
                    && self.frames_out.is_multiple_of(u64::from(n))
                {
                    let kind = Malformed::cycle(self.malformed_out);
                    self.malformed_out += 1;
                    buf.extend_from_slice(&self.dev.malformed(kind));
                    injected.push(SimEvent::MalformedSent { kind });
                }
            }
            buf.extend_from_slice(&bytes);
        }
        for e in injected {
            self.emit(e);
        }
        self.write(wr, &buf, frames).await
    }

    /// Writes `bytes` (holding `frames` protocol frames): directly when the socket takes
    /// them all, else the rest within the write timeout.
    async fn write(
        &mut self,
        wr: &mut WriteHalf<'_>,
        bytes: &[u8],
        frames: u64,
    ) -> Result<(), DisconnectReason> {
        let done = match wr.try_write(bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(DisconnectReason::Io(e.to_string())),
        };
        if let Some(rest) = bytes.get(done..).filter(|r| !r.is_empty()) {
            match timeout(self.net.write_timeout, wr.write_all(rest)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(DisconnectReason::Io(e.to_string())),
                Err(_) => return Err(DisconnectReason::Io("write timed out".into())),
            }
        }
        self.counters.sent(frames, bytes.len() as u64);
        Ok(())
    }
}
