//! Stations for drivers: nearby sites with free ports, and a site's detail with its
//! tariff. Reads the registry and the live state; changes nothing.

pub mod geo;
pub mod http;
