//! `GET /qr/{code}`: what a scanned sticker is.
//!
//! Decision: any authenticated caller of the code's tenant (drivers included, no
//! permission needed), not anonymous: a driver app is per operator and logs in before
//! charging, and anonymous resolution would let anyone map an operator's fleet from
//! photographed stickers. Another tenant's code answers 404 like an unknown one.

use axum::extract::{Path, State};
use runtime::auth::Caller;
use runtime::http::{ApiResult, ok};

use super::views::ResolvedView;
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::app;

pub async fn resolve(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<ResolvedView> {
    let r = app::qr::resolve(&ctx, &code).await?;
    if !caller.platform_admin && caller.tenant != r.tenant_id.to_string() {
        return Err(ChargingError::NotFound("QR code".into()).into());
    }
    Ok(ok(r.into()))
}
