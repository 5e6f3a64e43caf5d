//! The one gRPC server of a process: every enabled service's API plus `grpc.health.v1`
//! (a status per service) and server reflection.

use std::convert::Infallible;

use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;

/// Collects the gRPC services of every enabled Pylon service.
#[derive(Default)]
pub struct GrpcRoutes {
    builder: RoutesBuilder,
    names: Vec<&'static str>,
}

impl GrpcRoutes {
    pub fn add<S>(&mut self, svc: S) -> &mut Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.builder.add_service(svc);
        self
    }

    pub fn names(&self) -> &[&'static str] {
        &self.names
    }
}

/// Serves the collected services with health and reflection until `shutdown`; health
/// turns NOT_SERVING first so balancers stop sending before in-flight calls drain.
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: GrpcRoutes,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    for name in &routes.names {
        reporter
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let names = routes.names.clone();
    // A unary answer is HEADERS, DATA and trailers, often written apart: without
    // TCP_NODELAY the later ones wait for the caller's delayed ACK of the first.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let signal = async move {
        shutdown.cancelled().await;
        for name in &names {
            reporter
                .set_service_status(*name, ServingStatus::NotServing)
                .await;
        }
    };
    tonic::transport::Server::builder()
        .layer(
            tower_http::trace::TraceLayer::new(caller_errors_are_answers())
                .make_span_with(crate::telemetry::request_span),
        )
        .add_routes(routes.builder.routes())
        .add_service(health)
        .add_service(reflection)
        .serve_with_incoming_shutdown(incoming, signal)
        .await?;
    Ok(())
}

/// What the request trace logs as a failure (ERROR): only the server's own faults. A
/// refused request (bad argument, not found, insufficient funds, busy pile …) is an
/// answer to the caller, not an error of this process.
fn caller_errors_are_answers()
-> tower_http::classify::SharedClassifier<tower_http::classify::GrpcErrorsAsFailures> {
    use tower_http::classify::{GrpcCode, GrpcErrorsAsFailures, SharedClassifier};
    SharedClassifier::new(
        [
            GrpcCode::Cancelled,
            GrpcCode::InvalidArgument,
            GrpcCode::NotFound,
            GrpcCode::AlreadyExists,
            GrpcCode::PermissionDenied,
            GrpcCode::ResourceExhausted,
            GrpcCode::FailedPrecondition,
            GrpcCode::Aborted,
            GrpcCode::OutOfRange,
            GrpcCode::Unauthenticated,
        ]
        .into_iter()
        .fold(
            GrpcErrorsAsFailures::new(),
            GrpcErrorsAsFailures::with_success,
        ),
    )
}
