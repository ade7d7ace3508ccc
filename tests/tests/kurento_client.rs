//! The official JavaScript `kurento-client` 7.x, in strict mode, against the real
//! `filmstrip serve`: EdgeDetectFilter, FaceDetectorFilter and PlateDetectorFilter through the
//! packages `filmstrip js-client` writes, Kurento's built-in FaceOverlayFilter drawing a hat
//! into a RecorderEndpoint, module events, a WebRtcEndpoint answering a real Chrome offer and
//! announcing its candidates, and release of everything.
//!
//! Needs `node` and `npm`. The client is installed once into `target/kurento-client-js` from
//! `tests/js/package-lock.json` and reinstalled only when `tests/js` package files change.

use filmstrip_tests::kurento_js::{client_package, file_uri, run_script};
use filmstrip_tests::serve::is_kurento_object;
use filmstrip_tests::{
    Served, assert_green_hat, astronaut_clip, decode_luma, filmstrip, green_png, make_clip,
    workspace_root,
};
use serde_json::json;

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
    let lines = run_script("e2e.js", &config);
    lines.step("done");

    let created = lines.step("edgedetect-created");
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
    let checks = lines.step("edgedetect-checks");
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

    let properties = lines.step("edgedetect-properties");
    assert_eq!(properties["mode"], "OVERLAY", "{properties}");
    assert_eq!(properties["threshold"].as_f64(), Some(40.0), "{properties}");
    assert_eq!(
        properties["reportStep"].as_f64(),
        Some(0.001),
        "{properties}"
    );

    // A small ball on black: a few edge pixels per thousand, reported at least once.
    let densities = lines.step("edgedetect-events")["densities"]
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
    let faces = &lines.step("faceoverlay-recorded")["faces"];
    let face_box = ["x", "y", "width", "height"].map(|key| faces[0][key].as_f64().unwrap());
    let input = decode_luma(&face);
    let output = decode_luma(&recording);
    // The first frame finds the face, the second confirms it: the hat shows from there on.
    assert_green_hat(&input, &output, face_box, 1);

    // PlateDetected through the generated platedetector package, with the registration read.
    let plates = &lines.step("platedetector-events")["plates"];
    assert_eq!(plates, &json!([registration]), "{registration}");

    // WebRtcEndpoint answers the real Chrome offer with one audio and one video section and
    // announces its loopback candidates once per bundled m-line.
    let webrtc = lines.step("webrtc");
    assert!(
        is_kurento_object(&webrtc["id"], "WebRtcEndpoint"),
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

    let http_post = lines.step("httpPost");
    assert!(
        is_kurento_object(&http_post["id"], "HttpPostEndpoint"),
        "{http_post}"
    );
    assert!(
        http_post["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("http://127.0.0.1:") && url.len() > 50),
        "{http_post}"
    );

    // Hubs: the client's Composite and HubPort classes, a port connected to another.
    let hubs = lines.step("hubs");
    let ports = hubs["ports"].as_array().unwrap();
    assert!(is_kurento_object(&hubs["composite"], "Composite"), "{hubs}");
    assert!(
        ports.iter().all(|port| is_kurento_object(port, "HubPort")),
        "{hubs}"
    );
    assert_eq!(&hubs["children"], &hubs["ports"], "{hubs}");
    assert_eq!(hubs["parent"], hubs["composite"], "{hubs}");
    // One connection per media type.
    assert_eq!(hubs["sinks"], 2, "{hubs}");
    assert_eq!(hubs["dot"], true, "{hubs}");
    // Released with its hub: the port is gone.
    let released = lines.step("hubs-released");
    assert_eq!(released["before"], ports[1], "{released}");
    assert!(released["after"].is_null(), "{released}");
    // Dispatcher and AlphaBlending through the client's classes; a port of another hub is
    // refused as KMS refuses it.
    let routing = lines.step("routing-hubs");
    assert!(
        is_kurento_object(&routing["dispatcher"], "Dispatcher"),
        "{routing}"
    );
    assert!(
        is_kurento_object(&routing["blending"], "AlphaBlending"),
        "{routing}"
    );
    assert_eq!(
        routing["ports"].as_array().map(Vec::len),
        Some(4),
        "{routing}"
    );
    assert_eq!(routing["foreign"]["code"], 40002, "{routing}");
    assert_eq!(lines.step("released")["pipelines"], json!([]));
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
