//! Single remote operations on one device: reboot, read and write parameters, voice.
//! Validated before anything is written or sent; audited `sent` before the command
//! leaves, completed with the gateway's outcome after.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use proto::pylon::gateway::v1::{
    CommandResult, GetParametersRequest, RebootRequest, SetParametersRequest, SetVoiceRequest,
    TimeWindow,
};
use runtime::http::codes;
use serde_json::{Value, json};

use super::audit::{self, Subject};
use super::{Actor, now};
use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::operations::domain::outcome::Outcome;
use crate::operations::domain::voice::Voice;
use crate::operations::domain::{FieldError, params};
use crate::operations::store::audit::{Completion, OperationRow};
use crate::registry::store::devices::DeviceRow;

/// A validated command for one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Reboot,
    GetParameters {
        group: String,
    },
    SetParameters {
        group: String,
        values: BTreeMap<String, i64>,
    },
    SetVoice(Voice),
}

impl Command {
    pub fn reboot(d: &DeviceRow) -> Result<Self, FieldError> {
        if d.protocol != "dny" {
            return Err(FieldError::new(
                "device_id",
                "GN gateways and sockets have no documented reboot",
            ));
        }
        Ok(Self::Reboot)
    }

    pub fn get_parameters(d: &DeviceRow, group: &str) -> Result<Self, FieldError> {
        let g = params::group(&d.protocol, &d.kind, group)?;
        Ok(Self::GetParameters {
            group: g.name.to_owned(),
        })
    }

    pub fn set_parameters(
        d: &DeviceRow,
        group: &str,
        values: BTreeMap<String, i64>,
    ) -> Result<Self, FieldError> {
        let g = params::group(&d.protocol, &d.kind, group)?;
        params::validate_write(g, &values)?;
        Ok(Self::SetParameters {
            group: g.name.to_owned(),
            values,
        })
    }

    pub fn action(&self) -> &'static str {
        match self {
            Self::Reboot => "reboot",
            Self::GetParameters { .. } => "get_parameters",
            Self::SetParameters { .. } => "set_parameters",
            Self::SetVoice(_) => "set_voice",
        }
    }

    /// The request as the audit keeps it.
    fn request(&self) -> Value {
        match self {
            Self::Reboot => json!({}),
            Self::GetParameters { group } => json!({ "group": group }),
            Self::SetParameters { group, values } => json!({ "group": group, "values": values }),
            Self::SetVoice(v) => json!({
                "port": v.port, "beeper": v.beeper, "voice": v.voice,
                "windows": v.windows.iter().map(|(s, e)| json!({"start": s, "end": e})).collect::<Vec<_>>(),
            }),
        }
    }
}

/// Runs `cmd` on device `d` for `actor`: the completed operation when the device did it,
/// else the refusal (the audit row keeps the outcome either way).
pub async fn execute(
    ctx: &Ctx,
    actor: &Actor,
    d: &DeviceRow,
    cmd: Command,
) -> Result<OperationRow, ChargingError> {
    let subject = Subject {
        tenant: d.tenant_id,
        device_id: Some(&d.device_id),
        campaign_id: None,
        node_path: &d.node_path,
        action: cmd.action(),
        request: cmd.request(),
    };
    let mut conn = ctx.pool.acquire().await?;
    let op = audit::begin(&mut conn, actor, subject, now()).await?;
    drop(conn);
    let answer = send(ctx, &d.device_id, &cmd).await;
    let (outcome, completion) = match answer {
        Ok(r) => {
            let outcome = Outcome::from_gateway(r.outcome);
            let result = match (&cmd, outcome) {
                (Command::GetParameters { group }, Outcome::Ok) => {
                    let values: BTreeMap<_, _> = r.parameters.clone().into_iter().collect();
                    Some(json!({ "group": group, "values": values }))
                }
                _ => None,
            };
            (
                outcome,
                Completion {
                    outcome: outcome.as_str().into(),
                    device_code: i32::try_from(r.device_code).ok().filter(|c| *c != 0),
                    detail: r.detail,
                    result,
                },
            )
        }
        Err(s) => {
            let outcome = if s.code() == tonic::Code::InvalidArgument {
                Outcome::Invalid
            } else {
                Outcome::Unreachable
            };
            (
                outcome,
                Completion {
                    outcome: outcome.as_str().into(),
                    detail: s.message().to_owned(),
                    ..Completion::default()
                },
            )
        }
    };
    let mut tx = ctx.pool.begin().await?;
    let done = audit::finish(&mut tx, ctx.ns(), op.id, &completion, now()).await?;
    tx.commit().await?;
    let done = done.ok_or_else(|| ChargingError::NotFound(format!("operation {}", op.id)))?;
    if outcome.succeeded() {
        Ok(done)
    } else {
        Err(refusal(outcome, &done))
    }
}

/// How a caller is told the device did not do it (zh-CN / en, with the gateway's
/// detail and the audit row's id).
pub fn refusal(outcome: Outcome, op: &OperationRow) -> ChargingError {
    let detail = if op.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", op.detail)
    };
    let device_code = op
        .device_code
        .map(|c| format!(" (device code {c})"))
        .unwrap_or_default();
    let msg = format!(
        "{}{detail}{device_code} [operation {}]",
        outcome.message(),
        op.id
    );
    match outcome {
        Outcome::DeviceOffline => {
            ChargingError::Refused(StatusCode::CONFLICT, code::DEVICE_OFFLINE, msg)
        }
        Outcome::Rejected => {
            ChargingError::Refused(StatusCode::CONFLICT, code::DEVICE_REFUSED, msg)
        }
        Outcome::Timeout => {
            ChargingError::Refused(StatusCode::GATEWAY_TIMEOUT, codes::TIMEOUT, msg)
        }
        // The gateway's message names the field.
        Outcome::Invalid => ChargingError::Invalid(op.detail.clone()),
        Outcome::Busy | Outcome::Unreachable | Outcome::Ok | Outcome::Sent => {
            ChargingError::Refused(StatusCode::SERVICE_UNAVAILABLE, codes::UNAVAILABLE, msg)
        }
    }
}

async fn send(ctx: &Ctx, device_id: &str, cmd: &Command) -> Result<CommandResult, tonic::Status> {
    let mut gw = ctx.clients.gateway.clone();
    let device_id = device_id.to_owned();
    let r = match cmd {
        Command::Reboot => gw.reboot(RebootRequest { device_id }).await,
        Command::GetParameters { group } => {
            gw.get_parameters(GetParametersRequest {
                device_id,
                group: group.clone(),
            })
            .await
        }
        Command::SetParameters { group, values } => {
            gw.set_parameters(SetParametersRequest {
                device_id,
                group: group.clone(),
                values: values.clone().into_iter().collect(),
            })
            .await
        }
        Command::SetVoice(v) => {
            gw.set_voice(SetVoiceRequest {
                device_id,
                port: v.port,
                beeper: v.beeper,
                voice: v.voice,
                windows: v
                    .windows
                    .iter()
                    .map(|(start, end)| TimeWindow {
                        start: start.clone(),
                        end: end.clone(),
                    })
                    .collect(),
            })
            .await
        }
    };
    r.map(tonic::Response::into_inner)
}
