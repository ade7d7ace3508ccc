//! `filmstrip serve` under load: JSON-RPC round trips from many concurrent WebSocket clients on
//! loopback, and the memory an idle pipeline with one filter costs, next to plain GStreamer.
//!
//! * Floor: `ping` round trips, from one client and then from every client at once.
//! * Load: each client has its own session and MediaPipeline and repeats `create`
//!   PixelateFilter / `invoke` setBlockSize / `release` for a fixed time, back to back
//!   (throughput) and then paced (latency at a known load).
//! * Events: the time from a request that raises an event to its arrival at each of 50
//!   subscribed clients, for an event that crosses a pipeline's bus (a RecorderEndpoint's
//!   `Recording` and `Paused`, posted on its bus by `record` and `pause`) and for one raised
//!   by the request itself (the ServerManager's `ObjectCreated`).
//! * Memory: a fresh server's resident memory growth per MediaPipeline holding one
//!   PixelateFilter, next to a fresh process of this bench building the same GStreamer
//!   elements (a pipeline playing a bin `queue ! videoconvert ! pixelatefilter ! videoconvert !
//!   tee`) with GStreamer alone; and per idle session (a connection that sent one `ping`).
//!
//! Needs the release build of the server and the pixelate module:
//! `cargo build --release --workspace && cargo bench -p filmstrip-tests --bench serve`
//! Options (after `--`): `--clients N` (50), `--seconds S` (10), `--pipelines N` (200),
//! `--cycles-per-second N` (10, per client, for the paced run), `--events N` (200 of each
//! kind), `--sessions N` (500), `--only events|sessions` (run one part alone).

use filmstrip_tests::Served;
use filmstrip_tests::serve::Client;
use gst::prelude::*;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// The filter every pipeline holds.
const FILTER_CLASS: &str = "PixelateFilter";
const FILTER_FACTORY: &str = "pixelatefilter";

struct Settings {
    clients: usize,
    seconds: u64,
    pipelines: usize,
    cycles_per_second: u64,
    events: usize,
    sessions: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(count) = option(&args, "--gst-peer") {
        gst_peer(count);
        return;
    }
    let settings = Settings {
        clients: option(&args, "--clients").unwrap_or(50),
        seconds: option(&args, "--seconds").unwrap_or(10) as u64,
        pipelines: option(&args, "--pipelines").unwrap_or(200),
        cycles_per_second: option(&args, "--cycles-per-second").unwrap_or(10).max(1) as u64,
        events: option(&args, "--events").unwrap_or(200).max(1),
        sessions: option(&args, "--sessions").unwrap_or(500).max(1),
    };
    if !pixelate_library().is_file() {
        eprintln!(
            "serve bench: {} is missing: run `cargo build --release --workspace` first",
            pixelate_library().display()
        );
        std::process::exit(2);
    }
    let only = args
        .iter()
        .position(|arg| arg == "--only")
        .and_then(|at| args.get(at + 1));
    match only.map(String::as_str) {
        Some("events") => events(&settings),
        Some("sessions") => sessions(&settings),
        Some(other) => panic!("--only takes events or sessions, not {other}"),
        None => {
            load(&settings);
            events(&settings);
            memory(&settings);
            sessions(&settings);
        }
    }
}

/// The value of `--name N` among `args`; cargo adds `--bench`, which is ignored.
fn option(args: &[String], name: &str) -> Option<usize> {
    let at = args.iter().position(|arg| arg == name)?;
    let value = args.get(at + 1)?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} takes a number, not {value}")),
    )
}

fn pixelate_library() -> PathBuf {
    filmstrip_tests::profile_dir().join("libpixelate.so")
}

/// Resident memory of the server process in KiB.
fn server_rss_kib(server: &Served) -> u64 {
    rss_kib(&format!("/proc/{}/status", server.pid()))
}

/// CPU time the server process has used, user and system, in seconds.
fn server_cpu_seconds(server: &Served) -> f64 {
    cpu_seconds(&format!("/proc/{}/stat", server.pid()))
}

/// CPU time, user and system, of the process whose `/proc/PID/stat` is `stat_file`.
fn cpu_seconds(stat_file: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_file).expect("/proc stat");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // Linux reports in USER_HZ, 100 on every architecture Rust targets here.
    ticks / 100.0
}

fn rss_kib(status_file: &str) -> u64 {
    std::fs::read_to_string(status_file)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS in /proc status")
}

/// Round-trip times of one kind of request.
#[derive(Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn time<T>(&mut self, call: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = call();
        self.0.push(start.elapsed());
        value
    }

    /// p50, p90, p99 and max, in milliseconds.
    fn percentiles(&mut self) -> [f64; 4] {
        let samples = &mut self.0;
        samples.sort_unstable();
        [0.5, 0.9, 0.99, 1.0].map(|share: f64| {
            let index = ((samples.len() as f64 * share).ceil() as usize).saturating_sub(1);
            samples[index.min(samples.len() - 1)].as_secs_f64() * 1e3
        })
    }

    /// A row of the event table: count and percentiles, no rate.
    fn event_row(&mut self, name: &str) {
        let [p50, p90, p99, max] = self.percentiles();
        println!(
            "| {name} | {} | {p50:.3} | {p90:.3} | {p99:.3} | {max:.3} |",
            self.0.len()
        );
    }

    fn row(&mut self, name: &str, seconds: f64) {
        let [p50, p90, p99, max] = self.percentiles();
        let count = self.0.len();
        println!(
            "| {name} | {count} | {:.0} | {p50:.3} | {p90:.3} | {p99:.3} | {max:.3} |",
            count as f64 / seconds
        );
    }
}

fn load(settings: &Settings) {
    let server = Served::start();
    println!(
        "filmstrip serve: {} clients for {} s on loopback, {} cores",
        settings.clients,
        settings.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("| requests | count | per s | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");

    let mut alone = Client::connect(&server.url);
    let mut floor = Latencies::default();
    let start = Instant::now();
    for _ in 0..2000 {
        floor.time(|| alone.ok("ping", json!({})));
    }
    floor.row("ping, 1 client", start.elapsed().as_secs_f64());

    let results = run_clients(settings.clients, &server.url, |client, _, _| {
        let mut pings = Latencies::default();
        for _ in 0..200 {
            pings.time(|| client.ok("ping", json!({})));
        }
        vec![pings]
    });
    let (mut pings, seconds) = results.into_iter().next().unwrap();
    pings.row(&format!("ping, {} clients", settings.clients), seconds);

    // GStreamer alone is the floor of create and release; one client alone shows the
    // server's own time per request; many show how it shares.
    gst_cycles(Duration::from_secs(2));
    let mut busy = Vec::new();
    let paced = Duration::from_millis(1000 / settings.cycles_per_second);
    for (clients, seconds, pace) in [
        (1, 2, None),
        (settings.clients, settings.seconds, None),
        (settings.clients, settings.seconds, Some(paced)),
    ] {
        let (server_cpu, own_cpu) = (server_cpu_seconds(&server), cpu_seconds("/proc/self/stat"));
        let start = Instant::now();
        cycles(&server.url, clients, Duration::from_secs(seconds), pace);
        let elapsed = start.elapsed().as_secs_f64();
        busy.push(format!(
            "with {clients} clients the server used {:.2} cores and the clients {:.2}",
            (server_cpu_seconds(&server) - server_cpu) / elapsed,
            (cpu_seconds("/proc/self/stat") - own_cpu) / elapsed
        ));
    }
    println!();
    println!("CPU during the cycles: {}.", busy.join("; "));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("Load average: {}", load.trim());
    println!();
}

/// `clients` clients repeating create / invoke / release on a filter of their own pipeline
/// for `duration`; prints a row per request and one for all.
///
/// Without `pace` each client starts its next cycle as soon as the last one is answered, which
/// saturates the machine and measures throughput (latency is then mostly queueing: clients
/// over throughput). With `pace` each client starts a cycle every `pace`, as applications
/// with users behind them do, which measures latency at a known load.
fn cycles(url: &str, clients: usize, duration: Duration, pace: Option<Duration>) {
    let results = run_clients(clients, url, move |client, index, started| {
        let pipeline = client.create("MediaPipeline", None);
        let mut kinds: Vec<Latencies> = (0..3).map(|_| Latencies::default()).collect();
        // Paced clients start at phases spread over the period so they do not fire at once.
        let mut next = started
            + pace
                .unwrap_or_default()
                .mul_f64(index as f64 / clients as f64);
        while started.elapsed() < duration {
            if let Some(pace) = pace {
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
                next += pace;
            }
            let filter = kinds[0].time(|| client.create(FILTER_CLASS, Some(&pipeline)));
            kinds[1].time(|| {
                let args = json!({"object": filter, "operation": "setBlockSize",
                                  "operationParams": {"blockSize": 8}});
                client.ok("invoke", args)
            });
            kinds[2].time(|| client.ok("release", json!({"object": filter})));
        }
        client.ok("release", json!({"object": pipeline}));
        kinds
    });
    let load = match pace {
        Some(pace) => format!(
            "{clients} clients, a cycle each per {} ms",
            pace.as_millis()
        ),
        None => format!("{clients} clients, back to back"),
    };
    let mut all = Latencies::default();
    let mut seconds = 0.0;
    for (name, (mut latencies, elapsed)) in ["create", "invoke", "release"].into_iter().zip(results)
    {
        all.0.extend(&latencies.0);
        latencies.row(&format!("{name}, {load}"), elapsed);
        seconds = elapsed;
    }
    all.row(&format!("all three, {load}"), seconds);
}

/// Runs `work` on `clients` threads at once, each with its own connection, and merges
/// what each returns kind by kind, with the wall time from the common start.
fn run_clients(
    clients: usize,
    url: &str,
    work: impl Fn(&mut Client, usize, Instant) -> Vec<Latencies> + Send + Sync + 'static,
) -> Vec<(Latencies, f64)> {
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = (0..clients)
        .map(|index| {
            let (work, barrier, url) = (Arc::clone(&work), Arc::clone(&barrier), url.to_string());
            std::thread::spawn(move || {
                let mut client = Client::connect(&url);
                client.ok("ping", json!({}));
                barrier.wait();
                work(&mut client, index, Instant::now())
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut merged: Vec<Latencies> = Vec::new();
    for thread in threads {
        for (i, latencies) in thread.join().unwrap().into_iter().enumerate() {
            if merged.len() <= i {
                merged.push(Latencies::default());
            }
            merged[i].0.extend(latencies.0);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    merged.into_iter().map(|kind| (kind, seconds)).collect()
}

/// Event delivery to `settings.clients` subscribers, from the request that raises each event
/// to its arrival at every subscriber; one row for events crossing a pipeline's bus, one for
/// events the request raises itself.
fn events(settings: &Settings) {
    let server = Served::start();
    let dir = tempfile::tempdir().unwrap();
    let mut driver = Client::connect(&server.url);
    let pipeline = driver.create("MediaPipeline", None);
    let recorder = driver.recorder(&pipeline, &dir.path().join("unfed.webm"), json!({}));
    println!(
        "Event delivery to {} subscribed clients, each with its own session, {} events of \
         each kind, one every 20-30 ms:",
        settings.clients, settings.events
    );
    println!();
    println!("| event | deliveries | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    // `record` and `pause` in turn: each posts `Recording` or `Paused` on the recorder's bus,
    // from where the pipeline's bus thread dispatches it.
    let mut bus = deliveries(
        &server,
        settings,
        &[(&recorder, "Recording"), (&recorder, "Paused")],
        |driver, index| {
            let operation = if index % 2 == 0 { "record" } else { "pause" };
            driver.invoke(&recorder, operation, json!({}));
        },
        &mut driver,
    );
    bus.event_row("Recording/Paused (pipeline bus)");
    let mut manager = deliveries(
        &server,
        settings,
        &[(filmstrip_tests::serve::MANAGER, "ObjectCreated")],
        |driver, _| {
            driver.create("MediaPipeline", None);
        },
        &mut driver,
    );
    manager.event_row("ObjectCreated (raised by the request)");
    println!();
}

/// Connects `settings.clients` subscribers to each of `subscriptions`, then calls `trigger`
/// `settings.events` times, 20-30 ms apart, and returns every subscriber's delay from the call
/// to the arrival of the event it raised.
fn deliveries(
    server: &Served,
    settings: &Settings,
    subscriptions: &[(&str, &str)],
    trigger: impl Fn(&mut Client, usize),
    driver: &mut Client,
) -> Latencies {
    let count = settings.events;
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let ready = Arc::new(Barrier::new(settings.clients + 1));
    let received = Arc::new(AtomicUsize::new(0));
    let subscribers: Vec<_> = (0..settings.clients)
        .map(|_| {
            let mut client = Client::connect(&server.url);
            for (object, event) in subscriptions {
                client.subscribe(object, event);
            }
            let (ready, received) = (Arc::clone(&ready), Arc::clone(&received));
            std::thread::spawn(move || {
                ready.wait();
                let mut arrivals = Vec::with_capacity(count);
                while arrivals.len() < count {
                    let message = client.receive();
                    if message["method"] == "onEvent" {
                        arrivals.push(Instant::now());
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
                arrivals
            })
        })
        .collect();
    ready.wait();
    for index in 0..count {
        sent.lock().unwrap().push(Instant::now());
        trigger(driver, index);
        // Every subscriber has this event before the next is raised, so each delay is one
        // event's alone, not a queue's.
        let deadline = Instant::now() + Duration::from_secs(10);
        while received.load(Ordering::Relaxed) < (index + 1) * settings.clients {
            assert!(
                Instant::now() < deadline,
                "event {index} did not reach every client"
            );
            std::thread::yield_now();
        }
        // 20 to 30 ms apart, varied so that the events do not keep one phase against any
        // periodic work in the server.
        std::thread::sleep(Duration::from_micros(
            20_000 + (index as u64 * 3_700) % 10_000,
        ));
    }
    let sent = sent.lock().unwrap().clone();
    let mut delays = Latencies::default();
    for subscriber in subscribers {
        for (arrival, sent) in subscriber.join().unwrap().into_iter().zip(&sent) {
            delays.0.push(arrival.duration_since(*sent));
        }
    }
    delays
}

/// Resident memory per idle session: `settings.sessions` connections that each sent one
/// `ping` (which opens a session) and then stay open, silent.
fn sessions(settings: &Settings) {
    let count = settings.sessions;
    let server = Served::start();
    // The first sessions pay for the allocator's arenas and the server's first thread stacks.
    let mut warm: Vec<Client> = (0..10).map(|_| Client::connect(&server.url)).collect();
    for client in &mut warm {
        client.ok("ping", json!({}));
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = server_rss_kib(&server);
    let threads_before = server_threads(&server);
    let mut idle: Vec<Client> = Vec::with_capacity(count);
    for _ in 0..count {
        let mut client = Client::connect(&server.url);
        client.ok("ping", json!({}));
        idle.push(client);
    }
    std::thread::sleep(Duration::from_secs(1));
    let grown = server_rss_kib(&server).saturating_sub(before) as f64;
    let sessions = server.metric("filmstrip_sessions");
    println!(
        "Memory per idle session ({count} connections that sent one ping, {sessions} sessions \
         in all): {:.1} KiB resident each ({:.0} KiB in all); server threads {} -> {}.",
        grown / count as f64,
        grown,
        threads_before,
        server_threads(&server)
    );
    println!();
    drop(idle);
}

/// The server's thread count, from `/proc/PID/status`.
fn server_threads(server: &Served) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|rest| rest.trim().parse().ok())
        .expect("Threads in /proc status")
}

fn memory(settings: &Settings) {
    let count = settings.pipelines;
    let server = Served::start();
    let mut client = Client::connect(&server.url);
    let mut add_pipeline = || {
        let pipeline = client.create("MediaPipeline", None);
        client.create(FILTER_CLASS, Some(&pipeline));
    };
    // The first pipeline pays for plugin features and caches that later ones share.
    add_pipeline();
    std::thread::sleep(Duration::from_millis(500));
    let before = server_rss_kib(&server);
    for _ in 0..count {
        add_pipeline();
    }
    std::thread::sleep(Duration::from_secs(1));
    let serve_kib = server_rss_kib(&server).saturating_sub(before) as f64 / count as f64;

    let peer = Command::new(std::env::current_exe().unwrap())
        .args(["--gst-peer", &count.to_string()])
        .output()
        .expect("the GStreamer peer runs");
    assert!(
        peer.status.success(),
        "GStreamer peer failed: {}",
        String::from_utf8_lossy(&peer.stderr)
    );
    let gst_kib: f64 = String::from_utf8_lossy(&peer.stdout)
        .trim()
        .parse()
        .expect("the peer prints KiB per pipeline");

    println!(
        "Memory per idle MediaPipeline with one {FILTER_CLASS}, resident growth over {count} \
         pipelines, each in a fresh process:"
    );
    println!();
    println!("| process | KiB per pipeline | vs GStreamer |");
    println!("|---|---:|---:|");
    println!(
        "| filmstrip serve | {serve_kib:.0} | {:.2}x |",
        serve_kib / gst_kib
    );
    println!("| GStreamer alone | {gst_kib:.0} | 1.00x |");
}

/// The elements the server puts in a bin for a module filter, linked as it links them.
fn filter_bin() -> gst::Bin {
    let bin = gst::Bin::new();
    let elements: Vec<gst::Element> = [
        "queue",
        "videoconvert",
        FILTER_FACTORY,
        "videoconvert",
        "tee",
    ]
    .into_iter()
    .map(|factory| gst::ElementFactory::make(factory).build().unwrap())
    .collect();
    bin.add_many(&elements).unwrap();
    for pair in elements.windows(2) {
        // As the server links them: pad templates checked, caps negotiated when media flows.
        let (output, input) = (pair[0].static_pad("src"), pair[1].static_pad("sink"));
        output
            .unwrap()
            .link_full(&input.unwrap(), gst::PadLinkCheck::TEMPLATE_CAPS)
            .unwrap();
    }
    bin
}

/// The peer: `count` pipelines built with GStreamer alone, as the server builds them for a
/// MediaPipeline with one filter; prints the resident growth per pipeline in KiB.
fn gst_peer(count: usize) {
    gst::init().unwrap();
    gst::Plugin::load_file(pixelate_library()).expect("pixelate loads as a GStreamer plugin");
    let build = || {
        let pipeline = gst::Pipeline::new();
        pipeline.add(&filter_bin()).unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        pipeline
    };
    let mut pipelines = vec![build()];
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_kib("/proc/self/status");
    pipelines.extend((0..count).map(|_| build()));
    std::thread::sleep(Duration::from_secs(1));
    let grown = rss_kib("/proc/self/status").saturating_sub(before);
    println!("{}", grown as f64 / count as f64);
    for pipeline in pipelines {
        let _ = pipeline.set_state(gst::State::Null);
    }
}

/// What `create` and `release` of a filter cost GStreamer alone, in one thread: the bin made,
/// added to a playing pipeline and brought to its state, then stopped and removed.
fn gst_cycles(duration: Duration) {
    gst::init().unwrap();
    gst::Plugin::load_file(pixelate_library()).expect("pixelate loads as a GStreamer plugin");
    let pipeline = gst::Pipeline::new();
    pipeline.set_state(gst::State::Playing).unwrap();
    let (mut create, mut release) = (Latencies::default(), Latencies::default());
    let start = Instant::now();
    while start.elapsed() < duration {
        let bin = create.time(|| {
            let bin = filter_bin();
            pipeline.add(&bin).unwrap();
            bin.sync_state_with_parent().unwrap();
            bin
        });
        release.time(|| {
            bin.set_state(gst::State::Null).unwrap();
            pipeline.remove(&bin).unwrap();
        });
    }
    let seconds = start.elapsed().as_secs_f64();
    create.row("create, GStreamer alone", seconds);
    release.row("release, GStreamer alone", seconds);
    let _ = pipeline.set_state(gst::State::Null);
}
