//! The calling side: any replica validates a command; when it holds the device's
//! connection itself it runs the command there, otherwise it finds the replica holding
//! it in `device_sessions` and asks it over NATS.

use std::sync::Arc;
use std::time::Duration;

use async_nats::RequestErrorKind;
use prost::Message as _;
use proto::pylon::gateway::v1::forwarded_reply::Reply;
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult, ForwardedCommand, ForwardedReply};
use runtime::config::GatewayConfig;

use super::{executing, rules, subject, transfer};
use crate::domain::command::{Invalid, Work, outcome, prepare};
use crate::listener::Shared;
use crate::sessions::Sessions;

/// Runs a command wherever its device is connected. `Err` when the request cannot
/// become a frame (nothing was sent). `local`: this replica's connections, when it
/// serves devices.
pub async fn call(
    bus: &bus::Bus,
    sessions: &Sessions,
    config: &GatewayConfig,
    local: Option<&Arc<Shared>>,
    command: ForwardedCommand,
) -> Result<CommandResult, Invalid> {
    // Validate here, so a bad request fails fast and identically on every replica.
    let work = prepare(&command)?;
    let target = work.target();
    // A firmware image makes the request large: past the server's limit NATS would
    // refuse it, so say which field is too big instead.
    let size = command.encoded_len();
    let max = bus.client.server_info().max_payload;
    if max > 0 && size > max {
        return Err(Invalid::field(
            "firmware",
            format!(
                "the request is {size} bytes; the NATS server carries at most {max} \
                 (max_payload) to the replica holding the device"
            ),
        ));
    }
    let connection = target.connection_id();
    // Held here: no session lookup, no NATS round trip; the same executor as a
    // forwarded command, so the result is the same.
    if let Some(shared) = local
        && shared.commands_for(&connection).is_some()
    {
        return Ok(match work {
            Work::Command(plan) => executing::run(shared, plan).await,
            Work::Transfer(t) => transfer::start(shared, t),
        });
    }
    let Some(session) = sessions.get(&connection).await else {
        return Ok(outcome(
            CommandOutcome::DeviceOffline,
            format!("设备不在线 / {connection} is not connected"),
        ));
    };
    let protocol = target.protocol();
    // The executing replica always answers within its budget (a firmware transfer
    // answers once started); the margin covers NATS.
    let wait = rules(config, protocol).budget() + Duration::from_secs(3);
    let request = async_nats::Request::new()
        .payload(command.encode_to_vec().into())
        .timeout(Some(wait));
    let subject = subject(&bus.namespace, &session.replica);
    match bus.client.send_request(subject, request).await {
        Ok(msg) => match ForwardedReply::decode(msg.payload.as_ref()) {
            Ok(ForwardedReply {
                reply: Some(Reply::Result(r)),
            }) => Ok(r),
            Ok(ForwardedReply {
                reply: Some(Reply::InvalidArgument(why)),
            }) => Err(Invalid(why)),
            Ok(ForwardedReply { reply: None }) | Err(_) => Ok(outcome(
                CommandOutcome::Unspecified,
                format!("replica {} sent an unreadable answer", session.replica),
            )),
        },
        // The session names a replica that is gone (crashed before cleaning up).
        Err(e) if e.kind() == RequestErrorKind::NoResponders => Ok(outcome(
            CommandOutcome::DeviceOffline,
            format!(
                "设备不在线 / replica {} holding {connection} does not answer",
                session.replica
            ),
        )),
        Err(e) if e.kind() == RequestErrorKind::TimedOut => Ok(outcome(
            CommandOutcome::Timeout,
            format!("replica {} did not answer in {wait:?}", session.replica),
        )),
        Err(e) => Ok(outcome(
            CommandOutcome::Busy,
            format!(
                "命令未送达 / could not reach replica {}: {e}",
                session.replica
            ),
        )),
    }
}
