//! What a test (through the handle) makes a DNY pile's users and hardware do.

use std::time::Duration;

use codec_dny::PhysicalId;

use super::{DnyPile, MAX_SWIPES, millis};
use crate::clock::SimTime;
use crate::event::SimEvent;
use crate::faults::EndReason;
use crate::runner::{Action, Outbox};

impl DnyPile {
    pub(super) fn tick_activity(&mut self, now: SimTime, out: &mut Outbox) {
        let (Some(at), Some(every)) = (self.swipe_at, self.profile.swipe_every) else {
            return;
        };
        if now < at {
            return;
        }
        self.swipe_at = Some(now.after(Duration::from_millis(self.rng.jitter(millis(every), 50))));
        let idle: Vec<usize> = (0..self.ports.len())
            .filter(|&i| {
                self.ports
                    .get(i)
                    .is_some_and(|p| p.charge.is_none() && p.fault.is_none())
            })
            .collect();
        let pick = self.rng.below(idle.len() as u64);
        if let Some(&port) = idle.get(usize::try_from(pick).unwrap_or(0)) {
            let card = demo_card(self.id, port);
            self.swipe(now, Some(port), card, out);
        }
    }

    /// A card swipe: a charging request on `port`, a balance query without one. On a
    /// port charging for the same card it stops the charge instead (§1.8.4 0x16).
    pub(super) fn swipe(&mut self, now: SimTime, port: Option<usize>, card: u64, out: &mut Outbox) {
        if let Some(i) = port
            && let Some(p) = self.ports.get(i)
            && p.charge
                .as_ref()
                .is_some_and(|c| c.session.card == Some(card))
        {
            self.end_charge(i, now, EndReason::CardStop, out);
            return;
        }
        if let Some(p) = port.and_then(|i| self.ports.get_mut(i)) {
            p.last_card = Some((card, now));
        }
        let id = self.alloc_id();
        let msg = self.card_msg(port, card, self.unix(now));
        self.send(now, out, id, msg);
        if self.swipes.len() >= MAX_SWIPES {
            self.swipes.pop_front();
        }
        self.swipes.push_back((id, card));
        let rf = port.and_then(|i| self.ports.get(i)).map(|p| p.rf.clone());
        out.event(SimEvent::CardSwiped {
            port: rf,
            card,
            balance_query: port.is_none(),
        });
    }

    pub(super) fn act(&mut self, now: SimTime, action: Action, out: &mut Outbox) {
        match action {
            Action::SwipeCard { index, card } => self.swipe(now, Some(index), card, out),
            // A balance query is a swipe on port 0xFF (§1.7.5).
            Action::QueryBalance { card, .. } => self.swipe(now, None, card, out),
            Action::Plug { index, plugged } => {
                let charging = self.ports.get(index).is_some_and(|p| p.charge.is_some());
                if charging && !plugged {
                    self.end_charge(index, now, EndReason::Unplugged, out);
                }
                if let Some(p) = self.ports.get_mut(index) {
                    p.plugged = plugged;
                }
            }
            Action::Fault { index, fault } => {
                let Some(p) = self.ports.get_mut(index) else {
                    return;
                };
                if fault.persists() {
                    p.fault = Some(fault);
                }
                out.event(SimEvent::FaultRaised {
                    port: p.rf.clone(),
                    fault,
                });
                if p.charge.is_some() {
                    self.end_charge(index, now, EndReason::Fault(fault), out);
                }
            }
            Action::ClearFault { index } => {
                if let Some(p) = self.ports.get_mut(index) {
                    p.fault = None;
                }
            }
            Action::Alarm { index, alarm } => {
                let port = index.and_then(|i| u8::try_from(i).ok()).unwrap_or(0);
                let id = self.alloc_id();
                self.send(now, out, id, Self::alarm_msg(alarm.code(), port));
                out.event(SimEvent::AlarmRaised {
                    port: index.and_then(|i| self.ports.get(i)).map(|p| p.rf.clone()),
                    alarm,
                });
            }
            Action::DropCommands(n) => self.drop.arm(n),
        }
    }

    /// A reboot cuts the power to every port: running charges end and their
    /// settlements wait in EEPROM for the next connection.
    pub(super) fn reboot_ports(&mut self, now: SimTime, out: &mut Outbox) {
        for i in 0..self.ports.len() {
            if self.ports.get(i).is_some_and(|p| p.charge.is_some()) {
                self.end_charge(i, now, EndReason::Reboot, out);
            }
        }
    }
}

/// The card a demo pile's user swipes on a port: stable per pile and port.
fn demo_card(id: PhysicalId, port: usize) -> u64 {
    u64::from(id.number()) * 16 + port as u64
}
