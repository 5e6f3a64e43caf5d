//! Starting and ending charges on a GN socket port, and the end report each kind of
//! order gets (0x02, 0x18, 0x0C or BKV 0x1004), kept until acknowledged.

use std::time::Duration;

use codec_gn::bkv::{BkvBody, BkvPacket, ChargeEnded as BkvChargeEnded};
use codec_gn::codes::{BillingMode, RawBytes};
use codec_gn::msg::socket_up::{CardChargeEnded, ChargeEnded, PowerBracketEnded, SocketUp};
use codec_gn::units::{DeciWatts, Fen, Seconds};
use codec_gn::{BusinessNo, CardNo, Message, PortNo, SocketNo};

use super::frames::{current, whole_minutes, wire_wh};
use super::{Charge, GnGateway, Kind, PendingEnd};
use crate::clock::SimTime;
use crate::event::{OrderRef, SimEvent};
use crate::faults::EndReason;
use crate::runner::Outbox;
use crate::session::{Budget, Limit, Session};

/// GN card numbers are 6 bytes, big-endian.
pub(super) fn card_no(card: u64) -> CardNo {
    let b = card.to_be_bytes();
    CardNo::from_bytes([b[2], b[3], b[4], b[5], b[6], b[7]])
}

impl GnGateway {
    /// The socket's own limits: its max charge time and power limit (BKV 0x59,
    /// 0x11); a GN socket stops when the battery is full (no-load detection).
    pub(super) fn base_limit(&self, s: usize) -> Limit {
        let params = self.sockets.get(s).map(|k| &k.params);
        let max = params
            .and_then(|p| p.max_charge_duration)
            .map(|d| Duration::from_secs(u64::from(d.get().max(60))))
            .unwrap_or(self.profile.max_charge);
        let mut limit = Limit::until_full(max);
        limit.overload_dw = params.and_then(|p| p.power_limit).map(DeciWatts::get);
        limit
    }

    /// Starts a charge; `None` (and a refusal event) when the port cannot.
    pub(super) fn start(
        &mut self,
        now: SimTime,
        (s, p): (usize, u8),
        limit: Limit,
        kind: Kind,
        business: Option<u16>,
        out: &mut Outbox,
    ) -> Option<u16> {
        let auto_plug = self.profile.auto_plug;
        let ok = self.port(s, p).is_some_and(|x| {
            x.charge.is_none() && !x.fault.is_some_and(|f| f.persists()) && (x.plugged || auto_plug)
        });
        if !ok {
            out.event(SimEvent::ChargingRefused {
                port: self.port(s, p).map(|_| self.port_ref(s, p)),
                code: 0,
            });
            return None;
        }
        let business = business.unwrap_or_else(|| self.alloc_business());
        let card = match kind {
            Kind::Card { card, .. } => Some(card),
            _ => None,
        };
        let session = Session::new(OrderRef::Gn(business), now, self.profile.curve, limit, card);
        let rf = self.port_ref(s, p);
        let port = self.port_mut(s, p)?;
        port.plugged = true;
        port.swipe = None;
        port.charge = Some(Box::new(Charge {
            session,
            business,
            kind,
        }));
        self.mark_dirty(s);
        out.event(SimEvent::ChargingStarted {
            port: rf,
            order: OrderRef::Gn(business),
        });
        Some(business)
    }

    pub(super) fn tick_charges(&mut self, now: SimTime, out: &mut Outbox) {
        for s in 0..self.sockets.len() {
            for p in 0..2u8 {
                let due = self
                    .port(s, p)
                    .and_then(|x| x.charge.as_deref())
                    .map(|c| c.session.end())
                    .filter(|(at, _)| now >= *at);
                if let Some((at, reason)) = due {
                    self.end_charge(s, p, at, reason, out);
                }
            }
        }
    }

    /// Ends a running charge at `at`, queues its end report and reports it.
    pub(super) fn end_charge(
        &mut self,
        s: usize,
        p: u8,
        at: SimTime,
        reason: EndReason,
        out: &mut Outbox,
    ) {
        let Some(port) = self.port_mut(s, p) else {
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
        self.mark_dirty(s);
        let number = self
            .sockets
            .get(s)
            .and_then(|k| k.number)
            .unwrap_or(super::frames::NO_SOCKET);
        let elapsed = charge.session.elapsed(at);
        let amount = charge.session.amount_fen(elapsed);
        let (message, bkv) = self.end_message(number, p, &charge, elapsed, reason, at);
        let order = OrderRef::Gn(charge.business);
        out.event(SimEvent::Settled {
            port: self.port_ref(s, p),
            order,
            energy_wh: wire_wh(charge.session.energy_wh(elapsed))
                .get()
                .unsigned_abs(),
            duration_s: whole_minutes(elapsed).get(),
            reason,
            reason_code: reason.gn_code(),
            amount_fen: amount,
        });
        if let Some(frame) = self.encode(0, message) {
            self.ends.push_back(PendingEnd {
                socket: s,
                port: p,
                order,
                bkv,
                frame,
                next_at: at,
                attempts: 0,
            });
        }
    }

    /// The end report for a charge, and whether it is the BKV one.
    fn end_message(
        &self,
        number: SocketNo,
        p: u8,
        c: &Charge,
        elapsed: Duration,
        reason: EndReason,
        at: SimTime,
    ) -> (Message, bool) {
        let report = self.end_report(number, p, c, elapsed, reason);
        let amount = Fen::new(i64::from(c.session.amount_fen(elapsed).unwrap_or(0)));
        let settle = DeciWatts::new(c.session.max_power_dw(elapsed).min(u32::from(u16::MAX)));
        let durations = self.bracket_durations(c, elapsed);
        let up = |m: SocketUp| (Message::SocketUp(m), false);
        match c.kind {
            Kind::Control => up(SocketUp::ChargeEnded(ChargeEnded {
                report,
                extra: RawBytes::default(),
            })),
            Kind::Brackets => up(SocketUp::PowerBracketEnded(PowerBracketEnded {
                report,
                end_time: self.unix(at),
                end_reason: reason.gn_code(),
                amount,
                settle_power: settle,
                bracket_durations: durations,
                extra: RawBytes::default(),
            })),
            Kind::Card { card, mode } => up(SocketUp::CardChargeEnded(CardChargeEnded {
                report,
                card: card_no(card),
                card_type: 0,
                billing_mode: BillingMode(mode),
                amount,
                settle_power: settle,
                bracket_durations: durations,
                extra: RawBytes::default(),
            })),
            Kind::Fee {
                charge_mode,
                brackets,
            } => {
                let (elec, service) = c.session.fee_split(elapsed).unwrap_or((0, 0));
                let minutes = whole_minutes(elapsed).get() / 60;
                // 0x84: 6 bytes per bracket, split undocumented; the simulator puts
                // minutes (u16) and Wh (u32) of the whole charge in the first.
                let mut usage = Vec::with_capacity(6 * usize::from(brackets.max(1)));
                for i in 0..brackets.max(1) {
                    let (m, e) = if i == 0 {
                        (minutes, charge_wh(c, elapsed))
                    } else {
                        (0, 0)
                    };
                    usage.extend_from_slice(&u16::try_from(m).unwrap_or(u16::MAX).to_be_bytes());
                    usage.extend_from_slice(&e.to_be_bytes());
                }
                let body = BkvBody::ChargeEnded(BkvChargeEnded {
                    temperature: Some(report.temperature),
                    socket: Some(number),
                    port: Some(PortNo(p)),
                    status: Some(report.status),
                    business_no: Some(BusinessNo(c.business)),
                    power: Some(report.power),
                    current: Some(current(report.power.get())),
                    energy: Some(report.energy),
                    charge_duration: Some(report.charge_duration),
                    end_time: Some(self.unix(at)),
                    end_reason: Some(reason.gn_code()),
                    charge_mode: Some(charge_mode),
                    electricity_fee: Some(Fen::new(i64::from(elec))),
                    service_fee: Some(Fen::new(i64::from(service))),
                    bracket_count: Some(brackets.max(1)),
                    bracket_usage: Some(RawBytes(usage.into())),
                    ..BkvChargeEnded::default()
                });
                (Message::Bkv(BkvPacket::new(0, self.id, body)), true)
            }
        }
    }

    /// Per-bracket minutes: all of the charge in the bracket of the settle power.
    fn bracket_durations(&self, c: &Charge, elapsed: Duration) -> Vec<Seconds> {
        let Some(Budget::Brackets { brackets, .. }) = c.session.limit().budget.as_ref() else {
            return Vec::new();
        };
        let at = c.session.bracket_index(elapsed);
        (0..brackets.len())
            .map(|i| {
                if Some(i) == at {
                    whole_minutes(elapsed)
                } else {
                    Seconds::new(0)
                }
            })
            .collect()
    }

    /// An acknowledgement of a 0x0015 end report (0x0C form, per socket) or of a BKV
    /// 0x1004 (per socket and port): the oldest matching report is done.
    pub(super) fn end_acked(&mut self, number: SocketNo, port: Option<PortNo>, out: &mut Outbox) {
        let bkv = port.is_some();
        let pos = self.ends.iter().position(|e| {
            e.bkv == bkv
                && self.sockets.get(e.socket).and_then(|k| k.number) == Some(number)
                && port.is_none_or(|p| p.0 == e.port)
        });
        if let Some(done) = pos.and_then(|i| self.ends.remove(i)) {
            out.event(SimEvent::SettlementAcked {
                port: self.port_ref(done.socket, done.port),
                order: done.order,
            });
        }
    }
}

fn charge_wh(c: &Charge, elapsed: Duration) -> u32 {
    u32::try_from(c.session.energy_wh(elapsed)).unwrap_or(u32::MAX)
}
