//! Asynchronous notifications (异步通知, `notify_type=trade_status_sync`): a form POST
//! signed over its sorted parameters without `sign` and `sign_type`.

use serde_json::{Map, Value};

use super::sign::{self, Purpose};
use super::{Alipay, parse_alipay_time};
use crate::providers::money::yuan_to_fen;
use crate::providers::{Callback, CallbackError, CallbackEvent};

/// A notification has a few dozen fields; more is not Alipay.
const MAX_PARAMS: usize = 100;

impl Alipay {
    pub(super) fn read_notification(&self, body: &[u8]) -> Result<Callback, CallbackError> {
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| CallbackError::Malformed(format!("not a form: {e}")))?;
        if params.len() > MAX_PARAMS {
            return Err(CallbackError::Malformed("too many parameters".into()));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let signature = get("sign").ok_or(CallbackError::Missing("sign"))?;
        if get("sign_type") != Some("RSA2") {
            return Err(CallbackError::Malformed("sign_type must be RSA2".into()));
        }
        // A repeated name would let one value be signed and another read.
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(CallbackError::Malformed("repeated parameter".into()));
        }
        let content = sign::content(
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            Purpose::Notification,
        );
        if !self.alipay_key.verify_base64(content.as_bytes(), signature) {
            return Err(CallbackError::BadSignature);
        }
        // Verified: from here on the content is Alipay's.
        match get("app_id") {
            Some(app) if app == self.app_id => {}
            other => {
                return Err(CallbackError::WrongMerchant(
                    other.unwrap_or("(none)").to_owned(),
                ));
            }
        }
        let notify_id = get("notify_id").ok_or(CallbackError::Missing("notify_id"))?;
        let out_trade_no = get("out_trade_no").ok_or(CallbackError::Missing("out_trade_no"))?;
        let status = get("trade_status").unwrap_or_default();
        let event =
            if let Some(out_biz_no) = get("out_biz_no").filter(|_| get("refund_fee").is_some()) {
                // Refunds answer synchronously and refund_fee here is the running total, not
                // this refund: query_refund is the source of truth.
                CallbackEvent::Ignored {
                    reason: format!("refund notice for {out_biz_no}"),
                }
            } else {
                match status {
                    "TRADE_SUCCESS" | "TRADE_FINISHED" => CallbackEvent::PaymentSucceeded {
                        out_trade_no: out_trade_no.to_owned(),
                        transaction_id: get("trade_no")
                            .ok_or(CallbackError::Missing("trade_no"))?
                            .to_owned(),
                        amount_fen: get("total_amount")
                            .and_then(yuan_to_fen)
                            .ok_or(CallbackError::Missing("total_amount"))?,
                        paid_at: get("gmt_payment")
                            .and_then(parse_alipay_time)
                            .ok_or(CallbackError::Missing("gmt_payment"))?,
                    },
                    "TRADE_CLOSED" => CallbackEvent::PaymentFailed {
                        out_trade_no: out_trade_no.to_owned(),
                        reason: "TRADE_CLOSED".into(),
                    },
                    other => CallbackEvent::Ignored {
                        reason: format!("trade_status {other}"),
                    },
                }
            };
        let raw: Map<String, Value> = params
            .iter()
            .filter(|(k, _)| k != "sign")
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Ok(Callback {
            event_id: notify_id.to_owned(),
            event,
            raw: Value::Object(raw),
        })
    }
}
