//! What a DNY pile does with the frames the server sends: the server's answers to
//! the pile's own reports, and every command of the fact sheet, each answered with
//! the command's message id (§1.4). A resend of a command already answered gets the
//! same answer again without running the command twice.

use std::time::Duration;

use bytes::Bytes;
use codec_dny::{
    Downlink, Frame, HostUpgrade, Item, MessageId, RawFrame, ReservedFdAnswer, ResultAnswer,
    StreamDecoder, UpgradeAnswer, Uplink,
};

use super::{DnyPile, SETTLEMENT_GAP, TIME_REFRESH};
use crate::clock::SimTime;
use crate::event::{OrderRef, SimEvent};
use crate::runner::Outbox;

/// Answers remembered for resends.
const RECENT_ANSWERS: usize = 4;
/// A reboot command takes effect after its answer went out.
const REBOOT_DELAY: Duration = Duration::from_secs(1);

fn ok(result: u8) -> ResultAnswer {
    ResultAnswer::new(result)
}

impl DnyPile {
    pub(super) fn receive(&mut self, now: SimTime, bytes: &[u8], out: &mut Outbox) {
        if let Err(e) = self.decoder.feed(bytes) {
            // Only a flood of undecidable bytes gets here: start over, don't stall.
            out.event(SimEvent::BadFrame {
                error: e.to_string(),
            });
            self.decoder = StreamDecoder::new();
            return;
        }
        loop {
            match self.decoder.decode_next() {
                Ok(Some(Item::Frame(raw))) => {
                    out.frame_received();
                    self.frame(now, raw, out);
                }
                Ok(Some(Item::Garbage(g) | Item::Incomplete(g))) => out.event(SimEvent::BadFrame {
                    error: format!("{} bytes of garbage", g.len()),
                }),
                Ok(Some(Item::Iccid(_) | Item::Link)) => {}
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.can_continue();
                    out.event(SimEvent::BadFrame {
                        error: e.to_string(),
                    });
                    if fatal {
                        self.decoder = StreamDecoder::new();
                        break;
                    }
                }
            }
        }
    }

    fn frame(&mut self, now: SimTime, raw: RawFrame, out: &mut Outbox) {
        if raw.physical_id != self.id {
            out.event(SimEvent::BadFrame {
                error: format!("frame for {} reached {}", raw.physical_id, self.id),
            });
            return;
        }
        let (command, data) = (raw.command, raw.data.clone());
        let frame = match Frame::<Downlink>::from_raw_owned(raw) {
            Ok(f) => f,
            Err(e) => {
                out.event(SimEvent::BadFrame {
                    error: e.to_string(),
                });
                return;
            }
        };
        let id = frame.message_id;
        match frame.message {
            Downlink::RegisterAnswer(_) => {
                if id == self.register.id && !self.register.answered {
                    self.register.answered = true;
                    self.register.next_at = None;
                    if !self.announced {
                        self.announced = true;
                        out.event(SimEvent::Registered);
                    }
                }
            }
            Downlink::HeartbeatAnswer(_) | Downlink::OldHeartbeatAnswer(_) => self.unanswered = 0,
            Downlink::Time(_) | Downlink::HostTime(_) => {
                if id == self.time.id {
                    self.time.answered = true;
                    self.time.next_at = Some(now.after(TIME_REFRESH));
                }
            }
            Downlink::SettlementAnswer(a) => self.settlement_answered(now, id, a.is_ok(), out),
            Downlink::CardSwipeAnswer(a) => {
                if let Some(pos) = self.swipes.iter().position(|(i, _)| *i == id)
                    && let Some((_, card)) = self.swipes.remove(pos)
                {
                    out.event(SimEvent::CardAnswered {
                        card,
                        status: a.account_status,
                        balance_fen: a.balance().map(|b| b.get()),
                    });
                }
            }
            // Answers to requests this pile never makes.
            Downlink::OrderConfirmationAnswer(_) | Downlink::HostUpgradeRequestAnswer(_) => {}
            message => self.command(now, id, command, data, message, out),
        }
    }

    fn settlement_answered(&mut self, now: SimTime, id: MessageId, ok: bool, out: &mut Outbox) {
        let Some(head) = self.settlements.front() else {
            return;
        };
        if head.id != Some(id) || !ok {
            return;
        }
        if let Some(done) = self.settlements.pop_front()
            && let Some(rf) = self.ports.get(done.port).map(|p| p.rf.clone())
        {
            out.event(SimEvent::SettlementAcked {
                port: rf,
                order: OrderRef::Dny(done.order),
            });
        }
        if let Some(next) = self.settlements.front_mut() {
            next.next_at = next.next_at.max(now.after(SETTLEMENT_GAP));
        }
    }

    fn command(
        &mut self,
        now: SimTime,
        id: MessageId,
        command: u8,
        data: Bytes,
        message: Downlink,
        out: &mut Outbox,
    ) {
        let (cmd, wire_id) = (u16::from(command), u32::from(id.get()));
        let cached = self
            .recent
            .iter()
            .find(|(i, c, d, _)| *i == id && *c == command && *d == data)
            .map(|r| r.3.clone());
        if let Some(answer) = cached {
            out.event(SimEvent::CommandReceived {
                command: cmd,
                sub: None,
                id: wire_id,
                dropped: false,
                duplicate: true,
            });
            self.answer(now, cmd, wire_id, answer, out);
            return;
        }
        let dropped = self.drop.should_drop();
        out.event(SimEvent::CommandReceived {
            command: cmd,
            sub: None,
            id: wire_id,
            dropped,
            duplicate: false,
        });
        if dropped {
            return;
        }
        let answer = self
            .execute(now, message, out)
            .and_then(|m| self.encode(id, m))
            .unwrap_or_default();
        if self.recent.len() >= RECENT_ANSWERS {
            self.recent.pop_front();
        }
        self.recent.push_back((id, command, data, answer.clone()));
        self.answer(now, cmd, wire_id, answer, out);
    }

    fn answer(&mut self, now: SimTime, command: u16, id: u32, answer: Bytes, out: &mut Outbox) {
        if answer.is_empty() {
            return;
        }
        out.frame(answer);
        self.touch(now);
        out.event(SimEvent::CommandAnswered {
            command,
            sub: None,
            id,
        });
    }

    /// Runs a command; the answer to send, if the command has one.
    fn execute(&mut self, now: SimTime, message: Downlink, out: &mut Outbox) -> Option<Uplink> {
        use Downlink as D;
        use Uplink as U;
        Some(match message {
            D::QueryNetworkStatus(_) => {
                // No 0x81 answer: the device reports register and both heartbeats.
                self.send_register(now, out, true);
                let id = self.alloc_id();
                self.send(now, out, id, self.old_heartbeat_msg(now));
                self.send_heartbeat(now, out);
                return None;
            }
            D::StartStop(s) => U::StartStopAnswer(self.start_stop(now, &s, out)),
            D::ModifyCharge(m) => U::ModifyChargeAnswer(ok(self.modify_charge(now, &m))),
            D::CabinetStop(c) => U::CabinetStopAnswer(self.cabinet_stop(now, &c, out)),
            D::SetRunParams11(p) => {
                self.params.run11 = p;
                self.heartbeat_at = self.heartbeat_at.min(now.after(self.heartbeat_period()));
                U::SetRunParams11Answer(ok(0))
            }
            D::SetRunParams12(p) => {
                self.params.run12 = p;
                U::SetRunParams12Answer(ok(0))
            }
            D::SetRunParams2(p) => U::SetRunParams2Answer(ok(self.params.set_run2(&p))),
            D::SetCardParams(p) => {
                self.params.card = p;
                U::SetCardParamsAnswer(ok(0))
            }
            D::SetRunParams13(p) => {
                self.params.mute = p.mute;
                U::SetRunParams13Answer(ok(0))
            }
            D::SetWorkMode(m) => U::SetWorkModeAnswer(ok(if m.work_mode <= 1 {
                self.params.work_mode = m.work_mode;
                0
            } else {
                1
            })),
            D::SetTcCardMode(m) => U::SetTcCardModeAnswer(ok(if matches!(m.mode, 0 | 1 | 3..=6) {
                self.params.tc_mode = m.mode;
                0
            } else {
                1
            })),
            D::ReadRunParams11(_) => U::RunParams11(self.params.run11.clone()),
            D::ReadRunParams12(_) => U::RunParams12(self.params.run12.clone()),
            D::ReadRunParams2(_) => U::RunParams2(self.params.run2.clone()),
            D::ReadCardParams(_) => U::CardParams(self.params.card.clone()),
            D::EepromRead(r) => U::EepromReadAnswer(self.params.read_eeprom(&r)),
            D::EepromWrite(w) => U::EepromWriteAnswer(ok(self.params.write_eeprom(&w))),
            D::ClearStorage(_) => {
                self.params.clear(&self.profile);
                self.settlements.clear();
                U::ClearStorageAnswer(ok(0))
            }
            D::Reboot(_) => {
                self.reboot_at = Some(now.after(REBOOT_DELAY));
                U::RebootAnswer(ok(0))
            }
            D::RebootHost(_) => {
                self.reboot_at = Some(now.after(REBOOT_DELAY));
                U::RebootHostAnswer(ok(0))
            }
            D::RebootModem(_) => {
                self.reboot_at = Some(now.after(REBOOT_DELAY));
                U::RebootModemAnswer(ok(0))
            }
            // "Reserved, not usable" (§1.6): the device says it failed.
            D::PlayVoice(_) => U::PlayVoiceAnswer(ok(1)),
            D::SetQrCode(_) => U::SetQrCodeAnswer(ok(0)),
            D::TempQrCode(_) => U::TempQrCodeAnswer(ok(0)),
            D::Locate(_) => U::LocateAnswer(ok(0)),
            D::MultiFunction(_) => U::MultiFunctionAnswer(ok(0)),
            D::UpgradeSubDevice(p) => U::UpgradeSubDeviceAnswer(self.firmware_packet(now, &p, out)),
            D::UpgradePowerBoard(p) => {
                U::UpgradePowerBoardAnswer(self.firmware_packet(now, &p, out))
            }
            D::UpgradeHostWide(p) => U::UpgradeHostWideAnswer(self.firmware_packet(now, &p, out)),
            D::UpgradeOld(p) => U::UpgradeOldAnswer(self.firmware_packet(now, &p, out)),
            D::HostUpgradeOld(p) => U::HostUpgradeOldAnswer(self.firmware_packet(now, &p, out)),
            D::HostUpgrade(HostUpgrade::Packet(p)) => {
                U::HostUpgradeAnswer(self.firmware_packet(now, &p, out))
            }
            D::HostUpgrade(HostUpgrade::Trigger) => {
                // §1.7.16: the trigger restarts from packet 1; the answer is `00 00 00`.
                self.upgrade = None;
                U::HostUpgradeAnswer(UpgradeAnswer {
                    result: 0,
                    packet: Some(0),
                    extra: Bytes::new(),
                })
            }
            D::ClearSubDeviceUpgrade(_) => U::ClearSubDeviceUpgradeAnswer(ok(0)),
            // Always 0 (§1.6); the simulator stays on its configured target.
            D::ChangeServerAddress(_) => U::ChangeServerAddressAnswer(ok(0)),
            D::SetFskParams(_) => U::SetFskParamsAnswer(ok(0)),
            D::ReservedFd(f) => U::ReservedFdAnswer(ReservedFdAnswer {
                function: f.function,
                result: 0,
                extra: Bytes::new(),
            }),
            // No answer is defined for these (§1.6), nor for commands not in the table.
            D::TriggerSelfUpgrade(_) | D::ReservedFe(_) | D::Unknown { .. } => return None,
            // Answers to device reports are handled by `frame`.
            D::OldHeartbeatAnswer(_)
            | D::CardSwipeAnswer(_)
            | D::SettlementAnswer(_)
            | D::OrderConfirmationAnswer(_)
            | D::HostTime(_)
            | D::HostUpgradeRequestAnswer(_)
            | D::RegisterAnswer(_)
            | D::HeartbeatAnswer(_)
            | D::Time(_) => return None,
        })
    }
}
