//! WeChat Pay v3 against paysim.

use std::sync::Arc;
use std::time::Duration;

use payment::providers::keys::VerifyingKey;
use payment::providers::wechat::{WechatPay, WechatPayCredentials, sign};
use payment::providers::{
    CallbackError, CallbackEvent, Channel, CreatePayment, Created, PaymentProvider, PaymentStatus,
    ProviderError, Refund, RefundState,
};
use paysim::wechat::{Forgery, KeyMode, RefundOutcome, WechatSim};
use paysim::{Faults, keys};

use crate::helpers::{self, Endpoint, out_no};

fn order(no: &str, amount_fen: i64, channel: Channel, notify_url: &str) -> CreatePayment {
    CreatePayment {
        out_trade_no: no.into(),
        amount_fen,
        description: "充电 · Pylon 测试站 3 号桩".into(),
        notify_url: notify_url.into(),
        channel,
        expires_at: Some(chrono::Utc::now() + chrono::Duration::minutes(15)),
    }
}

#[tokio::test]
async fn jsapi_create_query_close() {
    let sim = WechatSim::start().await.unwrap();
    let client = helpers::wechat(&sim);
    let no = out_no("JS");
    let jsapi = Channel::WechatJsapi {
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
    };
    let created = client
        .create(&order(&no, 1, jsapi, "https://pylon.example/cb"))
        .await
        .unwrap();
    let Created::WechatJsapi { prepay_id, params } = created else {
        panic!("{created:?}")
    };
    assert_eq!(sim.order(&no).unwrap().prepay_id, prepay_id);
    assert_eq!(params.package, format!("prepay_id={prepay_id}"));
    assert_eq!(
        (params.app_id.as_str(), params.sign_type.as_str()),
        (keys::WECHAT_APP_ID, "RSA")
    );
    // wx.requestPayment checks paySign with the merchant's public key.
    let (merchant, _) = VerifyingKey::from_text(keys::WECHAT_MERCHANT_PUB).unwrap();
    let msg = sign::jsapi_message(
        &params.app_id,
        &params.time_stamp,
        &params.nonce_str,
        &params.package,
    );
    assert!(merchant.verify_base64(msg.as_bytes(), &params.pay_sign));
    let as_json = serde_json::to_value(&params).unwrap();
    for k in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(as_json.get(k).is_some(), "{k} in {as_json}");
    }

    assert_eq!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Pending
    );
    // Placing the same order again is the same order.
    let again = Channel::WechatJsapi {
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
    };
    let Created::WechatJsapi {
        prepay_id: again, ..
    } = client
        .create(&order(&no, 1, again, "https://pylon.example/cb"))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(again, prepay_id);
    client.close(&no).await.unwrap();
    assert_eq!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Closed
    );
    assert_eq!(sim.refused_requests(), 0);
}

#[tokio::test]
async fn native_payment_callback_and_refund_round_trip() {
    let sim = WechatSim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::wechat(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    let no = out_no("NA");
    let created = client
        .create(&order(&no, 12_345, Channel::WechatNative, &endpoint.url))
        .await
        .unwrap();
    let Created::QrCode { code_url } = created else {
        panic!()
    };
    assert!(
        code_url.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{code_url}"
    );

    let delivery = sim.pay(&no).await.unwrap();
    assert_eq!(delivery.status, 200);
    assert!(delivery.body.contains("SUCCESS"), "{}", delivery.body);
    let cb = endpoint.next().await.unwrap();
    let tx = sim.order(&no).unwrap().transaction_id.unwrap();
    match &cb.event {
        CallbackEvent::PaymentSucceeded {
            out_trade_no,
            transaction_id,
            amount_fen,
            ..
        } => {
            assert_eq!(
                (out_trade_no, transaction_id, *amount_fen),
                (&no, &tx, 12_345)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        cb.raw["resource"]["trade_state"], "SUCCESS",
        "raw holds the decrypted resource"
    );
    assert!(!cb.event_id.is_empty());
    match client.query(&no).await.unwrap().status {
        PaymentStatus::Succeeded {
            transaction_id,
            amount_fen,
            ..
        } => {
            assert_eq!((transaction_id, amount_fen), (tx, 12_345));
        }
        other => panic!("{other:?}"),
    }

    let refund = Refund {
        out_trade_no: no.clone(),
        out_refund_no: out_no("RF"),
        refund_fen: 2_345,
        total_fen: 12_345,
        reason: "充电未满额".into(),
        notify_url: Some(endpoint.url.clone()),
    };
    assert!(matches!(
        client.refund(&refund).await.unwrap(),
        RefundState::Processing { refund_id: Some(_) }
    ));
    assert!(matches!(
        client
            .query_refund(&no, &refund.out_refund_no)
            .await
            .unwrap(),
        RefundState::Processing { .. }
    ));
    let delivery = sim
        .settle_refund(&refund.out_refund_no, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.status, 200);
    match endpoint.next().await.unwrap().event {
        CallbackEvent::RefundSucceeded {
            out_refund_no,
            refund_fen,
            ..
        } => {
            assert_eq!(
                (out_refund_no, refund_fen),
                (refund.out_refund_no.clone(), 2_345)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client
            .query_refund(&no, &refund.out_refund_no)
            .await
            .unwrap(),
        RefundState::Succeeded {
            refund_fen: 2_345,
            ..
        }
    ));
    // More than is left is refused, and nothing happened.
    let too_much = Refund {
        out_refund_no: out_no("RF"),
        refund_fen: 10_001,
        ..refund.clone()
    };
    let e = client.refund(&too_much).await.unwrap_err();
    assert!(e.definitely_failed(), "{e}");
    // An abnormal refund (e.g. the payer's card is gone) says so.
    sim.set_refund_outcome(RefundOutcome::Processing);
    let last = Refund {
        out_refund_no: out_no("RF"),
        refund_fen: 1,
        ..refund
    };
    client.refund(&last).await.unwrap();
    sim.settle_refund(&last.out_refund_no, false).await.unwrap();
    assert!(matches!(
        endpoint.next().await.unwrap().event,
        CallbackEvent::RefundFailed { .. }
    ));
    assert_eq!(
        client.query_refund(&no, &last.out_refund_no).await.unwrap(),
        RefundState::Failed("ABNORMAL".into())
    );
}

#[tokio::test]
async fn amounts_round_trip_in_fen() {
    let sim = WechatSim::start().await.unwrap();
    let client = helpers::wechat(&sim);
    for fen in [1, 10, 1_234_567] {
        let no = out_no("AM");
        client
            .create(&order(
                &no,
                fen,
                Channel::WechatNative,
                "https://pylon.example/cb",
            ))
            .await
            .unwrap();
        assert_eq!(sim.order(&no).unwrap().amount_fen, fen);
        sim.pay_silently(&no).unwrap();
        let PaymentStatus::Succeeded { amount_fen, .. } = client.query(&no).await.unwrap().status
        else {
            panic!()
        };
        assert_eq!(amount_fen, fen);
        let n = sim.transaction_notification(&no, Forgery::None).unwrap();
        let cb = client.verify_callback(&n.headers, &n.body).unwrap();
        assert!(
            matches!(cb.event, CallbackEvent::PaymentSucceeded { amount_fen, .. } if amount_fen == fen)
        );
    }
}

#[tokio::test]
async fn platform_certificate_mode_reads_the_serial_from_the_certificate() {
    let sim = WechatSim::start_with(KeyMode::Certificate).await.unwrap();
    let creds = WechatPayCredentials {
        platform_public_key_id: String::new(),
        ..helpers::wechat_credentials(&sim)
    };
    let client = WechatPay::new(creds).unwrap();
    let no = out_no("CE");
    client
        .create(&order(
            &no,
            100,
            Channel::WechatNative,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap();
    sim.pay_silently(&no).unwrap();
    assert!(matches!(
        client.query(&no).await.unwrap().status,
        PaymentStatus::Succeeded { .. }
    ));
    let n = sim.transaction_notification(&no, Forgery::None).unwrap();
    assert_eq!(
        n.headers["Wechatpay-Serial"],
        keys::WECHAT_PLATFORM_CERT_SERIAL
    );
    client.verify_callback(&n.headers, &n.body).unwrap();
}

#[tokio::test]
async fn forged_and_tampered_callbacks_are_refused() {
    let sim = WechatSim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::wechat(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    let no = out_no("FG");
    client
        .create(&order(&no, 500, Channel::WechatNative, &endpoint.url))
        .await
        .unwrap();
    for (forgery, expected) in [
        (Forgery::BadSignature, CallbackError::BadSignature),
        (Forgery::IntruderKey, CallbackError::BadSignature),
        (Forgery::Probe, CallbackError::BadSignature),
        (
            Forgery::UnknownSerial,
            CallbackError::UnknownKey("PUB_KEY_ID_0000000000000000000000000000000099".into()),
        ),
        (Forgery::TamperedCiphertext, CallbackError::Decrypt),
        (Forgery::WrongApiV3Key, CallbackError::Decrypt),
    ] {
        let n = sim.transaction_notification(&no, forgery).unwrap();
        let delivery = sim.deliver(&endpoint.url, &n).await.unwrap();
        assert_eq!(delivery.status, 500, "{forgery:?} must be refused");
        assert!(delivery.body.contains("FAIL"), "{}", delivery.body);
        assert_eq!(endpoint.next().await.unwrap_err(), expected, "{forgery:?}");
    }
    let stale = sim.transaction_notification(&no, Forgery::Stale).unwrap();
    assert!(matches!(
        client.verify_callback(&stale.headers, &stale.body),
        Err(CallbackError::Stale(_))
    ));
    let mut missing = sim.transaction_notification(&no, Forgery::None).unwrap();
    missing.headers.remove("Wechatpay-Signature");
    assert_eq!(
        client
            .verify_callback(&missing.headers, &missing.body)
            .unwrap_err(),
        CallbackError::Missing("Wechatpay-Signature")
    );
    // Nothing forged reached the order.
    assert_eq!(sim.order(&no).unwrap().trade_state, "NOTPAY");
}

#[tokio::test]
async fn replays_keep_their_id_and_unknown_orders_still_verify() {
    let sim = WechatSim::start().await.unwrap();
    let client: Arc<dyn PaymentProvider> = Arc::new(helpers::wechat(&sim));
    let mut endpoint = Endpoint::start(client.clone()).await;
    let no = out_no("RP");
    client
        .create(&order(&no, 800, Channel::WechatNative, &endpoint.url))
        .await
        .unwrap();
    sim.pay_silently(&no).unwrap();
    let n = sim.transaction_notification(&no, Forgery::None).unwrap();
    sim.deliver(&endpoint.url, &n).await.unwrap();
    sim.deliver(&endpoint.url, &n).await.unwrap();
    let (first, second) = (
        endpoint.next().await.unwrap(),
        endpoint.next().await.unwrap(),
    );
    // The provider's id is what the service dedupes on.
    assert_eq!(first.event_id, second.event_id);

    let unknown = sim
        .notification_for_unknown_order("NOSUCHORDER123", 999)
        .unwrap();
    let cb = client
        .verify_callback(&unknown.headers, &unknown.body)
        .unwrap();
    assert!(
        matches!(cb.event, CallbackEvent::PaymentSucceeded { ref out_trade_no, .. } if out_trade_no == "NOSUCHORDER123")
    );
}

#[tokio::test]
async fn paysim_refuses_a_request_signed_with_the_wrong_merchant_key() {
    let sim = WechatSim::start().await.unwrap();
    let creds = WechatPayCredentials {
        merchant_private_key_pem: keys::INTRUDER_KEY.into(),
        ..helpers::wechat_credentials(&sim)
    };
    let client = WechatPay::new(creds).unwrap();
    let e = client
        .create(&order(
            &out_no("WK"),
            100,
            Channel::WechatNative,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Rejected { code, .. } if code == "SIGN_ERROR"),
        "{e}"
    );
    assert!(e.definitely_failed());
    assert_eq!(sim.refused_requests(), 1);
    let wrong_serial = WechatPayCredentials {
        merchant_serial_no: "0123456789ABCDEF".into(),
        ..helpers::wechat_credentials(&sim)
    };
    let e = WechatPay::new(wrong_serial)
        .unwrap()
        .query("NOSUCHORDER123")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Rejected { code, .. } if code == "SIGN_ERROR"),
        "{e}"
    );
    assert_eq!(sim.refused_requests(), 2);
}

#[tokio::test]
async fn answers_we_cannot_verify_or_get_leave_the_outcome_unknown() {
    let sim = WechatSim::start().await.unwrap();
    // Verifying with someone else's key: WeChat's answer cannot be believed.
    let creds = WechatPayCredentials {
        platform_public_key_pem: keys::INTRUDER_PUB.into(),
        ..helpers::wechat_credentials(&sim)
    };
    let e = WechatPay::new(creds)
        .unwrap()
        .create(&order(
            &out_no("UV"),
            100,
            Channel::WechatNative,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e}");

    let no = out_no("SE");
    sim.set_faults(Faults {
        system_errors: 1,
        ..Faults::default()
    });
    let client = helpers::wechat(&sim);
    let e = client
        .create(&order(
            &no,
            100,
            Channel::WechatNative,
            "https://pylon.example/cb",
        ))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e}");

    sim.set_faults(Faults {
        delay: Some(Duration::from_millis(1500)),
        ..Faults::default()
    });
    let impatient = WechatPay::new(WechatPayCredentials {
        timeout: Duration::from_millis(300),
        ..helpers::wechat_credentials(&sim)
    })
    .unwrap();
    let e = impatient.query(&no).await.unwrap_err();
    assert!(e.outcome_unknown(), "a timeout is an unknown outcome: {e}");
    sim.set_faults(Faults::default());
    assert!(matches!(
        client.query("NOSUCHORDER123").await,
        Err(ProviderError::NotFound(_))
    ));

    let nowhere = WechatPay::new(WechatPayCredentials {
        base_url: helpers::closed_port_url().await,
        ..helpers::wechat_credentials(&sim)
    })
    .unwrap();
    let e = nowhere.query(&no).await.unwrap_err();
    assert!(
        matches!(e, ProviderError::Unavailable(_)),
        "nothing was sent: {e}"
    );
}

#[tokio::test]
async fn requests_are_checked_before_they_leave() {
    let sim = WechatSim::start().await.unwrap();
    let client = helpers::wechat(&sim);
    for bad in [
        order(
            "x".repeat(33).as_str(),
            1,
            Channel::WechatNative,
            "https://a/b",
        ),
        order("BAD NO", 1, Channel::WechatNative, "https://a/b"),
        order("GOODNO1", 0, Channel::WechatNative, "https://a/b"),
        order("GOODNO2", 1, Channel::AlipayPrecreate, "https://a/b"),
    ] {
        assert!(
            matches!(client.create(&bad).await, Err(ProviderError::Invalid(_))),
            "{bad:?}"
        );
    }
    assert_eq!(sim.refused_requests(), 0);
}
