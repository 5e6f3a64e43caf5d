//! A DNY pile's own reports over time: charges ending by their limits, 0x06 meter
//! heartbeats while charging, and the settlement queue (first sent 2 s after the port
//! switches off, resent every 30 min until answered, §1.7.6).

use codec_dny::Uplink;

use super::{DnyPile, SETTLEMENT_DELAY, Stored, frames};
use crate::clock::SimTime;
use crate::event::{OrderRef, SimEvent};
use crate::faults::EndReason;
use crate::runner::Outbox;

impl DnyPile {
    /// Ends a running charge at `at` and stores its settlement.
    pub(super) fn end_charge(
        &mut self,
        index: usize,
        at: SimTime,
        reason: EndReason,
        out: &mut Outbox,
    ) {
        let Some(port) = self.ports.get_mut(index) else {
            return;
        };
        let Some(charge) = port.charge.take() else {
            return;
        };
        // The user takes the charger away once a charge is over.
        port.plugged = false;
        if let EndReason::Fault(f) = reason
            && f.persists()
        {
            port.fault = Some(f);
        }
        let rf = port.rf.clone();
        let elapsed = charge.session.elapsed(at);
        let settlement = self.settlement(index, &charge, elapsed, reason.dny_code(), self.unix(at));
        out.event(SimEvent::Settled {
            port: rf,
            order: OrderRef::Dny(charge.order_no),
            energy_wh: settlement.record.energy.get(),
            duration_s: u32::from(settlement.record.charge_duration_s),
            reason,
            reason_code: reason.dny_code(),
            amount_fen: None,
        });
        self.settlements.push_back(Stored {
            port: index,
            order: charge.order_no,
            settlement,
            id: None,
            next_at: at.after(SETTLEMENT_DELAY),
            attempts: 0,
        });
    }

    pub(super) fn tick_ports(&mut self, now: SimTime, out: &mut Outbox) {
        for i in 0..self.ports.len() {
            let Some(c) = self.ports.get(i).and_then(|p| p.charge.as_deref()) else {
                continue;
            };
            let (end_at, reason) = c.session.end();
            if now >= end_at {
                self.end_charge(i, end_at, reason, out);
                continue;
            }
            if now < c.meter_at {
                continue;
            }
            let elapsed = c.session.elapsed(now);
            let meter = self.online.then(|| {
                (
                    self.meter_msg(i, c, elapsed, self.unix(now)),
                    c.session.energy_wh(elapsed),
                    c.session.power_dw(elapsed),
                    c.session.order,
                )
            });
            if let Some(ch) = self.ports.get_mut(i).and_then(|p| p.charge.as_deref_mut()) {
                ch.meter_at = now.after(self.profile.dny_meter);
                ch.last_meter = elapsed;
            }
            if let Some((msg, energy, power, order)) = meter {
                let id = self.alloc_id();
                self.send(now, out, id, msg);
                if let Some(rf) = self.ports.get(i).map(|p| p.rf.clone()) {
                    out.event(SimEvent::Meter {
                        port: rf,
                        order,
                        elapsed_s: u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX),
                        energy_wh: frames::wire_wh(energy).get(),
                        power_dw: power,
                    });
                }
            }
        }
    }

    pub(super) fn tick_settlements(&mut self, now: SimTime, out: &mut Outbox) {
        let Some(head) = self.settlements.front() else {
            return;
        };
        if now < head.next_at {
            return;
        }
        let (head_id, msg) = (head.id, Uplink::Settlement(head.settlement.clone()));
        let id = match head_id {
            Some(id) => id,
            None => self.alloc_id(),
        };
        self.send(now, out, id, msg);
        let resend = self.profile.dny_settlement_resend;
        let Some(head) = self.settlements.front_mut() else {
            return;
        };
        head.id = Some(id);
        head.attempts += 1;
        head.next_at = now.after(resend);
        if head.attempts > 1 {
            let (port, order, attempt) = (head.port, head.order, head.attempts);
            if let Some(rf) = self.ports.get(port).map(|p| p.rf.clone()) {
                out.event(SimEvent::SettlementResent {
                    port: rf,
                    order: OrderRef::Dny(order),
                    attempt,
                });
            }
        }
    }
}
