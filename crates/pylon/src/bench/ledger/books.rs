//! After a phase: are the balances exactly what the successful calls imply, and do the
//! books balance? Wallets are read through `payment::app::wallets::view`; the
//! ledger-wide invariants are read from the payment schema directly, as the payment
//! service's own tests do (there is no API for "every entry").

use futures::{StreamExt as _, TryStreamExt as _};
use payment::app::wallets;
use serde::Serialize;

use super::load::{Outcome, Setup, amounts};

/// Each check, and whether all passed.
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    /// Wallets whose balance or held amount differs from what the calls imply.
    pub wallet_mismatches: usize,
    /// The tenant's revenue account holds exactly the captured amounts.
    pub revenue_exact: bool,
    /// The hold rows agree: one `captured` per successful capture, with its amount.
    pub holds_agree: bool,
    /// One journal entry per funding, hold and capture, and one `wallet.changed` outbox
    /// row for each.
    pub entries_counted: bool,
    pub events_counted: bool,
    /// Entries whose postings do not sum to zero (whole database).
    pub unbalanced_entries: i64,
    /// Accounts whose balance is not the sum of their postings (whole database).
    pub balance_drift: i64,
    /// The sum of every balance: zero when no money appeared or vanished.
    pub total_fen: i64,
    pub passed: bool,
}

/// What the calls that succeeded imply.
struct Expected {
    /// Per wallet: (balance, held).
    wallets: Vec<(i64, i64)>,
    revenue: i64,
    holds: i64,
    captures: i64,
}

fn expected(setup: &Setup, funded: &[i64], outcome: &Outcome) -> Expected {
    let mut e = Expected {
        wallets: funded.iter().map(|&f| (f, 0)).collect(),
        revenue: 0,
        holds: 0,
        captures: 0,
    };
    for p in &outcome.pairs {
        let (hold, capture) = amounts(p.index);
        let Some(w) = e.wallets.get_mut(setup.wallet_of(p.index)) else {
            continue;
        };
        if p.hold.is_none() {
            continue;
        }
        e.holds += 1;
        if p.capture.is_some() {
            e.captures += 1;
            e.revenue += capture;
            w.0 -= capture;
        } else {
            w.0 -= hold;
            w.1 += hold;
        }
    }
    e
}

pub async fn verify(
    setup: &Setup,
    funded: &[i64],
    outcome: &Outcome,
    concurrency: usize,
) -> anyhow::Result<Checks> {
    let want = expected(setup, funded, outcome);
    let pool = &setup.pool;
    let views: Vec<wallets::WalletView> = futures::stream::iter(setup.owners.iter())
        .map(|o| wallets::view(pool, o))
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let wallet_mismatches = views
        .iter()
        .zip(&want.wallets)
        .filter(|(v, want)| (v.balance_fen, v.held_fen) != **want)
        .count();

    let revenue: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(balance_fen), 0)::bigint FROM payment.accounts \
         WHERE tenant_id = $1 AND kind = 'revenue'",
    )
    .bind(setup.tenant)
    .fetch_one(pool)
    .await?;
    let (holds, captured, captured_fen): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'captured'), \
                COALESCE(sum(captured_fen), 0)::bigint \
         FROM payment.holds WHERE tenant_id = $1",
    )
    .bind(setup.tenant)
    .fetch_one(pool)
    .await?;
    let entries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payment.journal_entries WHERE tenant_id = $1")
            .bind(setup.tenant)
            .fetch_one(pool)
            .await?;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM payment.outbox WHERE tenant = $1")
        .bind(setup.tenant.to_string())
        .fetch_one(pool)
        .await?;
    let unbalanced_entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT entry_id FROM payment.postings GROUP BY entry_id \
         HAVING sum(amount_fen) <> 0) x",
    )
    .fetch_one(pool)
    .await?;
    let balance_drift: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payment.accounts a WHERE a.balance_fen <> \
         (SELECT COALESCE(sum(amount_fen), 0) FROM payment.postings p WHERE p.account_id = a.id)",
    )
    .fetch_one(pool)
    .await?;
    let total_fen: i64 =
        sqlx::query_scalar("SELECT COALESCE(sum(balance_fen), 0)::bigint FROM payment.accounts")
            .fetch_one(pool)
            .await?;

    let posted = setup.owners.len() as i64 + want.holds + want.captures;
    let mut checks = Checks {
        wallet_mismatches,
        revenue_exact: revenue == want.revenue,
        holds_agree: holds == want.holds
            && captured == want.captures
            && captured_fen == want.revenue,
        entries_counted: entries == posted,
        events_counted: events == posted,
        unbalanced_entries,
        balance_drift,
        total_fen,
        passed: false,
    };
    checks.passed = checks.wallet_mismatches == 0
        && checks.revenue_exact
        && checks.holds_agree
        && checks.entries_counted
        && checks.events_counted
        && unbalanced_entries == 0
        && balance_drift == 0
        && total_fen == 0;
    Ok(checks)
}
