//! Double-entry bookkeeping, pure. Every movement of money is an [`Entry`] whose postings
//! sum to zero; an account's balance is the sum of its postings.
//!
//! Signs: a wallet's balance is what the platform owes its owner (positive = money to
//! spend); `held` is the part of a wallet reserved by open holds; `revenue` is what the
//! operator earned; a provider's `clearing` account goes negative as money arrives there;
//! `refund_pending` holds money on its way back to a payer.

/// Kinds of accounts (the `accounts.kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    Wallet,
    Held,
    Clearing,
    Revenue,
    RefundPending,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Wallet => "wallet",
            AccountKind::Held => "held",
            AccountKind::Clearing => "clearing",
            AccountKind::Revenue => "revenue",
            AccountKind::RefundPending => "refund_pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "wallet" => AccountKind::Wallet,
            "held" => AccountKind::Held,
            "clearing" => AccountKind::Clearing,
            "revenue" => AccountKind::Revenue,
            "refund_pending" => AccountKind::RefundPending,
            _ => return None,
        })
    }

    /// How many accounts (shards) one owner has of this kind. Every capture credits the
    /// operator's revenue and every payment passes the provider's clearing account: one
    /// row each would make all of a tenant's captures wait for each other's commit on
    /// its lock. Those two kinds have no floor, so nothing needs their whole balance at
    /// once: an entry moves one shard ([`shard_for`]), and the owner's balance is the
    /// sum of its shards. Kinds with a floor have one account, checked under its lock.
    pub fn shards(self) -> i16 {
        match self {
            AccountKind::Clearing | AccountKind::Revenue => 16,
            AccountKind::Wallet | AccountKind::Held | AccountKind::RefundPending => 1,
        }
    }

    /// The lowest balance the account may reach: wallets down to minus their credit
    /// limit, reservations never below zero, the others unbounded.
    pub fn floor(self, credit_limit_fen: i64) -> Option<i64> {
        match self {
            AccountKind::Wallet => Some(-credit_limit_fen),
            AccountKind::Held | AccountKind::RefundPending => Some(0),
            AccountKind::Clearing | AccountKind::Revenue => None,
        }
    }
}

/// The shard of a `kind` account an entry about `reference` (a hold, a payment, a
/// refund) moves: spread evenly, and the same for the same reference (FNV-1a).
pub fn shard_for(kind: AccountKind, reference: &str) -> i16 {
    let hash = reference.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let shards = u64::from(kind.shards().unsigned_abs());
    i16::try_from(hash % shards).unwrap_or(0)
}

/// What an entry records (the `journal_entries.kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    TopUp,
    Hold,
    Capture,
    Release,
    Refund,
    RefundSettled,
    RefundReversed,
    OrderPaid,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::TopUp => "top_up",
            EntryKind::Hold => "hold",
            EntryKind::Capture => "capture",
            EntryKind::Release => "release",
            EntryKind::Refund => "refund",
            EntryKind::RefundSettled => "refund_settled",
            EntryKind::RefundReversed => "refund_reversed",
            EntryKind::OrderPaid => "order_paid",
        }
    }
}

/// One line of an entry: `amount_fen` added to `account`'s balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting<A> {
    pub account: A,
    pub amount_fen: i64,
}

/// A movement of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<A> {
    pub kind: EntryKind,
    pub postings: Vec<Posting<A>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("{field}: must be a positive amount of fen, not {value}")]
    NotPositive { field: &'static str, value: i64 },
    #[error(
        "余额不足 / insufficient funds: balance {balance_fen} fen, needs {needed_fen} fen (credit limit {credit_limit_fen} fen)"
    )]
    InsufficientFunds {
        balance_fen: i64,
        needed_fen: i64,
        credit_limit_fen: i64,
    },
    #[error("amount_fen: captures at most the held {held_fen} fen, not {capture_fen}")]
    CaptureExceedsHold { held_fen: i64, capture_fen: i64 },
    #[error("the hold is already {0}")]
    HoldSettled(String),
    #[error("an entry must balance: its postings sum to {0} fen")]
    Unbalanced(i64),
    #[error("amount overflows")]
    Overflow,
}

fn positive(field: &'static str, value: i64) -> Result<i64, LedgerError> {
    if value > 0 {
        Ok(value)
    } else {
        Err(LedgerError::NotPositive { field, value })
    }
}

impl<A: Copy + PartialEq> Entry<A> {
    fn new(kind: EntryKind, lines: &[(A, i64)]) -> Result<Self, LedgerError> {
        let entry = Entry {
            kind,
            postings: lines
                .iter()
                .filter(|(_, amount)| *amount != 0)
                .map(|&(account, amount_fen)| Posting {
                    account,
                    amount_fen,
                })
                .collect(),
        };
        entry.check()?;
        Ok(entry)
    }

    /// The accounts it moves, in posting order.
    pub fn accounts(&self) -> Vec<A> {
        self.postings.iter().map(|p| p.account).collect()
    }

    /// Postings sum to zero (checked arithmetic).
    pub fn check(&self) -> Result<(), LedgerError> {
        let sum = self
            .postings
            .iter()
            .try_fold(0i64, |s, p| s.checked_add(p.amount_fen))
            .ok_or(LedgerError::Overflow)?;
        if sum == 0 {
            Ok(())
        } else {
            Err(LedgerError::Unbalanced(sum))
        }
    }

    /// The change of `account`'s balance.
    pub fn delta(&self, account: A) -> i64 {
        self.postings
            .iter()
            .filter(|p| p.account == account)
            .map(|p| p.amount_fen)
            .sum()
    }
}

/// Money arrived at a provider for a wallet.
pub fn top_up<A: Copy + PartialEq>(
    clearing: A,
    wallet: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::TopUp, &[(clearing, -a), (wallet, a)])
}

/// Reserves part of a wallet for an order.
pub fn hold<A: Copy + PartialEq>(
    wallet: A,
    held: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::Hold, &[(wallet, -a), (held, a)])
}

/// Takes `capture_fen` of a hold of `held_fen` as revenue and gives the rest back.
pub fn capture<A: Copy + PartialEq>(
    held: A,
    wallet: A,
    revenue: A,
    held_fen: i64,
    capture_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let held_fen = positive("held amount", held_fen)?;
    if capture_fen < 0 {
        return Err(LedgerError::NotPositive {
            field: "amount_fen",
            value: capture_fen,
        });
    }
    if capture_fen > held_fen {
        return Err(LedgerError::CaptureExceedsHold {
            held_fen,
            capture_fen,
        });
    }
    Entry::new(
        EntryKind::Capture,
        &[
            (held, -held_fen),
            (revenue, capture_fen),
            (wallet, held_fen - capture_fen),
        ],
    )
}

/// Gives a whole hold back.
pub fn release<A: Copy + PartialEq>(
    held: A,
    wallet: A,
    held_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("held amount", held_fen)?;
    Entry::new(EntryKind::Release, &[(held, -a), (wallet, a)])
}

/// Money leaves a wallet on its way back to the payer (the provider is asked next).
pub fn refund<A: Copy + PartialEq>(
    wallet: A,
    pending: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::Refund, &[(wallet, -a), (pending, a)])
}

/// The provider paid the refund out.
pub fn refund_settled<A: Copy + PartialEq>(
    pending: A,
    clearing: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::RefundSettled, &[(pending, -a), (clearing, a)])
}

/// The provider refused the refund: the money goes back to the wallet.
pub fn refund_reversed<A: Copy + PartialEq>(
    pending: A,
    wallet: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::RefundReversed, &[(pending, -a), (wallet, a)])
}

/// A charging order paid directly at a provider: the operator's revenue.
pub fn order_paid<A: Copy + PartialEq>(
    clearing: A,
    revenue: A,
    amount_fen: i64,
) -> Result<Entry<A>, LedgerError> {
    let a = positive("amount_fen", amount_fen)?;
    Entry::new(EntryKind::OrderPaid, &[(clearing, -a), (revenue, a)])
}

/// Whether `kind` may move from `balance_fen` by `delta`.
pub fn check_floor(
    kind: AccountKind,
    balance_fen: i64,
    credit_limit_fen: i64,
    delta: i64,
) -> Result<(), LedgerError> {
    let after = balance_fen
        .checked_add(delta)
        .ok_or(LedgerError::Overflow)?;
    match kind.floor(credit_limit_fen) {
        Some(floor) if delta < 0 && after < floor => Err(LedgerError::InsufficientFunds {
            balance_fen,
            needed_fen: -delta,
            credit_limit_fen,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharded_kinds_spread_references_over_their_shards_and_others_have_one() {
        let mut seen = [0u32; 16];
        for i in 0..1_600 {
            let shard = shard_for(AccountKind::Revenue, &format!("hold-{i}"));
            seen[usize::try_from(shard).unwrap()] += 1;
        }
        assert!(seen.iter().all(|n| (50..=150).contains(n)), "{seen:?}");
        assert_eq!(
            shard_for(AccountKind::Revenue, "hold-7"),
            shard_for(AccountKind::Revenue, "hold-7"),
            "the same reference, the same shard"
        );
        for kind in [
            AccountKind::Wallet,
            AccountKind::Held,
            AccountKind::RefundPending,
        ] {
            assert_eq!(kind.shards(), 1);
            assert_eq!(shard_for(kind, "anything"), 0);
        }
    }

    const W: u8 = 1;
    const H: u8 = 2;
    const R: u8 = 3;
    const C: u8 = 4;

    #[test]
    fn every_entry_balances() {
        for e in [
            top_up(C, W, 500).unwrap(),
            hold(W, H, 300).unwrap(),
            capture(H, W, R, 300, 120).unwrap(),
            release(H, W, 300).unwrap(),
            refund(W, 5, 50).unwrap(),
            refund_settled(5, C, 50).unwrap(),
            refund_reversed(5, W, 50).unwrap(),
        ] {
            assert_eq!(e.check(), Ok(()), "{e:?}");
        }
    }

    #[test]
    fn a_capture_takes_the_amount_and_returns_the_rest() {
        let e = capture(H, W, R, 300, 120).unwrap();
        assert_eq!((e.delta(H), e.delta(R), e.delta(W)), (-300, 120, 180));
        let all = capture(H, W, R, 300, 300).unwrap();
        assert_eq!(all.postings.len(), 2, "no zero posting to the wallet");
        let none = capture(H, W, R, 300, 0).unwrap();
        assert_eq!((none.delta(R), none.delta(W)), (0, 300));
        assert_eq!(
            capture(H, W, R, 300, 301),
            Err(LedgerError::CaptureExceedsHold {
                held_fen: 300,
                capture_fen: 301
            })
        );
    }

    #[test]
    fn amounts_must_be_positive() {
        assert!(matches!(
            hold(W, H, 0),
            Err(LedgerError::NotPositive { .. })
        ));
        assert!(matches!(
            top_up(C, W, -5),
            Err(LedgerError::NotPositive { .. })
        ));
    }

    #[test]
    fn wallets_stop_at_their_credit_limit_and_reservations_at_zero() {
        assert!(check_floor(AccountKind::Wallet, 100, 0, -100).is_ok());
        assert!(matches!(
            check_floor(AccountKind::Wallet, 100, 0, -101),
            Err(LedgerError::InsufficientFunds { .. })
        ));
        assert!(check_floor(AccountKind::Wallet, 100, 50, -150).is_ok());
        assert!(check_floor(AccountKind::Held, 10, 0, -11).is_err());
        assert!(check_floor(AccountKind::Clearing, 0, 0, -1_000_000).is_ok());
        // Adding to a wallet that is below zero is always allowed.
        assert!(check_floor(AccountKind::Wallet, -40, 50, 10).is_ok());
    }
}
