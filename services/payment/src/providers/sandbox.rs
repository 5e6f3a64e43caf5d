//! The sandbox provider: play money for demos and local runs, no network at all.
//!
//! A payment is pending for `settle_after`, then succeeds; a refund is processing for
//! the same time, then succeeds. Each outcome is also announced as a [`Callback`] of the
//! same shape the real providers' notifications give, on an in-process channel
//! ([`Sandbox::take_callbacks`]) — the service feeds it to the code that handles
//! verified callbacks, so a demo exercises the real flow. State lives in this process
//! only (a demo runs one replica) and is capped at [`MAX_PAYMENTS`], oldest dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;

use super::{
    Ack, Callback, CallbackError, CallbackEvent, CreatePayment, Created, PaymentProvider,
    PaymentStatus, ProviderError, ProviderPayment, Refund, RefundState, check_out_no,
};

/// Payments remembered; a demo that makes more forgets the oldest.
pub const MAX_PAYMENTS: usize = 10_000;

/// Callbacks waiting for the service; when it lags this far behind they are dropped
/// (the state stays queryable, so the service's reconciliation still finds it).
const CALLBACK_QUEUE: usize = 1024;

struct Payment {
    amount_fen: i64,
    status: PaymentStatus,
    refunds: Vec<(String, i64, RefundState)>,
}

#[derive(Default)]
struct State {
    payments: HashMap<String, Payment>,
    /// Insertion order, for forgetting the oldest.
    order: VecDeque<String>,
}

pub struct Sandbox {
    settle_after: Duration,
    state: Arc<Mutex<State>>,
    events: mpsc::Sender<Callback>,
    receiver: Mutex<Option<mpsc::Receiver<Callback>>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // Nothing can panic while the lock is held; a poisoned lock still holds valid data.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sandbox {
    pub fn new(settle_after: Duration) -> Self {
        let (events, receiver) = mpsc::channel(CALLBACK_QUEUE);
        Self {
            settle_after,
            state: Arc::new(Mutex::new(State::default())),
            events,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// The callbacks, once: the service's consumer takes them at start-up.
    pub fn take_callbacks(&self) -> Option<mpsc::Receiver<Callback>> {
        self.receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn announce(events: &mpsc::Sender<Callback>, event: CallbackEvent, raw: serde_json::Value) {
        let callback = Callback {
            event_id: format!("sandbox-{}", uuid::Uuid::new_v4().simple()),
            event,
            raw,
        };
        if let Err(e) = events.try_send(callback) {
            tracing::warn!(error = %e, "sandbox: callback dropped; the outcome stays queryable");
        }
    }

    fn settle_payment(&self, out_trade_no: String) {
        let (state, events, delay) = (self.state.clone(), self.events.clone(), self.settle_after);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let event = {
                let mut s = lock(&state);
                let Some(p) = s.payments.get_mut(&out_trade_no) else {
                    return;
                };
                if p.status != PaymentStatus::Pending {
                    return; // closed meanwhile
                }
                let transaction_id = format!("sandbox-{}", uuid::Uuid::new_v4().simple());
                let paid_at = Utc::now();
                p.status = PaymentStatus::Succeeded {
                    transaction_id: transaction_id.clone(),
                    amount_fen: p.amount_fen,
                    paid_at,
                };
                CallbackEvent::PaymentSucceeded {
                    out_trade_no: out_trade_no.clone(),
                    transaction_id,
                    amount_fen: p.amount_fen,
                    paid_at,
                }
            };
            let raw =
                json!({ "provider": "sandbox", "out_trade_no": out_trade_no, "status": "SUCCESS" });
            Self::announce(&events, event, raw);
        });
    }

    fn settle_refund(&self, out_trade_no: String, out_refund_no: String) {
        let (state, events, delay) = (self.state.clone(), self.events.clone(), self.settle_after);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let refund_fen = {
                let mut s = lock(&state);
                let Some(p) = s.payments.get_mut(&out_trade_no) else {
                    return;
                };
                let Some(r) = p.refunds.iter_mut().find(|r| r.0 == out_refund_no) else {
                    return;
                };
                r.2 = RefundState::Succeeded {
                    refund_id: Some(format!("sandbox-{out_refund_no}")),
                    refund_fen: r.1,
                    succeeded_at: Some(Utc::now()),
                };
                r.1
            };
            let event = CallbackEvent::RefundSucceeded {
                out_trade_no: out_trade_no.clone(),
                out_refund_no: out_refund_no.clone(),
                refund_id: Some(format!("sandbox-{out_refund_no}")),
                refund_fen,
                succeeded_at: Some(Utc::now()),
            };
            let raw = json!({ "provider": "sandbox", "out_refund_no": out_refund_no, "status": "SUCCESS" });
            Self::announce(&events, event, raw);
        });
    }
}

#[async_trait::async_trait]
impl PaymentProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    /// Accepts every channel, so a demo can walk any payment flow; the payer "scans" a
    /// `sandbox://` URL and nothing else is needed.
    async fn create(&self, req: &CreatePayment) -> Result<Created, ProviderError> {
        check_out_no("out_trade_no", &req.out_trade_no)?;
        if req.amount_fen < 1 {
            return Err(ProviderError::Invalid("amount_fen: at least 1".into()));
        }
        let created = Created::QrCode {
            code_url: format!("sandbox://pay?out_trade_no={}", req.out_trade_no),
        };
        {
            let mut s = lock(&self.state);
            if let Some(p) = s.payments.get(&req.out_trade_no) {
                // Like the real providers: the same order again is the same order.
                return if p.amount_fen == req.amount_fen {
                    Ok(created)
                } else {
                    Err(ProviderError::rejected(
                        "OUT_TRADE_NO_USED",
                        "out_trade_no exists with another amount",
                    ))
                };
            }
            while s.order.len() >= MAX_PAYMENTS {
                if let Some(old) = s.order.pop_front() {
                    s.payments.remove(&old);
                }
            }
            s.order.push_back(req.out_trade_no.clone());
            s.payments.insert(
                req.out_trade_no.clone(),
                Payment {
                    amount_fen: req.amount_fen,
                    status: PaymentStatus::Pending,
                    refunds: Vec::new(),
                },
            );
        }
        self.settle_payment(req.out_trade_no.clone());
        Ok(created)
    }

    async fn query(&self, out_trade_no: &str) -> Result<ProviderPayment, ProviderError> {
        let s = lock(&self.state);
        let p = s
            .payments
            .get(out_trade_no)
            .ok_or_else(|| ProviderError::NotFound(out_trade_no.to_owned()))?;
        Ok(ProviderPayment {
            out_trade_no: out_trade_no.to_owned(),
            status: p.status.clone(),
        })
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError> {
        let mut s = lock(&self.state);
        let p = s
            .payments
            .get_mut(out_trade_no)
            .ok_or_else(|| ProviderError::NotFound(out_trade_no.to_owned()))?;
        match p.status {
            PaymentStatus::Pending | PaymentStatus::Closed => {
                p.status = PaymentStatus::Closed;
                Ok(())
            }
            _ => Err(ProviderError::rejected("ORDERPAID", "already paid")),
        }
    }

    async fn refund(&self, req: &Refund) -> Result<RefundState, ProviderError> {
        check_out_no("out_refund_no", &req.out_refund_no)?;
        {
            let mut s = lock(&self.state);
            let p = s
                .payments
                .get_mut(&req.out_trade_no)
                .ok_or_else(|| ProviderError::NotFound(req.out_trade_no.clone()))?;
            if let Some(r) = p.refunds.iter().find(|r| r.0 == req.out_refund_no) {
                return Ok(r.2.clone());
            }
            if !matches!(p.status, PaymentStatus::Succeeded { .. }) {
                return Err(ProviderError::rejected("NOT_PAID", "payment is not paid"));
            }
            let refunded: i64 = p.refunds.iter().map(|r| r.1).sum();
            if req.refund_fen < 1 || refunded + req.refund_fen > p.amount_fen {
                return Err(ProviderError::rejected(
                    "AMOUNT",
                    "refund exceeds what is left",
                ));
            }
            p.refunds.push((
                req.out_refund_no.clone(),
                req.refund_fen,
                RefundState::Processing { refund_id: None },
            ));
        }
        self.settle_refund(req.out_trade_no.clone(), req.out_refund_no.clone());
        Ok(RefundState::Processing { refund_id: None })
    }

    async fn query_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        let s = lock(&self.state);
        s.payments
            .get(out_trade_no)
            .and_then(|p| p.refunds.iter().find(|r| r.0 == out_refund_no))
            .map(|r| r.2.clone())
            .ok_or_else(|| ProviderError::NotFound(out_refund_no.to_owned()))
    }

    /// Sandbox outcomes never come over HTTP: accepting unsigned callbacks on a public
    /// route would let anyone mark payments paid.
    fn verify_callback(
        &self,
        _headers: &http::HeaderMap,
        _body: &[u8],
    ) -> Result<Callback, CallbackError> {
        Err(CallbackError::Unsupported(
            "sandbox callbacks are delivered in process".into(),
        ))
    }

    fn ack(&self, ok: bool) -> Ack {
        Ack {
            status: if ok {
                http::StatusCode::OK
            } else {
                http::StatusCode::BAD_REQUEST
            },
            content_type: "text/plain; charset=utf-8",
            body: if ok { "ok" } else { "rejected" }.into(),
        }
    }
}
