//! Building the providers from `[payment]`, key files and all.

use payment::providers::{ProviderError, Providers, callback_url};
use runtime::config::PaymentConfig;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[tokio::test]
async fn providers_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = PaymentConfig {
        notify_base_url: "https://pay.example.com".into(),
        ..PaymentConfig::default()
    };
    c.wechat.enabled = true;
    c.wechat.mch_id = paysim::keys::WECHAT_MCH_ID.into();
    c.wechat.app_id = paysim::keys::WECHAT_APP_ID.into();
    c.wechat.merchant_serial_no = paysim::keys::WECHAT_MERCHANT_SERIAL.into();
    c.wechat.merchant_private_key_file =
        write(&dir, "apiclient_key.pem", paysim::keys::WECHAT_MERCHANT_KEY);
    c.wechat.api_v3_key = runtime::Secret::new(paysim::keys::WECHAT_API_V3_KEY);
    c.wechat.platform_public_key_file =
        write(&dir, "pub_key.pem", paysim::keys::WECHAT_PLATFORM_PUB);
    c.wechat.platform_public_key_id = paysim::keys::WECHAT_PUBLIC_KEY_ID.into();
    c.alipay.enabled = true;
    c.alipay.app_id = paysim::keys::ALIPAY_APP_ID.into();
    c.alipay.app_private_key_file =
        write(&dir, "app_private_key.pem", paysim::keys::ALIPAY_APP_KEY);
    // As Alipay's console shows it: bare base64, no PEM lines.
    let bare: String = paysim::keys::ALIPAY_PLATFORM_PUB
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    c.alipay.alipay_public_key_file = write(&dir, "alipay_public_key.txt", &bare);
    c.validate().unwrap();

    let p = Providers::from_config(&c).unwrap();
    assert_eq!(
        p.names().collect::<Vec<_>>(),
        ["alipay", "sandbox", "wechat"]
    );
    assert!(p.sandbox().is_some());
    assert_eq!(
        p.notify_url("wechat"),
        "https://pay.example.com/api/v1/payment/callbacks/wechat"
    );
    assert_eq!(
        callback_url("https://x/", "alipay"),
        "https://x/api/v1/payment/callbacks/alipay"
    );

    // A missing or wrong key stops start-up, naming the key.
    c.wechat.merchant_private_key_file = dir.path().join("nope.pem").to_string_lossy().into_owned();
    let Err(ProviderError::Config(e)) = Providers::from_config(&c) else {
        panic!()
    };
    assert!(
        e.contains("payment.wechat.merchant_private_key_file"),
        "{e}"
    );
    c.wechat.merchant_private_key_file = write(
        &dir,
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    assert!(matches!(
        Providers::from_config(&c),
        Err(ProviderError::Config(_))
    ));
    // A bare public key needs its PUB_KEY_ID_ (a certificate carries its serial).
    c.wechat.merchant_private_key_file =
        write(&dir, "apiclient_key.pem", paysim::keys::WECHAT_MERCHANT_KEY);
    c.wechat.platform_public_key_id = String::new();
    let Err(ProviderError::Config(e)) = Providers::from_config(&c) else {
        panic!()
    };
    assert!(e.contains("platform_public_key_id"), "{e}");
}

#[test]
fn defaults_offer_only_the_sandbox() {
    let c = PaymentConfig::default();
    c.validate().unwrap();
    let names: Vec<_> = Providers::from_config(&c).unwrap().names().collect();
    assert_eq!(names, ["sandbox"]);
}
