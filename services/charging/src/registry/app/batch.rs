//! Batch operations on many devices, each reported on its own.

use serde::Serialize;
use uuid::Uuid;

use super::Allowed;
use super::devices::{self, Changes};
use crate::ctx::Ctx;
use crate::error::ChargingError;

/// Most devices one batch touches.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Serialize)]
pub struct ItemResult {
    pub device_id: String,
    pub ok: bool,
    /// Why it failed (`None` when ok).
    pub error: Option<String>,
    /// GN sockets: the provisioning outcome of this binding.
    pub provision_error: Option<String>,
}

/// Binds (or with `site: None` unbinds) every device to the site. `may_change` checks
/// the device's current node, `allowed` the site's.
pub async fn bind(
    ctx: &Ctx,
    tenant: Option<Uuid>,
    device_ids: &[String],
    site: Option<Uuid>,
    may_change: Allowed<'_>,
    allowed: Allowed<'_>,
) -> Result<Vec<ItemResult>, ChargingError> {
    if device_ids.is_empty() || device_ids.len() > MAX_BATCH {
        return Err(ChargingError::invalid(
            "device_ids",
            format!("must list 1 to {MAX_BATCH} devices"),
        ));
    }
    let changes = Changes {
        site_id: Some(site),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(device_ids.len());
    for id in device_ids {
        let r = async {
            let (row, path) = devices::get(ctx, tenant, id).await?;
            if !may_change(&path) {
                return Err(super::forbidden());
            }
            devices::update(ctx, row, &changes, allowed).await
        }
        .await;
        out.push(match r {
            Ok(row) => ItemResult {
                device_id: row.device_id,
                ok: true,
                error: None,
                provision_error: row.provision_error,
            },
            Err(e @ (ChargingError::Db(_) | ChargingError::Bus(_))) => return Err(e),
            Err(e) => ItemResult {
                device_id: id.clone(),
                ok: false,
                error: Some(e.to_string()),
                provision_error: None,
            },
        });
    }
    Ok(out)
}
