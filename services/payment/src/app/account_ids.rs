//! Account ids by owner, remembered once read. An account is never deleted and its id
//! never changes, so a remembered id stays right; every hold and capture would otherwise
//! look its accounts up again. Only ids read on a pooled connection outside any
//! transaction are remembered: they are committed, whereas an account created inside a
//! transaction that later rolls back must not be.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::ledger::AccountKind;
use crate::store::accounts;

/// Ids remembered at most; past it the memo starts over (a lookup is only a query).
const CAPACITY: usize = 200_000;

/// The database (host, port, name: one process may serve several, as tests do), then
/// the account's tenant, kind and owner.
type Key = (String, Uuid, AccountKind, &'static str, String, i16);

static KNOWN: LazyLock<Mutex<HashMap<Key, Uuid>>> = LazyLock::new(Mutex::default);

/// The account of `(kind, owner)` and shard, created on first use (as `accounts::ensure`).
pub async fn ensure(
    pool: &PgPool,
    tenant: Uuid,
    kind: AccountKind,
    owner_kind: &'static str,
    owner_key: &str,
    shard: i16,
) -> sqlx::Result<Uuid> {
    let db = pool.connect_options();
    let database = format!(
        "{}:{}/{}",
        db.get_host(),
        db.get_port(),
        db.get_database().unwrap_or_default()
    );
    let key = (
        database,
        tenant,
        kind,
        owner_kind,
        owner_key.to_owned(),
        shard,
    );
    if let Some(id) = known(&key) {
        return Ok(id);
    }
    let mut conn = pool.acquire().await?;
    let id = accounts::ensure(&mut conn, tenant, kind, owner_kind, owner_key, shard).await?;
    let mut memo = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if memo.len() >= CAPACITY {
        memo.clear();
    }
    memo.insert(key, id);
    Ok(id)
}

fn known(key: &Key) -> Option<Uuid> {
    KNOWN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(key)
        .copied()
}
