//! Request counts and latency by route, as Prometheus text (`GET /metrics` on the metrics
//! listener, beside the acquirer's own): the histogram is the acquirer's
//! ([`cardwire_acquirer::server::Histogram`]), one series per route.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cardwire_acquirer::server::Histogram;

use super::AppState;

/// What the platform counts: requests by route and status, and their latency by route.
#[derive(Debug, Default)]
pub struct PageMetrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Arc<Histogram>>>,
}

/// The route a request matched (`/records/{seq}`, not the path with its ids), carried on the
/// response from the router to the outer timing layer.
#[derive(Clone, Debug)]
struct Route(String);

/// The label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

impl PageMetrics {
    /// Counts one answered request of `route`.
    fn record(&self, route: &str, status: u16, took: std::time::Duration) {
        // A poisoned lock only loses counts: recording never fails a request.
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_string(), status)).or_insert(0) += 1;
        }
        let histogram = self
            .latency
            .lock()
            .map(|mut m| Arc::clone(m.entry(route.to_string()).or_default()));
        if let Ok(h) = histogram {
            h.record(took);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP cardwire_platform_requests_total Requests answered, by route and status.\n\
             # TYPE cardwire_platform_requests_total counter\n",
        );
        if let Ok(m) = self.requests.lock() {
            for ((route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "cardwire_platform_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let name = "cardwire_platform_request_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a request to its response, by route.\n# TYPE {name} histogram"
        );
        let series: Vec<(String, Arc<Histogram>)> = self
            .latency
            .lock()
            .map(|m| m.iter().map(|(r, h)| (r.clone(), Arc::clone(h))).collect())
            .unwrap_or_default();
        for (route, h) in series {
            h.render_series(&mut out, name, &format!("route=\"{route}\""));
        }
        out
    }
}

/// Inside the router: tags the response with the route the request matched.
pub(super) async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut resp = next.run(req).await;
    if let Some(r) = route {
        resp.extensions_mut().insert(Route(r));
    }
    resp
}

/// Outside everything (sessions included): times the request and counts it by route.
pub(super) async fn count(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let resp = next.run(req).await;
    let route = resp
        .extensions()
        .get::<Route>()
        .map_or(UNMATCHED, |r| r.0.as_str());
    app.metrics
        .record(route, resp.status().as_u16(), started.elapsed());
    resp
}
