//! Refunds to the original payment method, of wallet top-ups or of orders paid directly.
//! The money leaves the wallet (or the revenue) first, so it cannot be spent meanwhile,
//! waits in `refund_pending`, and either goes out through the provider or comes back.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::ledger::{self, AccountKind};
use crate::error::PaymentError;
use crate::providers::{ProviderError, Refund, RefundState};
use crate::store::refunds::{self, RefundRow};
use crate::store::{accounts, payments};

use super::ctx::Ctx;
use super::post::{Request, post};
use super::wallets::{self, Owner};

/// What a provider said about a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundWord {
    Succeeded { refund_id: Option<String> },
    Failed(String),
}

/// Refunds `amount_fen` of a paid top-up. Idempotent by key.
pub async fn refund(
    ctx: &Ctx,
    tenant: Uuid,
    payment_id: Uuid,
    amount_fen: i64,
    reason: &str,
    key: &str,
) -> Result<RefundRow, PaymentError> {
    super::post::check_key(key)?;
    if amount_fen <= 0 {
        return Err(PaymentError::invalid("amount_fen", "must be positive"));
    }
    let p = super::payments::get(ctx, tenant, payment_id).await?;
    if p.status != "succeeded" {
        return Err(PaymentError::invalid(
            "payment_id",
            format!(
                "only a paid payment can be refunded (this one is {})",
                p.status
            ),
        ));
    }
    let owner = owner_of(&p);
    let id = Uuid::now_v7();
    let mut tx = ctx.pool.begin().await?;
    let source = source_account(&mut tx, &p, &owner).await?;
    let pending = pending_account(&mut tx, tenant).await?;
    // Serializes refunds of one payment, so two cannot both pass the room check.
    payments::lock_by_out_no(&mut tx, &p.provider, &p.out_trade_no).await?;
    let (row, new) = refunds::insert(
        &mut tx,
        &RefundRow {
            id,
            tenant_id: tenant,
            payment_id,
            out_refund_no: id.simple().to_string(),
            amount_fen,
            reason: reason.to_owned(),
            status: "pending".into(),
            provider_refund_id: None,
            idempotency_key: key.to_owned(),
        },
    )
    .await?;
    if !new {
        tx.rollback().await?;
        if row.payment_id != payment_id || row.amount_fen != amount_fen {
            return Err(PaymentError::KeyReused(format!("refund {}", row.id)));
        }
        return Ok(row);
    }
    let committed = refunds::committed_fen(&mut tx, payment_id).await?;
    if committed > p.amount_fen {
        return Err(PaymentError::invalid(
            "amount_fen",
            format!(
                "at most {} fen of this payment is left to refund",
                p.amount_fen - (committed - amount_fen)
            ),
        ));
    }
    let entry = ledger::refund(source, pending, amount_fen)?;
    post_leg(&mut tx, ctx, "refund", &row, &entry).await?;
    tx.commit().await?;

    let provider = ctx.provider(&p.provider)?;
    let asked = provider
        .refund(&Refund {
            out_trade_no: p.out_trade_no.clone(),
            out_refund_no: row.out_refund_no.clone(),
            refund_fen: amount_fen,
            total_fen: p.amount_fen,
            reason: reason.to_owned(),
            notify_url: Some(ctx.providers.notify_url(provider.name())),
        })
        .await;
    let word = match asked {
        Ok(RefundState::Succeeded { refund_id, .. }) => Some(RefundWord::Succeeded { refund_id }),
        Ok(RefundState::Failed(why)) => Some(RefundWord::Failed(why)),
        Ok(RefundState::Processing { .. }) => None,
        Err(e) if e.definitely_failed() => Some(RefundWord::Failed(e.to_string())),
        Err(e) => {
            tracing::warn!(refund = %row.id, error = %e, "refund outcome unknown; the reconciler asks later");
            None
        }
    };
    if let Some(word) = word {
        let mut tx = ctx.pool.begin().await?;
        apply_refund_word(&mut tx, ctx, &row.out_refund_no, &word).await?;
        tx.commit().await?;
    }
    get(ctx, tenant, row.id).await
}

/// Ends a pending refund: `Some(true)` applied, `Some(false)` already ended, `None`
/// unknown refund.
pub async fn apply_refund_word(
    conn: &mut PgConnection,
    ctx: &Ctx,
    out_refund_no: &str,
    word: &RefundWord,
) -> Result<Option<bool>, PaymentError> {
    let Some(r) = refunds::lock_by_out_no(conn, out_refund_no).await? else {
        return Ok(None);
    };
    if r.status != "pending" {
        return Ok(Some(false));
    }
    let p = payments::get(&mut *conn, r.tenant_id, r.payment_id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("payment {}", r.payment_id)))?;
    let pending = pending_account(conn, r.tenant_id).await?;
    let now = Utc::now();
    match word {
        RefundWord::Succeeded { refund_id } => {
            let clearing = accounts::ensure(
                &mut *conn,
                r.tenant_id,
                AccountKind::Clearing,
                "provider",
                &p.provider,
                ledger::shard_for(AccountKind::Clearing, &r.out_refund_no),
            )
            .await?;
            let entry = ledger::refund_settled(pending, clearing, r.amount_fen)?;
            post_leg(conn, ctx, "refund-settled", &r, &entry).await?;
            refunds::set_status(conn, r.id, "succeeded", refund_id.as_deref()).await?;
            let event = proto::events::RefundSucceeded {
                tenant_id: r.tenant_id.to_string(),
                refund_id: r.id.to_string(),
                payment_id: r.payment_id.to_string(),
                provider: p.provider.clone(),
                out_refund_no: r.out_refund_no.clone(),
                amount_fen: r.amount_fen,
                at: Some(bus::event::timestamp(now)),
            };
            crate::events::enqueue(
                conn,
                &ctx.ns,
                r.tenant_id,
                ("refund", "succeeded"),
                now,
                &event,
            )
            .await?;
        }
        RefundWord::Failed(why) => {
            let source = source_account(conn, &p, &owner_of(&p)).await?;
            let entry = ledger::refund_reversed(pending, source, r.amount_fen)?;
            post_leg(conn, ctx, "refund-reversed", &r, &entry).await?;
            refunds::set_status(conn, r.id, "failed", None).await?;
            tracing::warn!(refund = %r.id, %why, "refund failed; the money is back in the wallet");
        }
    }
    Ok(Some(true))
}

pub async fn get(ctx: &Ctx, tenant: Uuid, id: Uuid) -> Result<RefundRow, PaymentError> {
    refunds::get(&ctx.pool, tenant, id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("refund {id}")))
}

/// The provider's word, asked for (the reconciler's path).
pub async fn query(ctx: &Ctx, r: &RefundRow) -> Result<Option<RefundWord>, ProviderError> {
    let Ok(p) = super::payments::get(ctx, r.tenant_id, r.payment_id).await else {
        return Ok(None);
    };
    let Ok(provider) = ctx.provider(&p.provider) else {
        return Ok(None);
    };
    let state = match provider
        .query_refund(&p.out_trade_no, &r.out_refund_no)
        .await
    {
        // The request never arrived (Alipay knows no refund it did not take): send it
        // again under the same number, which is safe at every provider.
        Err(ProviderError::NotFound(_)) => {
            provider
                .refund(&Refund {
                    out_trade_no: p.out_trade_no.clone(),
                    out_refund_no: r.out_refund_no.clone(),
                    refund_fen: r.amount_fen,
                    total_fen: p.amount_fen,
                    reason: r.reason.clone(),
                    notify_url: Some(ctx.providers.notify_url(provider.name())),
                })
                .await?
        }
        other => other?,
    };
    Ok(match state {
        RefundState::Succeeded { refund_id, .. } => Some(RefundWord::Succeeded { refund_id }),
        RefundState::Failed(why) => Some(RefundWord::Failed(why)),
        RefundState::Processing { .. } => None,
    })
}

fn owner_of(p: &payments::PaymentRow) -> Owner {
    Owner {
        tenant: p.tenant_id,
        kind: if p.owner_kind == "org" { "org" } else { "user" },
        id: p.owner_id,
    }
}

/// Where a refund's money comes from: the wallet a top-up credited, or the revenue an
/// order payment became.
async fn source_account(
    conn: &mut PgConnection,
    p: &payments::PaymentRow,
    owner: &Owner,
) -> Result<Uuid, PaymentError> {
    if p.purpose == "order" {
        Ok(accounts::ensure(
            conn,
            p.tenant_id,
            AccountKind::Revenue,
            "tenant",
            &p.tenant_id.to_string(),
            ledger::shard_for(AccountKind::Revenue, &p.id.to_string()),
        )
        .await?)
    } else {
        Ok(wallets::ensure_in(conn, owner).await?.0)
    }
}

async fn pending_account(conn: &mut PgConnection, tenant: Uuid) -> Result<Uuid, PaymentError> {
    Ok(accounts::ensure(
        conn,
        tenant,
        AccountKind::RefundPending,
        "tenant",
        &tenant.to_string(),
        0,
    )
    .await?)
}

/// Ledger key and canonical request of a refund leg: each leg is posted once.
fn leg(name: &str, r: &RefundRow) -> (String, String) {
    (
        format!("{name}:{}", r.id),
        format!("{name}|{}|{}", r.id, r.amount_fen),
    )
}

/// Posts one leg of a refund.
async fn post_leg(
    conn: &mut PgConnection,
    ctx: &Ctx,
    name: &str,
    r: &RefundRow,
    entry: &ledger::Entry<Uuid>,
) -> Result<(), PaymentError> {
    let (key, canonical) = leg(name, r);
    post(
        conn,
        &ctx.ns,
        &Request {
            tenant: r.tenant_id,
            key: &key,
            canonical: &canonical,
            reference: &r.out_refund_no,
        },
        entry,
    )
    .await?;
    Ok(())
}
