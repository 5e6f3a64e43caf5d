//! Uploading a DNY firmware image (kept in `charging.firmware_images`).

use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Subject};
use super::{Actor, now};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::operations::domain::firmware::{byte_sum, check_image};
use crate::operations::store::firmware::{self, ImageMeta};
use crate::registry::domain::text;

/// Stores `image` under `name` in `tenant`, audited as `firmware_upload`.
pub async fn upload(
    ctx: &Ctx,
    tenant: Uuid,
    actor: &Actor,
    name: &str,
    image: &[u8],
) -> Result<ImageMeta, ChargingError> {
    let name = text("name", name, 100)?;
    check_image("firmware", image)?;
    let at = now();
    let meta = ImageMeta {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name,
        size_bytes: i32::try_from(image.len()).unwrap_or(i32::MAX),
        byte_sum: byte_sum(image),
        uploaded_by: actor.id.clone(),
        created_at: at,
    };
    let root = format!("/{tenant}/");
    let mut tx = ctx.pool.begin().await?;
    firmware::insert(&mut *tx, &meta, image).await?;
    audit::record(
        &mut tx,
        ctx.ns(),
        actor,
        Subject {
            tenant,
            device_id: None,
            campaign_id: None,
            node_path: &root,
            action: "firmware_upload",
            request: json!({"firmware_id": meta.id, "name": meta.name, "size_bytes": meta.size_bytes}),
        },
        "ok",
        "",
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(meta)
}
