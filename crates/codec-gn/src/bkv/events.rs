//! BKV 0x1010 (abnormal event) with its acknowledgement, and the undocumented
//! 0x1013 a gateway sends once after every (re)connect.

use super::macros::bkv_record;
use super::value::{Bcd, Int};
use crate::codes::{PortStatus, ResultCode};
use crate::ids::{PortNo, SocketNo};
use crate::units::{DeciVolts, UnixTime};

bkv_record! {
    /// BKV 0x1010 ↑: abnormal event. Reason and status codes are undocumented
    /// and kept raw; leakage current and over-temperature values have no stated
    /// unit and are kept raw too.
    pub struct Event {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x54 socket event reason.
        0x54 "socket_event_reason" => socket_event_reason: u8 = Int<1>,
        /// 0x4B socket event status.
        0x4B "socket_event_status" => socket_event_status: u8 = Int<1>,
        /// 0x55 port 1 event reason.
        0x55 "port1_event_reason" => port1_event_reason: u8 = Int<1>,
        /// 0x4C port 1 event status.
        0x4C "port1_event_status" => port1_event_status: u8 = Int<1>,
        /// 0x56 port 2 event reason.
        0x56 "port2_event_reason" => port2_event_reason: u8 = Int<1>,
        /// 0x4D port 2 event status.
        0x4D "port2_event_status" => port2_event_status: u8 = Int<1>,
        /// 0x4E over-voltage value (0.1 V presumably: 0x08BC = 223.6 V).
        0x4E "over_voltage_dv" => over_voltage: DeciVolts = Int<2>,
        /// 0x4F under-voltage value.
        0x4F "under_voltage_dv" => under_voltage: DeciVolts = Int<2>,
        /// 0x50 port 1 leakage current (unit not stated).
        0x50 "port1_leak_current_raw" => port1_leak_current_raw: u16 = Int<2>,
        /// 0x51 port 2 leakage current (unit not stated).
        0x51 "port2_leak_current_raw" => port2_leak_current_raw: u16 = Int<2>,
        /// 0x52 port 1 over-temperature value.
        0x52 "port1_over_temperature_raw" => port1_over_temperature_raw: u8 = Int<1>,
        /// 0x53 port 2 over-temperature value.
        0x53 "port2_over_temperature_raw" => port2_over_temperature_raw: u8 = Int<1>,
        /// 0x57 port 1 charging status (port status bit field).
        0x57 "port1_charge_status" => port1_charge_status: PortStatus = Int<1>,
        /// 0x58 port 2 charging status.
        0x58 "port2_charge_status" => port2_charge_status: PortStatus = Int<1>,
    }
}

bkv_record! {
    /// BKV 0x1010 ↓: the server's acknowledgement of an event.
    pub struct EventAck {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
    }
}

bkv_record! {
    /// BKV 0x1013 ↑ (undocumented, captured): sent once after each (re)connect,
    /// right after the heartbeat. Key 0x5A (2 bytes, `31 11`/`31 12`) has no
    /// known meaning and stays in `extra`.
    pub struct ConnectReport {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x08 port (0x7F in every capture).
        0x08 "port" => port: PortNo = Int<1>,
        /// 0x06 the gateway's clock (BCD local wall clock on the wire).
        0x06 "time" => time: UnixTime = Bcd,
    }
}
