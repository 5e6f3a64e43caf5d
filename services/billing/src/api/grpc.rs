//! gRPC `pylon.billing.v1.BillingService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::billing::v1::billing_service_server::{BillingService, BillingServiceServer};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(BillingServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl BillingService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
