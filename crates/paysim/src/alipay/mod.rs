//! A local Alipay open-platform gateway (`/gateway.do`, RSA2, public-key mode):
//! alipay.trade.precreate / create / query / close / refund and
//! alipay.trade.fastpay.refund.query, plus asynchronous notifications.

mod gateway;
mod notify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rsa::{PrivateKey, PublicKey};

pub use notify::Forgery;

use crate::server::Server;
use crate::{Delivery, Faults, SimError, crypto, keys, lock};

/// What a client needs to talk to this sim.
#[derive(Debug, Clone)]
pub struct AlipayCredentials {
    pub app_id: String,
    pub app_private_key_pem: String,
    pub alipay_public_key_pem: String,
}

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub out_request_no: String,
    pub refund_fen: i64,
    pub at: DateTime<Utc>,
}

/// A trade as the sim holds it.
#[derive(Debug, Clone)]
pub struct Trade {
    pub out_trade_no: String,
    pub trade_no: String,
    pub subject: String,
    pub total_fen: i64,
    pub notify_url: Option<String>,
    /// `alipay.trade.precreate` or `alipay.trade.create`.
    pub method: String,
    pub buyer: Option<String>,
    /// A precreated QR code is no trade until scanned: `NOT_SCANNED`, then
    /// WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED.
    pub status: String,
    pub qr_code: Option<String>,
    pub gmt_create: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub refunds: Vec<RefundRecord>,
}

#[derive(Default)]
pub(crate) struct State {
    trades: HashMap<String, Trade>,
    auto_pay: Option<Duration>,
    faults: Faults,
    refused: u32,
    deliveries: Vec<Delivery>,
}

pub(crate) struct Shared {
    app_id: String,
    app_key: PublicKey,
    alipay_key: PrivateKey,
    state: Mutex<State>,
}

pub struct AlipaySim {
    shared: Arc<Shared>,
    server: Server,
}

/// Alipay's time format, China time.
pub(crate) fn alipay_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::CHINA)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

impl AlipaySim {
    pub async fn start() -> Result<Self, SimError> {
        let shared = Arc::new(Shared {
            app_id: keys::ALIPAY_APP_ID.into(),
            app_key: crypto::public_key(keys::ALIPAY_APP_PUB)?,
            alipay_key: crypto::private_key(keys::ALIPAY_PLATFORM_KEY)?,
            state: Mutex::new(State::default()),
        });
        let server = Server::start(gateway::router(shared.clone())).await?;
        Ok(Self { shared, server })
    }

    /// `http://127.0.0.1:<port>/gateway.do`, to put in `payment.alipay.gateway_url`.
    pub fn gateway_url(&self) -> String {
        format!("http://{}/gateway.do", self.server.addr)
    }

    pub fn credentials(&self) -> AlipayCredentials {
        AlipayCredentials {
            app_id: self.shared.app_id.clone(),
            app_private_key_pem: keys::ALIPAY_APP_KEY.into(),
            alipay_public_key_pem: keys::ALIPAY_PLATFORM_PUB.into(),
        }
    }

    pub fn trade(&self, out_trade_no: &str) -> Option<Trade> {
        lock(&self.shared.state).trades.get(out_trade_no).cloned()
    }

    pub fn refused_requests(&self) -> u32 {
        lock(&self.shared.state).refused
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.state).deliveries.clone()
    }

    /// New trades are paid (with a notification) this long after they are opened.
    pub fn set_auto_pay(&self, after: Option<Duration>) {
        lock(&self.shared.state).auto_pay = after;
    }

    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared.state).faults = faults;
    }

    /// The payer scans a precreated QR code: the trade now exists, unpaid.
    pub fn scan(&self, out_trade_no: &str) -> Result<(), SimError> {
        let mut s = lock(&self.shared.state);
        let t = s
            .trades
            .get_mut(out_trade_no)
            .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
        if t.status == "NOT_SCANNED" {
            t.status = "WAIT_BUYER_PAY".into();
        }
        Ok(())
    }

    /// The payer pays: TRADE_SUCCESS, and the notification goes to its notify_url.
    pub async fn pay(&self, out_trade_no: &str) -> Result<Delivery, SimError> {
        let url = mark_paid(&self.shared, out_trade_no)?
            .ok_or_else(|| SimError::Delivery("trade has no notify_url".into()))?;
        let n = self.notification(out_trade_no, Forgery::None)?;
        self.deliver(&url, &n).await
    }

    pub fn pay_silently(&self, out_trade_no: &str) -> Result<(), SimError> {
        mark_paid(&self.shared, out_trade_no).map(|_| ())
    }

    pub async fn deliver(&self, url: &str, n: &crate::Notification) -> Result<Delivery, SimError> {
        deliver_and_record(&self.shared, url, n).await
    }
}

pub(crate) fn mark_paid(shared: &Shared, out_trade_no: &str) -> Result<Option<String>, SimError> {
    let mut s = lock(&shared.state);
    let t = s
        .trades
        .get_mut(out_trade_no)
        .ok_or_else(|| SimError::NoOrder(out_trade_no.into()))?;
    t.status = "TRADE_SUCCESS".into();
    t.paid_at = Some(Utc::now());
    t.buyer.get_or_insert_with(|| "2088102177846880".into());
    Ok(t.notify_url.clone())
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
