//! Phase `commands` (issue 4: commands p99 < 100 ms round trip, excluding the
//! protocol's pacing) is not measured yet: it needs the gRPC `DeviceControl` API, which
//! is being built. When it lands, this phase sends commands through `DeviceControl` to
//! piles of the idle fleet (which answer them, `sim` does) and times each round trip;
//! the report already has its row.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct CommandsResult {
    pub measured: bool,
    pub note: &'static str,
}

/// What the report says about commands today.
pub fn not_measured() -> CommandsResult {
    CommandsResult {
        measured: false,
        note: "measured by --commands once DeviceControl lands",
    }
}
