//! The v3 endpoints. One handler takes every request so that the signature check sees
//! the method, the path with its query and the body bytes exactly as they arrived.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};

use super::{Order, RefundOutcome, RefundRecord, Shared, auth, refund_json, transaction_json};
use crate::{crypto, lock};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// A v3 error answer before it is signed (kept small: most calls pass through it).
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

type Answer = Result<Response, Refusal>;

struct Ctx<'a> {
    shared: &'a Arc<Shared>,
}

impl Ctx<'_> {
    fn ok(&self, status: StatusCode, body: Option<Value>) -> Response {
        auth::answer(&self.shared.platform_key, &self.shared.key_id, status, body)
    }
    fn err(&self, status: StatusCode, code: &'static str, message: &str) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
    fn param(&self, message: &str) -> Refusal {
        self.err(StatusCode::BAD_REQUEST, "PARAM_ERROR", message)
    }
    fn render(&self, r: Refusal) -> Response {
        auth::error(
            &self.shared.platform_key,
            &self.shared.key_id,
            r.status,
            r.code,
            &r.message,
        )
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let faults = lock(&shared.state).faults.clone();
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    let ctx = Ctx { shared: &shared };
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if let Err(refused) = auth::check(
        &method,
        path_and_query,
        &headers,
        &body,
        &shared.mch_id,
        &shared.merchant_serial,
        &shared.merchant_key,
    ) {
        lock(&shared.state).refused += 1;
        return ctx.render(ctx.err(StatusCode::UNAUTHORIZED, "SIGN_ERROR", refused.0));
    }
    // The key the merchant says it verifies with must be ours (public-key mode).
    if let Some(serial) = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
        && serial != shared.key_id
    {
        return ctx.render(ctx.err(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Wechatpay-Serial 错误",
        ));
    }
    {
        let mut s = lock(&shared.state);
        if s.faults.system_errors > 0 {
            s.faults.system_errors -= 1;
            drop(s);
            return ctx.render(ctx.err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SYSTEM_ERROR",
                "系统错误",
            ));
        }
    }
    let json_body = || -> Result<Value, Refusal> {
        let is_json = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ctx.err(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "Content-Type 须为 application/json",
            ));
        }
        serde_json::from_slice(&body).map_err(|_| ctx.param("请求体不是合法的 JSON"))
    };
    let path = uri.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let result = match (method.as_str(), segments.as_slice()) {
        ("POST", ["v3", "pay", "transactions", kind @ ("jsapi" | "native")]) => {
            json_body().and_then(|b| prepay(&ctx, kind, &b))
        }
        ("GET", ["v3", "pay", "transactions", "out-trade-no", no]) => query(&ctx, no, uri.query()),
        ("POST", ["v3", "pay", "transactions", "out-trade-no", no, "close"]) => {
            json_body().and_then(|b| close(&ctx, no, &b))
        }
        ("POST", ["v3", "refund", "domestic", "refunds"]) => {
            json_body().and_then(|b| refund(&ctx, &b))
        }
        ("GET", ["v3", "refund", "domestic", "refunds", no]) => query_refund(&ctx, no),
        _ => Err(ctx.err(StatusCode::NOT_FOUND, "NOT_FOUND", "无此接口")),
    };
    result.unwrap_or_else(|r| ctx.render(r))
}

fn valid_out_no(no: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'))
}

fn prepay(ctx: &Ctx, kind: &str, b: &Value) -> Answer {
    let sh = ctx.shared;
    let s = |k: &str| b.get(k).and_then(Value::as_str);
    if s("appid") != Some(sh.app_id.as_str()) || s("mchid") != Some(sh.mch_id.as_str()) {
        return Err(ctx.err(
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        ));
    }
    let description = s("description").unwrap_or_default();
    if description.is_empty() || description.len() > 127 {
        return Err(ctx.param("description 长度须为 1 到 127 字节"));
    }
    let out_trade_no = s("out_trade_no").unwrap_or_default();
    if !valid_out_no(out_trade_no, 6, 32) {
        return Err(ctx.param("out_trade_no 须为 6 到 32 位字母、数字、_-|*"));
    }
    let notify_url = s("notify_url").unwrap_or_default();
    if !(notify_url.starts_with("https://") || notify_url.starts_with("http://"))
        || notify_url.len() > 255
    {
        return Err(ctx.param("notify_url 格式错误"));
    }
    let total = b
        .pointer("/amount/total")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if total < 1 {
        return Err(ctx.param("amount.total 须为正整数（分）"));
    }
    if b.pointer("/amount/currency")
        .and_then(Value::as_str)
        .is_some_and(|c| c != "CNY")
    {
        return Err(ctx.param("amount.currency 须为 CNY"));
    }
    let openid = b
        .pointer("/payer/openid")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if kind == "jsapi" && openid.as_deref().is_none_or(str::is_empty) {
        return Err(ctx.param("payer.openid 必填"));
    }
    let time_expire = s("time_expire").map(str::to_owned);
    if time_expire
        .as_deref()
        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_err())
    {
        return Err(ctx.param("time_expire 须为 RFC 3339"));
    }
    let trade_type = kind.to_uppercase();
    let answer = |o: &Order| match kind {
        "jsapi" => json!({ "prepay_id": o.prepay_id }),
        _ => json!({ "code_url": o.code_url }),
    };
    let auto_pay = {
        let mut st = lock(&sh.state);
        if let Some(o) = st.orders.get(out_trade_no) {
            // The same order again gets the same answer; anything else is refused.
            let same =
                o.amount_fen == total && o.trade_type == trade_type && o.description == description;
            return match o.trade_state.as_str() {
                "SUCCESS" | "REFUND" => {
                    Err(ctx.err(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付"))
                }
                "CLOSED" => Err(ctx.err(StatusCode::BAD_REQUEST, "ORDER_CLOSED", "该订单已关闭")),
                _ if same => Ok(ctx.ok(StatusCode::OK, Some(answer(o)))),
                _ => Err(ctx.err(
                    StatusCode::BAD_REQUEST,
                    "OUT_TRADE_NO_USED",
                    "商户订单号重复",
                )),
            };
        }
        let o = Order {
            out_trade_no: out_trade_no.into(),
            trade_type,
            description: description.into(),
            amount_fen: total,
            notify_url: notify_url.into(),
            openid,
            trade_state: "NOTPAY".into(),
            trade_state_desc: "订单未支付".into(),
            transaction_id: None,
            success_time: None,
            prepay_id: format!("wx{}", crypto::random_hex(30).to_lowercase()),
            code_url: format!("weixin://wxpay/bizpayurl?pr={}", crypto::random_hex(7)),
            time_expire,
        };
        let body = answer(&o);
        st.orders.insert(out_trade_no.into(), o);
        (st.auto_pay, body)
    };
    let (auto_pay, body) = auto_pay;
    if let Some(after) = auto_pay {
        spawn_pay(ctx.shared, out_trade_no.to_owned(), after);
    }
    Ok(ctx.ok(StatusCode::OK, Some(body)))
}

/// Pays the order after `after` and notifies, as a payer scanning a little later would.
fn spawn_pay(shared: &Arc<Shared>, out_trade_no: String, after: std::time::Duration) {
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        if let Ok(url) = super::mark_paid(&shared, &out_trade_no)
            && let Ok(n) = super::notify::transaction(&shared, &out_trade_no, super::Forgery::None)
        {
            // The answer is recorded in deliveries(); nobody waits for it here.
            let _ = super::deliver_and_record(&shared, &url, &n).await;
        }
    });
}

fn query(ctx: &Ctx, no: &str, query: Option<&str>) -> Answer {
    let mchid = query
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "mchid")
                .map(|(_, v)| v)
        });
    if mchid.as_deref() != Some(ctx.shared.mch_id.as_str()) {
        return Err(ctx.param("mchid 须与商户号一致"));
    }
    let st = lock(&ctx.shared.state);
    let o = st
        .orders
        .get(no)
        .ok_or_else(|| ctx.err(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"))?;
    Ok(ctx.ok(StatusCode::OK, Some(transaction_json(ctx.shared, o))))
}

fn close(ctx: &Ctx, no: &str, b: &Value) -> Answer {
    if b.get("mchid").and_then(Value::as_str) != Some(ctx.shared.mch_id.as_str()) {
        return Err(ctx.param("mchid 须与商户号一致"));
    }
    let mut st = lock(&ctx.shared.state);
    let o = st
        .orders
        .get_mut(no)
        .ok_or_else(|| ctx.err(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"))?;
    if matches!(o.trade_state.as_str(), "SUCCESS" | "REFUND") {
        return Err(ctx.err(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付"));
    }
    o.trade_state = "CLOSED".into();
    o.trade_state_desc = "订单已关闭".into();
    Ok(ctx.ok(StatusCode::NO_CONTENT, None))
}

fn refund(ctx: &Ctx, b: &Value) -> Answer {
    let s = |k: &str| b.get(k).and_then(Value::as_str);
    let out_refund_no = s("out_refund_no").unwrap_or_default();
    if !valid_out_no(out_refund_no, 1, 64) {
        return Err(ctx.param("out_refund_no 格式错误"));
    }
    let out_trade_no = s("out_trade_no").ok_or_else(|| ctx.param("out_trade_no 必填"))?;
    let refund = b
        .pointer("/amount/refund")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let total = b
        .pointer("/amount/total")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if refund < 1 || b.pointer("/amount/currency").and_then(Value::as_str) != Some("CNY") {
        return Err(ctx.param("amount 格式错误"));
    }
    let notify_url = s("notify_url").map(str::to_owned);
    let mut st = lock(&ctx.shared.state);
    if let Some(r) = st.refunds.get(out_refund_no) {
        if r.out_trade_no != out_trade_no || r.refund_fen != refund {
            return Err(ctx.err(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "退款单号重复"));
        }
        let tx = st
            .orders
            .get(out_trade_no)
            .and_then(|o| o.transaction_id.clone())
            .unwrap_or_default();
        return Ok(ctx.ok(StatusCode::OK, Some(refund_json(r, &tx))));
    }
    let refunded: i64 = st
        .refunds
        .values()
        .filter(|r| {
            r.out_trade_no == out_trade_no && r.status != "ABNORMAL" && r.status != "CLOSED"
        })
        .map(|r| r.refund_fen)
        .sum();
    let outcome = st.refund_outcome;
    let o = st
        .orders
        .get_mut(out_trade_no)
        .ok_or_else(|| ctx.err(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在"))?;
    if !matches!(o.trade_state.as_str(), "SUCCESS" | "REFUND") {
        return Err(ctx.err(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "订单未支付"));
    }
    if total != o.amount_fen {
        return Err(ctx.param("amount.total 与订单金额不一致"));
    }
    if refunded + refund > o.amount_fen {
        return Err(ctx.err(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "申请退款金额超过订单可退金额",
        ));
    }
    o.trade_state = "REFUND".into();
    o.trade_state_desc = "转入退款".into();
    let tx = o.transaction_id.clone().unwrap_or_default();
    let now = Utc::now();
    let r = RefundRecord {
        out_refund_no: out_refund_no.into(),
        out_trade_no: out_trade_no.into(),
        refund_id: format!("5030{}", crypto::random_hex(24)),
        refund_fen: refund,
        total_fen: total,
        status: match outcome {
            RefundOutcome::Processing => "PROCESSING".into(),
            RefundOutcome::Succeed => "SUCCESS".into(),
        },
        notify_url,
        reason: s("reason").map(str::to_owned),
        created: now,
        success_time: (outcome == RefundOutcome::Succeed).then_some(now),
    };
    let body = refund_json(&r, &tx);
    st.refunds.insert(out_refund_no.into(), r);
    Ok(ctx.ok(StatusCode::OK, Some(body)))
}

fn query_refund(ctx: &Ctx, no: &str) -> Answer {
    let st = lock(&ctx.shared.state);
    let r = st
        .refunds
        .get(no)
        .ok_or_else(|| ctx.err(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"))?;
    let tx = st
        .orders
        .get(&r.out_trade_no)
        .and_then(|o| o.transaction_id.clone())
        .unwrap_or_default();
    Ok(ctx.ok(StatusCode::OK, Some(refund_json(r, &tx))))
}
