//! A campaign's target set: which devices may take the firmware, and the node that
//! contains them all.

use super::FieldError;

/// A registered device as a campaign sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub device_id: String,
    pub protocol: String,
    /// Registry kind: pile (DNY), gateway or socket (GN).
    pub kind: String,
    pub node_path: String,
}

/// Most devices one campaign takes.
pub const MAX_TARGETS: usize = 10_000;

/// What takes a firmware of `protocol`: DNY piles; GN gateways (their sockets are
/// upgraded through them).
pub fn takes(protocol: &str, t: &Target) -> bool {
    t.protocol == protocol
        && match protocol {
            "dny" => t.kind == "pile",
            _ => t.kind == "gateway",
        }
}

/// An explicitly named device must take the firmware.
pub fn check_named(field: &str, protocol: &str, t: &Target) -> Result<(), FieldError> {
    if t.protocol != protocol {
        return Err(FieldError::new(
            field,
            format!(
                "{} is a {} device; the firmware is for {protocol}",
                t.device_id, t.protocol
            ),
        ));
    }
    if !takes(protocol, t) {
        return Err(FieldError::new(
            field,
            format!(
                "{} is a GN {}; OTA goes to its gateway",
                t.device_id, t.kind
            ),
        ));
    }
    Ok(())
}

/// The deepest node path containing every path (segment-wise common prefix).
pub fn common_path<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut it = paths.into_iter();
    let first: Vec<&str> = it.next()?.trim_matches('/').split('/').collect();
    let mut keep = first.len();
    for p in it {
        let segs: Vec<&str> = p.trim_matches('/').split('/').collect();
        keep = keep.min(first.iter().zip(&segs).take_while(|(a, b)| a == b).count());
    }
    (keep > 0).then(|| format!("/{}/", first[..keep].join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, protocol: &str, kind: &str) -> Target {
        Target {
            device_id: id.into(),
            protocol: protocol.into(),
            kind: kind.into(),
            node_path: "/t/".into(),
        }
    }

    #[test]
    fn only_piles_or_gn_gateways_of_the_firmwares_protocol() {
        assert!(takes("dny", &t("a", "dny", "pile")));
        assert!(takes("gn", &t("g", "gn", "gateway")));
        assert!(!takes("gn", &t("g-1", "gn", "socket")));
        assert!(!takes("dny", &t("g", "gn", "gateway")));
        let e = check_named("targets.device_ids", "dny", &t("g", "gn", "gateway")).unwrap_err();
        assert!(e.message.contains("firmware is for dny"), "{e}");
        let e = check_named("targets.device_ids", "gn", &t("g-1", "gn", "socket")).unwrap_err();
        assert!(e.message.contains("gateway"), "{e}");
    }

    #[test]
    fn the_common_path_is_segment_wise() {
        assert_eq!(common_path(["/t/r/s1/", "/t/r/s2/"]).unwrap(), "/t/r/");
        assert_eq!(common_path(["/t/r/s1/"]).unwrap(), "/t/r/s1/");
        assert_eq!(common_path(["/t/r1/", "/t/r10/"]).unwrap(), "/t/");
        assert_eq!(common_path(["/t/", "/u/"]), None);
        assert_eq!(common_path([]), None);
    }
}
