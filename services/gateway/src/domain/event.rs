//! Device events in the gateway's own terms; `crate::events` turns them into the
//! protobuf payloads of `pylon.events.v1` (device.proto).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Dny,
    Gn,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Dny => "dny",
            Protocol::Gn => "gn",
        }
    }
}

/// A device as events name it: the canonical id of its protocol (docs/protocols.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceKey {
    pub protocol: Protocol,
    pub device_id: String,
    /// GN sockets: their gateway.
    pub gateway_id: Option<String>,
}

/// Normalized port state (device.proto `PortState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    Idle,
    Charging,
    Full,
    Fault,
    Offline,
    Occupied,
}

impl PortState {
    /// DNY port status codes (fact sheet 1.8.1).
    pub fn from_dny(code: u8) -> Self {
        match code {
            0 => PortState::Idle,
            1 | 5 => PortState::Charging,
            2 => PortState::Occupied,
            3 => PortState::Full,
            _ => PortState::Fault,
        }
    }

    /// GN status byte (fact sheet 2.5): bit 7 online, bit 4 charging.
    pub fn from_gn(status: u8, business_no: u16) -> Self {
        if status & 0x80 == 0 {
            PortState::Offline
        } else if status & 0x10 != 0 || business_no != 0 {
            PortState::Charging
        } else {
            PortState::Idle
        }
    }
}

/// Normalized end reason (device.proto `EndReason`) plus the device's own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReasonCode {
    TimeLimit,
    EnergyLimit,
    Full,
    Unplugged,
    RemoteStop,
    OverPower,
    Fault,
    PowerLoss,
    NoLoad,
    Other,
}

impl EndReasonCode {
    /// DNY stop reasons (fact sheet 1.8.4).
    pub fn from_dny(code: u8) -> Self {
        match code {
            1 => EndReasonCode::Full,
            2 | 3 => EndReasonCode::TimeLimit,
            4 => EndReasonCode::EnergyLimit,
            5 | 0x0D => EndReasonCode::Unplugged,
            7 | 0x15 | 0x16 | 0x17 => EndReasonCode::RemoteStop,
            6 | 8 | 0x0C => EndReasonCode::OverPower,
            9 | 0x1C => EndReasonCode::NoLoad,
            0x0E => EndReasonCode::PowerLoss,
            0x0A | 0x0B | 0x0F..=0x12 | 0x18..=0x1B => EndReasonCode::Fault,
            _ => EndReasonCode::Other,
        }
    }

    /// GN end reports: the reason codes are undocumented (fact sheet 4.2 #16), but the
    /// document decodes the end status 0x98 as a no-load end (bit 3, 2.5); anything else
    /// stays `Other` with the raw code beside it.
    pub fn from_gn_status(status: u8) -> Self {
        if status & 0x08 != 0 {
            EndReasonCode::NoLoad
        } else {
            EndReasonCode::Other
        }
    }
}

/// One device event.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    Connected {
        device: DeviceKey,
        remote_addr: String,
        iccid: Option<String>,
        at: DateTime<Utc>,
    },
    Heartbeat {
        device: DeviceKey,
        signal: u32,
        iccid: Option<String>,
        firmware: String,
        voltage_dv: u32,
        temperature_c: Option<i32>,
        port_count: u32,
        at: DateTime<Utc>,
    },
    PortStatus {
        device: DeviceKey,
        port: u32,
        state: PortState,
        previous: Option<PortState>,
        raw_status: u32,
        snapshot: bool,
        at: DateTime<Utc>,
    },
    Meter {
        device: DeviceKey,
        port: u32,
        order_ref: String,
        power_dw: u32,
        voltage_dv: u32,
        current_ma: u32,
        energy_wh: u64,
        elapsed_secs: u64,
        at: DateTime<Utc>,
    },
    ChargingEnded {
        device: DeviceKey,
        port: u32,
        order_ref: String,
        business_no: u32,
        reason: EndReasonCode,
        raw_reason: u32,
        energy_wh: u64,
        duration_secs: u64,
        amount_fen: i64,
        settle_power_dw: u32,
        card_no: String,
        at: DateTime<Utc>,
    },
    CardSwiped {
        device: DeviceKey,
        port: u32,
        card_no: String,
        /// GN: the business number the socket allocated for the order; 0 for DNY.
        business_no: u32,
        at: DateTime<Utc>,
    },
    Alarm {
        device: DeviceKey,
        port: u32,
        kind: String,
        raw_code: u32,
        detail: String,
        at: DateTime<Utc>,
    },
    /// The device confirmed a start (DNY 0x82 answer, GN 0x0015/0x07 and 0x0F answers,
    /// BKV 0x1007 answer).
    ChargingStarted {
        device: DeviceKey,
        port: u32,
        order_ref: String,
        business_no: u32,
        at: DateTime<Utc>,
    },
    /// A device behind the connection went away while the connection stays (a GN
    /// socket missing from its gateway's status reports). The connection's own end is
    /// published by the connection, which knows why it closed.
    Disconnected {
        device: DeviceKey,
        reason: DisconnectCause,
        detail: String,
        /// Since the device was last seen appearing (its `Connected`).
        connected_secs: u64,
        at: DateTime<Utc>,
    },
    /// Parameters the device reported: name (with its unit suffix, as `pylon decode`
    /// names it) → value as text.
    ParameterReport {
        device: DeviceKey,
        parameters: BTreeMap<String, String>,
        at: DateTime<Utc>,
    },
    /// A firmware packet was answered, or a transfer the gateway ran ended (`end`).
    FirmwareProgress {
        device: DeviceKey,
        /// The packet the device answered for (from 1); 0 when the answer has none.
        packet: u32,
        /// Packets in all: 0 on a packet answer (it does not say), set on a transfer's
        /// end.
        total: u32,
        /// 0 ok, otherwise the device's code.
        result: u32,
        /// How the gateway's transfer ended; `None` on a packet answer.
        end: Option<TransferEnd>,
        /// Why it ended, zh-CN / en; empty on a packet answer.
        detail: String,
        at: DateTime<Utc>,
    },
}

/// How a firmware transfer the gateway ran ended (device.proto `FirmwareTransferEnd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEnd {
    Completed,
    /// The device refused a packet, or kept asking for it again.
    Rejected,
    /// A packet stayed unanswered after its resends.
    Timeout,
    DeviceOffline,
    /// The gateway gave up (shutdown, the device stayed busy).
    Aborted,
}

/// Why a device behind a live connection counts as gone (device.proto
/// `DisconnectReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectCause {
    /// Not seen for the protocol's allowance of report periods.
    IdleTimeout,
    /// A GN socket whose gateway's connection ended.
    GatewayGone,
}

impl DeviceEvent {
    pub fn device(&self) -> &DeviceKey {
        match self {
            DeviceEvent::Connected { device, .. }
            | DeviceEvent::Heartbeat { device, .. }
            | DeviceEvent::PortStatus { device, .. }
            | DeviceEvent::Meter { device, .. }
            | DeviceEvent::ChargingEnded { device, .. }
            | DeviceEvent::CardSwiped { device, .. }
            | DeviceEvent::Alarm { device, .. }
            | DeviceEvent::ChargingStarted { device, .. }
            | DeviceEvent::Disconnected { device, .. }
            | DeviceEvent::ParameterReport { device, .. }
            | DeviceEvent::FirmwareProgress { device, .. } => device,
        }
    }

    /// The last subject token (`pylon.device.<tenant>.<device>.<kind>`).
    /// Every [`DeviceEvent::kind`].
    pub const KINDS: [&'static str; 11] = [
        "connected",
        "heartbeat",
        "port_status",
        "meter",
        "charging_ended",
        "card_swiped",
        "alarm",
        "charging_started",
        "disconnected",
        "parameter_report",
        "firmware_progress",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            DeviceEvent::Connected { .. } => "connected",
            DeviceEvent::Heartbeat { .. } => "heartbeat",
            DeviceEvent::PortStatus { .. } => "port_status",
            DeviceEvent::Meter { .. } => "meter",
            DeviceEvent::ChargingEnded { .. } => "charging_ended",
            DeviceEvent::CardSwiped { .. } => "card_swiped",
            DeviceEvent::Alarm { .. } => "alarm",
            DeviceEvent::ChargingStarted { .. } => "charging_started",
            DeviceEvent::Disconnected { .. } => "disconnected",
            DeviceEvent::ParameterReport { .. } => "parameter_report",
            DeviceEvent::FirmwareProgress { .. } => "firmware_progress",
        }
    }
}

/// The parameters of a codec's JSON view of an answer: every scalar field by its name
/// (which carries its unit, `_s`, `_dw`, …, as `pylon decode` shows it) as text, except
/// the fields named in `skip`.
pub fn parameter_map(fields: &serde_json::Value, skip: &[&str]) -> BTreeMap<String, String> {
    let Some(map) = fields.as_object() else {
        return BTreeMap::new();
    };
    map.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.clone(), text))
        })
        .collect()
}
