//! gRPC `pylon.analytics.v1.AnalyticsService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::analytics::v1::analytics_service_server::{
    AnalyticsService, AnalyticsServiceServer,
};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(AnalyticsServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl AnalyticsService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
