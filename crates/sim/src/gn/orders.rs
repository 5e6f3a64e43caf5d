//! Charges the server orders on a GN socket: 0x0015/0x07 by time or energy, 0x17 by
//! power brackets, 0x0B card orders, BKV 0x1007 in fee mode; each start answered
//! with the business number the socket allocates.

use std::time::Duration;

use bytes::Bytes;
use codec_gn::BusinessNo;
use codec_gn::bkv::{StartStop, StartStopAnswer};
use codec_gn::codes::{BillingMode, ControlMode, RawBytes};
use codec_gn::msg::OtherSub;
use codec_gn::msg::socket_common::PowerBracket;
use codec_gn::msg::socket_down::{CardOrder, Control, PowerBracketStart};
use codec_gn::msg::socket_up::{ControlAnswer, OrderAccepted};
use codec_gn::time::WIRE_UTC_OFFSET_SECS;

use super::commands::result;
use super::{GnGateway, Kind};
use crate::clock::SimTime;
use crate::runner::Outbox;
use crate::session::{Bracket, Budget};

/// Sub-command of the power-bracket start and of its answer.
const SUB_BRACKETS: u8 = 0x17;

impl GnGateway {
    /// 0x07 by time (minutes) or energy (Wh); the answer carries the business number
    /// the socket allocates.
    pub(super) fn control(&mut self, now: SimTime, c: &Control, out: &mut Outbox) -> ControlAnswer {
        let answer = |ok: bool, business: u16| ControlAnswer {
            result: result(ok),
            socket: c.socket,
            port: c.port,
            business_no: BusinessNo(business),
            extra: RawBytes::default(),
        };
        let Some((s, p)) = self.target(c.socket, c.port) else {
            return answer(false, 0);
        };
        if !c.switch.is_on() {
            return self
                .stop(now, s, p, out)
                .map_or(answer(false, 0), |b| answer(true, b));
        }
        let mut limit = self.base_limit(s);
        if c.mode == ControlMode::BY_TIME {
            if c.duration.get() == 0 {
                return answer(false, 0);
            }
            limit.duration = Some(Duration::from_secs(u64::from(c.duration.get())));
        } else {
            let Ok(wh @ 1..) = u64::try_from(c.energy.get()) else {
                return answer(false, 0);
            };
            limit.energy_wh = Some(wh);
        }
        match self.start(now, (s, p), limit, Kind::Control, None, out) {
            Some(b) => answer(true, b),
            None => answer(false, 0),
        }
    }

    /// 0x17 power brackets. No answer example exists; the simulator answers with the
    /// 0x07 answer's layout under sub-command 0x17: result, socket, port, business.
    pub(super) fn brackets(
        &mut self,
        now: SimTime,
        b: &PowerBracketStart,
        out: &mut Outbox,
    ) -> OtherSub {
        let business = match self.target(b.socket, b.port) {
            Some((s, p)) if !b.switch.is_on() => self.stop(now, s, p, out),
            Some((s, p)) => match budget(b.amount.get(), &b.brackets) {
                Some(budget) => {
                    let mut limit = self.base_limit(s);
                    limit.budget = Some(budget);
                    self.start(now, (s, p), limit, Kind::Brackets, None, out)
                }
                None => None,
            },
            None => None,
        };
        let [hi, lo] = business.unwrap_or(0).to_be_bytes();
        let body = [result(business.is_some()).0, b.socket.0, b.port.0, hi, lo];
        OtherSub {
            sub_command: SUB_BRACKETS,
            body: RawBytes(Bytes::copy_from_slice(&body)),
        }
    }

    /// 0x0B card order for a swipe. The duration unit is undocumented (§4.2 #13);
    /// the simulator reads it as seconds.
    pub(super) fn card_order(
        &mut self,
        now: SimTime,
        o: &CardOrder,
        out: &mut Outbox,
    ) -> OrderAccepted {
        let accepted = |ok: bool| OrderAccepted {
            socket: o.socket,
            port: o.port,
            result: result(ok),
            extra: RawBytes::default(),
        };
        let Some((s, p)) = self.target(o.socket, o.port) else {
            return accepted(false);
        };
        if !o.switch.is_on() {
            let runs = self
                .port(s, p)
                .and_then(|x| x.charge.as_ref())
                .is_some_and(|c| c.business == o.business_no.0);
            return accepted(runs && self.stop(now, s, p, out).is_some());
        }
        let card = self
            .port(s, p)
            .and_then(|x| x.swipe)
            .filter(|(_, b)| *b == o.business_no.0)
            .map_or(0, |(c, _)| c);
        let mut limit = self.base_limit(s);
        match o.mode {
            BillingMode::TIME if o.duration_raw > 0 => {
                limit.duration = Some(Duration::from_secs(u64::from(o.duration_raw)));
            }
            BillingMode::TIME => {}
            BillingMode::ENERGY => {
                limit.energy_wh = u64::try_from(o.energy.get()).ok().filter(|&e| e > 0);
            }
            BillingMode::POWER_BRACKETS => {
                let plan = o
                    .plan
                    .as_ref()
                    .and_then(|pl| budget(pl.amount.get(), &pl.brackets));
                let Some(plan) = plan else {
                    return accepted(false);
                };
                limit.budget = Some(plan);
            }
            _ => return accepted(false),
        }
        let kind = Kind::Card {
            card,
            mode: o.mode.0,
        };
        accepted(
            self.start(now, (s, p), limit, kind, Some(o.business_no.0), out)
                .is_some(),
        )
    }

    /// BKV 0x1007 (fee mode): the paid amount buys energy at the electricity price
    /// plus the service fee (per kWh, or per hour in service-fee mode 0) of the
    /// time-of-day bracket the charge starts in.
    pub(super) fn fee_start_stop(
        &mut self,
        now: SimTime,
        s: &StartStop,
        out: &mut Outbox,
    ) -> StartStopAnswer {
        let answer = |business: Option<u16>| StartStopAnswer {
            socket: s.socket,
            port: s.port,
            ack: Some(result(business.is_some())),
            business_no: business.map(BusinessNo),
            ..StartStopAnswer::default()
        };
        let target = s.socket.zip(s.port).and_then(|(k, p)| self.target(k, p));
        let Some((k, p)) = target else {
            return answer(None);
        };
        if !s.switch.is_some_and(|w| w.is_on()) {
            return answer(self.stop(now, k, p, out));
        }
        let brackets = s.fee_brackets.clone().unwrap_or_default();
        let local_min = (self.clock.unix_secs(now) + WIRE_UTC_OFFSET_SECS).rem_euclid(86_400) / 60;
        let bracket = brackets
            .iter()
            .find(|b| i64::from(b.end.hour) * 60 + i64::from(b.end.minute) >= local_min)
            .or(brackets.last());
        let mut limit = self.base_limit(k);
        let amount = s.payment.map_or(0, |f| f.get());
        if let (Some(b), Ok(amount @ 1..)) = (bracket, u32::try_from(amount)) {
            limit.budget = Some(Budget::Fee {
                amount_fen: amount,
                electricity_fen_per_kwh: u32::try_from(b.electricity_price.get()).unwrap_or(0),
                service_fen: u32::try_from(b.service_fee.get()).unwrap_or(0),
                service_by_energy: s.service_fee_mode != Some(0),
            });
        }
        let kind = Kind::Fee {
            charge_mode: s.charge_mode.unwrap_or(4),
            brackets: u8::try_from(brackets.len()).unwrap_or(u8::MAX),
        };
        answer(self.start(now, (k, p), limit, kind, None, out))
    }
}

/// A power-bracket budget, brackets sorted by their power ceiling; `None` without
/// brackets.
fn budget(amount: i64, brackets: &[PowerBracket]) -> Option<Budget> {
    let mut v: Vec<Bracket> = brackets
        .iter()
        .map(|b| Bracket {
            max_dw: b.max_power.get(),
            price_fen: u32::try_from(b.price.get()).unwrap_or(0),
            per_s: b.duration.get(),
        })
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by_key(|b| b.max_dw);
    Some(Budget::Brackets {
        amount_fen: u32::try_from(amount).unwrap_or(0),
        brackets: v,
    })
}
