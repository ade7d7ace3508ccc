//! Counters for `GET /metrics`, in the Prometheus text exposition format.
//!
//! Counters that events and requests move live here as atomics, so that counting never takes
//! the server's lock; what the object store already knows (sessions, pipelines, objects by
//! class) is counted from it when scraped and handed in as a [`Census`], and so are the
//! module filters' frame and time counters (see `stats`).

use super::stats::FilterCounters;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The methods counted under their own label. Any other name counts as `other`: names come
/// from clients, and a label per name would let one client grow the metrics without bound.
const METHODS: [&str; 12] = [
    "ping",
    "connect",
    "create",
    "invoke",
    "subscribe",
    "unsubscribe",
    "release",
    "describe",
    "closeSession",
    "transaction",
    "invalid",
    "other",
];

/// Upper bounds of the request latency buckets, in seconds: from a ping's tenth of a
/// millisecond to a recorder's seconds-long finalisation.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Latency of one method: a count per bucket (not cumulative; summed when rendered), the
/// observations beyond the last bucket, and the total time.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    beyond: AtomicU64,
    nanos: AtomicU64,
}

/// The process-wide counters.
#[derive(Default)]
pub struct Metrics {
    requests: [Histogram; METHODS.len()],
    connections: AtomicU64,
    refused_connections: AtomicU64,
    slow_clients: AtomicU64,
    events_sent: AtomicU64,
    events_dropped: AtomicU64,
}

/// What the object store holds at the time of a scrape.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Census {
    /// Sessions, attached or waiting out their grace period.
    pub sessions: usize,
    /// Media pipelines.
    pub pipelines: usize,
    /// Objects by their class name, the server manager included.
    pub objects: BTreeMap<String, usize>,
    /// Frames and processing time of module filters by class, released ones included.
    pub filters: BTreeMap<String, FilterCounters>,
}

/// The counters of this process.
pub fn metrics() -> &'static Metrics {
    static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

impl Metrics {
    /// Counts one answered request of `method`, which took `elapsed`.
    pub fn observe_request(&self, method: &str, elapsed: Duration) {
        let index = METHODS
            .iter()
            .position(|known| *known == method)
            .unwrap_or(METHODS.len() - 1);
        let histogram = &self.requests[index];
        let seconds = elapsed.as_secs_f64();
        match BUCKETS.iter().position(|bound| seconds <= *bound) {
            Some(bucket) => histogram.buckets[bucket].fetch_add(1, Ordering::Relaxed),
            None => histogram.beyond.fetch_add(1, Ordering::Relaxed),
        };
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        histogram.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts a message that could not be parsed as a request.
    pub fn observe_invalid(&self, elapsed: Duration) {
        self.observe_request("invalid", elapsed);
    }

    /// Counts a WebSocket connection opening (`true`) or closing (`false`).
    pub fn connection(&self, opened: bool) {
        if opened {
            self.connections.fetch_add(1, Ordering::Relaxed);
        } else {
            self.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Open WebSocket connections, handshakes in progress included.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Counts a connection refused for `--max-connections`.
    pub fn refused_connection(&self) {
        self.refused_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a client disconnected because it did not read its messages.
    pub fn slow_client(&self) {
        self.slow_clients.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an event written to a client's socket.
    pub fn event_sent(&self) {
        self.events_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an event that no client got: its outbox was full or gone.
    pub fn event_dropped(&self) {
        self.events_dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The whole exposition: these counters, `census`, and the process's CPU and memory.
    pub fn render(&self, census: &Census) -> String {
        let mut out = String::new();
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        gauge(
            &mut out,
            "filmstrip_sessions",
            "Client sessions, attached or in their grace period.",
            census.sessions,
        );
        gauge(
            &mut out,
            "filmstrip_pipelines",
            "Media pipelines.",
            census.pipelines,
        );
        header(
            &mut out,
            "filmstrip_objects",
            "gauge",
            "Media objects by class.",
        );
        for (class, count) in &census.objects {
            out.push_str(&format!("filmstrip_objects{{class=\"{class}\"}} {count}\n"));
        }
        gauge(
            &mut out,
            "filmstrip_connections",
            "Open connections: WebSocket ones, handshakes and HTTP probes (this scrape too).",
            load(&self.connections),
        );
        counter(
            &mut out,
            "filmstrip_connections_refused_total",
            "Connections refused beyond --max-connections.",
            load(&self.refused_connections),
        );
        counter(
            &mut out,
            "filmstrip_slow_clients_total",
            "Connections closed because their client did not read its messages.",
            load(&self.slow_clients),
        );
        counter(
            &mut out,
            "filmstrip_events_sent_total",
            "Event notifications written to clients.",
            load(&self.events_sent),
        );
        counter(
            &mut out,
            "filmstrip_events_dropped_total",
            "Event notifications dropped: the client's outbox was full or closed.",
            load(&self.events_dropped),
        );
        render_filters(&mut out, &census.filters);
        self.render_requests(&mut out);
        let (cpu, resident) = process_usage();
        if let Some(cpu) = cpu {
            counter(
                &mut out,
                "process_cpu_seconds_total",
                "User and system CPU time of the process.",
                cpu,
            );
        }
        if let Some(resident) = resident {
            gauge(
                &mut out,
                "process_resident_memory_bytes",
                "Resident memory of the process.",
                resident,
            );
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let name = "filmstrip_request_duration_seconds";
        header(
            out,
            name,
            "histogram",
            "Time to answer a request, by method.",
        );
        for (method, histogram) in METHODS.iter().zip(&self.requests) {
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&histogram.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                out.push_str(&format!(
                    "{name}_bucket{{method=\"{method}\",le=\"{bound}\"}} {cumulative}\n"
                ));
            }
            cumulative += histogram.beyond.load(Ordering::Relaxed);
            let seconds = histogram.nanos.load(Ordering::Relaxed) as f64 / 1e9;
            out.push_str(&format!(
                "{name}_bucket{{method=\"{method}\",le=\"+Inf\"}} {cumulative}\n\
                 {name}_sum{{method=\"{method}\"}} {seconds}\n\
                 {name}_count{{method=\"{method}\"}} {cumulative}\n"
            ));
        }
    }
}

/// The per-class frame and processing-time counters of module filters.
fn render_filters(out: &mut String, filters: &BTreeMap<String, FilterCounters>) {
    let frames = "filmstrip_filter_frames_total";
    header(
        out,
        frames,
        "counter",
        "Frames that went through module filters, by class, released filters included.",
    );
    for (class, counters) in filters {
        let class = label(class);
        out.push_str(&format!(
            "{frames}{{class=\"{class}\"}} {}\n",
            counters.frames
        ));
    }
    let seconds = "filmstrip_filter_processing_seconds_total";
    header(
        out,
        seconds,
        "counter",
        "Time module filters spent on their frames, by class, released filters included.",
    );
    for (class, counters) in filters {
        let class = label(class);
        let total = counters.nanos as f64 / 1e9;
        out.push_str(&format!("{seconds}{{class=\"{class}\"}} {total}\n"));
    }
}

/// `value` escaped for a label: class names come from modules, which may spell them as they
/// like, and one quote would break the whole exposition.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, "gauge", help);
    out.push_str(&format!("{name} {value}\n"));
}

fn counter(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, "counter", help);
    out.push_str(&format!("{name} {value}\n"));
}

/// CPU seconds and resident bytes of this process, from `/proc/self`; `None` for what cannot
/// be read (no procfs, or no descriptor left to open it).
fn process_usage() -> (Option<f64>, Option<u64>) {
    // Linux reports times in USER_HZ ticks, which is 100 on every architecture it supports.
    const TICKS_PER_SECOND: f64 = 100.0;
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // The command name may hold spaces: count fields after its closing parenthesis,
            // where utime and stime are the 12th and 13th.
            let rest = &stat[stat.rfind(')')? + 1..];
            let mut fields = rest.split_whitespace().skip(11);
            let user: f64 = fields.next()?.parse().ok()?;
            let system: f64 = fields.next()?.parse().ok()?;
            Some((user + system) / TICKS_PER_SECOND)
        });
    let resident = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))?;
            let kib: u64 = line.split_whitespace().next()?.parse().ok()?;
            Some(kib * 1024)
        });
    (cpu, resident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_the_census() {
        let metrics = Metrics::default();
        metrics.observe_request("ping", Duration::from_micros(300));
        metrics.observe_request("ping", Duration::from_secs(20));
        metrics.observe_request("made-up", Duration::from_millis(2));
        metrics.event_sent();
        metrics.event_dropped();
        metrics.event_dropped();
        let census = Census {
            sessions: 2,
            pipelines: 1,
            objects: BTreeMap::from([("MediaPipeline".to_string(), 1)]),
            filters: BTreeMap::from([(
                "Odd\"Filter".to_string(),
                FilterCounters {
                    frames: 30,
                    nanos: 1_500_000_000,
                },
            )]),
        };
        let text = metrics.render(&census);
        for line in [
            "filmstrip_sessions 2",
            "filmstrip_objects{class=\"MediaPipeline\"} 1",
            "filmstrip_events_dropped_total 2",
            "filmstrip_request_duration_seconds_bucket{method=\"ping\",le=\"0.0001\"} 0",
            "filmstrip_request_duration_seconds_bucket{method=\"ping\",le=\"0.0005\"} 1",
            "filmstrip_request_duration_seconds_bucket{method=\"ping\",le=\"10\"} 1",
            "filmstrip_request_duration_seconds_bucket{method=\"ping\",le=\"+Inf\"} 2",
            "filmstrip_request_duration_seconds_count{method=\"other\"} 1",
            "filmstrip_filter_frames_total{class=\"Odd\\\"Filter\"} 30",
            "filmstrip_filter_processing_seconds_total{class=\"Odd\\\"Filter\"} 1.5",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(text.contains("process_resident_memory_bytes "));
        assert!(text.contains("process_cpu_seconds_total "));
    }
}
