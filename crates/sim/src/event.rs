//! What a pile did: the events a test compares with the gateway's.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::faults::{Alarm, EndReason, Malformed, PortFault};

/// One port, named the way the gateway's events name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortRef {
    /// DNY physical id (`040f4247`) or GN socket (`82300000000007-1`).
    pub device: String,
    /// 1-based port number (GN: 1 = A, 2 = B).
    pub number: u8,
    /// Position in the pile's port list: what [`PileHandle`](crate::PileHandle)
    /// methods take.
    pub index: usize,
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.device, self.number)
    }
}

/// The order a charge belongs to: the server's 16-byte DNY order number, or the
/// business number a GN socket allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderRef {
    /// DNY order number (from the 0x82 start).
    Dny(codec_dny::OrderNo),
    /// GN business number.
    Gn(u16),
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRef::Dny(o) => write!(f, "{o}"),
            OrderRef::Gn(b) => write!(f, "{b}"),
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The server closed it.
    PeerClosed,
    /// A read or write failed (or timed out).
    Io(String),
    /// Too many heartbeats went unanswered (the device considers itself offline).
    MissedHeartbeats,
    /// End reports went unacknowledged (GN gateways then reconnect).
    UnackedReports,
    /// Told to by the handle.
    Requested,
    /// The pile rebooted (command or finished upgrade).
    Reboot,
    /// The pile was shut down.
    Shutdown,
}

/// Something a pile did or saw. Energy and duration are the values sent on the wire
/// (DNY energy in 10 Wh steps, GN durations in whole minutes), so they compare
/// equal to what the gateway decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEvent {
    /// A TCP connection is up (the pile then sends its preamble and registers).
    Connected {
        /// The pile's local address.
        local: SocketAddr,
    },
    /// A connection attempt failed; the pile retries after a back-off.
    ConnectFailed {
        /// The error.
        error: String,
    },
    /// The connection ended.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// The server answered the register (DNY 0x20) or the first heartbeat (GN).
    Registered,
    /// A server command arrived. `id` is the DNY message id or GN sequence.
    CommandReceived {
        /// DNY command byte; GN command, with BKV commands (0x1000) given as the BKV
        /// command (0x1007, 0x1011, …).
        command: u16,
        /// GN 0x0005/0x0015 sub-command.
        sub: Option<u8>,
        /// Message id / sequence.
        id: u32,
        /// Ignored on purpose (drop-acks fault).
        dropped: bool,
        /// A resend of a command already answered: the cached answer went again.
        duplicate: bool,
    },
    /// The pile answered a command.
    CommandAnswered {
        /// As in `CommandReceived`.
        command: u16,
        /// As in `CommandReceived`.
        sub: Option<u8>,
        /// Message id / sequence echoed.
        id: u32,
    },
    /// A charge started.
    ChargingStarted {
        /// Where.
        port: PortRef,
        /// Which order.
        order: OrderRef,
    },
    /// A start was refused with this protocol code (DNY §1.8.6, GN result 0).
    ChargingRefused {
        /// Where (`None` when the port did not exist).
        port: Option<PortRef>,
        /// The answer's code.
        code: u8,
    },
    /// A meter report went out (DNY 0x06, GN status cluster while charging).
    Meter {
        /// Where.
        port: PortRef,
        /// Which order.
        order: OrderRef,
        /// Seconds since the start.
        elapsed_s: u32,
        /// Energy so far, as on the wire.
        energy_wh: u64,
        /// Power now, 0.1 W.
        power_dw: u32,
    },
    /// A charge ended and its settlement / end report was stored to send.
    Settled {
        /// Where.
        port: PortRef,
        /// Which order.
        order: OrderRef,
        /// Energy as on the wire.
        energy_wh: u64,
        /// Duration as on the wire.
        duration_s: u32,
        /// Why it ended.
        reason: EndReason,
        /// The protocol's code for the reason (DNY §1.8.4; GN simulator convention).
        reason_code: u8,
        /// The amount charged, for GN power-bracket, card and fee-mode orders.
        amount_fen: Option<u32>,
    },
    /// A settlement / end report went again because no acknowledgement came.
    SettlementResent {
        /// Where.
        port: PortRef,
        /// Which order.
        order: OrderRef,
        /// Transmissions so far (2 = first resend).
        attempt: u32,
    },
    /// The server acknowledged a settlement / end report.
    SettlementAcked {
        /// Where.
        port: PortRef,
        /// Which order.
        order: OrderRef,
    },
    /// A card was swiped (`port` `None`: DNY balance query).
    CardSwiped {
        /// Where.
        port: Option<PortRef>,
        /// The card number (DNY: low 32 bits, GN: low 48 bits).
        card: u64,
        /// Whether it was a balance query rather than a charging request.
        balance_query: bool,
    },
    /// The server answered a swipe or balance query.
    CardAnswered {
        /// The card.
        card: u64,
        /// DNY account status (0 = ok) or 0 for GN balance answers.
        status: u8,
        /// The balance, when the answer carries one.
        balance_fen: Option<u32>,
    },
    /// A port fault happened.
    FaultRaised {
        /// Where.
        port: PortRef,
        /// What.
        fault: PortFault,
    },
    /// A device alarm went out (DNY 0x42, GN BKV 0x1010).
    AlarmRaised {
        /// The port it concerns, if any.
        port: Option<PortRef>,
        /// What.
        alarm: Alarm,
    },
    /// A malformed frame went out on purpose.
    MalformedSent {
        /// Which kind.
        kind: Malformed,
    },
    /// A firmware packet arrived (DNY 0xE0–E2/F8–FA).
    FirmwarePacket {
        /// Packet number (from 1).
        current: u16,
        /// Packets in all.
        total: u16,
    },
    /// The GN node list changed: this many sockets are bound now.
    NodeListChanged {
        /// Bound sockets.
        sockets: usize,
    },
    /// A frame from the server could not be decoded.
    BadFrame {
        /// The decoder's error.
        error: String,
    },
}

/// An event with the index of the pile it came from (the fleet-wide sink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetEvent {
    /// The pile's index.
    pub pile: u32,
    /// Its protocol (DNY and GN piles of a fleet have separate index ranges).
    pub protocol: crate::config::Protocol,
    /// What happened.
    pub event: SimEvent,
}

/// A pile's events, in order. Bounded: a subscriber that stops reading loses events
/// (counted as `events_dropped`), the pile never waits for it.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<SimEvent>,
}

impl EventStream {
    pub(crate) fn new(rx: mpsc::Receiver<SimEvent>) -> Self {
        EventStream { rx }
    }

    /// The next event; `None` once the pile is gone.
    pub async fn recv(&mut self) -> Option<SimEvent> {
        self.rx.recv().await
    }

    /// The next event within `wait` (wall time), `None` on timeout or end.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SimEvent> {
        timeout(wait, self.rx.recv()).await.ok().flatten()
    }

    /// Skips events until one satisfies `pred`, within `wait` (wall time) in all.
    pub async fn wait_for(
        &mut self,
        wait: Duration,
        mut pred: impl FnMut(&SimEvent) -> bool,
    ) -> Option<SimEvent> {
        let find = async {
            while let Some(e) = self.rx.recv().await {
                if pred(&e) {
                    return Some(e);
                }
            }
            None
        };
        timeout(wait, find).await.ok().flatten()
    }

    /// Events already queued, without waiting.
    pub fn drain(&mut self) -> Vec<SimEvent> {
        let mut v = Vec::new();
        while let Ok(e) = self.rx.try_recv() {
            v.push(e);
        }
        v
    }
}
