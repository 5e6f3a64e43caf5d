//! Pure rules of billing: no database, no network, no clock (instants come in as
//! arguments). Rating itself is the `pricing` crate's; these are the rules around it.

pub mod export;
pub mod invoice;
pub mod items;
pub mod money;
pub mod paths;
pub mod reconcile;
pub mod tariff;
