//! The payment service's rules, pure: no SQL, sockets or clocks.

pub mod ledger;
pub mod payment_state;
