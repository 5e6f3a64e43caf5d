//! The `[payment]` section: which payment providers are on, their merchant credentials
//! (key files, never keys inline) and where providers call us back. docs/payments.md,
//! "Providers", says which key from which merchant platform goes where.

use serde::{Deserialize, Deserializer, Serialize};

use super::{ConfigError, Secret};

/// Merchant and app ids are digits, and figment reads `PYLON_…=1900009191` as a number:
/// take either. (A value with leading zeros must be quoted in the environment,
/// `'"0123"'`, or it loses them on the way.)
fn digits_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Unsigned(u64),
        Signed(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(s) => s,
        Either::Unsigned(n) => n.to_string(),
        Either::Signed(n) => n.to_string(),
    })
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentConfig {
    /// The public base URL providers call back, e.g. `https://pay.example.com`; the
    /// callbacks are `<it>/api/v1/payment/callbacks/wechat` and `…/alipay`. Required when
    /// a real provider is enabled: WeChat and Alipay need a reachable notify URL.
    pub notify_base_url: String,
    /// A provider call without an answer after this long has an unknown outcome: the
    /// service queries the provider later instead of guessing.
    pub request_timeout_ms: u64,
    pub wechat: WechatPayConfig,
    pub alipay: AlipayConfig,
    pub sandbox: SandboxConfig,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        Self {
            notify_base_url: String::new(),
            request_timeout_ms: 10_000,
            wechat: WechatPayConfig::default(),
            alipay: AlipayConfig::default(),
            sandbox: SandboxConfig::default(),
        }
    }
}

/// WeChat Pay API v3, direct merchant (直连商户).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WechatPayConfig {
    pub enabled: bool,
    /// 商户号.
    #[serde(deserialize_with = "digits_or_text")]
    pub mch_id: String,
    /// The AppID bound to the merchant (mini program or official account) payers use.
    #[serde(deserialize_with = "digits_or_text")]
    pub app_id: String,
    /// Serial number of the merchant API certificate (商户API证书序列号).
    #[serde(deserialize_with = "digits_or_text")]
    pub merchant_serial_no: String,
    /// `apiclient_key.pem`: the merchant API private key every request is signed with.
    pub merchant_private_key_file: String,
    /// The APIv3 key (32 characters) that decrypts callbacks.
    pub api_v3_key: Secret,
    /// WeChat Pay's public key (`pub_key.pem`, 微信支付公钥) or a platform certificate
    /// (`wechatpay_<serial>.pem`): responses and callbacks are verified with it.
    pub platform_public_key_file: String,
    /// `PUB_KEY_ID_…` of that public key, or the platform certificate's serial number
    /// (empty: read from the certificate).
    #[serde(deserialize_with = "digits_or_text")]
    pub platform_public_key_id: String,
    pub base_url: String,
}

impl Default for WechatPayConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            mch_id: String::new(),
            app_id: String::new(),
            merchant_serial_no: String::new(),
            merchant_private_key_file: String::new(),
            api_v3_key: Secret::default(),
            platform_public_key_file: String::new(),
            platform_public_key_id: String::new(),
            base_url: "https://api.mch.weixin.qq.com".into(),
        }
    }
}

/// Alipay open platform (开放平台), public-key mode.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AlipayConfig {
    pub enabled: bool,
    /// The application's APPID.
    #[serde(deserialize_with = "digits_or_text")]
    pub app_id: String,
    /// The application private key (PKCS#1 or PKCS#8, PEM or the bare base64 Alipay's
    /// key tool prints) requests are signed with.
    pub app_private_key_file: String,
    /// The Alipay public key (支付宝公钥) responses and notifications are verified with.
    pub alipay_public_key_file: String,
    pub gateway_url: String,
}

impl Default for AlipayConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            app_id: String::new(),
            app_private_key_file: String::new(),
            alipay_public_key_file: String::new(),
            gateway_url: "https://openapi.alipay.com/gateway.do".into(),
        }
    }
}

/// A provider with no network that settles every payment after a delay: for demos and
/// local runs. Turn it off in production, where nobody should pay with play money.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    pub enabled: bool,
    pub settle_after_ms: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            settle_after_ms: 3000,
        }
    }
}

fn invalid(key: &'static str, problem: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        problem: problem.into(),
    })
}

fn is_http_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

impl PaymentConfig {
    /// Checks what types alone cannot. Key files are read (and checked) when the payment
    /// service builds its providers, not here: `pylon config print` needs no keys.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.notify_base_url.is_empty()
            && (!is_http_url(&self.notify_base_url) || self.notify_base_url.ends_with('/'))
        {
            invalid(
                "payment.notify_base_url",
                "must be empty or an http(s):// URL without a trailing '/'",
            )?;
        }
        if (self.wechat.enabled || self.alipay.enabled) && self.notify_base_url.is_empty() {
            invalid(
                "payment.notify_base_url",
                "must be set when payment.wechat or payment.alipay is enabled",
            )?;
        }
        if !(1000..=60_000).contains(&self.request_timeout_ms) {
            invalid("payment.request_timeout_ms", "must be 1000..=60000")?;
        }
        if self.wechat.enabled {
            self.wechat.validate()?;
        }
        if self.alipay.enabled {
            self.alipay.validate()?;
        }
        if self.sandbox.settle_after_ms > 600_000 {
            invalid("payment.sandbox.settle_after_ms", "must be 0..=600000")?;
        }
        Ok(())
    }
}

impl WechatPayConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.mch_id.is_empty() || !self.mch_id.chars().all(|c| c.is_ascii_digit()) {
            invalid("payment.wechat.mch_id", "must be the digits of the 商户号")?;
        }
        if self.app_id.is_empty() {
            invalid("payment.wechat.app_id", "must not be empty")?;
        }
        if self.merchant_serial_no.is_empty()
            || !self
                .merchant_serial_no
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        {
            invalid(
                "payment.wechat.merchant_serial_no",
                "must be the hex serial number of the merchant API certificate",
            )?;
        }
        if self.merchant_private_key_file.is_empty() {
            invalid("payment.wechat.merchant_private_key_file", "must be a path")?;
        }
        // AES-256-GCM takes exactly 32 bytes; the merchant platform makes 32 characters.
        if self.api_v3_key.expose().len() != 32 {
            invalid("payment.wechat.api_v3_key", "must be 32 characters")?;
        }
        if self.platform_public_key_file.is_empty() {
            invalid("payment.wechat.platform_public_key_file", "must be a path")?;
        }
        if !is_http_url(&self.base_url) {
            invalid("payment.wechat.base_url", "must be an http(s):// URL")?;
        }
        Ok(())
    }
}

impl AlipayConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.app_id.is_empty() {
            invalid("payment.alipay.app_id", "must not be empty")?;
        }
        if self.app_private_key_file.is_empty() {
            invalid("payment.alipay.app_private_key_file", "must be a path")?;
        }
        if self.alipay_public_key_file.is_empty() {
            invalid("payment.alipay.alipay_public_key_file", "must be a path")?;
        }
        if !is_http_url(&self.gateway_url) {
            invalid("payment.alipay.gateway_url", "must be an http(s):// URL")?;
        }
        Ok(())
    }
}
