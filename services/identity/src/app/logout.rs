//! `POST /auth/logout`: revoke the refresh token's family. Idempotent; an unknown token
//! is not an error (nothing to reveal).

use super::Ctx;
use crate::error::Result;
use crate::{store, tokens};

pub async fn run(ctx: &Ctx, token: &str) -> Result<()> {
    if token.is_empty() || token.len() > 200 {
        return Ok(());
    }
    let mut tx = ctx.pool.begin().await?;
    if let Some(row) = store::refresh::by_hash_for_update(&mut *tx, &tokens::sha256(token)).await? {
        store::refresh::revoke_family(&mut *tx, row.family_id, "logout").await?;
    }
    tx.commit().await?;
    Ok(())
}
