//! `GET /metrics` on the metrics listener: requests and their latency by route (the matched
//! route, not the path with its ids), in the acquirer's Prometheus text format.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::World;

#[tokio::test]
async fn requests_are_counted_and_timed_by_route() {
    let w = World::new("metrics");
    let mut c = w.client();
    c.get("/login").await;
    c.get("/login").await;
    c.get("/records/12").await;
    c.get("/no/such/page").await;
    let resp = cardwire_platform::metrics_router(std::sync::Arc::clone(&w.platform))
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains("cardwire_platform_requests_total{route=\"/login\",status=\"200\"} 2"),
        "{text}"
    );
    // A receipt is counted under its route, whatever its id; a visitor is sent to log in.
    assert!(
        text.contains(
            "cardwire_platform_requests_total{route=\"/records/{seq}\",status=\"303\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("cardwire_platform_requests_total{route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("# TYPE cardwire_platform_request_seconds histogram"));
    assert!(
        text.contains("cardwire_platform_request_seconds_count{route=\"/login\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("cardwire_platform_request_seconds_bucket{route=\"/login\",le=\"+Inf\"} 2"),
        "{text}"
    );
    assert_eq!(
        text.matches("# TYPE cardwire_platform_request_seconds histogram")
            .count(),
        1
    );
}
