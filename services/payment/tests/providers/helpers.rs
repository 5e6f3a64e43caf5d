//! Clients configured for a sim, and a callback endpoint that verifies with the
//! provider under test and answers with its ack, like the service's route does.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use http::HeaderMap;
use payment::providers::alipay::{Alipay, AlipayCredentials};
use payment::providers::wechat::{WechatPay, WechatPayCredentials};
use payment::providers::{Callback, CallbackError, PaymentProvider};
use tokio::sync::mpsc;

pub const TIMEOUT: Duration = Duration::from_secs(5);

pub fn wechat_credentials(sim: &paysim::wechat::WechatSim) -> WechatPayCredentials {
    let c = sim.credentials();
    WechatPayCredentials {
        mch_id: c.mch_id,
        app_id: c.app_id,
        merchant_serial_no: c.merchant_serial_no,
        merchant_private_key_pem: c.merchant_private_key_pem,
        api_v3_key: c.api_v3_key,
        platform_public_key_pem: c.platform_public_key_pem,
        platform_public_key_id: c.platform_public_key_id,
        base_url: sim.base_url(),
        timeout: TIMEOUT,
    }
}

pub fn wechat(sim: &paysim::wechat::WechatSim) -> WechatPay {
    WechatPay::new(wechat_credentials(sim)).unwrap()
}

pub fn alipay_credentials(sim: &paysim::alipay::AlipaySim) -> AlipayCredentials {
    let c = sim.credentials();
    AlipayCredentials {
        app_id: c.app_id,
        app_private_key_pem: c.app_private_key_pem,
        alipay_public_key_pem: c.alipay_public_key_pem,
        gateway_url: sim.gateway_url(),
        timeout: TIMEOUT,
    }
}

pub fn alipay(sim: &paysim::alipay::AlipaySim) -> Alipay {
    Alipay::new(alipay_credentials(sim)).unwrap()
}

type Verified = Result<Callback, CallbackError>;

/// A callback endpoint on 127.0.0.1:0 for one provider.
pub struct Endpoint {
    pub url: String,
    got: mpsc::UnboundedReceiver<Verified>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Endpoint {
    pub async fn start(provider: Arc<dyn PaymentProvider>) -> Self {
        let (tx, got) = mpsc::unbounded_channel();
        async fn receive(
            State((p, tx)): State<(Arc<dyn PaymentProvider>, mpsc::UnboundedSender<Verified>)>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            let verified = p.verify_callback(&headers, &body);
            let ok = verified.is_ok();
            let _ = tx.send(verified);
            p.ack(ok).into_response()
        }
        let name = provider.name();
        let app = axum::Router::new()
            .route(&payment::providers::callback_path(name), post(receive))
            .with_state((provider, tx));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: payment::providers::callback_url(&base, name),
            got,
            task,
        }
    }

    /// The next notification the endpoint verified (or refused).
    pub async fn next(&mut self) -> Verified {
        tokio::time::timeout(Duration::from_secs(10), self.got.recv())
            .await
            .expect("a notification within 10 s")
            .expect("endpoint open")
    }
}

/// A loopback port with nothing listening.
pub async fn closed_port_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A fresh out_trade_no within both providers' alphabet and length.
pub fn out_no(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..20]
    )
}
