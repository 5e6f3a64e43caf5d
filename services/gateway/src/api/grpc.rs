//! gRPC `pylon.gateway.v1.GatewayService` and `DeviceControl` (api/control.rs).

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::gateway::v1::device_control_server::DeviceControlServer;
use proto::pylon::gateway::v1::gateway_service_server::{GatewayService, GatewayServiceServer};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, local: crate::Local, routes: &mut GrpcRoutes) {
    routes.add(GatewayServiceServer::new(Api { ctx: ctx.clone() }));
    routes.add(DeviceControlServer::new(super::control::Api::new(
        ctx, local,
    )));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl GatewayService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
