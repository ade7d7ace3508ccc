//! Module libraries are genuine GStreamer plugins: the stock GStreamer tools use them with no
//! Filmstrip host, through `GST_PLUGIN_PATH` alone.

use filmstrip_tests::profile_dir;
use std::process::{Command, Output};

/// Runs a GStreamer tool with only the build directory on the plugin path and a private
/// registry, so no cached registry from another build can answer for our files.
fn gst_tool(tool: &str, args: &[&str]) -> Output {
    let registry = tempfile::tempdir().expect("temp dir");
    let output = Command::new(tool)
        .args(args)
        .env("GST_PLUGIN_PATH", profile_dir())
        .env("GST_REGISTRY", registry.path().join("registry.bin"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn gst_inspect_shows_the_filter_and_its_properties() {
    let out = gst_tool("gst-inspect-1.0", &["edgedetectfilter"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Long-name                EdgeDetectFilter"),
        "{text}"
    );
    assert!(text.contains("libedgedetect.so"), "{text}");
    assert!(text.contains("threshold"), "{text}");
    assert!(text.contains("report-step"), "{text}");
    assert!(
        text.contains("changeable in NULL, READY, PAUSED or PLAYING state"),
        "{text}"
    );
}

#[test]
fn gst_launch_runs_both_filters_and_posts_events() {
    let out = gst_tool(
        "gst-launch-1.0",
        &[
            "-m",
            "videotestsrc",
            "num-buffers=10",
            "pattern=ball",
            "!",
            "video/x-raw,width=160,height=120",
            "!",
            "videoconvert",
            "!",
            "edgedetectfilter",
            "threshold=40",
            "report-step=0",
            "!",
            "videoconvert",
            "!",
            "pixelatefilter",
            "block-size=4",
            "!",
            "fakesink",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let events = text
        .lines()
        .filter(|line| line.contains("filmstrip-event, type=(string)EdgeDensityChanged"))
        .count();
    assert_eq!(
        events, 10,
        "one event per frame with report-step=0:\n{text}"
    );
    assert!(text.contains("Got EOS"), "{text}");
}
