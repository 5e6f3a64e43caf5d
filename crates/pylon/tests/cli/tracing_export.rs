//! With `telemetry.otlp_endpoint` set, request spans are exported over OTLP/gRPC and
//! continue the caller's W3C trace.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::Env;

/// A collector that keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for rs in req.into_inner().resource_spans {
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

// Multi-threaded: the collector must keep serving while the test blocks on the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_and_continue_the_callers_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = collector.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(server))
            .serve_with_incoming(tokio_stream_from(listener))
            .await
            .unwrap();
    });

    let env = Env::new().await;
    let mut c = env.command(&["run", "gateway"]);
    c.env("PYLON_TELEMETRY__OTLP_ENDPOINT", format!("http://{addr}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut pylon = crate::Running::from(c.spawn().unwrap());
    env.wait_ready().await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/gateway/info", env.base()))
        .header("traceparent", format!("00-{trace_id}-{parent}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Shutdown flushes the batch exporter.
    let (status, _, stderr) = pylon.terminate();
    assert!(status.success(), "{stderr}");

    let spans = collector.0.lock().unwrap().clone();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let request = spans
        .iter()
        .find(|s| hex(&s.trace_id) == trace_id)
        .unwrap_or_else(|| {
            panic!(
                "no span of trace {trace_id} among {} exported; pylon said: {stderr}",
                spans.len()
            )
        });
    assert_eq!(request.name, "request");
    assert_eq!(
        hex(&request.parent_span_id),
        parent,
        "the caller's span is the parent"
    );
}

fn tokio_stream_from(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |l| async move {
        let r = l.accept().await.map(|(s, _)| s);
        Some((r, l))
    })
}
