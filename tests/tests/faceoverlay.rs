//! The faceoverlay module through the host: both classes listed, FaceOverlayFilter described
//! as Kurento's built-in, and a clip made from the astronaut photo run through
//! FaceDetectorFilter and FaceOverlayFilter with a hat, into WebM.

use filmstrip_tests::{
    FRAMES, assert_green_hat, astronaut_clip, decode_luma, filmstrip, green_png, module_library,
};
use serde_json::Value as Json;

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
    let events = outcome.events("FaceDetected");
    assert_eq!(events.len(), 1, "{}", outcome.stdout);
    let faces = events[0]["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let face = |key: &str| faces[0][key].as_f64().unwrap();
    let box_ = [face("x"), face("y"), face("width"), face("height")];

    let input = decode_luma(&clip);
    let output = decode_luma(&out);
    assert!(
        output.len() >= FRAMES - 2,
        "{} frames came out",
        output.len()
    );
    // The first frame finds the face, the second confirms it: the hat shows from there on.
    assert_green_hat(&input, &output, box_, 1);
}
