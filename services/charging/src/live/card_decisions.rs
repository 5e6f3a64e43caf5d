//! Card decisions for the gateway: answers the core NATS request
//! `pylon.charging.card.authorize` (`CardAuthorizeRequest` → `CardAuthorizeResponse`).
//!
//! The gateway waits `gateway.decision_timeout_ms` (3 s by default) and refuses the card
//! itself after that, so the answer must come well within it: the lookups are two
//! indexed reads, and the payment call gets half of that timeout. The queue group makes
//! exactly one charging replica answer each request.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use prost::Message as _;
use proto::pylon::gateway::v1::{CardAuthorizeRequest, CardAuthorizeResponse};
use proto::pylon::payment::v1::{GetWalletRequest, WalletOwner};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::domain::card::{self, CardNo, CardStatus, Decision, Found};
use super::store::{self, cards::Card};
use crate::ctx::Ctx;
use crate::error::ChargingError;

/// Queue group of the responders.
const QUEUE: &str = "charging-card-decisions";
/// Decisions in flight per replica; beyond it a request is left to the gateway's
/// timeout (a refusal) rather than queued past it.
const MAX_IN_FLIGHT: usize = 256;

/// Subscribes (and flushes, so the gateway can ask as soon as `run` returns), then
/// answers in a spawned task until `stop`.
pub async fn spawn(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    let subject = ctx.ns().subject(&["charging", "card", "authorize"]);
    let mut sub = ctx
        .bus
        .client
        .queue_subscribe(subject, QUEUE.into())
        .await?;
    ctx.bus.client.flush().await?;
    let limit = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break,
                m = sub.next() => m,
            };
            let Some(msg) = msg else { break };
            let Ok(permit) = limit.clone().try_acquire_owned() else {
                tracing::warn!(
                    "too many card decisions in flight; leaving one to the gateway's timeout"
                );
                continue;
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                answer(&ctx, msg).await;
                drop(permit);
            });
        }
        let _ = sub.unsubscribe().await;
    });
    Ok(())
}

async fn answer(ctx: &Ctx, msg: async_nats::Message) {
    let Some(reply) = msg.reply.clone() else {
        return;
    };
    let decision = match CardAuthorizeRequest::decode(msg.payload.as_ref()) {
        Ok(req) => decide(ctx, &req).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, device = %req.device_id, "card decision failed; refusing");
            card::decide(Found::WalletUnavailable)
        }),
        Err(e) => {
            tracing::warn!(error = %e, "undecodable card authorize request; refusing");
            card::decide(Found::UnknownCard)
        }
    };
    let body = CardAuthorizeResponse {
        account_status: decision.account_status,
        balance_fen: decision.balance_fen,
    };
    if let Err(e) = ctx
        .bus
        .client
        .publish(reply, body.encode_to_vec().into())
        .await
    {
        tracing::warn!(error = %e, "cannot answer a card decision");
    }
}

/// The decision for one request; records an approved swipe at a port for orders.
pub async fn decide(ctx: &Ctx, req: &CardAuthorizeRequest) -> Result<Decision, ChargingError> {
    let Ok(card_no) = CardNo::parse(&req.card_no) else {
        return Ok(card::decide(Found::UnknownCard));
    };
    // The device's operator: the registry says, else the tenant token of its newest
    // event; unregistered and `_` (unassigned) means nobody's wallet may pay here.
    let registered = crate::registry::store::devices::placement(&ctx.pool, &req.device_id).await?;
    let tenant = match registered {
        Some(p) => Some(p.tenant_id),
        None => store::devices::tenant_of(&ctx.pool, &req.device_id)
            .await?
            .and_then(|t| Uuid::parse_str(&t).ok()),
    };
    let Some(tenant) = tenant else {
        return Ok(card::decide(Found::NoOperator));
    };
    let Some(card) = store::cards::get(&ctx.pool, tenant, card_no.as_str()).await? else {
        return Ok(card::decide(Found::UnknownCard));
    };
    if CardStatus::parse(&card.status) != Ok(CardStatus::Active) {
        return Ok(card::decide(Found::Blocked));
    }
    let found = match wallet(ctx, tenant, &card).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, card = %card_no.masked(), "wallet unavailable; refusing the card");
            Found::WalletUnavailable
        }
    };
    let decision = card::decide(found);
    if decision.approved() && req.port >= 1 {
        let a = store::cards::Authorization {
            tenant,
            device_id: &req.device_id,
            port: req.port,
            card: &card,
            balance_fen: decision.balance_fen,
            at: Utc::now(),
        };
        store::cards::record_authorization(&ctx.pool, &a).await?;
        // DNY piles wait for the server's 0x82 after an approved swipe (fact sheet
        // 1.7.5): the order starts them. GN sockets start on the card order itself.
        if req.protocol == "dny" {
            let (ctx, device, port) = (ctx.clone(), req.device_id.clone(), req.port);
            tokio::spawn(async move {
                if let Err(e) = crate::orders::app::card::start_dny(&ctx, &device, port).await {
                    tracing::warn!(%device, port, error = %e, "card order not started");
                }
            });
        }
    }
    Ok(decision)
}

/// The card owner's wallet from payment, within half the gateway's decision timeout.
async fn wallet(ctx: &Ctx, tenant: Uuid, card: &Card) -> Result<Found, ChargingError> {
    let budget = Duration::from_millis(ctx.config.gateway.decision_timeout_ms / 2);
    let req = GetWalletRequest {
        owner: Some(WalletOwner {
            tenant_id: tenant.to_string(),
            kind: card.owner_kind.clone(),
            owner_id: card.owner_id.to_string(),
        }),
    };
    let mut client = ctx.clients.payment.clone();
    let w = tokio::time::timeout(budget, client.get_wallet(req))
        .await
        .map_err(|_| ChargingError::Upstream("payment: GetWallet timed out".into()))?
        .map_err(|s| ChargingError::Upstream(format!("payment: {}", s.message())))?
        .into_inner();
    Ok(Found::Wallet {
        balance_fen: w.balance_fen,
        credit_limit_fen: w.credit_limit_fen,
    })
}
