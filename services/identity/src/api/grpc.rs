//! gRPC `pylon.identity.v1.IdentityService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(IdentityServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl IdentityService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
