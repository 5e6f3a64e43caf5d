//! What a gateway command ended with, in the audit's words, and how a caller is told.

use proto::pylon::gateway::v1::CommandOutcome;

/// The outcome recorded on an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The device answered and did it.
    Ok,
    /// Written; the protocol defines no answer (GN OTA, a DNY transfer started).
    Sent,
    /// The device answered and refused (`device_code`).
    Rejected,
    /// No answer after the gateway's resend.
    Timeout,
    /// No live connection.
    DeviceOffline,
    /// The device's queue was full or a transfer runs; nothing was sent.
    Busy,
    /// The gateway could not turn the request into a frame; nothing was sent.
    Invalid,
    /// The gateway could not be asked (or gave no outcome).
    Unreachable,
}

impl Outcome {
    pub fn from_gateway(outcome: i32) -> Self {
        match CommandOutcome::try_from(outcome) {
            Ok(CommandOutcome::Ok) => Self::Ok,
            Ok(CommandOutcome::Sent) => Self::Sent,
            Ok(CommandOutcome::Rejected) => Self::Rejected,
            Ok(CommandOutcome::Timeout) => Self::Timeout,
            Ok(CommandOutcome::DeviceOffline) => Self::DeviceOffline,
            Ok(CommandOutcome::Busy) => Self::Busy,
            Ok(CommandOutcome::Unspecified) | Err(_) => Self::Unreachable,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Sent => "sent",
            Self::Rejected => "rejected",
            Self::Timeout => "timeout",
            Self::DeviceOffline => "device_offline",
            Self::Busy => "busy",
            Self::Invalid => "invalid",
            Self::Unreachable => "unreachable",
        }
    }

    /// Whether the device did (or was given) what was asked.
    pub fn succeeded(self) -> bool {
        matches!(self, Self::Ok | Self::Sent)
    }

    /// What the caller reads when it did not succeed (zh-CN / en).
    pub fn message(self) -> &'static str {
        match self {
            Self::Ok | Self::Sent => "完成 / done",
            Self::Rejected => "设备拒绝执行 / the device refused the command",
            Self::Timeout => "设备无应答 / the device did not answer",
            Self::DeviceOffline => "设备离线 / the device is offline",
            Self::Busy => "设备忙，请稍后重试 / the device is busy; try again later",
            Self::Invalid => "请求无效 / the gateway refused the request",
            Self::Unreachable => "网关不可用 / the gateway could not be reached",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_outcomes_map_one_to_one() {
        let cases = [
            (CommandOutcome::Ok, Outcome::Ok),
            (CommandOutcome::Sent, Outcome::Sent),
            (CommandOutcome::Rejected, Outcome::Rejected),
            (CommandOutcome::Timeout, Outcome::Timeout),
            (CommandOutcome::DeviceOffline, Outcome::DeviceOffline),
            (CommandOutcome::Busy, Outcome::Busy),
            (CommandOutcome::Unspecified, Outcome::Unreachable),
        ];
        for (g, o) in cases {
            assert_eq!(Outcome::from_gateway(g as i32), o);
        }
        assert_eq!(Outcome::from_gateway(99), Outcome::Unreachable);
        assert!(Outcome::Sent.succeeded() && !Outcome::Busy.succeeded());
        assert_eq!(Outcome::DeviceOffline.as_str(), "device_offline");
    }
}
