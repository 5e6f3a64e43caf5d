//! gRPC `pylon.billing.v1.BillingService`: thin adapters over `app` for the platform's
//! other services (charging rates sessions and resolves tariffs). Requests name their
//! tenant; the port is cluster-internal (a ClusterIP Service, docs/deployment.md) and
//! carries no user token, like payment's.

mod convert;

use chrono::Utc;
use pricing::{DeciWatts, Plan, SessionFacts, Wh};
use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::billing::v1::billing_service_server::{BillingService, BillingServiceServer};
use proto::pylon::billing::v1::{
    Bill, GetBillRequest, QuoteRequest, RateSessionRequest, ResolveTariffRequest, TariffRef,
    get_bill_request, quote_request,
};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

use crate::app::{self, Ctx, org_path, tenant_of_path, uuid};
use crate::error::BillingError;
use convert::{bill, quote_bill, tariff_ref, time};

pub fn register(svc: ServiceContext, ctx: Ctx, routes: &mut GrpcRoutes) {
    routes.add(BillingServiceServer::new(Api { svc, ctx }));
}

struct Api {
    svc: ServiceContext,
    ctx: Ctx,
}

/// `node_path` of `tenant_id`; another tenant's path is a bad argument.
fn node_in(tenant_id: &str, node_path: &str) -> Result<runtime::auth::OrgPath, BillingError> {
    let tenant = uuid("tenant_id", tenant_id)?;
    let node = org_path("node_path", node_path)?;
    if tenant_of_path("node_path", &node)? != tenant {
        return Err(BillingError::invalid("node_path", "is not in tenant_id"));
    }
    Ok(node)
}

#[tonic::async_trait]
impl BillingService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.svc.info()))
    }

    async fn resolve_tariff(
        &self,
        r: Request<ResolveTariffRequest>,
    ) -> Result<Response<TariffRef>, Status> {
        let r = r.into_inner();
        let node = node_in(&r.tenant_id, &r.node_path)?;
        let at = time("at", r.at)?.unwrap_or_else(Utc::now);
        let resolved = app::resolve::run(&self.ctx, &node, at).await?;
        Ok(Response::new(tariff_ref(&resolved)))
    }

    async fn quote(&self, r: Request<QuoteRequest>) -> Result<Response<Bill>, Status> {
        let r = r.into_inner();
        let node = node_in(&r.tenant_id, &r.node_path)?;
        let plan = match r.plan {
            Some(quote_request::Plan::DurationSeconds(s)) => Plan::DurationSeconds(s),
            Some(quote_request::Plan::EnergyWh(wh)) => Plan::Energy(Wh::new(wh)),
            None => return Err(BillingError::invalid("plan", "is required").into()),
        };
        let (resolved, b) = app::quote::run(
            &self.ctx,
            app::quote::QuoteInput {
                node,
                start: time("start", r.start)?,
                time_zone: Some(r.time_zone),
                plan,
                expected_power: DeciWatts::new(r.expected_power_deciwatts),
            },
        )
        .await?;
        Ok(Response::new(quote_bill(
            &r.tenant_id,
            &r.node_path,
            &resolved,
            &b,
        )))
    }

    async fn rate_session(&self, r: Request<RateSessionRequest>) -> Result<Response<Bill>, Status> {
        let r = r.into_inner();
        let tenant = uuid("tenant_id", &r.tenant_id)?;
        let facts: SessionFacts = serde_json::from_str(&r.facts_json)
            .map_err(|e| BillingError::invalid("facts_json", e))?;
        let node = if r.node_path.is_empty() {
            None
        } else {
            Some(node_in(&r.tenant_id, &r.node_path)?)
        };
        let version = i32::try_from(r.tariff_version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| BillingError::invalid("tariff_version", "must be 1 or more"))?;
        let (record, _) = app::rate_session::run(
            &self.ctx,
            app::rate_session::RateInput {
                tenant,
                order_ref: r.order_ref,
                tariff_id: uuid("tariff_id", &r.tariff_id)?,
                tariff_version: version,
                facts,
                device_reported_fen: r.device_reported_fen,
                node,
                payer_id: Some(r.payer_id).filter(|p| !p.is_empty()),
            },
        )
        .await?;
        Ok(Response::new(bill(&record)))
    }

    async fn get_bill(&self, r: Request<GetBillRequest>) -> Result<Response<Bill>, Status> {
        let r = r.into_inner();
        let tenant = uuid("tenant_id", &r.tenant_id)?;
        let record = match r.key {
            Some(get_bill_request::Key::OrderRef(o)) => {
                app::bills::by_order(&self.ctx, tenant, &o).await?
            }
            Some(get_bill_request::Key::BillId(id)) => {
                let id = uuid("bill_id", &id)?;
                app::bills::get(&self.ctx, crate::store::TenantScope::one(tenant), id).await?
            }
            None => {
                return Err(BillingError::invalid("key", "give order_ref or bill_id").into());
            }
        };
        Ok(Response::new(bill(&record)))
    }
}
