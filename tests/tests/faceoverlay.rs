//! The faceoverlay module through the host: both classes listed, FaceOverlayFilter described
//! as Kurento's built-in, and a clip made from the astronaut photo run through
//! FaceDetectorFilter and FaceOverlayFilter with a hat, into WebM.

use filmstrip_tests::{
    FRAMES, HEIGHT, WIDTH, decode_luma, filmstrip, gst_launch, module_library, workspace_root,
};
use serde_json::Value as Json;
use std::path::Path;

/// A [`FRAMES`]-frame [`WIDTH`]x[`HEIGHT`] H.264 clip of the still astronaut photo,
/// letterboxed, made with GStreamer from the PNG.
fn astronaut_clip(dir: &Path) -> std::path::PathBuf {
    let photo = workspace_root().join("modules/faceoverlay/tests/data/astronaut.png");
    let clip = dir.join("astronaut.mp4");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers={FRAMES} \
         ! video/x-raw,framerate=30/1 ! videoscale add-borders=true \
         ! video/x-raw,width={WIDTH},height={HEIGHT},pixel-aspect-ratio=1/1 ! videoconvert \
         ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location={}",
        photo.display(),
        clip.display()
    ));
    clip
}

/// An opaque green 64x64 PNG, made with GStreamer.
fn green_png(dir: &Path) -> std::path::PathBuf {
    let png = dir.join("green.png");
    gst_launch(&format!(
        "videotestsrc pattern=solid-color foreground-color=0xff00ff00 num-buffers=1 \
         ! video/x-raw,width=64,height=64 ! videoconvert ! pngenc ! filesink location={}",
        png.display()
    ));
    png
}

#[test]
fn list_and_describe_show_both_classes() {
    let listed = filmstrip(&["list", "--json"]).assert_success().json();
    let path = module_library("faceoverlay");
    for (class, factory) in [
        ("FaceOverlayFilter", "faceoverlayfilter"),
        ("FaceDetectorFilter", "facedetectorfilter"),
    ] {
        let entry = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["class"] == class)
            .unwrap_or_else(|| panic!("{class} is not listed: {listed}"));
        assert_eq!(entry["factory"], factory);
        assert_eq!(entry["module"], "faceoverlay");
        assert_eq!(entry["path"], path.to_str().unwrap());
    }
    let class = filmstrip(&["describe", "FaceOverlayFilter"])
        .assert_success()
        .json();
    assert_eq!(class["filmstrip"]["kurentoModule"], "filters", "{class}");
    let methods: Vec<&str> = class["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(methods.contains(&"setOverlayedImage"), "{methods:?}");
    assert!(methods.contains(&"unsetOverlayedImage"), "{methods:?}");
}

#[test]
fn run_draws_a_hat_over_the_astronaut() {
    let dir = tempfile::tempdir().unwrap();
    let clip = astronaut_clip(dir.path());
    let png = green_png(dir.path());
    let out = dir.path().join("out.webm");
    let invoke = format!(
        "setOverlayedImage=[{},-0.35,-1.2,1.6,1.6]",
        Json::from(png.to_str().unwrap())
    );
    let outcome = filmstrip(&[
        "run",
        "--input",
        clip.to_str().unwrap(),
        "--filter",
        "FaceDetectorFilter",
        "--filter",
        "FaceOverlayFilter",
        "--invoke",
        &invoke,
        "--output",
        out.to_str().unwrap(),
    ]);
    outcome.assert_success();

    // The still photo has one face, reported once.
    let events: Vec<Json> = outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|event: &Json| event["type"] == "FaceDetected")
        .collect();
    assert_eq!(events.len(), 1, "{}", outcome.stdout);
    let faces = events[0]["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let face = |key: &str| faces[0][key].as_f64().unwrap();
    let (x, y, w, h) = (face("x"), face("y"), face("width"), face("height"));
    assert!(w > 30.0 && w < 70.0, "a {w} px face");

    // The hat's box, cut at the top of the frame; its middle part for comparing pixels.
    let left = (x - 0.35 * w).max(0.0);
    let right = (x + 1.25 * w).min(WIDTH as f64);
    let top = (y - 1.2 * h).max(0.0);
    let bottom = (y + 0.4 * h).min(HEIGHT as f64);
    assert!(bottom - top > 10.0, "the hat is visible");
    let hat = |fx: usize, fy: usize| {
        let (fx, fy) = (fx as f64, fy as f64);
        fx > left + 3.0 && fx < right - 3.0 && fy > top + 3.0 && fy < bottom - 3.0
    };
    let away = |fx: usize, fy: usize| {
        let (fx, fy) = (fx as f64, fy as f64);
        fx < left - 8.0 || fx > right + 8.0 || fy > bottom + 8.0
    };

    let input = decode_luma(&clip);
    let output = decode_luma(&out);
    assert!(
        output.len() >= FRAMES - 2,
        "{} frames came out",
        output.len()
    );
    // Opaque green is luma 145 in BT.601 limited range.
    // The first frame finds the face, the second confirms it: the hat shows from there on.
    for (i, (before, after)) in input.iter().zip(&output).enumerate().skip(1) {
        let (mut hat_sum, mut hat_n, mut away_diff, mut away_n) = (0.0, 0.0, 0.0, 0.0);
        for fy in 0..HEIGHT {
            for fx in 0..WIDTH {
                let at = fy * WIDTH + fx;
                if hat(fx, fy) {
                    hat_sum += after[at] as f64;
                    hat_n += 1.0;
                } else if away(fx, fy) {
                    away_diff += (after[at] as f64 - before[at] as f64).abs();
                    away_n += 1.0;
                }
            }
        }
        let hat_luma = hat_sum / hat_n;
        assert!(
            (hat_luma - 145.0).abs() < 12.0,
            "frame {i}: hat luma {hat_luma}"
        );
        let away_diff = away_diff / away_n;
        assert!(
            away_diff < 4.0,
            "frame {i}: the rest changed by {away_diff}"
        );
    }
}
