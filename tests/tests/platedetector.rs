//! The platedetector module end to end: a generated street scene with a Spanish plate,
//! encoded to H.264 MP4, run through `filmstrip run` (the plate printed as a JSON line, with
//! the width set by property and by Kurento's method) and through `gst-launch-1.0` with only
//! `GST_PLUGIN_PATH` (the event as an element message); and real photographs of the
//! module's `tests/data/plates-eu` as still-image inputs of `filmstrip run`.

use filmstrip_tests::{filmstrip, filmstrip_run, plate_clip, profile_dir};
use std::process::Command;

/// The scene's seed: its plate-00 is a Spanish plate about a quarter of the frame wide.
const SEED: u64 = 1;

#[test]
fn run_prints_the_plate_once() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, plate) = plate_clip(dir.path(), SEED);
    let clip = clip.to_str().unwrap();
    for filter in [
        vec!["--filter", "PlateDetectorFilter"],
        vec!["--filter", "PlateDetectorFilter,plateWidthPercentage=0.3"],
        vec![
            "--filter",
            "PlateDetectorFilter",
            "--invoke",
            r#"setPlateWidthPercentage={"plateWidthPercentage":0.2}"#,
        ],
    ] {
        let mut args = vec!["run", "--input", clip];
        args.extend(&filter);
        args.extend(["--output", "null"]);
        let outcome = filmstrip(&args);
        outcome.assert_success();
        let events = outcome.events("PlateDetected");
        assert_eq!(events.len(), 1, "{filter:?}: {}", outcome.stdout);
        assert_eq!(events[0]["plate"], plate.as_str(), "{filter:?}");
        assert_eq!(events[0]["source"], "PlateDetectorFilter");
    }
}

#[test]
fn run_reads_real_photos_given_as_still_images() {
    let set = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modules/platedetector/tests/data/plates-eu");
    for (photo, plate) in [("test_002.jpg", "RK755AJ"), ("eu10.jpg", "WA56660")] {
        let input = set.join(photo);
        let outcome = filmstrip_run(input.to_str().unwrap(), "PlateDetectorFilter", "null");
        outcome.assert_success();
        let events = outcome.events("PlateDetected");
        assert_eq!(events.len(), 1, "{photo}: {}", outcome.stdout);
        assert_eq!(events[0]["plate"], plate, "{photo}");
    }
}

#[test]
fn run_refuses_a_bad_plate_width() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, _) = plate_clip(dir.path(), SEED);
    let outcome = filmstrip(&[
        "run",
        "--input",
        clip.to_str().unwrap(),
        "--filter",
        "PlateDetectorFilter",
        "--invoke",
        "setPlateWidthPercentage=[2.5]",
        "--output",
        "null",
    ]);
    assert!(!outcome.success, "{}", outcome.stdout);
    assert!(
        outcome
            .stderr
            .contains("plateWidthPercentage: 2.5 is out of range"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn gst_launch_posts_the_plate_as_an_element_message() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, plate) = plate_clip(dir.path(), SEED);
    let registry = dir.path().join("registry.bin");
    let output = Command::new("gst-launch-1.0")
        .args(["-m", "filesrc"])
        .arg(format!("location={}", clip.display()))
        .args("! decodebin ! videoconvert ! platedetectorfilter ! fakesink".split_whitespace())
        .env("GST_PLUGIN_PATH", profile_dir())
        .env("GST_REGISTRY", registry)
        .output()
        .expect("gst-launch-1.0 starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let messages: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("filmstrip-event, type=(string)PlateDetected"))
        .collect();
    assert_eq!(messages.len(), 1, "{stdout}");
    assert!(
        // The fields travel as one JSON string, quotes escaped.
        messages[0].contains(&format!(r#"\"plate\":\"{plate}\""#)),
        "{}",
        messages[0]
    );
}

#[test]
fn describe_shows_kurentos_api() {
    let class = filmstrip(&["describe", "PlateDetectorFilter"])
        .assert_success()
        .json();
    assert_eq!(class["filmstrip"]["factory"], "platedetectorfilter");
    let width = class["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "plateWidthPercentage")
        .unwrap_or_else(|| panic!("no plateWidthPercentage in {class}"));
    assert_eq!(width["type"], "float");
    assert_eq!(width["defaultValue"], 0.25);
    assert_eq!(class["events"], serde_json::json!(["PlateDetected"]));
}
