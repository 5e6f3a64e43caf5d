//! Scanning: a QR code resolves to a device port and its site.

use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::qr::parse_code;
use crate::registry::store::qr::{self, Resolved};

pub async fn resolve(ctx: &Ctx, scanned: &str) -> Result<Resolved, ChargingError> {
    let code = parse_code(scanned)?;
    qr::resolve(&ctx.pool, &code)
        .await?
        .ok_or_else(|| ChargingError::NotFound("QR code".into()))
}
