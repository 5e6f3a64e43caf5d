//! WeChat Pay's side of API v3 signatures: checking the merchant's `Authorization`
//! (签名验证, as WeChat does it) and signing what goes back (应答签名).

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use rsa::{PrivateKey, PublicKey};

use crate::crypto;

/// WeChat refuses a request whose timestamp is further than this from its clock.
const MAX_SKEW_SECS: i64 = 300;

/// Why a request's `Authorization` was refused; all become 401 SIGN_ERROR.
#[derive(Debug)]
pub struct Refused(pub &'static str);

/// Parses `WECHATPAY2-SHA256-RSA2048 k="v",k="v",…`.
fn parse(header: &str) -> Option<HashMap<&str, &str>> {
    let params = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let mut out = HashMap::new();
    for part in params.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if out.insert(k, v).is_some() {
            return None;
        }
    }
    Some(out)
}

/// Checks the signature over `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` with the
/// merchant's public key, the merchant id and the certificate serial.
pub fn check(
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    mch_id: &str,
    merchant_serial: &str,
    merchant_key: &PublicKey,
) -> Result<(), Refused> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Refused("Authorization 缺失"))?;
    let p = parse(header).ok_or(Refused("Authorization 格式错误"))?;
    let field = |k: &'static str| p.get(k).copied().ok_or(Refused("Authorization 缺少字段"));
    let (mchid, nonce, timestamp, serial, signature) = (
        field("mchid")?,
        field("nonce_str")?,
        field("timestamp")?,
        field("serial_no")?,
        field("signature")?,
    );
    if mchid != mch_id {
        return Err(Refused("商户号不匹配"));
    }
    if serial != merchant_serial {
        return Err(Refused("证书序列号错误"));
    }
    let ts: i64 = timestamp.parse().map_err(|_| Refused("时间戳格式错误"))?;
    if (Utc::now().timestamp() - ts).abs() > MAX_SKEW_SECS {
        return Err(Refused("时间戳过期"));
    }
    let mut message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    if crypto::verify(merchant_key, &message, signature) {
        Ok(())
    } else {
        Err(Refused("签名错误"))
    }
}

/// The `Wechatpay-*` headers over `body` signed with `key` under `key_id`, at
/// `timestamp`; a probe signature when `probe` (what WeChat's 签名探测 sends).
pub fn signature_headers(
    key: &PrivateKey,
    key_id: &str,
    timestamp: i64,
    body: &[u8],
    probe: bool,
) -> HeaderMap {
    let nonce = crypto::random_hex(32);
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let mut signature = crypto::sign(key, &message).unwrap_or_default();
    if probe {
        signature = format!("WECHATPAY/SIGNTEST/{signature}");
    }
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    put("Wechatpay-Serial", key_id.to_owned());
    put("Wechatpay-Signature", signature);
    put("Wechatpay-Timestamp", timestamp.to_string());
    put("Wechatpay-Nonce", nonce);
    put(
        "Wechatpay-Signature-Type",
        "WECHATPAY2-SHA256-RSA2048".into(),
    );
    put("Request-ID", crypto::random_hex(24));
    h
}

/// A signed answer; `None` is a 204 without body (signed over the empty body).
pub fn answer(
    key: &PrivateKey,
    key_id: &str,
    status: StatusCode,
    body: Option<serde_json::Value>,
) -> Response {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let mut headers = signature_headers(key, key_id, Utc::now().timestamp(), &bytes, false);
    if !bytes.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    (status, headers, bytes).into_response()
}

/// The error body every v3 endpoint uses.
pub fn error(
    key: &PrivateKey,
    key_id: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    answer(
        key,
        key_id,
        status,
        Some(serde_json::json!({ "code": code, "message": message })),
    )
}
