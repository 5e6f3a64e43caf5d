//! [`PaymentProvider`] for WeChat Pay v3: the five calls and their answers.

use chrono::Utc;
use reqwest::Method;

use super::api;
use super::{WechatPay, parse_wechat_time, sign, to_wechat_time};
use crate::providers::{
    Ack, Callback, CallbackError, Channel, CreatePayment, Created, JsapiParams, PaymentProvider,
    PaymentStatus, ProviderError, ProviderPayment, Refund, RefundState, check_out_no,
};

/// WeChat's limit on `description`, in UTF-8 bytes.
const MAX_DESCRIPTION_BYTES: usize = 127;

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    // Verified but unreadable: something happened that we do not understand.
    serde_json::from_slice(body)
        .map_err(|e| ProviderError::Unknown(format!("unreadable WeChat Pay answer: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, ProviderError> {
    serde_json::to_string(v).map_err(|e| ProviderError::Invalid(e.to_string()))
}

/// A transaction's `trade_state` in our terms.
pub(super) fn payment_status(t: &api::Transaction) -> Result<PaymentStatus, ProviderError> {
    Ok(match t.trade_state.as_str() {
        // REFUND: it was paid; refunds are tracked on their own.
        "SUCCESS" | "REFUND" => PaymentStatus::Succeeded {
            transaction_id: t.transaction_id.clone().unwrap_or_default(),
            amount_fen: t.amount.total.ok_or_else(|| {
                ProviderError::Unknown("paid transaction without amount.total".into())
            })?,
            paid_at: match t.success_time.as_deref().and_then(parse_wechat_time) {
                Some(at) => at,
                None => {
                    // Paid is what matters; the time is bookkeeping, so take ours.
                    tracing::warn!(out_trade_no = %t.out_trade_no, "wechat: paid without a readable success_time");
                    Utc::now()
                }
            },
        },
        "NOTPAY" | "USERPAYING" => PaymentStatus::Pending,
        "CLOSED" | "REVOKED" => PaymentStatus::Closed,
        "PAYERROR" => PaymentStatus::Failed(t.trade_state_desc.clone().unwrap_or_default()),
        other => {
            return Err(ProviderError::Unknown(format!(
                "unknown trade_state {other}"
            )));
        }
    })
}

fn refund_state(r: api::RefundResponse, out_refund_no: &str) -> Result<RefundState, ProviderError> {
    if r.out_refund_no != out_refund_no {
        return Err(ProviderError::Unknown(format!(
            "answer is about refund {}, not {out_refund_no}",
            r.out_refund_no
        )));
    }
    Ok(match r.status.as_str() {
        "SUCCESS" => RefundState::Succeeded {
            refund_id: r.refund_id,
            refund_fen: r.amount.refund.unwrap_or_default(),
            succeeded_at: r.success_time.as_deref().and_then(parse_wechat_time),
        },
        "PROCESSING" => RefundState::Processing {
            refund_id: r.refund_id,
        },
        "CLOSED" | "ABNORMAL" => RefundState::Failed(r.status),
        other => {
            return Err(ProviderError::Unknown(format!(
                "unknown refund status {other}"
            )));
        }
    })
}

impl WechatPay {
    /// The signed parameters for `wx.requestPayment`.
    fn jsapi_params(&self, prepay_id: &str) -> Result<JsapiParams, ProviderError> {
        let time_stamp = Utc::now().timestamp().to_string();
        let nonce_str = uuid::Uuid::new_v4().simple().to_string();
        let package = format!("prepay_id={prepay_id}");
        let message = sign::jsapi_message(&self.app_id, &time_stamp, &nonce_str, &package);
        Ok(JsapiParams {
            app_id: self.app_id.clone(),
            pay_sign: self.signer.sign_base64(message.as_bytes())?,
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".into(),
        })
    }
}

#[async_trait::async_trait]
impl PaymentProvider for WechatPay {
    fn name(&self) -> &'static str {
        "wechat"
    }

    async fn create(&self, req: &CreatePayment) -> Result<Created, ProviderError> {
        check_out_no("out_trade_no", &req.out_trade_no)?;
        if req.amount_fen < 1 {
            return Err(ProviderError::Invalid("amount_fen: at least 1".into()));
        }
        if req.description.is_empty() || req.description.len() > MAX_DESCRIPTION_BYTES {
            return Err(ProviderError::Invalid(format!(
                "description: 1 to {MAX_DESCRIPTION_BYTES} bytes"
            )));
        }
        let (path, payer) = match &req.channel {
            Channel::WechatJsapi { openid } => (
                "/v3/pay/transactions/jsapi",
                Some(api::Payer {
                    openid: openid.clone(),
                }),
            ),
            Channel::WechatNative => ("/v3/pay/transactions/native", None),
            other => {
                return Err(ProviderError::Invalid(format!(
                    "channel {other:?} is not WeChat Pay"
                )));
            }
        };
        let body = to_json(&api::PrepayRequest {
            appid: self.app_id.clone(),
            mchid: self.mch_id.clone(),
            description: req.description.clone(),
            out_trade_no: req.out_trade_no.clone(),
            time_expire: req.expires_at.map(to_wechat_time),
            notify_url: req.notify_url.clone(),
            amount: api::Amount {
                total: req.amount_fen,
                currency: "CNY",
            },
            payer,
        })?;
        let answer: api::PrepayResponse =
            decode(&self.call(Method::POST, path, Some(body)).await?)?;
        match (&req.channel, answer.prepay_id, answer.code_url) {
            (Channel::WechatJsapi { .. }, Some(prepay_id), _) => Ok(Created::WechatJsapi {
                params: self.jsapi_params(&prepay_id)?,
                prepay_id,
            }),
            (Channel::WechatNative, _, Some(code_url)) => Ok(Created::QrCode { code_url }),
            _ => Err(ProviderError::Unknown(
                "answer has neither prepay_id nor code_url".into(),
            )),
        }
    }

    async fn query(&self, out_trade_no: &str) -> Result<ProviderPayment, ProviderError> {
        check_out_no("out_trade_no", out_trade_no)?;
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.mch_id
        );
        let t: api::Transaction = decode(&self.call(Method::GET, &path, None).await?)?;
        Ok(ProviderPayment {
            status: payment_status(&t)?,
            out_trade_no: t.out_trade_no,
        })
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError> {
        check_out_no("out_trade_no", out_trade_no)?;
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
        let body = to_json(&api::CloseRequest {
            mchid: self.mch_id.clone(),
        })?;
        self.call(Method::POST, &path, Some(body)).await?;
        Ok(())
    }

    async fn refund(&self, req: &Refund) -> Result<RefundState, ProviderError> {
        check_out_no("out_trade_no", &req.out_trade_no)?;
        check_out_no("out_refund_no", &req.out_refund_no)?;
        if req.refund_fen < 1 || req.refund_fen > req.total_fen {
            return Err(ProviderError::Invalid("refund_fen: 1 to total_fen".into()));
        }
        let body = to_json(&api::RefundRequest {
            out_trade_no: req.out_trade_no.clone(),
            out_refund_no: req.out_refund_no.clone(),
            reason: (!req.reason.is_empty()).then(|| req.reason.clone()),
            notify_url: req.notify_url.clone(),
            amount: api::RefundAmountRequest {
                refund: req.refund_fen,
                total: req.total_fen,
                currency: "CNY",
            },
        })?;
        let answer = self
            .call(Method::POST, "/v3/refund/domestic/refunds", Some(body))
            .await?;
        refund_state(decode(&answer)?, &req.out_refund_no)
    }

    async fn query_refund(
        &self,
        _out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        check_out_no("out_refund_no", out_refund_no)?;
        let path = format!("/v3/refund/domestic/refunds/{out_refund_no}");
        refund_state(
            decode(&self.call(Method::GET, &path, None).await?)?,
            out_refund_no,
        )
    }

    fn verify_callback(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Callback, CallbackError> {
        self.verify_signed(headers, body)?;
        self.read_notification(body)
    }

    fn ack(&self, ok: bool) -> Ack {
        // v3: 200/204 stops the retries; 4xx/5xx with a code and message asks for them.
        let (status, body) = if ok {
            (
                http::StatusCode::OK,
                r#"{"code":"SUCCESS","message":"成功"}"#,
            )
        } else {
            (
                http::StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"code":"FAIL","message":"失败"}"#,
            )
        };
        Ack {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}
