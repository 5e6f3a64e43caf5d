//! Provisioning of GN sockets: the gateway must know its sockets (node list, GN 0x0005)
//! before it relays them. Pushed with gRPC `pylon.gateway.v1.DeviceControl/ManageNodes`
//! at `charging.gateway_grpc_url`; each socket records the outcome.

use std::time::Duration;

use proto::pylon::gateway::v1::device_control_client::DeviceControlClient;
use proto::pylon::gateway::v1::manage_nodes_request::Operation;
use proto::pylon::gateway::v1::{
    CommandOutcome, CommandResult, ManageNodesRequest, Node, NodeList,
};

use crate::ctx::Ctx;

/// Longer than the gateway's command timeout (15 s) with its one resend, so the
/// gateway's own `TIMEOUT` answer arrives before ours.
const CALL_TIMEOUT: Duration = Duration::from_secs(40);

/// What to push to a gateway.
pub enum Push {
    /// One socket joins the list.
    Add { socket: u8, mac: String },
    /// The whole list is replaced (radio channel 1–15, sockets with their MACs).
    Refresh {
        channel: u32,
        nodes: Vec<(u8, String)>,
    },
}

/// Sends `push` to GN gateway `gateway`; `Err` is the code and detail recorded as the
/// socket's `provision_error` (`DEVICE_OFFLINE`, `TIMEOUT`, `REJECTED`, `BUSY`,
/// `UNAVAILABLE`).
pub async fn send(ctx: &Ctx, gateway: &str, push: Push) -> Result<(), String> {
    let operation = match push {
        Push::Add { socket, mac } => Operation::Add(Node {
            socket: u32::from(socket),
            mac,
        }),
        Push::Refresh { channel, nodes } => Operation::Refresh(NodeList {
            channel,
            nodes: nodes
                .into_iter()
                .map(|(socket, mac)| Node {
                    socket: u32::from(socket),
                    mac,
                })
                .collect(),
        }),
    };
    let request = ManageNodesRequest {
        device_id: gateway.to_owned(),
        operation: Some(operation),
    };
    let url = ctx.config.charging.gateway_grpc_url.clone();
    let channel = tonic::transport::Endpoint::from_shared(url)
        .map_err(|e| format!("UNAVAILABLE: charging.gateway_grpc_url: {e}"))?
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy();
    match DeviceControlClient::new(channel)
        .manage_nodes(request)
        .await
    {
        Ok(r) => judge(&r.into_inner()),
        Err(status) => Err(format!("UNAVAILABLE: {}", status.message())),
    }
}

/// The gateway's answer as the registry records it.
pub fn judge(r: &CommandResult) -> Result<(), String> {
    let outcome = CommandOutcome::try_from(r.outcome).unwrap_or(CommandOutcome::Unspecified);
    let code = match outcome {
        CommandOutcome::Ok | CommandOutcome::Sent => return Ok(()),
        CommandOutcome::Rejected => "REJECTED",
        CommandOutcome::Timeout => "TIMEOUT",
        CommandOutcome::DeviceOffline => "DEVICE_OFFLINE",
        CommandOutcome::Busy => "BUSY",
        CommandOutcome::Unspecified => "UNAVAILABLE",
    };
    Err(if r.detail.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {}", r.detail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_become_recorded_errors() {
        let r = |o: CommandOutcome, d: &str| CommandResult {
            outcome: o as i32,
            detail: d.into(),
            ..Default::default()
        };
        assert_eq!(judge(&r(CommandOutcome::Ok, "")), Ok(()));
        assert_eq!(
            judge(&r(CommandOutcome::DeviceOffline, "")),
            Err("DEVICE_OFFLINE".into())
        );
        assert_eq!(
            judge(&r(CommandOutcome::Rejected, "code 2")),
            Err("REJECTED: code 2".into())
        );
    }
}
