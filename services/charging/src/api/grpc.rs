//! gRPC `pylon.charging.v1.ChargingService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::charging::v1::charging_service_server::{ChargingService, ChargingServiceServer};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(ChargingServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl ChargingService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
