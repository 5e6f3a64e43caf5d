//! paysim: local stand-ins for WeChat Pay API v3 and the Alipay open platform gateway,
//! so payment tests never mock our own code and never reach the internet.
//!
//! Each sim is an axum server on `127.0.0.1:0` that
//! - verifies our request signatures the way the provider documents it (and answers a
//!   wrong one with the provider's own error), so a test passing against it proves we
//!   sign correctly;
//! - keeps orders and refunds in memory and lets the test decide what happens: pay now,
//!   pay after a delay, fail, stay pending, answer slowly or with a 5xx;
//! - sends notifications to the order's `notify_url`, signed (and for WeChat, encrypted)
//!   as the provider does — and on request forged ones: wrong key, bad signature,
//!   tampered ciphertext, stale timestamp, unknown order, replays.
//!
//! Keys are the fixed TEST-ONLY keys under `testdata/` ([`keys`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), paysim::SimError> {
//! let wechat = paysim::wechat::WechatSim::start().await?;
//! let creds = wechat.credentials(); // what the client under test is configured with
//! // ... create a payment through the client at wechat.base_url() ...
//! let delivery = wechat.pay("ORDER1").await?; // marks it paid, notifies notify_url
//! assert_eq!(delivery.status, 200);
//! # Ok(()) }
//! ```

pub mod alipay;
mod crypto;
pub mod keys;
mod money;
mod server;
pub mod wechat;

use std::sync::{Mutex, MutexGuard};

/// What can go wrong inside a sim (never an answer to the client: those are the
/// provider's own error formats).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("key: {0}")]
    Key(String),
    #[error("io: {0}")]
    Io(String),
    #[error("no such order {0}")]
    NoOrder(String),
    #[error("delivering a notification: {0}")]
    Delivery(String),
}

/// A notification as it goes over the wire: the headers and the exact body.
#[derive(Debug, Clone)]
pub struct Notification {
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// What our callback endpoint answered to a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub status: u16,
    pub body: String,
}

/// POSTs a notification to `url` (loopback in tests) and returns the answer.
pub async fn deliver(url: &str, n: &Notification) -> Result<Delivery, SimError> {
    let resp = reqwest::Client::new()
        .post(url)
        .headers(n.headers.clone())
        .body(n.body.clone())
        .send()
        .await
        .map_err(|e| SimError::Delivery(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .await
        .map_err(|e| SimError::Delivery(e.to_string()))?;
    Ok(Delivery { status, body })
}

/// How a sim's HTTP API behaves, beyond the orders: for timeout and 5xx tests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every answer waits this long first.
    pub delay: Option<std::time::Duration>,
    /// The next N calls are answered with the provider's "system error" (WeChat: HTTP
    /// 500 SYSTEM_ERROR; Alipay: code 20000) after doing nothing.
    pub system_errors: u32,
}

/// China Standard Time, the providers' clock.
pub(crate) const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
