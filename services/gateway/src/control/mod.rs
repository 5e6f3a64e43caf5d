//! Device commands at run time: the gRPC side finds the replica holding the device's
//! connection (`calling`), that replica's subscriber hands the command to the connection
//! (`executing`), and the connection's [`Executor`](crate::domain::executor::Executor)
//! applies the protocol's rules. A DNY firmware image becomes a background `transfer` on
//! the replica holding the pile.

pub mod calling;
pub mod executing;
pub mod transfer;

use std::time::Duration;

use proto::pylon::gateway::v1::CommandResult;
use runtime::config::GatewayConfig;
use tokio::sync::oneshot;

use crate::domain::Protocol;
use crate::domain::command::{PACKET_RESENDS, Plan, Timing};
use crate::domain::executor::{Rules, Waiter};

/// A command on its way to a connection's executor.
#[derive(Debug)]
pub struct Job {
    pub plan: Plan,
    pub reply: ResultSender,
}

/// A connection's command queue. Jobs are boxed so that the queue's first block (tokio
/// allocates 32 slots per channel up front) costs 32 pointers per idle connection, not
/// 32 plans.
pub type JobSender = tokio::sync::mpsc::Sender<Box<Job>>;

/// Where a command's result goes; closed when the caller gave up.
#[derive(Debug)]
pub struct ResultSender(pub oneshot::Sender<CommandResult>);

impl Waiter for ResultSender {
    fn abandoned(&self) -> bool {
        self.0.is_closed()
    }
}

/// The protocol's timing rules with the configured answer timeout.
pub fn rules(config: &GatewayConfig, protocol: Protocol) -> Rules {
    let timeout = Duration::from_millis(config.command_timeout_ms);
    match protocol {
        Protocol::Dny => Rules::dny(timeout),
        Protocol::Gn => Rules::gn(timeout),
    }
}

/// The answer rule of DNY firmware packets (fact sheet 1.4: 30 s, up to three resends):
/// twice `gateway.command_timeout_ms`, so the protocols' 15 s gives 30 s and a test that
/// shortens commands shortens packets alike.
pub fn upgrade_timing(config: &GatewayConfig) -> Timing {
    Timing {
        answer_timeout: Duration::from_millis(config.command_timeout_ms) * 2,
        resends: PACKET_RESENDS,
    }
}

/// The core NATS subject on which a replica takes commands for its connections.
pub fn subject(ns: &bus::Namespace, replica: &str) -> String {
    ns.subject(&["gateway", "cmd", replica])
}
