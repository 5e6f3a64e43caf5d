//! gRPC `pylon.notification.v1.NotificationService`.

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::notification::v1::notification_service_server::{
    NotificationService, NotificationServiceServer,
};
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};

pub fn register(ctx: ServiceContext, routes: &mut GrpcRoutes) {
    routes.add(NotificationServiceServer::new(Api { ctx }));
}

struct Api {
    ctx: ServiceContext,
}

#[tonic::async_trait]
impl NotificationService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.ctx.info()))
    }
}
