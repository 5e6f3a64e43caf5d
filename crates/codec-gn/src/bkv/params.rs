//! BKV 0x1011 (set socket parameters) and 0x1012 (query them), with answers.
//! Senders include only the parameters they set; every field is optional.

use super::macros::bkv_record;
use super::value::{Int, Minutes};
use crate::codes::ResultCode;
use crate::ids::SocketNo;
use crate::units::{Celsius, DeciWatts, Fen, MilliAmps, Seconds};

bkv_record! {
    /// BKV 0x1011 ↓: set socket parameters (only the keys to change).
    pub struct SetParams {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x21 full-charge continue time (FULL_Charge_Delay), seconds on the wire.
        0x21 "full_charge_delay_s" => full_charge_delay: Seconds = Int<2>,
        /// 0x22 no-load delay (NULL_Charge_Delay), seconds on the wire.
        0x22 "no_load_delay_s" => no_load_delay: Seconds = Int<2>,
        /// 0x23 full-charge power threshold.
        0x23 "full_power_threshold_dw" => full_power_threshold: DeciWatts = Int<2>,
        /// 0x24 no-load power threshold.
        0x24 "no_load_power_threshold_dw" => no_load_power_threshold: DeciWatts = Int<2>,
        /// 0x25 high-temperature threshold.
        0x25 "high_temperature_threshold_c" => high_temperature_threshold: Celsius = Int<1>,
        /// 0x11 power limit (Threshold_P).
        0x11 "power_limit_dw" => power_limit: DeciWatts = Int<2>,
        /// 0x59 max charge time (minutes on the wire).
        0x59 "max_charge_duration_s" => max_charge_duration: Seconds = Minutes<2>,
        /// 0x60 trickle threshold in percent.
        0x60 "trickle_threshold_pct" => trickle_threshold_pct: u8 = Int<1>,
        /// 0x10 over-current limit.
        0x10 "overcurrent_limit_ma" => overcurrent_limit: MilliAmps = Int<2>,
        /// 0x68 key-press base amount (presumably fen).
        0x68 "key_base_amount_fen" => key_base_amount: Fen = Int<4>,
        /// 0x93 anti-pulse time (unit not stated).
        0x93 "anti_pulse_time_raw" => anti_pulse_time_raw: u16 = Int<2>,
    }
}

bkv_record! {
    /// BKV 0x1011 ↑: the device's answer to set parameters.
    pub struct SetParamsAnswer {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
    }
}

bkv_record! {
    /// BKV 0x1012 ↓: query socket parameters.
    pub struct QueryParams {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
    }
}

bkv_record! {
    /// BKV 0x1012 ↑: the socket's parameters. Keys 0x98–0x9B are undocumented
    /// and stay in `extra`.
    pub struct ParamsAnswer {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
        /// 0x23 full-charge power threshold.
        0x23 "full_power_threshold_dw" => full_power_threshold: DeciWatts = Int<2>,
        /// 0x60 trickle threshold in percent.
        0x60 "trickle_threshold_pct" => trickle_threshold_pct: u8 = Int<1>,
        /// 0x21 full-charge continue time, seconds on the wire.
        0x21 "full_charge_delay_s" => full_charge_delay: Seconds = Int<2>,
        /// 0x24 no-load power threshold.
        0x24 "no_load_power_threshold_dw" => no_load_power_threshold: DeciWatts = Int<2>,
        /// 0x22 no-load delay, seconds on the wire.
        0x22 "no_load_delay_s" => no_load_delay: Seconds = Int<2>,
        /// 0x59 max charge time (minutes on the wire).
        0x59 "max_charge_duration_s" => max_charge_duration: Seconds = Minutes<2>,
        /// 0x25 high-temperature threshold.
        0x25 "high_temperature_threshold_c" => high_temperature_threshold: Celsius = Int<1>,
        /// 0x11 power limit.
        0x11 "power_limit_dw" => power_limit: DeciWatts = Int<2>,
        /// 0x10 over-current limit.
        0x10 "overcurrent_limit_ma" => overcurrent_limit: MilliAmps = Int<2>,
        /// 0x68 key-press base amount (presumably fen).
        0x68 "key_base_amount_fen" => key_base_amount: Fen = Int<4>,
        /// 0x93 anti-pulse time (unit not stated).
        0x93 "anti_pulse_time_raw" => anti_pulse_time_raw: u16 = Int<2>,
    }
}
