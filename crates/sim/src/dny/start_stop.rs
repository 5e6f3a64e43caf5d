//! Charges the server orders: 0x82 start/stop (answered with the order number and
//! port, §1.7.8), 0x8A changing a running charge, 0x72 cabinet stop.

use std::time::Duration;

use bytes::Bytes;
use codec_dny::{
    CHARGE_STOP, CabinetStop, CabinetStopAnswer, CardId, ModifyCharge, Port, RATE_MODE_ENERGY,
    StartStop, StartStopAnswer,
};

use super::{Charge, DnyPile, DnyPort};
use crate::clock::SimTime;
use crate::event::{OrderRef, SimEvent};
use crate::faults::EndReason;
use crate::runner::Outbox;
use crate::session::{Limit, Session};

/// A card swiped this long before a start is credited to the charge.
const CARD_WINDOW: Duration = Duration::from_secs(300);

fn secs(s: u16) -> Duration {
    Duration::from_secs(u64::from(s))
}

impl DnyPile {
    /// 0x82 (§1.7.8): start or stop, answered with the order number and port.
    pub(super) fn start_stop(
        &mut self,
        now: SimTime,
        s: &StartStop,
        out: &mut Outbox,
    ) -> StartStopAnswer {
        let answer = |result: u8, port: u8| StartStopAnswer {
            result,
            order_no: Some(s.order_no),
            port: Some(Port::new(port)),
            waiting_ports: Some(0),
            extra: Bytes::new(),
        };
        let refuse = |this: &Self, result: u8, index: Option<usize>, out: &mut Outbox| {
            out.event(SimEvent::ChargingRefused {
                port: index.and_then(|i| this.ports.get(i)).map(|p| p.rf.clone()),
                code: result,
            });
            answer(
                result,
                index
                    .and_then(|i| u8::try_from(i).ok())
                    .unwrap_or(s.port.get()),
            )
        };
        let runs_order = |p: &DnyPort| p.charge.as_ref().is_some_and(|c| c.order_no == s.order_no);
        if s.charge_command == CHARGE_STOP {
            let index = if s.port == Port::ANY {
                self.ports.iter().position(runs_order)
            } else {
                Some(usize::from(s.port.get()))
            };
            return match index.and_then(|i| self.ports.get(i).map(|p| (i, runs_order(p)))) {
                Some((i, true)) => {
                    self.end_charge(i, now, EndReason::ServerStop, out);
                    answer(0, u8::try_from(i).unwrap_or(u8::MAX))
                }
                // A stop must carry the running order, else it is ignored (§1.7.8).
                Some((i, false)) => answer(2, u8::try_from(i).unwrap_or(u8::MAX)),
                None => answer(4, s.port.get()),
            };
        }
        let auto_plug = self.profile.auto_plug;
        let index = if s.port == Port::ANY {
            let free = |p: &&DnyPort| p.charge.is_none() && p.fault.is_none();
            let plugged = self.ports.iter().filter(free).position(|p| p.plugged);
            plugged.or_else(|| {
                auto_plug
                    .then(|| {
                        self.ports
                            .iter()
                            .position(|p| p.charge.is_none() && p.fault.is_none())
                    })
                    .flatten()
            })
        } else {
            Some(usize::from(s.port.get()))
        };
        let Some(i) = index else {
            return refuse(self, 1, None, out);
        };
        let Some(port) = self.ports.get(i) else {
            return refuse(self, 4, None, out);
        };
        if port.charge.is_some() {
            return refuse(self, 2, Some(i), out);
        }
        if port.fault.is_some_and(|f| f.persists()) {
            return refuse(self, 3, Some(i), out);
        }
        if !port.plugged && !auto_plug {
            return refuse(self, 1, Some(i), out);
        }
        let card = port
            .last_card
            .filter(|(_, at)| now.since(*at) <= CARD_WINDOW)
            .map(|(c, _)| c);
        let limit = self.limit_for(s);
        let session = Session::new(
            OrderRef::Dny(s.order_no),
            now,
            self.profile.curve,
            limit,
            card,
        );
        let charge = Charge {
            session,
            order_no: s.order_no,
            start_mode: 1,
            card_id: card.map_or(CardId::default(), super::frames::card_id),
            meter_at: now.after(self.profile.dny_meter),
            last_meter: Duration::ZERO,
        };
        if let Some(p) = self.ports.get_mut(i) {
            p.plugged = true;
            p.last_card = None;
            p.charge = Some(Box::new(charge));
            out.event(SimEvent::ChargingStarted {
                port: p.rf.clone(),
                order: OrderRef::Dny(s.order_no),
            });
        }
        answer(0, u8::try_from(i).unwrap_or(u8::MAX))
    }

    /// The limits of a 0x82 start (§1.7.8): a non-zero duration disables full-stop
    /// and the max-charge-time limit; a non-zero energy disables full-stop only;
    /// monthly and per-use orders always stop when full.
    fn limit_for(&self, s: &StartStop) -> Limit {
        let device_max = self.params.max_charge();
        let max = s.max_duration_s.filter(|&m| m > 0).map_or(device_max, secs);
        let mut limit = Limit::until_full(max);
        let value = s.duration_or_energy;
        match s.rate_mode {
            _ if value == 0 => {}
            RATE_MODE_ENERGY => {
                limit.energy_wh = Some(u64::from(value) * 10);
                limit.full_stop = false;
            }
            1 | 3 => limit.duration = Some(secs(value)),
            _ => {
                limit.duration = Some(secs(value));
                limit.full_stop = false;
                // The duration field is 16-bit; the settlement's too.
                limit.max_duration = secs(u16::MAX);
            }
        }
        if s.force_auto_stop == Some(1) {
            limit.full_stop = true;
        }
        let overload = s
            .overload_power
            .filter(|p| p.get() > 0)
            .unwrap_or(self.params.run2.overload_power);
        limit.overload_dw = Some(overload.get());
        limit
    }

    /// 0x8A: 0 ok, 1 port not charging, 2 value below what has run, 3 no such mode or
    /// port.
    pub(super) fn modify_charge(&mut self, now: SimTime, m: &ModifyCharge) -> u8 {
        if m.rate_mode > 2 {
            return 3;
        }
        let Some(port) = self.ports.get_mut(usize::from(m.port.get())) else {
            return 3;
        };
        let Some(c) = port.charge.as_deref_mut() else {
            return 1;
        };
        let elapsed = c.session.elapsed(now);
        let mut limit = c.session.limit().clone();
        if m.rate_mode == RATE_MODE_ENERGY {
            let wh = u64::from(m.value) * 10;
            if wh < c.session.energy_wh(elapsed) {
                return 2;
            }
            limit.energy_wh = Some(wh);
            limit.duration = None;
            limit.full_stop = true;
        } else {
            let d = secs(m.value);
            if d < elapsed {
                return 2;
            }
            limit.duration = Some(d);
            limit.energy_wh = None;
            limit.full_stop = m.rate_mode == 1;
            limit.max_duration = limit.max_duration.max(d);
        }
        c.session.set_limit(limit);
        0
    }

    /// 0x72: stop without opening the door; the order must match.
    pub(super) fn cabinet_stop(
        &mut self,
        now: SimTime,
        c: &CabinetStop,
        out: &mut Outbox,
    ) -> CabinetStopAnswer {
        let i = usize::from(c.port.get());
        let matches = self
            .ports
            .get(i)
            .and_then(|p| p.charge.as_ref())
            .is_some_and(|ch| ch.order_no == c.order_no);
        if matches {
            self.end_charge(i, now, EndReason::ServerStop, out);
        }
        CabinetStopAnswer {
            result: u8::from(!matches),
            order_no: Some(c.order_no),
            extra: Bytes::new(),
        }
    }
}
