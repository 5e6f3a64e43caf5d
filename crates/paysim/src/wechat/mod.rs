//! A local WeChat Pay API v3 (direct merchant): JSAPI/Native orders, query, close,
//! refunds and their notifications.

mod auth;
mod notify;
mod routes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rsa::{PrivateKey, PublicKey};
use serde_json::{Value, json};

pub use notify::Forgery;

use crate::server::Server;
use crate::{Delivery, Faults, SimError, crypto, keys, lock};

/// How the sim signs: with a "微信支付公钥" named `PUB_KEY_ID_…` (what new merchants
/// get), or as a platform certificate named by its serial (the older mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyMode {
    #[default]
    PublicKey,
    Certificate,
}

/// Everything a client needs to talk to this sim, as a merchant would copy it from the
/// merchant platform.
#[derive(Debug, Clone)]
pub struct WechatCredentials {
    pub mch_id: String,
    pub app_id: String,
    pub merchant_serial_no: String,
    pub merchant_private_key_pem: String,
    pub api_v3_key: String,
    /// `pub_key.pem` or the platform certificate, per [`KeyMode`].
    pub platform_public_key_pem: String,
    pub platform_public_key_id: String,
}

/// What the refund endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefundOutcome {
    /// `PROCESSING`; the test ends it with [`WechatSim::settle_refund`].
    #[default]
    Processing,
    /// `SUCCESS` at once (and a notification).
    Succeed,
}

/// An order as the sim holds it.
#[derive(Debug, Clone)]
pub struct Order {
    pub out_trade_no: String,
    /// `JSAPI` or `NATIVE`.
    pub trade_type: String,
    pub description: String,
    pub amount_fen: i64,
    pub notify_url: String,
    pub openid: Option<String>,
    /// NOTPAY, SUCCESS, REFUND, CLOSED, PAYERROR.
    pub trade_state: String,
    pub trade_state_desc: String,
    pub transaction_id: Option<String>,
    pub success_time: Option<DateTime<Utc>>,
    pub prepay_id: String,
    pub code_url: String,
    pub time_expire: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub refund_id: String,
    pub refund_fen: i64,
    pub total_fen: i64,
    /// PROCESSING, SUCCESS, ABNORMAL, CLOSED.
    pub status: String,
    pub notify_url: Option<String>,
    pub reason: Option<String>,
    pub created: DateTime<Utc>,
    pub success_time: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub(crate) struct State {
    orders: HashMap<String, Order>,
    refunds: HashMap<String, RefundRecord>,
    auto_pay: Option<Duration>,
    refund_outcome: RefundOutcome,
    faults: Faults,
    /// Calls refused for their signature: proves the sim checks.
    refused: u32,
    deliveries: Vec<Delivery>,
}

pub(crate) struct Shared {
    mch_id: String,
    app_id: String,
    merchant_serial: String,
    api_v3_key: String,
    merchant_key: PublicKey,
    platform_key: PrivateKey,
    intruder_key: PrivateKey,
    key_id: String,
    state: Mutex<State>,
}

pub struct WechatSim {
    shared: Arc<Shared>,
    mode: KeyMode,
    server: Server,
}

/// WeChat's time format: RFC 3339, China time.
pub(crate) fn wechat_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::CHINA)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl WechatSim {
    pub async fn start() -> Result<Self, SimError> {
        Self::start_with(KeyMode::PublicKey).await
    }

    pub async fn start_with(mode: KeyMode) -> Result<Self, SimError> {
        let key_id = match mode {
            KeyMode::PublicKey => keys::WECHAT_PUBLIC_KEY_ID,
            KeyMode::Certificate => keys::WECHAT_PLATFORM_CERT_SERIAL,
        };
        let shared = Arc::new(Shared {
            mch_id: keys::WECHAT_MCH_ID.into(),
            app_id: keys::WECHAT_APP_ID.into(),
            merchant_serial: keys::WECHAT_MERCHANT_SERIAL.into(),
            api_v3_key: keys::WECHAT_API_V3_KEY.into(),
            merchant_key: crypto::public_key(keys::WECHAT_MERCHANT_PUB)?,
            platform_key: crypto::private_key(keys::WECHAT_PLATFORM_KEY)?,
            intruder_key: crypto::private_key(keys::INTRUDER_KEY)?,
            key_id: key_id.into(),
            state: Mutex::new(State::default()),
        });
        let server = Server::start(routes::router(shared.clone())).await?;
        Ok(Self {
            shared,
            mode,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`, to put in `payment.wechat.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn credentials(&self) -> WechatCredentials {
        WechatCredentials {
            mch_id: self.shared.mch_id.clone(),
            app_id: self.shared.app_id.clone(),
            merchant_serial_no: self.shared.merchant_serial.clone(),
            merchant_private_key_pem: keys::WECHAT_MERCHANT_KEY.into(),
            api_v3_key: self.shared.api_v3_key.clone(),
            platform_public_key_pem: match self.mode {
                KeyMode::PublicKey => keys::WECHAT_PLATFORM_PUB.into(),
                KeyMode::Certificate => keys::WECHAT_PLATFORM_CERT.into(),
            },
            platform_public_key_id: self.shared.key_id.clone(),
        }
    }

    pub fn order(&self, out_trade_no: &str) -> Option<Order> {
        lock(&self.shared.state).orders.get(out_trade_no).cloned()
    }

    pub fn refund(&self, out_refund_no: &str) -> Option<RefundRecord> {
        lock(&self.shared.state).refunds.get(out_refund_no).cloned()
    }

    /// Requests refused for a wrong signature, merchant or serial so far.
    pub fn refused_requests(&self) -> u32 {
        lock(&self.shared.state).refused
    }

    /// Answers of our callback endpoint to every notification the sim sent.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.state).deliveries.clone()
    }

    /// New orders are paid (with a notification) this long after they are placed.
    pub fn set_auto_pay(&self, after: Option<Duration>) {
        lock(&self.shared.state).auto_pay = after;
    }

    pub fn set_refund_outcome(&self, outcome: RefundOutcome) {
        lock(&self.shared.state).refund_outcome = outcome;
    }

    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared.state).faults = faults;
    }

    /// The payer pays: the order becomes SUCCESS and `TRANSACTION.SUCCESS` goes to its
    /// notify_url. Returns what our endpoint answered.
    pub async fn pay(&self, out_trade_no: &str) -> Result<Delivery, SimError> {
        let url = self.mark_paid(out_trade_no)?;
        let n = self.transaction_notification(out_trade_no, Forgery::None)?;
        self.deliver(&url, &n).await
    }

    /// Paid, without a notification (for query tests, or a lost notification).
    pub fn pay_silently(&self, out_trade_no: &str) -> Result<(), SimError> {
        self.mark_paid(out_trade_no).map(|_| ())
    }

    /// The payment fails (bank refused): PAYERROR.
    pub fn fail(&self, out_trade_no: &str, why: &str) -> Result<(), SimError> {
        let mut s = lock(&self.shared.state);
        let o = s
            .orders
            .get_mut(out_trade_no)
            .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
        o.trade_state = "PAYERROR".into();
        o.trade_state_desc = why.into();
        Ok(())
    }

    fn mark_paid(&self, out_trade_no: &str) -> Result<String, SimError> {
        mark_paid(&self.shared, out_trade_no)
    }

    /// Ends a PROCESSING refund (SUCCESS or ABNORMAL) and notifies its notify_url.
    pub async fn settle_refund(
        &self,
        out_refund_no: &str,
        success: bool,
    ) -> Result<Option<Delivery>, SimError> {
        let url = {
            let mut s = lock(&self.shared.state);
            let r = s
                .refunds
                .get_mut(out_refund_no)
                .ok_or_else(|| SimError::NoOrder(out_refund_no.into()))?;
            r.status = if success { "SUCCESS" } else { "ABNORMAL" }.into();
            r.success_time = success.then(Utc::now);
            r.notify_url.clone()
        };
        match url {
            Some(url) => {
                let n = self.refund_notification(out_refund_no, Forgery::None)?;
                Ok(Some(self.deliver(&url, &n).await?))
            }
            None => Ok(None),
        }
    }

    /// Sends a notification and records the answer.
    pub async fn deliver(&self, url: &str, n: &crate::Notification) -> Result<Delivery, SimError> {
        deliver_and_record(&self.shared, url, n).await
    }
}

pub(crate) fn mark_paid(shared: &Shared, out_trade_no: &str) -> Result<String, SimError> {
    let mut s = lock(&shared.state);
    let o = s
        .orders
        .get_mut(out_trade_no)
        .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
    o.trade_state = "SUCCESS".into();
    o.trade_state_desc = "支付成功".into();
    o.transaction_id = Some(format!("4200{}", crypto::random_hex(24)));
    o.success_time = Some(Utc::now());
    Ok(o.notify_url.clone())
}

pub(crate) async fn deliver_and_record(
    shared: &Shared,
    url: &str,
    n: &crate::Notification,
) -> Result<Delivery, SimError> {
    let d = crate::deliver(url, n).await?;
    lock(&shared.state).deliveries.push(d.clone());
    Ok(d)
}

/// An order as the query endpoint (and the decrypted notification) shows it.
pub(crate) fn transaction_json(shared: &Shared, o: &Order) -> Value {
    let mut t = json!({
        "appid": shared.app_id,
        "mchid": shared.mch_id,
        "out_trade_no": o.out_trade_no,
        "trade_type": o.trade_type,
        "trade_state": o.trade_state,
        "trade_state_desc": o.trade_state_desc,
        "amount": { "total": o.amount_fen, "currency": "CNY" },
    });
    if let Some(id) = &o.transaction_id {
        t["transaction_id"] = json!(id);
        t["bank_type"] = json!("OTHERS");
        t["amount"]["payer_total"] = json!(o.amount_fen);
        t["amount"]["payer_currency"] = json!("CNY");
    }
    if let Some(at) = o.success_time {
        t["success_time"] = json!(wechat_time(at));
    }
    if let Some(openid) = &o.openid {
        t["payer"] = json!({ "openid": openid });
    }
    t
}

pub(crate) fn refund_json(r: &RefundRecord, transaction_id: &str) -> Value {
    let mut v = json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.out_refund_no,
        "transaction_id": transaction_id,
        "out_trade_no": r.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": wechat_time(r.created),
        "status": r.status,
        "amount": {
            "total": r.total_fen, "refund": r.refund_fen,
            "payer_total": r.total_fen, "payer_refund": r.refund_fen,
            "settlement_total": r.total_fen, "settlement_refund": r.refund_fen,
            "discount_refund": 0, "currency": "CNY",
        },
    });
    if let Some(at) = r.success_time {
        v["success_time"] = json!(wechat_time(at));
    }
    v
}
