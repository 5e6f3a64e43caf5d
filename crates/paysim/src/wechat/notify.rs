//! Notifications (支付成功通知, 退款结果通知): the resource sealed with AES-256-GCM under
//! the APIv3 key, the envelope signed like an answer — genuine, or forged on request.

use chrono::Utc;
use http::HeaderValue;
use serde_json::{Value, json};

use super::{Shared, WechatSim, refund_json, transaction_json, wechat_time};
use crate::{Notification, SimError, crypto, lock};

/// How a notification is made wrong, one way at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// Genuine.
    None,
    /// Signed by WeChat's key, then one byte of the body changed.
    BadSignature,
    /// Signed with a key that is not WeChat's (under WeChat's key id).
    IntruderKey,
    /// Signed by WeChat's key but naming another key id.
    UnknownSerial,
    /// Genuinely signed ten minutes ago: a captured notification replayed late.
    Stale,
    /// WeChat's signature probe (`WECHATPAY/SIGNTEST/…`).
    Probe,
    /// The ciphertext altered, then the envelope signed again with WeChat's key: only
    /// the GCM tag can catch it.
    TamperedCiphertext,
    /// Sealed with another APIv3 key, genuinely signed.
    WrongApiV3Key,
}

/// Seals `resource` and signs the envelope as `forgery` says.
fn build(
    shared: &Shared,
    event_type: &str,
    original_type: &str,
    summary: &str,
    resource: &Value,
    forgery: Forgery,
) -> Result<Notification, SimError> {
    let nonce = crypto::random_hex(12);
    let key = match forgery {
        Forgery::WrongApiV3Key => "0123456789abcdef0123456789abcdef",
        _ => shared.api_v3_key.as_str(),
    };
    let mut ciphertext = crypto::seal(
        key.as_bytes(),
        &nonce,
        original_type,
        resource.to_string().as_bytes(),
    )?;
    if forgery == Forgery::TamperedCiphertext {
        // Swap the first character for another valid base64 one.
        let first = if ciphertext.starts_with('A') {
            "B"
        } else {
            "A"
        };
        ciphertext.replace_range(0..1, first);
    }
    let envelope = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "create_time": wechat_time(Utc::now()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": original_type,
            "nonce": nonce,
        },
    });
    let mut body = envelope.to_string().into_bytes();
    let signer = match forgery {
        Forgery::IntruderKey => shared.intruder_key.clone(),
        _ => shared.platform_key.clone(),
    };
    let key_id = match forgery {
        Forgery::UnknownSerial => "PUB_KEY_ID_0000000000000000000000000000000099",
        _ => shared.key_id.as_str(),
    };
    let timestamp = match forgery {
        Forgery::Stale => Utc::now().timestamp() - 600,
        _ => Utc::now().timestamp(),
    };
    let mut headers = super::auth::signature_headers(
        &signer,
        key_id,
        timestamp,
        &body,
        forgery == Forgery::Probe,
    );
    if forgery == Forgery::BadSignature {
        // Change the summary after signing: still valid JSON, no longer what was signed.
        body = String::from_utf8_lossy(&body)
            .replacen("\"summary\":\"", "\"summary\":\"!", 1)
            .into_bytes();
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(Notification { headers, body })
}

/// `TRANSACTION.SUCCESS` for an order the sim holds (as paid, whatever its state).
pub(crate) fn transaction(
    shared: &Shared,
    out_trade_no: &str,
    forgery: Forgery,
) -> Result<Notification, SimError> {
    let resource = {
        let st = lock(&shared.state);
        let o = st
            .orders
            .get(out_trade_no)
            .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
        let mut o = o.clone();
        o.trade_state = "SUCCESS".into();
        o.trade_state_desc = "支付成功".into();
        o.transaction_id
            .get_or_insert_with(|| format!("4200{}", crypto::random_hex(24)));
        o.success_time.get_or_insert_with(Utc::now);
        transaction_json(shared, &o)
    };
    build(
        shared,
        "TRANSACTION.SUCCESS",
        "transaction",
        "支付成功",
        &resource,
        forgery,
    )
}

impl WechatSim {
    /// The notification the payer's payment of this order would send, forged as asked.
    pub fn transaction_notification(
        &self,
        out_trade_no: &str,
        forgery: Forgery,
    ) -> Result<Notification, SimError> {
        transaction(&self.shared, out_trade_no, forgery)
    }

    /// A genuinely signed and sealed `TRANSACTION.SUCCESS` for an order the sim never
    /// saw (WeChat would never send it; a test checks the service copes).
    pub fn notification_for_unknown_order(
        &self,
        out_trade_no: &str,
        amount_fen: i64,
    ) -> Result<Notification, SimError> {
        let resource = json!({
            "appid": self.shared.app_id, "mchid": self.shared.mch_id,
            "out_trade_no": out_trade_no, "transaction_id": format!("4200{}", crypto::random_hex(24)),
            "trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
            "success_time": wechat_time(Utc::now()),
            "amount": { "total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY" },
        });
        build(
            &self.shared,
            "TRANSACTION.SUCCESS",
            "transaction",
            "支付成功",
            &resource,
            Forgery::None,
        )
    }

    /// The refund's notification in its current state (`REFUND.SUCCESS`, `.ABNORMAL`…).
    pub fn refund_notification(
        &self,
        out_refund_no: &str,
        forgery: Forgery,
    ) -> Result<Notification, SimError> {
        let (event, resource) = {
            let st = lock(&self.shared.state);
            let r = st
                .refunds
                .get(out_refund_no)
                .ok_or_else(|| SimError::NoOrder(out_refund_no.into()))?;
            let tx = st
                .orders
                .get(&r.out_trade_no)
                .and_then(|o| o.transaction_id.clone())
                .unwrap_or_default();
            let full = refund_json(r, &tx);
            let mut resource = json!({
                "mchid": self.shared.mch_id,
                "out_trade_no": r.out_trade_no,
                "transaction_id": tx,
                "out_refund_no": r.out_refund_no,
                "refund_id": r.refund_id,
                "refund_status": r.status,
                "user_received_account": "支付用户零钱",
                "amount": { "total": r.total_fen, "refund": r.refund_fen, "payer_total": r.total_fen, "payer_refund": r.refund_fen },
            });
            if let Some(t) = full.get("success_time") {
                resource["success_time"] = t.clone();
            }
            (format!("REFUND.{}", r.status), resource)
        };
        let summary = if event == "REFUND.SUCCESS" {
            "退款成功"
        } else {
            "退款异常"
        };
        build(&self.shared, &event, "refund", summary, &resource, forgery)
    }
}
