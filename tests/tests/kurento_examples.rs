//! Kurento's other filters as Filmstrip modules, end to end with the real binary: ZBarFilter
//! reading a QR clip made by GStreamer's `qroverlay` (through `filmstrip run`, raw JSON-RPC and
//! the official kurento-client), and every class of the `filters`, `chroma`,
//! `pointerdetector` and `crowddetector` modules created and driven over the protocol, the
//! last three through the packages `filmstrip js-client` writes for them; ChromaFilter made
//! from Kurento's constructor parameters keying a played clip (and refused without them); and
//! a pointer entering and leaving a window of PointerDetectorFilter in a played clip.
//!
//! The pixel-level behaviour of each filter is tested in its own crate on generated frames.

use filmstrip_tests::kurento_js::{client_package, file_uri, run_script};
use filmstrip_tests::serve::is_kurento_object;
use filmstrip_tests::{
    FRAMES, HEIGHT, Served, WIDTH, decode_luma, filmstrip, filmstrip_run, green_png, gst_launch,
    module_library,
};
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
    let outcome = filmstrip_run(clip.to_str().unwrap(), "ZBarFilter", out.to_str().unwrap());
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
    let (mut client, pipeline) = served.client_with_pipeline();

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
    client.invoke(&chroma, "setBackground", json!({"uri": image}));
    client.invoke(&chroma, "unsetBackground", json!({}));

    let region = json!({"__module__": "pointerdetector", "__type__": "WindowParam",
        "topRightCornerX": 5, "topRightCornerY": 5, "width": 30, "height": 30});
    let pointer = client.create_with(
        "PointerDetectorFilter",
        json!({"mediaPipeline": pipeline, "calibrationRegion": region}),
    );
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

    let roi = json!({"id": "door", "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}],
                     "regionOfInterestConfig": {"occupancyLevelMin": 20}});
    let crowd = client.create_with(
        "crowddetector.CrowdDetectorFilter",
        json!({"mediaPipeline": pipeline, "rois": [roi]}),
    );
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

/// A [`WIDTH`]x[`HEIGHT`] 30 fps H.264 clip `name` of `frames`, each BGR.
fn bgr_clip(dir: &Path, name: &str, frames: impl Iterator<Item = Vec<u8>>) -> PathBuf {
    let raw = dir.join(format!("{name}.bgr"));
    std::fs::write(&raw, frames.flatten().collect::<Vec<u8>>()).unwrap();
    let clip = dir.join(format!("{name}.mp4"));
    gst_launch(&format!(
        "filesrc location={} ! rawvideoparse format=bgr width={WIDTH} height={HEIGHT} \
         framerate=30/1 ! videoconvert ! video/x-raw,format=I420 ! x264enc ! mp4mux \
         ! filesink location={}",
        raw.display(),
        clip.display()
    ));
    clip
}

/// A BGR frame of `background` with a 40x40 square of `square` centred on `(cx, cy)`,
/// clipped to the frame.
fn square_frame(background: [u8; 3], square: [u8; 3], (cx, cy): (usize, usize)) -> Vec<u8> {
    let mut frame = background.repeat(WIDTH * HEIGHT);
    for y in cy.saturating_sub(20)..(cy + 20).min(HEIGHT) {
        for x in cx.saturating_sub(20)..(cx + 20).min(WIDTH) {
            frame[(y * WIDTH + x) * 3..][..3].copy_from_slice(&square);
        }
    }
    frame
}

/// A clip of a blue square on grey: still over the pointer detector's default calibration
/// region (30x30 at 5, 5) for 10 frames, then moving right along y = 120 from x = 20 to
/// x = 300, 7 pixels a frame.
fn pointer_clip(dir: &Path) -> PathBuf {
    let centres = (0..10)
        .map(|_| (20, 20))
        .chain((20..=300).step_by(7).map(|x| (x, 120)));
    let frames = centres.map(|centre| square_frame([60, 60, 60], [210, 70, 20], centre));
    bgr_clip(dir, "pointer", frames)
}

/// The mean luma of the 10x10 block at `(x, y)` of a [`WIDTH`]-wide frame.
fn luma_at(frame: &[u8], x: usize, y: usize) -> f64 {
    let block = (y..y + 10).flat_map(|row| &frame[row * WIDTH + x..][..10]);
    block.map(|&v| f64::from(v)).sum::<f64>() / 100.0
}

#[test]
fn chroma_constructor_parameters_over_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    // Blue (luma 73) with a white square (235) over Kurento's tutorial window (5, 5): only
    // the constructor's window, on the blue, makes blue the key colour.
    let clip = screen_clip(dir.path());
    let image = file_uri(&green_png(dir.path()));
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let children = |client: &mut filmstrip_tests::serve::Client| {
        client.invoke(&pipeline, "getChildren", json!({}))
    };
    let before = children(&mut client);

    // As Kurento's Java client sends it: every parameter in constructorParams, tagged.
    let window = json!({"__module__": "chroma", "__type__": "WindowParam",
        "topRightCornerX": 200, "topRightCornerY": 150, "width": 30, "height": 30});
    for (params, message) in [
        (
            json!({"mediaPipeline": pipeline, "backgroundImage": image}),
            "ChromaFilter constructor: missing parameter window",
        ),
        (
            json!({"mediaPipeline": pipeline, "window": {"width": "wide"}}),
            "ChromaFilter constructor: parameter window: ",
        ),
    ] {
        let refused = client.call(
            "create",
            json!({"type": "ChromaFilter", "constructorParams": params}),
        );
        assert_eq!(refused["error"]["code"], 40107, "{refused}");
        let text = refused["error"]["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{refused}");
    }
    assert_eq!(children(&mut client), before, "nothing was created");

    let chroma = client.create_with(
        "ChromaFilter",
        json!({"mediaPipeline": pipeline, "window": window, "backgroundImage": image}),
    );
    let recording = dir.path().join("chroma.webm");
    let recorder = client.recorder(
        &pipeline,
        &recording,
        json!({"mediaProfile": "WEBM_VIDEO_ONLY", "stopOnEndOfStream": true}),
    );
    let player = client.player(&pipeline, &clip);
    client.invoke(&chroma, "connect", json!({"sink": recorder}));
    client.invoke(&player, "connect", json!({"sink": chroma}));
    client.subscribe(&recorder, "Stopped");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    client.event("Stopped", Duration::from_secs(30));
    client.ok("release", json!({"object": pipeline}));

    let frames = decode_luma(&recording);
    assert!(frames.len() >= 50, "{} frames recorded", frames.len());
    // While the key colour is learnt (30 frames) the picture is as it came; then the
    // background image (green, luma 145) replaces the blue, and the white square stays.
    let (first, last) = (&frames[0], &frames[frames.len() - 1]);
    assert!((luma_at(first, 100, 150) - 73.0).abs() < 15.0);
    assert!(
        (luma_at(last, 100, 150) - 145.0).abs() < 15.0,
        "{}",
        luma_at(last, 100, 150)
    );
    assert!(
        (luma_at(last, 280, 40) - 145.0).abs() < 15.0,
        "{}",
        luma_at(last, 280, 40)
    );
    assert!(luma_at(last, 15, 15) > 220.0, "{}", luma_at(last, 15, 15));
}

/// The blue screen with a white square over Kurento's tutorial window (5, 5), see
/// [`chroma_constructor_parameters_over_json_rpc`].
fn screen_clip(dir: &Path) -> PathBuf {
    let frames = (0..60).map(|_| square_frame([200, 60, 30], [255, 255, 255], (20, 20)));
    bgr_clip(dir, "screen", frames)
}

#[test]
fn constructor_parameters_are_described_after_the_pipeline() {
    let names = |params: &Json| -> Vec<String> {
        let params = params.as_array().unwrap().iter();
        params
            .map(|p| {
                let optional = if p["optional"] == true { "?" } else { "" };
                format!(
                    "{}{optional}: {}",
                    p["name"].as_str().unwrap(),
                    p["type"].as_str().unwrap()
                )
            })
            .collect()
    };
    let chroma = filmstrip(&["describe", "ChromaFilter"])
        .assert_success()
        .json();
    assert_eq!(
        names(&chroma["constructor"]["params"]),
        [
            "mediaPipeline: MediaPipeline",
            "window: WindowParam",
            "backgroundImage?: String"
        ]
    );
    assert!(
        chroma["constructor"]["params"][1]["doc"]
            .as_str()
            .unwrap()
            .contains("key colour")
    );
    // The exported module file (what `cargo xtask kmd` writes) has them, with their types.
    for (module, expected, complex) in [
        (
            "chroma",
            vec!["window: WindowParam", "backgroundImage?: String"],
            "WindowParam",
        ),
        (
            "pointerdetector",
            vec![
                "calibrationRegion: WindowParam",
                "windows?: PointerDetectorWindowMediaParam[]",
            ],
            "PointerDetectorWindowMediaParam",
        ),
        (
            "crowddetector",
            vec!["rois: RegionOfInterest[]"],
            "RegionOfInterest",
        ),
    ] {
        // By file, which loads that module alone.
        let library = module_library(module);
        let kmd = filmstrip(&["describe", "--kmd", library.to_str().unwrap()])
            .assert_success()
            .json();
        let constructor = &kmd["remoteClasses"][0]["constructor"];
        assert_eq!(names(&constructor["params"])[1..], expected, "{module}");
        assert!(!constructor["doc"].as_str().unwrap().is_empty(), "{module}");
        let types = kmd["complexTypes"].as_array().unwrap();
        assert!(
            types.iter().any(|t| t["name"] == complex),
            "{module}: {complex}"
        );
    }
}

#[test]
fn filmstrip_run_passes_constructor_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let clip = screen_clip(dir.path());
    let image = green_png(dir.path());
    let out = dir.path().join("out.webm");
    let filter = format!(
        "ChromaFilter,window={{\"topRightCornerX\":200,\"topRightCornerY\":150,\"width\":30,\"height\":30}},background_image={}",
        image.display()
    );
    let run = |filter: &str, output: &str| filmstrip_run(clip.to_str().unwrap(), filter, output);
    run(&filter, out.to_str().unwrap()).assert_success();
    let last = decode_luma(&out).pop().unwrap();
    assert!(
        (luma_at(&last, 100, 150) - 145.0).abs() < 15.0,
        "{}",
        luma_at(&last, 100, 150)
    );
    assert!(luma_at(&last, 15, 15) > 220.0, "{}", luma_at(&last, 15, 15));

    let refused = run("ChromaFilter,backgroundImage=x.png", "null");
    assert_eq!(refused.code, Some(1));
    assert_eq!(
        refused.stderr,
        "filmstrip: ChromaFilter constructor: missing parameter window\n"
    );
}

#[test]
fn pointer_window_events_over_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let clip = pointer_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    // Kurento's tutorial calibration region, and the window, as constructor parameters.
    let pointer = client.create_with(
        "pointerdetector.PointerDetectorFilter",
        json!({"mediaPipeline": pipeline,
               "calibrationRegion": {"topRightCornerX": 5, "topRightCornerY": 5, "width": 30, "height": 30},
               "windows": [{"id": "button", "upperRightX": 200, "upperRightY": 90,
                            "width": 60, "height": 60}]}),
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
    // The generated class checks constructor parameters (types, required ones) and sends them
    // in constructorParams, where the constructor refuses a missing background image.
    let checks = &chroma["checks"];
    assert_eq!(checks["badWindow"]["name"], "SyntaxError", "{chroma}");
    assert_eq!(checks["missingWindow"]["name"], "SyntaxError", "{chroma}");
    assert_eq!(checks["missingImageCreate"]["code"], 40003, "{chroma}");
    assert!(
        checks["missingImageCreate"]["message"]
            .as_str()
            .unwrap()
            .starts_with("ChromaFilter constructor: parameter backgroundImage: cannot open"),
        "{chroma}"
    );
    assert_eq!(checks["missingImage"]["code"], 40003, "{chroma}");

    let pointer = step("pointerdetector");
    assert_eq!(pointer["generatedClass"], true, "{pointer}");
    assert_eq!(
        pointer["checks"]["missingId"]["name"], "SyntaxError",
        "{pointer}"
    );
    assert_eq!(pointer["checks"]["emptyId"]["code"], 40107, "{pointer}");
    assert_eq!(
        pointer["checks"]["missingRegion"]["name"], "SyntaxError",
        "{pointer}"
    );
    assert_eq!(
        pointer["checks"]["emptyIdCreate"]["message"],
        "PointerDetectorFilter constructor: parameter windows: the window id is empty",
        "{pointer}"
    );

    let crowd = step("crowddetector");
    assert_eq!(crowd["generatedClass"], true, "{crowd}");
    assert_eq!(crowd["processingWidth"], 160, "{crowd}");
    // A region the constructor refuses fails the creation.
    assert_eq!(crowd["checks"]["badId"]["code"], 40107, "{crowd}");
    assert_eq!(
        crowd["checks"]["missingRois"]["name"], "SyntaxError",
        "{crowd}"
    );

    let zbar = step("zbar");
    assert!(is_kurento_object(&zbar["zbarId"], "ZBarFilter"), "{zbar}");
    assert!(is_kurento_object(&zbar["overlayId"], "ImageOverlayFilter"));
    assert_eq!(zbar["codeType"], "QR-Code");
    assert_eq!(zbar["value"], QR_TEXT);
}
