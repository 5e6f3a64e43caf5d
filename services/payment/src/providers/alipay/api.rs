//! `biz_content` of the Alipay methods we call and the fields of their answers we
//! read (alipay.trade.precreate / create / query / close / refund,
//! alipay.trade.fastpay.refund.query). Amounts are yuan strings here and nowhere else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub struct CreateBiz {
    pub out_trade_no: String,
    pub total_amount: String,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// alipay.trade.create only: `JSAPI_PAY` for mini programs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_code: Option<&'static str>,
    /// alipay.trade.create: the payer as a `2088…` user id …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<String>,
    /// … or as an OpenID, which newer applications get instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TradeBiz<'a> {
    pub out_trade_no: &'a str,
}

#[derive(Debug, Serialize)]
pub struct RefundBiz {
    pub out_trade_no: String,
    pub refund_amount: String,
    pub out_request_no: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub refund_reason: String,
}

#[derive(Debug, Serialize)]
pub struct RefundQueryBiz<'a> {
    pub out_trade_no: &'a str,
    pub out_request_no: &'a str,
    /// Asks for `gmt_refund_pay`, which is not returned by default.
    pub query_options: [&'static str; 1],
}

/// The fields every answer has.
#[derive(Debug, Deserialize)]
pub struct Common {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    pub sub_code: Option<String>,
    pub sub_msg: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PrecreateAnswer {
    pub qr_code: String,
}

#[derive(Debug, Deserialize)]
pub struct CreateAnswer {
    pub trade_no: String,
}

#[derive(Debug, Deserialize)]
pub struct QueryAnswer {
    pub out_trade_no: String,
    pub trade_no: Option<String>,
    /// WAIT_BUYER_PAY, TRADE_CLOSED, TRADE_SUCCESS, TRADE_FINISHED.
    pub trade_status: String,
    pub total_amount: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`, China time.
    pub send_pay_date: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RefundAnswer {
    pub trade_no: Option<String>,
    /// `Y` when this request moved money; `N` when it repeats a refund already made.
    pub fund_change: Option<String>,
    pub gmt_refund_pay: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RefundQueryAnswer {
    pub out_request_no: Option<String>,
    pub refund_amount: Option<String>,
    /// `REFUND_SUCCESS`; absent while not refunded.
    pub refund_status: Option<String>,
    pub gmt_refund_pay: Option<String>,
}
