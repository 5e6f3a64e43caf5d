//! [`PaymentProvider`] for Alipay.

use super::api;
use super::{Alipay, Answer, parse_alipay_time, to_alipay_time};
use crate::providers::money::{fen_to_yuan, yuan_to_fen};
use crate::providers::{
    Ack, Callback, CallbackError, Channel, CreatePayment, Created, PaymentProvider, PaymentStatus,
    ProviderError, ProviderPayment, Refund, RefundState, check_out_no,
};

/// Alipay's limit on `subject`, in characters.
const MAX_SUBJECT_CHARS: usize = 256;

fn read<T: serde::de::DeserializeOwned>(answer: Answer) -> Result<T, ProviderError> {
    serde_json::from_value(answer)
        .map_err(|e| ProviderError::Unknown(format!("unreadable Alipay answer: {e}")))
}

fn yuan(fen: i64, field: &str) -> Result<String, ProviderError> {
    fen_to_yuan(fen).ok_or_else(|| ProviderError::Invalid(format!("{field}: negative")))
}

fn fen(yuan: Option<&str>, field: &str) -> Result<i64, ProviderError> {
    yuan.and_then(yuan_to_fen)
        .ok_or_else(|| ProviderError::Unknown(format!("answer without a valid {field}")))
}

#[async_trait::async_trait]
impl PaymentProvider for Alipay {
    fn name(&self) -> &'static str {
        "alipay"
    }

    async fn create(&self, req: &CreatePayment) -> Result<Created, ProviderError> {
        check_out_no("out_trade_no", &req.out_trade_no)?;
        if req.amount_fen < 1 {
            return Err(ProviderError::Invalid("amount_fen: at least 1".into()));
        }
        if req.description.is_empty() || req.description.chars().count() > MAX_SUBJECT_CHARS {
            return Err(ProviderError::Invalid(format!(
                "description: 1 to {MAX_SUBJECT_CHARS} characters"
            )));
        }
        let mut biz = api::CreateBiz {
            out_trade_no: req.out_trade_no.clone(),
            total_amount: yuan(req.amount_fen, "amount_fen")?,
            subject: req.description.clone(),
            time_expire: req.expires_at.map(to_alipay_time),
            product_code: None,
            buyer_id: None,
            buyer_open_id: None,
        };
        let notify = Some(req.notify_url.as_str());
        match &req.channel {
            Channel::AlipayPrecreate => {
                let a: api::PrecreateAnswer =
                    read(self.call("alipay.trade.precreate", &biz, notify).await?)?;
                Ok(Created::QrCode {
                    code_url: a.qr_code,
                })
            }
            Channel::AlipayCreate { buyer_id } => {
                biz.product_code = Some("JSAPI_PAY");
                // User ids are 16 digits starting 2088; anything else is an OpenID.
                if buyer_id.starts_with("2088") && buyer_id.bytes().all(|b| b.is_ascii_digit()) {
                    biz.buyer_id = Some(buyer_id.clone());
                } else {
                    biz.buyer_open_id = Some(buyer_id.clone());
                }
                let a: api::CreateAnswer =
                    read(self.call("alipay.trade.create", &biz, notify).await?)?;
                Ok(Created::AlipayTrade {
                    trade_no: a.trade_no,
                })
            }
            other => Err(ProviderError::Invalid(format!(
                "channel {other:?} is not Alipay"
            ))),
        }
    }

    async fn query(&self, out_trade_no: &str) -> Result<ProviderPayment, ProviderError> {
        check_out_no("out_trade_no", out_trade_no)?;
        let biz = api::TradeBiz { out_trade_no };
        let a: api::QueryAnswer = match self.call("alipay.trade.query", &biz, None).await {
            Ok(answer) => read(answer)?,
            // A precreated QR code becomes a trade only when scanned: until then
            // Alipay does not know it, and it is simply not paid.
            Err(ProviderError::NotFound(_)) => {
                return Ok(ProviderPayment {
                    out_trade_no: out_trade_no.to_owned(),
                    status: PaymentStatus::Pending,
                });
            }
            Err(e) => return Err(e),
        };
        let status = match a.trade_status.as_str() {
            "WAIT_BUYER_PAY" => PaymentStatus::Pending,
            "TRADE_SUCCESS" | "TRADE_FINISHED" => PaymentStatus::Succeeded {
                transaction_id: a.trade_no.unwrap_or_default(),
                amount_fen: fen(a.total_amount.as_deref(), "total_amount")?,
                paid_at: a
                    .send_pay_date
                    .as_deref()
                    .and_then(parse_alipay_time)
                    .ok_or_else(|| ProviderError::Unknown("paid without send_pay_date".into()))?,
            },
            "TRADE_CLOSED" => PaymentStatus::Closed,
            other => return Err(ProviderError::Unknown(format!("trade_status {other}"))),
        };
        Ok(ProviderPayment {
            out_trade_no: a.out_trade_no,
            status,
        })
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError> {
        check_out_no("out_trade_no", out_trade_no)?;
        match self
            .call("alipay.trade.close", &api::TradeBiz { out_trade_no }, None)
            .await
        {
            // Never scanned: there is nothing to close and nothing can be paid.
            Ok(_) | Err(ProviderError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn refund(&self, req: &Refund) -> Result<RefundState, ProviderError> {
        check_out_no("out_trade_no", &req.out_trade_no)?;
        check_out_no("out_refund_no", &req.out_refund_no)?;
        if req.refund_fen < 1 || req.refund_fen > req.total_fen {
            return Err(ProviderError::Invalid("refund_fen: 1 to total_fen".into()));
        }
        let biz = api::RefundBiz {
            out_trade_no: req.out_trade_no.clone(),
            refund_amount: yuan(req.refund_fen, "refund_fen")?,
            out_request_no: req.out_refund_no.clone(),
            refund_reason: req.reason.clone(),
        };
        let a: api::RefundAnswer = read(self.call("alipay.trade.refund", &biz, None).await?)?;
        if a.fund_change.as_deref() == Some("Y") {
            // Alipay refunds synchronously: Y means this request moved the money.
            return Ok(RefundState::Succeeded {
                refund_id: a.trade_no,
                refund_fen: req.refund_fen,
                succeeded_at: a.gmt_refund_pay.as_deref().and_then(parse_alipay_time),
            });
        }
        // N: a repeat of a refund already made (or not made): ask which.
        self.query_refund(&req.out_trade_no, &req.out_refund_no)
            .await
    }

    async fn query_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        check_out_no("out_trade_no", out_trade_no)?;
        check_out_no("out_refund_no", out_refund_no)?;
        let biz = api::RefundQueryBiz {
            out_trade_no,
            out_request_no: out_refund_no,
            query_options: ["gmt_refund_pay"],
        };
        let a: api::RefundQueryAnswer = read(
            self.call("alipay.trade.fastpay.refund.query", &biz, None)
                .await?,
        )?;
        match (a.out_request_no, a.refund_status.as_deref()) {
            (Some(_), Some("REFUND_SUCCESS")) => Ok(RefundState::Succeeded {
                refund_id: None,
                refund_fen: fen(a.refund_amount.as_deref(), "refund_amount")?,
                succeeded_at: a.gmt_refund_pay.as_deref().and_then(parse_alipay_time),
            }),
            // No completed refund under this number: re-sending the same refund is safe.
            _ => Err(ProviderError::NotFound(format!("refund {out_refund_no}"))),
        }
    }

    fn verify_callback(
        &self,
        _headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Callback, CallbackError> {
        self.read_notification(body)
    }

    fn ack(&self, ok: bool) -> Ack {
        // Anything but the exact text `success` makes Alipay send it again.
        Ack {
            status: if ok {
                http::StatusCode::OK
            } else {
                http::StatusCode::INTERNAL_SERVER_ERROR
            },
            content_type: "text/plain; charset=utf-8",
            body: if ok { "success" } else { "failure" }.into(),
        }
    }
}
