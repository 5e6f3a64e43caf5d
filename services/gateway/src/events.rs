//! Device events as published: protobuf payloads of `pylon.events.v1` on
//! `pylon.device.<tenant>.<device_id>.<kind>`, and raw frames on
//! `pylon.raw.<protocol>.<device_id>`.

use bus::{Namespace, OutgoingEvent};
use chrono::{DateTime, Utc};
use proto::events as pb;

use crate::domain::{
    DeviceEvent, DeviceKey, DisconnectCause, EndReasonCode, PortState, Protocol, TransferEnd,
};

/// `ce-source` of every gateway event.
pub const SOURCE: &str = "pylon/gateway";
/// The tenant token of a device no operator has claimed (DESIGN §4).
pub const UNASSIGNED: &str = "_";

/// Where the connection is, for the events that say so.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub remote_addr: String,
    pub replica: String,
    /// The operator the device is registered to (`device_registry`), or `_` while it is
    /// unassigned: the subject's tenant token and `ce-tenant`.
    pub tenant: String,
}

fn ts(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(bus::event::timestamp(t))
}

pub fn device_ref(d: &DeviceKey) -> Option<pb::DeviceRef> {
    Some(pb::DeviceRef {
        device_id: d.device_id.clone(),
        protocol: match d.protocol {
            Protocol::Dny => pb::Protocol::Dny,
            Protocol::Gn => pb::Protocol::Gn,
        } as i32,
        gateway_id: d.gateway_id.clone().unwrap_or_default(),
    })
}

/// The protobuf `PortState` of a normalized port state.
pub fn port_state(s: PortState) -> i32 {
    (match s {
        PortState::Idle => pb::PortState::Idle,
        PortState::Charging => pb::PortState::Charging,
        PortState::Full => pb::PortState::Full,
        PortState::Fault => pb::PortState::Fault,
        PortState::Offline => pb::PortState::Offline,
        PortState::Occupied => pb::PortState::Occupied,
    }) as i32
}

fn reason(r: EndReasonCode) -> i32 {
    (match r {
        EndReasonCode::TimeLimit => pb::EndReason::TimeLimit,
        EndReasonCode::EnergyLimit => pb::EndReason::EnergyLimit,
        EndReasonCode::Full => pb::EndReason::Full,
        EndReasonCode::Unplugged => pb::EndReason::Unplugged,
        EndReasonCode::RemoteStop => pb::EndReason::RemoteStop,
        EndReasonCode::OverPower => pb::EndReason::OverPower,
        EndReasonCode::Fault => pb::EndReason::Fault,
        EndReasonCode::PowerLoss => pb::EndReason::PowerLoss,
        EndReasonCode::NoLoad => pb::EndReason::NoLoad,
        EndReasonCode::Other => pb::EndReason::Other,
    }) as i32
}

fn transfer_end(e: TransferEnd) -> pb::FirmwareTransferEnd {
    match e {
        TransferEnd::Completed => pb::FirmwareTransferEnd::Completed,
        TransferEnd::Rejected => pb::FirmwareTransferEnd::Rejected,
        TransferEnd::Timeout => pb::FirmwareTransferEnd::Timeout,
        TransferEnd::DeviceOffline => pb::FirmwareTransferEnd::DeviceOffline,
        TransferEnd::Aborted => pb::FirmwareTransferEnd::Aborted,
    }
}

fn subject(ns: &Namespace, tenant: &str, device: &DeviceKey, kind: &str) -> String {
    ns.subject(&["device", tenant, &device.device_id, kind])
}

/// The event to publish for `e`.
pub fn outgoing(ns: &Namespace, e: &DeviceEvent, conn: &ConnInfo) -> OutgoingEvent {
    let device = e.device();
    let subj = subject(ns, &conn.tenant, device, e.kind());
    match e {
        DeviceEvent::Connected { iccid, at, .. } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::DeviceConnected {
                device: device_ref(device),
                remote_addr: conn.remote_addr.clone(),
                replica: conn.replica.clone(),
                iccid: iccid.clone().unwrap_or_default(),
                connected_at: ts(*at),
            },
        ),
        DeviceEvent::Heartbeat {
            signal,
            iccid,
            firmware,
            voltage_dv,
            temperature_c,
            port_count,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::DeviceHeartbeat {
                device: device_ref(device),
                signal: *signal,
                iccid: iccid.clone().unwrap_or_default(),
                firmware: firmware.clone(),
                voltage_dv: *voltage_dv,
                temperature_c: *temperature_c,
                port_count: *port_count,
                reported_at: ts(*at),
            },
        ),
        DeviceEvent::PortStatus {
            port,
            state: s,
            previous,
            raw_status,
            snapshot,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::PortStatusChanged {
                device: device_ref(device),
                port: *port,
                state: port_state(*s),
                previous: previous.map_or(0, port_state),
                raw_status: *raw_status,
                snapshot: *snapshot,
                reported_at: ts(*at),
            },
        ),
        DeviceEvent::Meter {
            port,
            order_ref,
            power_dw,
            voltage_dv,
            current_ma,
            energy_wh,
            elapsed_secs,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::MeterSample {
                device: device_ref(device),
                port: *port,
                order_ref: order_ref.clone(),
                power_dw: *power_dw,
                voltage_dv: *voltage_dv,
                current_ma: *current_ma,
                energy_wh: *energy_wh,
                elapsed_secs: *elapsed_secs,
                sampled_at: ts(*at),
            },
        ),
        DeviceEvent::ChargingEnded {
            port,
            order_ref,
            business_no,
            reason: r,
            raw_reason,
            energy_wh,
            duration_secs,
            amount_fen,
            settle_power_dw,
            card_no,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::ChargingEnded {
                device: device_ref(device),
                port: *port,
                order_ref: order_ref.clone(),
                business_no: *business_no,
                reason: reason(*r),
                raw_reason: *raw_reason,
                energy_wh: *energy_wh,
                duration_secs: *duration_secs,
                amount_fen: *amount_fen,
                electricity_fee_fen: 0,
                service_fee_fen: 0,
                settle_power_dw: *settle_power_dw,
                card_no: card_no.clone(),
                ended_at: ts(*at),
            },
        ),
        DeviceEvent::CardSwiped {
            port,
            card_no,
            business_no,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::CardSwiped {
                device: device_ref(device),
                port: *port,
                card_no: card_no.clone(),
                business_no: *business_no,
                swiped_at: ts(*at),
            },
        ),
        DeviceEvent::Alarm {
            port,
            kind,
            raw_code,
            detail,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::DeviceAlarm {
                device: device_ref(device),
                port: *port,
                kind: kind.clone(),
                raw_code: *raw_code,
                detail: detail.clone(),
                raised_at: ts(*at),
            },
        ),
        DeviceEvent::ChargingStarted {
            port,
            order_ref,
            business_no,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::ChargingStarted {
                device: device_ref(device),
                port: *port,
                order_ref: order_ref.clone(),
                business_no: *business_no,
                started_at: ts(*at),
            },
        ),
        // A device behind a live connection (a GN socket): the same payload and subject
        // as a connection that ends.
        DeviceEvent::Disconnected {
            reason: why,
            detail,
            connected_secs,
            at,
            ..
        } => disconnected(
            ns,
            &conn.tenant,
            device,
            match why {
                DisconnectCause::IdleTimeout => pb::DisconnectReason::IdleTimeout,
                DisconnectCause::GatewayGone => pb::DisconnectReason::Closed,
            },
            detail,
            *connected_secs,
            *at,
        ),
        DeviceEvent::ParameterReport { parameters, at, .. } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::ParameterReport {
                device: device_ref(device),
                parameters: parameters.clone().into_iter().collect(),
                reported_at: ts(*at),
            },
        ),
        DeviceEvent::FirmwareProgress {
            packet,
            total,
            result,
            end,
            detail,
            at,
            ..
        } => OutgoingEvent::new(
            subj,
            SOURCE,
            &conn.tenant,
            *at,
            &pb::FirmwareProgress {
                device: device_ref(device),
                packet: *packet,
                total: *total,
                result: *result,
                reported_at: ts(*at),
                end: end.map_or(pb::FirmwareTransferEnd::Unspecified, transfer_end) as i32,
                detail: detail.clone(),
            },
        ),
    }
}

/// `DeviceDisconnected` for a connection that ends.
pub fn disconnected(
    ns: &Namespace,
    tenant: &str,
    device: &DeviceKey,
    why: pb::DisconnectReason,
    detail: &str,
    connected_secs: u64,
    at: DateTime<Utc>,
) -> OutgoingEvent {
    OutgoingEvent::new(
        subject(ns, tenant, device, "disconnected"),
        SOURCE,
        tenant,
        at,
        &pb::DeviceDisconnected {
            device: device_ref(device),
            reason: why as i32,
            detail: detail.to_owned(),
            connected_secs,
            disconnected_at: ts(at),
        },
    )
}

#[cfg(test)]
mod tests;
