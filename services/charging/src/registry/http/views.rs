//! What the registry's REST answers look like.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::registry::domain::site::degrees;
use crate::registry::store::devices::DeviceRow;
use crate::registry::store::models::ModelRow;
use crate::registry::store::qr::{PortRow, Resolved};
use crate::registry::store::sites::SiteRow;

#[derive(Serialize)]
pub struct SiteView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub org_node_id: String,
    pub node_path: String,
    pub name: String,
    pub address: String,
    /// Degrees (WGS-84); stored as micro-degrees.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub opening_hours: String,
    pub photo_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SiteRow> for SiteView {
    fn from(s: SiteRow) -> Self {
        Self {
            id: s.id,
            tenant_id: s.tenant_id,
            org_node_id: s.org_node_id,
            node_path: s.node_path,
            name: s.name,
            address: s.address,
            lat: degrees(s.lat_e6),
            lng: degrees(s.lng_e6),
            opening_hours: s.opening_hours,
            photo_url: s.photo_url,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Serialize)]
pub struct ModelView {
    pub id: Uuid,
    pub name: String,
    pub protocol: String,
    pub port_count: i16,
    pub max_power_w: i32,
    pub created_at: DateTime<Utc>,
}

impl From<ModelRow> for ModelView {
    fn from(m: ModelRow) -> Self {
        Self {
            id: m.id,
            name: m.name,
            protocol: m.protocol,
            port_count: m.port_count,
            max_power_w: m.max_power_w,
            created_at: m.created_at,
        }
    }
}

#[derive(Serialize)]
pub struct DeviceView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub device_id: String,
    pub protocol: String,
    pub kind: String,
    pub gateway_id: Option<String>,
    pub socket_no: Option<i16>,
    pub mac: Option<String>,
    pub uid: Option<String>,
    pub model_id: Option<Uuid>,
    pub model: Option<String>,
    pub site_id: Option<Uuid>,
    pub node_path: String,
    pub status: String,
    pub port_count: i16,
    pub provisioned_at: Option<DateTime<Utc>>,
    pub provision_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DeviceRow> for DeviceView {
    fn from(d: DeviceRow) -> Self {
        Self {
            id: d.id,
            tenant_id: d.tenant_id,
            device_id: d.device_id,
            protocol: d.protocol,
            kind: d.kind,
            gateway_id: d.gateway_id,
            socket_no: d.socket_no,
            mac: d.mac,
            uid: d.uid,
            model_id: d.model_id,
            model: d.model_name,
            site_id: d.site_id,
            node_path: d.node_path,
            status: d.status,
            port_count: d.port_count,
            provisioned_at: d.provisioned_at,
            provision_error: d.provision_error,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize)]
pub struct PortView {
    pub number: i16,
    pub qr_code: Option<String>,
}

impl From<PortRow> for PortView {
    fn from(p: PortRow) -> Self {
        Self {
            number: p.number,
            qr_code: p.qr_code,
        }
    }
}

/// A scan's answer: what a driver needs to start charging, nothing internal.
#[derive(Serialize)]
pub struct ResolvedView {
    pub device: ResolvedDevice,
    pub port: i16,
    pub site: Option<ResolvedSite>,
}

#[derive(Serialize)]
pub struct ResolvedDevice {
    pub device_id: String,
    pub protocol: String,
    pub status: String,
}

#[derive(Serialize)]
pub struct ResolvedSite {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
}

impl From<Resolved> for ResolvedView {
    fn from(r: Resolved) -> Self {
        let site = match (r.site_id, r.site_name) {
            (Some(id), Some(name)) => Some(ResolvedSite {
                id,
                name,
                address: r.site_address.unwrap_or_default(),
                opening_hours: r.site_opening_hours.unwrap_or_default(),
            }),
            _ => None,
        };
        Self {
            device: ResolvedDevice {
                device_id: r.device_id,
                protocol: r.protocol,
                status: r.status,
            },
            port: r.port,
            site,
        }
    }
}
