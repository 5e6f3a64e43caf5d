//! gRPC `pylon.payment.v1.PaymentService`: thin adapters over `app`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::payment::v1::payment_service_server::{PaymentService, PaymentServiceServer};
use proto::pylon::payment::v1::{
    CaptureRequest, GetPaymentRequest, GetWalletRequest, HoldRequest, HoldResult, PayOrderRequest,
    Payment, ReleaseRequest, Wallet, WalletOwner,
};
use runtime::{GrpcRoutes, ServiceContext};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::ctx::Ctx;
use crate::app::{holds, payments, wallets};
use crate::error::PaymentError;
use crate::store::payments::PaymentRow;

pub fn register(svc: ServiceContext, ctx: Ctx, routes: &mut GrpcRoutes) {
    routes.add(PaymentServiceServer::new(Api { svc, ctx }));
}

struct Api {
    svc: ServiceContext,
    ctx: Ctx,
}

impl Api {
    fn pool(&self) -> Result<&PgPool, Status> {
        Ok(&self.ctx.pool)
    }

    async fn result(&self, moved: holds::Moved) -> Result<Response<HoldResult>, Status> {
        let w = moved.wallet_view(self.pool()?).await?;
        let h = moved.hold;
        Ok(Response::new(HoldResult {
            hold_id: h.id.to_string(),
            status: h.status,
            order_ref: h.order_ref,
            amount_fen: h.amount_fen,
            captured_fen: h.captured_fen,
            released_fen: h.released_fen,
            wallet: Some(wallet(&w)),
        }))
    }
}

fn owner(o: Option<WalletOwner>) -> Result<wallets::Owner, PaymentError> {
    let o = o.ok_or_else(|| PaymentError::invalid("owner", "required"))?;
    wallets::Owner::parse(&o.tenant_id, &o.kind, &o.owner_id)
}

fn uuid(field: &str, s: &str) -> Result<Uuid, PaymentError> {
    Uuid::parse_str(s).map_err(|_| PaymentError::invalid(field, format!("{s:?} is not a UUID")))
}

fn payment_view(p: &PaymentRow) -> Payment {
    Payment {
        payment_id: p.id.to_string(),
        status: p.status.clone(),
        provider: p.provider.clone(),
        out_trade_no: p.out_trade_no.clone(),
        amount_fen: p.amount_fen,
        order_ref: p.order_ref.clone(),
        client_params_json: p.client_params.to_string(),
        failure: p.failure.clone().unwrap_or_default(),
    }
}

fn wallet(w: &wallets::WalletView) -> Wallet {
    Wallet {
        wallet_id: w.wallet_id.to_string(),
        owner: Some(WalletOwner {
            tenant_id: w.owner.tenant.to_string(),
            kind: w.owner.kind.into(),
            owner_id: w.owner.id.to_string(),
        }),
        balance_fen: w.balance_fen,
        held_fen: w.held_fen,
        credit_limit_fen: w.credit_limit_fen,
    }
}

#[tonic::async_trait]
impl PaymentService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.svc.info()))
    }

    async fn hold(&self, r: Request<HoldRequest>) -> Result<Response<HoldResult>, Status> {
        let r = r.into_inner();
        let owner = owner(r.owner)?;
        let h = holds::hold(
            self.pool()?,
            &self.ctx.ns,
            &owner,
            &r.order_ref,
            r.amount_fen,
            &r.idempotency_key,
        )
        .await?;
        self.result(h).await
    }

    async fn capture(&self, r: Request<CaptureRequest>) -> Result<Response<HoldResult>, Status> {
        let r = r.into_inner();
        let h = holds::capture(
            self.pool()?,
            &self.ctx.ns,
            uuid("tenant_id", &r.tenant_id)?,
            uuid("hold_id", &r.hold_id)?,
            r.amount_fen,
            &r.idempotency_key,
        )
        .await?;
        self.result(h).await
    }

    async fn release(&self, r: Request<ReleaseRequest>) -> Result<Response<HoldResult>, Status> {
        let r = r.into_inner();
        let h = holds::release(
            self.pool()?,
            &self.ctx.ns,
            uuid("tenant_id", &r.tenant_id)?,
            uuid("hold_id", &r.hold_id)?,
            &r.idempotency_key,
        )
        .await?;
        self.result(h).await
    }

    async fn pay_order(&self, r: Request<PayOrderRequest>) -> Result<Response<Payment>, Status> {
        let r = r.into_inner();
        let payer = owner(r.payer)?;
        let channel = payments::parse_channel(&r.channel, &r.openid, &r.buyer_id)?;
        let p = payments::create_order_payment(
            &self.ctx,
            payments::TopUp {
                owner: payer,
                provider: &r.provider,
                channel,
                amount_fen: r.amount_fen,
                key: &r.idempotency_key,
            },
            &r.order_ref,
        )
        .await?;
        Ok(Response::new(payment_view(&p)))
    }

    async fn get_payment(
        &self,
        r: Request<GetPaymentRequest>,
    ) -> Result<Response<Payment>, Status> {
        let r = r.into_inner();
        let p = payments::get(
            &self.ctx,
            uuid("tenant_id", &r.tenant_id)?,
            uuid("payment_id", &r.payment_id)?,
        )
        .await?;
        Ok(Response::new(payment_view(&p)))
    }

    async fn get_wallet(&self, r: Request<GetWalletRequest>) -> Result<Response<Wallet>, Status> {
        let owner = owner(r.into_inner().owner)?;
        let w = wallets::view(self.pool()?, &owner).await?;
        Ok(Response::new(wallet(&w)))
    }
}
