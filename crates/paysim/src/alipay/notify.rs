//! Asynchronous notifications (`trade_status_sync`): a form signed over its sorted
//! parameters without `sign` and `sign_type` — genuine, or forged on request.

use chrono::Utc;
use http::HeaderValue;

use super::{AlipaySim, Shared, Trade, alipay_time};
use crate::money::fen_to_yuan;
use crate::{Notification, SimError, crypto, keys, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    None,
    /// The signature's bytes altered.
    BadSignature,
    /// Genuinely signed, then `total_amount` raised: what a tamperer would try.
    TamperedAmount,
    /// Signed with a key that is not Alipay's.
    IntruderKey,
    /// Genuinely signed, for another application.
    WrongApp,
    /// No `sign` at all.
    Unsigned,
}

fn form(trade: &Trade, app_id: &str, status: &str) -> Vec<(String, String)> {
    let now = Utc::now();
    let mut p: Vec<(&str, String)> = vec![
        ("notify_time", alipay_time(now)),
        ("notify_type", "trade_status_sync".into()),
        (
            "notify_id",
            format!("2026{}", crypto::random_hex(28).to_lowercase()),
        ),
        ("app_id", app_id.into()),
        ("charset", "utf-8".into()),
        ("version", "1.0".into()),
        ("sign_type", "RSA2".into()),
        ("trade_no", trade.trade_no.clone()),
        ("out_trade_no", trade.out_trade_no.clone()),
        (
            "buyer_id",
            trade
                .buyer
                .clone()
                .unwrap_or_else(|| "2088102177846880".into()),
        ),
        ("buyer_logon_id", "159****5620".into()),
        ("seller_id", "2088101106499364".into()),
        ("trade_status", status.into()),
        ("total_amount", fen_to_yuan(trade.total_fen)),
        ("receipt_amount", fen_to_yuan(trade.total_fen)),
        ("buyer_pay_amount", fen_to_yuan(trade.total_fen)),
        ("subject", trade.subject.clone()),
        ("gmt_create", alipay_time(trade.gmt_create)),
        (
            "fund_bill_list",
            format!(
                "[{{\"amount\":\"{}\",\"fundChannel\":\"ALIPAYACCOUNT\"}}]",
                fen_to_yuan(trade.total_fen)
            ),
        ),
    ];
    if status != "WAIT_BUYER_PAY" {
        p.push(("gmt_payment", alipay_time(trade.paid_at.unwrap_or(now))));
    }
    if status == "TRADE_CLOSED" {
        p.push(("gmt_close", alipay_time(now)));
    }
    p.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The notification for `trade` in `status`, forged as asked.
fn sign_form(
    shared: &Shared,
    trade: &Trade,
    status: &str,
    forgery: Forgery,
) -> Result<Notification, SimError> {
    let app_id = if forgery == Forgery::WrongApp {
        "2021009999999999"
    } else {
        shared.app_id.as_str()
    };
    let mut params = form(trade, app_id, status);
    // Documented content: without sign and sign_type, empty values dropped, sorted.
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && k != "sign_type" && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort();
    let content = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let signer = if forgery == Forgery::IntruderKey {
        crypto::private_key(keys::INTRUDER_KEY)?
    } else {
        shared.alipay_key.clone()
    };
    let mut sign = crypto::sign(&signer, content.as_bytes())?;
    match forgery {
        Forgery::BadSignature => {
            let first = if sign.starts_with('A') { "B" } else { "A" };
            sign.replace_range(0..1, first);
        }
        Forgery::TamperedAmount => {
            for (k, v) in params.iter_mut() {
                if k == "total_amount" {
                    *v = fen_to_yuan(trade.total_fen * 100);
                }
            }
        }
        _ => {}
    }
    if forgery != Forgery::Unsigned {
        params.push(("sign".into(), sign));
    }
    let body =
        serde_urlencoded::to_string(&params).map_err(|e| SimError::Delivery(e.to_string()))?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    Ok(Notification {
        headers,
        body: body.into_bytes(),
    })
}

pub(crate) fn build(
    shared: &Shared,
    out_trade_no: &str,
    status: &str,
    forgery: Forgery,
) -> Result<Notification, SimError> {
    let trade = lock(&shared.state)
        .trades
        .get(out_trade_no)
        .cloned()
        .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
    sign_form(shared, &trade, status, forgery)
}

impl AlipaySim {
    /// `TRADE_SUCCESS` for this trade (whatever its state), forged as asked.
    pub fn notification(
        &self,
        out_trade_no: &str,
        forgery: Forgery,
    ) -> Result<Notification, SimError> {
        build(&self.shared, out_trade_no, "TRADE_SUCCESS", forgery)
    }

    /// A genuine notification of this trade in another status (`TRADE_CLOSED`, …).
    pub fn notification_with_status(
        &self,
        out_trade_no: &str,
        status: &str,
    ) -> Result<Notification, SimError> {
        build(&self.shared, out_trade_no, status, Forgery::None)
    }

    /// Genuinely signed `TRADE_SUCCESS` for a trade the sim never opened.
    pub fn notification_for_unknown_order(
        &self,
        out_trade_no: &str,
        amount_fen: i64,
    ) -> Result<Notification, SimError> {
        let trade = Trade {
            out_trade_no: out_trade_no.into(),
            trade_no: format!("2026{}", crypto::random_hex(24)),
            subject: "unknown".into(),
            total_fen: amount_fen,
            notify_url: None,
            method: "alipay.trade.precreate".into(),
            buyer: None,
            status: "TRADE_SUCCESS".into(),
            qr_code: None,
            gmt_create: Utc::now(),
            paid_at: Some(Utc::now()),
            refunds: Vec::new(),
        };
        sign_form(&self.shared, &trade, "TRADE_SUCCESS", Forgery::None)
    }
}
