//! gRPC clients of the services charging calls. Channels connect lazily: the service
//! starts even when a peer is not up yet, and a call fails with UNAVAILABLE then.

use proto::pylon::billing::v1::billing_service_client::BillingServiceClient;
use proto::pylon::gateway::v1::device_control_client::DeviceControlClient;
use proto::pylon::payment::v1::payment_service_client::PaymentServiceClient;
use tonic::transport::{Channel, Endpoint};

#[derive(Clone)]
pub struct Clients {
    pub gateway: DeviceControlClient<Channel>,
    pub payment: PaymentServiceClient<Channel>,
    pub billing: BillingServiceClient<Channel>,
}

fn channel(key: &str, url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())
        .map_err(|e| anyhow::anyhow!("{key}: {e}"))?
        .connect_timeout(std::time::Duration::from_secs(3))
        .connect_lazy())
}

impl Clients {
    pub fn new(c: &runtime::config::ChargingConfig) -> anyhow::Result<Self> {
        Ok(Self {
            gateway: DeviceControlClient::new(channel(
                "charging.gateway_grpc_url",
                &c.gateway_grpc_url,
            )?),
            payment: PaymentServiceClient::new(channel(
                "charging.payment_grpc_url",
                &c.payment_grpc_url,
            )?),
            billing: BillingServiceClient::new(channel(
                "charging.billing_grpc_url",
                &c.billing_grpc_url,
            )?),
        })
    }
}
