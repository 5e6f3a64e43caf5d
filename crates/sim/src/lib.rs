//! Pylon's device simulator: AP3000/DNY piles and GN gateways (with their sockets)
//! that speak the real protocols over TCP, built on the workspace codecs.
//!
//! A library first: tests start piles in-process and compare what the gateway
//! reports with what the piles say they did; `pylon sim` runs a fleet for the demo
//! and the load benchmark.
//!
//! * [`spawn_pile`] starts one pile as a tokio task and returns its [`PileHandle`]
//!   (ids, live [`PileState`], [`CounterSnapshot`], actions such as
//!   [`PileHandle::swipe_card`], [`PileHandle::unplug`], [`PileHandle::set_silent`],
//!   [`PileHandle::drop_commands`]) and an [`EventStream`] of [`SimEvent`]s.
//! * [`Fleet`] starts many, spreading connects over time and source addresses.
//! * Time is simulated ([`Clock`]): every protocol period scales with the speed-up,
//!   so a 2-hour charge can take 2 s. A charge's end, energy and duration follow
//!   from its [`PowerCurve`] and limits, independent of timer jitter.
//! * Identities are deterministic ([`ids`]).
//!
//! Protocol behaviour (fact sheet `shared/protocols/PROTOCOLS.md`) is in `dny/` and
//! `gn/`; the socket, reconnects and fault injection in `runner.rs`.

mod clock;
mod config;
mod curve;
mod dny;
mod error;
mod event;
mod faults;
mod fleet;
mod gn;
mod handle;
pub mod ids;
mod net;
mod rng;
mod runner;
mod session;

use std::sync::Arc;

use tokio::sync::mpsc;

pub use clock::{Clock, SimTime};
pub use config::{Faults, NetConfig, PileConfig, Profile, Protocol};
pub use curve::PowerCurve;
/// A DNY pile's frames without its state, for loads that send them themselves.
pub use dny::{
    VOLTAGE_DV as DNY_VOLTAGE_DV, heartbeat_uplink as dny_heartbeat,
    register_uplink as dny_register,
};
pub use error::SimError;
pub use event::{DisconnectReason, EventStream, FleetEvent, OrderRef, PortRef, SimEvent};
pub use faults::{Alarm, EndReason, Malformed, PortFault};
pub use fleet::{Fleet, FleetConfig, FleetSummary};
pub use handle::{CounterSnapshot, PileHandle, PileState, PortState, PortStatus};

use handle::{Counters, EventHub, PileInfo};
use runner::{Device, Runner};

/// Starts one pile on the current tokio runtime. The returned stream receives every
/// event from the start (nothing is missed between spawn and subscribe).
pub fn spawn_pile(cfg: PileConfig) -> Result<(PileHandle, EventStream), SimError> {
    let handle = spawn(cfg, None)?;
    let events = handle.hub.subscribe();
    Ok((handle, events))
}

/// Starts a pile whose events go to `sink` (if any); nobody subscribes, so a large
/// fleet costs no per-pile event queue.
pub(crate) fn spawn(
    cfg: PileConfig,
    sink: Option<mpsc::Sender<FleetEvent>>,
) -> Result<PileHandle, SimError> {
    cfg.validate()?;
    let rt = tokio::runtime::Handle::try_current()
        .map_err(|_| SimError::Config("piles must be started inside a tokio runtime".into()))?;
    let (dev, info): (Box<dyn Device>, PileInfo) = match cfg.protocol {
        Protocol::Dny => {
            let (d, i) = dny::DnyPile::new(&cfg)?;
            (Box::new(d), i)
        }
        Protocol::Gn => {
            let (d, i) = gn::GnGateway::new(&cfg)?;
            (Box::new(d), i)
        }
    };
    let counters = Arc::new(Counters::default());
    let hub = Arc::new(EventHub::new(cfg.index, cfg.protocol, sink));
    let (tx, rx) = PileHandle::channel();
    let runner = Runner::new(
        dev,
        cfg.index,
        cfg.clock,
        cfg.profile.clone(),
        cfg.net.clone(),
        counters.clone(),
        hub.clone(),
        rx,
    );
    rt.spawn(runner.run(cfg.start_delay));
    Ok(PileHandle {
        info: Arc::new(info),
        control: tx,
        counters,
        hub,
    })
}
