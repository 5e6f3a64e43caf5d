//! What a DNY pile remembers between commands: run parameters (0x83–0x86, 0x97),
//! modes (0x8D, 0x8F), a small EEPROM (0x8B/0x8C), and firmware upgrade progress
//! (0xE0–E2, 0xF8–FA).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use codec_dny::{
    CardParams, DeciVolts, DeciWatts, EepromRead, EepromReadAnswer, EepromWrite, FirmwarePacket,
    RunParams2, RunParams11, RunParams12, UpgradeAnswer,
};

use super::DnyPile;
use crate::clock::SimTime;
use crate::config::Profile;
use crate::event::SimEvent;
use crate::runner::Outbox;

/// Largest EEPROM read/write (§1.6 0x8B/0x8C: length ≤ 32).
const EEPROM_MAX: u8 = 32;
/// Overload power a dual/multi-port pile accepts (§1.6 0x85: 2000 W).
const OVERLOAD_LIMIT_DW: u32 = 20_000;
/// The pile reboots this long after the last firmware packet.
const UPGRADE_REBOOT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub(super) struct Params {
    pub(super) run11: RunParams11,
    pub(super) run12: RunParams12,
    pub(super) run2: RunParams2,
    pub(super) card: CardParams,
    pub(super) work_mode: u8,
    pub(super) tc_mode: u8,
    pub(super) mute: u8,
    /// Written cells only; unwritten cells read 0xFF like erased flash.
    eeprom: BTreeMap<u16, u8>,
}

impl Params {
    /// The fact sheet's defaults (§1.7.9, §1.7.10, 0x85, 0x86), with the profile's
    /// heartbeat period and charge-time limit.
    pub(super) fn new(profile: &Profile) -> Self {
        let secs16 = |d: Duration| u16::try_from(d.as_secs()).unwrap_or(u16::MAX);
        Params {
            run11: RunParams11 {
                unplug_power: DeciWatts::new(3),
                unplug_detect_s: 10,
                float_percent: 20,
                float_detect_s: 1800,
                float_time_s: 3600,
                heartbeat_interval_s: secs16(profile.dny_heartbeat),
                extra: Bytes::new(),
            },
            run12: RunParams12 {
                dynamic_overload_power: DeciWatts::new(800),
                dynamic_overload_detect_s: 30,
                dynamic_overload_start_s: 1800,
                unplug_interference_power: DeciWatts::new(10),
                unplug_interference_s: 300,
                float_second_time_point_s: 10_800,
                float_second_detect_s: 300,
                min_power: DeciWatts::new(300),
                min_power_time_point_s: 1800,
                second_max_power_time_point_s: 300,
                ambient_alarm_c: 80,
                port_alarm_c: 80,
                optocoupler_unplug: 0,
                qr_light: 0,
                extra: Bytes::new(),
            },
            run2: RunParams2 {
                max_charge_time_s: secs16(profile.max_charge),
                overload_power: DeciWatts::new(OVERLOAD_LIMIT_DW),
                over_voltage: Some(DeciVolts::new(2700)),
                under_voltage: Some(DeciVolts::new(1000)),
                extra: Bytes::new(),
            },
            card: CardParams {
                sector: 0,
                user_key: [0x15, 0x91, 0x85, 0x19, 0x18, 0x80],
                new_card_key: [0xFF; 6],
                extra: Bytes::new(),
            },
            work_mode: 0,
            tc_mode: 0,
            mute: 0,
            eeprom: BTreeMap::new(),
        }
    }

    pub(super) fn heartbeat_period(&self, profile: &Profile) -> Duration {
        match self.run11.heartbeat_interval_s {
            0 => profile.dny_heartbeat,
            s => Duration::from_secs(u64::from(s)),
        }
    }

    /// The pile's own charge-time limit (0x85).
    pub(super) fn max_charge(&self) -> Duration {
        Duration::from_secs(u64::from(self.run2.max_charge_time_s.max(1)))
    }

    /// 0x85: 1 when the overload power is beyond what the pile can take.
    pub(super) fn set_run2(&mut self, p: &RunParams2) -> u8 {
        if p.overload_power.get() > OVERLOAD_LIMIT_DW {
            return 1;
        }
        self.run2 = p.clone();
        0
    }

    pub(super) fn read_eeprom(&self, r: &EepromRead) -> EepromReadAnswer {
        if r.length > EEPROM_MAX {
            return EepromReadAnswer {
                result: 1,
                data: Bytes::new(),
            };
        }
        let data: Vec<u8> = (0..u16::from(r.length))
            .map(|i| {
                let at = r.address.wrapping_add(i);
                self.eeprom.get(&at).copied().unwrap_or(0xFF)
            })
            .collect();
        EepromReadAnswer {
            result: 0,
            data: Bytes::from(data),
        }
    }

    pub(super) fn write_eeprom(&mut self, w: &EepromWrite) -> u8 {
        if w.data.len() > usize::from(EEPROM_MAX) {
            return 1;
        }
        for (i, b) in (0u16..).zip(w.data.iter()) {
            self.eeprom.insert(w.address.wrapping_add(i), *b);
        }
        0
    }

    /// 0x88: back to defaults (ids and upgrade data are kept by the device).
    pub(super) fn clear(&mut self, profile: &Profile) {
        *self = Params::new(profile);
    }
}

impl DnyPile {
    /// A firmware packet: accept packet 1 (restart), the next one, or a resend of the
    /// last; anything else asks for a resend (result 1). After the last packet the
    /// pile reboots with the next firmware version.
    pub(super) fn firmware_packet(
        &mut self,
        now: SimTime,
        p: &FirmwarePacket,
        out: &mut Outbox,
    ) -> UpgradeAnswer {
        let ok = match self.upgrade {
            _ if p.current == 1 => true,
            Some((_, last)) => p.current == last || p.current == last.wrapping_add(1),
            None => false,
        };
        if ok {
            self.upgrade = Some((p.total, p.current));
            out.event(SimEvent::FirmwarePacket {
                current: p.current,
                total: p.total,
            });
            if p.current >= p.total {
                self.upgrade = None;
                self.firmware = self.firmware.wrapping_add(1);
                self.reboot_at = Some(now.after(UPGRADE_REBOOT));
            }
        }
        UpgradeAnswer {
            result: u8::from(!ok),
            packet: Some(p.current),
            extra: Bytes::new(),
        }
    }
}
