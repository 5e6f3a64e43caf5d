//! The providers one process offers, built from `[payment]` at start-up: key files are
//! read and parsed here, so a wrong key stops the service at once instead of failing
//! the first payment.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use runtime::config::PaymentConfig;

use super::alipay::{Alipay, AlipayCredentials};
use super::keys::read_key_file;
use super::sandbox::Sandbox;
use super::wechat::{WechatPay, WechatPayCredentials};
use super::{PaymentProvider, ProviderError};

/// The route a provider's notifications are POSTed to.
pub fn callback_path(provider: &str) -> String {
    format!("/api/v1/payment/callbacks/{provider}")
}

/// The notify URL handed to a provider: the public base URL plus [`callback_path`].
pub fn callback_url(notify_base_url: &str, provider: &str) -> String {
    format!(
        "{}{}",
        notify_base_url.trim_end_matches('/'),
        callback_path(provider)
    )
}

#[derive(Default)]
pub struct Providers {
    by_name: BTreeMap<&'static str, Arc<dyn PaymentProvider>>,
    sandbox: Option<Arc<Sandbox>>,
    notify_base_url: String,
}

impl Providers {
    pub fn from_config(c: &PaymentConfig) -> Result<Self, ProviderError> {
        let timeout = Duration::from_millis(c.request_timeout_ms);
        let mut providers = Providers {
            notify_base_url: c.notify_base_url.clone(),
            ..Providers::default()
        };
        if c.wechat.enabled {
            let w = &c.wechat;
            let wechat = WechatPay::new(WechatPayCredentials {
                mch_id: w.mch_id.clone(),
                app_id: w.app_id.clone(),
                merchant_serial_no: w.merchant_serial_no.clone(),
                merchant_private_key_pem: read_key_file(
                    "payment.wechat.merchant_private_key_file",
                    &w.merchant_private_key_file,
                )?,
                api_v3_key: w.api_v3_key.expose().to_owned(),
                platform_public_key_pem: read_key_file(
                    "payment.wechat.platform_public_key_file",
                    &w.platform_public_key_file,
                )?,
                platform_public_key_id: w.platform_public_key_id.clone(),
                base_url: w.base_url.clone(),
                timeout,
            })?;
            providers = providers.with(Arc::new(wechat));
        }
        if c.alipay.enabled {
            let a = &c.alipay;
            let alipay = Alipay::new(AlipayCredentials {
                app_id: a.app_id.clone(),
                app_private_key_pem: read_key_file(
                    "payment.alipay.app_private_key_file",
                    &a.app_private_key_file,
                )?,
                alipay_public_key_pem: read_key_file(
                    "payment.alipay.alipay_public_key_file",
                    &a.alipay_public_key_file,
                )?,
                gateway_url: a.gateway_url.clone(),
                timeout,
            })?;
            providers = providers.with(Arc::new(alipay));
        }
        if c.sandbox.enabled {
            let sandbox = Arc::new(Sandbox::new(Duration::from_millis(
                c.sandbox.settle_after_ms,
            )));
            providers.sandbox = Some(sandbox.clone());
            providers = providers.with(sandbox);
        }
        Ok(providers)
    }

    /// Adds (or replaces) a provider under its name; tests use it with paysim-backed ones.
    pub fn with(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.by_name.insert(provider.name(), provider);
        self
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        self.by_name.get(name).cloned()
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }

    /// The sandbox, whose callbacks arrive in process ([`Sandbox::take_callbacks`]).
    pub fn sandbox(&self) -> Option<&Arc<Sandbox>> {
        self.sandbox.as_ref()
    }

    /// The notify URL to give `provider` in [`super::CreatePayment::notify_url`].
    pub fn notify_url(&self, provider: &str) -> String {
        callback_url(&self.notify_base_url, provider)
    }
}
