//! Posting one journal entry: claim the idempotency key, lock the accounts in a fixed
//! order, check every floor, write postings and balances, announce wallet changes.

use chrono::Utc;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::domain::ledger::{AccountKind, Entry, EntryKind, LedgerError, check_floor};
use crate::error::PaymentError;
use crate::store::accounts::Locked;
use crate::store::journal;

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

/// A wallet as an entry left it: its spendable part's balance and credit limit and its
/// held part, read from the locked accounts plus the entry's postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletAfter {
    pub wallet_id: Uuid,
    pub owner_kind: String,
    pub owner_key: String,
    pub balance_fen: i64,
    pub held_fen: i64,
    pub credit_limit_fen: i64,
}

/// What [`write`] wrote: the rows of the caller's statement, and every wallet the entry
/// moved as it left them (what their `wallet.changed` events say).
pub struct Written {
    pub rows: Vec<PgRow>,
    pub wallets: Vec<WalletAfter>,
}

/// What claiming an entry's key found.
pub enum Claimed {
    /// A new entry with this id; its accounts are locked, as they were before it.
    New { entry_id: Uuid, locked: Vec<Locked> },
    /// The same request was posted before (`reference` names its result): nothing to do.
    Replay { reference: String },
}

/// Claims the idempotency key for a new entry of `kind` and locks the accounts it will
/// move (`accounts`), in one round trip.
pub async fn claim(
    conn: &mut PgConnection,
    req: &Request<'_>,
    kind: EntryKind,
    accounts: &[Uuid],
) -> Result<Claimed, PaymentError> {
    check_key(req.key)?;
    let (claim, locked) = journal::claim_locking(
        conn,
        req.tenant,
        req.key,
        kind.as_str(),
        req.reference,
        req.canonical,
        accounts,
    )
    .await?;
    match claim {
        journal::Claim::New(entry_id) => Ok(Claimed::New { entry_id, locked }),
        journal::Claim::Replay { reference, .. } => Ok(Claimed::Replay { reference }),
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
    match claim(conn, req, entry.kind, &entry.accounts()).await? {
        Claimed::New { entry_id, locked } => {
            write(conn, ns, req, entry_id, entry, &locked, "SELECT 1", |q| q).await?;
            Ok(Posted::New(entry_id))
        }
        Claimed::Replay { reference } => Ok(Posted::Replay { reference }),
    }
}

/// Writes a claimed entry whose accounts `locked` holds: checks every floor, then in
/// one statement the postings, balances and `wallet.changed` events, and `last` (the
/// caller's statement, parameters from `$12`), whose rows come back with the wallets
/// the entry moved.
#[allow(clippy::too_many_arguments)]
pub async fn write<'q>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry_id: Uuid,
    entry: &'q Entry<Uuid>,
    locked: &[Locked],
    last: &str,
    bind_last: impl FnOnce(journal::PgQuery<'q>) -> journal::PgQuery<'q>,
) -> Result<Written, PaymentError> {
    let ids = entry.accounts();
    check_accounts(entry, locked)?;
    let wallets = wallets_after(conn, req, entry, locked).await?;
    let events = wallet_events(ns, req, entry_id, entry, &wallets)?;
    let amounts: Vec<i64> = entry.postings.iter().map(|p| p.amount_fen).collect();
    let rows = journal::write(conn, entry_id, ids, amounts, &events, last, bind_last).await?;
    Ok(Written { rows, wallets })
}

/// Writes a new entry on its accounts as they were read (`seen`), in one statement and
/// without a transaction around it: the key's claim, the moves (each only if its
/// account still holds what was read), the caller's row (`row_lock` and `guarded`,
/// parameters from `$20`, see `journal::write_unlocked`), postings and events. `None` when the locked
/// path ([`claim`], [`write`]) must decide instead: the key was used before (a replay or
/// a conflict), an account or the caller's row moved since the read, an account is
/// missing, or a floor fails on what was read. Nothing is written then.
pub async fn write_unlocked<'q>(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry: &'q Entry<Uuid>,
    seen: &[Locked],
    (row_lock, guarded): (&str, &str),
    bind_guarded: impl FnOnce(journal::PgQuery<'q>) -> journal::PgQuery<'q>,
) -> Result<Option<Written>, PaymentError> {
    check_key(req.key)?;
    // What fails here may pass under the locks (a top-up committing meanwhile), and
    // what truly fails is said by the locked path the same way.
    if check_accounts(entry, seen).is_err() {
        return Ok(None);
    }
    let moved = distinct_accounts(entry);
    let balance = |id: &Uuid| {
        seen.iter()
            .find(|a| a.id == *id)
            .map_or(0, |a| a.balance_fen)
    };
    let expected = journal::Expected {
        seen_fen: moved.iter().map(balance).collect(),
        delta_fen: moved.iter().map(|id| entry.delta(*id)).collect(),
        accounts: moved,
        posting_accounts: entry.postings.iter().map(|p| p.account).collect(),
        posting_fen: entry.postings.iter().map(|p| p.amount_fen).collect(),
    };
    let entry_id = Uuid::now_v7();
    let wallets = wallets_after(conn, req, entry, seen).await?;
    let events = wallet_events(ns, req, entry_id, entry, &wallets)?;
    let written = journal::write_unlocked(
        conn,
        entry_id,
        req.tenant,
        req.key,
        entry.kind.as_str(),
        req.reference,
        req.canonical,
        expected,
        &events,
        row_lock,
        guarded,
        bind_guarded,
    )
    .await?;
    Ok(written.map(|rows| Written { rows, wallets }))
}

/// The accounts an entry moves, each once, in id order.
fn distinct_accounts(entry: &Entry<Uuid>) -> Vec<Uuid> {
    let mut ids = entry.accounts();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The entry balances, `accounts` holds every account it moves (and no other), and
/// none of them ends below its floor.
fn check_accounts(entry: &Entry<Uuid>, accounts: &[Locked]) -> Result<(), PaymentError> {
    entry.check()?;
    let moved = distinct_accounts(entry);
    if accounts.len() != moved.len() || !accounts.iter().all(|a| moved.contains(&a.id)) {
        return Err(PaymentError::NotFound("account".into()));
    }
    for a in accounts {
        let kind = AccountKind::parse(&a.kind).ok_or(LedgerError::Overflow)?;
        check_floor(kind, a.balance_fen, a.credit_limit_fen, entry.delta(a.id))?;
    }
    Ok(())
}

/// Every wallet the entry moves (its spendable or held part), as the entry leaves it.
async fn wallets_after(
    conn: &mut PgConnection,
    req: &Request<'_>,
    entry: &Entry<Uuid>,
    locked: &[Locked],
) -> Result<Vec<WalletAfter>, PaymentError> {
    let mut owners: Vec<(&str, &str)> = locked
        .iter()
        .filter(|a| a.kind == "wallet" || a.kind == "held")
        .map(|a| (a.owner_kind.as_str(), a.owner_key.as_str()))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    let mut wallets = Vec::with_capacity(owners.len());
    for (owner_kind, owner_key) in owners {
        // Balances after the entry: locked before it, plus its postings. An owner with
        // only one of its two accounts in the entry (a top-up moves the spendable part)
        // has the other read.
        let after = |kind: &str| {
            locked
                .iter()
                .find(|a| a.kind == kind && a.owner_kind == owner_kind && a.owner_key == owner_key)
                .map(|a| (a.id, a.balance_fen + entry.delta(a.id), a.credit_limit_fen))
        };
        let (wallet, held) = match (after("wallet"), after("held")) {
            (Some(w), Some(h)) => (Some(w), h.1),
            _ => {
                // Two plain index lookups would be a self-join otherwise; a prepared
                // self-join went to a generic plan that scanned the accounts.
                let rows: Vec<(Uuid, String, i64, i64)> = sqlx::query_as(
                    "SELECT id, kind, balance_fen, credit_limit_fen FROM payment.accounts \
                     WHERE tenant_id = $1 AND kind IN ('wallet', 'held') AND owner_kind = $2 AND owner_key = $3",
                )
                .bind(req.tenant)
                .bind(owner_kind)
                .bind(owner_key)
                .fetch_all(&mut *conn)
                .await?;
                let of = |kind: &str| rows.iter().find(|r| r.1 == kind).map(|r| (r.0, r.2, r.3));
                (of("wallet"), of("held").map_or(0, |h| h.1))
            }
        };
        if let Some((wallet_id, balance_fen, credit_limit_fen)) = wallet {
            wallets.push(WalletAfter {
                wallet_id,
                owner_kind: owner_kind.into(),
                owner_key: owner_key.into(),
                balance_fen,
                held_fen: held,
                credit_limit_fen,
            });
        }
    }
    Ok(wallets)
}

/// `wallet.changed` for every wallet the entry moved.
fn wallet_events(
    ns: &bus::Namespace,
    req: &Request<'_>,
    entry_id: Uuid,
    entry: &Entry<Uuid>,
    wallets: &[WalletAfter],
) -> Result<Vec<bus::OutgoingEvent>, PaymentError> {
    let now = Utc::now();
    wallets
        .iter()
        .map(|w| {
            let event = proto::events::WalletChanged {
                tenant_id: req.tenant.to_string(),
                wallet_id: w.wallet_id.to_string(),
                owner_kind: w.owner_kind.clone(),
                owner_id: w.owner_key.clone(),
                balance_fen: w.balance_fen,
                held_fen: w.held_fen,
                entry_id: entry_id.to_string(),
                entry_kind: entry.kind.as_str().into(),
                reference: req.reference.into(),
                at: Some(bus::event::timestamp(now)),
            };
            crate::events::outgoing(ns, req.tenant, ("wallet", "changed"), now, &event)
        })
        .collect()
}
