//! Use cases of the payment service. Each runs in one transaction: the journal entry,
//! the balances and the events commit together or not at all.

pub mod account_ids;
pub mod callbacks;
pub mod ctx;
pub mod holds;
pub mod payments;
pub mod post;
pub mod reconcile;
pub mod refunds;
pub mod wallets;
