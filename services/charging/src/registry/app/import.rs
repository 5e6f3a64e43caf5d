//! CSV import and export of devices (format in `domain::csv`). An import registers
//! each row on its own: a bad row is reported and the others go on.

use serde::Serialize;
use uuid::Uuid;

use super::Allowed;
use super::devices::{self, NewDevice};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::FieldError;
use crate::registry::domain::csv::{self, COLUMNS, Row};
use crate::registry::domain::device::DeviceInput;
use crate::registry::store::{Reach, devices as store, models};

/// Most devices one export writes.
pub const MAX_EXPORT: i64 = 50_000;

/// One refused row.
#[derive(Debug, Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub errors: Vec<RowError>,
}

fn row_error(row: usize, e: FieldError) -> RowError {
    RowError {
        row,
        field: e.field,
        message: e.message,
    }
}

pub async fn import(
    ctx: &Ctx,
    tenant: Uuid,
    text: &str,
    allowed: Allowed<'_>,
) -> Result<ImportReport, ChargingError> {
    let (rows, bad) = csv::parse(text).map_err(|e| ChargingError::Invalid(e.to_string()))?;
    let mut errors: Vec<RowError> = bad.into_iter().map(|(n, e)| row_error(n, e)).collect();
    let mut created = 0;
    for row in rows {
        match one(ctx, tenant, &row, allowed).await {
            Ok(()) => created += 1,
            Err(ChargingError::Invalid(m)) => {
                let (field, message) = m.split_once(": ").unwrap_or(("row", &m));
                errors.push(RowError {
                    row: row.number,
                    field: field.to_owned(),
                    message: message.to_owned(),
                });
            }
            Err(ChargingError::Refused(_, _, m)) => {
                let (field, message) = m.split_once(": ").unwrap_or(("row", &m));
                errors.push(RowError {
                    row: row.number,
                    field: field.to_owned(),
                    message: message.to_owned(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    errors.sort_by_key(|e| e.row);
    Ok(ImportReport { created, errors })
}

async fn one(
    ctx: &Ctx,
    tenant: Uuid,
    row: &Row,
    allowed: Allowed<'_>,
) -> Result<(), ChargingError> {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let model_id = match row.model.as_str() {
        "" => None,
        name => Some(
            models::by_name(&ctx.pool, tenant, name)
                .await?
                .ok_or_else(|| FieldError::new("model", format!("no model named {name:?}")))?
                .id,
        ),
    };
    let site_id = match row.site_id.as_str() {
        "" => None,
        s => Some(
            s.parse::<Uuid>()
                .map_err(|_| FieldError::new("site_id", format!("{s:?} is not a site id")))?,
        ),
    };
    let port_count = match row.port_count.as_str() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| FieldError::new("port_count", format!("{s:?} is not a number")))?,
        ),
    };
    let new = NewDevice {
        input: DeviceInput {
            protocol: row.protocol.clone(),
            device_id: row.device_id.clone(),
            mac: opt(&row.mac),
            uid: opt(&row.uid),
            status: opt(&row.status),
            port_count,
        },
        model_id,
        site_id,
    };
    devices::create(ctx, tenant, &new, allowed)
        .await
        .map(|_| ())
}

/// Every device in reach as CSV (the import's format, so an export re-imports).
pub async fn export(ctx: &Ctx, reach: &Reach) -> Result<String, ChargingError> {
    let rows = store::all(&ctx.pool, reach, MAX_EXPORT).await?;
    let mut out = csv::line(&COLUMNS);
    for d in rows {
        let site = d.site_id.map(|s| s.to_string()).unwrap_or_default();
        let ports = d.port_count.to_string();
        out.push_str(&csv::line(&[
            &d.device_id,
            &d.protocol,
            d.model_name.as_deref().unwrap_or(""),
            &site,
            d.uid.as_deref().unwrap_or(""),
            d.mac.as_deref().unwrap_or(""),
            &d.status,
            &ports,
        ]));
    }
    Ok(out)
}
