//! gRPC requests → [`Plan`]s: the device id decides the protocol, the protocol's half
//! builds the frame. Every refusal names the field.

use proto::pylon::gateway::v1::ForwardedCommand;
use proto::pylon::gateway::v1::forwarded_command::Request;

use super::{Invalid, Plan, Target, Transfer, dny, gn};

/// What a request becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// One command: one frame and its answer.
    Command(Plan),
    /// A DNY firmware image: packets, one command each, run in the background.
    Transfer(Transfer),
}

impl Work {
    pub fn target(&self) -> Target {
        match self {
            Work::Command(p) => p.target,
            Work::Transfer(t) => t.target(),
        }
    }
}

/// Validates a request and builds what it becomes.
pub fn prepare(cmd: &ForwardedCommand) -> Result<Work, Invalid> {
    let Some(request) = &cmd.request else {
        return Err(Invalid("request: empty".into()));
    };
    let target = Target::parse(device_id(request))?;
    match (target, request) {
        (Target::Dny(id), Request::Upgrade(r)) if !r.firmware.is_empty() => {
            Transfer::new(id, r).map(Work::Transfer)
        }
        (Target::Dny(id), _) => dny::plan(id, request).map(Work::Command),
        (Target::Gateway(_) | Target::Socket(_), _) => gn::plan(target, request).map(Work::Command),
    }
}

/// Validates a request that is one command and builds it (a firmware transfer is
/// refused: it is many).
pub fn plan(cmd: &ForwardedCommand) -> Result<Plan, Invalid> {
    match prepare(cmd)? {
        Work::Command(p) => Ok(p),
        Work::Transfer(_) => Err(Invalid::field(
            "firmware",
            "an image is a transfer of many packets, not one command",
        )),
    }
}

/// The device id of any request.
pub fn device_id(request: &Request) -> &str {
    match request {
        Request::Start(r) => &r.device_id,
        Request::Stop(r) => &r.device_id,
        Request::Query(r) => &r.device_id,
        Request::GetParameters(r) => &r.device_id,
        Request::SetParameters(r) => &r.device_id,
        Request::Reboot(r) => &r.device_id,
        Request::Upgrade(r) => &r.device_id,
        Request::Nodes(r) => &r.device_id,
        Request::Voice(r) => &r.device_id,
        Request::Raw(r) => &r.device_id,
    }
}

/// A 1-based port within `1..=max`.
pub(super) fn port(port: u32, max: u32) -> Result<u8, Invalid> {
    if port == 0 || port > max {
        return Err(Invalid::field(
            "port",
            format!("{port} is not in 1..={max}"),
        ));
    }
    u8::try_from(port - 1).map_err(|_| Invalid::field("port", "too large"))
}

/// A required parameter value that fits `T`.
pub(super) fn value<T: TryFrom<i64>>(
    values: &std::collections::HashMap<String, i64>,
    key: &str,
) -> Result<Option<T>, Invalid> {
    values
        .get(key)
        .map(|v| {
            T::try_from(*v).map_err(|_| {
                Invalid::field(
                    &format!("values.{key}"),
                    format!("{v} is out of range for this parameter"),
                )
            })
        })
        .transpose()
}

/// Refuses keys a group does not have, naming them.
pub(super) fn known_keys(
    values: &std::collections::HashMap<String, i64>,
    group: &str,
    known: &[&str],
) -> Result<(), Invalid> {
    let mut unknown: Vec<&str> = values
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    Err(Invalid::field(
        "values",
        format!(
            "group {group} has no parameter {}; it has {}",
            unknown.join(", "),
            known.join(", ")
        ),
    ))
}

/// `"hh:mm"` → (hour, minute).
pub(super) fn time_of_day(field: &str, s: &str) -> Result<(u8, u8), Invalid> {
    let bad = || Invalid::field(field, format!("{s:?} is not hh:mm"));
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m) = (
        h.parse::<u8>().map_err(|_| bad())?,
        m.parse::<u8>().map_err(|_| bad())?,
    );
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((h, m))
}

/// Numeric fields of a decoded answer (codec JSON, Pylon units) as parameters.
pub(super) fn numeric_fields(json: &serde_json::Value) -> std::collections::HashMap<String, i64> {
    json.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

/// A hex frame from an operator.
pub(super) fn hex_frame(hex: &str) -> Result<Vec<u8>, Invalid> {
    let clean: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
    if clean.is_empty() || !clean.len().is_multiple_of(2) || clean.len() > 4096 {
        return Err(Invalid::field(
            "frame_hex",
            "expected an even number of hex digits (at most 2048 bytes)",
        ));
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            clean
                .get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| Invalid::field("frame_hex", "not hex"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_one_based_and_bounded() {
        assert_eq!(port(1, 2), Ok(0));
        assert_eq!(port(2, 2), Ok(1));
        assert!(port(0, 2).unwrap_err().0.starts_with("port"));
        assert!(port(3, 2).unwrap_err().0.contains("1..=2"));
    }

    #[test]
    fn times_of_day_are_checked() {
        assert_eq!(time_of_day("w", "23:59"), Ok((23, 59)));
        assert!(time_of_day("w", "24:00").is_err());
        assert!(time_of_day("w", "7").is_err());
    }

    #[test]
    fn unknown_parameter_names_are_named() {
        let values = [
            ("max_charge_time_s".to_string(), 1),
            ("nope".to_string(), 2),
        ]
        .into();
        let e = known_keys(&values, "run2", &["max_charge_time_s"]).unwrap_err();
        assert!(
            e.0.contains("nope") && e.0.contains("max_charge_time_s"),
            "{e}"
        );
    }

    #[test]
    fn hex_frames_parse() {
        assert_eq!(hex_frame("44 4e").unwrap(), vec![0x44, 0x4e]);
        assert!(hex_frame("4").is_err());
        assert!(hex_frame("zz").is_err());
    }
}
