//! `filmstrip serve` under load: JSON-RPC round trips from many concurrent WebSocket clients on
//! loopback, and the memory an idle pipeline with one filter costs, next to plain GStreamer.
//!
//! * Floor: `ping` round trips, from one client and then from every client at once.
//! * Load: each client has its own session and MediaPipeline and repeats `create`
//!   PixelateFilter / `invoke` setBlockSize / `release` for a fixed time, back to back
//!   (throughput) and then paced (latency at a known load).
//! * Memory: a fresh server's resident memory growth per MediaPipeline holding one
//!   PixelateFilter, next to a fresh process of this bench building the same GStreamer
//!   elements (a pipeline playing a bin `queue ! videoconvert ! pixelatefilter ! videoconvert !
//!   tee`) with GStreamer alone.
//!
//! Needs the release build of the server and the pixelate module:
//! `cargo build --release --workspace && cargo bench -p filmstrip-tests --bench serve`
//! Options (after `--`): `--clients N` (50), `--seconds S` (10), `--pipelines N` (200),
//! `--cycles-per-second N` (10, per client, for the paced run).

use filmstrip_tests::Served;
use filmstrip_tests::serve::Client;
use gst::prelude::*;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The filter every pipeline holds.
const FILTER_CLASS: &str = "PixelateFilter";
const FILTER_FACTORY: &str = "pixelatefilter";

struct Settings {
    clients: usize,
    seconds: u64,
    pipelines: usize,
    cycles_per_second: u64,
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
    };
    if !pixelate_library().is_file() {
        eprintln!(
            "serve bench: {} is missing: run `cargo build --release --workspace` first",
            pixelate_library().display()
        );
        std::process::exit(2);
    }
    load(&settings);
    memory(&settings);
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

    fn row(&mut self, name: &str, seconds: f64) {
        let samples = &mut self.0;
        samples.sort_unstable();
        let at = |share: f64| {
            let index = ((samples.len() as f64 * share).ceil() as usize).saturating_sub(1);
            samples[index.min(samples.len() - 1)].as_secs_f64() * 1e3
        };
        println!(
            "| {name} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} |",
            samples.len(),
            samples.len() as f64 / seconds,
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
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
