//! DNY firmware transfers on the replica holding the pile. The Upgrade call starts one
//! background task and returns `SENT` at once: a transfer takes minutes (at least 0.5 s
//! per packet, up to thousands of packets), far beyond any caller's deadline. The task
//! feeds the pile's executor one packet command at a time — the pure [`Transfer`] decides
//! what comes next — and publishes how it ended as the last `FirmwareProgress` event.
//! The per-packet events come from the session, which sees every answer.
//!
//! Each packet looks the pile's connection up again, so a pile that reconnects to this
//! replica keeps receiving packets; one that reconnects elsewhere (or not at all) ends
//! the transfer `DEVICE_OFFLINE` at the next packet.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult};

use super::executing::{execute, offline};
use super::{rules, upgrade_timing};
use crate::domain::command::{End, Step, Transfer, outcome};
use crate::domain::{Protocol, TransferEnd};
use crate::events::{self, ConnInfo};
use crate::listener::Shared;

/// How long a packet waits before trying again after the executor could not send it
/// (the pile's queue was full, or other commands kept it busy).
const BUSY_PAUSE: Duration = Duration::from_secs(1);

/// The piles with a transfer running on this replica: at most one each, since two
/// interleaved transfers would corrupt both images.
#[derive(Debug, Default)]
pub struct Running(Arc<Mutex<HashSet<String>>>);

impl Running {
    fn claim(&self, device: &str) -> Option<Claim> {
        let mut set = self.0.lock().ok()?;
        set.insert(device.to_owned()).then(|| Claim {
            set: self.0.clone(),
            device: device.to_owned(),
        })
    }
}

/// A pile's place in [`Running`], given back when the task ends, however it ends.
struct Claim {
    set: Arc<Mutex<HashSet<String>>>,
    device: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.lock() {
            set.remove(&self.device);
        }
    }
}

/// Starts a transfer to a pile connected to this replica: `SENT` once the task runs,
/// `BUSY` while another transfer to the pile runs, `DEVICE_OFFLINE` without a
/// connection here.
pub fn start(shared: &Arc<Shared>, transfer: Transfer) -> CommandResult {
    let device = transfer.target().device_id();
    let mut result = if shared.commands_for(&device).is_none() {
        offline(&device)
    } else if let Some(claim) = shared.transfers.claim(&device) {
        tracing::info!(device = %device, transfer = %transfer.describe(), "firmware transfer started");
        let detail = format!("固件传输已开始 / transfer started: {}", transfer.describe());
        tokio::spawn(run(shared.clone(), transfer, claim));
        outcome(CommandOutcome::Sent, detail)
    } else {
        outcome(
            CommandOutcome::Busy,
            "固件传输进行中 / a firmware transfer to this pile is already running",
        )
    };
    result.replica.clone_from(&shared.replica);
    result
}

async fn run(shared: Arc<Shared>, mut transfer: Transfer, claim: Claim) {
    let timing = upgrade_timing(&shared.config);
    let rules = rules(&shared.config, Protocol::Dny);
    // At most one ordinary command ahead of the packet (the executor ends a command that
    // waited longer BUSY), then the packet's own resends.
    let wait = rules.flight() + rules.min_gap + timing.flight() + Duration::from_secs(1);
    let shutting_down = "网关正在关闭 / the gateway is shutting down";
    let end = loop {
        let result = tokio::select! {
            _ = shared.shutdown.cancelled() => break transfer.abort(shutting_down),
            r = execute(&shared, transfer.plan(timing), wait) => r,
        };
        match transfer.on_result(&result) {
            Step::Send => {}
            Step::SendLater => tokio::select! {
                _ = shared.shutdown.cancelled() => break transfer.abort(shutting_down),
                _ = tokio::time::sleep(BUSY_PAUSE) => {}
            },
            Step::End(end) => break end,
        }
    };
    finish(&shared, &transfer, &end).await;
    drop(claim);
}

/// Logs the end and publishes it as the transfer's last `FirmwareProgress`.
async fn finish(shared: &Shared, transfer: &Transfer, end: &End) {
    let device = transfer.target().device_id();
    if end.kind == TransferEnd::Completed {
        tracing::info!(device = %device, total = transfer.total(), "firmware transfer complete");
    } else {
        tracing::warn!(
            device = %device,
            packet = end.packet,
            total = transfer.total(),
            code = end.device_code,
            detail = %end.detail,
            "firmware transfer failed"
        );
    }
    let event = transfer.end_event(end, Utc::now());
    let conn = ConnInfo {
        remote_addr: String::new(),
        replica: shared.replica.clone(),
        tenant: shared.tenant_of(&device).await,
    };
    let outgoing = events::outgoing(&shared.bus.namespace, &event, &conn);
    if let Err(e) = shared.publisher.publish(&outgoing).await {
        tracing::error!(device = %device, error = %e, "firmware transfer end not published");
    }
    shared.counters.event(event.kind());
}
