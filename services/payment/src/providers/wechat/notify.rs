//! A verified notification's envelope, decrypted and turned into a [`Callback`]
//! (支付成功通知 `TRANSACTION.SUCCESS`, 退款结果通知 `REFUND.SUCCESS|ABNORMAL|CLOSED`).

use serde_json::json;

use super::api::{Notification, RefundResource, Transaction};
use super::provider::payment_status;
use super::{WechatPay, crypto, parse_wechat_time};
use crate::providers::{Callback, CallbackError, CallbackEvent, PaymentStatus};

fn malformed(e: impl std::fmt::Display) -> CallbackError {
    CallbackError::Malformed(e.to_string())
}

impl WechatPay {
    /// `body` has been verified: it is WeChat's. Decrypts the resource and reads it.
    pub(super) fn read_notification(&self, body: &[u8]) -> Result<Callback, CallbackError> {
        let n: Notification = serde_json::from_slice(body).map_err(malformed)?;
        if n.resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(CallbackError::Unsupported(format!(
                "algorithm {}",
                n.resource.algorithm
            )));
        }
        let plain = crypto::decrypt(
            &self.api_v3_key,
            &n.resource.associated_data,
            &n.resource.nonce,
            &n.resource.ciphertext,
        )?;
        let resource: serde_json::Value = serde_json::from_slice(&plain).map_err(malformed)?;
        let event = if n.event_type.starts_with("TRANSACTION.") {
            self.transaction_event(&resource)?
        } else if n.event_type.starts_with("REFUND.") {
            self.refund_event(&resource)?
        } else {
            CallbackEvent::Ignored {
                reason: format!("event_type {}", n.event_type),
            }
        };
        Ok(Callback {
            raw: json!({
                "id": n.id,
                "create_time": n.create_time,
                "event_type": n.event_type,
                "resource_type": n.resource_type,
                "summary": n.summary,
                "resource": resource,
            }),
            event_id: n.id,
            event,
        })
    }

    fn check_merchant(&self, mchid: Option<&str>) -> Result<(), CallbackError> {
        match mchid {
            Some(m) if m == self.mch_id => Ok(()),
            other => Err(CallbackError::WrongMerchant(
                other.unwrap_or("(none)").to_owned(),
            )),
        }
    }

    fn transaction_event(
        &self,
        resource: &serde_json::Value,
    ) -> Result<CallbackEvent, CallbackError> {
        let t: Transaction = serde_json::from_value(resource.clone()).map_err(malformed)?;
        self.check_merchant(t.mchid.as_deref())?;
        if t.appid.as_deref().is_some_and(|a| a != self.app_id) {
            return Err(CallbackError::WrongMerchant(format!(
                "appid {}",
                t.appid.unwrap_or_default()
            )));
        }
        match payment_status(&t).map_err(malformed)? {
            PaymentStatus::Succeeded {
                transaction_id,
                amount_fen,
                paid_at,
            } => Ok(CallbackEvent::PaymentSucceeded {
                out_trade_no: t.out_trade_no,
                transaction_id,
                amount_fen,
                paid_at,
            }),
            PaymentStatus::Closed | PaymentStatus::Failed(_) => Ok(CallbackEvent::PaymentFailed {
                reason: t.trade_state_desc.unwrap_or(t.trade_state),
                out_trade_no: t.out_trade_no,
            }),
            PaymentStatus::Pending => Ok(CallbackEvent::Ignored {
                reason: format!("transaction {} is {}", t.out_trade_no, t.trade_state),
            }),
        }
    }

    fn refund_event(&self, resource: &serde_json::Value) -> Result<CallbackEvent, CallbackError> {
        let r: RefundResource = serde_json::from_value(resource.clone()).map_err(malformed)?;
        self.check_merchant(r.mchid.as_deref())?;
        Ok(match r.refund_status.as_str() {
            "SUCCESS" => CallbackEvent::RefundSucceeded {
                out_trade_no: r.out_trade_no,
                out_refund_no: r.out_refund_no,
                refund_id: r.refund_id,
                refund_fen: r
                    .amount
                    .refund
                    .ok_or_else(|| malformed("refund notification without amount.refund"))?,
                succeeded_at: r.success_time.as_deref().and_then(parse_wechat_time),
            },
            "CLOSED" | "ABNORMAL" => CallbackEvent::RefundFailed {
                out_trade_no: r.out_trade_no,
                out_refund_no: r.out_refund_no,
                reason: r.refund_status,
            },
            other => CallbackEvent::Ignored {
                reason: format!("refund {} is {other}", r.out_refund_no),
            },
        })
    }
}
