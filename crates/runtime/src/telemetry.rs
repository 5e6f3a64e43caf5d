//! Logs (JSON or pretty), the OpenTelemetry OTLP exporter when an endpoint is configured,
//! and the W3C trace context carried in HTTP/gRPC headers.

use std::collections::HashMap;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// Keeps the exporter alive; [`Telemetry::shutdown`] flushes spans on the way out.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes pending spans. The flush blocks while the exporter (a tonic client on this
    /// runtime) sends them, so it runs on a blocking thread, never on a runtime worker.
    pub async fn shutdown(self) {
        let Some(p) = self.provider else { return };
        let flushed = tokio::task::spawn_blocking(move || p.shutdown()).await;
        // The collector may be gone; losing the last spans must not fail the exit.
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("telemetry: flushing spans failed: {e}"),
            Err(e) => eprintln!("telemetry: flushing spans failed: {e}"),
        }
    }
}

/// Installs the global subscriber and the metrics recorder. Call once, at start-up.
pub fn init(cfg: &TelemetryConfig) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // The metrics recorder too, before any service starts: counter handles a service
    // registers once (the gateway's per-frame counters) count nowhere if they were
    // taken before the recorder existed.
    crate::http::metrics::handle();
    let filter = EnvFilter::try_new(&cfg.log_filter)?;
    let fmt = match cfg.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let (otel, provider) = if cfg.otlp_endpoint.is_empty() {
        (None, None)
    } else {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(cfg.otlp_endpoint.clone())
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name(cfg.service_name.clone())
                    .build(),
            )
            .build();
        let tracer = provider.tracer("pylon");
        opentelemetry::global::set_tracer_provider(provider.clone());
        (
            // Traces keep info-level spans whatever the log filter says: quieter logs
            // must not cut traces short.
            Some(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
            ),
            Some(provider),
        )
    };
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()?;
    Ok(Telemetry { provider })
}

use opentelemetry_otlp::WithExportConfig;

/// The span of one HTTP or gRPC request, child of the caller's trace when it sent a
/// `traceparent` header.
pub fn request_span<B>(req: &http::Request<B>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    );
    let carrier: HashMap<String, String> = req
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str() == "traceparent" || k.as_str() == "tracestate")
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if !carrier.is_empty() {
        let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        let _ = span.set_parent(cx);
    }
    span
}
