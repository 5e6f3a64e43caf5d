//! JSON views of operations, campaigns and firmware images.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::operations::domain::campaign::Counts;
use crate::operations::store::audit::OperationRow;
use crate::operations::store::campaigns::CampaignRow;
use crate::operations::store::devices::TargetRow;
use crate::operations::store::firmware::ImageMeta;

#[derive(Serialize)]
pub struct ActorView {
    /// user, app or campaign.
    pub kind: String,
    pub id: String,
    pub roles: Vec<String>,
}

#[derive(Serialize)]
pub struct OperationView {
    pub id: String,
    pub tenant_id: String,
    pub actor: ActorView,
    pub device_id: Option<String>,
    pub campaign_id: Option<String>,
    pub action: String,
    pub request: Value,
    /// `sent` (outcome unknown yet, or never learned) or `done`.
    pub status: String,
    pub outcome: Option<String>,
    pub device_code: Option<i32>,
    pub detail: String,
    pub result: Option<Value>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<OperationRow> for OperationView {
    fn from(r: OperationRow) -> Self {
        Self {
            id: r.id.to_string(),
            tenant_id: r.tenant_id.to_string(),
            actor: ActorView {
                kind: r.actor_kind,
                id: r.actor_id,
                roles: r.actor_roles,
            },
            device_id: r.device_id,
            campaign_id: r.campaign_id.map(|c| c.to_string()),
            action: r.action,
            request: r.request,
            status: r.status,
            outcome: r.outcome,
            device_code: r.device_code,
            detail: r.detail,
            result: r.result,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(Serialize)]
pub struct ParametersView {
    pub group: String,
    pub values: Value,
    pub operation: OperationView,
}

#[derive(Serialize, Default)]
pub struct CountsView {
    pub total: i64,
    pub pending: i64,
    pub sending: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub aborted: i64,
}

impl From<&Counts> for CountsView {
    fn from(c: &Counts) -> Self {
        Self {
            total: c.total(),
            pending: c.pending,
            sending: c.sending,
            succeeded: c.succeeded,
            failed: c.failed,
            aborted: c.aborted,
        }
    }
}

#[derive(Serialize)]
pub struct StageView {
    /// 1-based.
    pub stage: usize,
    /// Cumulative share of the targets.
    pub percent: i16,
    /// Its devices may be sent.
    pub open: bool,
    pub devices: CountsView,
}

#[derive(Serialize)]
pub struct FirmwareView {
    pub protocol: String,
    pub firmware_id: Option<String>,
    pub dny_kind: Option<String>,
    pub check_device_type: Option<i32>,
    pub check_version: Option<i32>,
    pub ftp_host: Option<String>,
    pub ftp_port: Option<i32>,
    pub file_name: Option<String>,
}

#[derive(Serialize)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub state: String,
    pub firmware: FirmwareView,
    pub targets: Value,
    pub scope_path: String,
    pub stages: Vec<StageView>,
    /// 1-based number of the open stage.
    pub current_stage: i16,
    pub auto_advance_pct: Option<i16>,
    pub concurrency: i32,
    pub max_attempts: i32,
    pub retry_after_secs: i32,
    pub devices: CountsView,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl CampaignView {
    pub fn new(c: CampaignRow, all: &Counts, per: &[Counts]) -> Self {
        let stages = c
            .stages
            .iter()
            .enumerate()
            .map(|(i, p)| StageView {
                stage: i + 1,
                percent: *p,
                open: i64::try_from(i).unwrap_or(i64::MAX) <= i64::from(c.stage),
                devices: per.get(i).map(CountsView::from).unwrap_or_default(),
            })
            .collect();
        Self {
            id: c.id.to_string(),
            name: c.name,
            state: c.state,
            firmware: FirmwareView {
                protocol: c.protocol,
                firmware_id: c.firmware_id.map(|f| f.to_string()),
                dny_kind: c.dny_kind,
                check_device_type: c.check_device_type,
                check_version: c.check_version,
                ftp_host: c.ftp_host,
                ftp_port: c.ftp_port,
                file_name: c.ftp_file,
            },
            targets: c.targets,
            scope_path: c.scope_path,
            stages,
            current_stage: c.stage + 1,
            auto_advance_pct: c.auto_advance_pct,
            concurrency: c.concurrency,
            max_attempts: c.max_attempts,
            retry_after_secs: c.retry_after_secs,
            devices: all.into(),
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            finished_at: c.finished_at,
        }
    }
}

#[derive(Serialize)]
pub struct TargetView {
    pub device_id: String,
    pub node_path: String,
    /// 1-based.
    pub stage: i16,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// From FirmwareProgress events.
    pub packets_done: i32,
    pub packets_total: i32,
    pub operation_id: Option<String>,
    pub reason: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<TargetRow> for TargetView {
    fn from(t: TargetRow) -> Self {
        Self {
            device_id: t.device_id,
            node_path: t.node_path,
            stage: t.stage + 1,
            state: t.state,
            attempts: t.attempts,
            next_attempt_at: t.next_attempt_at,
            packets_done: t.packets_done,
            packets_total: t.packets_total,
            operation_id: t.operation_id.map(|o| o.to_string()),
            reason: t.reason,
            sent_at: t.sent_at,
            finished_at: t.finished_at,
        }
    }
}

#[derive(Serialize)]
pub struct ImageView {
    pub id: String,
    pub name: String,
    pub size_bytes: i32,
    pub byte_sum: i64,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ImageMeta> for ImageView {
    fn from(m: ImageMeta) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name,
            size_bytes: m.size_bytes,
            byte_sum: m.byte_sum,
            uploaded_by: m.uploaded_by,
            created_at: m.created_at,
        }
    }
}
