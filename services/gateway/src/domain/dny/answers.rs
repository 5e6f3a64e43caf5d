//! DNY answers to server commands that say something about the device beyond completing
//! the command (which is the executor's business): a confirmed start, the parameters a
//! read returned, the progress of a firmware upgrade.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use codec_dny::{StartStopAnswer, UpgradeAnswer, Uplink};

use super::port_number;
use crate::domain::event::parameter_map;
use crate::domain::{DeviceEvent, DeviceKey, Output};

/// 0x82 answer codes that mean the port now charges (fact sheet 1.8.6): 0 done, 9
/// pre-check found a welded relay but charging started anyway.
const STARTED: [u8; 2] = [0, 9];

/// Which answers map to which events. `started` holds, per wire port, the order number
/// last published as started.
pub(super) fn on_answer(
    started: &mut HashMap<u8, [u8; 16]>,
    device: DeviceKey,
    message: &Uplink,
    now: DateTime<Utc>,
    out: &mut Vec<Output>,
) {
    match message {
        Uplink::StartStopAnswer(a) => start_answer(started, device, a, now, out),
        Uplink::RunParams11(p) => parameters(device, p, now, out),
        Uplink::RunParams12(p) => parameters(device, p, now, out),
        Uplink::RunParams2(p) => parameters(device, p, now, out),
        // The card keys stay off the event bus: tenants subscribe to it.
        Uplink::CardParams(p) => parameters(device, p, now, out),
        Uplink::UpgradeSubDeviceAnswer(a)
        | Uplink::UpgradePowerBoardAnswer(a)
        | Uplink::UpgradeHostWideAnswer(a)
        | Uplink::UpgradeOldAnswer(a)
        | Uplink::HostUpgradeOldAnswer(a)
        | Uplink::HostUpgradeAnswer(a) => firmware(device, a, now, out),
        _ => {}
    }
}

/// 0x82 ↑. The answer does not say whether it answers a start or a stop, but a stop
/// must carry the running order number (1.7.8), which this session published as
/// started already: the first successful answer per (port, order number) is the start.
/// A stop of a charge begun before this connection reads as a start once; consumers
/// key starts by order. The 2-byte answer (`01 01`, 4.1 #5) names no order and maps to
/// nothing.
fn start_answer(
    started: &mut HashMap<u8, [u8; 16]>,
    device: DeviceKey,
    a: &StartStopAnswer,
    now: DateTime<Utc>,
    out: &mut Vec<Output>,
) {
    let (Some(order), Some(port)) = (a.order_no, a.port) else {
        return;
    };
    if !STARTED.contains(&a.result) {
        return;
    }
    if started.insert(port.get(), *order.as_bytes()) == Some(*order.as_bytes()) {
        return;
    }
    out.push(Output::Event(DeviceEvent::ChargingStarted {
        device,
        port: port_number(port.get()),
        order_ref: order.to_string(),
        business_no: 0,
        at: now,
    }));
}

/// 0x90–0x93 ↑: the parameters as the codec names them (units in the names).
fn parameters<T: serde::Serialize>(
    device: DeviceKey,
    p: &T,
    now: DateTime<Utc>,
    out: &mut Vec<Output>,
) {
    let Ok(fields) = serde_json::to_value(p) else {
        return;
    };
    out.push(Output::Event(DeviceEvent::ParameterReport {
        device,
        parameters: parameter_map(&fields, &["user_key_hex", "new_card_key_hex"]),
        at: now,
    }));
}

/// 0xE0–E2, 0xF8–FA ↑: the packet answered and the device's result.
fn firmware(device: DeviceKey, a: &UpgradeAnswer, now: DateTime<Utc>, out: &mut Vec<Output>) {
    out.push(Output::Event(DeviceEvent::FirmwareProgress {
        device,
        packet: a.packet.map_or(0, u32::from),
        total: 0,
        result: u32::from(a.result),
        end: None,
        detail: String::new(),
        at: now,
    }));
}
