//! One device through a rollout: pending → sending → succeeded / failed, back to
//! pending (later) when the device was offline or busy, aborted when the campaign is.

use proto::events::FirmwareTransferEnd;

use super::outcome::Outcome;

/// What happens to the device next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The transfer runs: wait for its end (`firmware_progress` with `end`).
    Wait,
    Succeeded(String),
    /// Back to pending, tried again after the campaign's retry delay.
    Retry(String),
    Failed(String),
}

fn again_or_fail(reason: String, attempts: i32, max_attempts: i32) -> Step {
    if attempts < max_attempts {
        Step::Retry(reason)
    } else {
        Step::Failed(format!("{reason} (after {attempts} attempts)"))
    }
}

/// After the `Upgrade` call answered (`attempts` counts this one).
pub fn after_send(
    protocol: &str,
    outcome: Outcome,
    detail: &str,
    attempts: i32,
    max_attempts: i32,
) -> Step {
    let reason = if detail.is_empty() {
        outcome.as_str().to_owned()
    } else {
        format!("{}: {detail}", outcome.as_str())
    };
    match outcome {
        // A DNY image is under way; its end comes as an event.
        Outcome::Sent if protocol == "dny" => Step::Wait,
        // GN 0x0007 has no documented answer: the gateway has the location.
        Outcome::Sent | Outcome::Ok => Step::Succeeded(reason),
        Outcome::DeviceOffline | Outcome::Busy | Outcome::Timeout | Outcome::Unreachable => {
            again_or_fail(reason, attempts, max_attempts)
        }
        Outcome::Rejected | Outcome::Invalid => Step::Failed(reason),
    }
}

/// The audit outcome of a transfer's end.
pub fn end_outcome(end: FirmwareTransferEnd) -> &'static str {
    match end {
        FirmwareTransferEnd::Completed => "completed",
        FirmwareTransferEnd::Rejected => "transfer_rejected",
        FirmwareTransferEnd::Timeout => "transfer_timeout",
        FirmwareTransferEnd::DeviceOffline => "transfer_device_offline",
        FirmwareTransferEnd::Aborted => "transfer_aborted",
        FirmwareTransferEnd::Unspecified => "unknown",
    }
}

/// After the gateway reported the transfer's end.
pub fn after_end(end: FirmwareTransferEnd, detail: &str, attempts: i32, max_attempts: i32) -> Step {
    let reason = if detail.is_empty() {
        end_outcome(end).to_owned()
    } else {
        format!("{}: {detail}", end_outcome(end))
    };
    match end {
        FirmwareTransferEnd::Completed => Step::Succeeded(reason),
        FirmwareTransferEnd::Rejected => Step::Failed(reason),
        FirmwareTransferEnd::Timeout
        | FirmwareTransferEnd::DeviceOffline
        | FirmwareTransferEnd::Aborted
        | FirmwareTransferEnd::Unspecified => again_or_fail(reason, attempts, max_attempts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_dny_transfer_waits_and_gn_is_done() {
        assert_eq!(after_send("dny", Outcome::Sent, "", 1, 3), Step::Wait);
        assert!(matches!(
            after_send("gn", Outcome::Sent, "", 1, 3),
            Step::Succeeded(_)
        ));
    }

    #[test]
    fn offline_retries_until_the_attempts_run_out() {
        assert_eq!(
            after_send("dny", Outcome::DeviceOffline, "", 1, 3),
            Step::Retry("device_offline".into())
        );
        assert_eq!(
            after_send("dny", Outcome::DeviceOffline, "gone", 3, 3),
            Step::Failed("device_offline: gone (after 3 attempts)".into())
        );
        assert!(matches!(
            after_send("dny", Outcome::Rejected, "x", 1, 3),
            Step::Failed(_)
        ));
    }

    #[test]
    fn transfer_ends_decide_the_device() {
        use FirmwareTransferEnd as E;
        assert!(matches!(
            after_end(E::Completed, "", 1, 3),
            Step::Succeeded(_)
        ));
        assert!(matches!(
            after_end(E::Rejected, "sum", 1, 3),
            Step::Failed(_)
        ));
        assert!(matches!(
            after_end(E::DeviceOffline, "", 1, 3),
            Step::Retry(_)
        ));
        assert!(matches!(after_end(E::Timeout, "", 2, 2), Step::Failed(_)));
        assert_eq!(end_outcome(E::Completed), "completed");
    }
}
