//! What the service says to a provider and what it hears back, the same for every
//! provider. Amounts are integer fen (分) everywhere; only the Alipay adapter turns
//! them into yuan strings at its edge.

use chrono::{DateTime, Utc};

/// The longest `out_trade_no` / `out_refund_no` both providers accept.
pub const MAX_OUT_NO_LEN: usize = 32;

/// How the payer pays; decides which provider API is called and what [`Created`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// WeChat inside a mini program or official account: `wx.requestPayment`.
    WechatJsapi { openid: String },
    /// WeChat QR code (Native): the payer scans `code_url`.
    WechatNative,
    /// Alipay QR code (当面付 precreate): the payer scans `qr_code`.
    AlipayPrecreate,
    /// Alipay in a mini program (`my.tradePay` with the trade number) for a known buyer.
    AlipayCreate { buyer_id: String },
    /// The play-money provider.
    Sandbox,
}

/// A payment to open at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    /// Our id for it, at most [`MAX_OUT_NO_LEN`] characters of `[A-Za-z0-9_-]`.
    pub out_trade_no: String,
    /// At least 1.
    pub amount_fen: i64,
    /// Shown to the payer (WeChat `description`, Alipay `subject`).
    pub description: String,
    /// Where the provider reports the outcome (our callback route).
    pub notify_url: String,
    pub channel: Channel,
    /// After this the payer can no longer pay; `None` keeps the provider's default.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The parameters `wx.requestPayment` takes, signed by us (field names as WeChat's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JsapiParams {
    #[serde(rename = "appId")]
    pub app_id: String,
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// Always `RSA` in API v3.
    #[serde(rename = "signType")]
    pub sign_type: String,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

/// What the payer's client needs to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    WechatJsapi {
        prepay_id: String,
        params: JsapiParams,
    },
    /// WeChat Native `code_url`, Alipay precreate `qr_code`, or a sandbox URL: render as
    /// a QR code.
    QrCode { code_url: String },
    /// Alipay `trade_no` for `my.tradePay`.
    AlipayTrade { trade_no: String },
}

/// Where a payment stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Not paid yet (or the payer is still entering a password).
    Pending,
    Succeeded {
        /// The provider's own id of the payment (WeChat `transaction_id`, Alipay `trade_no`).
        transaction_id: String,
        amount_fen: i64,
        paid_at: DateTime<Utc>,
    },
    /// Closed unpaid (expired, closed by us, revoked). Alipay also says closed for a
    /// trade that was paid and then refunded in full; the service knows it from its refunds.
    Closed,
    /// Payment attempted and failed (e.g. the bank refused).
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub out_trade_no: String,
    pub status: PaymentStatus,
}

/// A refund of (part of) a paid payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub out_trade_no: String,
    /// Our id for the refund; re-sending the same one is safe at every provider.
    pub out_refund_no: String,
    pub refund_fen: i64,
    /// The original payment's amount (WeChat checks it).
    pub total_fen: i64,
    pub reason: String,
    /// Where WeChat reports the refund's outcome; Alipay refunds answer at once.
    pub notify_url: Option<String>,
}

/// Where a refund stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// Accepted, money not back yet: a callback (or a later query) tells the end.
    Processing { refund_id: Option<String> },
    Succeeded {
        refund_id: Option<String>,
        refund_fen: i64,
        succeeded_at: Option<DateTime<Utc>>,
    },
    /// Will not happen (closed, abnormal: e.g. the payer's card was cancelled).
    Failed(String),
}

/// A verified provider notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The provider's id of this notification (WeChat `id`, Alipay `notify_id`): a
    /// provider re-sends a notification with the same id until acknowledged, so the
    /// service records it and acts once.
    pub event_id: String,
    pub event: CallbackEvent,
    /// The verified (and for WeChat decrypted) content, for the audit trail.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    PaymentSucceeded {
        out_trade_no: String,
        transaction_id: String,
        amount_fen: i64,
        paid_at: DateTime<Utc>,
    },
    PaymentFailed {
        out_trade_no: String,
        reason: String,
    },
    RefundSucceeded {
        out_trade_no: String,
        out_refund_no: String,
        refund_id: Option<String>,
        refund_fen: i64,
        succeeded_at: Option<DateTime<Utc>>,
    },
    RefundFailed {
        out_trade_no: String,
        out_refund_no: String,
        reason: String,
    },
    /// Genuine, but nothing to act on (an Alipay refund notice, whose result the refund
    /// call already gave; a state change we do not track): acknowledge it, or the
    /// provider keeps re-sending it.
    Ignored { reason: String },
}

/// The HTTP answer a provider expects to a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub status: http::StatusCode,
    pub content_type: &'static str,
    pub body: String,
}

impl Ack {
    /// As an axum response, so a callback route is `provider.ack(ok).into_response()`.
    pub fn into_response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        (
            self.status,
            [(http::header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

/// Checks an `out_trade_no` / `out_refund_no` before it leaves the process.
pub fn check_out_no(field: &'static str, no: &str) -> Result<(), super::ProviderError> {
    let ok = !no.is_empty()
        && no.len() <= MAX_OUT_NO_LEN
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(super::ProviderError::Invalid(format!(
            "{field}: 1 to {MAX_OUT_NO_LEN} characters of A-Z a-z 0-9 _ -"
        )))
    }
}
