//! What a provider's word (a callback or a query) does to a payment, pure. The provider
//! is the truth about money: a success it reports is applied even after we gave up on
//! the payment; anything inconsistent is kept for review instead of guessed.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Created,
    Pending,
    Succeeded,
    Failed,
    Closed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => PaymentStatus::Created,
            "pending" => PaymentStatus::Pending,
            "succeeded" => PaymentStatus::Succeeded,
            "failed" => PaymentStatus::Failed,
            "closed" => PaymentStatus::Closed,
            _ => return None,
        })
    }

    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Created | PaymentStatus::Pending)
    }
}

/// What the provider says about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    Succeeded { amount_fen: i64 },
    Failed,
    Closed,
    Pending,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Move to this status; `credit` when the money is now ours to book.
    Apply { to: PaymentStatus, credit: bool },
    /// Already known: change nothing.
    Duplicate,
    /// Nothing to do yet (still pending).
    Wait,
    /// Inconsistent (amount differs; a failure after success): keep for review.
    Review(&'static str),
}

pub fn decide(current: PaymentStatus, expected_fen: i64, obs: &Observation) -> Decision {
    use PaymentStatus as S;
    match (current, obs) {
        (_, Observation::Succeeded { amount_fen }) if *amount_fen != expected_fen => {
            Decision::Review("the provider reports another amount than the payment's")
        }
        (S::Succeeded, Observation::Succeeded { .. }) => Decision::Duplicate,
        (_, Observation::Succeeded { .. }) => Decision::Apply {
            to: S::Succeeded,
            credit: true,
        },
        (S::Succeeded, Observation::Failed | Observation::Closed) => {
            Decision::Review("the provider reports a failure for a payment it confirmed")
        }
        (S::Failed, Observation::Failed) | (S::Closed, Observation::Closed) => Decision::Duplicate,
        (S::Created | S::Pending, Observation::Failed) => Decision::Apply {
            to: S::Failed,
            credit: false,
        },
        (S::Created | S::Pending | S::Failed, Observation::Closed) => Decision::Apply {
            to: S::Closed,
            credit: false,
        },
        (S::Closed, Observation::Failed) => Decision::Duplicate,
        (_, Observation::Pending) => Decision::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus as S;

    const OK: Observation = Observation::Succeeded { amount_fen: 500 };

    #[test]
    fn success_is_applied_once_from_any_state() {
        for s in [S::Created, S::Pending, S::Failed, S::Closed] {
            assert_eq!(
                decide(s, 500, &OK),
                Decision::Apply {
                    to: S::Succeeded,
                    credit: true
                },
                "{s:?}"
            );
        }
        assert_eq!(decide(S::Succeeded, 500, &OK), Decision::Duplicate);
    }

    #[test]
    fn inconsistencies_go_to_review() {
        assert!(matches!(
            decide(S::Pending, 500, &Observation::Succeeded { amount_fen: 499 }),
            Decision::Review(_)
        ));
        assert!(matches!(
            decide(S::Succeeded, 500, &Observation::Failed),
            Decision::Review(_)
        ));
    }

    #[test]
    fn failures_and_closes_end_open_payments() {
        assert_eq!(
            decide(S::Pending, 500, &Observation::Failed),
            Decision::Apply {
                to: S::Failed,
                credit: false
            }
        );
        assert_eq!(
            decide(S::Failed, 500, &Observation::Failed),
            Decision::Duplicate
        );
        assert_eq!(
            decide(S::Pending, 500, &Observation::Pending),
            Decision::Wait
        );
    }
}
