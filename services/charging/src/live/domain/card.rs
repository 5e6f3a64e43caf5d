//! Card decisions: the answer a pile gets when a card is swiped (DNY 0x02, GN 0x0B) or
//! its balance asked for (GN 0x1A). Account statuses are the DNY fact sheet's (1.8.5);
//! for GN the gateway reads 0 as "start" and anything else as "refuse".

use std::fmt;

/// DNY account statuses (fact sheet 1.8.5) this service answers with.
pub mod status {
    pub const OK: u32 = 0;
    /// "未注册卡": not bound here, blocked, or not decidable (payment unreachable).
    pub const UNREGISTERED_CARD: u32 = 1;
    /// "余额不足".
    pub const INSUFFICIENT_BALANCE: u32 = 6;
    /// The pile itself belongs to no operator yet (its events carry tenant `_`).
    pub const DEVICE_UNREGISTERED: u32 = 0x0C;
}

/// The least spendable balance a card charge starts with: 1 yuan. The pile charges
/// until the charge ends on its own and billing settles afterwards, so this only keeps
/// empty wallets out; it is not a hold.
pub const MIN_BALANCE_FEN: i64 = 100;

/// A card number as the gateway sends it: lowercase hex, 8 digits (DNY: the 4-byte card
/// id) or 12 digits (GN: the 6-byte card number).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardNo(String);

impl CardNo {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if !(s.len() == 8 || s.len() == 12) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("must be 8 (DNY) or 12 (GN) hexadecimal digits".into());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For lists seen without `pii:read`: the last four digits only.
    pub fn masked(&self) -> String {
        let tail = &self.0[self.0.len() - 4..];
        format!("{}{tail}", "*".repeat(self.0.len() - 4))
    }
}

impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A card binding's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardStatus {
    Active,
    Blocked,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Self::Active),
            "blocked" => Ok(Self::Blocked),
            _ => Err(format!("{s:?} is not active or blocked")),
        }
    }
}

/// What the lookups found, in the order they are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// The device has no operator (unknown to the live state, or tenant `_`).
    NoOperator,
    /// The operator has no binding for this card.
    UnknownCard,
    Blocked,
    /// The payment service did not answer in time or failed.
    WalletUnavailable,
    Wallet {
        balance_fen: i64,
        credit_limit_fen: i64,
    },
}

/// The answer to the pile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub account_status: u32,
    /// Shown by the pile; never negative.
    pub balance_fen: i64,
}

impl Decision {
    pub fn approved(&self) -> bool {
        self.account_status == status::OK
    }
}

/// The decision for what was found. Without a wallet answer the card is refused: the
/// pile would charge on credit nobody checked (the gateway does the same on a timeout).
pub fn decide(found: Found) -> Decision {
    let refuse = |account_status| Decision {
        account_status,
        balance_fen: 0,
    };
    match found {
        Found::NoOperator => refuse(status::DEVICE_UNREGISTERED),
        Found::UnknownCard | Found::Blocked | Found::WalletUnavailable => {
            refuse(status::UNREGISTERED_CARD)
        }
        Found::Wallet {
            balance_fen,
            credit_limit_fen,
        } => {
            let spendable = balance_fen.saturating_add(credit_limit_fen.max(0));
            Decision {
                account_status: if spendable >= MIN_BALANCE_FEN {
                    status::OK
                } else {
                    status::INSUFFICIENT_BALANCE
                },
                balance_fen: balance_fen.max(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_normalized_and_checked() {
        assert_eq!(CardNo::parse(" 04AB373B ").unwrap().as_str(), "04ab373b");
        assert_eq!(
            CardNo::parse("00a1b2c3d4e5").unwrap().as_str(),
            "00a1b2c3d4e5"
        );
        for bad in ["", "04ab373", "04ab373b0", "zzzzzzzz", "00a1b2c3d4e5f6"] {
            assert!(CardNo::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(CardNo::parse("04ab373b").unwrap().masked(), "****373b");
    }

    #[test]
    fn refusals_follow_the_fact_sheet() {
        assert_eq!(decide(Found::NoOperator).account_status, 0x0C);
        assert_eq!(decide(Found::UnknownCard).account_status, 1);
        assert_eq!(decide(Found::Blocked).account_status, 1);
        assert_eq!(decide(Found::WalletUnavailable).account_status, 1);
    }

    #[test]
    fn the_balance_decides_between_ok_and_insufficient() {
        let w = |balance_fen, credit_limit_fen| {
            decide(Found::Wallet {
                balance_fen,
                credit_limit_fen,
            })
        };
        assert_eq!(
            w(100, 0),
            Decision {
                account_status: 0,
                balance_fen: 100
            }
        );
        assert_eq!(w(99, 0).account_status, 6);
        assert_eq!(w(0, 0).account_status, 6);
        assert_eq!(
            w(-50, 200),
            Decision {
                account_status: 0,
                balance_fen: 0
            }
        );
        assert!(w(5_000, 0).approved());
    }
}
