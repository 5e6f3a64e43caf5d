//! Alipay open platform (openapi gateway, RSA2, public-key mode): face-to-face QR
//! payments (precreate), mini-program payments (create), query, close, refunds and the
//! asynchronous notifications.
//!
//! Requests are forms signed with the application private key; an answer is
//! `{"<method>_response": {...}, "sign": "..."}` whose signature covers the exact text of
//! the `<method>_response` value, verified with the Alipay public key.

mod api;
mod notify;
mod provider;
pub mod sign;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::value::RawValue;

use super::ProviderError;
use super::keys::{SigningKey, VerifyingKey};

/// What the adapter needs; the service builds it from `[payment.alipay]`.
#[derive(Clone)]
pub struct AlipayCredentials {
    pub app_id: String,
    pub app_private_key_pem: String,
    pub alipay_public_key_pem: String,
    pub gateway_url: String,
    pub timeout: Duration,
}

pub struct Alipay {
    app_id: String,
    signer: SigningKey,
    alipay_key: VerifyingKey,
    gateway_url: String,
    http: reqwest::Client,
}

/// An answer whose code is 10000, verified, as JSON.
type Answer = serde_json::Value;

impl Alipay {
    pub fn new(c: AlipayCredentials) -> Result<Self, ProviderError> {
        let (alipay_key, _) = VerifyingKey::from_text(&c.alipay_public_key_pem)?;
        Ok(Self {
            app_id: c.app_id,
            signer: SigningKey::from_text(&c.app_private_key_pem)?,
            alipay_key,
            gateway_url: c.gateway_url,
            http: super::http::client(c.timeout)?,
        })
    }

    /// The signed form of one call.
    fn form(
        &self,
        method: &str,
        biz_content: &str,
        notify_url: Option<&str>,
    ) -> Result<Vec<(&'static str, String)>, ProviderError> {
        let timestamp = Utc::now()
            .with_timezone(&super::CHINA)
            .format(sign::TIME_FORMAT)
            .to_string();
        let mut params: Vec<(&'static str, String)> = vec![
            ("app_id", self.app_id.clone()),
            ("method", method.to_owned()),
            ("format", "JSON".into()),
            ("charset", "utf-8".into()),
            ("sign_type", "RSA2".into()),
            ("timestamp", timestamp),
            ("version", "1.0".into()),
            ("biz_content", biz_content.to_owned()),
        ];
        if let Some(url) = notify_url {
            params.push(("notify_url", url.to_owned()));
        }
        let content = sign::content(
            params.iter().map(|(k, v)| (*k, v.as_str())),
            sign::Purpose::Request,
        );
        let signature = self.signer.sign_base64(content.as_bytes())?;
        params.push(("sign", signature));
        Ok(params)
    }

    /// Calls `method`; returns the verified answer of a code-10000 reply and maps every
    /// other reply to what it means for the money.
    async fn call(
        &self,
        method: &str,
        biz: &impl serde::Serialize,
        notify_url: Option<&str>,
    ) -> Result<Answer, ProviderError> {
        let biz = serde_json::to_string(biz).map_err(|e| ProviderError::Invalid(e.to_string()))?;
        let form = self.form(method, &biz, notify_url)?;
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| ProviderError::Invalid(e.to_string()))?;
        let resp = self
            .http
            .post(&self.gateway_url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| ProviderError::from_transport(&e))?;
        let status = resp.status();
        let bytes = super::http::read_body(resp).await?;
        if !status.is_success() {
            return Err(ProviderError::Unknown(format!(
                "gateway answered HTTP {status}"
            )));
        }
        self.read_answer(method, &bytes)
    }

    fn read_answer(&self, method: &str, bytes: &[u8]) -> Result<Answer, ProviderError> {
        let unknown = |why: String| ProviderError::Unknown(format!("alipay {method}: {why}"));
        let doc: HashMap<String, &RawValue> =
            serde_json::from_slice(bytes).map_err(|e| unknown(format!("not JSON: {e}")))?;
        let key = format!("{}_response", method.replace('.', "_"));
        let raw = doc
            .get(&key)
            .or_else(|| doc.get("error_response"))
            .ok_or_else(|| unknown(format!("no {key}")))?;
        let common: api::Common =
            serde_json::from_str(raw.get()).map_err(|e| unknown(e.to_string()))?;
        let sign: Option<String> = match doc.get("sign") {
            Some(s) => Some(serde_json::from_str(s.get()).map_err(|e| unknown(e.to_string()))?),
            None => None,
        };
        match sign {
            // The signature covers the value's text exactly as it came.
            Some(sig) if self.alipay_key.verify_base64(raw.get().as_bytes(), &sig) => {}
            Some(_) => return Err(unknown("signature does not verify".into())),
            // Gateway errors (a bad signature of ours, say) come unsigned, as Alipay's
            // SDKs accept; a success never may.
            None if common.code != "10000" => {}
            None => return Err(unknown("unsigned success".into())),
        }
        if common.code == "10000" {
            return serde_json::from_str(raw.get()).map_err(|e| unknown(e.to_string()));
        }
        Err(error_from(common))
    }
}

/// A non-10000 answer (公共错误码 / 业务错误码).
fn error_from(c: api::Common) -> ProviderError {
    let sub_code = c.sub_code.unwrap_or_default();
    let message = format!("{} {}", c.msg, c.sub_msg.unwrap_or_default())
        .trim()
        .to_owned();
    match (c.code.as_str(), sub_code.as_str()) {
        (_, "ACQ.TRADE_NOT_EXIST") => ProviderError::NotFound(format!("{sub_code}: {message}")),
        // Alipay's own words: system busy, result unknown, retry or query.
        ("20000", _) | (_, "ACQ.SYSTEM_ERROR") | (_, "aop.ACQ.SYSTEM_ERROR") => {
            ProviderError::Unknown(format!("{} {sub_code}: {message}", c.code))
        }
        ("20001" | "40001" | "40002" | "40004" | "40006", _) => {
            let code = if sub_code.is_empty() {
                c.code
            } else {
                sub_code
            };
            ProviderError::rejected(code, message)
        }
        (code, _) => ProviderError::Unknown(format!("code {code} {sub_code}: {message}")),
    }
}

/// `2014-07-24 03:07:50` (China time) → UTC.
fn parse_alipay_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, sign::TIME_FORMAT)
        .ok()?
        .and_local_timezone(super::CHINA)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn to_alipay_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&super::CHINA)
        .format(sign::TIME_FORMAT)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_time() {
        let t = parse_alipay_time("2016-08-25 20:26:31").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-08-25T12:26:31+00:00");
        assert_eq!(to_alipay_time(t), "2016-08-25 20:26:31");
        assert!(parse_alipay_time("2016-08-25T20:26:31").is_none());
    }

    #[test]
    fn error_codes_say_what_happened() {
        let c = |code: &str, sub: &str| api::Common {
            code: code.into(),
            msg: "m".into(),
            sub_code: Some(sub.into()),
            sub_msg: None,
        };
        assert!(error_from(c("40004", "ACQ.TRADE_HAS_SUCCESS")).definitely_failed());
        assert!(error_from(c("40002", "isv.invalid-signature")).definitely_failed());
        assert!(error_from(c("20000", "isp.unknow-error")).outcome_unknown());
        assert!(error_from(c("40004", "ACQ.SYSTEM_ERROR")).outcome_unknown());
        assert!(matches!(
            error_from(c("40004", "ACQ.TRADE_NOT_EXIST")),
            ProviderError::NotFound(_)
        ));
    }
}
