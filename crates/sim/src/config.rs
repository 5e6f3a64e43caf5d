//! Configuration of simulated piles: the behaviour profile, the network side and one
//! pile's identity. All periods in a [`Profile`] are *simulated* time (scaled by the
//! [`Clock`]); network timeouts in [`NetConfig`] are wall time.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::curve::PowerCurve;
use crate::error::SimError;

/// Which protocol a pile speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// AP3000 "DNY": one pile with its own modem and `ports` ports.
    Dny,
    /// GN: a gateway with sockets behind it, each with ports A and B.
    Gn,
}

/// Fault modes for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Ignore the n-th server command (1-based) so the server must resend it.
    pub drop_command: Option<u32>,
    /// How many transmissions to ignore from there (1: the resend is answered; 2: the
    /// resend is ignored too, so the server times out).
    pub drop_count: u32,
    /// Precede every n-th frame with a malformed one (cycling through the kinds).
    pub malformed_every: Option<u32>,
    /// Start silent: connect and then send nothing.
    pub silent: bool,
}

/// How piles behave. Periods are simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// DNY 0x21 heartbeat period (fact sheet: 3 min; the server can change it with
    /// 0x83).
    pub dny_heartbeat: Duration,
    /// DNY 0x06 period while charging (5 min).
    pub dny_meter: Duration,
    /// DNY modem `link` keepalive after this much idle time (30 s); `None` = off.
    pub dny_link_idle: Option<Duration>,
    /// DNY 0x03 resend period until answered (30 min).
    pub dny_settlement_resend: Duration,
    /// Unanswered DNY heartbeats after which the pile reconnects (2; 0 = never).
    pub dny_missed_heartbeats: u32,
    /// GN 0x0000 heartbeat period (1 min).
    pub gn_heartbeat: Duration,
    /// GN 0x1017 status cluster period (5 min; also sent on every change).
    pub gn_status: Duration,
    /// GN end-report resend period (captured: about 11 s).
    pub gn_end_resend: Duration,
    /// GN end-report resends before the gateway drops the connection (captured: 3).
    pub gn_end_resends: u32,
    /// Unanswered GN heartbeats after which the gateway reconnects (3; 0 = never).
    pub gn_missed_heartbeats: u32,
    /// Sockets per GN status-cluster frame (keeps frames under the 2048-byte cap).
    pub gn_sockets_per_cluster: u8,
    /// What a charger draws.
    pub curve: PowerCurve,
    /// A start on a port with nothing plugged in succeeds (the user plugs in, then
    /// scans). Off: such a start is refused (DNY result 1).
    pub auto_plug: bool,
    /// The pile's own charge-time limit (DNY 0x85 default 36000 s; GN 0x59 600 min).
    pub max_charge: Duration,
    /// Demo activity: each pile swipes a card on an idle port about this often.
    pub swipe_every: Option<Duration>,
    /// Reconnect back-off, first wait.
    pub backoff_min: Duration,
    /// Reconnect back-off, longest wait.
    pub backoff_max: Duration,
    /// After connecting, the first periodic heartbeat (and GN status cluster) comes at
    /// a random point within its period instead of a whole period later. Piles that
    /// connected at random times heartbeat spread out; a fleet started in one burst
    /// would otherwise heartbeat in step for as long as it runs.
    pub random_phase: bool,
    /// Fault modes.
    pub faults: Faults,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::realistic()
    }
}

impl Profile {
    /// The protocols' own periods, a ramp-then-taper charger, no spontaneous activity.
    pub fn realistic() -> Self {
        Profile {
            dny_heartbeat: Duration::from_secs(180),
            dny_meter: Duration::from_secs(300),
            dny_link_idle: Some(Duration::from_secs(30)),
            dny_settlement_resend: Duration::from_secs(30 * 60),
            dny_missed_heartbeats: 2,
            gn_heartbeat: Duration::from_secs(60),
            gn_status: Duration::from_secs(300),
            gn_end_resend: Duration::from_secs(11),
            gn_end_resends: 3,
            gn_missed_heartbeats: 3,
            gn_sockets_per_cluster: 16,
            curve: PowerCurve::default(),
            auto_plug: true,
            max_charge: Duration::from_secs(36_000),
            swipe_every: None,
            backoff_min: Duration::from_secs(5),
            backoff_max: Duration::from_secs(300),
            random_phase: false,
            faults: Faults::default(),
        }
    }

    /// `realistic` plus card swipes on idle ports about every 30 minutes per pile, so
    /// a demo fleet charges on its own when the platform authorizes the cards.
    pub fn demo() -> Self {
        Profile {
            swipe_every: Some(Duration::from_secs(30 * 60)),
            ..Profile::realistic()
        }
    }

    /// The gateway benchmark's load: every pile heartbeats each 60 s, GN status every
    /// 5 min, no modem keepalive, constant 200 W; periods in random phase, as a fleet
    /// whose piles connected over time (the benchmark connects them in a burst).
    pub fn bench() -> Self {
        Profile {
            dny_heartbeat: Duration::from_secs(60),
            dny_link_idle: None,
            random_phase: true,
            curve: PowerCurve::constant_watts(200),
            ..Profile::realistic()
        }
    }

    /// A profile by name: `realistic`, `demo` or `bench`.
    pub fn named(name: &str) -> Result<Self, SimError> {
        match name {
            "realistic" => Ok(Profile::realistic()),
            "demo" => Ok(Profile::demo()),
            "bench" => Ok(Profile::bench()),
            other => Err(SimError::Config(format!(
                "unknown profile {other:?} (realistic, demo, bench)"
            ))),
        }
    }

    /// Checks the values that would make a pile spin or stall.
    pub fn validate(&self) -> Result<(), SimError> {
        let positive = [
            ("dny_heartbeat", self.dny_heartbeat),
            ("dny_meter", self.dny_meter),
            ("dny_settlement_resend", self.dny_settlement_resend),
            ("gn_heartbeat", self.gn_heartbeat),
            ("gn_status", self.gn_status),
            ("gn_end_resend", self.gn_end_resend),
            ("max_charge", self.max_charge),
            ("backoff_min", self.backoff_min),
        ];
        for (name, d) in positive {
            if d < Duration::from_secs(1) {
                return Err(SimError::Config(format!("{name} must be at least 1 s")));
            }
        }
        if self.backoff_max < self.backoff_min {
            return Err(SimError::Config(
                "backoff_max must not be below backoff_min".into(),
            ));
        }
        if self.gn_sockets_per_cluster == 0 {
            return Err(SimError::Config(
                "gn_sockets_per_cluster must be > 0".into(),
            ));
        }
        if self.faults.malformed_every == Some(0) {
            return Err(SimError::Config("malformed_every must be > 0".into()));
        }
        Ok(())
    }
}

/// Where piles connect, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetConfig {
    /// The gateway's device port.
    pub target: SocketAddr,
    /// Local addresses to connect from, pile `i` using entry `i % len` (one loopback
    /// address gives only ~28k ephemeral ports towards one listener). Empty: let the
    /// OS choose.
    pub source_addrs: Vec<IpAddr>,
    /// Wall-time limit for a connect.
    pub connect_timeout: Duration,
    /// Wall-time limit for one write; a server that stops reading gets disconnected.
    pub write_timeout: Duration,
    /// SO_SNDBUF/SO_RCVBUF per socket, to keep kernel memory small for large fleets.
    pub socket_buffer: Option<u32>,
}

impl NetConfig {
    /// Defaults towards `target`.
    pub fn new(target: SocketAddr) -> Self {
        NetConfig {
            target,
            source_addrs: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            socket_buffer: None,
        }
    }

    /// Resolves `HOST:PORT` (first address).
    pub fn resolve(target: &str) -> Result<Self, SimError> {
        let addr = target
            .to_socket_addrs()
            .map_err(|source| SimError::Resolve {
                target: target.to_owned(),
                source,
            })?
            .next()
            .ok_or_else(|| SimError::Config(format!("{target} resolves to no address")))?;
        Ok(NetConfig::new(addr))
    }

    /// `127.0.0.1` … `127.0.0.n`, the usual spread for loopback benchmarks.
    pub fn loopback_sources(n: u8) -> Vec<IpAddr> {
        (1..=n.max(1))
            .map(|i| IpAddr::from([127, 0, 0, i]))
            .collect()
    }
}

/// One pile.
#[derive(Debug, Clone)]
pub struct PileConfig {
    /// The protocol.
    pub protocol: Protocol,
    /// The index its ids derive from ([`crate::ids`]).
    pub index: u32,
    /// DNY: ports of the pile (1–16). GN: sockets behind the gateway (1–250).
    pub ports: u8,
    /// Behaviour (shared by a fleet).
    pub profile: Arc<Profile>,
    /// Network side (shared by a fleet).
    pub net: Arc<NetConfig>,
    /// Simulated time.
    pub clock: Clock,
    /// Wall time to wait before the first connect (spreads a fleet's connects).
    pub start_delay: Duration,
}

impl PileConfig {
    /// A pile with the realistic profile, 2 ports (DNY) or 2 sockets (GN), real time.
    pub fn new(protocol: Protocol, index: u32, target: SocketAddr) -> Self {
        PileConfig {
            protocol,
            index,
            ports: 2,
            profile: Arc::new(Profile::realistic()),
            net: Arc::new(NetConfig::new(target)),
            clock: Clock::real(),
            start_delay: Duration::ZERO,
        }
    }

    /// The profile, for changing (copies it if shared).
    pub fn profile_mut(&mut self) -> &mut Profile {
        Arc::make_mut(&mut self.profile)
    }

    /// Runs the pile's clock `speed` times faster than the wall clock.
    pub fn with_speed(mut self, speed: u32) -> Self {
        self.clock = Clock::new(speed);
        self
    }

    /// Sets the port (DNY) or socket (GN) count.
    pub fn with_ports(mut self, ports: u8) -> Self {
        self.ports = ports;
        self
    }

    /// Checks the whole configuration.
    pub fn validate(&self) -> Result<(), SimError> {
        self.profile.validate()?;
        match self.protocol {
            Protocol::Dny => crate::ids::dny_physical_id(self.index, self.ports).map(|_| ()),
            Protocol::Gn if (1..=250).contains(&self.ports) => {
                if self.index > crate::ids::GN_MAX_INDEX {
                    return Err(SimError::Config(format!(
                        "GN gateway index {} exceeds {}",
                        self.index,
                        crate::ids::GN_MAX_INDEX
                    )));
                }
                Ok(())
            }
            Protocol::Gn => Err(SimError::Config(format!(
                "a GN gateway has 1 to 250 sockets, not {}",
                self.ports
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_validate() {
        for name in ["realistic", "demo", "bench"] {
            Profile::named(name).unwrap().validate().unwrap();
        }
        assert!(Profile::named("turbo").is_err());
        let mut p = Profile::realistic();
        p.backoff_max = Duration::from_secs(1);
        assert!(p.validate().is_err());
    }

    #[test]
    fn pile_limits() {
        let target: SocketAddr = "127.0.0.1:7054".parse().unwrap();
        assert!(PileConfig::new(Protocol::Gn, 0, target).validate().is_ok());
        assert!(
            PileConfig::new(Protocol::Gn, 0, target)
                .with_ports(0)
                .validate()
                .is_err()
        );
        assert!(
            PileConfig::new(Protocol::Dny, 0, target)
                .with_ports(17)
                .validate()
                .is_err()
        );
        assert_eq!(NetConfig::loopback_sources(3).len(), 3);
    }
}
