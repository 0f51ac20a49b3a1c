//! Prometheus metrics: requests by method, route template and status, and a latency histogram.
//! Routes are labelled by operation id or fixed path, never by anything taken from the URL.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Duration};

const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    latency: BTreeMap<(String, &'static str), Latency>,
    job_failures: BTreeMap<String, u64>,
}

/// Counters shared by all requests.
#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &'static str, status: u16, elapsed: Duration) {
        let mut registry = self
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *registry
            .requests
            .entry((method.to_owned(), route, status))
            .or_default() += 1;
        let latency = registry
            .latency
            .entry((method.to_owned(), route))
            .or_default();
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in latency.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        latency.count += 1;
        latency.sum_seconds += seconds;
    }

    /// Counts a failed job attempt.
    pub fn job_failed(&self, kind: &str) {
        let mut registry = self
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *registry.job_failures.entry(kind.to_owned()).or_default() += 1;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        out.push_str("# HELP socorg_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE socorg_http_requests_total counter\n");
        for ((method, route, status), count) in &registry.requests {
            let _ = writeln!(
                out,
                "socorg_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP socorg_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE socorg_http_request_duration_seconds histogram\n");
        for ((method, route), latency) in &registry.latency {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, count) in LATENCY_BUCKETS.iter().zip(latency.buckets) {
                let _ = writeln!(
                    out,
                    "socorg_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "socorg_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "socorg_http_request_duration_seconds_sum{{{labels}}} {}",
                latency.sum_seconds
            );
            let _ = writeln!(
                out,
                "socorg_http_request_duration_seconds_count{{{labels}}} {}",
                latency.count
            );
        }
        out.push_str("# HELP socorg_job_failures_total Failed job attempts in this process.\n");
        out.push_str("# TYPE socorg_job_failures_total counter\n");
        for (kind, count) in &registry.job_failures {
            let _ = writeln!(out, "socorg_job_failures_total{{kind=\"{kind}\"}} {count}");
        }
        out
    }
}

/// The queue depth gauge, from counts per state.
pub fn render_job_depth(depth: &[(&str, u64)]) -> String {
    let mut out = String::new();
    out.push_str("# HELP socorg_jobs Jobs in the queue by state.\n");
    out.push_str("# TYPE socorg_jobs gauge\n");
    for (state, count) in depth {
        let _ = writeln!(out, "socorg_jobs{{state=\"{state}\"}} {count}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Metrics;

    #[test]
    fn counts_and_buckets() {
        let metrics = Metrics::default();
        metrics.observe("GET", "get_tenant", 200, Duration::from_millis(3));
        metrics.observe("GET", "get_tenant", 200, Duration::from_millis(300));
        metrics.observe("GET", "get_tenant", 404, Duration::from_millis(1));
        let text = metrics.render();
        assert!(text.contains(
            "socorg_http_requests_total{method=\"GET\",route=\"get_tenant\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "socorg_http_request_duration_seconds_bucket{method=\"GET\",route=\"get_tenant\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "socorg_http_request_duration_seconds_count{method=\"GET\",route=\"get_tenant\"} 3"
        ));
    }
}
