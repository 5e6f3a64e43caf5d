//! Reconciliation: open payments and refunds the provider may have finished without us
//! hearing (a lost callback, a crash between the provider's success and our commit) are
//! asked for; what the provider says is applied like a callback. `audit` compares a
//! window of finished payments with the provider and lists every difference.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::payment_state::{Decision, Observation, PaymentStatus};
use crate::error::PaymentError;
use crate::providers::{PaymentStatus as AtProvider, ProviderError};
use crate::store::{payments, refunds};

use super::ctx::Ctx;
use super::payments::{Word, apply_word};
use super::refunds::apply_refund_word;

/// How long an unpaid payment stays open before it is closed at the provider (the
/// expiry given when it was opened, plus a margin).
pub const PAYMENT_EXPIRY: Duration = Duration::from_secs(35 * 60);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub checked: usize,
    pub applied: usize,
    pub errors: usize,
}

fn word_of(status: &AtProvider) -> Word {
    match status {
        AtProvider::Succeeded {
            transaction_id,
            amount_fen,
            paid_at,
        } => Word {
            observation: Observation::Succeeded {
                amount_fen: *amount_fen,
            },
            transaction_id: Some(transaction_id.clone()),
            paid_at: Some(*paid_at),
            reason: None,
        },
        AtProvider::Pending => Word {
            observation: Observation::Pending,
            transaction_id: None,
            paid_at: None,
            reason: None,
        },
        AtProvider::Closed => Word {
            observation: Observation::Closed,
            transaction_id: None,
            paid_at: None,
            reason: Some("closed at the provider".into()),
        },
        AtProvider::Failed(why) => Word {
            observation: Observation::Failed,
            transaction_id: None,
            paid_at: None,
            reason: Some(why.clone()),
        },
    }
}

/// Asks about payments and refunds open for longer than `quiet`.
pub async fn once(ctx: &Ctx, now: DateTime<Utc>, quiet: Duration) -> Result<Report, PaymentError> {
    let mut report = Report::default();
    let cutoff = now - chrono::Duration::from_std(quiet).unwrap_or_default();
    for p in payments::stale_open(&ctx.pool, cutoff, 200).await? {
        report.checked += 1;
        match payment(ctx, &p, now).await {
            Ok(true) => report.applied += 1,
            Ok(false) => {}
            Err(e) => {
                report.errors += 1;
                tracing::warn!(payment = %p.id, error = %e, "reconciling a payment failed");
            }
        }
    }
    for r in refunds::stale_pending(&ctx.pool, cutoff, 200).await? {
        report.checked += 1;
        match super::refunds::query(ctx, &r).await {
            Ok(Some(word)) => {
                let mut tx = ctx.pool.begin().await?;
                if apply_refund_word(&mut tx, ctx, &r.out_refund_no, &word).await? == Some(true) {
                    report.applied += 1;
                }
                tx.commit().await?;
            }
            Ok(None) => {}
            Err(e) => {
                report.errors += 1;
                tracing::warn!(refund = %r.id, error = %e, "reconciling a refund failed");
            }
        }
    }
    Ok(report)
}

/// One open payment: `true` when its state changed.
async fn payment(
    ctx: &Ctx,
    p: &payments::PaymentRow,
    now: DateTime<Utc>,
) -> Result<bool, PaymentError> {
    let provider = ctx.provider(&p.provider)?;
    let expired =
        now - p.created_at > chrono::Duration::from_std(PAYMENT_EXPIRY).unwrap_or_default();
    let word = match provider.query(&p.out_trade_no).await {
        Ok(found) => {
            let word = word_of(&found.status);
            if expired && word.observation == Observation::Pending {
                // Nobody paid in time: close it so it can no longer be paid.
                provider
                    .close(&p.out_trade_no)
                    .await
                    .map_err(provider_error)?;
                word_of(&AtProvider::Closed)
            } else {
                word
            }
        }
        // Never reached the provider (an `Unknown` create that did not happen).
        Err(ProviderError::NotFound(_)) if expired => word_of(&AtProvider::Closed),
        Err(ProviderError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(provider_error(e)),
    };
    let mut tx = ctx.pool.begin().await?;
    let Some(locked) = payments::lock_by_out_no(&mut tx, &p.provider, &p.out_trade_no).await?
    else {
        return Ok(false);
    };
    let decision = apply_word(&mut tx, ctx, &locked, &word).await?;
    tx.commit().await?;
    if let Decision::Review(why) = decision {
        tracing::warn!(payment = %p.id, %why, "provider and ledger disagree; kept for review");
    }
    Ok(matches!(decision, Decision::Apply { .. }))
}

fn provider_error(e: ProviderError) -> PaymentError {
    PaymentError::Provider(e.to_string())
}

/// A difference between our books and the provider's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Discrepancy {
    pub payment_id: String,
    pub out_trade_no: String,
    pub ours: String,
    pub theirs: String,
}

/// Compares payments created in `[from, to)` with what their provider says.
pub async fn audit(
    ctx: &Ctx,
    tenant: uuid::Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Discrepancy>, PaymentError> {
    let rows: Vec<payments::PaymentRow> = payments::in_window(&ctx.pool, tenant, from, to).await?;
    let mut out = Vec::new();
    for p in rows {
        let Ok(provider) = ctx.provider(&p.provider) else {
            continue;
        };
        let ours = PaymentStatus::parse(&p.status).unwrap_or(PaymentStatus::Created);
        let theirs = match provider.query(&p.out_trade_no).await {
            Ok(found) => found.status,
            Err(ProviderError::NotFound(_)) => AtProvider::Closed,
            Err(e) => {
                out.push(Discrepancy {
                    payment_id: p.id.to_string(),
                    out_trade_no: p.out_trade_no.clone(),
                    ours: ours.as_str().into(),
                    theirs: format!("unknown: {e}"),
                });
                continue;
            }
        };
        let agree = match (&theirs, ours) {
            (AtProvider::Succeeded { amount_fen, .. }, PaymentStatus::Succeeded) => {
                *amount_fen == p.amount_fen
            }
            (AtProvider::Succeeded { .. }, _) | (_, PaymentStatus::Succeeded) => false,
            _ => true,
        };
        if !agree {
            out.push(Discrepancy {
                payment_id: p.id.to_string(),
                out_trade_no: p.out_trade_no.clone(),
                ours: format!("{} {} fen", ours.as_str(), p.amount_fen),
                theirs: match theirs {
                    AtProvider::Succeeded { amount_fen, .. } => {
                        format!("succeeded {amount_fen} fen")
                    }
                    other => format!("{other:?}").to_lowercase(),
                },
            });
        }
    }
    Ok(out)
}
