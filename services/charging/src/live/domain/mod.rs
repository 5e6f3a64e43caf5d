//! Pure rules of the live state: how device observations merge into the stored state
//! (order-tolerant), when a port counts as stuck, and how a card swipe is decided.
//! No I/O here: the store and the consumers call these.

pub mod card;
pub mod device;
pub mod port;
pub mod stuck;
