//! The filters of history queries, parsed from the query string's pairs (pure). Every
//! error names its parameter; an unknown parameter is an error rather than ignored, so a
//! typo (`stat=settled`) does not silently return everything.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::orders::domain::state::State;

/// The widest range one CSV export covers.
pub const MAX_EXPORT_DAYS: i64 = 366;
/// What an export covers when `from` is not given: the month before `to`.
pub const DEFAULT_EXPORT_DAYS: i64 = 31;
/// Longest device id accepted as a filter (canonical ids are far shorter).
const MAX_DEVICE_ID: usize = 64;

/// Who asks, which decides the parameters taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// `GET /orders`: every filter and the page.
    Operator,
    /// `GET /orders/export.csv`: every filter, no page (it streams all).
    Export,
    /// `GET /me/orders`: the caller's own orders, by state and time, paged.
    Driver,
}

impl Audience {
    fn takes(self, key: &str) -> bool {
        let driver = matches!(key, "state" | "from" | "to");
        let operator = matches!(key, "user_id" | "device_id" | "site_id");
        let page = matches!(key, "limit" | "offset");
        match self {
            Audience::Operator => driver || operator || page,
            Audience::Export => driver || operator,
            Audience::Driver => driver || page,
        }
    }

    fn accepted(self) -> &'static str {
        match self {
            Audience::Operator => "user_id, device_id, site_id, state, from, to, limit, offset",
            Audience::Export => "user_id, device_id, site_id, state, from, to",
            Audience::Driver => "state, from, to, limit, offset",
        }
    }
}

/// A rejected parameter: which one and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    pub field: String,
    pub message: String,
}

impl FilterError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<FilterError> for crate::error::ChargingError {
    fn from(e: FilterError) -> Self {
        crate::error::ChargingError::Invalid(e.to_string())
    }
}

/// What a history query asks for. Times bound `created_at`: `from` inclusive, `to`
/// exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub user_id: Option<Uuid>,
    pub device_id: Option<String>,
    pub site_id: Option<Uuid>,
    /// State names, each a valid one; `None` = any.
    pub states: Option<Vec<String>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

impl HistoryQuery {
    /// Parses `pairs` as `audience` may send them. `state` may repeat or list several
    /// states separated by commas; every other parameter is given at most once.
    pub fn parse(pairs: &[(String, String)], audience: Audience) -> Result<Self, FilterError> {
        let mut q = HistoryQuery::default();
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            let key = key.as_str();
            if !audience.takes(key) {
                return Err(FilterError::new(
                    key,
                    format!("unknown parameter; accepted: {}", audience.accepted()),
                ));
            }
            if key != "state" {
                if seen.contains(&key) {
                    return Err(FilterError::new(key, "given more than once"));
                }
                seen.push(key);
            }
            let value = value.trim();
            match key {
                "user_id" => q.user_id = Some(uuid(key, value)?),
                "site_id" => q.site_id = Some(uuid(key, value)?),
                "device_id" => {
                    if value.is_empty() || value.len() > MAX_DEVICE_ID {
                        return Err(FilterError::new(
                            key,
                            format!("1 to {MAX_DEVICE_ID} characters"),
                        ));
                    }
                    q.device_id = Some(value.to_ascii_lowercase());
                }
                "state" => {
                    let states = q.states.get_or_insert_with(Vec::new);
                    for s in value.split(',').map(str::trim) {
                        let state = State::parse(s).ok_or_else(|| {
                            FilterError::new(
                                key,
                                format!("unknown state {s:?}; one of {}", state_names()),
                            )
                        })?;
                        if !states.iter().any(|x| x == state.as_str()) {
                            states.push(state.as_str().to_owned());
                        }
                    }
                }
                "from" => q.from = Some(time(key, value)?),
                "to" => q.to = Some(time(key, value)?),
                "limit" => {
                    q.limit = Some(
                        value
                            .parse()
                            .map_err(|_| FilterError::new(key, "not a whole number"))?,
                    );
                }
                "offset" => {
                    q.offset = Some(
                        value
                            .parse()
                            .map_err(|_| FilterError::new(key, "not a whole number"))?,
                    );
                }
                // `Audience::takes` let only the keys above through.
                _ => return Err(FilterError::new(key, "unknown parameter")),
            }
        }
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from >= to
        {
            return Err(FilterError::new("to", "must be later than from"));
        }
        Ok(q)
    }

    /// The range an export covers: `to` defaults to `now`, `from` to
    /// [`DEFAULT_EXPORT_DAYS`] before `to`; at most [`MAX_EXPORT_DAYS`].
    pub fn export_range(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), FilterError> {
        let to = self.to.unwrap_or(now);
        let from = self
            .from
            .unwrap_or(to - Duration::days(DEFAULT_EXPORT_DAYS));
        if from >= to {
            return Err(FilterError::new("from", "must be earlier than to"));
        }
        if to - from > Duration::days(MAX_EXPORT_DAYS) {
            return Err(FilterError::new(
                "to",
                format!(
                    "导出范围最多 {MAX_EXPORT_DAYS} 天 / an export covers at most {MAX_EXPORT_DAYS} days \
                     (from {} to {} is longer); export in parts",
                    from.to_rfc3339(),
                    to.to_rfc3339()
                ),
            ));
        }
        Ok((from, to))
    }
}

fn uuid(field: &str, value: &str) -> Result<Uuid, FilterError> {
    Uuid::parse_str(value).map_err(|_| FilterError::new(field, "not a UUID"))
}

fn time(field: &str, value: &str) -> Result<DateTime<Utc>, FilterError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FilterError::new(
                field,
                format!(
                    "not an RFC 3339 time: {value:?} (e.g. 2026-11-01T00:00:00Z; \
                     write + in an offset as %2B)"
                ),
            )
        })
}

fn state_names() -> String {
    State::ALL
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_filter_parses() {
        let q = HistoryQuery::parse(
            &pairs(&[
                ("user_id", "0195b5a8-4f1e-7000-8000-000000000001"),
                ("device_id", "04AB373B"),
                ("state", "settled,charging"),
                ("state", "needs_review"),
                ("state", "settled"),
                ("from", "2026-11-01T08:00:00+08:00"),
                ("to", "2026-12-01T00:00:00Z"),
                ("limit", "50"),
            ]),
            Audience::Operator,
        )
        .unwrap();
        assert_eq!(q.device_id.as_deref(), Some("04ab373b"));
        assert_eq!(
            q.states.unwrap(),
            vec!["settled", "charging", "needs_review"],
            "several states, repeats dropped"
        );
        assert_eq!(
            q.from,
            Some(t("2026-11-01T00:00:00Z")),
            "offsets become UTC"
        );
        assert_eq!(q.limit, Some(50));
    }

    #[test]
    fn bad_parameters_are_named() {
        let err = |list: &[(&str, &str)], a| HistoryQuery::parse(&pairs(list), a).unwrap_err();
        assert_eq!(
            err(&[("user_id", "x")], Audience::Operator).field,
            "user_id"
        );
        assert_eq!(err(&[("site_id", "")], Audience::Operator).field, "site_id");
        assert_eq!(err(&[("state", "done")], Audience::Operator).field, "state");
        assert_eq!(
            err(&[("from", "yesterday")], Audience::Driver).field,
            "from"
        );
        assert_eq!(
            err(&[("stat", "settled")], Audience::Operator).field,
            "stat"
        );
        assert_eq!(err(&[("limit", "-1")], Audience::Operator).field, "limit");
        assert_eq!(
            err(
                &[
                    ("to", "2026-01-01T00:00:00Z"),
                    ("to", "2026-01-02T00:00:00Z")
                ],
                Audience::Operator
            )
            .field,
            "to"
        );
        let e = err(
            &[
                ("from", "2026-02-01T00:00:00Z"),
                ("to", "2026-01-01T00:00:00Z"),
            ],
            Audience::Operator,
        );
        assert_eq!(e.field, "to");
    }

    #[test]
    fn each_audience_takes_its_own_parameters() {
        let user = [("user_id", "0195b5a8-4f1e-7000-8000-000000000001")];
        assert!(HistoryQuery::parse(&pairs(&user), Audience::Driver).is_err());
        assert!(HistoryQuery::parse(&pairs(&user), Audience::Export).is_ok());
        assert!(HistoryQuery::parse(&pairs(&[("offset", "20")]), Audience::Export).is_err());
        assert!(HistoryQuery::parse(&pairs(&[("offset", "20")]), Audience::Driver).is_ok());
    }

    #[test]
    fn exports_default_to_a_month_and_cap_at_366_days() {
        let now = t("2026-11-26T12:00:00Z");
        let q = HistoryQuery::default();
        assert_eq!(
            q.export_range(now).unwrap(),
            (t("2026-10-26T12:00:00Z"), now)
        );
        let q = HistoryQuery {
            from: Some(t("2025-11-26T12:00:00Z")),
            ..HistoryQuery::default()
        };
        assert!(q.export_range(now).is_ok(), "365 days");
        let q = HistoryQuery {
            from: Some(t("2025-01-01T00:00:00Z")),
            ..HistoryQuery::default()
        };
        let e = q.export_range(now).unwrap_err();
        assert_eq!(e.field, "to");
        assert!(e.message.contains("366 days"), "{e}");
        let q = HistoryQuery {
            from: Some(t("2026-12-01T00:00:00Z")),
            ..HistoryQuery::default()
        };
        assert_eq!(
            q.export_range(now).unwrap_err().field,
            "from",
            "from after now"
        );
    }
}
