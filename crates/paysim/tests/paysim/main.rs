//! paysim on its own: it refuses what the providers refuse and signs what it answers,
//! checked with hand-made requests (the payment crate's clients are tested against it
//! in services/payment/tests/providers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use paysim::alipay::AlipaySim;
use paysim::keys;
use paysim::wechat::WechatSim;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::{PrivateKey, PublicKey};

fn sign(pem: &str, message: &[u8]) -> String {
    let key = PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::pkcs1::DecodeRsaPrivateKey::from_pkcs1_pem(pem))
        .unwrap();
    B64.encode(key.pkcs1v15_sign::<Sha256>(message).unwrap())
}

fn verifies(pem: &str, message: &[u8], signature: &str) -> bool {
    let key = PublicKey::from_public_key_pem(pem).unwrap();
    key.pkcs1v15_verify::<Sha256>(message, &B64.decode(signature).unwrap())
        .is_ok()
}

#[tokio::test]
async fn wechat_refuses_unsigned_and_signs_its_answers() {
    let sim = WechatSim::start().await.unwrap();
    let http = reqwest::Client::new();
    let path = format!(
        "/v3/pay/transactions/out-trade-no/NOSUCHORDER?mchid={}",
        keys::WECHAT_MCH_ID
    );
    let unsigned = http
        .get(format!("{}{path}", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let body: serde_json::Value = unsigned.json().await.unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");

    let ts = chrono::Utc::now().timestamp();
    let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
    let signature = sign(
        keys::WECHAT_MERCHANT_KEY,
        format!("GET\n{path}\n{ts}\n{nonce}\n\n").as_bytes(),
    );
    let auth = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{ts}\",serial_no=\"{}\"",
        keys::WECHAT_MCH_ID,
        keys::WECHAT_MERCHANT_SERIAL
    );
    let resp = http
        .get(format!("{}{path}", sim.base_url()))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "signed, so it gets as far as the order");
    let h = resp.headers().clone();
    let text = resp.bytes().await.unwrap();
    let header = |n: &str| h[n].to_str().unwrap().to_owned();
    assert_eq!(header("Wechatpay-Serial"), keys::WECHAT_PUBLIC_KEY_ID);
    let mut message = format!(
        "{}\n{}\n",
        header("Wechatpay-Timestamp"),
        header("Wechatpay-Nonce")
    )
    .into_bytes();
    message.extend_from_slice(&text);
    message.push(b'\n');
    assert!(verifies(
        keys::WECHAT_PLATFORM_PUB,
        &message,
        &header("Wechatpay-Signature")
    ));
    assert_eq!(sim.refused_requests(), 1);
}

#[tokio::test]
async fn alipay_refuses_a_bad_signature_and_signs_the_response_text() {
    let sim = AlipaySim::start().await.unwrap();
    let ts = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut params = vec![
        ("app_id", keys::ALIPAY_APP_ID.to_owned()),
        (
            "biz_content",
            r#"{"out_trade_no":"NOSUCHORDER"}"#.to_owned(),
        ),
        ("charset", "utf-8".to_owned()),
        ("format", "JSON".to_owned()),
        ("method", "alipay.trade.query".to_owned()),
        ("sign_type", "RSA2".to_owned()),
        ("timestamp", ts),
        ("version", "1.0".to_owned()),
    ];
    let content = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let post = |params: Vec<(&'static str, String)>| {
        let url = sim.gateway_url();
        async move {
            reqwest::Client::new()
                .post(url)
                .header(
                    "Content-Type",
                    "application/x-www-form-urlencoded;charset=utf-8",
                )
                .body(serde_urlencoded::to_string(&params).unwrap())
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let mut forged = params.clone();
    forged.push(("sign", sign(keys::INTRUDER_KEY, content.as_bytes())));
    let refused: serde_json::Value = serde_json::from_str(&post(forged).await).unwrap();
    assert_eq!(
        refused["alipay_trade_query_response"]["sub_code"],
        "isv.invalid-signature"
    );

    params.push(("sign", sign(keys::ALIPAY_APP_KEY, content.as_bytes())));
    let text = post(params).await;
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["alipay_trade_query_response"]["sub_code"],
        "ACQ.TRADE_NOT_EXIST"
    );
    // The signature covers the response object's text exactly as sent.
    let start = text.find(":{").unwrap() + 1;
    let end = text.rfind(",\"sign\"").unwrap();
    assert!(verifies(
        keys::ALIPAY_PLATFORM_PUB,
        &text.as_bytes()[start..end],
        doc["sign"].as_str().unwrap()
    ));
    assert_eq!(sim.refused_requests(), 1);
}
