//! The JSON bodies of the WeChat Pay v3 endpoints we call, as documented (JSAPI/Native
//! 下单, 查询订单, 关闭订单, 退款申请, 查询单笔退款, 支付/退款结果通知). Fields we do not read are
//! left out: serde ignores what it does not know, so WeChat may add fields freely.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub struct Amount {
    pub total: i64,
    pub currency: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Payer {
    pub openid: String,
}

/// `POST /v3/pay/transactions/{jsapi,native}`.
#[derive(Debug, Serialize)]
pub struct PrepayRequest {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    pub notify_url: String,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
}

#[derive(Debug, Deserialize)]
pub struct PrepayResponse {
    /// JSAPI.
    pub prepay_id: Option<String>,
    /// Native.
    pub code_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CloseRequest {
    pub mchid: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct TransactionAmount {
    /// The order amount in fen.
    pub total: Option<i64>,
}

/// A transaction as `GET /v3/pay/transactions/out-trade-no/{no}` returns it, and the
/// decrypted resource of a `TRANSACTION.*` notification.
#[derive(Debug, Deserialize)]
pub struct Transaction {
    pub mchid: Option<String>,
    pub appid: Option<String>,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR.
    pub trade_state: String,
    pub trade_state_desc: Option<String>,
    /// RFC 3339, e.g. `2018-06-08T10:34:56+08:00`.
    pub success_time: Option<String>,
    #[serde(default)]
    pub amount: TransactionAmount,
}

#[derive(Debug, Serialize)]
pub struct RefundAmountRequest {
    pub refund: i64,
    pub total: i64,
    pub currency: &'static str,
}

/// `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Serialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    pub amount: RefundAmountRequest,
}

#[derive(Debug, Deserialize, Default)]
pub struct RefundAmount {
    pub refund: Option<i64>,
}

/// A refund as the refund endpoints return it.
#[derive(Debug, Deserialize)]
pub struct RefundResponse {
    pub refund_id: Option<String>,
    pub out_refund_no: String,
    /// SUCCESS, CLOSED, PROCESSING, ABNORMAL.
    pub status: String,
    pub success_time: Option<String>,
    #[serde(default)]
    pub amount: RefundAmount,
}

/// The decrypted resource of a `REFUND.*` notification.
#[derive(Debug, Deserialize)]
pub struct RefundResource {
    pub mchid: Option<String>,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_id: Option<String>,
    /// SUCCESS, CLOSED, ABNORMAL.
    pub refund_status: String,
    pub success_time: Option<String>,
    #[serde(default)]
    pub amount: RefundAmount,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A notification as POSTed to our callback URL.
#[derive(Debug, Deserialize)]
pub struct Notification {
    pub id: String,
    pub create_time: Option<String>,
    pub event_type: String,
    pub resource_type: Option<String>,
    pub summary: Option<String>,
    pub resource: EncryptedResource,
}

#[derive(Debug, Deserialize)]
pub struct EncryptedResource {
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
}
