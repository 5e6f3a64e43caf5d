//! `GET /api/v1/charging/stations?lat=&lng=&radius_m=` and `GET …/stations/{site_id}`.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use runtime::auth::{Auth, OrgPath};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiResult, ok};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::geo;
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::tariffs;

runtime::permission!(pub SitesRead = "sites:read");

/// The widest search a driver may make.
const MAX_RADIUS_M: f64 = 50_000.0;

pub fn routes() -> Router<Ctx> {
    Router::new()
        .route("/api/v1/charging/stations", get(nearby))
        .route("/api/v1/charging/stations/{site_id}", get(detail))
}

#[derive(Deserialize)]
pub struct Near {
    /// Degrees (WGS-84).
    lat: f64,
    lng: f64,
    radius_m: Option<f64>,
}

#[derive(Serialize)]
pub struct Station {
    pub site_id: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub distance_m: u32,
    pub opening_hours: String,
    pub ports_total: i64,
    /// Idle ports of online devices: where a driver can plug in now.
    pub ports_free: i64,
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: Uuid,
    name: String,
    address: String,
    lat_e6: i32,
    lng_e6: i32,
    opening_hours: String,
    node_path: String,
    ports_total: i64,
    ports_free: i64,
}

const SITE_QUERY: &str = "SELECT s.id, s.name, s.address, s.lat_e6, s.lng_e6, s.opening_hours, s.node_path, \
     (SELECT count(*) FROM charging.ports p JOIN charging.devices d ON d.id = p.device_id WHERE d.site_id = s.id) AS ports_total, \
     (SELECT count(*) FROM charging.ports p JOIN charging.devices d ON d.id = p.device_id \
        JOIN charging.live_devices ld ON ld.device_id = d.device_id \
        JOIN charging.live_ports lp ON lp.device_id = d.device_id AND lp.port = p.number \
      WHERE d.site_id = s.id AND ld.online AND lp.state = 'idle') AS ports_free \
     FROM charging.sites s";

fn degrees(e6: i32) -> f64 {
    f64::from(e6) / 1e6
}

fn tenant(auth: &Auth<SitesRead>) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&auth.tenant)
        .map_err(|_| ApiError::from(ChargingError::invalid("tenant", "not a UUID")))
}

/// Nearby stations of the caller's operator, nearest first.
async fn nearby(
    State(ctx): State<Ctx>,
    auth: Auth<SitesRead>,
    ApiQuery(q): ApiQuery<Near>,
) -> ApiResult<Vec<Station>> {
    let radius = q.radius_m.unwrap_or(5_000.0);
    if !(q.lat.abs() <= 90.0 && q.lng.abs() <= 180.0) {
        return Err(ChargingError::invalid("lat", "lat in -90..=90 and lng in -180..=180").into());
    }
    if !(1.0..=MAX_RADIUS_M).contains(&radius) {
        return Err(ChargingError::invalid("radius_m", format!("1..={MAX_RADIUS_M}")).into());
    }
    let center = ((q.lat * 1e6) as i32, (q.lng * 1e6) as i32);
    let ((lat0, lng0), (lat1, lng1)) = geo::bounding_box(center, radius);
    let rows: Vec<SiteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_QUERY} WHERE s.tenant_id = $1 AND s.lat_e6 BETWEEN $2 AND $3 AND s.lng_e6 BETWEEN $4 AND $5 LIMIT 500"
    )))
    .bind(tenant(&auth)?)
    .bind(lat0)
    .bind(lat1)
    .bind(lng0)
    .bind(lng1)
    .fetch_all(&ctx.pool)
    .await
    .map_err(ChargingError::from)?;
    let mut out: Vec<Station> = rows
        .into_iter()
        .filter(|s| OrgPath::parse(&s.node_path).is_ok_and(|p| auth.can("sites:read", &p)))
        .filter_map(|s| {
            let d = geo::distance_m(center, (s.lat_e6, s.lng_e6));
            (d <= radius).then(|| Station {
                site_id: s.id.to_string(),
                name: s.name,
                address: s.address,
                lat: degrees(s.lat_e6),
                lng: degrees(s.lng_e6),
                distance_m: d.round() as u32,
                opening_hours: s.opening_hours,
                ports_total: s.ports_total,
                ports_free: s.ports_free,
            })
        })
        .collect();
    out.sort_by_key(|s| s.distance_m);
    Ok(ok(out))
}

#[derive(Serialize)]
pub struct StationDetail {
    #[serde(flatten)]
    pub station: Station,
    /// The tariff in force now (pricing's JSON), if the site has one.
    pub tariff: Option<serde_json::Value>,
}

/// A station with its tariff.
async fn detail(
    State(ctx): State<Ctx>,
    auth: Auth<SitesRead>,
    Path(site_id): Path<String>,
) -> ApiResult<StationDetail> {
    let id = Uuid::parse_str(&site_id).map_err(|_| ApiError::not_found("station"))?;
    let row: SiteRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_QUERY} WHERE s.tenant_id = $1 AND s.id = $2"
    )))
    .bind(tenant(&auth)?)
    .bind(id)
    .fetch_optional(&ctx.pool)
    .await
    .map_err(ChargingError::from)?
    .ok_or_else(|| ApiError::not_found("station"))?;
    let path = OrgPath::parse(&row.node_path).map_err(|_| ApiError::not_found("station"))?;
    auth.at(&path)?;
    let tariff = tariffs::resolve(&ctx, tenant(&auth)?, &row.node_path)
        .await
        .ok()
        .and_then(|t| serde_json::from_str(&t.body_json).ok());
    Ok(ok(StationDetail {
        station: Station {
            site_id: row.id.to_string(),
            name: row.name,
            address: row.address,
            lat: degrees(row.lat_e6),
            lng: degrees(row.lng_e6),
            distance_m: 0,
            opening_hours: row.opening_hours,
            ports_total: row.ports_total,
            ports_free: row.ports_free,
        },
        tariff,
    }))
}
