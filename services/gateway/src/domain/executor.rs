//! One connection's command scheduling, pure: the protocol rules of fact sheet 1.4 / 2.2
//! as a state machine the connection drives with `now`.
//!
//! - one command in flight per device (a lane: a DNY pile, a GN socket or gateway);
//! - at least `min_gap` between two commands to a device (DNY: 0.5 s);
//! - no answer within `answer_timeout` → the same frame again (same message id), at most
//!   `resends` times, then `TIMEOUT` — the connection's rule, or the plan's own
//!   [`Timing`] where it has one (DNY firmware packets: 30 s, three resends);
//! - a bounded queue per device; a command that waited longer than one whole command's
//!   worth of time ends `BUSY` without having been sent, so callers never hang and never
//!   get a late, surprising start.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult};

use super::command::{Expect, Plan, Reply, Timing, outcome};

/// Someone waiting for a command's result; the executor drops queued commands whose
/// waiter is gone instead of sending them.
pub trait Waiter {
    fn abandoned(&self) -> bool;
}

/// The timing rules of a connection's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub answer_timeout: Duration,
    pub resends: u32,
    pub min_gap: Duration,
    pub max_queued: usize,
}

impl Rules {
    /// DNY 1.4: 15 s, one resend, ≥ 0.5 s apart.
    pub fn dny(answer_timeout: Duration) -> Self {
        Self {
            answer_timeout,
            resends: 1,
            min_gap: Duration::from_millis(500),
            max_queued: 16,
        }
    }

    /// GN: the same answer rule; the documents set no spacing.
    pub fn gn(answer_timeout: Duration) -> Self {
        Self {
            min_gap: Duration::ZERO,
            ..Self::dny(answer_timeout)
        }
    }

    /// The answer rule of a command without its own.
    pub fn timing(&self) -> Timing {
        Timing {
            answer_timeout: self.answer_timeout,
            resends: self.resends,
        }
    }

    /// The longest an ordinary command may fly: every transmission's full timeout.
    pub fn flight(&self) -> Duration {
        self.timing().flight()
    }

    /// The longest a caller waits: one command ahead of it, then its own.
    pub fn budget(&self) -> Duration {
        self.flight() * 2 + self.min_gap
    }
}

/// What the connection must do.
#[derive(Debug)]
pub enum Effect<W> {
    /// Write this frame to the device.
    Send(Bytes),
    /// The command of `W` ended.
    Done(W, CommandResult),
}

struct Queued<W> {
    plan: Plan,
    waiter: W,
    /// Not sent by then → `BUSY`.
    start_by: Instant,
}

struct InFlight<W> {
    plan: Plan,
    waiter: W,
    correlation: u32,
    frame: Bytes,
    attempts: u32,
    resend_at: Instant,
    /// The plan's own timing, or the connection's.
    timing: Timing,
}

struct Lane<W> {
    queue: VecDeque<Queued<W>>,
    flying: Option<InFlight<W>>,
    last_sent: Option<Instant>,
}

/// The commands of one connection.
pub struct Executor<W> {
    rules: Rules,
    lanes: HashMap<String, Lane<W>>,
    next: u32,
}

impl<W: Waiter> Executor<W> {
    /// `seed` starts the message ids / sequences, so a reconnected device does not see
    /// the ids of the previous connection again.
    pub fn new(rules: Rules, seed: u32) -> Self {
        Self {
            rules,
            lanes: HashMap::new(),
            next: seed,
        }
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Queues a command; `BUSY` at once when the device's queue is full.
    pub fn submit(&mut self, plan: Plan, waiter: W, now: Instant) -> Vec<Effect<W>> {
        let lane = self
            .lanes
            .entry(plan.target.device_id())
            .or_insert_with(|| Lane {
                queue: VecDeque::new(),
                flying: None,
                last_sent: None,
            });
        if lane.queue.len() >= self.rules.max_queued {
            return vec![Effect::Done(
                waiter,
                outcome(
                    CommandOutcome::Busy,
                    "设备命令队列已满 / too many commands queued for this device",
                ),
            )];
        }
        lane.queue.push_back(Queued {
            plan,
            waiter,
            start_by: now + self.rules.flight() + self.rules.min_gap,
        });
        self.poll(now)
    }

    /// An uplink that may answer a command in flight.
    pub fn on_reply(&mut self, reply: &Reply, now: Instant) -> Vec<Effect<W>> {
        let mut effects = Vec::new();
        for lane in self.lanes.values_mut() {
            let answered = lane
                .flying
                .as_ref()
                .is_some_and(|f| f.plan.answered_by(f.correlation, reply));
            if answered && let Some(f) = lane.flying.take() {
                let mut result = f.plan.interpret(reply);
                result.attempts = f.attempts;
                effects.push(Effect::Done(f.waiter, result));
                break;
            }
        }
        if !effects.is_empty() {
            effects.extend(self.poll(now));
        }
        effects
    }

    /// Resends, timeouts and queued commands that may start now.
    pub fn poll(&mut self, now: Instant) -> Vec<Effect<W>> {
        let mut effects = Vec::new();
        let rules = self.rules;
        let next = &mut self.next;
        for lane in self.lanes.values_mut() {
            if let Some(f) = lane.flying.as_mut()
                && now >= f.resend_at
            {
                if f.attempts <= f.timing.resends {
                    f.attempts += 1;
                    f.resend_at = now + f.timing.answer_timeout;
                    lane.last_sent = Some(now);
                    effects.push(Effect::Send(f.frame.clone()));
                } else if let Some(f) = lane.flying.take() {
                    let mut r = outcome(
                        CommandOutcome::Timeout,
                        format!(
                            "设备未应答 / no answer after {} transmissions, {:?} apart",
                            f.attempts, f.timing.answer_timeout
                        ),
                    );
                    r.attempts = f.attempts;
                    effects.push(Effect::Done(f.waiter, r));
                }
            }
            lane.queue.retain(|q| !q.waiter.abandoned());
            while lane.queue.front().is_some_and(|q| now >= q.start_by) {
                if let Some(q) = lane.queue.pop_front() {
                    effects.push(Effect::Done(
                        q.waiter,
                        outcome(
                            CommandOutcome::Busy,
                            "设备忙，命令未发送 / not sent: the device was busy with earlier commands",
                        ),
                    ));
                }
            }
            Self::start_next(lane, rules, next, now, &mut effects);
        }
        self.lanes.retain(|_, l| {
            l.flying.is_some() || !l.queue.is_empty() || Self::gap_pending(l, rules, now)
        });
        effects
    }

    /// Starts the lane's next command if nothing flies and the spacing allows.
    fn start_next(
        lane: &mut Lane<W>,
        rules: Rules,
        next: &mut u32,
        now: Instant,
        effects: &mut Vec<Effect<W>>,
    ) {
        while lane.flying.is_none() {
            if lane.last_sent.is_some_and(|t| now < t + rules.min_gap) {
                return;
            }
            let Some(q) = lane.queue.pop_front() else {
                return;
            };
            let correlation = allocate(next);
            let frame = match q.plan.encode(correlation) {
                Ok(f) => f,
                Err(e) => {
                    effects.push(Effect::Done(
                        q.waiter,
                        outcome(CommandOutcome::Unspecified, e.to_string()),
                    ));
                    continue;
                }
            };
            lane.last_sent = Some(now);
            effects.push(Effect::Send(frame.clone()));
            if q.plan.expect == Expect::Nothing {
                let mut r = outcome(CommandOutcome::Sent, "");
                r.attempts = 1;
                effects.push(Effect::Done(q.waiter, r));
                continue;
            }
            let timing = q.plan.timing.unwrap_or(rules.timing());
            lane.flying = Some(InFlight {
                plan: q.plan,
                waiter: q.waiter,
                correlation,
                frame,
                attempts: 1,
                resend_at: now + timing.answer_timeout,
                timing,
            });
        }
    }

    /// A lane is kept while its spacing still matters, so the next command waits.
    fn gap_pending(lane: &Lane<W>, rules: Rules, now: Instant) -> bool {
        lane.last_sent.is_some_and(|t| now < t + rules.min_gap)
    }

    /// When `poll` next has something to do.
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.lanes
            .values()
            .filter_map(|l| match &l.flying {
                Some(f) => Some(f.resend_at),
                None => l.queue.front().map(|q| {
                    let gap = l.last_sent.map(|t| t + self.rules.min_gap);
                    gap.map_or(q.start_by, |g| g.min(q.start_by))
                }),
            })
            .min()
    }

    /// The connection ended: every command ends `DEVICE_OFFLINE`.
    pub fn close(&mut self, why: &str) -> Vec<(W, CommandResult)> {
        let detail = format!("设备已离线 / the device's connection closed: {why}");
        let mut out = Vec::new();
        for (_, lane) in self.lanes.drain() {
            if let Some(f) = lane.flying {
                let mut r = outcome(CommandOutcome::DeviceOffline, detail.clone());
                r.attempts = f.attempts;
                out.push((f.waiter, r));
            }
            for q in lane.queue {
                out.push((
                    q.waiter,
                    outcome(CommandOutcome::DeviceOffline, detail.clone()),
                ));
            }
        }
        out
    }
}

/// The next message id / sequence: never 0 in its low 16 bits (DNY uses 16 bits; GN
/// device reports and their acknowledgements use sequence 0).
fn allocate(next: &mut u32) -> u32 {
    loop {
        let c = *next;
        *next = next.wrapping_add(1);
        if c & 0xFFFF != 0 {
            return c;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use codec_dny::{Frame, MessageId, Uplink};
    use proto::pylon::gateway::v1::forwarded_command::Request;
    use proto::pylon::gateway::v1::{ForwardedCommand, RebootRequest};

    use super::*;
    use crate::domain::command::plan;

    const PILE: &str = "04ceaa40";

    #[derive(Debug, Clone, Default)]
    struct W(u32, Rc<Cell<bool>>);
    impl Waiter for W {
        fn abandoned(&self) -> bool {
            self.1.get()
        }
    }

    fn reboot() -> Plan {
        plan(&ForwardedCommand {
            request: Some(Request::Reboot(RebootRequest {
                device_id: PILE.into(),
            })),
        })
        .unwrap()
    }

    fn answer(id: u16) -> Reply {
        Reply::Dny {
            frame: Frame {
                physical_id: PILE.parse().unwrap(),
                message_id: MessageId::new(id),
                message: Uplink::RebootAnswer(codec_dny::ResultAnswer::new(0)),
            },
            raw: None,
        }
    }

    fn sent(effects: &[Effect<W>]) -> Vec<u16> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send(b) => Some(
                    Frame::<codec_dny::Downlink>::decode(b)
                        .unwrap()
                        .message_id
                        .get(),
                ),
                Effect::Done(..) => None,
            })
            .collect()
    }

    fn done(effects: Vec<Effect<W>>) -> Vec<(u32, i32, u32)> {
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Done(w, r) => Some((w.0, r.outcome, r.attempts)),
                Effect::Send(_) => None,
            })
            .collect()
    }

    fn rules() -> Rules {
        Rules::dny(Duration::from_secs(15))
    }

    #[test]
    fn an_answer_with_our_id_completes_the_command() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 100);
        let e = ex.submit(reboot(), W(1, Default::default()), t0);
        assert_eq!(sent(&e), [100]);
        assert!(done(ex.on_reply(&answer(99), t0)).is_empty(), "another id");
        let d = done(ex.on_reply(&answer(100), t0 + Duration::from_secs(1)));
        assert_eq!(d, [(1, CommandOutcome::Ok as i32, 1)]);
    }

    #[test]
    fn no_answer_resends_the_same_id_once_then_times_out() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 7);
        ex.submit(reboot(), W(1, Default::default()), t0);
        assert!(ex.poll(t0 + Duration::from_secs(14)).is_empty());
        assert_eq!(ex.next_wakeup(), Some(t0 + Duration::from_secs(15)));
        let e = ex.poll(t0 + Duration::from_secs(15));
        assert_eq!(sent(&e), [7], "the resend reuses the message id");
        let e = ex.poll(t0 + Duration::from_secs(30));
        assert_eq!(done(e), [(1, CommandOutcome::Timeout as i32, 2)]);
        assert_eq!(ex.next_wakeup(), None);
    }

    #[test]
    fn an_answer_to_the_resend_succeeds_with_two_attempts() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 7);
        ex.submit(reboot(), W(1, Default::default()), t0);
        ex.poll(t0 + Duration::from_secs(15));
        let d = done(ex.on_reply(&answer(7), t0 + Duration::from_secs(16)));
        assert_eq!(d, [(1, CommandOutcome::Ok as i32, 2)]);
    }

    #[test]
    fn one_in_flight_per_device_and_half_a_second_between_commands() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 1);
        assert_eq!(
            sent(&ex.submit(reboot(), W(1, Default::default()), t0)),
            [1]
        );
        assert!(sent(&ex.submit(reboot(), W(2, Default::default()), t0)).is_empty());
        // Answered at once: the second still waits for the spacing.
        let e = ex.on_reply(&answer(1), t0 + Duration::from_millis(100));
        assert!(sent(&e).is_empty());
        assert_eq!(ex.next_wakeup(), Some(t0 + Duration::from_millis(500)));
        assert!(sent(&ex.poll(t0 + Duration::from_millis(499))).is_empty());
        assert_eq!(sent(&ex.poll(t0 + Duration::from_millis(500))), [2]);
    }

    #[test]
    fn a_command_stuck_behind_others_ends_busy_unsent_and_abandoned_ones_are_dropped() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 1);
        ex.submit(reboot(), W(1, Default::default()), t0);
        ex.submit(reboot(), W(2, Default::default()), t0);
        ex.submit(reboot(), W(3, Default::default()), t0);
        let gone = Rc::new(Cell::new(false));
        ex.submit(reboot(), W(4, gone.clone()), t0);
        gone.set(true);
        ex.poll(t0 + Duration::from_secs(15));
        let e = ex.poll(t0 + Duration::from_secs(30));
        assert_eq!(
            sent(&e),
            [2],
            "the next command starts when the first times out"
        );
        assert_eq!(done(e), [(1, CommandOutcome::Timeout as i32, 2)]);
        let e = ex.poll(t0 + Duration::from_millis(30_500));
        assert!(sent(&e).is_empty());
        assert_eq!(
            done(e),
            [(3, CommandOutcome::Busy as i32, 0)],
            "the abandoned command is neither sent nor answered"
        );
    }

    #[test]
    fn a_full_queue_answers_busy_and_closing_answers_offline() {
        let t0 = Instant::now();
        let mut ex = Executor::new(
            Rules {
                max_queued: 1,
                ..rules()
            },
            1,
        );
        ex.submit(reboot(), W(1, Default::default()), t0);
        ex.submit(reboot(), W(2, Default::default()), t0);
        let d = done(ex.submit(reboot(), W(3, Default::default()), t0));
        assert_eq!(d, [(3, CommandOutcome::Busy as i32, 0)]);
        let mut closed: Vec<_> = ex
            .close("gone")
            .into_iter()
            .map(|(w, r)| (w.0, r.outcome))
            .collect();
        closed.sort_unstable();
        let offline = CommandOutcome::DeviceOffline as i32;
        assert_eq!(closed, [(1, offline), (2, offline)]);
    }

    #[test]
    fn a_plan_with_its_own_timing_waits_longer_and_resends_more_often() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 40);
        let mut packet = reboot();
        packet.timing = Some(Timing {
            answer_timeout: Duration::from_secs(30),
            resends: 3,
        });
        assert_eq!(sent(&ex.submit(packet, W(1, Default::default()), t0)), [40]);
        assert!(
            ex.poll(t0 + Duration::from_secs(15)).is_empty(),
            "not the connection's 15 s"
        );
        assert_eq!(ex.next_wakeup(), Some(t0 + Duration::from_secs(30)));
        for k in 1..=3 {
            let e = ex.poll(t0 + Duration::from_secs(30 * k));
            assert_eq!(sent(&e), [40], "resend {k} reuses the message id");
            assert!(done(e).is_empty());
        }
        let d = done(ex.poll(t0 + Duration::from_secs(120)));
        assert_eq!(d, [(1, CommandOutcome::Timeout as i32, 4)]);
        // The next ordinary command is back on the connection's rule.
        ex.submit(
            reboot(),
            W(2, Default::default()),
            t0 + Duration::from_secs(121),
        );
        assert_eq!(
            ex.next_wakeup(),
            Some(t0 + Duration::from_secs(136)),
            "15 s again"
        );
    }

    #[test]
    fn an_answered_packet_still_keeps_half_a_second_before_the_next() {
        let t0 = Instant::now();
        let mut ex = Executor::new(rules(), 1);
        let packet = || {
            let mut p = reboot();
            p.timing = Some(Timing {
                answer_timeout: Duration::from_millis(800),
                resends: 3,
            });
            p
        };
        ex.submit(packet(), W(1, Default::default()), t0);
        ex.on_reply(&answer(1), t0 + Duration::from_millis(50));
        let e = ex.submit(
            packet(),
            W(2, Default::default()),
            t0 + Duration::from_millis(60),
        );
        assert!(sent(&e).is_empty(), "the spacing holds for packets too");
        assert_eq!(sent(&ex.poll(t0 + Duration::from_millis(500))), [2]);
    }

    #[test]
    fn ids_skip_zero_in_the_low_sixteen_bits() {
        let mut n = 0xFFFF;
        assert_eq!(allocate(&mut n), 0xFFFF);
        assert_eq!(allocate(&mut n), 0x1_0001);
    }
}
