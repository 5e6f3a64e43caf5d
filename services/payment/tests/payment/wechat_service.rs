//! The payment service end to end with WeChat Pay: our adapter talks to paysim (which
//! checks our signatures as WeChat does), paysim's signed and encrypted notifications
//! reach the service's own callback route over HTTP.

use std::sync::Arc;
use std::time::Duration;

use payment::app::ctx::Ctx;
use payment::app::payments::{TopUp, create_top_up};
use payment::app::{reconcile, refunds, wallets};
use payment::providers::wechat::{WechatPay, WechatPayCredentials};
use payment::providers::{Channel, Providers};
use paysim::wechat::{Forgery, WechatSim};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Db;

struct Service {
    db: Db,
    ctx: Ctx,
    sim: WechatSim,
    callback_url: String,
    stop: CancellationToken,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn service() -> Service {
    let db = Db::new().await;
    let sim = WechatSim::start().await.unwrap();
    let c = sim.credentials();
    let wechat = WechatPay::new(WechatPayCredentials {
        mch_id: c.mch_id,
        app_id: c.app_id,
        merchant_serial_no: c.merchant_serial_no,
        merchant_private_key_pem: c.merchant_private_key_pem,
        api_v3_key: c.api_v3_key,
        platform_public_key_pem: c.platform_public_key_pem,
        platform_public_key_id: c.platform_public_key_id,
        base_url: sim.base_url(),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let port = testkit::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut config = runtime::Config::default();
    config.database.url = runtime::Secret::new(db.url());
    config.nats.url = testkit::nats_url();
    config.nats.namespace = db.token();
    config.http.listen = format!("127.0.0.1:{port}").parse().unwrap();
    config.grpc.listen = "127.0.0.1:0".parse().unwrap();
    config.payment.notify_base_url = base.clone();
    config.payment.sandbox.enabled = false;
    let providers = Arc::new(
        Providers::from_config(&config.payment)
            .unwrap()
            .with(Arc::new(wechat)),
    );
    let ctx = Ctx {
        pool: db.pool.clone(),
        ns: db.ns.clone(),
        providers: providers.clone(),
    };
    let stop = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let s = stop.clone();
    tokio::spawn(async move {
        runtime::app::run(
            config,
            vec![Arc::new(payment::Payment::with_providers(providers))],
            s,
            |b| {
                let _ = tx.send(b);
            },
        )
        .await
        .unwrap();
    });
    rx.await.unwrap();
    Service {
        db,
        ctx,
        sim,
        callback_url: format!("{base}/api/v1/payment/callbacks/wechat"),
        stop,
    }
}

fn driver() -> wallets::Owner {
    wallets::Owner {
        tenant: Uuid::now_v7(),
        kind: "user",
        id: Uuid::now_v7(),
    }
}

async fn top_up(
    s: &Service,
    me: &wallets::Owner,
    fen: i64,
    key: &str,
) -> payment::store::payments::PaymentRow {
    create_top_up(
        &s.ctx,
        TopUp {
            owner: *me,
            provider: "wechat",
            channel: Channel::WechatNative,
            amount_fen: fen,
            key,
        },
    )
    .await
    .unwrap()
}

async fn balance(s: &Service, me: &wallets::Owner) -> i64 {
    wallets::view(&s.db.pool, me).await.unwrap().balance_fen
}

async fn outcomes(s: &Service) -> Vec<String> {
    sqlx::query_scalar("SELECT outcome FROM payment.callbacks ORDER BY received_at")
        .fetch_all(&s.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_wechat_payment_is_credited_by_its_signed_callback_once_and_forgeries_change_nothing() {
    let s = service().await;
    let me = driver();
    let p = top_up(&s, &me, 1_234, "t1").await;
    assert_eq!(p.status, "pending");
    assert!(
        p.client_params["code_url"]
            .as_str()
            .unwrap()
            .starts_with("weixin://"),
        "{}",
        p.client_params
    );

    // Forged notifications first: each refused, nothing credited.
    for forgery in [
        Forgery::BadSignature,
        Forgery::IntruderKey,
        Forgery::TamperedCiphertext,
        Forgery::WrongApiV3Key,
        Forgery::Stale,
    ] {
        let n = s
            .sim
            .transaction_notification(&p.out_trade_no, forgery)
            .unwrap();
        let d = s.sim.deliver(&s.callback_url, &n).await.unwrap();
        assert!(d.status >= 400, "{forgery:?} was accepted: {d:?}");
    }
    assert_eq!(balance(&s, &me).await, 0);

    let d = s.sim.pay(&p.out_trade_no).await.unwrap();
    assert!(d.status == 200 || d.status == 204, "{d:?}");
    assert_eq!(balance(&s, &me).await, 1_234);
    // WeChat re-sends the same notification: acknowledged, not credited again.
    let again = s
        .sim
        .transaction_notification(&p.out_trade_no, Forgery::None)
        .unwrap();
    let d = s.sim.deliver(&s.callback_url, &again).await.unwrap();
    assert!(d.status == 200 || d.status == 204, "{d:?}");
    assert_eq!(balance(&s, &me).await, 1_234);

    // A genuine notification for a payment we never opened is kept for review.
    let stray = s
        .sim
        .notification_for_unknown_order("neverours", 999)
        .unwrap();
    let d = s.sim.deliver(&s.callback_url, &stray).await.unwrap();
    assert!(d.status < 300, "{d:?}");
    let o = outcomes(&s).await;
    assert_eq!(o.iter().filter(|x| *x == "rejected").count(), 5, "{o:?}");
    assert_eq!(o.iter().filter(|x| *x == "applied").count(), 1, "{o:?}");
    assert!(o.contains(&"unknown_payment".to_string()), "{o:?}");
    s.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_timed_out_create_stays_open_until_closed_and_a_lost_callback_still_ends_paid_once() {
    let s = service().await;
    let me = driver();
    // WeChat does not answer within our 2 s: the outcome is unknown, the payment open.
    s.sim.set_faults(paysim::Faults {
        delay: Some(Duration::from_secs(3)),
        system_errors: 0,
    });
    let slow = top_up(&s, &me, 300, "slow").await;
    assert_eq!(slow.status, "created", "outcome unknown: kept open");
    s.sim.set_faults(paysim::Faults::default());
    let soon = chrono::Utc::now() + chrono::Duration::minutes(2);
    let r = reconcile::once(&s.ctx, soon, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        (r.checked, r.applied, r.errors),
        (1, 0, 0),
        "unknown at WeChat yet: wait"
    );
    let expired = chrono::Utc::now() + chrono::Duration::minutes(40);
    reconcile::once(&s.ctx, expired, Duration::from_secs(60))
        .await
        .unwrap();
    let closed = payment::app::payments::get(&s.ctx, me.tenant, slow.id)
        .await
        .unwrap();
    assert_eq!(closed.status, "closed");

    // Paid, but the notification is lost (our process was down): the reconciler finds it.
    let p = top_up(&s, &me, 500, "paid").await;
    s.sim.pay_silently(&p.out_trade_no).unwrap();
    let r = reconcile::once(&s.ctx, soon, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((r.applied, r.errors), (1, 0));
    assert_eq!(balance(&s, &me).await, 500);
    // The late notification arrives after all: acknowledged, nothing more.
    let n = s
        .sim
        .transaction_notification(&p.out_trade_no, Forgery::None)
        .unwrap();
    let d = s.sim.deliver(&s.callback_url, &n).await.unwrap();
    assert!(d.status < 300, "{d:?}");
    assert_eq!(balance(&s, &me).await, 500);
    s.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_wechat_refund_completes_by_its_notification() {
    let s = service().await;
    let me = driver();
    let p = top_up(&s, &me, 1_000, "t").await;
    s.sim.pay(&p.out_trade_no).await.unwrap();
    let r = refunds::refund(&s.ctx, me.tenant, p.id, 400, "partial", "r1")
        .await
        .unwrap();
    assert_eq!(r.status, "pending");
    assert_eq!(balance(&s, &me).await, 600);
    let d = s
        .sim
        .settle_refund(&r.out_refund_no, true)
        .await
        .unwrap()
        .unwrap();
    assert!(d.status < 300, "{d:?}");
    assert_eq!(
        refunds::get(&s.ctx, me.tenant, r.id).await.unwrap().status,
        "succeeded"
    );
    // A refused refund gives the money back.
    let r2 = refunds::refund(&s.ctx, me.tenant, p.id, 600, "the rest", "r2")
        .await
        .unwrap();
    s.sim.settle_refund(&r2.out_refund_no, false).await.unwrap();
    assert_eq!(
        refunds::get(&s.ctx, me.tenant, r2.id).await.unwrap().status,
        "failed"
    );
    assert_eq!(balance(&s, &me).await, 600);
    s.db.assert_books_balance().await;
}

#[tokio::test]
async fn a_failed_wechat_payment_ends_failed_without_credit_and_says_so() {
    let s = service().await;
    let me = driver();
    let mut events = {
        let client = async_nats::connect(testkit::nats_url()).await.unwrap();
        let sub = client
            .subscribe(
                s.db.ns
                    .subject(&["payment", &me.tenant.to_string(), "payment", "failed"]),
            )
            .await
            .unwrap();
        client.flush().await.unwrap();
        (client, sub)
    };
    let p = top_up(&s, &me, 800, "f").await;
    s.sim.fail(&p.out_trade_no, "余额不足").unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    let r = reconcile::once(&s.ctx, later, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((r.applied, r.errors), (1, 0));
    let failed = payment::app::payments::get(&s.ctx, me.tenant, p.id)
        .await
        .unwrap();
    assert_eq!(failed.status, "failed");
    assert_eq!(balance(&s, &me).await, 0);
    let msg = tokio::time::timeout(
        Duration::from_secs(10),
        futures::StreamExt::next(&mut events.1),
    )
    .await
    .expect("payment.failed published")
    .unwrap();
    let ev =
        <proto::events::PaymentFailed as prost::Message>::decode(msg.payload.as_ref()).unwrap();
    assert_eq!(ev.payment_id, p.id.to_string());
    s.db.assert_books_balance().await;
}
