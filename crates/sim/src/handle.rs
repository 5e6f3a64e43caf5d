//! The handle a test (or the fleet) holds for one running pile: its ids, live state,
//! counters, events, and the actions a test can trigger.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::config::Protocol;
use crate::error::SimError;
use crate::event::{EventStream, FleetEvent, OrderRef, PortRef, SimEvent};
use crate::faults::{Alarm, Malformed, PortFault};

/// Capacity of a pile's event stream; beyond it events are dropped and counted.
pub const EVENT_CAPACITY: usize = 4096;
/// Capacity of a pile's control queue (actions are rare; a full queue makes the
/// caller wait).
const CONTROL_CAPACITY: usize = 8;

/// What the handle asks the pile's task to do.
#[derive(Debug)]
pub(crate) enum Control {
    SwipeCard { index: usize, card: u64 },
    QueryBalance { index: usize, card: u64 },
    Plug { index: usize, plugged: bool },
    Fault { index: usize, fault: PortFault },
    ClearFault { index: usize },
    Alarm { index: Option<usize>, alarm: Alarm },
    Silent(bool),
    Reconnect,
    Malformed(Malformed),
    DropCommands(u32),
    State(oneshot::Sender<PileState>),
    Shutdown,
}

/// Live counters of one pile (relaxed atomics: statistics, not synchronisation).
#[derive(Debug, Default)]
pub struct Counters {
    pub(crate) frames_sent: AtomicU64,
    pub(crate) frames_received: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) commands_received: AtomicU64,
    pub(crate) commands_answered: AtomicU64,
    pub(crate) commands_dropped: AtomicU64,
    pub(crate) bad_frames: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    pub(crate) settlements: AtomicU64,
    pub(crate) events_dropped: AtomicU64,
    /// Gauges (0/1 or a count).
    pub(crate) connected: AtomicU64,
    pub(crate) registered: AtomicU64,
    pub(crate) charging: AtomicU64,
}

fn inc(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Updates the counters an event implies (one place for all protocols).
    pub(crate) fn observe(&self, e: &SimEvent) {
        match e {
            SimEvent::Connected { .. } => {
                inc(&self.connects);
                self.connected.store(1, Ordering::Relaxed);
            }
            SimEvent::ConnectFailed { .. } => inc(&self.connect_failures),
            SimEvent::Disconnected { .. } => {
                inc(&self.disconnects);
                self.connected.store(0, Ordering::Relaxed);
                self.registered.store(0, Ordering::Relaxed);
            }
            SimEvent::Registered => self.registered.store(1, Ordering::Relaxed),
            SimEvent::CommandReceived { dropped, .. } => {
                inc(&self.commands_received);
                if *dropped {
                    inc(&self.commands_dropped);
                }
            }
            SimEvent::CommandAnswered { .. } => inc(&self.commands_answered),
            SimEvent::ChargingStarted { .. } => inc(&self.charging),
            SimEvent::Settled { .. } => {
                inc(&self.settlements);
                // Saturating: a gauge never wraps below zero.
                let _ = self
                    .charging
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                        Some(v.saturating_sub(1))
                    });
            }
            SimEvent::BadFrame { .. } => inc(&self.bad_frames),
            _ => {}
        }
    }

    pub(crate) fn sent(&self, frames: u64, bytes: u64) {
        self.frames_sent.fetch_add(frames, Ordering::Relaxed);
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn received_bytes(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn received_frame(&self) {
        inc(&self.frames_received);
    }

    /// A copy of the current values.
    pub fn snapshot(&self) -> CounterSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CounterSnapshot {
            frames_sent: g(&self.frames_sent),
            frames_received: g(&self.frames_received),
            bytes_sent: g(&self.bytes_sent),
            bytes_received: g(&self.bytes_received),
            commands_received: g(&self.commands_received),
            commands_answered: g(&self.commands_answered),
            commands_dropped: g(&self.commands_dropped),
            bad_frames: g(&self.bad_frames),
            connects: g(&self.connects),
            connect_failures: g(&self.connect_failures),
            disconnects: g(&self.disconnects),
            settlements: g(&self.settlements),
            events_dropped: g(&self.events_dropped),
            connected: g(&self.connected),
            registered: g(&self.registered),
            charging: g(&self.charging),
        }
    }
}

/// Counter values at one moment; fleets add them up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Frames written (preambles and `link` not counted).
    pub frames_sent: u64,
    /// Valid frames read.
    pub frames_received: u64,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Server commands seen (resends included).
    pub commands_received: u64,
    /// Commands answered.
    pub commands_answered: u64,
    /// Commands ignored on purpose.
    pub commands_dropped: u64,
    /// Server frames that failed to decode.
    pub bad_frames: u64,
    /// Successful connects.
    pub connects: u64,
    /// Failed connects.
    pub connect_failures: u64,
    /// Connections ended.
    pub disconnects: u64,
    /// Charges ended (settlements stored).
    pub settlements: u64,
    /// Events lost because nobody read them.
    pub events_dropped: u64,
    /// Piles connected now.
    pub connected: u64,
    /// Piles registered now.
    pub registered: u64,
    /// Ports charging now.
    pub charging: u64,
}

impl std::ops::AddAssign for CounterSnapshot {
    fn add_assign(&mut self, o: Self) {
        self.frames_sent += o.frames_sent;
        self.frames_received += o.frames_received;
        self.bytes_sent += o.bytes_sent;
        self.bytes_received += o.bytes_received;
        self.commands_received += o.commands_received;
        self.commands_answered += o.commands_answered;
        self.commands_dropped += o.commands_dropped;
        self.bad_frames += o.bad_frames;
        self.connects += o.connects;
        self.connect_failures += o.connect_failures;
        self.disconnects += o.disconnects;
        self.settlements += o.settlements;
        self.events_dropped += o.events_dropped;
        self.connected += o.connected;
        self.registered += o.registered;
        self.charging += o.charging;
    }
}

/// Where a pile's events go: its own subscriber and/or the fleet's sink.
#[derive(Debug)]
pub(crate) struct EventHub {
    pile: u32,
    protocol: Protocol,
    own: Mutex<Option<mpsc::Sender<SimEvent>>>,
    fleet: Option<mpsc::Sender<FleetEvent>>,
}

impl EventHub {
    pub(crate) fn new(
        pile: u32,
        protocol: Protocol,
        fleet: Option<mpsc::Sender<FleetEvent>>,
    ) -> Self {
        EventHub {
            pile,
            protocol,
            own: Mutex::new(None),
            fleet,
        }
    }

    /// A new subscriber replaces the previous one.
    pub(crate) fn subscribe(&self) -> EventStream {
        let (tx, rx) = mpsc::channel(EVENT_CAPACITY);
        if let Ok(mut own) = self.own.lock() {
            *own = Some(tx);
        }
        EventStream::new(rx)
    }

    /// Delivers without ever waiting; a full or closed channel drops the event.
    pub(crate) fn emit(&self, e: SimEvent, counters: &Counters) {
        counters.observe(&e);
        let mut lost = false;
        if let Some(fleet) = &self.fleet {
            let fe = FleetEvent {
                pile: self.pile,
                protocol: self.protocol,
                event: e.clone(),
            };
            lost |= fleet.try_send(fe).is_err();
        }
        if let Ok(own) = self.own.lock()
            && let Some(tx) = own.as_ref()
        {
            lost |= tx.try_send(e).is_err();
        }
        if lost {
            inc(&counters.events_dropped);
        }
    }
}

/// Port status as the pile sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortStatus {
    /// Nothing plugged in.
    Idle,
    /// A charger is plugged in, not charging.
    Plugged,
    /// Charging.
    Charging,
    /// Out of service until the fault is cleared.
    Fault(PortFault),
    /// GN: the socket is not in the gateway's node list.
    Unbound,
}

/// One port's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortState {
    /// Which port.
    pub port: PortRef,
    /// Its status.
    pub status: PortStatus,
    /// The running order.
    pub order: Option<OrderRef>,
    /// Seconds since the running charge started.
    pub elapsed_s: u32,
    /// Energy of the running charge (exact, not wire-rounded).
    pub energy_wh: u64,
    /// Power now, 0.1 W.
    pub power_dw: u32,
}

/// A pile's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PileState {
    /// TCP connected.
    pub connected: bool,
    /// Registered on this connection.
    pub registered: bool,
    /// Told to be silent.
    pub silent: bool,
    /// Firmware version the pile reports.
    pub firmware: u16,
    /// Settlements / end reports waiting for an acknowledgement.
    pub pending_settlements: usize,
    /// Every port.
    pub ports: Vec<PortState>,
}

/// Static facts about a pile.
#[derive(Debug)]
pub(crate) struct PileInfo {
    pub(crate) index: u32,
    pub(crate) protocol: Protocol,
    pub(crate) id: String,
    pub(crate) iccid: String,
    pub(crate) ports: Vec<PortRef>,
}

/// A running pile. Cloning shares it; the pile stops when [`PileHandle::shutdown`] is
/// called or every handle is dropped.
#[derive(Debug, Clone)]
pub struct PileHandle {
    pub(crate) info: Arc<PileInfo>,
    pub(crate) control: mpsc::Sender<Control>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) hub: Arc<EventHub>,
}

impl PileHandle {
    pub(crate) fn channel() -> (mpsc::Sender<Control>, mpsc::Receiver<Control>) {
        mpsc::channel(CONTROL_CAPACITY)
    }

    /// The index the ids derive from.
    pub fn index(&self) -> u32 {
        self.info.index
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.info.protocol
    }

    /// DNY physical id (`040f4247`) or GN gateway id (`82300000000007`).
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The SIM's ICCID the pile reports.
    pub fn iccid(&self) -> &str {
        &self.info.iccid
    }

    /// The ports at start-up (GN socket numbers can change with the node list; see
    /// [`PileHandle::state`] for the live view).
    pub fn ports(&self) -> &[PortRef] {
        &self.info.ports
    }

    /// The counters now.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// A new event stream (replacing any previous subscriber of this handle's pile).
    pub fn subscribe(&self) -> EventStream {
        self.hub.subscribe()
    }

    async fn send(&self, c: Control) -> Result<(), SimError> {
        self.control
            .send(c)
            .await
            .map_err(|_| SimError::PileGone(self.info.id.clone()))
    }

    fn check_port(&self, index: usize) -> Result<(), SimError> {
        if index < self.info.ports.len() {
            Ok(())
        } else {
            Err(SimError::NoSuchPort {
                pile: self.info.id.clone(),
                index,
            })
        }
    }

    /// The live state (energy and power computed at this instant).
    pub async fn state(&self) -> Result<PileState, SimError> {
        let (tx, rx) = oneshot::channel();
        self.send(Control::State(tx)).await?;
        rx.await
            .map_err(|_| SimError::PileGone(self.info.id.clone()))
    }

    /// A user swipes `card` on port `index` to charge (DNY 0x02, GN 0x0015/0x0B). On
    /// a port charging for that card it stops the charge instead.
    pub async fn swipe_card(&self, index: usize, card: u64) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::SwipeCard { index, card }).await
    }

    /// A user asks for the balance of `card` (DNY 0x02 with port 0xFF, GN 0x1A).
    pub async fn query_balance(&self, index: usize, card: u64) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::QueryBalance { index, card }).await
    }

    /// The user pulls the plug: a running charge ends (DNY reason 5).
    pub async fn unplug(&self, index: usize) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::Plug {
            index,
            plugged: false,
        })
        .await
    }

    /// A charger is plugged in (shows as "plugged, not charging" until started).
    pub async fn plug(&self, index: usize) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::Plug {
            index,
            plugged: true,
        })
        .await
    }

    /// A fault on a port.
    pub async fn fault(&self, index: usize, fault: PortFault) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::Fault { index, fault }).await
    }

    /// Clears a persistent fault.
    pub async fn clear_fault(&self, index: usize) -> Result<(), SimError> {
        self.check_port(index)?;
        self.send(Control::ClearFault { index }).await
    }

    /// A device alarm (DNY 0x42; GN BKV 0x1010 for the port's socket, or the first).
    pub async fn alarm(&self, index: Option<usize>, alarm: Alarm) -> Result<(), SimError> {
        if let Some(i) = index {
            self.check_port(i)?;
        }
        self.send(Control::Alarm { index, alarm }).await
    }

    /// Silent: keep the socket but send nothing (no heartbeats, no answers).
    pub async fn set_silent(&self, silent: bool) -> Result<(), SimError> {
        self.send(Control::Silent(silent)).await
    }

    /// Drop the connection and connect again (after the first back-off step).
    pub async fn reconnect(&self) -> Result<(), SimError> {
        self.send(Control::Reconnect).await
    }

    /// Send one malformed frame now.
    pub async fn send_malformed(&self, kind: Malformed) -> Result<(), SimError> {
        self.send(Control::Malformed(kind)).await
    }

    /// Ignore the next `count` server commands (resends included), so the server must
    /// resend with the same message id / sequence.
    pub async fn drop_commands(&self, count: u32) -> Result<(), SimError> {
        self.send(Control::DropCommands(count)).await
    }

    /// Stops the pile (closes its connection).
    pub async fn shutdown(&self) -> Result<(), SimError> {
        self.send(Control::Shutdown).await
    }

    /// Whether the pile's task has ended.
    pub fn is_finished(&self) -> bool {
        self.control.is_closed()
    }

    /// Waits until the pile's task has ended.
    pub async fn finished(&self) {
        self.control.closed().await;
    }
}
