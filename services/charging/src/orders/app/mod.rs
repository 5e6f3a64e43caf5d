//! Order use cases. A transition commits first (state, history, event); its effects
//! (commands to the pile, payment calls, rating) run after, and feed their outcome back
//! as the next transition.

pub mod card;
pub mod create;
pub mod effects;
pub mod settle;
pub mod starts;
pub mod stop;
pub mod transition;
