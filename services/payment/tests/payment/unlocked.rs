//! An entry written in one statement on balances read before it (`post::write_unlocked`,
//! what holds, captures and releases try first): it writes everything or nothing, and
//! leaves to the locked path whatever it cannot decide without waiting.

use std::time::Duration;

use payment::app::post::{Request, write_unlocked};
use payment::app::wallets;
use payment::domain::ledger;
use payment::store::{accounts, holds};
use sqlx::Connection;
use uuid::Uuid;

use crate::Db;

struct Fixture {
    db: Db,
    me: wallets::Owner,
    wallet: Uuid,
    held: Uuid,
}

async fn funded(fen: i64) -> Fixture {
    let db = Db::new().await;
    let me = wallets::Owner {
        tenant: Uuid::now_v7(),
        kind: "user",
        id: Uuid::now_v7(),
    };
    db.top_up(&me, fen).await;
    let (wallet, held) = wallets::ensure(&db.pool, &me).await.unwrap();
    Fixture {
        db,
        me,
        wallet,
        held,
    }
}

fn hold_row(f: &Fixture, id: Uuid, amount_fen: i64) -> holds::HoldRow {
    holds::HoldRow {
        id,
        tenant_id: f.me.tenant,
        wallet_id: f.wallet,
        held_id: f.held,
        order_ref: "order-1".into(),
        amount_fen,
        captured_fen: 0,
        released_fen: 0,
        status: "held".into(),
    }
}

/// Places a hold of `amount_fen` under `key` on the accounts as `seen`; `true` if the
/// statement wrote it.
async fn try_hold(f: &Fixture, seen: &[accounts::Locked], key: &str, amount_fen: i64) -> bool {
    let id = Uuid::now_v7();
    let entry = ledger::hold(f.wallet, f.held, amount_fen).unwrap();
    let reference = id.to_string();
    let canonical = format!("hold|test|{amount_fen}");
    let req = Request {
        tenant: f.me.tenant,
        key,
        canonical: &canonical,
        reference: &reference,
    };
    let row = hold_row(f, id, amount_fen);
    let mut conn = f.db.pool.acquire().await.unwrap();
    let written = write_unlocked(
        &mut conn,
        &f.db.ns,
        &req,
        &entry,
        seen,
        (holds::NEW_ROW, holds::INSERT_GUARDED),
        |q| holds::bind_insert(q, &row),
    )
    .await
    .unwrap();
    if let Some(w) = &written {
        // The wallet as the entry left it, computed before the write.
        let after = &w.wallets[0];
        assert_eq!(after.wallet_id, f.wallet);
        let now = wallets::view(&f.db.pool, &f.me).await.unwrap();
        assert_eq!(
            (after.balance_fen, after.held_fen),
            (now.balance_fen, now.held_fen)
        );
    }
    written.is_some()
}

async fn seen(f: &Fixture) -> Vec<accounts::Locked> {
    accounts::read(&f.db.pool, &[f.wallet, f.held])
        .await
        .unwrap()
}

async fn balances(f: &Fixture) -> (i64, i64) {
    let w = wallets::view(&f.db.pool, &f.me).await.unwrap();
    (w.balance_fen, w.held_fen)
}

async fn entries(f: &Fixture) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM payment.journal_entries WHERE tenant_id = $1")
        .bind(f.me.tenant)
        .fetch_one(&f.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn balances_that_moved_since_the_read_write_nothing_and_fresh_ones_write_everything() {
    let f = funded(10_000).await;
    let stale = seen(&f).await;
    f.db.top_up(&f.me, 5).await;
    let before = entries(&f).await;

    assert!(!try_hold(&f, &stale, "h1", 1_000).await);
    assert_eq!(balances(&f).await, (10_005, 0));
    assert_eq!(entries(&f).await, before, "the claim was rolled back");

    // The same key on fresh balances: written whole, hold row included.
    assert!(try_hold(&f, &seen(&f).await, "h1", 1_000).await);
    assert_eq!(balances(&f).await, (9_005, 1_000));
    assert_eq!(entries(&f).await, before + 1);
    let holds: i64 = sqlx::query_scalar("SELECT count(*) FROM payment.holds WHERE tenant_id = $1")
        .bind(f.me.tenant)
        .fetch_one(&f.db.pool)
        .await
        .unwrap();
    assert_eq!(holds, 1);
    f.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_key_used_before_writes_nothing_and_is_left_to_the_locked_path() {
    let f = funded(10_000).await;
    assert!(try_hold(&f, &seen(&f).await, "h1", 1_000).await);
    assert!(!try_hold(&f, &seen(&f).await, "h1", 1_000).await);
    assert_eq!(balances(&f).await, (9_000, 1_000));
    f.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_floor_that_fails_on_the_read_is_left_to_the_locked_path() {
    let f = funded(500).await;
    assert!(!try_hold(&f, &seen(&f).await, "h1", 1_000).await);
    assert_eq!(balances(&f).await, (500, 0));
}

/// The statement never waits for an account another transaction holds (so it cannot
/// close a cycle of waits with the locked path, which locks in the same order): it
/// gives up at once and writes nothing.
#[tokio::test]
async fn an_account_locked_elsewhere_is_not_waited_for() {
    let f = funded(10_000).await;
    let fresh = seen(&f).await;
    let mut other = f.db.pool.acquire().await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM payment.accounts WHERE id = $1 FOR UPDATE")
        .bind(f.held)
        .execute(&mut *tx)
        .await
        .unwrap();
    let tried = tokio::time::timeout(Duration::from_secs(10), try_hold(&f, &fresh, "h1", 1_000))
        .await
        .expect("the statement waited for a lock");
    assert!(!tried);
    tx.rollback().await.unwrap();
    assert_eq!(balances(&f).await, (10_000, 0));
    assert!(try_hold(&f, &fresh, "h1", 1_000).await);
}
