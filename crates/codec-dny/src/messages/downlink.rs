//! Everything the server sends to a device (or host), by command byte.

use super::macros::message_enum;
use super::*;

message_enum! {
    /// A downlink (server → device) message, including the server's answers
    /// to device requests.
    Downlink, Direction::Down, "down" {
        0x01 => OldHeartbeatAnswer(ResultAnswer), "old heartbeat answer";
        0x02 => CardSwipeAnswer(CardSwipeAnswer), "card swipe answer";
        0x03 => SettlementAnswer(ResultAnswer), "settlement answer";
        0x04 => OrderConfirmationAnswer(OrderConfirmationAnswer), "order confirmation answer";
        0x12 => HostTime(TimeAnswer), "host server time";
        0x15 => HostUpgradeRequestAnswer(ResultAnswer), "host upgrade request answer";
        0x20 => RegisterAnswer(ResultAnswer), "register answer";
        0x21 => HeartbeatAnswer(ResultAnswer), "heartbeat answer";
        0x22 => Time(TimeAnswer), "server time";
        0x31 => RebootHost(NoData), "reboot host";
        0x32 => RebootModem(NoData), "reboot modem";
        0x33 => ClearSubDeviceUpgrade(NoData), "clear sub-device upgrade data";
        0x34 => ChangeServerAddress(ServerAddress), "change server address";
        0x3A => SetFskParams(SetFskParams), "set FSK host parameters";
        0x72 => CabinetStop(CabinetStop), "cabinet stop without opening";
        0x81 => QueryNetworkStatus(NoData), "query network status";
        0x82 => StartStop(StartStop), "start/stop charging";
        0x83 => SetRunParams11(RunParams11), "set run parameters 1.1";
        0x84 => SetRunParams12(RunParams12), "set run parameters 1.2";
        0x85 => SetRunParams2(RunParams2), "set max time/overload power";
        0x86 => SetCardParams(CardParams), "set user-card parameters";
        0x87 => Reboot(NoData), "reboot";
        0x88 => ClearStorage(NoData), "clear storage";
        0x89 => PlayVoice(PlayVoice), "play voice";
        0x8A => ModifyCharge(ModifyCharge), "modify charge";
        0x8B => EepromRead(EepromRead), "read EEPROM";
        0x8C => EepromWrite(EepromWrite), "write EEPROM";
        0x8D => SetWorkMode(SetWorkMode), "set work mode";
        0x8E => SetQrCode(SetQrCode), "set QR code";
        0x8F => SetTcCardMode(SetTcCardMode), "set TC card mode";
        0x90 => ReadRunParams11(NoData), "read run parameters 1.1";
        0x91 => ReadRunParams12(NoData), "read run parameters 1.2";
        0x92 => ReadRunParams2(NoData), "read run parameters 2";
        0x93 => ReadCardParams(NoData), "read user-card parameters";
        0x95 => TempQrCode(TempQrCode), "temporary QR code";
        0x96 => Locate(Locate), "locate device";
        0x97 => SetRunParams13(RunParams13), "set run parameters 1.3";
        0x98 => MultiFunction(MultiFunction), "multi-function";
        0xE0 => UpgradeSubDevice(FirmwarePacket), "sub-device upgrade packet";
        0xE1 => UpgradePowerBoard(FirmwarePacket), "power-board upgrade packet";
        0xE2 => UpgradeHostWide(FirmwarePacket), "host-wide upgrade packet";
        0xE4 => TriggerSelfUpgrade(NoData), "trigger self-upgrade";
        0xF8 => UpgradeOld(FirmwarePacket), "old upgrade packet";
        0xF9 => HostUpgradeOld(FirmwarePacket), "old host upgrade packet";
        0xFA => HostUpgrade(HostUpgrade), "host upgrade";
        0xFD => ReservedFd(ReservedFd), "reserved 0xFD";
        0xFE => ReservedFe(ReservedFe), "reserved 0xFE";
    }
}
