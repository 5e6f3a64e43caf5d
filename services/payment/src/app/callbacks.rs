//! Provider notifications: verified, recorded, applied once. A forged one is refused and
//! recorded; a duplicate changes nothing; one for a payment we do not know is recorded
//! for review and acknowledged (so the provider stops re-sending it).

use crate::domain::payment_state::{Decision, Observation};
use crate::error::PaymentError;
use crate::providers::{Ack, Callback, CallbackEvent};
use crate::store::{callbacks, payments};

use super::ctx::Ctx;
use super::payments::{Word, apply_word};
use super::refunds::{RefundWord, apply_refund_word};

/// What became of a verified notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    UnknownPayment,
    Review(String),
    Ignored,
}

impl Outcome {
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::UnknownPayment => "unknown_payment",
            Outcome::Review(_) => "review",
            Outcome::Ignored => "ignored",
        }
    }
}

/// A POSTed notification for `provider`, as received: the answer to send back.
pub async fn receive(
    ctx: &Ctx,
    provider: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Ack, PaymentError> {
    let p = ctx.provider(provider)?;
    let headers_json = serde_json::Value::Object(
        headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    serde_json::Value::String(v.to_str().unwrap_or("").into()),
                )
            })
            .collect(),
    );
    let body_text = String::from_utf8_lossy(body);
    match p.verify_callback(headers, body) {
        Err(e) => {
            tracing::warn!(provider, error = %e, "callback refused");
            let mut conn = ctx.pool.acquire().await?;
            callbacks::record(
                &mut conn,
                &callbacks::Record {
                    provider: p.name(),
                    notify_id: None,
                    outcome: "rejected",
                    detail: &e.to_string(),
                    out_trade_no: None,
                    headers: headers_json,
                    body: &body_text,
                },
            )
            .await?;
            Ok(p.ack(false))
        }
        Ok(cb) => match apply(ctx, p.name(), &cb, headers_json, &body_text).await {
            Ok(_) => Ok(p.ack(true)),
            Err(e) => {
                // Not acknowledged: the provider sends it again later.
                tracing::error!(provider, error = %e, "callback not applied");
                Ok(p.ack(false))
            }
        },
    }
}

/// Applies a verified notification once (by the provider's notification id).
pub async fn apply(
    ctx: &Ctx,
    provider: &str,
    cb: &Callback,
    headers: serde_json::Value,
    body: &str,
) -> Result<Outcome, PaymentError> {
    let mut tx = ctx.pool.begin().await?;
    let (outcome, out_trade_no) = if callbacks::seen(&mut tx, provider, &cb.event_id).await? {
        (Outcome::Duplicate, None)
    } else {
        match &cb.event {
            CallbackEvent::PaymentSucceeded {
                out_trade_no,
                transaction_id,
                amount_fen,
                paid_at,
            } => {
                let word = Word {
                    observation: Observation::Succeeded {
                        amount_fen: *amount_fen,
                    },
                    transaction_id: Some(transaction_id.clone()),
                    paid_at: Some(*paid_at),
                    reason: None,
                };
                (
                    payment(&mut tx, ctx, provider, out_trade_no, &word).await?,
                    Some(out_trade_no),
                )
            }
            CallbackEvent::PaymentFailed {
                out_trade_no,
                reason,
            } => {
                let word = Word {
                    observation: Observation::Failed,
                    transaction_id: None,
                    paid_at: None,
                    reason: Some(reason.clone()),
                };
                (
                    payment(&mut tx, ctx, provider, out_trade_no, &word).await?,
                    Some(out_trade_no),
                )
            }
            CallbackEvent::RefundSucceeded {
                out_trade_no,
                out_refund_no,
                refund_id,
                ..
            } => {
                let word = RefundWord::Succeeded {
                    refund_id: refund_id.clone(),
                };
                (
                    refund_outcome(apply_refund_word(&mut tx, ctx, out_refund_no, &word).await?),
                    Some(out_trade_no),
                )
            }
            CallbackEvent::RefundFailed {
                out_trade_no,
                out_refund_no,
                reason,
            } => {
                let word = RefundWord::Failed(reason.clone());
                (
                    refund_outcome(apply_refund_word(&mut tx, ctx, out_refund_no, &word).await?),
                    Some(out_trade_no),
                )
            }
            CallbackEvent::Ignored { .. } => (Outcome::Ignored, None),
        }
    };
    let detail = match &outcome {
        Outcome::Review(why) => why.clone(),
        _ => String::new(),
    };
    let first = callbacks::record(
        &mut tx,
        &callbacks::Record {
            provider,
            notify_id: Some(&cb.event_id),
            outcome: outcome.as_str(),
            detail: &detail,
            out_trade_no: out_trade_no.map(String::as_str),
            headers,
            body,
        },
    )
    .await?;
    if !first {
        // The same notification was applied concurrently: this one changes nothing.
        tx.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    tx.commit().await?;
    if let Outcome::Review(why) = &outcome {
        tracing::warn!(provider, notify = %cb.event_id, %why, "callback kept for review");
    }
    Ok(outcome)
}

async fn payment(
    tx: &mut sqlx::PgConnection,
    ctx: &Ctx,
    provider: &str,
    out_trade_no: &str,
    word: &Word,
) -> Result<Outcome, PaymentError> {
    let Some(p) = payments::lock_by_out_no(tx, provider, out_trade_no).await? else {
        tracing::warn!(provider, out_trade_no, "callback for an unknown payment");
        return Ok(Outcome::UnknownPayment);
    };
    Ok(match apply_word(tx, ctx, &p, word).await? {
        Decision::Apply { .. } | Decision::Wait => Outcome::Applied,
        Decision::Duplicate => Outcome::Duplicate,
        Decision::Review(why) => Outcome::Review(why.into()),
    })
}

fn refund_outcome(applied: Option<bool>) -> Outcome {
    match applied {
        None => Outcome::UnknownPayment,
        Some(true) => Outcome::Applied,
        Some(false) => Outcome::Duplicate,
    }
}

/// Sandbox notifications arrive in process; they are applied like verified callbacks.
pub async fn apply_in_process(
    ctx: &Ctx,
    provider: &str,
    cb: &Callback,
) -> Result<Outcome, PaymentError> {
    let body = cb.raw.to_string();
    apply(ctx, provider, cb, serde_json::json!({}), &body).await
}
