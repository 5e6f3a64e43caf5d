//! The `[charging]` section: where the charging service reaches the services it calls
//! (all in one process by default: `pylon run all` serves every gRPC API on one port),
//! and the order timeouts of its state machine.

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ChargingConfig {
    /// gRPC of the gateway (`DeviceControl`).
    pub gateway_grpc_url: String,
    /// gRPC of the payment service (holds, captures, wallets).
    pub payment_grpc_url: String,
    /// gRPC of the billing service (tariffs, quotes, rating).
    pub billing_grpc_url: String,
    /// An order the pile has not confirmed within this is `start_failed` (its hold is
    /// released). Longer than the gateway's command timeout with its one resend.
    pub start_timeout_secs: u64,
    /// A stopped or ended order whose settlement has not arrived within this is closed
    /// from its last meter sample and marked `needs_review`. Production wants minutes
    /// (a pile that lost its link resends its settlement when it is back); the floor of
    /// 2 s exists so tests can watch the timeout without waiting for it.
    pub settlement_timeout_secs: u64,
    /// Device events (PYLON_DEVICE) the orders consumer handles at once; one device's
    /// events stay in order (the live-state consumer merges batches instead). An order's settlement (rating, capture)
    /// runs inside its `charging_ended` event, so this bounds the settlements in flight.
    /// 1 handles one event at a time. More than the throughput needs (events/s × the
    /// time one takes) only adds statements competing for the database's cores with the
    /// drivers' API calls: at 200 orders/s on two cores, 8 kept up and left the API p99
    /// at 61 ms where 32 gave 105–133 ms (docs/benchmarks.md, "Eighth machine").
    pub device_event_concurrency: usize,
    /// How long a tariff resolution (which tariff version a site's orders use) is kept
    /// between billing's answers, at most; billing's `tariff.changed` events and the
    /// next version's start end it sooner. 0 asks billing every time.
    pub tariff_cache_secs: u64,
}

impl Default for ChargingConfig {
    fn default() -> Self {
        Self {
            gateway_grpc_url: "http://127.0.0.1:50051".into(),
            payment_grpc_url: "http://127.0.0.1:50051".into(),
            billing_grpc_url: "http://127.0.0.1:50051".into(),
            start_timeout_secs: 45,
            settlement_timeout_secs: 600,
            device_event_concurrency: 8,
            tariff_cache_secs: 60,
        }
    }
}

impl ChargingConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, url) in [
            ("charging.gateway_grpc_url", &self.gateway_grpc_url),
            ("charging.payment_grpc_url", &self.payment_grpc_url),
            ("charging.billing_grpc_url", &self.billing_grpc_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    key,
                    problem: "must be an http:// or https:// URL".into(),
                });
            }
        }
        if !(10..=600).contains(&self.start_timeout_secs) {
            return Err(ConfigError::Invalid {
                key: "charging.start_timeout_secs",
                problem: "must be 10..=600".into(),
            });
        }
        if !(2..=86_400).contains(&self.settlement_timeout_secs) {
            return Err(ConfigError::Invalid {
                key: "charging.settlement_timeout_secs",
                problem: "must be 2..=86400".into(),
            });
        }
        if !(1..=1024).contains(&self.device_event_concurrency) {
            return Err(ConfigError::Invalid {
                key: "charging.device_event_concurrency",
                problem: "must be 1..=1024".into(),
            });
        }
        if self.tariff_cache_secs > 3600 {
            return Err(ConfigError::Invalid {
                key: "charging.tariff_cache_secs",
                problem: "must be 0..=3600".into(),
            });
        }
        Ok(())
    }
}
