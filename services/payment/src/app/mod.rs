//! Use cases of the payment service. Each runs in one transaction: the journal entry,
//! the balances and the events commit together or not at all.

pub mod holds;
pub mod post;
pub mod wallets;
