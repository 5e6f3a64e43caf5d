//! gRPC `pylon.gateway.v1.DeviceControl`: thin; `control::calling` does the work.

use proto::pylon::gateway::v1::device_control_server::DeviceControl;
use proto::pylon::gateway::v1::forwarded_command::Request as Forwarded;
use proto::pylon::gateway::v1::{
    CommandResult, ForwardedCommand, GetParametersRequest, ManageNodesRequest, QueryPortsRequest,
    RebootRequest, SendRawRequest, SetParametersRequest, SetVoiceRequest, StartChargingRequest,
    StopChargingRequest, UpgradeRequest,
};
use runtime::ServiceContext;
use tokio::sync::OnceCell;
use tonic::{Request, Response, Status};

use crate::control::calling;
use crate::sessions::Sessions;

pub struct Api {
    ctx: ServiceContext,
    sessions: OnceCell<Sessions>,
    local: crate::Local,
}

impl Api {
    pub fn new(ctx: ServiceContext, local: crate::Local) -> Self {
        Self {
            ctx,
            sessions: OnceCell::new(),
            local,
        }
    }

    async fn call(&self, request: Forwarded) -> Result<Response<CommandResult>, Status> {
        let sessions = self
            .sessions
            .get_or_try_init(|| Sessions::open(&self.ctx.bus))
            .await
            .map_err(|e| Status::unavailable(format!("device sessions: {e}")))?;
        let command = ForwardedCommand {
            request: Some(request),
        };
        let local = self.local.get();
        calling::call(
            &self.ctx.bus,
            sessions,
            &self.ctx.config.gateway,
            local,
            command,
        )
        .await
        .map(Response::new)
        .map_err(|e| Status::invalid_argument(e.0))
    }
}

#[tonic::async_trait]
impl DeviceControl for Api {
    async fn start_charging(
        &self,
        r: Request<StartChargingRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Start(r.into_inner())).await
    }

    async fn stop_charging(
        &self,
        r: Request<StopChargingRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Stop(r.into_inner())).await
    }

    async fn query_ports(
        &self,
        r: Request<QueryPortsRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Query(r.into_inner())).await
    }

    async fn get_parameters(
        &self,
        r: Request<GetParametersRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::GetParameters(r.into_inner())).await
    }

    async fn set_parameters(
        &self,
        r: Request<SetParametersRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::SetParameters(r.into_inner())).await
    }

    async fn reboot(&self, r: Request<RebootRequest>) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Reboot(r.into_inner())).await
    }

    async fn upgrade(&self, r: Request<UpgradeRequest>) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Upgrade(r.into_inner())).await
    }

    async fn manage_nodes(
        &self,
        r: Request<ManageNodesRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Nodes(r.into_inner())).await
    }

    async fn set_voice(
        &self,
        r: Request<SetVoiceRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Voice(r.into_inner())).await
    }

    async fn send_raw(
        &self,
        r: Request<SendRawRequest>,
    ) -> Result<Response<CommandResult>, Status> {
        self.call(Forwarded::Raw(r.into_inner())).await
    }
}
