//! Wallets: a spendable account and a held account per owner (a driver or an
//! organization node), created on first use.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::ledger::{self, AccountKind};
use crate::error::PaymentError;
use crate::store::accounts;

use super::account_ids;
use super::post::{Posted, Request, post};

/// Whose wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub tenant: Uuid,
    /// "user" or "org".
    pub kind: &'static str,
    pub id: Uuid,
}

impl Owner {
    pub fn parse(tenant: &str, kind: &str, id: &str) -> Result<Self, PaymentError> {
        let uuid = |field: &str, s: &str| {
            Uuid::parse_str(s)
                .map_err(|_| PaymentError::invalid(field, format!("{s:?} is not a UUID")))
        };
        Ok(Owner {
            tenant: uuid("owner.tenant_id", tenant)?,
            kind: match kind {
                "user" => "user",
                "org" => "org",
                other => {
                    return Err(PaymentError::invalid(
                        "owner.kind",
                        format!("{other:?}: \"user\" or \"org\""),
                    ));
                }
            },
            id: uuid("owner.owner_id", id)?,
        })
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}

/// A wallet's balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletView {
    pub wallet_id: Uuid,
    pub held_id: Uuid,
    pub owner: Owner,
    pub balance_fen: i64,
    pub held_fen: i64,
    pub credit_limit_fen: i64,
}

/// The wallet's two accounts, created if new.
pub async fn ensure(pool: &PgPool, owner: &Owner) -> Result<(Uuid, Uuid), PaymentError> {
    let key = owner.key();
    let wallet =
        account_ids::ensure(pool, owner.tenant, AccountKind::Wallet, owner.kind, &key, 0).await?;
    let held =
        account_ids::ensure(pool, owner.tenant, AccountKind::Held, owner.kind, &key, 0).await?;
    Ok((wallet, held))
}

/// [`ensure`] on a connection the caller holds (inside its transaction: taking a second
/// pooled connection there could wait forever under load).
pub async fn ensure_in(
    conn: &mut PgConnection,
    owner: &Owner,
) -> Result<(Uuid, Uuid), PaymentError> {
    let key = owner.key();
    let wallet =
        accounts::ensure(conn, owner.tenant, AccountKind::Wallet, owner.kind, &key, 0).await?;
    let held = accounts::ensure(conn, owner.tenant, AccountKind::Held, owner.kind, &key, 0).await?;
    Ok((wallet, held))
}

/// The wallet as it is now (a new wallet is empty).
pub async fn view(pool: &PgPool, owner: &Owner) -> Result<WalletView, PaymentError> {
    let (wallet_id, held_id) = ensure(pool, owner).await?;
    let [(_, _, balance_fen, credit_limit_fen), (_, _, held_fen, _)] =
        balances(pool, wallet_id, held_id).await?;
    Ok(WalletView {
        wallet_id,
        held_id,
        owner: *owner,
        balance_fen,
        held_fen,
        credit_limit_fen,
    })
}

/// The wallet whose two accounts are `wallet_id` and `held_id` (e.g. a hold's), with its
/// owner read from the accounts.
pub async fn view_of(
    pool: &PgPool,
    tenant: Uuid,
    wallet_id: Uuid,
    held_id: Uuid,
) -> Result<WalletView, PaymentError> {
    let [
        (kind, owner_id, balance_fen, credit_limit_fen),
        (_, _, held_fen, _),
    ] = balances(pool, wallet_id, held_id).await?;
    Ok(WalletView {
        wallet_id,
        held_id,
        owner: Owner::parse(&tenant.to_string(), &kind, &owner_id)?,
        balance_fen,
        held_fen,
        credit_limit_fen,
    })
}

/// (owner kind, owner key, balance, credit limit) of the wallet and held accounts, read
/// in one statement.
async fn balances(
    pool: &PgPool,
    wallet_id: Uuid,
    held_id: Uuid,
) -> Result<[(String, String, i64, i64); 2], PaymentError> {
    let rows: Vec<(Uuid, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, owner_kind, owner_key, balance_fen, credit_limit_fen FROM payment.accounts \
         WHERE id = ANY($1)",
    )
    .bind([wallet_id, held_id])
    .fetch_all(pool)
    .await?;
    let pick = |id: Uuid| {
        rows.iter()
            .find(|r| r.0 == id)
            .map(|r| (r.1.clone(), r.2.clone(), r.3, r.4))
            .ok_or_else(|| PaymentError::NotFound(format!("account {id}")))
    };
    Ok([pick(wallet_id)?, pick(held_id)?])
}

/// Money that arrived at `provider` for the wallet (a top-up), posted once per key.
pub async fn top_up(
    pool: &PgPool,
    ns: &bus::Namespace,
    owner: &Owner,
    provider: &str,
    amount_fen: i64,
    key: &str,
    reference: &str,
) -> Result<Posted, PaymentError> {
    let mut tx = pool.begin().await?;
    let posted = post_top_up(&mut tx, ns, owner, provider, amount_fen, key, reference).await?;
    tx.commit().await?;
    Ok(posted)
}

/// The top-up of a provider payment, inside the transaction that marks it paid; keyed
/// by the payment, so a second callback or query cannot credit it twice.
pub async fn top_up_in(
    conn: &mut PgConnection,
    ctx: &super::ctx::Ctx,
    owner: &Owner,
    provider: &str,
    amount_fen: i64,
    payment: Uuid,
) -> Result<Posted, PaymentError> {
    let key = format!("payment:{payment}");
    let reference = payment.to_string();
    post_top_up(conn, &ctx.ns, owner, provider, amount_fen, &key, &reference).await
}

/// A charging order paid directly at a provider: the money is the operator's revenue at
/// once (clearing → revenue), posted once per payment.
pub async fn order_paid_in(
    conn: &mut PgConnection,
    ctx: &super::ctx::Ctx,
    tenant: Uuid,
    provider: &str,
    amount_fen: i64,
    payment: Uuid,
    order_ref: &str,
) -> Result<Posted, PaymentError> {
    let shard = |kind| ledger::shard_for(kind, &payment.to_string());
    let clearing = accounts::ensure(
        conn,
        tenant,
        AccountKind::Clearing,
        "provider",
        provider,
        shard(AccountKind::Clearing),
    )
    .await?;
    let revenue = accounts::ensure(
        conn,
        tenant,
        AccountKind::Revenue,
        "tenant",
        &tenant.to_string(),
        shard(AccountKind::Revenue),
    )
    .await?;
    let entry = ledger::order_paid(clearing, revenue, amount_fen)?;
    let key = format!("payment:{payment}");
    let canonical = format!("order_paid|{order_ref}|{provider}|{amount_fen}");
    post(
        conn,
        &ctx.ns,
        &Request {
            tenant,
            key: &key,
            canonical: &canonical,
            reference: order_ref,
        },
        &entry,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn post_top_up(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    owner: &Owner,
    provider: &str,
    amount_fen: i64,
    key: &str,
    reference: &str,
) -> Result<Posted, PaymentError> {
    let (wallet, _) = ensure_in(conn, owner).await?;
    let clearing = accounts::ensure(
        conn,
        owner.tenant,
        AccountKind::Clearing,
        "provider",
        provider,
        ledger::shard_for(AccountKind::Clearing, reference),
    )
    .await?;
    let entry = ledger::top_up(clearing, wallet, amount_fen)?;
    let canonical = format!("top_up|{}:{}|{provider}|{amount_fen}", owner.kind, owner.id);
    post(
        conn,
        ns,
        &Request {
            tenant: owner.tenant,
            key,
            canonical: &canonical,
            reference,
        },
        &entry,
    )
    .await
}

/// How far below zero the wallet may go (operators grant credit to fleets).
pub async fn set_credit_limit(
    pool: &PgPool,
    owner: &Owner,
    credit_limit_fen: i64,
) -> Result<WalletView, PaymentError> {
    if credit_limit_fen < 0 {
        return Err(PaymentError::invalid(
            "credit_limit_fen",
            "must not be negative",
        ));
    }
    let (wallet, _) = ensure(pool, owner).await?;
    accounts::set_credit_limit(pool, wallet, credit_limit_fen).await?;
    view(pool, owner).await
}
