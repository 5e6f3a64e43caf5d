//! Rules for storing tariffs: names, bodies (the pricing engine's own validation) and
//! when a version may take effect.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use pricing::Tariff;

use crate::error::BillingError;

/// Longest tariff name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// How far in the past `effective_from` may lie: clocks of the caller and the server
/// differ a little, and "now" sent by a console is already a moment old on arrival.
pub const EFFECTIVE_FROM_SKEW: Duration = Duration::minutes(5);

/// A trimmed, non-empty name without control characters.
pub fn name(s: &str) -> Result<String, BillingError> {
    text("name", s, MAX_NAME_CHARS, false)
}

pub fn description(s: &str) -> Result<String, BillingError> {
    text("description", s, MAX_DESCRIPTION_CHARS, true)
}

fn text(field: &str, s: &str, max: usize, empty_ok: bool) -> Result<String, BillingError> {
    let t = s.trim();
    if t.is_empty() && !empty_ok {
        return Err(BillingError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(BillingError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(BillingError::invalid(field, "contains control characters"));
    }
    Ok(t.to_owned())
}

/// The body must pass the engine's validation; its error names the field inside the
/// body (`body: energy.flat.service_millifen_per_kwh is negative (-1)`).
pub fn check_body(body: &Tariff) -> Result<(), BillingError> {
    body.validate()
        .map_err(|e| BillingError::InvalidTariff(format!("body: {e}")))
}

/// When a new version takes effect: `asked`, or now. Never in the past — bills already
/// rated keep their version, but quotes and resolutions of past instants must not change
/// under their readers, so a price change is never retroactive.
pub fn effective_from(
    asked: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, BillingError> {
    match asked {
        None => Ok(now),
        Some(at) if at < now - EFFECTIVE_FROM_SKEW => Err(BillingError::invalid(
            "effective_from",
            format!(
                "{} is in the past: a price change never applies retroactively",
                at.to_rfc3339()
            ),
        )),
        // The database keeps microseconds; the answer must equal what is stored.
        Some(at) => Ok(at.trunc_subsecs(6)),
    }
}

/// A stored body as the engine's type. It was validated when stored; failing to read
/// it back means the engine's format changed incompatibly, which is an internal error.
pub fn from_stored(
    body: serde_json::Value,
    tariff_id: uuid::Uuid,
    version: i32,
) -> Result<Tariff, BillingError> {
    serde_json::from_value(body).map_err(|e| {
        BillingError::Internal(format!(
            "stored tariff {tariff_id} version {version} no longer parses: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Peak 2026 ").unwrap(), "Peak 2026");
        assert!(name("   ").unwrap_err().to_string().starts_with("name:"));
        assert!(name(&"x".repeat(101)).is_err());
        assert!(name("a\u{0}b").is_err());
        assert_eq!(description("").unwrap(), "");
    }

    #[test]
    fn effective_from_is_never_in_the_past() {
        let now = Utc::now();
        assert_eq!(effective_from(None, now).unwrap(), now);
        let later = now + Duration::hours(1);
        assert_eq!(
            effective_from(Some(later), now).unwrap(),
            later.trunc_subsecs(6)
        );
        let slightly = now - Duration::minutes(1);
        assert!(effective_from(Some(slightly), now).is_ok());
        let e = effective_from(Some(now - Duration::hours(1)), now).unwrap_err();
        assert!(e.to_string().starts_with("effective_from:"), "{e}");
    }

    #[test]
    fn invalid_bodies_name_the_field() {
        let t: Tariff = serde_json::from_value(serde_json::json!({
            "energy": {"flat": {"electricity_millifen_per_kwh": -1, "service_millifen_per_kwh": 0}}
        }))
        .unwrap();
        let e = check_body(&t).unwrap_err().to_string();
        assert!(e.contains("body: energy"), "{e}");
        assert!(e.contains("electricity_millifen_per_kwh"), "{e}");
    }
}
