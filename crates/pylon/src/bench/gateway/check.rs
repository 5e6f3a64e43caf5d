//! The run's own consistency check, so a broken benchmark cannot pass for a fast one:
//! the gateway holds as many connections as the piles think they have, and every event
//! the gateway says it published is in the stream.
//!
//! Piles are silenced first (their sockets stay open, nothing more is sent). The
//! gateway's counter `pylon_gateway_events_total` leaves out the `disconnected` event of
//! a closed connection, so stored = counter + (stored `disconnected` − the counter's
//! own `disconnected`, which are GN sockets'). Once the counts stop moving they must
//! agree exactly (waited for up to 10 s; an overloaded gateway gets up to two minutes
//! to work off its backlog). A gateway holding many connections never stops (every
//! connection ticks once a minute and publishes port snapshots every 5 minutes), so
//! then the stored count must lie between the counter read just before it and the
//! counter read just after it plus what the gateway counted meanwhile (the events in
//! flight while reading).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::child::{GatewayMetrics, GatewayProcess};
use super::connect::Idle;
use super::pump::Pump;
use super::stack::Stack;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Consistency {
    /// Piles connected as the simulator counts them.
    pub connections_sim: u64,
    /// Connections the gateway holds (`pylon_gateway_connections`).
    pub connections_gateway: u64,
    /// Events the gateway counted as published (`pylon_gateway_events_total`).
    pub events_gateway: u64,
    /// Connection `disconnected` events stored (not in the gateway's counter).
    pub connection_disconnects: u64,
    /// Everything stored in `PYLON_DEVICE`.
    pub events_stored: u64,
    /// Stored − (counter + connection disconnects).
    pub difference: i64,
    /// Whether the counts stopped moving before they were compared (then the
    /// difference must be 0).
    pub quiet: bool,
    pub connections_match: bool,
    pub events_match: bool,
}

/// One reading of the gateway's counter, the stream, and the counter again.
struct Reading {
    before: GatewayMetrics,
    stored: u64,
    disconnects: u64,
    after: GatewayMetrics,
}

/// The gateways' counters, summed.
async fn metrics(gateways: &[GatewayProcess]) -> anyhow::Result<GatewayMetrics> {
    let mut sum = GatewayMetrics::default();
    for g in gateways {
        let m = g.metrics().await?;
        sum.connections += m.connections;
        sum.events += m.events;
        sum.events_disconnected += m.events_disconnected;
        sum.publish_failures += m.publish_failures;
        sum.refused += m.refused;
    }
    Ok(sum)
}

async fn read(gw: &[GatewayProcess], stack: &Stack) -> anyhow::Result<Reading> {
    let device = stack.device_stream();
    let before = metrics(gw).await?;
    let stored = stack.stored(&device).await?;
    // Any operator: the latency probes are registered to one of their own.
    let disconnects = stack
        .count_subjects(
            &device,
            &stack
                .bus
                .namespace
                .subject(&["device", "*", "*", "disconnected"]),
        )
        .await?;
    let after = metrics(gw).await?;
    Ok(Reading {
        before,
        stored,
        disconnects,
        after,
    })
}

/// Silences every pile (freezes the idle piles' processes), waits (up to 30 s) for
/// quiet and compares.
pub async fn run(
    gw: &[GatewayProcess],
    stack: &Stack,
    load: Option<&Pump>,
    idle: Option<&Idle>,
) -> anyhow::Result<Consistency> {
    if let Some(load) = load {
        load.set_silent(true);
    }
    if let Some(idle) = idle {
        idle.freeze().await?;
    }
    let connections_sim = load.map_or(0, Pump::connected) + idle.map_or(0, Idle::connected);
    // An overloaded gateway first works off what the piles had queued (and sees the
    // probes' connections close): give it up to two minutes. An exact (quiet) match is
    // waited for during the first ten seconds.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let mut r = read(gw, stack).await?;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let next = read(gw, stack).await?;
        let quiet = next.stored == r.stored && next.after.events == r.after.events;
        r = next;
        let c = compare(&r, quiet, connections_sim)?;
        let matched = c.connections_match && c.events_match;
        let exact_or_late = quiet || started.elapsed() > Duration::from_secs(10);
        if (matched && exact_or_late) || Instant::now() > deadline {
            return Ok(c);
        }
    }
}

fn compare(r: &Reading, quiet: bool, connections_sim: u64) -> anyhow::Result<Consistency> {
    let ours = |m: &GatewayMetrics| m.events_disconnected;
    let connection_disconnects = r.disconnects.saturating_sub(ours(&r.after));
    let expected = r.after.events + connection_disconnects;
    let difference = i64::try_from(r.stored)? - i64::try_from(expected)?;
    let in_flight = r.after.events.saturating_sub(r.before.events) + 10;
    let events_match = if quiet {
        difference == 0
    } else {
        r.stored >= r.before.events + r.disconnects.saturating_sub(ours(&r.before))
            && difference.unsigned_abs() <= in_flight
    };
    Ok(Consistency {
        connections_sim,
        connections_gateway: r.after.connections,
        events_gateway: r.after.events,
        connection_disconnects,
        events_stored: r.stored,
        difference,
        quiet,
        connections_match: connections_sim == r.after.connections,
        events_match,
    })
}
