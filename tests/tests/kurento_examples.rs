//! Kurento's other filters as Filmstrip modules, end to end with the real binary: ZBarFilter
//! reading a QR clip made by GStreamer's `qroverlay` (through `filmstrip run`, raw JSON-RPC and
//! the official kurento-client), and every class of the `filters`, `chroma`,
//! `pointerdetector` and `crowddetector` modules created and driven over the protocol, the
//! last three through the packages `filmstrip js-client` writes for them; and a pointer
//! entering and leaving a window of PointerDetectorFilter in a played clip.
//!
//! The pixel-level behaviour of each filter is tested in its own crate on generated frames.

use filmstrip_tests::kurento_js::{client_package, file_uri, run_script};
use filmstrip_tests::{FRAMES, HEIGHT, Served, WIDTH, filmstrip, green_png, gst_launch};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The text of the QR code in [`qr_clip`]; `qroverlay` encodes upper case only.
const QR_TEXT: &str = "FILMSTRIP KURENTO QR-7";

/// A [`FRAMES`]-frame H.264 clip of a QR code holding [`QR_TEXT`] on a white picture.
fn qr_clip(dir: &Path) -> PathBuf {
    let clip = dir.join("qr.mp4");
    gst_launch(&format!(
        "videotestsrc pattern=white num-buffers={FRAMES} \
         ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=30/1 \
         ! qroverlay data=\"{QR_TEXT}\" pixel-size=4 x=50 y=50 ! videoconvert \
         ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location={}",
        clip.display()
    ));
    clip
}

#[test]
fn filmstrip_run_finds_the_qr_code_of_a_clip_once() {
    let dir = tempfile::tempdir().unwrap();
    let clip = qr_clip(dir.path());
    let out = dir.path().join("out.webm");
    let outcome = filmstrip(&[
        "run",
        "--input",
        clip.to_str().unwrap(),
        "--filter",
        "ZBarFilter",
        "--output",
        out.to_str().unwrap(),
    ]);
    outcome.assert_success();
    let found = outcome.events("CodeFound");
    assert_eq!(found.len(), 1, "one appearance, one event: {found:?}");
    assert_eq!(found[0]["codeType"], "QR-Code");
    assert_eq!(found[0]["value"], QR_TEXT);
    assert_eq!(found[0]["source"], "ZBarFilter");
}

#[test]
fn every_class_over_raw_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let clip = qr_clip(dir.path());
    let image = file_uri(&green_png(dir.path()));
    let served = Served::start();
    let mut client = served.client();
    let pipeline = client.create("MediaPipeline", None);

    // Kurento's built-in names, in both forms, with Kurento's object ids.
    let zbar = client.create("kurento.ZBarFilter", Some(&pipeline));
    assert!(zbar.ends_with("_kurento.ZBarFilter"), "{zbar}");
    let overlay = client.create("ImageOverlayFilter", Some(&pipeline));
    assert!(
        overlay.ends_with("_kurento.ImageOverlayFilter"),
        "{overlay}"
    );
    client.invoke(
        &overlay,
        "addImage",
        json!({"id": "logo", "uri": image, "offsetXPercent": 0.1, "offsetYPercent": 0.1,
               "widthPercent": 0.2, "heightPercent": 0.2, "keepAspectRatio": true, "center": false}),
    );
    let out_of_range = json!({"id": "logo", "uri": image, "offsetXPercent": 1.5,
        "offsetYPercent": 0, "widthPercent": 0.2, "heightPercent": 0.2,
        "keepAspectRatio": true, "center": false});
    assert_eq!(
        client.invoke_error(&overlay, "addImage", out_of_range),
        40107
    );
    client.invoke(&overlay, "removeImage", json!({"id": "logo"}));

    // The example modules, with their complex types as Kurento clients send them (tagged).
    let window = json!({"__module__": "chroma", "__type__": "WindowParam",
        "topRightCornerX": 5, "topRightCornerY": 5, "width": 30, "height": 30});
    let chroma = client.create_with(
        "chroma.ChromaFilter",
        json!({"mediaPipeline": pipeline, "window": window}),
    );
    assert!(chroma.ends_with("_chroma.ChromaFilter"), "{chroma}");
    client.invoke(&chroma, "setWindow", json!({"window": window}));
    client.invoke(&chroma, "setBackground", json!({"uri": image}));
    client.invoke(&chroma, "unsetBackground", json!({}));

    let pointer = client.create("PointerDetectorFilter", Some(&pipeline));
    client.invoke(
        &pointer,
        "addWindow",
        json!({"window": {"id": "button", "upperRightX": 200, "upperRightY": 80,
                          "width": 60, "height": 60, "image": image}}),
    );
    client.invoke(&pointer, "trackColorFromCalibrationRegion", json!({}));
    client.invoke(&pointer, "removeWindow", json!({"windowId": "button"}));
    client.invoke(&pointer, "clearWindows", json!({}));
    assert_eq!(
        client.invoke_error(&pointer, "addWindow", json!({"window": {"id": "w"}})),
        40107
    );

    let crowd = client.create("crowddetector.CrowdDetectorFilter", Some(&pipeline));
    let roi = json!({"id": "door", "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}],
                     "regionOfInterestConfig": {"occupancyLevelMin": 20}});
    client.invoke(&crowd, "setRois", json!({"rois": [roi]}));
    client.invoke(
        &crowd,
        "setProcessingWidth",
        json!({"processingWidth": 160}),
    );
    assert_eq!(
        client.invoke(&crowd, "getProcessingWidth", json!({})),
        json!(160)
    );

    // A QR clip through every filter: ZBarFilter reports it once, the rest pass it on.
    let player = client.player(&pipeline, &clip);
    let chain = [&player, &zbar, &overlay, &chroma, &pointer, &crowd];
    for pair in chain.windows(2) {
        client.invoke(pair[0], "connect", json!({"sink": pair[1]}));
    }
    client.subscribe(&zbar, "CodeFound");
    client.subscribe(&player, "EndOfStream");
    client.invoke(&player, "play", json!({}));
    let found = client.event("CodeFound", Duration::from_secs(60));
    let data = &found["params"]["value"]["data"];
    assert_eq!(found["params"]["value"]["object"], zbar.as_str());
    assert_eq!(data["codeType"], "QR-Code");
    assert_eq!(data["value"], QR_TEXT);
    client.event("EndOfStream", Duration::from_secs(60));
    assert!(
        client.take_events("CodeFound").is_empty(),
        "one appearance, one event"
    );
    client.ok("release", json!({"object": pipeline}));
}

/// A [`WIDTH`]x[`HEIGHT`] H.264 clip of a blue square on grey: still over the pointer
/// detector's default calibration region (30x30 at 5, 5) for 10 frames, then moving right
/// along y = 120 from x = 20 to x = 300, 7 pixels a frame.
fn pointer_clip(dir: &Path) -> PathBuf {
    let centres = (0..10)
        .map(|_| (20, 20))
        .chain((20..=300).step_by(7).map(|x| (x, 120)));
    let mut raw = Vec::new();
    for (cx, cy) in centres {
        let mut frame = [60u8, 60, 60].repeat(WIDTH * HEIGHT);
        for y in cy - 20..cy + 20 {
            for x in (cx as i64 - 20).max(0) as usize..(cx + 20).min(WIDTH) {
                frame[(y * WIDTH + x) * 3..][..3].copy_from_slice(&[210, 70, 20]);
            }
        }
        raw.extend(frame);
    }
    let frames = dir.join("pointer.bgr");
    std::fs::write(&frames, raw).unwrap();
    let clip = dir.join("pointer.mp4");
    gst_launch(&format!(
        "filesrc location={} ! rawvideoparse format=bgr width={WIDTH} height={HEIGHT} \
         framerate=30/1 ! videoconvert ! video/x-raw,format=I420 ! x264enc ! mp4mux \
         ! filesink location={}",
        frames.display(),
        clip.display()
    ));
    clip
}

#[test]
fn pointer_window_events_over_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let clip = pointer_clip(dir.path());
    let served = Served::start();
    let mut client = served.client();
    let pipeline = client.create("MediaPipeline", None);
    let pointer = client.create("pointerdetector.PointerDetectorFilter", Some(&pipeline));
    client.invoke(
        &pointer,
        "addWindow",
        json!({"window": {"id": "button", "upperRightX": 200, "upperRightY": 90,
                          "width": 60, "height": 60}}),
    );
    // Learnt from the first frame, where the square covers the calibration region.
    client.invoke(&pointer, "trackColorFromCalibrationRegion", json!({}));
    let player = client.player(&pipeline, &clip);
    client.invoke(&player, "connect", json!({"sink": pointer}));
    for event in ["WindowIn", "WindowOut"] {
        client.subscribe(&pointer, event);
    }
    client.subscribe(&player, "EndOfStream");
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", Duration::from_secs(60));
    client.drain(Duration::from_millis(500));
    let entered = client.take_events("WindowIn");
    let left = client.take_events("WindowOut");
    assert_eq!(entered.len(), 1, "{entered:?}");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(entered[0]["windowId"], "button");
    assert_eq!(left[0]["windowId"], "button");
    let millis =
        |event: &Json| -> u128 { event["timestampMillis"].as_str().unwrap().parse().unwrap() };
    assert!(millis(&entered[0]) <= millis(&left[0]), "in before out");
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn the_official_client_drives_the_example_modules_and_the_built_ins() {
    let dir = tempfile::tempdir().unwrap();
    let packages: Vec<PathBuf> = ["chroma", "pointerdetector", "crowddetector"]
        .iter()
        .map(|module| client_package(module, dir.path()))
        .collect();
    let complex = |module: &str, name: &str| {
        dir.path().join(format!(
            "kurento-module-{module}/lib/complexTypes/{name}.js"
        ))
    };
    for (module, name) in [
        ("chroma", "WindowParam"),
        ("pointerdetector", "WindowParam"),
        ("pointerdetector", "PointerDetectorWindowMediaParam"),
        ("crowddetector", "RegionOfInterest"),
        ("crowddetector", "RegionOfInterestConfig"),
        ("crowddetector", "RelativePoint"),
    ] {
        assert!(complex(module, name).is_file(), "{module}: no {name}");
    }
    // ZBarFilter and ImageOverlayFilter are kurento-client's own classes.
    let refused = filmstrip(&[
        "js-client",
        "filters",
        "--out",
        dir.path().join("f").to_str().unwrap(),
    ]);
    assert!(!refused.success);
    assert!(
        refused
            .stderr
            .contains("module filters needs no client package")
            && refused.stderr.contains("kurento-client already includes"),
        "{}",
        refused.stderr
    );

    let clip = qr_clip(dir.path());
    let image = file_uri(&green_png(dir.path()));
    let served = Served::start();
    let config =
        json!({"url": served.url, "packages": packages, "qrClip": file_uri(&clip), "image": image});
    let lines = run_script("examples.js", &config);
    let step = |name: &str| lines.step(name);
    step("done");

    let chroma = step("chroma");
    assert_eq!(chroma["generatedClass"], true, "{chroma}");
    assert!(
        chroma["id"]
            .as_str()
            .unwrap()
            .ends_with("_chroma.ChromaFilter")
    );
    // The generated client checks the complex type; the server refuses a missing file.
    assert_eq!(
        chroma["checks"]["badWindow"]["name"], "SyntaxError",
        "{chroma}"
    );
    assert_eq!(chroma["checks"]["missingImage"]["code"], 40003, "{chroma}");

    let pointer = step("pointerdetector");
    assert_eq!(pointer["generatedClass"], true, "{pointer}");
    assert_eq!(
        pointer["checks"]["missingId"]["name"], "SyntaxError",
        "{pointer}"
    );
    assert_eq!(pointer["checks"]["emptyId"]["code"], 40107, "{pointer}");

    let crowd = step("crowddetector");
    assert_eq!(crowd["generatedClass"], true, "{crowd}");
    assert_eq!(crowd["processingWidth"], 160, "{crowd}");
    assert_eq!(crowd["checks"]["badId"]["code"], 40107, "{crowd}");
    // A region refused by its setter fails the creation, as a bad constructor parameter would.
    assert_eq!(crowd["checks"]["badCreate"]["code"], 40107, "{crowd}");

    let zbar = step("zbar");
    assert!(
        zbar["zbarId"]
            .as_str()
            .unwrap()
            .ends_with("_kurento.ZBarFilter"),
        "{zbar}"
    );
    assert!(
        zbar["overlayId"]
            .as_str()
            .unwrap()
            .ends_with("_kurento.ImageOverlayFilter")
    );
    assert_eq!(zbar["codeType"], "QR-Code");
    assert_eq!(zbar["value"], QR_TEXT);
}
