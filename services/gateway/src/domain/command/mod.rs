//! Device commands, pure: which device a request is for, the frame it becomes once the
//! executor gives it a message id / sequence, which uplink frame answers it, and what that
//! answer means. `request` turns the gRPC requests into a [`Plan`] (or, for a DNY
//! firmware image, a [`Transfer`] of many plans); `dny` and `gn` hold each protocol's
//! half, `firmware` and `transfer` the DNY upgrade packets; [`super::executor`] schedules
//! plans on a connection.

mod dny;
mod firmware;
mod gn;
mod request;
mod transfer;

use std::time::Duration;

use bytes::Bytes;
use codec_dny::PhysicalId;
use codec_gn::{GatewayId, SocketRef};
use proto::pylon::gateway::v1::{CommandOutcome, CommandResult};

pub use firmware::{MAX_FIRMWARE_BYTES, PACKET_RESENDS};
pub use request::{Work, plan, prepare};
pub use transfer::{End, Step, Transfer};

/// A request the gateway cannot turn into a frame; names the field. Nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub(crate) fn field(name: &str, why: impl std::fmt::Display) -> Self {
        Invalid(format!("{name}: {why}"))
    }
}

/// The device a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Dny(PhysicalId),
    /// A GN gateway itself (node list, OTA, every socket's voice windows).
    Gateway(GatewayId),
    /// A socket behind a GN gateway.
    Socket(SocketRef),
}

impl Target {
    /// Parses a canonical device id (docs/protocols.md): 8 hex digits for a DNY pile,
    /// 14 for a GN gateway, `<gateway>-<socket>` for a GN socket.
    pub fn parse(device_id: &str) -> Result<Self, Invalid> {
        if device_id.contains('-') {
            return device_id
                .parse::<SocketRef>()
                .map(Target::Socket)
                .map_err(|e| Invalid::field("device_id", e));
        }
        match device_id.len() {
            8 => device_id
                .parse::<PhysicalId>()
                .map(Target::Dny)
                .map_err(|e| Invalid::field("device_id", e)),
            14 => device_id
                .parse::<GatewayId>()
                .map(Target::Gateway)
                .map_err(|e| Invalid::field("device_id", e)),
            _ => Err(Invalid::field(
                "device_id",
                format!(
                    "{device_id:?} is no device id: expected 8 hex digits (DNY), 14 (GN gateway) \
                     or <gateway>-<socket>"
                ),
            )),
        }
    }

    /// The device this command addresses (its lane: one command in flight each).
    pub fn device_id(&self) -> String {
        match self {
            Target::Dny(id) => id.to_string(),
            Target::Gateway(gw) => gw.to_string(),
            Target::Socket(s) => s.to_string(),
        }
    }

    /// The device whose TCP connection carries the command (a socket's gateway).
    pub fn connection_id(&self) -> String {
        match self {
            Target::Dny(id) => id.to_string(),
            Target::Gateway(gw) => gw.to_string(),
            Target::Socket(s) => s.gateway().to_string(),
        }
    }

    /// The protocol of the connection that carries the command.
    pub fn protocol(&self) -> super::Protocol {
        match self {
            Target::Dny(_) => super::Protocol::Dny,
            Target::Gateway(_) | Target::Socket(_) => super::Protocol::Gn,
        }
    }
}

/// What a command is, for interpreting its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Start,
    Stop,
    Query,
    GetParameters,
    SetParameters,
    Reboot,
    Upgrade,
    Nodes,
    Voice,
    Raw,
}

/// Which uplink completes a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A frame with our message id / sequence and the command's answer command.
    Answer,
    /// DNY 0x81: the device answers with a fresh heartbeat, not with an echo.
    NextHeartbeat,
    /// The protocol defines no answer: done once written.
    Nothing,
}

/// The frame a command becomes, before the executor stamps its id.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Dny(codec_dny::Downlink),
    /// An operator's DNY frame, re-stamped.
    DnyRaw(codec_dny::RawFrame),
    Gn(codec_gn::Message),
    /// An operator's GN frame, re-stamped.
    GnRaw(codec_gn::Frame),
}

/// A validated command, ready to execute.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub target: Target,
    pub kind: Kind,
    pub outgoing: Outgoing,
    pub expect: Expect,
    /// The port the command is about (1-based), for reading its answer.
    pub port: Option<u32>,
    /// Its own answer rule instead of the connection's (DNY firmware packets: 30 s,
    /// three resends, fact sheet 1.4); `None` for every ordinary command.
    pub timing: Option<Timing>,
}

/// How long a command waits for its answer and how often it is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub answer_timeout: Duration,
    /// Transmissions after the first, each with the same message id.
    pub resends: u32,
}

impl Timing {
    /// The longest the command may fly: every transmission's full timeout.
    pub fn flight(&self) -> Duration {
        self.answer_timeout * (self.resends + 1)
    }
}

/// An uplink frame that may answer a command, as the session decoded it. `raw` is the
/// frame as received, described (hex, JSON) only when it does answer a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Dny {
        frame: codec_dny::Frame<codec_dny::Uplink>,
        raw: Option<codec_dny::RawFrame>,
    },
    Gn {
        packet: codec_gn::Packet,
        raw: Option<codec_gn::Frame>,
    },
}

impl Plan {
    /// The frame with `correlation` as its DNY message id (low 16 bits) or GN sequence.
    pub fn encode(&self, correlation: u32) -> Result<Bytes, Invalid> {
        match (&self.outgoing, &self.target) {
            (Outgoing::Dny(m), Target::Dny(id)) => dny::encode(*id, correlation, m),
            (Outgoing::DnyRaw(raw), _) => dny::encode_raw(raw, correlation),
            (Outgoing::Gn(m), t) => gn::encode(gateway_of(t)?, correlation, m),
            (Outgoing::GnRaw(f), _) => gn::encode_raw(f, correlation),
            (Outgoing::Dny(_), _) => Err(Invalid("a DNY frame for a GN device".into())),
        }
    }

    /// Whether `reply` answers this command sent with `correlation`.
    pub fn answered_by(&self, correlation: u32, reply: &Reply) -> bool {
        match (reply, &self.target) {
            (Reply::Dny { frame, .. }, Target::Dny(id)) => {
                frame.physical_id == *id && dny::answers(self, correlation, frame)
            }
            (Reply::Gn { packet, .. }, Target::Gateway(_) | Target::Socket(_)) => {
                gn::answers(self, correlation, packet)
            }
            _ => false,
        }
    }

    /// What the answer means.
    pub fn interpret(&self, reply: &Reply) -> CommandResult {
        let (mut result, raw) = match reply {
            Reply::Dny { frame, raw } => (
                dny::interpret(self, frame),
                raw.clone().map(super::WireFrame::Dny),
            ),
            Reply::Gn { packet, raw } => (
                gn::interpret(self, packet),
                raw.clone().map(super::WireFrame::Gn),
            ),
        };
        if let Some(raw) = raw {
            result.answer_hex = raw.hex();
            result.answer_json = raw.describe().to_string();
        } else {
            result.answer_json = serde_json::Value::Null.to_string();
        }
        result
    }
}

fn gateway_of(t: &Target) -> Result<GatewayId, Invalid> {
    match t {
        Target::Gateway(gw) => Ok(*gw),
        Target::Socket(s) => Ok(s.gateway()),
        Target::Dny(_) => Err(Invalid("a GN frame for a DNY device".into())),
    }
}

/// A result without an answer frame.
pub fn outcome(outcome: CommandOutcome, detail: impl Into<String>) -> CommandResult {
    CommandResult {
        outcome: outcome as i32,
        detail: detail.into(),
        ..Default::default()
    }
}

/// The device did it.
pub(crate) fn ok(device_code: u32) -> CommandResult {
    CommandResult {
        outcome: CommandOutcome::Ok as i32,
        device_code,
        ..Default::default()
    }
}

/// The device answered and refused.
pub(crate) fn rejected(device_code: u32, detail: impl Into<String>) -> CommandResult {
    CommandResult {
        outcome: CommandOutcome::Rejected as i32,
        device_code,
        detail: detail.into(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_parse_by_form() {
        assert!(matches!(Target::parse("04ceaa40"), Ok(Target::Dny(_))));
        assert!(matches!(
            Target::parse("82241218000382"),
            Ok(Target::Gateway(_))
        ));
        let s = Target::parse("82241218000382-7").unwrap();
        assert_eq!(s.device_id(), "82241218000382-7");
        assert_eq!(s.connection_id(), "82241218000382");
        for bad in [
            "",
            "xyz",
            "04ceaa4",
            "82241218000382-0",
            "82241218000382-251",
        ] {
            let e = Target::parse(bad).unwrap_err();
            assert!(e.0.starts_with("device_id"), "{bad}: {e}");
        }
    }
}
