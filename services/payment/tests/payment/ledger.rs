//! The wallet ledger: holds, captures, releases and top-ups keep exact balances and a
//! balanced journal, under concurrency and retries.

use std::sync::Arc;

use payment::app::{holds, wallets};
use payment::domain::ledger::LedgerError;
use payment::error::PaymentError;
use uuid::Uuid;

use crate::Db;

fn driver() -> wallets::Owner {
    wallets::Owner {
        tenant: Uuid::now_v7(),
        kind: "user",
        id: Uuid::now_v7(),
    }
}

async fn funded(db: &Db, owner: &wallets::Owner, fen: i64) {
    db.top_up(owner, fen).await;
}

#[tokio::test]
async fn hold_capture_release_move_exact_amounts() {
    let db = Db::new().await;
    let me = driver();
    funded(&db, &me, 10_000).await;

    let h = holds::hold(&db.pool, &db.ns, &me, "order-1", 3_000, "k1")
        .await
        .unwrap()
        .hold;
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!((w.balance_fen, w.held_fen), (7_000, 3_000));

    let c = holds::capture(&db.pool, &db.ns, me.tenant, h.id, 1_234, "k2")
        .await
        .unwrap()
        .hold;
    assert_eq!(
        (c.status.as_str(), c.captured_fen, c.released_fen),
        ("captured", 1_234, 1_766)
    );
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!((w.balance_fen, w.held_fen), (8_766, 0));

    let h2 = holds::hold(&db.pool, &db.ns, &me, "order-2", 500, "k3")
        .await
        .unwrap()
        .hold;
    let r = holds::release(&db.pool, &db.ns, me.tenant, h2.id, "k4")
        .await
        .unwrap()
        .hold;
    assert_eq!((r.status.as_str(), r.released_fen), ("released", 500));
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!((w.balance_fen, w.held_fen), (8_766, 0));
    db.assert_books_balance().await;
}

#[tokio::test]
async fn retries_with_the_same_key_change_nothing_and_reused_keys_are_refused() {
    let db = Db::new().await;
    let me = driver();
    funded(&db, &me, 1_000).await;
    let a = holds::hold(&db.pool, &db.ns, &me, "order-1", 400, "same")
        .await
        .unwrap()
        .hold;
    let b = holds::hold(&db.pool, &db.ns, &me, "order-1", 400, "same")
        .await
        .unwrap()
        .hold;
    assert_eq!(a.id, b.id, "the retry returns the first hold");
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!(w.balance_fen, 600, "held once");
    let e = holds::hold(&db.pool, &db.ns, &me, "order-9", 100, "same")
        .await
        .unwrap_err();
    assert!(matches!(e, PaymentError::KeyReused(_)), "{e}");

    let c1 = holds::capture(&db.pool, &db.ns, me.tenant, a.id, 300, "cap")
        .await
        .unwrap()
        .hold;
    let c2 = holds::capture(&db.pool, &db.ns, me.tenant, a.id, 300, "cap")
        .await
        .unwrap()
        .hold;
    assert_eq!(c1, c2);
    // Settled holds cannot be settled again under another key.
    let e = holds::release(&db.pool, &db.ns, me.tenant, a.id, "rel")
        .await
        .unwrap_err();
    assert!(
        matches!(e, PaymentError::Ledger(LedgerError::HoldSettled(_))),
        "{e}"
    );
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!((w.balance_fen, w.held_fen), (700, 0));
    db.assert_books_balance().await;
}

#[tokio::test]
async fn wallets_do_not_go_below_zero_unless_credit_allows() {
    let db = Db::new().await;
    let me = driver();
    funded(&db, &me, 100).await;
    let e = holds::hold(&db.pool, &db.ns, &me, "o", 101, "k")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            PaymentError::Ledger(LedgerError::InsufficientFunds { .. })
        ),
        "{e}"
    );
    // The failed attempt left no trace: the same key works once money is there.
    wallets::set_credit_limit(&db.pool, &me, 50).await.unwrap();
    holds::hold(&db.pool, &db.ns, &me, "o", 101, "k")
        .await
        .unwrap();
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!(w.balance_fen, -1);
    let e = holds::hold(&db.pool, &db.ns, &me, "o2", 50, "k2")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            PaymentError::Ledger(LedgerError::InsufficientFunds { .. })
        ),
        "{e}"
    );
    let e = holds::capture(&db.pool, &db.ns, me.tenant, Uuid::now_v7(), 1, "k3")
        .await
        .unwrap_err();
    assert!(matches!(e, PaymentError::NotFound(_)), "{e}");
    db.assert_books_balance().await;
}

#[tokio::test]
async fn the_database_refuses_an_unbalanced_entry() {
    let db = Db::new().await;
    let me = driver();
    let (wallet, _) = wallets::ensure(&db.pool, &me).await.unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    let entry = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payment.journal_entries (id, tenant_id, kind, reference, idempotency_key, request) \
         VALUES ($1, $2, 'adjustment', 'x', 'x', 'x')",
    )
    .bind(entry)
    .bind(me.tenant)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO payment.postings (entry_id, account_id, amount_fen) VALUES ($1, $2, 5)",
    )
    .bind(entry)
    .bind(wallet)
    .execute(&mut *tx)
    .await
    .unwrap();
    let e = tx.commit().await.unwrap_err();
    assert!(e.to_string().contains("does not balance"), "{e}");
}

/// 1,000 operations on one wallet at once: 400 holds, each followed by a capture or a
/// release, plus 200 top-ups; the end balance is exactly what the operations say.
#[tokio::test]
async fn a_thousand_concurrent_operations_on_one_wallet_end_exact() {
    let db = Arc::new(Db::new().await);
    let me = driver();
    funded(&db, &me, 1_000_000).await;
    let mut tasks = Vec::new();
    for i in 0..400i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let amount = 100 + i;
            let h = holds::hold(
                &db.pool,
                &db.ns,
                &me,
                &format!("order-{i}"),
                amount,
                &format!("h{i}"),
            )
            .await
            .unwrap()
            .hold;
            if i % 2 == 0 {
                holds::capture(
                    &db.pool,
                    &db.ns,
                    me.tenant,
                    h.id,
                    amount / 2,
                    &format!("c{i}"),
                )
                .await
                .unwrap();
                amount / 2
            } else {
                holds::release(&db.pool, &db.ns, me.tenant, h.id, &format!("r{i}"))
                    .await
                    .unwrap();
                0
            }
        }));
    }
    for i in 0..200i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            wallets::top_up(
                &db.pool,
                &db.ns,
                &me,
                "sandbox",
                10,
                &format!("t{i}"),
                "test",
            )
            .await
            .unwrap();
            -10
        }));
    }
    let mut spent = 0;
    for t in tasks {
        spent += t.await.unwrap();
    }
    let w = wallets::view(&db.pool, &me).await.unwrap();
    assert_eq!(w.held_fen, 0);
    assert_eq!(w.balance_fen, 1_000_000 - spent);
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM payment.journal_entries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(entries, 1 + 400 + 400 + 200);
    db.assert_books_balance().await;
}
