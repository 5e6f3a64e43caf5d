//! Payments through a provider (the sandbox: same trait, same callback shape as the real
//! ones) end in the ledger exactly once, whichever way the outcome arrives.

use std::sync::Arc;
use std::time::Duration;

use payment::app::callbacks::{self, Outcome};
use payment::app::ctx::Ctx;
use payment::app::payments::{TopUp, create_top_up};
use payment::app::{reconcile, refunds, wallets};
use payment::error::PaymentError;
use payment::providers::sandbox::Sandbox;
use payment::providers::{Callback, CallbackEvent, Channel, Providers};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::Db;

struct Flow {
    db: Db,
    ctx: Ctx,
    callbacks: mpsc::Receiver<Callback>,
}

async fn flow() -> Flow {
    let db = Db::new().await;
    let sandbox = Arc::new(Sandbox::new(Duration::from_millis(50)));
    let callbacks = sandbox.take_callbacks().unwrap();
    let ctx = Ctx {
        pool: db.pool.clone(),
        ns: db.ns.clone(),
        providers: Arc::new(Providers::default().with(sandbox)),
    };
    Flow { db, ctx, callbacks }
}

fn driver() -> wallets::Owner {
    wallets::Owner {
        tenant: Uuid::now_v7(),
        kind: "user",
        id: Uuid::now_v7(),
    }
}

async fn top_up(
    f: &Flow,
    owner: &wallets::Owner,
    fen: i64,
    key: &str,
) -> payment::store::payments::PaymentRow {
    create_top_up(
        &f.ctx,
        TopUp {
            owner: *owner,
            provider: "sandbox",
            channel: Channel::Sandbox,
            amount_fen: fen,
            key,
        },
    )
    .await
    .unwrap()
}

async fn next_callback(f: &mut Flow) -> Callback {
    tokio::time::timeout(Duration::from_secs(5), f.callbacks.recv())
        .await
        .expect("the sandbox settles")
        .unwrap()
}

async fn balance(f: &Flow, owner: &wallets::Owner) -> i64 {
    wallets::view(&f.db.pool, owner).await.unwrap().balance_fen
}

#[tokio::test]
async fn a_top_up_is_credited_once_however_often_the_callback_comes() {
    let mut f = flow().await;
    let me = driver();
    let p = top_up(&f, &me, 1_000, "t1").await;
    assert_eq!(p.status, "pending");
    assert!(
        p.client_params["code_url"]
            .as_str()
            .unwrap()
            .starts_with("sandbox://")
    );
    // A retry of the request is the same payment.
    assert_eq!(top_up(&f, &me, 1_000, "t1").await.id, p.id);
    let e = create_top_up(
        &f.ctx,
        TopUp {
            owner: me,
            provider: "sandbox",
            channel: Channel::Sandbox,
            amount_fen: 2_000,
            key: "t1",
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, PaymentError::KeyReused(_)), "{e}");

    let cb = next_callback(&mut f).await;
    assert_eq!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &cb)
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(balance(&f, &me).await, 1_000);
    // The same notification again, and concurrently twice more: nothing changes.
    let (a, b, c) = tokio::join!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &cb),
        callbacks::apply_in_process(&f.ctx, "sandbox", &cb),
        callbacks::apply_in_process(&f.ctx, "sandbox", &cb),
    );
    for o in [a, b, c] {
        assert_eq!(o.unwrap(), Outcome::Duplicate);
    }
    // A different notification of the same success (the provider's retry under a new
    // id) is a duplicate for the payment.
    let again = Callback {
        event_id: "another-id".into(),
        ..cb.clone()
    };
    assert_eq!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &again)
            .await
            .unwrap(),
        Outcome::Duplicate
    );
    assert_eq!(balance(&f, &me).await, 1_000);
    let paid = payment::app::payments::get(&f.ctx, me.tenant, p.id)
        .await
        .unwrap();
    assert_eq!(paid.status, "succeeded");
    assert!(paid.provider_txn_id.is_some());
    f.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_lost_callback_is_repaired_by_the_reconciler_and_a_late_one_changes_nothing() {
    let mut f = flow().await;
    let me = driver();
    top_up(&f, &me, 700, "t").await;
    // The provider succeeded, but we crash before hearing it: the callback is held back.
    let late = next_callback(&mut f).await;
    assert_eq!(balance(&f, &me).await, 0);
    let report = reconcile::once(
        &f.ctx,
        chrono::Utc::now() + chrono::Duration::minutes(2),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!((report.checked, report.applied, report.errors), (1, 1, 0));
    assert_eq!(balance(&f, &me).await, 700);
    assert_eq!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &late)
            .await
            .unwrap(),
        Outcome::Duplicate
    );
    assert_eq!(balance(&f, &me).await, 700);
    // Nothing is left open.
    let report = reconcile::once(
        &f.ctx,
        chrono::Utc::now() + chrono::Duration::minutes(2),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(report.checked, 0);
    f.db.assert_books_balance().await;
}

#[tokio::test]
async fn callbacks_that_do_not_fit_are_kept_for_review_and_credit_nothing() {
    let mut f = flow().await;
    let me = driver();
    top_up(&f, &me, 500, "t").await;
    let cb = next_callback(&mut f).await;
    let CallbackEvent::PaymentSucceeded {
        out_trade_no,
        transaction_id,
        paid_at,
        ..
    } = cb.event.clone()
    else {
        panic!("{cb:?}")
    };
    let wrong_amount = Callback {
        event_id: "n1".into(),
        event: CallbackEvent::PaymentSucceeded {
            out_trade_no,
            transaction_id: transaction_id.clone(),
            amount_fen: 5_000,
            paid_at,
        },
        raw: serde_json::json!({}),
    };
    assert!(matches!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &wrong_amount)
            .await
            .unwrap(),
        Outcome::Review(_)
    ));
    let unknown = Callback {
        event_id: "n2".into(),
        event: CallbackEvent::PaymentSucceeded {
            out_trade_no: "nosuchpayment".into(),
            transaction_id,
            amount_fen: 500,
            paid_at,
        },
        raw: serde_json::json!({}),
    };
    assert_eq!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &unknown)
            .await
            .unwrap(),
        Outcome::UnknownPayment
    );
    assert_eq!(balance(&f, &me).await, 0);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payment.callbacks WHERE outcome IN ('review', 'unknown_payment')",
    )
    .fetch_one(&f.db.pool)
    .await
    .unwrap();
    assert_eq!(kept, 2);
}

#[tokio::test]
async fn refunds_partial_then_full_and_never_more_than_paid_or_left() {
    let mut f = flow().await;
    let me = driver();
    let p = top_up(&f, &me, 1_000, "t").await;
    let cb = next_callback(&mut f).await;
    callbacks::apply_in_process(&f.ctx, "sandbox", &cb)
        .await
        .unwrap();

    let r = refunds::refund(&f.ctx, me.tenant, p.id, 300, "customer request", "r1")
        .await
        .unwrap();
    assert_eq!(r.status, "pending", "the sandbox answers processing");
    assert_eq!(
        balance(&f, &me).await,
        700,
        "refunded money cannot be spent meanwhile"
    );
    // A retry is the same refund.
    assert_eq!(
        refunds::refund(&f.ctx, me.tenant, p.id, 300, "customer request", "r1")
            .await
            .unwrap()
            .id,
        r.id
    );
    let done = next_callback(&mut f).await;
    assert_eq!(
        callbacks::apply_in_process(&f.ctx, "sandbox", &done)
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        refunds::get(&f.ctx, me.tenant, r.id).await.unwrap().status,
        "succeeded"
    );

    let e = refunds::refund(&f.ctx, me.tenant, p.id, 701, "too much", "r2")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("700"), "{e}");
    // The driver spends 200: only 500 can go back.
    payment::app::holds::hold(&f.db.pool, &f.db.ns, &me, "order", 200, "h")
        .await
        .unwrap();
    let e = refunds::refund(&f.ctx, me.tenant, p.id, 700, "all", "r3")
        .await
        .unwrap_err();
    assert!(matches!(e, PaymentError::Ledger(_)), "{e}");
    refunds::refund(&f.ctx, me.tenant, p.id, 500, "the rest", "r4")
        .await
        .unwrap();
    let done = next_callback(&mut f).await;
    callbacks::apply_in_process(&f.ctx, "sandbox", &done)
        .await
        .unwrap();
    assert_eq!(balance(&f, &me).await, 0);
    f.db.assert_books_balance().await;
}
