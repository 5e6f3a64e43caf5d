//! Many piles at once: `pylon sim`, the demo fleet and the gateway benchmark.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::clock::{Clock, SimTime};
use crate::config::{NetConfig, PileConfig, Profile, Protocol};
use crate::error::SimError;
use crate::event::FleetEvent;
use crate::handle::{CounterSnapshot, PileHandle};

/// A fleet: `dny` DNY piles and `gn` GN gateways.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// DNY piles.
    pub dny: u32,
    /// GN gateways.
    pub gn: u32,
    /// Ports per DNY pile (1–16).
    pub dny_ports: u8,
    /// Sockets per GN gateway (1–250), two ports each.
    pub gn_sockets: u8,
    /// Index of the first pile of each protocol (ids derive from it; two fleets on
    /// one gateway need disjoint ranges).
    pub first_index: u32,
    /// Behaviour of every pile.
    pub profile: Profile,
    /// Target and source addresses.
    pub net: NetConfig,
    /// Simulated seconds per wall second.
    pub speed: u32,
    /// Connects per wall second while the fleet starts (0: all at once).
    pub connect_rate: u32,
    /// Where every pile's events go, if anywhere (a full sink drops events).
    pub events: Option<mpsc::Sender<FleetEvent>>,
}

impl FleetConfig {
    /// Defaults: 2-port DNY piles, 2-socket GN gateways, realistic profile, real
    /// time, 1000 connects per second.
    pub fn new(dny: u32, gn: u32, net: NetConfig) -> Self {
        FleetConfig {
            dny,
            gn,
            dny_ports: 2,
            gn_sockets: 2,
            first_index: 0,
            profile: Profile::realistic(),
            net,
            speed: 1,
            connect_rate: 1000,
            events: None,
        }
    }
}

/// Running piles.
#[derive(Debug)]
pub struct Fleet {
    piles: Vec<PileHandle>,
    clock: Clock,
}

impl Fleet {
    /// Starts every pile on the current tokio runtime, spreading the connects at
    /// `connect_rate` per second.
    pub fn start(cfg: FleetConfig) -> Result<Fleet, SimError> {
        cfg.profile.validate()?;
        let profile = Arc::new(cfg.profile);
        let net = Arc::new(cfg.net);
        let clock = Clock::new(cfg.speed);
        let specs = (0..cfg.dny)
            .map(|i| (Protocol::Dny, i, cfg.dny_ports))
            .chain((0..cfg.gn).map(|i| (Protocol::Gn, i, cfg.gn_sockets)));
        let mut piles = Vec::with_capacity(usize::try_from(cfg.dny + cfg.gn).unwrap_or(0));
        for (k, (protocol, i, ports)) in specs.enumerate() {
            let start_delay = match cfg.connect_rate {
                0 => Duration::ZERO,
                rate => Duration::from_secs_f64(k as f64 / f64::from(rate)),
            };
            let index = cfg
                .first_index
                .checked_add(i)
                .ok_or_else(|| SimError::Config("first_index + pile count overflows".into()))?;
            let pile = PileConfig {
                protocol,
                index,
                ports,
                profile: profile.clone(),
                net: net.clone(),
                clock,
                start_delay,
            };
            piles.push(crate::spawn(pile, cfg.events.clone())?);
        }
        Ok(Fleet { piles, clock })
    }

    /// Every pile, DNY first.
    pub fn piles(&self) -> &[PileHandle] {
        &self.piles
    }

    /// The fleet's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Counters summed over every pile.
    pub fn summary(&self) -> FleetSummary {
        let mut counters = CounterSnapshot::default();
        for p in &self.piles {
            counters += p.counters();
        }
        FleetSummary {
            piles: self.piles.len(),
            counters,
            sim_time: self.clock.now(),
        }
    }

    /// Stops every pile and waits (up to `wait`) until their connections are closed.
    pub async fn shutdown(&self, wait: Duration) {
        for p in &self.piles {
            // A pile that already ended needs no stop.
            let _ = p.shutdown().await;
        }
        let all = async {
            for p in &self.piles {
                p.finished().await;
            }
        };
        // Piles still busy after `wait` are abandoned with the runtime.
        let _ = tokio::time::timeout(wait, all).await;
    }
}

/// Fleet-wide counters at one moment; `Display` is the one-line summary `pylon sim`
/// prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetSummary {
    /// Piles in the fleet.
    pub piles: usize,
    /// Summed counters (gauges summed too: connected piles, charging ports).
    pub counters: CounterSnapshot,
    /// Simulated time since the fleet started.
    pub sim_time: SimTime,
}

impl fmt::Display for FleetSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        let secs = self.sim_time.as_millis() / 1000;
        write!(
            f,
            "sim {}h{:02}m | piles {} connected {} registered {} charging {} | frames out {} in {} | \
             commands {} answered {} dropped {} | settlements {} | connects {} failed {} | bad frames {}",
            secs / 3600,
            secs / 60 % 60,
            self.piles,
            c.connected,
            c.registered,
            c.charging,
            c.frames_sent,
            c.frames_received,
            c.commands_received,
            c.commands_answered,
            c.commands_dropped,
            c.settlements,
            c.connects,
            c.connect_failures,
            c.bad_frames,
        )
    }
}
