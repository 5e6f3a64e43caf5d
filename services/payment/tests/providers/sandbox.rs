//! The sandbox: settles after its delay and announces it in process.

use std::time::Duration;

use payment::providers::sandbox::Sandbox;
use payment::providers::{
    CallbackEvent, Channel, CreatePayment, Created, PaymentProvider, PaymentStatus, ProviderError,
    Refund, RefundState,
};

async fn next(rx: &mut tokio::sync::mpsc::Receiver<payment::providers::Callback>) -> CallbackEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap()
        .event
}

#[tokio::test]
async fn pays_after_the_delay_and_refunds() {
    let sandbox = Sandbox::new(Duration::from_millis(100));
    let mut rx = sandbox.take_callbacks().unwrap();
    assert!(sandbox.take_callbacks().is_none(), "one consumer");
    let req = CreatePayment {
        out_trade_no: "SB1".into(),
        amount_fen: 990,
        description: "demo".into(),
        notify_url: String::new(),
        channel: Channel::Sandbox,
        expires_at: None,
    };
    let Created::QrCode { code_url } = sandbox.create(&req).await.unwrap() else {
        panic!()
    };
    assert!(code_url.starts_with("sandbox://"));
    assert_eq!(
        sandbox.query("SB1").await.unwrap().status,
        PaymentStatus::Pending
    );
    assert!(matches!(
        next(&mut rx).await,
        CallbackEvent::PaymentSucceeded {
            amount_fen: 990,
            ..
        }
    ));
    assert!(matches!(
        sandbox.query("SB1").await.unwrap().status,
        PaymentStatus::Succeeded { .. }
    ));
    assert!(
        sandbox.close("SB1").await.unwrap_err().definitely_failed(),
        "paid cannot close"
    );

    let refund = Refund {
        out_trade_no: "SB1".into(),
        out_refund_no: "SBR1".into(),
        refund_fen: 500,
        total_fen: 990,
        reason: String::new(),
        notify_url: None,
    };
    assert!(matches!(
        sandbox.refund(&refund).await.unwrap(),
        RefundState::Processing { .. }
    ));
    assert!(matches!(
        next(&mut rx).await,
        CallbackEvent::RefundSucceeded {
            refund_fen: 500,
            ..
        }
    ));
    assert!(matches!(
        sandbox.query_refund("SB1", "SBR1").await.unwrap(),
        RefundState::Succeeded { .. }
    ));
    let too_much = Refund {
        out_refund_no: "SBR2".into(),
        refund_fen: 491,
        ..refund
    };
    assert!(matches!(
        sandbox.refund(&too_much).await,
        Err(ProviderError::Rejected { .. })
    ));
    assert!(
        sandbox
            .verify_callback(&http::HeaderMap::new(), b"{}")
            .is_err(),
        "no HTTP callbacks"
    );
}

#[tokio::test]
async fn a_closed_payment_never_settles() {
    let sandbox = Sandbox::new(Duration::from_millis(50));
    let mut rx = sandbox.take_callbacks().unwrap();
    let req = CreatePayment {
        out_trade_no: "SB2".into(),
        amount_fen: 1,
        description: "demo".into(),
        notify_url: String::new(),
        channel: Channel::WechatNative,
        expires_at: None,
    };
    sandbox.create(&req).await.unwrap();
    sandbox.close("SB2").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sandbox.query("SB2").await.unwrap().status,
        PaymentStatus::Closed
    );
    assert!(rx.try_recv().is_err());
}
