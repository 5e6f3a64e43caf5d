//! JSON shapes of the live routes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::live::domain::device::DeviceLive;
use crate::live::domain::stuck::StuckReason;
use crate::live::store::devices::Alarm;
use crate::live::store::ports::StoredPort;

#[derive(Serialize)]
pub struct LiveDevice {
    device_id: String,
    protocol: String,
    /// GN sockets: their gateway.
    gateway_id: String,
    online: bool,
    last_seen: DateTime<Utc>,
    /// Why it went offline; empty while online.
    offline_reason: String,
    signal: Option<u32>,
    firmware: Option<String>,
    ports: Vec<LivePort>,
    last_alarm: Option<LastAlarm>,
}

#[derive(Serialize)]
pub struct LivePort {
    port: u32,
    state: &'static str,
    raw_status: u32,
    state_at: Option<DateTime<Utc>>,
    state_since: Option<DateTime<Utc>>,
    /// The order the device charges for, as the device names it.
    order_ref: Option<String>,
    power_dw: Option<u32>,
    energy_wh: Option<u64>,
    elapsed_secs: Option<u64>,
    voltage_dv: Option<u32>,
    current_ma: Option<u32>,
    meter_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct LastAlarm {
    port: i32,
    kind: String,
    raw_code: i64,
    detail: String,
    raised_at: DateTime<Utc>,
}

impl From<&StoredPort> for LivePort {
    fn from(p: &StoredPort) -> Self {
        let l = &p.live;
        let m = l.meter.as_ref();
        LivePort {
            port: p.port,
            state: l.state.as_str(),
            raw_status: l.raw_status,
            state_at: l.state_at,
            state_since: l.state_since,
            order_ref: (!l.order_ref.is_empty()).then(|| l.order_ref.clone()),
            power_dw: m.map(|m| m.power_dw),
            energy_wh: m.map(|m| m.energy_wh),
            elapsed_secs: m.map(|m| m.elapsed_secs),
            voltage_dv: m.map(|m| m.voltage_dv),
            current_ma: m.map(|m| m.current_ma),
            meter_at: l.meter_at,
        }
    }
}

impl LiveDevice {
    pub fn new(d: DeviceLive, ports: Vec<StoredPort>, alarm: Option<Alarm>) -> Self {
        LiveDevice {
            device_id: d.device_id,
            protocol: d.protocol,
            gateway_id: d.gateway_id,
            online: d.online,
            last_seen: d.last_seen,
            offline_reason: d.offline_reason,
            signal: d.heartbeat.as_ref().map(|h| h.signal),
            firmware: d.heartbeat.map(|h| h.firmware),
            ports: ports.iter().map(LivePort::from).collect(),
            last_alarm: alarm.map(|a| LastAlarm {
                port: a.port,
                kind: a.kind,
                raw_code: a.raw_code,
                detail: a.detail,
                raised_at: a.raised_at,
            }),
        }
    }
}

#[derive(Serialize)]
pub struct StuckPort {
    device_id: String,
    #[serde(flatten)]
    port: LivePort,
    /// `no_order`, `no_live_order` or `meter_silent`.
    reason: &'static str,
}

impl StuckPort {
    pub fn new(p: StoredPort, reason: StuckReason) -> Self {
        StuckPort {
            port: LivePort::from(&p),
            device_id: p.device_id,
            reason: reason.as_str(),
        }
    }
}
