//! Keeps `charging.orders` partitioned ahead: at start-up and then daily, the partitions
//! of this UTC month and the next [`AHEAD_MONTHS`] exist, and a month whose rows were
//! caught by `orders_default` (the service was down over a month's start, or rows were
//! backdated) gets its own partition with those rows moved in. Archiving old months is
//! an operator's job (docs/charging.md, "History").

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::store::partitions as store;
use crate::ctx::Ctx;

/// Months created beyond the current one.
pub const AHEAD_MONTHS: u32 = 2;
/// How often the partitions are checked.
pub const EVERY: Duration = Duration::from_secs(24 * 3600);
/// The next try after a failed check (a lock timeout, the database away).
pub const RETRY: Duration = Duration::from_secs(3600);

/// One UTC month's partition: `orders_YYYY_MM` for [from, to).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthPartition {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl MonthPartition {
    /// The month that contains `t`, `plus` months later. `None` only past year 262143.
    pub fn containing(t: DateTime<Utc>, plus: u32) -> Option<Self> {
        let index = i64::from(t.year()) * 12 + i64::from(t.month0()) + i64::from(plus);
        Some(Self {
            from: month_start(index)?,
            to: month_start(index + 1)?,
        })
    }

    /// The table's name; made of digits only, so it is safe in DDL.
    pub fn name(&self) -> String {
        format!("orders_{:04}_{:02}", self.from.year(), self.from.month())
    }

    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }
}

/// Whether `name` is one of the orders' partitions: a month's ([`MonthPartition::name`])
/// or the default one.
pub fn is_partition_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("orders_") else {
        return false;
    };
    let month = rest.as_bytes();
    rest == "default"
        || (month.len() == 7
            && month[4] == b'_'
            && month[..4].iter().chain(&month[5..]).all(u8::is_ascii_digit))
}

/// The first instant of month `index` (= year × 12 + month0).
fn month_start(index: i64) -> Option<DateTime<Utc>> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()
}

/// The partitions that must exist at `now`: this month, the next [`AHEAD_MONTHS`], and
/// the months of `waiting` (rows in the default partition).
pub fn wanted(now: DateTime<Utc>, waiting: &[DateTime<Utc>]) -> BTreeSet<MonthPartition> {
    (0..=AHEAD_MONTHS)
        .filter_map(|k| MonthPartition::containing(now, k))
        .chain(
            waiting
                .iter()
                .filter_map(|t| MonthPartition::containing(*t, 0)),
        )
        .collect()
}

/// Creates what is missing; the names of the partitions created.
pub async fn ensure(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<Vec<String>> {
    let waiting = store::months_in_default(pool).await?;
    let mut created = Vec::new();
    for p in wanted(now, &waiting) {
        if store::create(pool, &p).await? {
            tracing::info!(partition = %p.name(), "order partition created");
            created.push(p.name());
        }
    }
    Ok(created)
}

/// Checks once now (so a fresh month is ready before the first order), then daily in
/// the background until `stop`.
pub async fn start(ctx: &Ctx, stop: &CancellationToken) {
    let mut wait = check(&ctx.pool).await;
    let pool = ctx.pool.clone();
    let stop = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = check(&pool).await;
        }
    });
}

/// One check; how long until the next.
async fn check(pool: &PgPool) -> Duration {
    match ensure(pool, Utc::now()).await {
        Ok(_) => EVERY,
        Err(e) => {
            // Inserts still succeed (the default partition takes them); retry sooner.
            tracing::warn!(error = %e, "order partition maintenance failed");
            RETRY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn months_are_utc_and_roll_over_the_year() {
        let p = MonthPartition::containing(t("2026-11-30T23:59:59Z"), 0).unwrap();
        assert_eq!(p.name(), "orders_2026_11");
        assert_eq!(
            (p.from(), p.to()),
            (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z"))
        );
        // 07:00 on 1 December in Shanghai is still November in UTC.
        let p = MonthPartition::containing(t("2026-12-01T07:00:00+08:00"), 0).unwrap();
        assert_eq!(p.name(), "orders_2026_11");
        let p = MonthPartition::containing(t("2026-11-15T00:00:00Z"), 2).unwrap();
        assert_eq!(p.name(), "orders_2027_01");
        assert_eq!(p.to(), t("2027-02-01T00:00:00Z"));
    }

    #[test]
    fn every_months_name_and_only_those_is_a_partition_name() {
        for plus in 0..40 {
            let p = MonthPartition::containing(t("2026-11-15T00:00:00Z"), plus).unwrap();
            assert!(is_partition_name(&p.name()), "{}", p.name());
        }
        assert!(is_partition_name("orders_default"));
        for other in [
            "orders",
            "orders_2026_1",
            "orders_2026-11",
            "orders_2026_11 x",
            "",
        ] {
            assert!(!is_partition_name(other), "{other:?}");
        }
    }

    #[test]
    fn wanted_is_this_month_the_next_two_and_the_waiting_ones() {
        let names: Vec<String> = wanted(
            t("2026-12-10T00:00:00Z"),
            &[t("2026-09-01T00:00:00Z"), t("2026-12-01T00:00:00Z")],
        )
        .iter()
        .map(MonthPartition::name)
        .collect();
        assert_eq!(
            names,
            [
                "orders_2026_09",
                "orders_2026_12",
                "orders_2027_01",
                "orders_2027_02"
            ]
        );
    }
}
