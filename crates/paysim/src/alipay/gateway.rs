//! `POST /gateway.do`: checks the common parameters and the RSA2 signature as Alipay's
//! gateway does, runs the method, and answers `{"<method>_response":{…},"sign":"…"}`
//! with the signature over the exact text of the response object.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{NaiveDateTime, Utc};
use http::{HeaderMap, Uri};
use serde_json::{Map, Value, json};

use super::{RefundRecord, Shared, Trade, alipay_time};
use crate::money::{fen_to_yuan, yuan_to_fen};
use crate::{crypto, lock};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/gateway.do", post(handle))
        .with_state(shared)
}

/// An answer object before it is wrapped and signed.
type Obj = Map<String, Value>;

const METHODS: [&str; 6] = [
    "alipay.trade.precreate",
    "alipay.trade.create",
    "alipay.trade.query",
    "alipay.trade.close",
    "alipay.trade.refund",
    "alipay.trade.fastpay.refund.query",
];

fn success(fields: Value) -> Obj {
    let mut o = Obj::new();
    o.insert("code".into(), json!("10000"));
    o.insert("msg".into(), json!("Success"));
    if let Value::Object(f) = fields {
        o.extend(f);
    }
    o
}

fn failure(code: &str, msg: &str, sub_code: &str, sub_msg: &str) -> Obj {
    let v = json!({ "code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg });
    match v {
        Value::Object(o) => o,
        _ => Obj::new(),
    }
}

fn business(sub_code: &str, sub_msg: &str) -> Obj {
    failure("40004", "Business Failed", sub_code, sub_msg)
}

fn invalid(sub_code: &str, sub_msg: &str) -> Obj {
    failure("40002", "Invalid Arguments", sub_code, sub_msg)
}

/// Wraps and (when `signed`) signs the answer, keeping the signed text byte-exact.
fn respond(shared: &Shared, key: &str, obj: &Obj, signed: bool) -> Response {
    let inner = Value::Object(obj.clone()).to_string();
    let body = if signed {
        let sig = crypto::sign(&shared.alipay_key, inner.as_bytes()).unwrap_or_default();
        format!("{{\"{key}\":{inner},\"sign\":\"{sig}\"}}")
    } else {
        format!("{{\"{key}\":{inner}}}")
    };
    (
        [(http::header::CONTENT_TYPE, "text/html;charset=utf-8")],
        body,
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let faults = lock(&shared.state).faults.clone();
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    // Common parameters may come in the query string, the rest in the form.
    let mut params: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let is_form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            Ok(p) => params.extend(p),
            Err(_) => {
                return respond(
                    &shared,
                    "error_response",
                    &invalid("isv.invalid-parameter", "参数格式错误"),
                    false,
                );
            }
        }
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let method = get("method");
    if !METHODS.contains(&method) {
        return respond(
            &shared,
            "error_response",
            &invalid("isv.invalid-method", "不存在的方法名"),
            false,
        );
    }
    let key = format!("{}_response", method.replace('.', "_"));
    if let Some(problem) = check_common(&shared, &params) {
        lock(&shared.state).refused += 1;
        return respond(&shared, &key, &problem, false);
    }
    {
        let mut s = lock(&shared.state);
        if s.faults.system_errors > 0 {
            s.faults.system_errors -= 1;
            drop(s);
            return respond(
                &shared,
                &key,
                &failure(
                    "20000",
                    "Service Currently Unavailable",
                    "isp.unknow-error",
                    "系统繁忙",
                ),
                true,
            );
        }
    }
    let biz: Value = match serde_json::from_str(get("biz_content")) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return respond(
                &shared,
                &key,
                &invalid("isv.invalid-biz-content", "biz_content 不是 JSON 对象"),
                false,
            );
        }
    };
    let notify_url = Some(get("notify_url"))
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let answer = match method {
        "alipay.trade.precreate" | "alipay.trade.create" => open(&shared, method, &biz, notify_url),
        "alipay.trade.query" => query(&shared, &biz),
        "alipay.trade.close" => close(&shared, &biz),
        "alipay.trade.refund" => refund(&shared, &biz),
        _ => refund_query(&shared, &biz),
    };
    respond(&shared, &key, &answer, true)
}

/// The common-parameter and signature checks; `Some` is the refusal.
fn check_common(shared: &Shared, params: &[(String, String)]) -> Option<Obj> {
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Some(invalid("isv.invalid-parameter", "参数重复"));
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if get("app_id") != shared.app_id {
        return Some(invalid("isv.invalid-app-id", "无效的AppID参数"));
    }
    if get("sign_type") != "RSA2" {
        return Some(invalid("isv.invalid-signature-type", "无效的签名类型"));
    }
    if !get("charset").eq_ignore_ascii_case("utf-8") {
        return Some(invalid("isv.invalid-charset", "字符集错误"));
    }
    if get("version") != "1.0" {
        return Some(invalid("isv.invalid-version", "版本号错误"));
    }
    let ts = NaiveDateTime::parse_from_str(get("timestamp"), "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| t.and_local_timezone(crate::CHINA).single());
    match ts {
        Some(t) if (Utc::now() - t.with_timezone(&Utc)).num_minutes().abs() <= 10 => {}
        _ => return Some(invalid("isv.invalid-timestamp", "非法的时间戳参数")),
    }
    // The documented sign content: all parameters but `sign`, empty ones dropped, sorted
    // by name, `k=v` joined with `&`, values as sent (not URL-encoded).
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort();
    let content = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    if !crypto::verify(&shared.app_key, content.as_bytes(), get("sign")) {
        return Some(invalid(
            "isv.invalid-signature",
            &format!(
                "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}"
            ),
        ));
    }
    None
}

fn text<'a>(biz: &'a Value, k: &str) -> &'a str {
    biz.get(k).and_then(Value::as_str).unwrap_or("")
}

fn open(shared: &Arc<Shared>, method: &str, biz: &Value, notify_url: Option<String>) -> Obj {
    let out_trade_no = text(biz, "out_trade_no");
    if out_trade_no.is_empty() || out_trade_no.len() > 64 {
        return invalid("isv.missing-parameter", "缺少必选参数 out_trade_no");
    }
    let Some(total) =
        yuan_to_fen(text(biz, "total_amount")).filter(|f| (1..=10_000_000_000).contains(f))
    else {
        return business(
            "ACQ.INVALID_PARAMETER",
            "total_amount 须为 0.01 到 100000000.00 的两位小数",
        );
    };
    let subject = text(biz, "subject");
    if subject.is_empty() || subject.chars().count() > 256 {
        return business("ACQ.INVALID_PARAMETER", "subject 无效");
    }
    let buyer = [text(biz, "buyer_id"), text(biz, "buyer_open_id")]
        .into_iter()
        .find(|b| !b.is_empty());
    if method == "alipay.trade.create" && buyer.is_none() {
        return business("ACQ.INVALID_PARAMETER", "buyer_id 或 buyer_open_id 必填");
    }
    let auto_pay = {
        let mut s = lock(&shared.state);
        if let Some(t) = s.trades.get(out_trade_no) {
            return match t.status.as_str() {
                "TRADE_SUCCESS" => business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
                "TRADE_CLOSED" => business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
                _ if t.total_fen == total && t.method == method => opened(t),
                _ => business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
            };
        }
        let t = Trade {
            out_trade_no: out_trade_no.into(),
            trade_no: format!("2026{}", crypto::random_hex(24)),
            subject: subject.into(),
            total_fen: total,
            notify_url,
            method: method.into(),
            buyer: buyer.map(str::to_owned),
            status: if method == "alipay.trade.precreate" {
                "NOT_SCANNED"
            } else {
                "WAIT_BUYER_PAY"
            }
            .into(),
            qr_code: (method == "alipay.trade.precreate").then(|| {
                format!(
                    "https://qr.alipay.com/bax{}",
                    crypto::random_hex(20).to_lowercase()
                )
            }),
            gmt_create: Utc::now(),
            paid_at: None,
            refunds: Vec::new(),
        };
        let answer = opened(&t);
        s.trades.insert(out_trade_no.into(), t);
        (s.auto_pay, answer)
    };
    let (auto_pay, answer) = auto_pay;
    if let Some(after) = auto_pay {
        let (shared, no) = (shared.clone(), out_trade_no.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Ok(Some(url)) = super::mark_paid(&shared, &no)
                && let Ok(n) =
                    super::notify::build(&shared, &no, "TRADE_SUCCESS", super::Forgery::None)
            {
                // Recorded in deliveries(); nobody waits for it here.
                let _ = super::deliver_and_record(&shared, &url, &n).await;
            }
        });
    }
    answer
}

fn opened(t: &Trade) -> Obj {
    match &t.qr_code {
        Some(qr) => success(json!({ "out_trade_no": t.out_trade_no, "qr_code": qr })),
        None => success(json!({ "out_trade_no": t.out_trade_no, "trade_no": t.trade_no })),
    }
}

fn not_exist() -> Obj {
    business("ACQ.TRADE_NOT_EXIST", "交易不存在")
}

fn query(shared: &Shared, biz: &Value) -> Obj {
    let s = lock(&shared.state);
    let Some(t) = s
        .trades
        .get(text(biz, "out_trade_no"))
        .filter(|t| t.status != "NOT_SCANNED")
    else {
        return not_exist();
    };
    let mut a = json!({
        "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "buyer_logon_id": "159****5620",
        "trade_status": t.status, "total_amount": fen_to_yuan(t.total_fen),
    });
    if let Some(at) = t.paid_at {
        a["send_pay_date"] = json!(alipay_time(at));
        a["buyer_pay_amount"] = json!(fen_to_yuan(t.total_fen));
        a["buyer_user_id"] = json!(t.buyer);
    }
    success(a)
}

fn close(shared: &Shared, biz: &Value) -> Obj {
    let mut s = lock(&shared.state);
    let Some(t) = s
        .trades
        .get_mut(text(biz, "out_trade_no"))
        .filter(|t| t.status != "NOT_SCANNED")
    else {
        return not_exist();
    };
    if t.status == "TRADE_SUCCESS" {
        return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    }
    t.status = "TRADE_CLOSED".into();
    success(json!({ "trade_no": t.trade_no, "out_trade_no": t.out_trade_no }))
}

fn refund(shared: &Shared, biz: &Value) -> Obj {
    let Some(amount) = yuan_to_fen(text(biz, "refund_amount")).filter(|f| *f >= 1) else {
        return business("ACQ.INVALID_PARAMETER", "refund_amount 无效");
    };
    let mut s = lock(&shared.state);
    let Some(t) = s
        .trades
        .get_mut(text(biz, "out_trade_no"))
        .filter(|t| t.status != "NOT_SCANNED")
    else {
        return not_exist();
    };
    let out_request_no = Some(text(biz, "out_request_no"))
        .filter(|r| !r.is_empty())
        .unwrap_or(&t.out_trade_no)
        .to_owned();
    let refunded: i64 = t.refunds.iter().map(|r| r.refund_fen).sum();
    let answer = |t: &Trade, fund_change: &str| {
        let total: i64 = t.refunds.iter().map(|r| r.refund_fen).sum();
        let mut a = json!({
            "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "buyer_logon_id": "159****5620",
            "fund_change": fund_change, "refund_fee": fen_to_yuan(total),
        });
        if let Some(r) = t
            .refunds
            .iter()
            .find(|r| r.out_request_no == out_request_no)
        {
            a["gmt_refund_pay"] = json!(alipay_time(r.at));
        }
        success(a)
    };
    if let Some(r) = t
        .refunds
        .iter()
        .find(|r| r.out_request_no == out_request_no)
    {
        // A repeat: nothing moves again.
        return if r.refund_fen == amount {
            answer(t, "N")
        } else {
            business("ACQ.INVALID_PARAMETER", "退款请求号重复")
        };
    }
    if t.status != "TRADE_SUCCESS" {
        return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    }
    if refunded + amount > t.total_fen {
        return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    }
    t.refunds.push(RefundRecord {
        out_request_no: out_request_no.clone(),
        refund_fen: amount,
        at: Utc::now(),
    });
    if refunded + amount == t.total_fen {
        t.status = "TRADE_CLOSED".into();
    }
    answer(t, "Y")
}

fn refund_query(shared: &Shared, biz: &Value) -> Obj {
    let s = lock(&shared.state);
    let Some(t) = s
        .trades
        .get(text(biz, "out_trade_no"))
        .filter(|t| t.status != "NOT_SCANNED")
    else {
        return not_exist();
    };
    let Some(r) = t
        .refunds
        .iter()
        .find(|r| r.out_request_no == text(biz, "out_request_no"))
    else {
        // Alipay answers an unknown refund with a bare success.
        return success(json!({ "out_trade_no": t.out_trade_no, "trade_no": t.trade_no }));
    };
    let mut a = json!({
        "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "out_request_no": r.out_request_no,
        "total_amount": fen_to_yuan(t.total_fen), "refund_amount": fen_to_yuan(r.refund_fen),
        "refund_status": "REFUND_SUCCESS",
    });
    let wants_time = biz
        .get("query_options")
        .and_then(Value::as_array)
        .is_some_and(|o| o.iter().any(|v| v == "gmt_refund_pay"));
    if wants_time {
        a["gmt_refund_pay"] = json!(alipay_time(r.at));
    }
    success(a)
}
