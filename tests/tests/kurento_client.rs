//! The official JavaScript `kurento-client` 7.x, in strict mode, against the real
//! `filmstrip serve`: EdgeDetectFilter, FaceDetectorFilter and PlateDetectorFilter through the
//! packages `filmstrip js-client` writes, Kurento's built-in FaceOverlayFilter drawing a hat
//! into a RecorderEndpoint, module events, a WebRtcEndpoint answering a real Chrome offer and
//! announcing its candidates, and release of everything.
//!
//! Needs `node` and `npm`. The client is installed once into `target/kurento-client-js` from
//! `tests/js/package-lock.json` and reinstalled only when `tests/js` package files change.

use filmstrip_tests::{
    Served, assert_green_hat, astronaut_clip, decode_luma, filmstrip, green_png, make_clip,
    npm_modules, workspace_root,
};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes the client package of `module` with the real `filmstrip js-client` command.
fn client_package(module: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("kurento-module-{module}"));
    filmstrip(&["js-client", module, "--out", out.to_str().unwrap()]).assert_success();
    assert!(
        out.join("lib/index.js").is_file(),
        "no package in {}",
        out.display()
    );
    out
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Runs `tests/js/e2e.js` with `config`; returns its report lines by step.
fn run_script(config: &Json) -> Vec<Json> {
    let modules = npm_modules("js", "kurento-client-js");
    let script = workspace_root().join("tests/js/e2e.js");
    let output = Command::new("node")
        .arg(&script)
        .arg(config.to_string())
        // The generated packages require kurento-client, which lives in the cache.
        .env("NODE_PATH", &modules)
        .output()
        .unwrap_or_else(|err| panic!("cannot run node ({err}): this test needs Node.js 18+"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node e2e.js failed:\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

fn step<'a>(lines: &'a [Json], name: &str) -> &'a Json {
    lines
        .iter()
        .find(|line| line["step"] == name)
        .unwrap_or_else(|| panic!("no {name} step in {lines:#?}"))
}

#[test]
fn official_client_drives_module_and_built_in_filters_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let ball = make_clip(dir.path());
    let face = astronaut_clip(dir.path());
    let hat = green_png(dir.path());
    let recording = dir.path().join("recording.webm");
    let (plate, registration) = filmstrip_tests::plate_clip(dir.path(), 7);
    let packages = [
        client_package("edgedetect", dir.path()),
        client_package("faceoverlay", dir.path()),
        client_package("platedetector", dir.path()),
    ];

    let chrome_offer =
        std::fs::read_to_string(workspace_root().join("tests/data/sdp/chrome-156.sdp")).unwrap();
    let served = Served::start();
    let config = json!({
        "url": served.url,
        "packages": packages,
        "ballClip": file_uri(&ball),
        "faceClip": file_uri(&face),
        "overlayImage": file_uri(&hat),
        "recording": file_uri(&recording),
        "plateClip": file_uri(&plate),
        "plateWidth": 0.25,
        "webrtcOffer": chrome_offer,
        // A loopback port nothing answers on: accepted, checked, never connected.
        "webrtcCandidate": "candidate:1 1 UDP 2122260223 127.0.0.1 9 typ host",
    });
    let lines = run_script(&config);
    assert!(
        lines.iter().any(|line| line["step"] == "done"),
        "{lines:#?}"
    );

    let created = step(&lines, "edgedetect-created");
    assert_eq!(created["generatedClass"], true, "{created}");
    assert!(
        created["id"]
            .as_str()
            .unwrap()
            .ends_with("_edgedetect.EdgeDetectFilter"),
        "{created}"
    );

    // The generated checks refuse bad arguments in the client, as Kurento's generated code does;
    // the server refuses what passes them but is out of range.
    let checks = step(&lines, "edgedetect-checks");
    let message = |case: &str| {
        checks[case]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        message("badEnum"),
        "mode param is not one of [EDGES|OVERLAY] (SIDEWAYS)"
    );
    assert_eq!(
        message("badNumber"),
        "threshold param should be a Number, not String"
    );
    assert_eq!(message("missing"), "setMode takes 1 parameters, not 0");
    assert_eq!(
        message("tooMany"),
        "setReportStep takes 1 parameters, not 2"
    );
    assert_eq!(checks["outOfRange"]["code"], 40107, "{checks}");

    let properties = step(&lines, "edgedetect-properties");
    assert_eq!(properties["mode"], "OVERLAY", "{properties}");
    assert_eq!(properties["threshold"].as_f64(), Some(40.0), "{properties}");
    assert_eq!(
        properties["reportStep"].as_f64(),
        Some(0.001),
        "{properties}"
    );

    // A small ball on black: a few edge pixels per thousand, reported at least once.
    let densities = step(&lines, "edgedetect-events")["densities"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!densities.is_empty(), "no EdgeDensityChanged");
    assert!(
        densities
            .iter()
            .all(|d| d.as_f64().is_some_and(|d| d > 0.0 && d < 0.05)),
        "{densities:?}"
    );

    // FaceDetected from the generated faceoverlay package gives the face the hat must cover.
    let faces = &step(&lines, "faceoverlay-recorded")["faces"];
    let face_box = ["x", "y", "width", "height"].map(|key| faces[0][key].as_f64().unwrap());
    let input = decode_luma(&face);
    let output = decode_luma(&recording);
    // The first frame finds the face, the second confirms it: the hat shows from there on.
    assert_green_hat(&input, &output, face_box, 1);

    // PlateDetected through the generated platedetector package, with the registration read.
    let plates = &step(&lines, "platedetector-events")["plates"];
    assert_eq!(plates, &json!([registration]), "{registration}");

    // WebRtcEndpoint answers the real Chrome offer with one audio and one video section and
    // announces its loopback candidates once per bundled m-line.
    let webrtc = step(&lines, "webrtc");
    assert!(
        webrtc["id"]
            .as_str()
            .unwrap()
            .ends_with("_kurento.WebRtcEndpoint"),
        "{webrtc}"
    );
    let answer = webrtc["answer"].as_str().unwrap();
    assert!(answer.contains("a=group:BUNDLE 0 1"), "{answer}");
    let media: Vec<&str> = answer
        .lines()
        .filter(|line| line.starts_with("m="))
        .map(|line| &line[2..7])
        .collect();
    assert_eq!(media, ["audio", "video"], "{answer}");
    assert_eq!(webrtc["networkInterfaces"], "lo");
    assert_eq!(webrtc["mediaState"], "DISCONNECTED");
    let candidates = webrtc["candidates"].as_array().unwrap();
    assert!(!candidates.is_empty(), "no IceCandidateFound: {webrtc}");
    for candidate in candidates {
        let line = candidate["candidate"].as_str().unwrap();
        assert_eq!(
            line.split_whitespace().nth(4),
            Some("127.0.0.1"),
            "{candidate}"
        );
        let index = candidate["sdpMLineIndex"].as_u64().unwrap();
        assert_eq!(candidate["sdpMid"], json!(index.to_string()), "{candidate}");
    }
    for index in [0, 1] {
        assert!(
            candidates.iter().any(|c| c["sdpMLineIndex"] == index),
            "no candidate for m-line {index}: {webrtc}"
        );
    }

    assert_eq!(step(&lines, "released")["pipelines"], json!([]));
}

#[test]
fn js_client_refuses_unknown_modules_naming_the_loaded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("package");
    let outcome = filmstrip(&["js-client", "nope", "--out", out.to_str().unwrap()]);
    assert!(!outcome.success);
    let error = outcome.stderr.trim();
    assert!(
        error.starts_with("filmstrip: unknown module nope; known: ")
            && error.contains("edgedetect"),
        "{error}"
    );
    assert!(!out.exists(), "nothing is written for an unknown module");
}
