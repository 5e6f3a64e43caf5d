//! One phase's load: fund the wallets, then run the hold + capture pairs from
//! `concurrency` workers and record what each call did and how long it took.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use payment::app::holds;
use payment::app::wallets::{self, Owner};
use sqlx::PgPool;
use uuid::Uuid;

/// The largest hold of [`amounts`]: each wallet is funded with this much per pair it
/// will see, so no hold can fail for lack of money whatever the interleaving.
const MAX_HOLD_FEN: i64 = 1_400;

/// What pair `i` holds and then captures: 5.00–14.00 yuan, of which a quarter, a half,
/// three quarters or all is captured (the rest goes back to the wallet). Deterministic,
/// so the expected balances follow from which calls succeeded.
pub fn amounts(i: usize) -> (i64, i64) {
    let hold = 500 + (i % 10) as i64 * 100;
    let capture = hold * ((i % 4) as i64 + 1) / 4;
    (hold, capture)
}

/// The ledger, one tenant and its wallets for one phase. A fresh tenant per phase keeps
/// the phases' accounts (and their revenue account) apart.
pub struct Setup {
    pub pool: PgPool,
    pub ns: bus::Namespace,
    pub tenant: Uuid,
    /// Shared with every worker.
    pub owners: Arc<[Owner]>,
}

/// One pair as it happened: a latency for each call that succeeded.
pub struct Pair {
    pub index: usize,
    pub hold: Option<Duration>,
    pub capture: Option<Duration>,
}

/// What the pairs of one phase did.
pub struct Outcome {
    /// From the first pair started to the last finished.
    pub elapsed: Duration,
    pub pairs: Vec<Pair>,
    pub errors: usize,
    /// The first failure's message (the others are usually the same).
    pub first_error: Option<String>,
}

impl Setup {
    pub fn new(pool: PgPool, ns: bus::Namespace, wallets: usize) -> Self {
        let tenant = Uuid::now_v7();
        let owners = (0..wallets)
            .map(|_| Owner {
                tenant,
                kind: "user",
                id: Uuid::now_v7(),
            })
            .collect();
        Self {
            pool,
            ns,
            tenant,
            owners,
        }
    }

    /// The wallet of pair `i` (round-robin).
    pub fn wallet_of(&self, i: usize) -> usize {
        i % self.owners.len().max(1)
    }

    /// Tops every wallet up (a sandbox payment each); returns what each received.
    pub async fn fund(&self, pairs: usize, concurrency: usize) -> anyhow::Result<Vec<i64>> {
        let n = self.owners.len().max(1);
        let amounts: Vec<i64> = (0..n)
            .map(|w| {
                let share = pairs / n + usize::from(w < pairs % n);
                MAX_HOLD_FEN * share.max(1) as i64
            })
            .collect();
        futures::stream::iter(self.owners.iter().zip(&amounts).enumerate())
            .map(|(w, (owner, &fen))| async move {
                wallets::top_up(
                    &self.pool,
                    &self.ns,
                    owner,
                    "sandbox",
                    fen,
                    &format!("fund-{w}"),
                    "bench",
                )
                .await
                .with_context(|| format!("funding wallet {w}"))
            })
            .buffer_unordered(concurrency.max(1))
            .try_collect::<Vec<_>>()
            .await?;
        Ok(amounts)
    }

    /// Gives the planner statistics, as autovacuum does on a running installation. A
    /// fresh database has none, and without them the query that announces wallet
    /// changes (`app::post::announce`) is planned as nested loops over the tenant's
    /// wallets, O(wallets²): 1.5 s per entry with 1,000 wallets, under the wallet's row
    /// lock (`--no-analyze` shows it; docs/benchmarks.md).
    pub async fn analyze(&self) -> anyhow::Result<()> {
        sqlx::query("ANALYZE payment.accounts")
            .execute(&self.pool)
            .await
            .context("analyzing payment.accounts")?;
        Ok(())
    }

    /// Runs `pairs` hold + capture pairs, `concurrency` at a time.
    pub async fn drive(&self, pairs: usize, concurrency: usize) -> anyhow::Result<Outcome> {
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = tokio::task::JoinSet::new();
        let started = Instant::now();
        for _ in 0..concurrency.max(1) {
            let worker = Worker {
                pool: self.pool.clone(),
                ns: self.ns.clone(),
                tenant: self.tenant,
                owners: Arc::clone(&self.owners),
                next: next.clone(),
                pairs,
            };
            workers.spawn(worker.run());
        }
        let mut outcome = Outcome {
            elapsed: Duration::ZERO,
            pairs: Vec::with_capacity(pairs),
            errors: 0,
            first_error: None,
        };
        while let Some(done) = workers.join_next().await {
            let (done, errors) = done.context("a ledger worker panicked")?;
            outcome.pairs.extend(done);
            for e in errors {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(e);
            }
        }
        outcome.elapsed = started.elapsed();
        outcome.pairs.sort_by_key(|p| p.index);
        Ok(outcome)
    }
}

/// One of the `concurrency` loops: takes the next pair until none is left.
struct Worker {
    pool: PgPool,
    ns: bus::Namespace,
    tenant: Uuid,
    owners: Arc<[Owner]>,
    /// The next pair to run, shared by the workers.
    next: Arc<AtomicUsize>,
    pairs: usize,
}

impl Worker {
    async fn run(self) -> (Vec<Pair>, Vec<String>) {
        let mut done = Vec::new();
        let mut errors = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.pairs {
                return (done, errors);
            }
            let Some(owner) = self.owners.get(i % self.owners.len().max(1)) else {
                return (done, errors);
            };
            let (pair, error) = self.pair(i, owner).await;
            done.push(pair);
            errors.extend(error);
        }
    }

    /// Pair `i`: hold, then capture part of it. A failed hold skips the capture.
    async fn pair(&self, i: usize, owner: &Owner) -> (Pair, Option<String>) {
        let (hold_fen, capture_fen) = amounts(i);
        let mut pair = Pair {
            index: i,
            hold: None,
            capture: None,
        };
        let t = Instant::now();
        let order = format!("bench-{i}");
        let held = holds::hold(
            &self.pool,
            &self.ns,
            owner,
            &order,
            hold_fen,
            &format!("hold-{i}"),
        )
        .await;
        let hold_id = match held {
            Ok(h) => h.hold.id,
            Err(e) => return (pair, Some(format!("hold {i}: {e}"))),
        };
        pair.hold = Some(t.elapsed());
        let t = Instant::now();
        let captured = holds::capture(
            &self.pool,
            &self.ns,
            self.tenant,
            hold_id,
            capture_fen,
            &format!("capture-{i}"),
        )
        .await;
        match captured {
            Ok(_) => {
                pair.capture = Some(t.elapsed());
                (pair, None)
            }
            Err(e) => (pair, Some(format!("capture {i}: {e}"))),
        }
    }
}
