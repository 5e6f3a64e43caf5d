//! Holds for charging sessions: reserve, then capture the actual amount (the rest goes
//! back) or release everything. Every call is idempotent by key.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::ledger::{self, AccountKind, EntryKind, LedgerError};
use crate::error::PaymentError;
use crate::store::accounts as store_accounts;
use crate::store::holds;

use super::account_ids;
use super::post::{Claimed, Request, WalletAfter, claim, write, write_unlocked};
use super::wallets::{Owner, WalletView, ensure, view_of};

const MAX_ORDER_REF: usize = 64;

/// A hold after a call, and its wallet as this call's entry left it (`None` when the
/// call was a replay and moved nothing: read the wallet if it is wanted).
#[derive(Debug)]
pub struct Moved {
    pub hold: holds::HoldRow,
    pub wallet: Option<WalletAfter>,
}

impl Moved {
    fn new(hold: holds::HoldRow, wallets: Vec<WalletAfter>) -> Self {
        let wallet = wallets.into_iter().find(|w| w.wallet_id == hold.wallet_id);
        Self { hold, wallet }
    }

    fn replayed(hold: holds::HoldRow) -> Self {
        Self { hold, wallet: None }
    }

    /// The hold's wallet: as this call's entry left it, or read when the call was a
    /// replay (it moved nothing).
    pub async fn wallet_view(&self, pool: &PgPool) -> Result<WalletView, PaymentError> {
        let h = &self.hold;
        match &self.wallet {
            Some(w) => Ok(WalletView {
                wallet_id: w.wallet_id,
                held_id: h.held_id,
                owner: Owner::parse(&h.tenant_id.to_string(), &w.owner_kind, &w.owner_key)?,
                balance_fen: w.balance_fen,
                held_fen: w.held_fen,
                credit_limit_fen: w.credit_limit_fen,
            }),
            None => view_of(pool, h.tenant_id, h.wallet_id, h.held_id).await,
        }
    }
}

/// Reserves `amount_fen` of the owner's wallet for `order_ref`; the hold comes back with
/// the wallet as it left it.
pub async fn hold(
    pool: &PgPool,
    ns: &bus::Namespace,
    owner: &Owner,
    order_ref: &str,
    amount_fen: i64,
    key: &str,
) -> Result<Moved, PaymentError> {
    if order_ref.is_empty() || order_ref.len() > MAX_ORDER_REF {
        return Err(PaymentError::invalid("order_ref", "1 to 64 characters"));
    }
    let (wallet, held) = ensure(pool, owner).await?;
    let entry = ledger::hold(wallet, held, amount_fen)?;
    let hold_id = Uuid::now_v7();
    let canonical = format!("hold|{}:{}|{order_ref}|{amount_fen}", owner.kind, owner.id);
    let reference = hold_id.to_string();
    let req = Request {
        tenant: owner.tenant,
        key,
        canonical: &canonical,
        reference: &reference,
    };
    let row = holds::HoldRow {
        id: hold_id,
        tenant_id: owner.tenant,
        wallet_id: wallet,
        held_id: held,
        order_ref: order_ref.to_owned(),
        amount_fen,
        captured_fen: 0,
        released_fen: 0,
        status: "held".into(),
    };
    let accounts = entry.accounts();
    // Usually one read and one statement; the locked transaction below when that
    // cannot decide (a replay, a wallet that moved in between, a floor).
    let mut conn = pool.acquire().await?;
    let seen = store_accounts::read(&mut *conn, &accounts).await?;
    if let Some(written) = write_unlocked(
        &mut conn,
        ns,
        &req,
        &entry,
        &seen,
        (holds::NEW_ROW, holds::INSERT_GUARDED),
        |q| holds::bind_insert(q, &row),
    )
    .await?
    {
        return Ok(Moved::new(row, written.wallets));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    match claim(&mut tx, &req, entry.kind, &accounts).await? {
        Claimed::New { entry_id, locked } => {
            let written = write(
                &mut tx,
                ns,
                &req,
                entry_id,
                &entry,
                &locked,
                holds::INSERT_LAST,
                |q| holds::bind_insert(q, &row),
            )
            .await?;
            tx.commit().await?;
            Ok(Moved::new(row, written.wallets))
        }
        Claimed::Replay { reference } => {
            tx.commit().await?;
            drop(conn);
            let hold = get(pool, owner.tenant, reference_id(&reference)?).await?;
            Ok(Moved::replayed(hold))
        }
    }
}

/// Takes `amount_fen` (≤ the hold) and gives the rest back to the wallet; the hold comes
/// back settled, with the wallet as it left it.
pub async fn capture(
    pool: &PgPool,
    ns: &bus::Namespace,
    tenant: Uuid,
    hold_id: Uuid,
    amount_fen: i64,
    key: &str,
) -> Result<Moved, PaymentError> {
    let revenue = account_ids::ensure(
        pool,
        tenant,
        AccountKind::Revenue,
        "tenant",
        &tenant.to_string(),
        ledger::shard_for(AccountKind::Revenue, &hold_id.to_string()),
    )
    .await?;
    let canonical = format!("capture|{hold_id}|{amount_fen}");
    settle(
        pool,
        ns,
        tenant,
        hold_id,
        key,
        &canonical,
        EntryKind::Capture,
        &[revenue],
        |h| {
            ledger::capture(h.held_id, h.wallet_id, revenue, h.amount_fen, amount_fen)
                .map(|e| (e, amount_fen, h.amount_fen - amount_fen))
        },
    )
    .await
}

/// Gives the whole hold back; the hold comes back settled, with the wallet.
pub async fn release(
    pool: &PgPool,
    ns: &bus::Namespace,
    tenant: Uuid,
    hold_id: Uuid,
    key: &str,
) -> Result<Moved, PaymentError> {
    let canonical = format!("release|{hold_id}");
    settle(
        pool,
        ns,
        tenant,
        hold_id,
        key,
        &canonical,
        EntryKind::Release,
        &[],
        |h| ledger::release(h.held_id, h.wallet_id, h.amount_fen).map(|e| (e, 0, h.amount_fen)),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn settle(
    pool: &PgPool,
    ns: &bus::Namespace,
    tenant: Uuid,
    hold_id: Uuid,
    key: &str,
    canonical: &str,
    kind: EntryKind,
    others: &[Uuid],
    entry: impl Fn(&holds::HoldRow) -> Result<(ledger::Entry<Uuid>, i64, i64), LedgerError>,
) -> Result<Moved, PaymentError> {
    let reference = hold_id.to_string();
    let req = Request {
        tenant,
        key,
        canonical,
        reference: &reference,
    };
    let status = if kind == EntryKind::Capture {
        "captured"
    } else {
        "released"
    };
    // Usually one read and one statement; the locked transaction below when that
    // cannot decide (a replay, a hold already settled, a wallet that moved in between).
    let mut conn = pool.acquire().await?;
    if let Some((h, seen)) = holds::read_with_accounts(&mut *conn, tenant, hold_id, others).await?
        && h.status == "held"
        && let Ok((e, captured, released)) = entry(&h)
        && let Some(written) = write_unlocked(
            &mut conn,
            ns,
            &req,
            &e,
            &seen,
            (holds::HELD_ROW, holds::SETTLE_GUARDED),
            |q| holds::bind_settle(q, hold_id, status, captured, released),
        )
        .await?
    {
        return Ok(Moved::new(
            holds::settled_row(written.rows)?,
            written.wallets,
        ));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let h = holds::lock(&mut tx, tenant, hold_id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("hold {hold_id}")))?;
    // Built before the claim so its accounts are locked with it; an entry that cannot
    // be built matters only if the claim is new (a replay answers with the hold).
    let built = entry(&h);
    let accounts = built
        .as_ref()
        .map(|(e, _, _)| e.accounts())
        .unwrap_or_default();
    match claim(&mut tx, &req, kind, &accounts).await? {
        Claimed::Replay { .. } => {
            tx.commit().await?;
            Ok(Moved::replayed(h))
        }
        Claimed::New { entry_id, locked } => {
            if h.status != "held" {
                return Err(LedgerError::HoldSettled(h.status).into());
            }
            let (e, captured, released) = built?;
            let written = write(
                &mut tx,
                ns,
                &req,
                entry_id,
                &e,
                &locked,
                holds::SETTLE_LAST,
                |q| holds::bind_settle(q, hold_id, status, captured, released),
            )
            .await?;
            let settled = holds::settled_row(written.rows)?;
            tx.commit().await?;
            Ok(Moved::new(settled, written.wallets))
        }
    }
}

pub async fn get(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<holds::HoldRow, PaymentError> {
    holds::get(pool, tenant, id)
        .await?
        .ok_or_else(|| PaymentError::NotFound(format!("hold {id}")))
}

fn reference_id(reference: &str) -> Result<Uuid, PaymentError> {
    Uuid::parse_str(reference).map_err(|_| PaymentError::NotFound(format!("hold {reference}")))
}
