//! Alipay against paysim.

use std::sync::Arc;
use std::time::Duration;

use payment::providers::alipay::{Alipay, AlipayCredentials};
use payment::providers::{
    CallbackError, CallbackEvent, Channel, CreatePayment, Created, PaymentProvider, PaymentStatus,
    ProviderError, Refund, RefundState,
};
use paysim::alipay::{AlipaySim, Forgery};
use paysim::{Faults, keys};

use crate::helpers::{self, Endpoint, out_no};

fn order(no: &str, amount_fen: i64, channel: Channel, notify_url: &str) -> CreatePayment {
    CreatePayment {
        out_trade_no: no.into(),
        amount_fen,
        description: "充电 · Pylon 测试站".into(),
        notify_url: notify_url.into(),
        channel,
        expires_at: None,
    }
}

#[tokio::test]
async fn precreate_scan_pay_notify_query() {
    let sim = AlipaySim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::alipay(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    let no = out_no("QR");
    let created = client
        .create(&order(
            &no,
            1_234_567,
            Channel::AlipayPrecreate,
            &endpoint.url,
        ))
        .await
        .unwrap();
    let Created::QrCode { code_url } = created else {
        panic!()
    };
    assert!(code_url.starts_with("https://qr.alipay.com/"), "{code_url}");
    assert_eq!(
        sim.trade(&no).unwrap().total_fen,
        1_234_567,
        "12345.67 yuan on the wire"
    );

    // Not scanned yet: Alipay does not know the trade, which is simply unpaid.
    assert_eq!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Pending
    );
    sim.scan(&no).unwrap();
    assert_eq!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Pending
    );

    let delivery = sim.pay(&no).await.unwrap();
    assert_eq!((delivery.status, delivery.body.as_str()), (200, "success"));
    let cb = endpoint.next().await.unwrap();
    let trade_no = sim.trade(&no).unwrap().trade_no;
    match &cb.event {
        CallbackEvent::PaymentSucceeded {
            out_trade_no,
            transaction_id,
            amount_fen,
            ..
        } => {
            assert_eq!(
                (out_trade_no, transaction_id, *amount_fen),
                (&no, &trade_no, 1_234_567)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cb.raw["total_amount"], "12345.67");
    assert!(cb.raw.get("sign").is_none());
    match client.query(&no).await.unwrap().status {
        PaymentStatus::Succeeded {
            transaction_id,
            amount_fen,
            ..
        } => {
            assert_eq!((transaction_id, amount_fen), (trade_no, 1_234_567));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.refused_requests(), 0);
}

#[tokio::test]
async fn create_for_a_buyer_then_close() {
    let sim = AlipaySim::start().await.unwrap();
    let client = helpers::alipay(&sim);
    let no = out_no("CR");
    let buyer = Channel::AlipayCreate {
        buyer_id: "2088102146225135".into(),
    };
    let Created::AlipayTrade { trade_no } = client
        .create(&order(&no, 10, buyer, "https://pylon.example/cb"))
        .await
        .unwrap()
    else {
        panic!()
    };
    let trade = sim.trade(&no).unwrap();
    assert_eq!(
        (trade.trade_no, trade.buyer.as_deref(), trade.total_fen),
        (trade_no, Some("2088102146225135"), 10)
    );
    client.close(&no).await.unwrap();
    assert_eq!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Closed
    );
    // An unscanned QR code is no trade at Alipay: closing it is a no-op, not an error.
    let qr = out_no("QR");
    client
        .create(&order(
            &qr,
            10,
            Channel::AlipayPrecreate,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap();
    client.close(&qr).await.unwrap();
    // A paid one cannot be closed.
    let paid = out_no("PD");
    client
        .create(&order(
            &paid,
            10,
            Channel::AlipayPrecreate,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap();
    sim.pay_silently(&paid).unwrap();
    assert!(client.close(&paid).await.unwrap_err().definitely_failed());
}

#[tokio::test]
async fn refunds_and_their_queries() {
    let sim = AlipaySim::start().await.unwrap();
    let client = helpers::alipay(&sim);
    let no = out_no("RF");
    client
        .create(&order(
            &no,
            1_000,
            Channel::AlipayPrecreate,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap();
    sim.pay_silently(&no).unwrap();
    let refund = Refund {
        out_trade_no: no.clone(),
        out_refund_no: out_no("R"),
        refund_fen: 10,
        total_fen: 1_000,
        reason: "多扣".into(),
        notify_url: None,
    };
    assert!(matches!(
        client.refund(&refund).await.unwrap(),
        RefundState::Succeeded { refund_fen: 10, .. }
    ));
    // Sending the same refund again moves no money and reports the same refund.
    assert!(matches!(
        client.refund(&refund).await.unwrap(),
        RefundState::Succeeded { refund_fen: 10, .. }
    ));
    assert_eq!(sim.trade(&no).unwrap().refunds.len(), 1);
    match client
        .query_refund(&no, &refund.out_refund_no)
        .await
        .unwrap()
    {
        RefundState::Succeeded {
            refund_fen,
            succeeded_at,
            ..
        } => {
            assert_eq!(refund_fen, 10);
            assert!(succeeded_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.query_refund(&no, "NOSUCHREFUND").await,
        Err(ProviderError::NotFound(_))
    ));
    let too_much = Refund {
        out_refund_no: out_no("R"),
        refund_fen: 991,
        ..refund.clone()
    };
    match client.refund(&too_much).await.unwrap_err() {
        ProviderError::Rejected { code, .. } => assert_eq!(code, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"),
        other => panic!("{other}"),
    }
    let rest = Refund {
        out_refund_no: out_no("R"),
        refund_fen: 990,
        ..refund
    };
    assert!(matches!(
        client.refund(&rest).await.unwrap(),
        RefundState::Succeeded {
            refund_fen: 990,
            ..
        }
    ));
}

#[tokio::test]
async fn amounts_round_trip_in_fen() {
    let sim = AlipaySim::start().await.unwrap();
    let client = helpers::alipay(&sim);
    for fen in [1, 10, 1_234_567] {
        let no = out_no("AM");
        client
            .create(&order(
                &no,
                fen,
                Channel::AlipayPrecreate,
                "https://pylon.example/cb",
            ))
            .await
            .unwrap();
        assert_eq!(sim.trade(&no).unwrap().total_fen, fen);
        sim.pay_silently(&no).unwrap();
        let PaymentStatus::Succeeded { amount_fen, .. } = client.query(&no).await.unwrap().status
        else {
            panic!()
        };
        assert_eq!(amount_fen, fen);
        let n = sim.notification(&no, Forgery::None).unwrap();
        let cb = client.verify_callback(&n.headers, &n.body).unwrap();
        assert!(
            matches!(cb.event, CallbackEvent::PaymentSucceeded { amount_fen, .. } if amount_fen == fen)
        );
    }
}

#[tokio::test]
async fn forged_notifications_are_refused() {
    let sim = AlipaySim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::alipay(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    let no = out_no("FG");
    client
        .create(&order(&no, 500, Channel::AlipayPrecreate, &endpoint.url))
        .await
        .unwrap();
    for (forgery, expected) in [
        (Forgery::BadSignature, CallbackError::BadSignature),
        (Forgery::IntruderKey, CallbackError::BadSignature),
        (Forgery::TamperedAmount, CallbackError::BadSignature),
        (
            Forgery::WrongApp,
            CallbackError::WrongMerchant("2021009999999999".into()),
        ),
        (Forgery::Unsigned, CallbackError::Missing("sign")),
    ] {
        let n = sim.notification(&no, forgery).unwrap();
        let delivery = sim.deliver(&endpoint.url, &n).await.unwrap();
        assert_eq!(delivery.body, "failure", "{forgery:?}");
        assert_eq!(endpoint.next().await.unwrap_err(), expected, "{forgery:?}");
    }
    // Genuine ones: a replay keeps its notify_id; a closed trade is a failed payment;
    // an order we never opened still verifies (the service decides what to do).
    let n = sim.notification(&no, Forgery::None).unwrap();
    let (a, b) = (
        client.verify_callback(&n.headers, &n.body).unwrap(),
        client.verify_callback(&n.headers, &n.body).unwrap(),
    );
    assert_eq!(a.event_id, b.event_id);
    let closed = sim.notification_with_status(&no, "TRADE_CLOSED").unwrap();
    assert!(matches!(
        client
            .verify_callback(&closed.headers, &closed.body)
            .unwrap()
            .event,
        CallbackEvent::PaymentFailed { .. }
    ));
    let unknown = sim
        .notification_for_unknown_order("NOSUCHORDER123", 1)
        .unwrap();
    assert!(matches!(
        client
            .verify_callback(&unknown.headers, &unknown.body)
            .unwrap()
            .event,
        CallbackEvent::PaymentSucceeded { amount_fen: 1, .. }
    ));
}

#[tokio::test]
async fn paysim_refuses_a_request_signed_with_the_wrong_app_key() {
    let sim = AlipaySim::start().await.unwrap();
    let client = Alipay::new(AlipayCredentials {
        app_private_key_pem: keys::INTRUDER_KEY.into(),
        ..helpers::alipay_credentials(&sim)
    })
    .unwrap();
    let e = client
        .create(&order(
            &out_no("WK"),
            100,
            Channel::AlipayPrecreate,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Rejected { code, .. } if code == "isv.invalid-signature"),
        "{e}"
    );
    assert!(e.definitely_failed());
    assert_eq!(sim.refused_requests(), 1);
}

#[tokio::test]
async fn answers_we_cannot_verify_or_get_leave_the_outcome_unknown() {
    let sim = AlipaySim::start().await.unwrap();
    let e = Alipay::new(AlipayCredentials {
        alipay_public_key_pem: keys::INTRUDER_PUB.into(),
        ..helpers::alipay_credentials(&sim)
    })
    .unwrap()
    .create(&order(
        &out_no("UV"),
        100,
        Channel::AlipayPrecreate,
        "https://pylon.example/cb",
    ))
    .await
    .unwrap_err();
    assert!(e.outcome_unknown(), "{e}");

    let client = helpers::alipay(&sim);
    sim.set_faults(Faults {
        system_errors: 1,
        ..Faults::default()
    });
    let e = client
        .create(&order(
            &out_no("SE"),
            100,
            Channel::AlipayPrecreate,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e}");

    sim.set_faults(Faults {
        delay: Some(Duration::from_millis(1500)),
        ..Faults::default()
    });
    let impatient = Alipay::new(AlipayCredentials {
        timeout: Duration::from_millis(300),
        ..helpers::alipay_credentials(&sim)
    })
    .unwrap();
    assert!(
        impatient
            .query("ANYORDER1")
            .await
            .unwrap_err()
            .outcome_unknown()
    );
}

#[tokio::test]
async fn auto_pay_notifies_after_the_delay() {
    let sim = AlipaySim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::alipay(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    sim.set_auto_pay(Some(Duration::from_millis(50)));
    let no = out_no("AU");
    client
        .create(&order(&no, 321, Channel::AlipayPrecreate, &endpoint.url))
        .await
        .unwrap();
    let cb = endpoint.next().await.unwrap();
    assert!(matches!(
        cb.event,
        CallbackEvent::PaymentSucceeded {
            amount_fen: 321,
            ..
        }
    ));
    // The sim records our answer once it has read it.
    for _ in 0..100 {
        if !sim.deliveries().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.deliveries()[0].body, "success");
}
