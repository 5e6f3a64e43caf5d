//! SQL of remote operations and campaigns (schema `charging` only): the audit
//! (`device_operations`), firmware images, campaigns and their devices.

pub mod audit;
pub mod campaigns;
pub mod devices;
pub mod firmware;
pub mod targets;
