//! A DNY firmware transfer as a pure state machine (fact sheet 1.4, 1.7.11, 1.7.16): the
//! packet to send now, and what its command's result means for the next step. The replica
//! holding the pile drives it (`control::transfer`), one packet command at a time through
//! the pile's executor, which applies the packet's own timing (30 s, three resends with
//! the same message id) and keeps 0.5 s between two commands.
//!
//! A packet the pile answers with result 1 ("packet error, resend") goes again as a new
//! command with a **new** message id: the pile did answer the first transmission, and a
//! resend under the same id would make a late duplicate of that answer (result 1)
//! indistinguishable from the answer to the new transmission — and piles that cache
//! answers by id (as the simulator does) would just repeat the refusal.

use chrono::{DateTime, Utc};
use codec_dny::PhysicalId;
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult, UpgradeRequest};

use super::firmware::Firmware;
use super::{Expect, Invalid, Kind, Outgoing, Plan, Target, Timing};
use crate::domain::{DeviceEvent, DeviceKey, Protocol, TransferEnd};

/// How often one packet may go again because the pile asked (result 1) or the executor
/// could not send it (BUSY), before the transfer ends. The fact sheet's "up to 3 times".
pub const MAX_RETRIES: u32 = 3;

/// A transfer in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    target: PhysicalId,
    firmware: Firmware,
    /// The packet to send (from 1; 0 = the opening empty 0xFA of a host upgrade).
    current: u16,
    /// Retries of `current` so far.
    retries: u32,
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send [`Transfer::plan`] now: the next packet, or the same one again.
    Send,
    /// The same packet again after a pause: the executor was busy with other commands.
    SendLater,
    /// The transfer is over.
    End(End),
}

/// How a transfer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub kind: TransferEnd,
    /// The packet it ended at (the last one when it completed).
    pub packet: u16,
    /// The device's code, 0 without one.
    pub device_code: u32,
    /// zh-CN / en.
    pub detail: String,
}

impl Transfer {
    /// Validates a DNY upgrade request that carries an image.
    pub fn new(target: PhysicalId, r: &UpgradeRequest) -> Result<Self, Invalid> {
        let firmware = Firmware::new(r)?;
        let current = if firmware.command().opens_first() {
            0
        } else {
            1
        };
        Ok(Self {
            target,
            firmware,
            current,
            retries: 0,
        })
    }

    pub fn target(&self) -> Target {
        Target::Dny(self.target)
    }

    pub fn total(&self) -> u16 {
        self.firmware.total()
    }

    /// The packet to send next (0 = the opening 0xFA).
    pub fn current(&self) -> u16 {
        self.current
    }

    /// What the transfer is, for the Upgrade call's result and logs.
    pub fn describe(&self) -> String {
        let c = self.firmware.command();
        format!(
            "{} packets, 0x{:02X} with {}-byte blocks{}",
            self.total(),
            c.command(),
            c.block_len(),
            if c.opens_first() {
                ", after an empty 0xFA"
            } else {
                ""
            }
        )
    }

    /// The command for the current packet, with the upgrade `timing`.
    pub fn plan(&self, timing: Timing) -> Plan {
        Plan {
            target: self.target(),
            kind: Kind::Upgrade,
            outgoing: Outgoing::Dny(self.firmware.message(self.current)),
            expect: Expect::Answer,
            port: None,
            timing: Some(timing),
        }
    }

    /// The current packet's command ended with `r`.
    pub fn on_result(&mut self, r: &CommandResult) -> Step {
        match CommandOutcome::try_from(r.outcome) {
            Ok(CommandOutcome::Ok) if self.current >= self.total() => Step::End(End {
                kind: TransferEnd::Completed,
                packet: self.current,
                device_code: 0,
                detail: format!(
                    "固件传输完成 / transfer complete: {} packets accepted",
                    self.total()
                ),
            }),
            Ok(CommandOutcome::Ok) => {
                self.current += 1;
                self.retries = 0;
                Step::Send
            }
            Ok(CommandOutcome::Rejected) if r.device_code == 1 => {
                self.retry(Step::Send, TransferEnd::Rejected, "REJECTED", r)
            }
            Ok(CommandOutcome::Busy) => {
                self.retry(Step::SendLater, TransferEnd::Aborted, "BUSY", r)
            }
            Ok(CommandOutcome::Rejected) => self.end(TransferEnd::Rejected, "REJECTED", r),
            Ok(CommandOutcome::Timeout) => self.end(TransferEnd::Timeout, "TIMEOUT", r),
            Ok(CommandOutcome::DeviceOffline) => {
                self.end(TransferEnd::DeviceOffline, "DEVICE_OFFLINE", r)
            }
            _ => self.end(TransferEnd::Aborted, "ABORTED", r),
        }
    }

    /// The gateway stops the transfer itself (shutdown).
    pub fn abort(&self, why: &str) -> End {
        End {
            kind: TransferEnd::Aborted,
            packet: self.current,
            device_code: 0,
            detail: format!("ABORTED: {why}, packet {}/{}", self.current, self.total()),
        }
    }

    fn retry(&mut self, step: Step, kind: TransferEnd, name: &str, r: &CommandResult) -> Step {
        self.retries += 1;
        if self.retries <= MAX_RETRIES {
            return step;
        }
        let mut end = self.finish(kind, name, r);
        end.detail
            .push_str(&format!(", after {MAX_RETRIES} retries"));
        Step::End(end)
    }

    fn end(&self, kind: TransferEnd, name: &str, r: &CommandResult) -> Step {
        Step::End(self.finish(kind, name, r))
    }

    fn finish(&self, kind: TransferEnd, name: &str, r: &CommandResult) -> End {
        End {
            kind,
            packet: self.current,
            device_code: r.device_code,
            detail: format!(
                "{name}: {}, packet {}/{}",
                r.detail,
                self.current,
                self.total()
            ),
        }
    }

    /// The transfer's last `FirmwareProgress` event.
    pub fn end_event(&self, end: &End, at: DateTime<Utc>) -> DeviceEvent {
        DeviceEvent::FirmwareProgress {
            device: DeviceKey {
                protocol: Protocol::Dny,
                device_id: self.target.to_string(),
                gateway_id: None,
            },
            packet: u32::from(end.packet),
            total: u32::from(self.total()),
            result: end.device_code,
            end: Some(end.kind),
            detail: end.detail.clone(),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use codec_dny::{Downlink, Frame, HostUpgrade, MessageId, UpgradeAnswer, Uplink};

    use super::super::{Reply, outcome};
    use super::*;

    const PILE: &str = "04ceaa40";

    fn transfer(len: usize, kind: &str) -> Transfer {
        Transfer::new(
            PILE.parse().unwrap(),
            &UpgradeRequest {
                device_id: PILE.into(),
                firmware: vec![7; len],
                dny_kind: kind.into(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn timing() -> Timing {
        Timing {
            answer_timeout: Duration::from_secs(30),
            resends: 3,
        }
    }

    /// The pile's answer to `plan`, as the session hands it on.
    fn answer(plan: &Plan, result: u8, packet: u16) -> CommandResult {
        let a = UpgradeAnswer {
            result,
            packet: Some(packet),
            extra: bytes::Bytes::new(),
        };
        let message = match &plan.outgoing {
            Outgoing::Dny(Downlink::UpgradeSubDevice(_)) => Uplink::UpgradeSubDeviceAnswer(a),
            Outgoing::Dny(Downlink::UpgradeOld(_)) => Uplink::UpgradeOldAnswer(a),
            Outgoing::Dny(Downlink::HostUpgrade(_)) => Uplink::HostUpgradeAnswer(a),
            other => panic!("{other:?}"),
        };
        plan.interpret(&Reply::Dny {
            frame: Frame {
                physical_id: PILE.parse().unwrap(),
                message_id: MessageId::new(1),
                message,
            },
            raw: None,
        })
    }

    fn current_of(plan: &Plan) -> u16 {
        match &plan.outgoing {
            Outgoing::Dny(Downlink::UpgradeSubDevice(p) | Downlink::UpgradeOld(p)) => p.current,
            Outgoing::Dny(Downlink::HostUpgrade(HostUpgrade::Packet(p))) => p.current,
            Outgoing::Dny(Downlink::HostUpgrade(HostUpgrade::Trigger)) => 0,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn packets_go_in_order_with_the_upgrade_timing_and_complete() {
        let mut t = transfer(1000, "");
        let mut sent = Vec::new();
        let end = loop {
            let plan = t.plan(timing());
            assert_eq!(plan.timing, Some(timing()));
            assert_eq!(plan.expect, Expect::Answer);
            sent.push(current_of(&plan));
            let n = current_of(&plan);
            match t.on_result(&answer(&plan, 0, n)) {
                Step::Send => {}
                Step::End(e) => break e,
                Step::SendLater => panic!("not busy"),
            }
        };
        assert_eq!(sent, [1, 2, 3, 4, 5]);
        assert_eq!(
            (end.kind, end.packet, end.device_code),
            (TransferEnd::Completed, 5, 0)
        );
        let DeviceEvent::FirmwareProgress {
            packet,
            total,
            end: Some(TransferEnd::Completed),
            ..
        } = t.end_event(&end, Utc::now())
        else {
            panic!()
        };
        assert_eq!((packet, total), (5, 5));
    }

    #[test]
    fn result_1_sends_the_same_packet_again_at_most_three_times() {
        let mut t = transfer(400, "");
        let plan = t.plan(timing());
        for _ in 0..MAX_RETRIES {
            assert_eq!(t.on_result(&answer(&plan, 1, 1)), Step::Send);
            assert_eq!(t.current(), 1, "the same packet again");
        }
        let Step::End(end) = t.on_result(&answer(&plan, 1, 1)) else {
            panic!("a fourth refusal ends it")
        };
        assert_eq!((end.kind, end.device_code), (TransferEnd::Rejected, 1));
        assert!(end.detail.contains("packet error"), "{}", end.detail);
    }

    #[test]
    fn a_retry_budget_is_per_packet() {
        let mut t = transfer(400, "");
        let plan = t.plan(timing());
        assert_eq!(t.on_result(&answer(&plan, 1, 1)), Step::Send);
        assert_eq!(t.on_result(&answer(&plan, 0, 1)), Step::Send);
        let plan = t.plan(timing());
        for _ in 0..MAX_RETRIES {
            assert_eq!(t.on_result(&answer(&plan, 1, 2)), Step::Send);
        }
    }

    #[test]
    fn codes_2_to_5_abort_rejected_naming_the_code() {
        for (code, words) in [
            (2, "firmware sum error"),
            (3, "wrong device type"),
            (4, "no check packet"),
            (5, "packet 0 device type mismatch"),
        ] {
            let mut t = transfer(400, "");
            let plan = t.plan(timing());
            t.on_result(&answer(&plan, 0, 1));
            let plan = t.plan(timing());
            let Step::End(end) = t.on_result(&answer(&plan, code, 2)) else {
                panic!("code {code} must end the transfer")
            };
            assert_eq!((end.kind, end.packet), (TransferEnd::Rejected, 2));
            assert_eq!(end.device_code, u32::from(code));
            assert!(end.detail.starts_with("REJECTED"), "{}", end.detail);
            assert!(end.detail.contains(words), "{}", end.detail);
            assert!(end.detail.contains("packet 2/2"), "{}", end.detail);
        }
    }

    #[test]
    fn an_acknowledgement_of_another_packet_sends_the_packet_again() {
        let mut t = transfer(400, "");
        let plan = t.plan(timing());
        let r = answer(&plan, 0, 2);
        assert_eq!(r.outcome, CommandOutcome::Rejected as i32);
        assert_eq!(t.on_result(&r), Step::Send);
        assert_eq!(t.current(), 1);
    }

    #[test]
    fn timeouts_and_offline_end_at_once_and_busy_waits() {
        let mut t = transfer(400, "old");
        assert_eq!(
            t.on_result(&outcome(CommandOutcome::Busy, "queue full")),
            Step::SendLater
        );
        let Step::End(end) = t.on_result(&outcome(CommandOutcome::Timeout, "no answer")) else {
            panic!()
        };
        assert_eq!((end.kind, end.packet), (TransferEnd::Timeout, 1));
        let mut t = transfer(400, "old");
        let Step::End(end) = t.on_result(&outcome(CommandOutcome::DeviceOffline, "gone")) else {
            panic!()
        };
        assert_eq!(end.kind, TransferEnd::DeviceOffline);
    }

    #[test]
    fn a_host_upgrade_opens_with_an_empty_0xfa_then_packet_1() {
        let mut t = transfer(200, "host");
        let open = t.plan(timing());
        assert_eq!(current_of(&open), 0);
        assert_eq!(t.on_result(&answer(&open, 0, 0)), Step::Send);
        let first = t.plan(timing());
        assert_eq!(current_of(&first), 1);
        assert!(matches!(t.on_result(&answer(&first, 0, 1)), Step::End(_)));
        assert!(t.describe().contains("empty 0xFA"), "{}", t.describe());
    }
}
