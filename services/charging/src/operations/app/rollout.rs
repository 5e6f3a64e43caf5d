//! A campaign's work, shared by the runner and the progress consumer: one scheduling
//! round (open the next stage or complete, claim due devices under the concurrency
//! limit), sending one device its firmware, and settling a device from an outcome.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use proto::pylon::gateway::v1::{DnyCheckPacket, UpgradeRequest};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::{self, Subject};
use super::campaigns::upgrade_request;
use super::{Actor, now};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::operations::domain::campaign::{self, Counts, State};
use crate::operations::domain::outcome::Outcome;
use crate::operations::domain::rollout::{self, Step};
use crate::operations::store::audit::Completion;
use crate::operations::store::campaigns::{self as store, CampaignRow};
use crate::operations::store::devices::{self, TargetRow};
use crate::operations::store::firmware;

/// One round for campaign `id`: `None` when another replica holds it or it is not
/// running; else the devices claimed (already `sending`, their audit rows committed).
pub async fn schedule(
    ctx: &Ctx,
    id: Uuid,
) -> Result<Option<(CampaignRow, Vec<TargetRow>)>, ChargingError> {
    let mut tx = ctx.pool.begin().await?;
    let Some(mut c) = store::try_lock(&mut tx, id).await? else {
        return Ok(None);
    };
    if State::parse(&c.state) != Some(State::Running) {
        return Ok(None);
    }
    let at = now();
    let (all, open) = stage_counts(&mut tx, &c).await?;
    let actor = Actor::campaign(c.id);
    match campaign::next(
        State::Running,
        c.stage,
        c.stages.len(),
        c.auto_advance_pct,
        &open,
    ) {
        Some(campaign::Step::Complete) => {
            store::set_state(&mut tx, c.id, State::Completed.as_str(), c.stage, at, true).await?;
            let detail = format!(
                "{} succeeded, {} failed, {} aborted",
                all.succeeded, all.failed, all.aborted
            );
            record(
                &mut tx,
                ctx,
                &actor,
                &c,
                "campaign_complete",
                "completed",
                &detail,
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        }
        Some(campaign::Step::Advance) => {
            c.stage += 1;
            store::set_state(&mut tx, c.id, State::Running.as_str(), c.stage, at, false).await?;
            let detail = format!(
                "stage {} opened: {} of {} succeeded",
                c.stage + 1,
                open.succeeded,
                open.total()
            );
            record(
                &mut tx,
                ctx,
                &actor,
                &c,
                "campaign_advance",
                "running",
                &detail,
            )
            .await?;
        }
        None => {}
    }
    let free = i64::from(c.concurrency) - all.sending;
    let mut claimed = Vec::new();
    if free > 0 {
        for t in devices::claim(&mut tx, c.id, c.stage, free, at).await? {
            let op = audit::begin(
                &mut tx,
                &actor,
                Subject {
                    tenant: c.tenant_id,
                    device_id: Some(&t.device_id),
                    campaign_id: Some(c.id),
                    node_path: &t.node_path,
                    action: "upgrade",
                    request: upgrade_request(&c),
                },
                at,
            )
            .await?;
            devices::mark_sending(&mut tx, c.id, &t.device_id, op.id, at).await?;
            claimed.push(TargetRow {
                state: "sending".into(),
                attempts: t.attempts + 1,
                operation_id: Some(op.id),
                sent_at: Some(at),
                ..t
            });
        }
    }
    tx.commit().await?;
    Ok(Some((c, claimed)))
}

async fn record(
    conn: &mut PgConnection,
    ctx: &Ctx,
    actor: &Actor,
    c: &CampaignRow,
    action: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), ChargingError> {
    audit::record(
        conn,
        ctx.ns(),
        actor,
        Subject {
            tenant: c.tenant_id,
            device_id: None,
            campaign_id: Some(c.id),
            node_path: &c.scope_path,
            action,
            request: json!({"stage": c.stage}),
        },
        outcome,
        detail,
        now(),
    )
    .await?;
    Ok(())
}

/// (every device, devices of the open stages) by state.
async fn stage_counts(
    conn: &mut PgConnection,
    c: &CampaignRow,
) -> Result<(Counts, Counts), ChargingError> {
    let mut all = Counts::default();
    let mut open = Counts::default();
    for (stage, state, n) in devices::counts(&mut *conn, c.id).await? {
        all.add(&state, n);
        if stage <= c.stage {
            open.add(&state, n);
        }
    }
    Ok((all, open))
}

/// The firmware bytes of a DNY campaign (loaded once per round).
pub async fn image(ctx: &Ctx, c: &CampaignRow) -> Result<Arc<Vec<u8>>, ChargingError> {
    match c.firmware_id {
        Some(id) => Ok(Arc::new(firmware::image(&ctx.pool, id).await?.ok_or_else(
            || ChargingError::NotFound(format!("firmware image {id}")),
        )?)),
        None => Ok(Arc::new(Vec::new())),
    }
}

/// Sends one claimed device its firmware and settles what the answer decides (a DNY
/// transfer under way waits for its end event).
pub async fn send(
    ctx: &Ctx,
    c: &CampaignRow,
    t: &TargetRow,
    image: &[u8],
) -> Result<(), ChargingError> {
    let request = UpgradeRequest {
        device_id: t.device_id.clone(),
        ftp_host: c.ftp_host.clone().unwrap_or_default(),
        ftp_port: c.ftp_port.and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
        file_name: c.ftp_file.clone().unwrap_or_default(),
        firmware: image.to_vec(),
        dny_kind: c.dny_kind.clone().unwrap_or_default(),
        check_packet: c
            .check_device_type
            .zip(c.check_version)
            .map(|(t, v)| DnyCheckPacket {
                device_type: u32::try_from(t).unwrap_or(0),
                firmware_version: u32::try_from(v).unwrap_or(0),
            }),
    };
    let answer = ctx.clients.gateway.clone().upgrade(request).await;
    let (outcome, code, detail) = match answer {
        Ok(r) => {
            let r = r.into_inner();
            (Outcome::from_gateway(r.outcome), r.device_code, r.detail)
        }
        Err(s) if s.code() == tonic::Code::InvalidArgument => {
            (Outcome::Invalid, 0, s.message().to_owned())
        }
        Err(s) => (Outcome::Unreachable, 0, s.message().to_owned()),
    };
    let step = rollout::after_send(&c.protocol, outcome, &detail, t.attempts, c.max_attempts);
    if step == Step::Wait {
        return Ok(());
    }
    let Some(op) = t.operation_id else {
        return Ok(());
    };
    let completion = Completion {
        outcome: outcome.as_str().into(),
        device_code: i32::try_from(code).ok().filter(|c| *c != 0),
        detail,
        result: None,
    };
    let mut tx = ctx.pool.begin().await?;
    if devices::lock_sending(&mut tx, c.id, &t.device_id, op)
        .await?
        .is_some()
    {
        settle(&mut tx, ctx, c, t, op, &step, &completion).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Moves a locked `sending` device on by `step` and completes its operation.
pub async fn settle(
    conn: &mut PgConnection,
    ctx: &Ctx,
    c: &CampaignRow,
    t: &TargetRow,
    op: Uuid,
    step: &Step,
    completion: &Completion,
) -> Result<(), ChargingError> {
    let at = now();
    let (state, reason, due): (&str, &str, DateTime<Utc>) = match step {
        Step::Wait => return Ok(()),
        Step::Succeeded(r) => ("succeeded", r, at),
        Step::Failed(r) => ("failed", r, at),
        Step::Retry(r) => (
            "pending",
            r,
            at + Duration::seconds(i64::from(c.retry_after_secs)),
        ),
    };
    // A device of a campaign aborted meanwhile is not tried again.
    let aborted = store::get(&mut *conn, None, c.id)
        .await?
        .is_some_and(|now| now.state == State::Aborted.as_str());
    let state = if state == "pending" && aborted {
        "aborted"
    } else {
        state
    };
    devices::settle(conn, c.id, &t.device_id, state, reason, due, at).await?;
    audit::finish(conn, ctx.ns(), op, completion, at).await?;
    Ok(())
}
