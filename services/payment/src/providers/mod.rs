//! Payment providers: WeChat Pay v3, Alipay and a sandbox, behind one trait.
//!
//! The service opens a payment with [`PaymentProvider::create`], learns its outcome from
//! a verified callback ([`PaymentProvider::verify_callback`]) or by asking
//! ([`PaymentProvider::query`]), and refunds through the same provider. Adapters speak
//! the providers' documented protocols; tests run them against `paysim`, local servers
//! that verify our signatures the way the providers do (docs/payments.md, "Providers").

pub mod alipay;
mod error;
mod http;
pub mod keys;
pub mod money;
pub mod sandbox;
mod setup;
mod types;
pub mod wechat;

use chrono::FixedOffset;

pub use error::{CallbackError, ProviderError};
pub use setup::{Providers, callback_path, callback_url};
pub use types::*;

/// China Standard Time: both providers' clocks and formats are in it (no DST).
pub const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// One payment provider. Object-safe: the service holds `Arc<dyn PaymentProvider>`.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// `wechat`, `alipay` or `sandbox`: also the last segment of its callback route.
    fn name(&self) -> &'static str;

    /// Opens a payment. [`ProviderError::Unknown`] means it may exist: query it before
    /// opening another with a different `out_trade_no`.
    async fn create(&self, req: &CreatePayment) -> Result<Created, ProviderError>;

    /// Where the payment stands at the provider.
    async fn query(&self, out_trade_no: &str) -> Result<ProviderPayment, ProviderError>;

    /// Closes an unpaid payment so it can no longer be paid. Closing one the provider
    /// never saw (an unscanned Alipay QR code) succeeds.
    async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError>;

    /// Asks for a refund. Re-sending the same `out_refund_no` is safe.
    async fn refund(&self, req: &Refund) -> Result<RefundState, ProviderError>;

    /// Where a refund stands. Alipay needs the payment's `out_trade_no` too.
    async fn query_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError>;

    /// Verifies a notification POSTed to our callback route (headers and the raw body
    /// exactly as received) and says what it reports. Whether the payment it names
    /// exists, and whether this notification was already handled (by
    /// [`Callback::event_id`]), is the service's business.
    fn verify_callback(
        &self,
        headers: &::http::HeaderMap,
        body: &[u8],
    ) -> Result<Callback, CallbackError>;

    /// The answer the provider expects: `ok` stops its retries, anything else makes it
    /// send the notification again later.
    fn ack(&self, ok: bool) -> Ack;
}
