//! BKV 0x1017: the socket status cluster (↑ every 5 min and on any change) and
//! its acknowledgement (↓ `0x0F = 01`).
//!
//! ```text
//! 0x94 (one per socket) = list: 0x4A socket, 0x3E firmware, 0x07 temperature, 0x96 RSSI,
//!     0x5B (one per port) = list: 0x08 port, 0x09 status, 0x0A business no, 0x95 voltage,
//!                                 0x0B power, 0x0C current, 0x0D energy, 0x0E minutes
//! ```

use super::macros::bkv_record;
use super::value::{Int, Minutes, Nested};
use crate::codes::{PortStatus, ResultCode, SocketFirmware};
use crate::ids::{BusinessNo, PortNo, SocketNo};
use crate::units::{Celsius, DeciVolts, DeciWatts, MilliAmps, Seconds, Wh};

bkv_record! {
    /// One port of a status cluster (BKV key 0x5B, 插孔属性).
    pub struct PortCluster {
        /// 0x08 port: 0 = A, 1 = B.
        0x08 "port" => port: PortNo = Int<1>,
        /// 0x09 port status bit field.
        0x09 "status" => status: PortStatus = Int<1>,
        /// 0x0A business number of the running order (0 when idle).
        0x0A "business_no" => business_no: BusinessNo = Int<2>,
        /// 0x95 voltage.
        0x95 "voltage_dv" => voltage: DeciVolts = Int<2>,
        /// 0x0B instantaneous power.
        0x0B "power_dw" => power: DeciWatts = Int<2>,
        /// 0x0C instantaneous current.
        0x0C "current_ma" => current: MilliAmps = Int<2>,
        /// 0x0D energy since the start of this charge.
        0x0D "energy_wh" => energy: Wh = Int<2>,
        /// 0x0E charge time (minutes on the wire).
        0x0E "charge_duration_s" => charge_duration: Seconds = Minutes<2>,
    }
}

bkv_record! {
    /// One socket of a status report (BKV key 0x94).
    pub struct SocketCluster {
        /// 0x4A socket number.
        0x4A "socket" => socket: SocketNo = Int<1>,
        /// 0x3E socket firmware.
        0x3E "sw_version" => firmware: SocketFirmware = Int<2>,
        /// 0x07 socket MCU temperature.
        0x07 "temperature_c" => temperature: Celsius = Int<1>,
        /// 0x96 radio signal strength.
        0x96 "rssi" => rssi: u8 = Int<1>,
    }
    lists {
        /// 0x5B, one per port.
        0x5B "ports" => ports: PortCluster = Nested<PortCluster>,
    }
}

bkv_record! {
    /// BKV 0x1017 ↑: socket status report.
    pub struct StatusReport {
    }
    lists {
        /// 0x94, one per socket.
        0x94 "sockets" => sockets: SocketCluster = Nested<SocketCluster>,
    }
}

bkv_record! {
    /// BKV 0x1017 ↓: the server's acknowledgement of a status report.
    pub struct StatusReportAck {
        /// 0x0F 1 ok, 0 error.
        0x0F "ack" => ack: ResultCode = Int<1>,
    }
}
