//! Pure rules of remote operations and OTA campaigns: what a valid parameter write,
//! voice setting or campaign is, what a gateway outcome means, how a campaign's stages
//! open and how a device moves through a rollout. No database, no network, no clock
//! (times are passed in): everything here is unit-tested.

pub mod campaign;
pub mod firmware;
pub mod outcome;
pub mod params;
pub mod rollout;
pub mod targets;
pub mod voice;

pub use crate::registry::domain::FieldError;
