//! WeChat Pay API v3 for a direct merchant (直连商户): JSAPI and Native payments,
//! query, close, refunds, and the signed, encrypted notifications.
//!
//! Every request is signed with the merchant API key (`Authorization:
//! WECHATPAY2-SHA256-RSA2048 …`); every 2xx answer and every notification is verified
//! with WeChat Pay's key — the "微信支付公钥" (`PUB_KEY_ID_…`) or a platform certificate,
//! whichever `Wechatpay-Serial` names — before anything in it is believed.

mod api;
mod crypto;
mod notify;
mod provider;
pub mod sign;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use http::HeaderMap;
use reqwest::Method;

use super::keys::{SigningKey, VerifyingKey};
use super::{CallbackError, ProviderError};

/// A signature timestamp further than this from our clock is refused (what WeChat's
/// own SDKs allow): it bounds how long a captured notification can be replayed.
const MAX_SKEW_SECS: i64 = 300;

/// WeChat sends probes whose signature starts with this to check that merchants really
/// verify (签名探测); they must fail.
const SIGNATURE_PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// What the adapter needs; the service builds it from `[payment.wechat]` (key files
/// read into the PEM fields).
#[derive(Clone)]
pub struct WechatPayCredentials {
    pub mch_id: String,
    pub app_id: String,
    pub merchant_serial_no: String,
    pub merchant_private_key_pem: String,
    pub api_v3_key: String,
    /// The WeChat Pay public key or a platform certificate, PEM.
    pub platform_public_key_pem: String,
    /// `PUB_KEY_ID_…` or the certificate serial; empty takes the certificate's serial.
    pub platform_public_key_id: String,
    pub base_url: String,
    pub timeout: Duration,
}

pub struct WechatPay {
    mch_id: String,
    app_id: String,
    merchant_serial_no: String,
    signer: SigningKey,
    api_v3_key: [u8; 32],
    platform_key: VerifyingKey,
    platform_key_id: String,
    base_url: String,
    http: reqwest::Client,
}

impl WechatPay {
    pub fn new(c: WechatPayCredentials) -> Result<Self, ProviderError> {
        let signer = SigningKey::from_text(&c.merchant_private_key_pem)?;
        let (platform_key, cert_serial) = VerifyingKey::from_text(&c.platform_public_key_pem)?;
        let platform_key_id = match (c.platform_public_key_id.is_empty(), cert_serial) {
            (false, _) => c.platform_public_key_id,
            (true, Some(serial)) => serial,
            (true, None) => {
                return Err(ProviderError::Config(
                    "payment.wechat.platform_public_key_id: required with a public key (PUB_KEY_ID_…)"
                        .into(),
                ));
            }
        };
        let api_v3_key: [u8; 32] = c.api_v3_key.as_bytes().try_into().map_err(|_| {
            ProviderError::Config("payment.wechat.api_v3_key: must be 32 bytes".into())
        })?;
        Ok(Self {
            mch_id: c.mch_id,
            app_id: c.app_id,
            merchant_serial_no: c.merchant_serial_no,
            signer,
            api_v3_key,
            platform_key,
            platform_key_id,
            base_url: c.base_url.trim_end_matches('/').to_owned(),
            http: super::http::client(c.timeout)?,
        })
    }

    /// Signs and sends one call; returns the status and the body of a verified 2xx, and
    /// maps every other answer to the error that says what may have happened.
    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<Vec<u8>, ProviderError> {
        let timestamp = Utc::now().timestamp();
        let nonce = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let body_text = body.as_deref().unwrap_or("");
        let message = sign::request_message(
            method.as_str(),
            path_and_query,
            timestamp,
            &nonce,
            body_text,
        );
        let signature = self.signer.sign_base64(message.as_bytes())?;
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.base_url))
            .header(
                http::header::AUTHORIZATION,
                sign::authorization(
                    &self.mch_id,
                    &self.merchant_serial_no,
                    timestamp,
                    &nonce,
                    &signature,
                ),
            )
            .header(http::header::ACCEPT, "application/json")
            // Names the key we verify with, so WeChat signs its answer with that key
            // while a merchant moves from platform certificates to the public key.
            .header("Wechatpay-Serial", &self.platform_key_id);
        if let Some(body) = body {
            req = req
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ProviderError::from_transport(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = super::http::read_body(resp).await?;
        if status.is_success() {
            // An answer we cannot verify may still describe something that happened.
            self.verify_signed(&headers, &bytes).map_err(|e| {
                ProviderError::Unknown(format!("unverifiable WeChat Pay answer: {e}"))
            })?;
            return Ok(bytes);
        }
        Err(error_from(status, &bytes))
    }

    /// Checks `Wechatpay-*` headers against the body: the key id, the timestamp window and
    /// the signature. Shared by answers and notifications, which WeChat signs alike.
    fn verify_signed(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), CallbackError> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(CallbackError::Missing(name))
        };
        let serial = header("Wechatpay-Serial")?;
        let signature = header("Wechatpay-Signature")?;
        let timestamp = header("Wechatpay-Timestamp")?;
        let nonce = header("Wechatpay-Nonce")?;
        if signature.starts_with(SIGNATURE_PROBE_PREFIX) {
            return Err(CallbackError::BadSignature);
        }
        if serial != self.platform_key_id {
            return Err(CallbackError::UnknownKey(serial.to_owned()));
        }
        let ts: i64 = timestamp
            .parse()
            .map_err(|_| CallbackError::Malformed("Wechatpay-Timestamp".into()))?;
        if (Utc::now().timestamp() - ts).abs() > MAX_SKEW_SECS {
            return Err(CallbackError::Stale(ts));
        }
        let message = sign::response_message(timestamp, nonce, body);
        if self.platform_key.verify_base64(&message, signature) {
            Ok(())
        } else {
            Err(CallbackError::BadSignature)
        }
    }
}

/// A non-2xx answer. WeChat leaves these unsigned, as its SDKs treat them; TLS vouches.
fn error_from(status: http::StatusCode, body: &[u8]) -> ProviderError {
    let parsed: Option<api::ErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = parsed
        .map(|e| (e.code, e.message))
        .unwrap_or_else(|| (status.as_str().to_owned(), String::new()));
    match status.as_u16() {
        404 => ProviderError::NotFound(format!("{code}: {message}")),
        // Throttled before anything was done: retry later.
        429 => ProviderError::Unavailable(format!("{code}: {message}")),
        400..=499 => ProviderError::rejected(code, message),
        // SYSTEM_ERROR and the like: WeChat says the result is unknown, query again.
        _ => ProviderError::Unknown(format!("HTTP {status}: {code}: {message}")),
    }
}

/// WeChat's time format: RFC 3339 in China time, e.g. `2018-06-08T10:34:56+08:00`.
fn to_wechat_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&super::CHINA)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn parse_wechat_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
