//! Everything a device (or host) sends to the server, by command byte.

use super::macros::message_enum;
use super::*;

message_enum! {
    /// An uplink (device → server) message. The command byte alone does not
    /// tell a request from an answer: 0x82 up is the answer to a start/stop,
    /// 0x82 down the command itself.
    Uplink, Direction::Up, "up" {
        0x00 => Rs485Poll(Rs485Poll), "RS-485 poll";
        0x01 => OldHeartbeat(OldHeartbeat), "old heartbeat";
        0x02 => CardSwipe(CardSwipe), "card swipe";
        0x03 => Settlement(Settlement), "settlement";
        0x04 => OrderConfirmation(OrderConfirmation), "order confirmation";
        0x05 => UpgradeRequest(UpgradeRequest), "upgrade request";
        0x06 => PortPowerHeartbeat(PortPowerHeartbeat), "port power heartbeat";
        0x09 => TestMode(TestMode), "sub-device test mode";
        0x0A => SetHostServerAddress(ServerAddress), "sub-device sets host server address";
        0x11 => HostHeartbeat(HostHeartbeat), "host heartbeat";
        0x12 => HostTimeRequest(NoData), "host get server time";
        0x15 => HostUpgradeRequest(NoData), "host upgrade request (old)";
        0x17 => HostStatus(HostStatus), "host status report";
        0x20 => Register(Register), "register";
        0x21 => Heartbeat(Heartbeat), "heartbeat";
        0x22 => TimeRequest(NoData), "get server time";
        0x31 => RebootHostAnswer(ResultAnswer), "reboot host answer";
        0x32 => RebootModemAnswer(ResultAnswer), "reboot modem answer";
        0x33 => ClearSubDeviceUpgradeAnswer(ResultAnswer), "clear sub-device upgrade data answer";
        0x34 => ChangeServerAddressAnswer(ResultAnswer), "change server address answer";
        0x35 => SubDeviceVersions(SubDeviceVersions), "sub-device versions";
        0x3A => SetFskParamsAnswer(ResultAnswer), "set FSK host parameters answer";
        0x3B => FskParamsRequest(FskParamsRequest), "FSK host parameters request";
        0x41 => CabinetHeartbeat(CabinetHeartbeat), "charging-cabinet heartbeat";
        0x42 => Alarm(Alarm), "alarm";
        0x43 => ChargeFinished(ChargeFinished), "cabinet charge finished, not settled";
        0x44 => CabinetPortPush(CabinetPortPush), "cabinet port push";
        0x72 => CabinetStopAnswer(CabinetStopAnswer), "cabinet stop answer";
        0x82 => StartStopAnswer(StartStopAnswer), "start/stop answer";
        0x83 => SetRunParams11Answer(ResultAnswer), "set run parameters 1.1 answer";
        0x84 => SetRunParams12Answer(ResultAnswer), "set run parameters 1.2 answer";
        0x85 => SetRunParams2Answer(ResultAnswer), "set max time/overload power answer";
        0x86 => SetCardParamsAnswer(ResultAnswer), "set user-card parameters answer";
        0x87 => RebootAnswer(ResultAnswer), "reboot answer";
        0x88 => ClearStorageAnswer(ResultAnswer), "clear storage answer";
        0x89 => PlayVoiceAnswer(ResultAnswer), "play voice answer";
        0x8A => ModifyChargeAnswer(ResultAnswer), "modify charge answer";
        0x8B => EepromReadAnswer(EepromReadAnswer), "read EEPROM answer";
        0x8C => EepromWriteAnswer(ResultAnswer), "write EEPROM answer";
        0x8D => SetWorkModeAnswer(ResultAnswer), "set work mode answer";
        0x8E => SetQrCodeAnswer(ResultAnswer), "set QR code answer";
        0x8F => SetTcCardModeAnswer(ResultAnswer), "set TC card mode answer";
        0x90 => RunParams11(RunParams11), "run parameters 1.1";
        0x91 => RunParams12(RunParams12), "run parameters 1.2";
        0x92 => RunParams2(RunParams2), "run parameters 2";
        0x93 => CardParams(CardParams), "user-card parameters";
        0x95 => TempQrCodeAnswer(ResultAnswer), "temporary QR code answer";
        0x96 => LocateAnswer(ResultAnswer), "locate answer";
        0x97 => SetRunParams13Answer(ResultAnswer), "set run parameters 1.3 answer";
        0x98 => MultiFunctionAnswer(ResultAnswer), "multi-function answer";
        0xE0 => UpgradeSubDeviceAnswer(UpgradeAnswer), "sub-device upgrade answer";
        0xE1 => UpgradePowerBoardAnswer(UpgradeAnswer), "power-board upgrade answer";
        0xE2 => UpgradeHostWideAnswer(UpgradeAnswer), "host-wide upgrade answer";
        0xF8 => UpgradeOldAnswer(UpgradeAnswer), "old upgrade answer";
        0xF9 => HostUpgradeOldAnswer(UpgradeAnswer), "old host upgrade answer";
        0xFA => HostUpgradeAnswer(UpgradeAnswer), "host upgrade answer";
        0xFD => ReservedFdAnswer(ReservedFdAnswer), "reserved 0xFD answer";
    }
}
