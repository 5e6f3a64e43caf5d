//! BKV 0x1004 (charging ended, electricity + service-fee mode) and 0x1007
//! (start/stop charging in that mode), with their answers.

use super::macros::bkv_record;
use super::value::{Bcd, Brackets, FeeBracket, Int, Minutes, Raw};
use crate::codes::{PortStatus, RawBytes, ResultCode, Switch};
use crate::ids::{BusinessNo, PortNo, SocketNo};
use crate::units::{Celsius, DeciWatts, Fen, MilliAmps, Seconds, UnixTime, Wh};

bkv_record! {
    /// BKV 0x1004 ↑: charging ended (electricity + service-fee mode).
    pub struct ChargeEnded {
        /// 0x07 socket MCU temperature.
        0x07 "temperature_c" => temperature: Celsius = Int<1>,
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x08 port.
        0x08 "port" => port: PortNo = Int<1>,
        /// 0x09 port status at the end.
        0x09 "status" => status: PortStatus = Int<1>,
        /// 0x0A business (order) number.
        0x0A "business_no" => business_no: BusinessNo = Int<2>,
        /// 0x0B instantaneous power.
        0x0B "power_dw" => power: DeciWatts = Int<2>,
        /// 0x0C instantaneous current.
        0x0C "current_ma" => current: MilliAmps = Int<2>,
        /// 0x0D energy used.
        0x0D "energy_wh" => energy: Wh = Int<2>,
        /// 0x0E charge time (minutes on the wire).
        0x0E "charge_duration_s" => charge_duration: Seconds = Minutes<2>,
        /// 0x2E end time (BCD local wall clock on the wire).
        0x2E "end_time" => end_time: UnixTime = Bcd,
        /// 0x2F end reason (codes undocumented; kept raw).
        0x2F "end_reason" => end_reason: u8 = Int<1>,
        /// 0x12 charging mode (4 = electricity + service fee).
        0x12 "charge_mode" => charge_mode: u8 = Int<1>,
        /// 0x85 electricity fee.
        0x85 "electricity_fee_fen" => electricity_fee: Fen = Int<2>,
        /// 0x86 service fee.
        0x86 "service_fee_fen" => service_fee: Fen = Int<2>,
        /// 0x89 number of fee brackets.
        0x89 "bracket_count" => bracket_count: u8 = Int<1>,
        /// 0x84 per-bracket charged time & energy (6 bytes per bracket; split undocumented).
        0x84 "bracket_usage_hex" => bracket_usage: RawBytes = Raw,
    }
}

bkv_record! {
    /// BKV 0x1004 ↓: the server's acknowledgement of an end report.
    pub struct ChargeEndedAck {
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x08 port.
        0x08 "port" => port: PortNo = Int<1>,
    }
}

bkv_record! {
    /// BKV 0x1007 ↓: start or stop charging (electricity + service-fee mode).
    pub struct StartStop {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x08 port.
        0x08 "port" => port: PortNo = Int<1>,
        /// 0x13 switch: 1 on, 0 off.
        0x13 "switch" => switch: Switch = Int<1>,
        /// 0x12 charging mode (4 = electricity + service fee).
        0x12 "charge_mode" => charge_mode: u8 = Int<1>,
        /// 0x47 control type (1 in the only example; meaning not stated).
        0x47 "control_type" => control_type: u8 = Int<1>,
        /// 0x88 amount paid.
        0x88 "payment_fen" => payment: Fen = Int<2>,
        /// 0x80 service-fee mode: 0 by time, 1 by energy.
        0x80 "service_fee_mode" => service_fee_mode: u8 = Int<1>,
        /// 0x89 number of fee brackets.
        0x89 "bracket_count" => bracket_count: u8 = Int<1>,
        /// 0x83 fee brackets (the last must end at 23:59).
        0x83 "fee_brackets" => fee_brackets: Vec<FeeBracket> = Brackets,
    }
}

bkv_record! {
    /// BKV 0x1007 ↑: the device's answer to start/stop. Not shown in the document;
    /// typed by analogy with the other answers (**unverified**), every other key
    /// is kept in `extra`.
    pub struct StartStopAnswer {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x08 port.
        0x08 "port" => port: PortNo = Int<1>,
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
        /// 0x0A business number, if the device allocates one.
        0x0A "business_no" => business_no: BusinessNo = Int<2>,
    }
}
