//! `filmstrip serve` over many cycles and with media flowing: what each element measures
//! (`getStats` latencies, `/metrics` per-filter counters), and a soak of create / connect /
//! release cycles after which memory, descriptors and threads must be where they were.

use filmstrip_tests::serve::Client;
use filmstrip_tests::{Served, make_clip};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);
const FRAMES_METRIC: &str = "filmstrip_filter_frames_total{class=\"PixelateFilter\"}";
const SECONDS_METRIC: &str = "filmstrip_filter_processing_seconds_total{class=\"PixelateFilter\"}";

/// The `ElementStats` of `object` in its `getStats` answer, with `params`.
fn element_stats(client: &mut Client, object: &str, params: Json) -> Json {
    let stats = client.invoke(object, "getStats", params);
    let own = object.rsplit('/').next().unwrap();
    let element = stats[own].clone();
    assert_eq!(element["__type__"], "ElementStats", "{stats}");
    element
}

#[test]
fn filters_measure_their_frames_and_processing_time() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let filter = client.create("PixelateFilter", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": filter}));
    let idle = element_stats(&mut client, &filter, json!({}));
    assert_eq!(idle["inputVideoLatency"], json!(0.0), "before any frame");

    client.subscribe(&player, "EndOfStream");
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", LONG);
    // The player's end means its last frame left it; the filter is one queue further on.
    let deadline = Instant::now() + Duration::from_secs(5);
    while served.metric(FRAMES_METRIC) < filmstrip_tests::FRAMES as f64 {
        assert!(Instant::now() < deadline, "frames stay below the clip's");
        std::thread::sleep(Duration::from_millis(20));
    }
    let frames = served.metric(FRAMES_METRIC);
    let seconds = served.metric(SECONDS_METRIC);
    assert_eq!(
        frames,
        filmstrip_tests::FRAMES as f64,
        "one count per frame"
    );
    assert!(seconds > 0.0, "{seconds} s for {frames} frames");

    for params in [
        json!({}),
        json!({"mediaType": "VIDEO"}),
        json!({"mediaType": "AUDIO"}),
    ] {
        let stats = element_stats(&mut client, &filter, params.clone());
        let latency = stats["inputVideoLatency"].as_f64().unwrap();
        // The mean of what /metrics sums, in nanoseconds; a 320x240 pixelation takes
        // microseconds, well below a frame's 33 ms.
        assert!(latency > 0.0 && latency < 33e6, "{params}: {stats}");
        let mean = seconds * 1e9 / frames;
        assert!(
            (latency - mean).abs() <= mean * 0.01 + 1.0,
            "{latency} vs {mean}"
        );
        assert_eq!(
            stats["inputAudioLatency"],
            json!(0.0),
            "audio is not processed"
        );
    }
    // A player has no filter of a module: nothing of ours is timed there.
    let player_stats = element_stats(&mut client, &player, json!({}));
    assert_eq!(player_stats["inputVideoLatency"], json!(0.0));
    assert_eq!(
        client.error_code(
            "invoke",
            json!({"object": filter, "operation": "getStats",
                   "operationParams": {"mediaType": "DATA"}})
        ),
        40107
    );

    // Released filters keep counting in their class's total: counters never go backwards.
    client.ok("release", json!({"object": pipeline}));
    assert_eq!(served.metric(FRAMES_METRIC), frames);
    assert_eq!(served.metric(SECONDS_METRIC), seconds);
}

/// What the server process holds: resident memory, descriptors, threads.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    rss_bytes: u64,
    fds: usize,
    threads: usize,
}

fn footprint(served: &Served) -> Footprint {
    let pid = served.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    Footprint {
        rss_bytes: field("VmRSS:") * 1024,
        fds: std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count(),
        threads: field("Threads:") as usize,
    }
}

/// Waits until the server has stopped what the last cycles started (released elements stop
/// outside the request; threads of GStreamer's pools linger briefly) and measures it.
fn settled_footprint(served: &Served, client: &mut Client) -> Footprint {
    client.ok("ping", json!({}));
    std::thread::sleep(Duration::from_millis(500));
    footprint(served)
}

/// One cycle: a pipeline, a PassThrough feeding a module filter, and the release of it all.
fn cycle(client: &mut Client) {
    let pipeline = client.create("MediaPipeline", None);
    let source = client.create("PassThrough", Some(&pipeline));
    let filter = client.create("PixelateFilter", Some(&pipeline));
    client.invoke(&source, "connect", json!({"sink": filter}));
    client.ok("release", json!({"object": pipeline}));
}

/// Cycles run before the first measurement: allocator arenas, GStreamer's registry and
/// caches, thread pools and the server's own maps reach their working size.
const WARM_UP: usize = 300;
/// Cycles measured: 3,000, or `FILMSTRIP_SOAK_CYCLES` for a longer soak by hand.
fn measured_cycles() -> usize {
    std::env::var("FILMSTRIP_SOAK_CYCLES")
        .ok()
        .and_then(|cycles| cycles.parse().ok())
        .unwrap_or(3_000)
}

#[test]
fn create_connect_release_cycles_leave_memory_descriptors_and_threads_flat() {
    let served = Served::start();
    let mut client = served.client();
    for _ in 0..WARM_UP {
        cycle(&mut client);
    }
    let before = settled_footprint(&served, &mut client);
    let cycles = measured_cycles();
    let start = Instant::now();
    for _ in 0..cycles {
        cycle(&mut client);
    }
    let elapsed = start.elapsed();
    let after = settled_footprint(&served, &mut client);
    let grown = after.rss_bytes as i64 - before.rss_bytes as i64;
    println!(
        "soak: {cycles} cycles in {:.1} s ({:.2} ms each); RSS {} -> {} KiB, {} B per cycle; \
         fds {} -> {}; threads {} -> {}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / cycles as f64,
        before.rss_bytes / 1024,
        after.rss_bytes / 1024,
        grown / cycles as i64,
        before.fds,
        after.fds,
        before.threads,
        after.threads,
    );
    // Descriptors and threads come back exactly, give or take one of GStreamer's pooled
    // threads finishing its idle wait.
    assert!(after.fds <= before.fds, "{before:?} -> {after:?}");
    assert!(
        after.threads <= before.threads + 2,
        "{before:?} -> {after:?}"
    );
    // Memory: at most 1 KiB per cycle (3 MiB in all), against the ~70 KiB a pipeline with a
    // filter holds while it lives, so a leak of any object per cycle would show.
    assert!(grown <= 1024 * cycles as i64, "{before:?} -> {after:?}");
    assert_eq!(served.metric("filmstrip_pipelines"), 0.0);
}
