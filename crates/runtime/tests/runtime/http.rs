use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use runtime::config::HttpConfig;
use runtime::http::health::Health;
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde_json::{Value, json};

#[derive(serde::Deserialize, serde::Serialize)]
struct Order {
    port: u8,
    amount_fen: i64,
}

async fn echo(ApiJson(o): ApiJson<Order>) -> ApiResult<Order> {
    Ok(ok(o))
}

async fn list(page: Page) -> ApiResult<Paged<u64>> {
    let items = (page.offset()..page.offset() + u64::from(page.limit()))
        .filter(|i| *i < 45)
        .collect();
    Ok(ok(Paged::new(items, 45, page)))
}

async fn boom() -> ApiResult<()> {
    let err = std::io::Error::other("password=hunter2 leaked from the database driver");
    Err(ApiError::internal(&err))
}

async fn app() -> String {
    let routes = Router::new()
        .route("/echo", post(echo))
        .route("/list", get(list))
        .route("/boom", get(boom));
    let cfg = HttpConfig {
        body_limit_bytes: 2048,
        ..HttpConfig::default()
    };
    crate::serve(runtime::http::server::app(routes, &Health::default(), &cfg)).await
}

async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let res = req.send().await.unwrap();
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    let headers = res.headers().clone();
    let body = res.json::<Value>().await.unwrap();
    (status, body, headers)
}

#[tokio::test]
async fn success_is_wrapped_in_the_envelope_with_a_request_id() {
    let base = app().await;
    let c = reqwest::Client::new();
    let (s, body, h) = call(
        c.post(format!("{base}/echo"))
            .json(&json!({"port": 1, "amount_fen": 500})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body,
        json!({"code": 0, "data": {"port": 1, "amount_fen": 500}, "message": "success"})
    );
    assert!(h.get("x-request-id").is_some(), "a request id is assigned");
    let (_, _, h) = call(
        c.get(format!("{base}/list"))
            .header("x-request-id", "abc-123"),
    )
    .await;
    assert_eq!(
        h.get("x-request-id").unwrap(),
        "abc-123",
        "a caller's request id is kept"
    );
}

#[tokio::test]
async fn bad_json_names_the_problem() {
    let base = app().await;
    let c = reqwest::Client::new();
    let (s, body, _) = call(
        c.post(format!("{base}/echo"))
            .header("content-type", "application/json")
            .body(r#"{"port": 1, "amount_fen": "lots"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 1001);
    assert!(
        body["message"].as_str().unwrap().contains("amount_fen"),
        "{body}"
    );
    let (s, body, _) = call(c.post(format!("{base}/echo")).body("{}")).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], 1010);
    let (s, body, _) = call(
        c.post(format!("{base}/echo"))
            .header("content-type", "application/json")
            .body("{\"port\": 300, \"amount_fen\": 1}"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("port"), "{body}");
}

#[tokio::test]
async fn an_oversized_body_gets_413_in_the_envelope() {
    let base = app().await;
    let big = format!(
        "{{\"port\": 1, \"amount_fen\": 1, \"pad\": \"{}\"}}",
        "x".repeat(4096)
    );
    let (s, body, _) = call(
        reqwest::Client::new()
            .post(format!("{base}/echo"))
            .header("content-type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        json!({"code": 1006, "data": null, "message": "request body too large"})
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_enveloped() {
    let base = app().await;
    let c = reqwest::Client::new();
    let (s, body, _) = call(c.get(format!("{base}/nowhere"))).await;
    assert_eq!(
        (s, body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(1004))
    );
    let (s, body, h) = call(c.delete(format!("{base}/echo"))).await;
    assert_eq!(
        (s, body["code"].as_u64()),
        (StatusCode::METHOD_NOT_ALLOWED, Some(1009))
    );
    assert!(h.get("allow").is_some());
}

#[tokio::test]
async fn internal_errors_are_masked() {
    let base = app().await;
    let (s, body, _) = call(reqwest::Client::new().get(format!("{base}/boom"))).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"code": 1000, "data": null, "message": "internal error"})
    );
}

#[tokio::test]
async fn pagination_is_bounded_and_reported() {
    let base = app().await;
    let c = reqwest::Client::new();
    let (s, body, _) = call(c.get(format!("{base}/list?limit=10&offset=40"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body["data"],
        json!({"items": [40, 41, 42, 43, 44], "total": 45, "limit": 10, "offset": 40})
    );
    let (s, body, _) = call(c.get(format!("{base}/list"))).await;
    assert_eq!(
        (s, body["data"]["limit"].as_u64()),
        (StatusCode::OK, Some(20))
    );
    for bad in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "offset=-1",
        "offset=100001",
    ] {
        let (s, body, _) = call(c.get(format!("{base}/list?{bad}"))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], 1001, "{bad}");
        let field = bad.split('=').next().unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let base = app().await;
    let c = reqwest::Client::new();
    c.get(format!("{base}/list?limit=3")).send().await.unwrap();
    let text = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("pylon_http_requests_total{method=\"GET\",route=\"/list\",status=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains("pylon_http_request_duration_seconds_bucket"),
        "latency is a histogram"
    );
}

#[test]
fn api_errors_map_to_grpc_codes() {
    let s = ApiError::not_found("order").to_grpc();
    assert_eq!(s.code(), tonic::Code::NotFound);
    assert_eq!(s.message(), "order not found");
    assert_eq!(s.metadata().get("pylon-code").unwrap(), "1004");
    assert_eq!(
        ApiError::invalid("x").to_grpc().code(),
        tonic::Code::InvalidArgument
    );
    assert_eq!(
        ApiError::unavailable("x").to_grpc().code(),
        tonic::Code::Unavailable
    );
    assert_eq!(
        ApiError::from_status(StatusCode::TOO_MANY_REQUESTS)
            .to_grpc()
            .code(),
        tonic::Code::ResourceExhausted
    );
}
