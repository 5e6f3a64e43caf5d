//! gRPC `pylon.payment.v1.PaymentService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::payment::v1::payment_service_server::{PaymentService, PaymentServiceServer};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(PaymentServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl PaymentService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
