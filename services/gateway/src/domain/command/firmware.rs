//! DNY firmware images as packets, pure (fact sheet 1.7.11, 1.7.16, 1.8.3): which packet
//! command a request chose, the image cut into numbered blocks (the last one padded),
//! the optional check packet, and what a packet's answer means.

use bytes::{BufMut, Bytes, BytesMut};
use codec_dny::{Downlink, FirmwarePacket, HostUpgrade, UpgradeAnswer};
use proto::pylon::gateway::v1::{CommandResult, DnyCheckPacket, UpgradeRequest};

use super::{Invalid, Outgoing, Plan, ok, rejected};

/// The largest image the gateway takes. The request travels to the replica holding the
/// pile as one NATS message, and NATS carries at most 1 MiB by default (`max_payload`);
/// 64 KiB stay for the rest of the request. Pile MCUs hold a few hundred KiB at most.
pub const MAX_FIRMWARE_BYTES: usize = 960 * 1024;

/// Resends of an unanswered packet (fact sheet 1.4: "resend the current packet if no
/// answer in 30 s, up to 3 times").
pub const PACKET_RESENDS: u32 = 3;

/// The first bytes of a check packet (1.7.11).
const CHECK_MARK: [u8; 8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8];

/// The packet command, by the pile's model (1.8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketCommand {
    /// 0xE0: every current pile and the old wireless ones.
    SubDevice,
    /// 0xE1.
    PowerBoard,
    /// 0xE2.
    HostWide,
    /// 0xFA: hosts (LoRa, 433 MHz, AP262, leakage), after an empty 0xFA (1.7.16).
    Host,
    /// 0xF8, 256-byte blocks: old 485 and 10/16-port piles.
    Old,
}

impl PacketCommand {
    /// An empty kind means 0xE0: the command of every pile model still sold (1.8.3).
    fn parse(kind: &str) -> Result<Self, Invalid> {
        Ok(match kind {
            "" | "sub_device" => Self::SubDevice,
            "power_board" => Self::PowerBoard,
            "host_wide" => Self::HostWide,
            "host" => Self::Host,
            "old" => Self::Old,
            other => {
                return Err(Invalid::field(
                    "dny_kind",
                    format!(
                        "{other:?}: one of sub_device (0xE0), power_board (0xE1), host_wide \
                         (0xE2), host (0xFA), old (0xF8)"
                    ),
                ));
            }
        })
    }

    /// Firmware bytes per packet (1.8.3).
    pub fn block_len(self) -> usize {
        match self {
            Self::Old => 256,
            _ => 200,
        }
    }

    pub fn command(self) -> u8 {
        match self {
            Self::SubDevice => 0xE0,
            Self::PowerBoard => 0xE1,
            Self::HostWide => 0xE2,
            Self::Host => 0xFA,
            Self::Old => 0xF8,
        }
    }

    /// 0xFA opens the host's upgrade with an empty 0xFA before packet 1 (1.7.16).
    pub fn opens_first(self) -> bool {
        self == Self::Host
    }

    /// Only 1.7.11 (0xE0–E2) defines the check packet and the result codes 2–5.
    fn is_e_series(self) -> bool {
        matches!(self, Self::SubDevice | Self::PowerBoard | Self::HostWide)
    }

    fn downlink(self, packet: FirmwarePacket) -> Downlink {
        match self {
            Self::SubDevice => Downlink::UpgradeSubDevice(packet),
            Self::PowerBoard => Downlink::UpgradePowerBoard(packet),
            Self::HostWide => Downlink::UpgradeHostWide(packet),
            Self::Host => Downlink::HostUpgrade(HostUpgrade::Packet(packet)),
            Self::Old => Downlink::UpgradeOld(packet),
        }
    }
}

/// A validated image and how it goes out.
#[derive(Debug, Clone, PartialEq)]
pub struct Firmware {
    command: PacketCommand,
    image: Bytes,
    /// The 1.7.11 check packet, sent after the last block when asked for.
    check: Option<Bytes>,
    /// Packets in all, the check packet included (never the opening 0xFA).
    total: u16,
}

impl Firmware {
    pub fn new(r: &UpgradeRequest) -> Result<Self, Invalid> {
        let command = PacketCommand::parse(&r.dny_kind)?;
        if r.firmware.is_empty() {
            return Err(Invalid::field("firmware", "empty"));
        }
        if r.firmware.len() > MAX_FIRMWARE_BYTES {
            return Err(Invalid::field(
                "firmware",
                format!(
                    "{} bytes; at most {MAX_FIRMWARE_BYTES} (the request must fit one NATS \
                     message to reach the replica holding the pile)",
                    r.firmware.len()
                ),
            ));
        }
        let check = match &r.check_packet {
            Some(_) if !command.is_e_series() => {
                return Err(Invalid::field(
                    "check_packet",
                    "only 0xE0–E2 packets have a check packet (fact sheet 1.7.11)",
                ));
            }
            Some(c) => Some(check_packet(&r.firmware, c)?),
            None => None,
        };
        let blocks = r.firmware.len().div_ceil(command.block_len());
        let total = u16::try_from(blocks + usize::from(check.is_some()))
            .map_err(|_| Invalid::field("firmware", "more than 65535 packets"))?;
        Ok(Self {
            command,
            image: Bytes::copy_from_slice(&r.firmware),
            check,
            total,
        })
    }

    pub fn command(&self) -> PacketCommand {
        self.command
    }

    pub fn total(&self) -> u16 {
        self.total
    }

    /// Packet `n` (from 1) as its frame; 0 is the opening empty 0xFA of a host upgrade.
    pub fn message(&self, n: u16) -> Downlink {
        if n == 0 && self.command.opens_first() {
            return Downlink::HostUpgrade(HostUpgrade::Trigger);
        }
        self.command.downlink(FirmwarePacket {
            total: self.total,
            current: n,
            firmware: self.block(n),
        })
    }

    /// Block `n`: a slice of the image; the last one padded with zeros to the packet
    /// size (the fact sheet's packets are fixed-size, and zeros leave the byte sum the
    /// check packet announces unchanged); after the image, the check packet.
    fn block(&self, n: u16) -> Bytes {
        let len = self.command.block_len();
        let start = usize::from(n.saturating_sub(1)) * len;
        if start < self.image.len() {
            let end = (start + len).min(self.image.len());
            if end - start == len {
                return self.image.slice(start..end);
            }
            let mut padded = BytesMut::with_capacity(len);
            padded.put_slice(&self.image[start..end]);
            padded.resize(len, 0);
            return padded.freeze();
        }
        self.check.clone().unwrap_or_default()
    }
}

/// 1.7.11: `A1`…`A8`, the image's byte sum (u32 LE), device type (u8), version (u16 LE),
/// zeros up to 200 bytes.
fn check_packet(image: &[u8], c: &DnyCheckPacket) -> Result<Bytes, Invalid> {
    let device_type = u8::try_from(c.device_type)
        .map_err(|_| Invalid::field("check_packet.device_type", "0..=255"))?;
    let version = u16::try_from(c.firmware_version)
        .map_err(|_| Invalid::field("check_packet.firmware_version", "0..=65535"))?;
    let sum = image
        .iter()
        .fold(0u32, |s, b| s.wrapping_add(u32::from(*b)));
    let len = PacketCommand::SubDevice.block_len();
    let mut p = BytesMut::with_capacity(len);
    p.put_slice(&CHECK_MARK);
    p.put_u32_le(sum);
    p.put_u8(device_type);
    p.put_u16_le(version);
    p.resize(len, 0);
    Ok(p.freeze())
}

/// A packet's answer as the command's result. `command` is the answer's command byte.
/// Result 0 for the packet sent → OK. Any other result is REJECTED with the device's
/// code; an acknowledgement of another packet than the one sent reads as code 1 ("send
/// it again"): advancing would leave a hole in the image.
pub(super) fn interpret(plan: &Plan, command: u8, a: &UpgradeAnswer) -> CommandResult {
    let sent = match &plan.outgoing {
        Outgoing::Dny(
            Downlink::UpgradeSubDevice(p)
            | Downlink::UpgradePowerBoard(p)
            | Downlink::UpgradeHostWide(p)
            | Downlink::UpgradeOld(p)
            | Downlink::HostUpgradeOld(p)
            | Downlink::HostUpgrade(HostUpgrade::Packet(p)),
        ) => Some(p.current),
        Outgoing::Dny(Downlink::HostUpgrade(HostUpgrade::Trigger)) => Some(0),
        // An operator's raw frame: nothing to compare with.
        _ => None,
    };
    match (a.result, a.packet, sent) {
        (0, Some(got), Some(want)) if got != want => rejected(
            1,
            format!(
                "设备确认的是第 {got} 包而非第 {want} 包，需重发 / the device acknowledged \
                 packet {got}, not {want}: send it again"
            ),
        ),
        (0, _, _) => ok(0),
        (code, _, _) => rejected(
            u32::from(code),
            code_text(matches!(command, 0xE0..=0xE2), code),
        ),
    }
}

/// Packet answer codes, for people (1.7.11; 0xF8–FA know 0 and 1 only).
fn code_text(e_series: bool, code: u8) -> String {
    let text = match (code, e_series) {
        (1, _) => "数据包错误，需重发 / packet error: send it again",
        (2, true) => "固件校验和错误 / firmware sum error",
        (3, true) => "设备类型错误 / wrong device type",
        (4, true) => "缺少校验包 / no check packet",
        (5, true) => "0 号包设备类型不符 / packet 0 device type mismatch",
        _ => "未知错误 / unknown code",
    };
    format!("{text} ({code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(len: usize, kind: &str, check: Option<DnyCheckPacket>) -> UpgradeRequest {
        UpgradeRequest {
            device_id: "04ceaa40".into(),
            firmware: (0..len).map(|i| (i % 251) as u8 + 1).collect(),
            dny_kind: kind.into(),
            check_packet: check,
            ..Default::default()
        }
    }

    fn packet(m: Downlink) -> (u8, FirmwarePacket) {
        let c = codec_dny::Message::command(&m);
        match m {
            Downlink::UpgradeSubDevice(p)
            | Downlink::UpgradePowerBoard(p)
            | Downlink::UpgradeHostWide(p)
            | Downlink::UpgradeOld(p)
            | Downlink::HostUpgrade(HostUpgrade::Packet(p)) => (c, p),
            other => panic!("not a packet: {other:?}"),
        }
    }

    #[test]
    fn a_thousand_bytes_are_five_packets_of_two_hundred() {
        let r = request(1000, "", None);
        let f = Firmware::new(&r).unwrap();
        assert_eq!(f.total(), 5);
        let mut joined = Vec::new();
        for n in 1..=5 {
            let (command, p) = packet(f.message(n));
            assert_eq!((command, p.total, p.current), (0xE0, 5, n));
            assert_eq!(p.firmware.len(), 200);
            joined.extend_from_slice(&p.firmware);
        }
        assert_eq!(joined, r.firmware, "the blocks are the image, in order");
    }

    #[test]
    fn the_last_block_is_padded_with_zeros_to_the_packet_size() {
        let r = request(450, "sub_device", None);
        let f = Firmware::new(&r).unwrap();
        assert_eq!(f.total(), 3);
        let (_, last) = packet(f.message(3));
        assert_eq!(last.firmware.len(), 200);
        assert_eq!(&last.firmware[..50], &r.firmware[400..]);
        assert!(last.firmware[50..].iter().all(|b| *b == 0));
    }

    #[test]
    fn old_piles_take_256_byte_blocks_with_0xf8() {
        let f = Firmware::new(&request(513, "old", None)).unwrap();
        assert_eq!(f.total(), 3);
        let (command, p) = packet(f.message(3));
        assert_eq!((command, p.firmware.len()), (0xF8, 256));
        assert_eq!(p.firmware[0], request(513, "", None).firmware[512]);
    }

    #[test]
    fn a_host_upgrade_opens_with_an_empty_0xfa() {
        let f = Firmware::new(&request(200, "host", None)).unwrap();
        assert_eq!(f.total(), 1);
        assert_eq!(f.message(0), Downlink::HostUpgrade(HostUpgrade::Trigger));
        let (command, p) = packet(f.message(1));
        assert_eq!((command, p.current, p.total), (0xFA, 1, 1));
    }

    #[test]
    fn the_check_packet_comes_last_with_the_sum_type_and_version() {
        let check = DnyCheckPacket {
            device_type: 0x21,
            firmware_version: 0x0127,
        };
        let r = request(300, "power_board", Some(check));
        let f = Firmware::new(&r).unwrap();
        assert_eq!(f.total(), 3, "two blocks and the check packet");
        let (command, p) = packet(f.message(3));
        assert_eq!((command, p.current), (0xE1, 3));
        let sum: u32 = r.firmware.iter().map(|b| u32::from(*b)).sum();
        let c = &p.firmware;
        assert_eq!(c.len(), 200);
        assert_eq!(&c[..8], &CHECK_MARK);
        assert_eq!(&c[8..12], &sum.to_le_bytes(), "byte sum, u32 LE");
        assert_eq!(c[12], 0x21);
        assert_eq!(&c[13..15], &[0x27, 0x01], "version, u16 LE");
        assert!(c[15..].iter().all(|b| *b == 0));
    }

    #[test]
    fn bad_requests_name_their_field() {
        let field = |r: UpgradeRequest| Firmware::new(&r).unwrap_err().0;
        assert!(field(request(10, "e0", None)).starts_with("dny_kind"));
        assert!(field(request(MAX_FIRMWARE_BYTES + 1, "", None)).starts_with("firmware"));
        let check = || {
            Some(DnyCheckPacket {
                device_type: 1,
                firmware_version: 1,
            })
        };
        assert!(field(request(10, "old", check())).starts_with("check_packet"));
        let mut r = request(10, "", check());
        r.check_packet = Some(DnyCheckPacket {
            device_type: 256,
            firmware_version: 1,
        });
        assert!(field(r).starts_with("check_packet.device_type"));
        assert!(Firmware::new(&request(MAX_FIRMWARE_BYTES, "", None)).is_ok());
    }
}
