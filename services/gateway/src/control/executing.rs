//! The replica side: commands arriving on `pylon.gateway.cmd.<replica>` go to the
//! connection that carries their device; the reply is the command's result (for a DNY
//! firmware image: that its transfer started, `super::transfer`).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use prost::Message as _;
use proto::pylon::gateway::v1::forwarded_reply::Reply;
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult, ForwardedCommand, ForwardedReply};
use tokio::sync::{mpsc, oneshot};

use super::{Job, ResultSender, rules, subject, transfer};
use crate::domain::command::{Plan, Work, outcome, prepare};
use crate::listener::Shared;

/// Subscribes before returning, then serves until shutdown.
pub async fn subscribe(shared: Arc<Shared>) -> anyhow::Result<impl Future<Output = ()>> {
    let subject = subject(&shared.bus.namespace, &shared.replica);
    let mut sub = shared.bus.client.subscribe(subject).await?;
    Ok(async move {
        loop {
            let msg = tokio::select! {
                _ = shared.shutdown.cancelled() => break,
                m = sub.next() => match m {
                    Some(m) => m,
                    None => break,
                },
            };
            let Some(reply_to) = msg.reply.clone() else {
                continue;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                let answer = handle(&shared, &msg.payload).await;
                if let Err(e) = shared
                    .bus
                    .client
                    .publish(reply_to, answer.encode_to_vec().into())
                    .await
                {
                    tracing::warn!(error = %e, "command result not delivered");
                }
            });
        }
        let _ = sub.unsubscribe().await;
    })
}

async fn handle(shared: &Arc<Shared>, payload: &[u8]) -> ForwardedReply {
    let invalid = |why: String| ForwardedReply {
        reply: Some(Reply::InvalidArgument(why)),
    };
    let command = match ForwardedCommand::decode(payload) {
        Ok(c) => c,
        Err(e) => return invalid(format!("request: {e}")),
    };
    let result = match prepare(&command) {
        Ok(Work::Command(plan)) => run(shared, plan).await,
        Ok(Work::Transfer(t)) => transfer::start(shared, t),
        Err(e) => return invalid(e.0),
    };
    ForwardedReply {
        reply: Some(Reply::Result(result)),
    }
}

/// Hands a command to its device's connection on this replica and waits for the end.
pub async fn run(shared: &Shared, plan: Plan) -> CommandResult {
    let protocol = plan.target.protocol();
    let wait = rules(&shared.config, protocol).budget() + Duration::from_secs(1);
    let mut result = execute(shared, plan, wait).await;
    result.replica.clone_from(&shared.replica);
    result
}

/// Queues `plan` on its connection here and waits up to `wait` for its result (the
/// executor always ends a command within its budget; `wait` only guards against a
/// connection task that stopped answering).
pub async fn execute(shared: &Shared, plan: Plan, wait: Duration) -> CommandResult {
    let connection = plan.target.connection_id();
    let Some(queue) = shared.commands_for(&connection) else {
        return offline(&connection);
    };
    let (tx, rx) = oneshot::channel();
    match queue.try_send(Box::new(Job {
        plan,
        reply: ResultSender(tx),
    })) {
        Err(mpsc::error::TrySendError::Full(_)) => outcome(
            CommandOutcome::Busy,
            "设备命令队列已满 / too many commands queued for this device",
        ),
        Err(mpsc::error::TrySendError::Closed(_)) => offline(&connection),
        Ok(()) => match tokio::time::timeout(wait, rx).await {
            Ok(Ok(r)) => r,
            // The connection ended between accepting and finishing the command.
            Ok(Err(_)) => offline(&connection),
            Err(_) => outcome(
                CommandOutcome::Timeout,
                "命令超时 / the command did not finish in time",
            ),
        },
    }
}

pub fn offline(connection: &str) -> CommandResult {
    outcome(
        CommandOutcome::DeviceOffline,
        format!("设备不在线 / {connection} has no connection on this replica"),
    )
}
