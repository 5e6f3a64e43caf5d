//! The order state machine (docs/charging.md has the diagram). Every input is applied
//! here; the answer says where the order goes and what must happen because of it. An
//! input that does not fit the state is either a harmless repeat (`Ignore`: two stop
//! requests, a late confirmation, a duplicate settlement) or refused (`Refuse`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Created,
    Authorized,
    Starting,
    Charging,
    Stopping,
    Ended,
    Settled,
    StartFailed,
    Cancelled,
    AbnormalEnd,
    NeedsReview,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Authorized => "authorized",
            State::Starting => "starting",
            State::Charging => "charging",
            State::Stopping => "stopping",
            State::Ended => "ended",
            State::Settled => "settled",
            State::StartFailed => "start_failed",
            State::Cancelled => "cancelled",
            State::AbnormalEnd => "abnormal_end",
            State::NeedsReview => "needs_review",
        }
    }

    /// Every state, in the order of the machine.
    pub const ALL: [State; 11] = [
        State::Created,
        State::Authorized,
        State::Starting,
        State::Charging,
        State::Stopping,
        State::Ended,
        State::Settled,
        State::StartFailed,
        State::Cancelled,
        State::AbnormalEnd,
        State::NeedsReview,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The order still holds its port (a second order there is refused).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            State::Created
                | State::Authorized
                | State::Starting
                | State::Charging
                | State::Stopping
        )
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Settled | State::StartFailed | State::Cancelled | State::NeedsReview
        )
    }
}

/// Something that happened to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The payment hold (or the card's wallet) covers the order.
    Authorized,
    /// No money: the hold was refused.
    AuthorizationFailed,
    /// The start command goes to the pile.
    StartSent,
    /// The pile confirmed the start (command answer or `charging_started` event).
    StartConfirmed,
    /// The pile refused, did not answer after the resend, or is offline.
    StartFailed,
    /// Someone asks to stop: the driver, an operator, a limit.
    StopRequested,
    /// The pile reports the end with its settlement.
    Ended,
    /// Billed and captured.
    Settled,
    /// A transitional state outlived its timeout.
    TimedOut,
    /// The driver or the operator cancels before charging started.
    Cancel,
    /// An operator closes an order that will not end by itself (a pile gone for good).
    ForceEnd,
    /// A card session: the pile started on an approved swipe and the hold is placed.
    StartedByCard,
}

/// What must happen because of a transition (the app layer carries it out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    SendStart,
    SendStop,
    /// Give the hold back (nothing was charged).
    ReleaseHold,
    /// Rate the session and capture the bill (from the settlement).
    Settle,
    /// Rate from the last meter sample and flag for a person.
    SettleFromMeter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Go {
        to: State,
        effects: Vec<Effect>,
    },
    /// A repeat or a late message: nothing changes.
    Ignore,
    /// Does not fit: the caller is told why.
    Refuse(&'static str),
}

fn go(to: State, effects: &[Effect]) -> Outcome {
    Outcome::Go {
        to,
        effects: effects.to_vec(),
    }
}

/// Applies `input` to an order in `state`.
pub fn apply(state: State, input: &Input) -> Outcome {
    use Effect as E;
    use Input as I;
    use State as S;
    match (state, input) {
        (S::Created, I::Authorized) => go(S::Authorized, &[E::SendStart]),
        // The pile started by itself on the card: nothing to send.
        (S::Created, I::StartedByCard) => go(S::Charging, &[]),
        (S::Created, I::AuthorizationFailed) => go(S::Cancelled, &[]),
        (S::Created | S::Authorized, I::Cancel) => go(S::Cancelled, &[E::ReleaseHold]),
        (S::Authorized, I::StartSent) => go(S::Starting, &[]),
        (S::Authorized | S::Starting, I::StartConfirmed) => go(S::Charging, &[]),
        (S::Authorized | S::Starting, I::StartFailed | I::TimedOut) => {
            go(S::StartFailed, &[E::ReleaseHold])
        }
        // Stopping before the pile confirmed: the start may still land, so stop it too.
        (S::Starting, I::StopRequested | I::Cancel) => go(S::Stopping, &[E::SendStop]),
        (S::Charging, I::StopRequested) => go(S::Stopping, &[E::SendStop]),
        // The pile's own end (limit reached, unplugged) or the answer to our stop.
        (S::Starting | S::Charging | S::Stopping, I::Ended) => go(S::Ended, &[E::Settle]),
        // No settlement in time: close from the last meter sample.
        (S::Charging | S::Stopping, I::TimedOut) => go(S::NeedsReview, &[E::SettleFromMeter]),
        (S::Ended, I::Settled) => go(S::Settled, &[]),
        (S::Ended, I::TimedOut) => go(S::NeedsReview, &[E::SettleFromMeter]),
        (S::NeedsReview, I::Ended) => go(S::Ended, &[E::Settle]),
        // Repeats and late messages.
        (S::Stopping, I::StopRequested)
        | (S::Charging | S::Stopping, I::StartConfirmed)
        | (S::Ended | S::Settled, I::Ended | I::StopRequested | I::StartConfirmed)
        | (S::Settled, I::Settled)
        | (S::Starting, I::StartSent)
        | (S::StartFailed | S::Cancelled, _) => Outcome::Ignore,
        (S::Created | S::Authorized, I::StopRequested) => go(S::Cancelled, &[E::ReleaseHold]),
        // Closed by an operator: stop the pile if it still listens, bill what the meter
        // saw, and keep it for a person.
        (S::Starting | S::Charging | S::Stopping | S::Ended, I::ForceEnd) => {
            go(S::AbnormalEnd, &[E::SendStop, E::SettleFromMeter])
        }
        (S::AbnormalEnd, I::Ended) => go(S::Ended, &[E::Settle]),
        (S::AbnormalEnd, I::ForceEnd | I::StopRequested) => Outcome::Ignore,
        _ => Outcome::Refuse("this order cannot do that in its current state"),
    }
}

/// Whether an `input` ignored in some state is ignored (or refused) in every state the
/// order can reach from there, so that a decision to ignore it, taken on an order read
/// a moment ago, holds even if the order moved meanwhile. Two are not: a settlement
/// (`Ended`), ignored as a duplicate while `ended`, is taken once the order has moved to
/// `needs_review` or `abnormal_end`; a force end, ignored while `abnormal_end`, is taken
/// again after a late settlement made the order `ended`.
pub fn stays_ignored(input: &Input) -> bool {
    !matches!(input, Input::Ended | Input::ForceEnd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Input as I;
    use State as S;

    fn to(state: State, input: Input) -> State {
        match apply(state, &input) {
            Outcome::Go { to, .. } => to,
            other => panic!("{state:?} + {input:?} = {other:?}"),
        }
    }

    #[test]
    fn the_happy_path() {
        let mut s = S::Created;
        for (input, want) in [
            (I::Authorized, S::Authorized),
            (I::StartSent, S::Starting),
            (I::StartConfirmed, S::Charging),
            (I::StopRequested, S::Stopping),
            (I::Ended, S::Ended),
            (I::Settled, S::Settled),
        ] {
            s = to(s, input);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn a_failed_start_releases_the_hold() {
        assert_eq!(
            apply(S::Starting, &I::StartFailed),
            Outcome::Go {
                to: S::StartFailed,
                effects: vec![Effect::ReleaseHold]
            }
        );
        assert_eq!(to(S::Starting, I::TimedOut), S::StartFailed);
    }

    #[test]
    fn races_and_repeats_change_nothing() {
        assert_eq!(apply(S::Stopping, &I::StopRequested), Outcome::Ignore);
        assert_eq!(
            apply(S::Ended, &I::Ended),
            Outcome::Ignore,
            "duplicate settlement"
        );
        assert_eq!(
            apply(S::Settled, &I::Ended),
            Outcome::Ignore,
            "late settlement"
        );
        assert_eq!(apply(S::Charging, &I::StartConfirmed), Outcome::Ignore);
        // The pile ends by itself while our stop is on its way.
        assert_eq!(to(S::Stopping, I::Ended), S::Ended);
        assert_eq!(to(S::Charging, I::Ended), S::Ended);
    }

    #[test]
    fn a_missing_settlement_goes_to_review_and_a_late_one_still_settles() {
        assert_eq!(
            apply(S::Stopping, &I::TimedOut),
            Outcome::Go {
                to: S::NeedsReview,
                effects: vec![Effect::SettleFromMeter]
            }
        );
        assert_eq!(to(S::NeedsReview, I::Ended), S::Ended);
    }

    #[test]
    fn an_operator_force_ends_a_stuck_order() {
        assert_eq!(
            apply(S::Charging, &I::ForceEnd),
            Outcome::Go {
                to: S::AbnormalEnd,
                effects: vec![Effect::SendStop, Effect::SettleFromMeter]
            }
        );
        assert_eq!(apply(S::AbnormalEnd, &I::ForceEnd), Outcome::Ignore);
        assert!(matches!(
            apply(S::Settled, &I::ForceEnd),
            Outcome::Refuse(_)
        ));
    }

    #[test]
    fn final_states_are_final_and_nonsense_is_refused() {
        for s in [S::StartFailed, S::Cancelled] {
            assert_eq!(apply(s, &I::StartConfirmed), Outcome::Ignore);
        }
        assert!(matches!(
            apply(S::Settled, &I::Authorized),
            Outcome::Refuse(_)
        ));
        assert!(S::Settled.is_final() && !S::Charging.is_final());
        assert!(S::Starting.is_live() && !S::Ended.is_live());
        assert_eq!(State::parse("needs_review"), Some(S::NeedsReview));
    }

    fn all_inputs() -> [Input; 12] {
        [
            I::Authorized,
            I::AuthorizationFailed,
            I::StartSent,
            I::StartConfirmed,
            I::StartFailed,
            I::StopRequested,
            I::Ended,
            I::Settled,
            I::TimedOut,
            I::Cancel,
            I::ForceEnd,
            I::StartedByCard,
        ]
    }

    /// Every state reachable from `s` by any sequence of transitions, `s` excluded.
    fn later(s: State) -> Vec<State> {
        let mut seen = vec![];
        let mut todo = vec![s];
        while let Some(x) = todo.pop() {
            for input in all_inputs() {
                if let Outcome::Go { to, .. } = apply(x, &input)
                    && to != s
                    && !seen.contains(&to)
                {
                    seen.push(to);
                    todo.push(to);
                }
            }
        }
        seen
    }

    #[test]
    fn an_ignored_input_stays_ignored_in_every_later_state_unless_said_otherwise() {
        for s in State::ALL {
            for input in all_inputs() {
                if apply(s, &input) != Outcome::Ignore {
                    continue;
                }
                let taken_later: Vec<State> = later(s)
                    .into_iter()
                    .filter(|x| matches!(apply(*x, &input), Outcome::Go { .. }))
                    .collect();
                if stays_ignored(&input) {
                    assert!(
                        taken_later.is_empty(),
                        "{input:?} is ignored in {s:?} but taken in {taken_later:?}"
                    );
                }
            }
        }
        // The exceptions are real: a duplicate settlement, then a timeout, then it counts.
        assert_eq!(apply(S::Ended, &I::Ended), Outcome::Ignore);
        assert!(later(S::Ended).contains(&S::NeedsReview));
        assert_eq!(to(S::NeedsReview, I::Ended), S::Ended);
    }
}
