//! Posting one journal entry: claim the idempotency key, lock the accounts in a fixed
//! order, check every floor, write postings and balances, announce wallet changes.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::ledger::{AccountKind, Entry, EntryKind, LedgerError, check_floor};
use crate::error::PaymentError;
use crate::store::{accounts, journal};

/// Why an entry is posted: the caller's key and the request in canonical form.
pub struct Request<'a> {
    pub tenant: Uuid,
    pub key: &'a str,
    pub canonical: &'a str,
    pub reference: &'a str,
}

/// The result of posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    New(Uuid),
    /// The same request was posted before; `reference` names its result.
    Replay {
        reference: String,
    },
}

pub fn check_key(key: &str) -> Result<(), PaymentError> {
    if key.is_empty() || key.len() > 128 {
        return Err(PaymentError::invalid(
            "idempotency_key",
            "1 to 128 characters",
        ));
    }
    Ok(())
}

/// Claims the idempotency key for a new entry of `kind`: `Ok(Err(posted))` when the same
/// request was made before (nothing to do), `Ok(Ok(id))` for a new entry.
pub async fn claim(
    conn: &mut PgConnection,
    req: &Request<'_>,
    kind: EntryKind,
) -> Result<Result<Uuid, Posted>, PaymentError> {
    check_key(req.key)?;
    match journal::claim(
        conn,
        req.tenant,
        req.key,
        kind.as_str(),
        req.reference,
        req.canonical,
    )
    .await?
    {
        journal::Claim::New(id) => Ok(Ok(id)),
        journal::Claim::Replay { reference, .. } => Ok(Err(Posted::Replay { reference })),
        journal::Claim::Conflict { request } => Err(PaymentError::KeyReused(request)),
    }
}

/// Posts `entry` (accounts by id) unless the key was used before.
pub async fn post(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry: &Entry<Uuid>,
) -> Result<Posted, PaymentError> {
    match claim(conn, req, entry.kind).await? {
        Ok(entry_id) => {
            apply(conn, ns, req, entry_id, entry).await?;
            Ok(Posted::New(entry_id))
        }
        Err(replay) => Ok(replay),
    }
}

/// Writes a claimed entry: locks its accounts in id order, checks every floor, writes
/// postings and balances, announces wallet changes.
pub async fn apply(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry_id: Uuid,
    entry: &Entry<Uuid>,
) -> Result<(), PaymentError> {
    entry.check()?;
    let ids: Vec<Uuid> = entry.postings.iter().map(|p| p.account).collect();
    let locked = accounts::lock(conn, &ids).await?;
    if locked.len() != ids.len() {
        return Err(PaymentError::NotFound("account".into()));
    }
    for a in &locked {
        let kind = AccountKind::parse(&a.kind).ok_or(LedgerError::Overflow)?;
        check_floor(kind, a.balance_fen, a.credit_limit_fen, entry.delta(a.id))?;
    }
    let amounts: Vec<i64> = entry.postings.iter().map(|p| p.amount_fen).collect();
    journal::insert_postings(conn, entry_id, &ids, &amounts).await?;
    accounts::apply(conn, &ids, &amounts).await?;
    announce(conn, ns, req, entry_id, entry).await
}

/// `wallet.changed` for every wallet the entry moved (its spendable or held part).
async fn announce(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry_id: Uuid,
    entry: &Entry<Uuid>,
) -> Result<(), PaymentError> {
    let ids: Vec<Uuid> = entry.postings.iter().map(|p| p.account).collect();
    // Starts from the entry's own accounts and joins by the unique (tenant, kind, owner)
    // key, so the plan does not depend on table statistics (a fresh database with many
    // wallets made the other order take seconds while the locks were held).
    let wallets: Vec<(Uuid, String, String, i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT w.id, w.owner_kind, w.owner_key, w.balance_fen, COALESCE(h.balance_fen, 0) \
         FROM payment.accounts a \
         JOIN payment.accounts w ON w.tenant_id = a.tenant_id AND w.kind = 'wallet' \
          AND w.owner_kind = a.owner_kind AND w.owner_key = a.owner_key \
         LEFT JOIN payment.accounts h ON h.tenant_id = a.tenant_id AND h.kind = 'held' \
          AND h.owner_kind = a.owner_kind AND h.owner_key = a.owner_key \
         WHERE a.id = ANY($2) AND a.kind IN ('wallet', 'held') AND a.tenant_id = $1",
    )
    .bind(req.tenant)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let now = Utc::now();
    for (wallet_id, owner_kind, owner_key, balance_fen, held_fen) in wallets {
        let event = proto::events::WalletChanged {
            tenant_id: req.tenant.to_string(),
            wallet_id: wallet_id.to_string(),
            owner_kind,
            owner_id: owner_key,
            balance_fen,
            held_fen,
            entry_id: entry_id.to_string(),
            entry_kind: entry.kind.as_str().into(),
            reference: req.reference.into(),
            at: Some(bus::event::timestamp(now)),
        };
        crate::events::enqueue(conn, ns, req.tenant, ("wallet", "changed"), now, &event).await?;
    }
    Ok(())
}
