//! Faults a pile can be told to have, and the wire codes each protocol uses for them.
//!
//! DNY codes come from the fact sheet (§1.7.13 alarm types, §1.8.1 port status,
//! §1.8.4 stop reasons). GN end and event reason codes are undocumented (fact sheet
//! §4.2 #16); the simulator uses its own table below, and the gateway keeps the raw
//! code anyway. The GN status bits follow §2.5 (bit 7 online, 4 charging, 3 no-load,
//! 2 over-temperature, 1 over-current, 0 over-power; 0xB0 for timed ends as captured).

/// A fault on one port. Transient faults stop a running charge; [`PortFault::Broken`]
/// also keeps the port out of service until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortFault {
    /// Power above the overload limit.
    Overload,
    /// Current above the limit.
    OverCurrent,
    /// Port temperature too high.
    OverTemperature,
    /// Bad contact or blown fuse: the port stays faulty until cleared.
    Broken,
}

impl PortFault {
    /// Whether the port stays out of service after the fault.
    pub fn persists(self) -> bool {
        matches!(self, PortFault::Broken)
    }

    /// DNY port status while the fault persists (§1.8.1: 8 = bad contact or fuse).
    pub(crate) fn dny_port_status(self) -> u8 {
        match self {
            PortFault::Broken => 0x08,
            _ => 0x00,
        }
    }

    /// GN port status bits for the fault (§2.5).
    pub(crate) fn gn_status_bits(self) -> u8 {
        match self {
            PortFault::Overload => 0x01,
            PortFault::OverCurrent => 0x02,
            PortFault::OverTemperature => 0x04,
            PortFault::Broken => 0x40,
        }
    }

    /// GN event reason (simulator convention).
    pub(crate) fn gn_event_reason(self) -> u8 {
        match self {
            PortFault::Overload => 1,
            PortFault::OverCurrent => 2,
            PortFault::OverTemperature => 3,
            PortFault::Broken => 4,
        }
    }
}

/// A device-wide alarm (DNY 0x42 types; GN sends them as socket events with the same
/// numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alarm {
    /// 1: power loss.
    PowerLoss,
    /// 2: water.
    Water,
    /// 3: hot-melt trigger.
    HotMelt,
    /// 4: smoke.
    Smoke,
    /// 5: heat.
    Heat,
    /// 6: water level.
    WaterLevel,
    /// 7: cabinet door sprang open.
    DoorOpen,
}

impl Alarm {
    /// The DNY 0x42 alarm type.
    pub fn code(self) -> u8 {
        match self {
            Alarm::PowerLoss => 1,
            Alarm::Water => 2,
            Alarm::HotMelt => 3,
            Alarm::Smoke => 4,
            Alarm::Heat => 5,
            Alarm::WaterLevel => 6,
            Alarm::DoorOpen => 7,
        }
    }
}

/// Why a charge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The battery is full (the curve's end).
    Full,
    /// The pile's maximum charge time passed.
    MaxDuration,
    /// The ordered time passed.
    Time,
    /// The ordered energy was delivered.
    Energy,
    /// The paid amount is used up (GN power brackets and fee mode).
    Amount,
    /// The user unplugged.
    Unplugged,
    /// The server stopped it.
    ServerStop,
    /// The user swiped the card that started it.
    CardStop,
    /// A port fault.
    Fault(PortFault),
    /// The pile rebooted.
    Reboot,
}

impl EndReason {
    /// The DNY 0x03 stop reason (§1.8.4).
    pub fn dny_code(self) -> u8 {
        match self {
            EndReason::Full => 0x01,
            EndReason::MaxDuration => 0x02,
            EndReason::Time => 0x03,
            EndReason::Energy | EndReason::Amount => 0x04,
            EndReason::Unplugged => 0x05,
            EndReason::Fault(PortFault::Overload) => 0x06,
            EndReason::ServerStop => 0x07,
            EndReason::Fault(PortFault::OverTemperature) => 0x0B,
            EndReason::Fault(PortFault::OverCurrent) => 0x0C,
            EndReason::Fault(PortFault::Broken) => 0x0E,
            EndReason::Reboot => 0x15,
            EndReason::CardStop => 0x16,
        }
    }

    /// The GN end reason (0x0015/0x18, BKV 0x2F): undocumented codes, simulator
    /// convention. 8 for full/no-load matches the one documented example (status 0x98).
    pub fn gn_code(self) -> u8 {
        match self {
            EndReason::Time => 1,
            EndReason::Energy | EndReason::Amount => 2,
            EndReason::ServerStop => 3,
            EndReason::Unplugged => 4,
            EndReason::Fault(PortFault::Overload) => 5,
            EndReason::Fault(PortFault::OverCurrent) => 6,
            EndReason::Fault(PortFault::OverTemperature) => 7,
            EndReason::Full => 8,
            EndReason::MaxDuration => 9,
            EndReason::CardStop => 10,
            EndReason::Fault(PortFault::Broken) => 11,
            EndReason::Reboot => 12,
        }
    }

    /// The GN port status byte of the end report (§2.5): online + charging, plus
    /// bit 5 for timed ends (captured 0xB0), no-load for full/unplugged (documented
    /// 0x98), the fault bit for faults.
    pub fn gn_end_status(self) -> u8 {
        match self {
            EndReason::Time => 0xB0,
            EndReason::Full | EndReason::Unplugged => 0x98,
            EndReason::Fault(f) => 0x90 | f.gn_status_bits(),
            _ => 0x90,
        }
    }
}

/// A malformed frame a pile can be told to send, to test the server's decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// A valid heartbeat with its checksum flipped.
    BadChecksum,
    /// This many bytes of noise.
    Garbage(usize),
    /// A heartbeat whose length field claims 3 bytes more than it has.
    LyingLength,
    /// The first half of a heartbeat, then nothing (the next frame follows).
    Truncated,
}

impl Malformed {
    /// The kinds in the order `malformed_every` cycles through them.
    pub(crate) fn cycle(n: u64) -> Malformed {
        match n % 4 {
            0 => Malformed::BadChecksum,
            1 => Malformed::Garbage(16),
            2 => Malformed::LyingLength,
            _ => Malformed::Truncated,
        }
    }
}

/// Which server commands to ignore, so the server must resend (same message id or
/// sequence). Counts commands, never the server's answers to the pile's own reports.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DropPlan {
    /// Commands to let through before dropping.
    skip: u32,
    /// Commands (transmissions) still to drop.
    drop: u32,
}

impl DropPlan {
    /// Drop `count` transmissions starting with the `nth` command (1-based).
    pub(crate) fn new(nth: Option<u32>, count: u32) -> Self {
        match nth {
            Some(n) if n > 0 => DropPlan {
                skip: n - 1,
                drop: count,
            },
            _ => DropPlan::default(),
        }
    }

    /// Drop the next `count` command transmissions.
    pub(crate) fn arm(&mut self, count: u32) {
        self.skip = 0;
        self.drop = self.drop.saturating_add(count);
    }

    /// Called for every incoming command: whether to ignore it.
    pub(crate) fn should_drop(&mut self) -> bool {
        if self.drop == 0 {
            false
        } else if self.skip > 0 {
            self.skip -= 1;
            false
        } else {
            self.drop -= 1;
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_plan_counts_commands() {
        let mut p = DropPlan::new(Some(2), 1);
        assert!(!p.should_drop());
        assert!(p.should_drop());
        assert!(!p.should_drop());
        let mut p = DropPlan::new(None, 3);
        assert!(!p.should_drop());
        p.arm(2);
        assert!(p.should_drop() && p.should_drop() && !p.should_drop());
    }

    #[test]
    fn codes() {
        assert_eq!(EndReason::Time.dny_code(), 3);
        assert_eq!(EndReason::Full.dny_code(), 1);
        assert_eq!(EndReason::ServerStop.dny_code(), 7);
        assert_eq!(EndReason::Time.gn_end_status(), 0xB0);
        assert_eq!(EndReason::Full.gn_end_status(), 0x98);
        assert_eq!(Alarm::Smoke.code(), 4);
    }
}
