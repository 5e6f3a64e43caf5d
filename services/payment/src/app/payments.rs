//! Payments through providers: open one (a wallet top-up), and apply what the provider
//! says about it — from a callback or a query — exactly once.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::payment_state::{Decision, Observation, PaymentStatus, decide};
use crate::error::PaymentError;
use crate::providers::{Channel, CreatePayment, Created};
use crate::store::payments::{self, PaymentRow};

use super::ctx::Ctx;
use super::wallets::{self, Owner};

/// One top-up at most this large (¥5,000): a typo must not take a driver's savings.
pub const MAX_TOP_UP_FEN: i64 = 500_000;

pub struct TopUp<'a> {
    pub owner: Owner,
    pub provider: &'a str,
    pub channel: Channel,
    pub amount_fen: i64,
    pub key: &'a str,
}

/// A channel by its API name, with what it needs (`openid` for WeChat JSAPI,
/// `buyer_id` for Alipay create).
pub fn parse_channel(name: &str, openid: &str, buyer_id: &str) -> Result<Channel, PaymentError> {
    let need = |v: &str, field: &str| {
        if v.is_empty() {
            Err(PaymentError::invalid(
                field,
                format!("required for channel {name}"),
            ))
        } else {
            Ok(v.to_owned())
        }
    };
    Ok(match name {
        "wechat_jsapi" => Channel::WechatJsapi {
            openid: need(openid, "openid")?,
        },
        "wechat_native" => Channel::WechatNative,
        "alipay_precreate" => Channel::AlipayPrecreate,
        "alipay_create" => Channel::AlipayCreate {
            buyer_id: need(buyer_id, "buyer_id")?,
        },
        "sandbox" => Channel::Sandbox,
        other => {
            return Err(PaymentError::invalid(
                "channel",
                format!(
                    "{other:?} is none of wechat_jsapi, wechat_native, alipay_precreate, alipay_create, sandbox"
                ),
            ));
        }
    })
}

fn channel_name(c: &Channel) -> &'static str {
    match c {
        Channel::WechatJsapi { .. } => "wechat_jsapi",
        Channel::WechatNative => "wechat_native",
        Channel::AlipayPrecreate => "alipay_precreate",
        Channel::AlipayCreate { .. } => "alipay_create",
        Channel::Sandbox => "sandbox",
    }
}

fn client_params(c: &Created) -> serde_json::Value {
    match c {
        Created::WechatJsapi { prepay_id, params } => {
            serde_json::json!({ "prepay_id": prepay_id, "jsapi": params })
        }
        Created::QrCode { code_url } => serde_json::json!({ "code_url": code_url }),
        Created::AlipayTrade { trade_no } => serde_json::json!({ "trade_no": trade_no }),
    }
}

/// Opens a top-up payment. Idempotent by key: a retry returns the same payment (and
/// does not open a second one at the provider).
pub async fn create_top_up(ctx: &Ctx, t: TopUp<'_>) -> Result<PaymentRow, PaymentError> {
    open(ctx, t, None).await
}

/// Opens a payment for a charging order paid directly (no wallet): on success the money
/// is the operator's revenue and `payment.succeeded` names the order.
pub async fn create_order_payment(
    ctx: &Ctx,
    t: TopUp<'_>,
    order_ref: &str,
) -> Result<PaymentRow, PaymentError> {
    if order_ref.is_empty() || order_ref.len() > 64 {
        return Err(PaymentError::invalid("order_ref", "1 to 64 characters"));
    }
    open(ctx, t, Some(order_ref)).await
}

async fn open(
    ctx: &Ctx,
    t: TopUp<'_>,
    order_ref: Option<&str>,
) -> Result<PaymentRow, PaymentError> {
    super::post::check_key(t.key)?;
    if !(1..=MAX_TOP_UP_FEN).contains(&t.amount_fen) {
        return Err(PaymentError::invalid(
            "amount_fen",
            format!("1 to {MAX_TOP_UP_FEN} fen"),
        ));
    }
    let provider = ctx.provider(t.provider)?;
    let id = Uuid::now_v7();
    let row = PaymentRow {
        id,
        tenant_id: t.owner.tenant,
        provider: provider.name().to_owned(),
        // 32 characters of [0-9a-f]: both providers' limit and alphabet.
        out_trade_no: id.simple().to_string(),
        purpose: if order_ref.is_some() {
            "order"
        } else {
            "wallet_top_up"
        }
        .into(),
        owner_kind: t.owner.kind.into(),
        owner_id: t.owner.id,
        order_ref: order_ref.unwrap_or_default().to_owned(),
        amount_fen: t.amount_fen,
        description: match order_ref {
            Some(o) => format!("充电订单 {o} / charging order {o}"),
            None => "钱包充值 / wallet top-up".into(),
        },
        channel: channel_name(&t.channel).into(),
        status: PaymentStatus::Created.as_str().into(),
        provider_txn_id: None,
        failure: None,
        client_params: serde_json::json!({}),
        idempotency_key: t.key.to_owned(),
        created_at: Utc::now(),
        paid_at: None,
    };
    let mut conn = ctx.pool.acquire().await?;
    let (existing, new) = payments::insert(&mut conn, &row).await?;
    if !new {
        let same = existing.amount_fen == row.amount_fen
            && existing.order_ref == row.order_ref
            && existing.provider == row.provider
            && existing.owner_id == row.owner_id
            && existing.channel == row.channel;
        if !same {
            return Err(PaymentError::KeyReused(format!(
                "payment {} of {} fen",
                existing.id, existing.amount_fen
            )));
        }
        return Ok(existing);
    }
    let created = provider
        .create(&CreatePayment {
            out_trade_no: row.out_trade_no.clone(),
            amount_fen: row.amount_fen,
            description: row.description.clone(),
            notify_url: ctx.providers.notify_url(provider.name()),
            channel: t.channel,
            expires_at: Some(Utc::now() + chrono::Duration::minutes(30)),
        })
        .await;
    match created {
        Ok(c) => {
            payments::opened(&mut conn, id, "pending", &client_params(&c), None).await?;
        }
        Err(e) if e.definitely_failed() => {
            payments::opened(
                &mut conn,
                id,
                "failed",
                &serde_json::json!({}),
                Some(&e.to_string()),
            )
            .await?;
        }
        // The provider may have it: stays `created`; the reconciler asks later.
        Err(e) => tracing::warn!(payment = %id, error = %e, "payment outcome unknown"),
    }
    drop(conn);
    payments::get(&ctx.pool, row.tenant_id, id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("payment {id}")))
}

/// What a provider said, with the facts a success carries.
#[derive(Debug, Clone)]
pub struct Word {
    pub observation: Observation,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// Applies the provider's word to the locked payment inside `conn`'s transaction:
/// status, the wallet credit (once: the ledger key is the payment id) and the events.
pub async fn apply_word(
    conn: &mut PgConnection,
    ctx: &Ctx,
    p: &PaymentRow,
    word: &Word,
) -> Result<Decision, PaymentError> {
    let current = PaymentStatus::parse(&p.status).unwrap_or(PaymentStatus::Created);
    let decision = decide(current, p.amount_fen, &word.observation);
    let Decision::Apply { to, credit } = decision else {
        return Ok(decision);
    };
    payments::set_status(
        conn,
        p.id,
        to.as_str(),
        word.transaction_id.as_deref(),
        word.paid_at,
        word.reason.as_deref(),
    )
    .await?;
    let now = Utc::now();
    if credit {
        if p.purpose == "wallet_top_up" {
            let owner = Owner {
                tenant: p.tenant_id,
                kind: if p.owner_kind == "org" { "org" } else { "user" },
                id: p.owner_id,
            };
            wallets::top_up_in(conn, ctx, &owner, &p.provider, p.amount_fen, p.id).await?;
        } else {
            wallets::order_paid_in(
                conn,
                ctx,
                p.tenant_id,
                &p.provider,
                p.amount_fen,
                p.id,
                &p.order_ref,
            )
            .await?;
        }
        let event = proto::events::PaymentSucceeded {
            tenant_id: p.tenant_id.to_string(),
            payment_id: p.id.to_string(),
            provider: p.provider.clone(),
            out_trade_no: p.out_trade_no.clone(),
            provider_transaction_id: word.transaction_id.clone().unwrap_or_default(),
            amount_fen: p.amount_fen,
            purpose: p.purpose.clone(),
            wallet_id: String::new(),
            order_ref: p.order_ref.clone(),
            paid_at: Some(bus::event::timestamp(word.paid_at.unwrap_or(now))),
        };
        crate::events::enqueue(
            conn,
            &ctx.ns,
            p.tenant_id,
            ("payment", "succeeded"),
            now,
            &event,
        )
        .await?;
    } else {
        let event = proto::events::PaymentFailed {
            tenant_id: p.tenant_id.to_string(),
            payment_id: p.id.to_string(),
            provider: p.provider.clone(),
            out_trade_no: p.out_trade_no.clone(),
            reason: word.reason.clone().unwrap_or_else(|| to.as_str().into()),
            at: Some(bus::event::timestamp(now)),
        };
        crate::events::enqueue(
            conn,
            &ctx.ns,
            p.tenant_id,
            ("payment", "failed"),
            now,
            &event,
        )
        .await?;
    }
    Ok(decision)
}

pub async fn get(ctx: &Ctx, tenant: Uuid, id: Uuid) -> Result<PaymentRow, PaymentError> {
    payments::get(&ctx.pool, tenant, id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("payment {id}")))
}
