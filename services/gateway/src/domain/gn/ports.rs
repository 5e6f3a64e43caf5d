//! What the gateway knows about the sockets behind one GN gateway: per port the last
//! status, per socket when it last appeared in a status report. Status reports (BKV
//! 0x1017 clusters and 0x0015/0x1C answers) become socket liveness, port changes and
//! meter samples; `tick` adds the periodic snapshot and takes silent sockets offline.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use codec_gn::GatewayId;
use codec_gn::bkv::SocketCluster;
use codec_gn::msg::socket_up::StatusAnswer;

use super::socket_key;
use crate::domain::{DeviceEvent, DisconnectCause, Output, PortState};

/// How often every known port is published again with `snapshot: true`, changed or
/// not, so a consumer that missed a change (or started late) converges.
pub const SNAPSHOT_PERIOD: TimeDelta = TimeDelta::minutes(5);

/// The status-cluster period: a gateway sends BKV 0x1017 for its sockets every 5 min
/// and on any change (fact sheet 3.3).
pub const STATUS_PERIOD: TimeDelta = TimeDelta::minutes(5);

/// A socket missing from its gateway's status reports this long (three status periods,
/// the allowance the connections get for heartbeats) counts as offline.
pub const SOCKET_OFFLINE_AFTER: TimeDelta = TimeDelta::minutes(15);

/// One socket's part of a status report, whichever frame carried it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SocketSample {
    pub socket: u8,
    pub firmware: String,
    pub temperature_c: Option<i32>,
    pub rssi: u32,
    pub ports: Vec<PortSample>,
}

/// One port of a status report, in Pylon units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct PortSample {
    /// Wire port: 0 = A, 1 = B.
    pub port: u8,
    pub status: u8,
    pub business: u16,
    pub voltage_dv: u32,
    pub power_dw: u32,
    pub current_ma: u32,
    pub energy_wh: u64,
    pub elapsed_secs: u64,
}

impl SocketSample {
    /// A socket of a BKV 0x1017 cluster; `None` without a socket number. Ports without
    /// a port number or status say nothing and are left out.
    pub fn from_cluster(c: &SocketCluster) -> Option<Self> {
        let socket = c.socket?.0;
        let ports = c
            .ports
            .iter()
            .filter_map(|p| {
                Some(PortSample {
                    port: p.port?.0,
                    status: p.status?.0,
                    business: p.business_no.map_or(0, |b| b.0),
                    voltage_dv: p.voltage.map_or(0, |v| v.get()),
                    power_dw: p.power.map_or(0, |v| v.get()),
                    current_ma: p.current.map_or(0, |v| v.get()),
                    energy_wh: p.energy.map_or(0, |v| u64::try_from(v.get()).unwrap_or(0)),
                    elapsed_secs: p.charge_duration.map_or(0, |v| u64::from(v.get())),
                })
            })
            .collect();
        Some(Self {
            socket,
            firmware: c.firmware.map(|f| f.to_string()).unwrap_or_default(),
            temperature_c: c.temperature.map(|t| i32::from(t.get())),
            rssi: c.rssi.map_or(0, u32::from),
            ports,
        })
    }

    /// A 0x0015/0x1C status answer (also accepted as 0x1D, fact sheet 4.2 #4).
    pub fn from_answer(a: &StatusAnswer) -> Self {
        Self {
            socket: a.socket.0,
            firmware: a.firmware.to_string(),
            temperature_c: Some(i32::from(a.temperature.get())),
            rssi: u32::from(a.rssi),
            ports: a
                .ports
                .iter()
                .map(|p| PortSample {
                    port: p.port.0,
                    status: p.status.0,
                    business: p.business_no.0,
                    voltage_dv: p.voltage.get(),
                    power_dw: p.power.get(),
                    current_ma: p.current.get(),
                    energy_wh: u64::try_from(p.energy.get()).unwrap_or(0),
                    elapsed_secs: u64::from(p.charge_duration.get()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct PortSeen {
    status: u8,
    business: u16,
}

#[derive(Debug, Clone, Copy)]
struct SocketSeen {
    /// The last status report that listed the socket.
    last_report: DateTime<Utc>,
    /// When it (re)appeared: the `Connected` the next `Disconnected` closes.
    since: DateTime<Utc>,
    online: bool,
}

/// Sockets and ports of one gateway. Bounded by the wire: at most 256 socket numbers
/// with two ports each.
#[derive(Debug, Default)]
pub(super) struct Ports {
    /// Per (socket, wire port), ordered so snapshots come out in a stable order.
    ports: BTreeMap<(u8, u8), PortSeen>,
    sockets: HashMap<u8, SocketSeen>,
    last_snapshot: Option<DateTime<Utc>>,
}

impl Ports {
    /// One socket of a status report: `Connected` when it (re)appears, a heartbeat
    /// (socket liveness), per port a status change and, while charging, a meter sample.
    pub fn report(
        &mut self,
        gw: GatewayId,
        s: &SocketSample,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        let device = socket_key(gw, s.socket);
        let seen = self.sockets.entry(s.socket).or_insert(SocketSeen {
            last_report: now,
            since: now,
            online: false,
        });
        seen.last_report = now;
        if !seen.online {
            seen.online = true;
            seen.since = now;
            out.push(Output::Event(DeviceEvent::Connected {
                device: device.clone(),
                remote_addr: String::new(),
                iccid: None,
                at: now,
            }));
        }
        out.push(Output::Event(DeviceEvent::Heartbeat {
            device: device.clone(),
            signal: s.rssi,
            iccid: None,
            firmware: s.firmware.clone(),
            voltage_dv: 0,
            temperature_c: s.temperature_c,
            port_count: u32::try_from(s.ports.len()).unwrap_or(u32::MAX),
            at: now,
        }));
        for p in &s.ports {
            let state = PortState::from_gn(p.status, p.business);
            let before = self.ports.insert(
                (s.socket, p.port),
                PortSeen {
                    status: p.status,
                    business: p.business,
                },
            );
            if before.map(|b| b.status) != Some(p.status) {
                out.push(Output::Event(DeviceEvent::PortStatus {
                    device: device.clone(),
                    port: u32::from(p.port) + 1,
                    state,
                    previous: before.map(|b| PortState::from_gn(b.status, b.business)),
                    raw_status: u32::from(p.status),
                    snapshot: false,
                    at: now,
                }));
            }
            if state == PortState::Charging {
                out.push(Output::Event(DeviceEvent::Meter {
                    device: device.clone(),
                    port: u32::from(p.port) + 1,
                    order_ref: p.business.to_string(),
                    power_dw: p.power_dw,
                    voltage_dv: p.voltage_dv,
                    current_ma: p.current_ma,
                    energy_wh: p.energy_wh,
                    elapsed_secs: p.elapsed_secs,
                    at: now,
                }));
            }
        }
        // The first report published every port it listed: the snapshot clock starts.
        if self.last_snapshot.is_none() && !self.ports.is_empty() {
            self.last_snapshot = Some(now);
        }
    }

    /// Takes sockets silent for [`SOCKET_OFFLINE_AFTER`] offline (`Disconnected`, and
    /// their ports `Offline`), then publishes the snapshot when one is due.
    pub fn tick(&mut self, gw: GatewayId, now: DateTime<Utc>, out: &mut Vec<Output>) {
        self.take_offline(
            gw,
            now,
            out,
            |s| now - s.last_report >= SOCKET_OFFLINE_AFTER,
            |seen| {
                (
                    DisconnectCause::IdleTimeout,
                    format!(
                        "socket missing from status reports for {} s",
                        (now - seen.last_report).num_seconds()
                    ),
                )
            },
        );
        self.snapshot(gw, now, out);
    }

    /// The gateway's connection ended: every socket still online goes with it.
    pub fn close(&mut self, gw: GatewayId, now: DateTime<Utc>, out: &mut Vec<Output>) {
        self.take_offline(
            gw,
            now,
            out,
            |_| true,
            |_| {
                (
                    DisconnectCause::GatewayGone,
                    "the gateway's connection ended".to_owned(),
                )
            },
        );
    }

    fn take_offline(
        &mut self,
        gw: GatewayId,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
        which: impl Fn(&SocketSeen) -> bool,
        why: impl Fn(&SocketSeen) -> (DisconnectCause, String),
    ) {
        let mut gone: Vec<(u8, SocketSeen)> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.online && which(s))
            .map(|(&no, &s)| (no, s))
            .collect();
        gone.sort_by_key(|(no, _)| *no);
        for (no, seen) in gone {
            if let Some(s) = self.sockets.get_mut(&no) {
                s.online = false;
            }
            let device = socket_key(gw, no);
            let (reason, detail) = why(&seen);
            out.push(Output::Event(DeviceEvent::Disconnected {
                device: device.clone(),
                reason,
                detail,
                connected_secs: u64::try_from((now - seen.since).num_seconds()).unwrap_or(0),
                at: now,
            }));
            // Bit 7 clear is what "not online" means in the status byte (fact sheet
            // 2.5), so the port reads offline and its next real report is a change.
            for (&(_, port), p) in self.ports.range_mut((no, 0)..=(no, u8::MAX)) {
                let previous = PortState::from_gn(p.status, p.business);
                p.status &= 0x7F;
                p.business = 0;
                out.push(Output::Event(DeviceEvent::PortStatus {
                    device: device.clone(),
                    port: u32::from(port) + 1,
                    state: PortState::Offline,
                    previous: Some(previous),
                    raw_status: u32::from(p.status),
                    snapshot: false,
                    at: now,
                }));
            }
        }
    }

    /// Every known port again, at most every [`SNAPSHOT_PERIOD`].
    fn snapshot(&mut self, gw: GatewayId, now: DateTime<Utc>, out: &mut Vec<Output>) {
        let due = self
            .last_snapshot
            .is_none_or(|last| now - last >= SNAPSHOT_PERIOD);
        if self.ports.is_empty() || !due {
            return;
        }
        self.last_snapshot = Some(now);
        for (&(socket, port), p) in &self.ports {
            out.push(Output::Event(DeviceEvent::PortStatus {
                device: socket_key(gw, socket),
                port: u32::from(port) + 1,
                state: PortState::from_gn(p.status, p.business),
                previous: None,
                raw_status: u32::from(p.status),
                snapshot: true,
                at: now,
            }));
        }
    }
}
