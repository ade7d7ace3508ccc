//! The demo pages of `filmstrip serve --demos` (host/demos) in headless Chromium: each page
//! loads without console errors, Start gives a playing remote video within 10 s, and the page
//! shows what it promises (the overlay above the astronaut's face, the face box where the
//! face is, the plate of a generated scene, a property control that changes the filter, a
//! recording that plays back, the pipeline drawn as SVG naming every element); a page whose
//! server stopped says so. Plus the HTTP side without a browser: files, content types, no way
//! out of the directory, 404s, and the one-line refusal when the pages are not built.
//!
//! The pages are built by `host/demos/build.js` into a directory of each test's own; the
//! browser runs `tests/browser/demos.js` in a network namespace holding only `lo`, one
//! browser at a time (the lock the WebRTC browser tests take). Each page's screenshot is
//! kept in `target/demos-screenshots/`; with `FILMSTRIP_README_SCREENSHOTS=DIR` the small
//! ones for the README are written to DIR as well (`cargo xtask screenshots`).

use filmstrip_tests::browser::{browser_dir, browser_modules, drive_script, face_camera};
use filmstrip_tests::{
    filmstrip, filmstrip_run, gst_launch, plate_clip, profile_dir, run_node_tool, target_lock,
    workspace_root,
};
use serde_json::{Value as Json, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Builds the pages into `dir/site` with the project's build script (npm packages installed
/// once into `target/demos-js`).
fn build_pages(dir: &Path) -> PathBuf {
    let site = dir.join("site");
    let _npm = target_lock("demos-js-npm");
    let build = run_node_tool(
        "node",
        &[
            workspace_root()
                .join("host/demos/build.js")
                .to_str()
                .unwrap(),
            site.to_str().unwrap(),
        ],
        &workspace_root(),
    );
    assert!(
        build.status.success(),
        "building the demo pages failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    site
}

/// Where the pages' screenshots are kept after the test.
fn artefacts() -> PathBuf {
    profile_dir().parent().unwrap().join("demos-screenshots")
}

/// Runs the demos driver on `pages` with the fake camera `camera` and the `extra` settings,
/// in a network namespace holding only `lo`; returns its result, each page's errors checked
/// to be none.
fn drive(dir: &Path, camera: &Path, pages: &[&str], extra: Json) -> Json {
    let modules = browser_modules();
    let site = build_pages(dir);
    let mut config = json!({
        "filmstrip": profile_dir().join("filmstrip"),
        "demos": site,
        "camera": camera,
        "workdir": dir,
        "artefacts": artefacts(),
        "pages": pages,
    });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    if let Some(readme) = std::env::var_os("FILMSTRIP_README_SCREENSHOTS") {
        config["readme"] = json!(PathBuf::from(readme));
    }
    let script = browser_dir().join("demos.js");
    let result = drive_script(&script, &config, &modules, "ip link set lo up", &["lo"]);
    assert_eq!(result["errors"], json!([]), "{result:#}");
    for page in pages {
        let page_result = &result["pages"][page];
        let mut errors = page_result["errors"].as_array().unwrap().clone();
        if *page == "server-gone" {
            // The browser's own report of the refused WebSocket, which the page turns into
            // its message, is expected there.
            errors.retain(|e| !e.as_str().unwrap().contains("ERR_CONNECTION_REFUSED"));
        }
        assert_eq!(
            errors,
            Vec::<Json>::new(),
            "page {page}: {page_result:#}\nserver log: {}",
            result["serverLog"].as_str().unwrap_or_default()
        );
    }
    result
}

/// The result of page `name`, after checking that Start played the remote video within
/// 10 s, that no error banner shows, and that the pipeline view drew an SVG naming the
/// pipeline and each of `elements` (Kurento classes) and listed each in its statistics.
fn page<'a>(result: &'a Json, name: &str, elements: &[&str]) -> &'a Json {
    let page = &result["pages"][name];
    let playing = page["playingMs"].as_f64();
    assert!(
        playing.is_some_and(|ms| ms <= 10_000.0),
        "{name}: the remote video did not play within 10 s: {page:#}"
    );
    assert_eq!(page["banner"], Json::Null, "{name}: {page:#}");
    let pipeline = &page["pipeline"];
    assert_eq!(pipeline["drawn"], true, "{name}: no pipeline SVG: {page:#}");
    assert_eq!(pipeline["elements"], json!(elements), "{name}");
    let svg = pipeline["svgText"].as_str().unwrap();
    for class in elements.iter().chain(&["MediaPipeline"]) {
        // A cluster's title: the class, then the GStreamer bin's name.
        assert!(
            svg.contains(&format!("\n{class}\n")),
            "{name}: the pipeline SVG does not name {class}: {}",
            &svg[..svg.len().min(3000)]
        );
    }
    let stats = pipeline["stats"].as_array().unwrap();
    assert_eq!(stats.len(), elements.len(), "{name}: {pipeline:#}");
    for (row, class) in stats.iter().zip(elements) {
        assert!(row.as_str().unwrap().starts_with(class), "{name}: {row}");
    }
    page
}

/// A number at `pointer` in `value`.
fn number(value: &Json, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Json::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {value:#}"))
}

/// The face box FaceDetectorFilter finds in the fake camera's picture, run from the file:
/// `[left, top, right, bottom]` in fractions of the picture.
fn true_face_box(camera: &Path) -> [f64; 4] {
    let outcome = filmstrip_run(camera.to_str().unwrap(), "FaceDetectorFilter", "null");
    outcome.assert_success();
    let event: Json = outcome
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .find(|event| event["type"] == "FaceDetected")
        .unwrap_or_else(|| panic!("no face in the camera picture: {}", outcome.stdout));
    let face = &event["faces"][0];
    let [x, y, w, h] = ["/x", "/y", "/width", "/height"].map(|key| number(face, key));
    [x / 640.0, y / 480.0, (x + w) / 640.0, (y + h) / 480.0]
}

#[test]
fn index_mirror_and_face_pages_show_the_overlay_and_the_face_box() {
    let dir = tempfile::tempdir().unwrap();
    let camera = face_camera(dir.path());
    let truth = true_face_box(&camera);
    let result = drive(
        dir.path(),
        &camera,
        &["index", "mirror", "faces"],
        json!({"faceBox": truth}),
    );

    let links = &result["pages"]["index"]["links"];
    for demo in ["mirror", "faces", "plates", "filters", "record"] {
        assert!(
            links.to_string().contains(&format!("{demo}.html")),
            "{links}"
        );
    }

    // The red cap covers much of the band above the face (the camera's own picture has no
    // red there) and is centred on the face; over the head it ends above the face's middle.
    let mirror = page(&result, "mirror", &["WebRtcEndpoint", "FaceOverlayFilter"]);
    let hat = &mirror["remote"];
    assert!(number(hat, "/share") > 0.2, "no red cap: {mirror:#}");
    assert!(number(&mirror["local"], "/share") < 0.01, "{mirror:#}");
    let [left, _, right, _] = [0, 1, 2, 3].map(|i| number(hat, &format!("/box/{i}")));
    let (centre, face_centre) = ((left + right) / 2.0, (truth[0] + truth[2]) / 2.0);
    assert!(
        (centre - face_centre).abs() < 0.1,
        "cap {hat} vs face {truth:?}"
    );
    let top = number(&mirror["remoteHead"], "/box/1");
    let bottom = number(&mirror["remoteHead"], "/box/3");
    assert!(
        top < 0.02 && bottom < (truth[1] + truth[3]) / 2.0,
        "{mirror:#}"
    );
    // Moving the Y offset slider to 0 moved the cap down onto the face.
    assert!(
        number(&mirror["moved"], "/box/1") > top + 0.1,
        "the slider did not move the cap: {mirror:#}"
    );

    // The drawn box is within 20% of the face's size of the true box on every side.
    let faces = page(&result, "faces", &["WebRtcEndpoint", "FaceDetectorFilter"]);
    let drawn = [0, 1, 2, 3].map(|i| number(faces, &format!("/drawn/{i}")));
    let (width, height) = (truth[2] - truth[0], truth[3] - truth[1]);
    for (i, size) in [width, height, width, height].into_iter().enumerate() {
        assert!(
            (drawn[i] - truth[i]).abs() <= 0.2 * size,
            "drawn {drawn:?} vs true {truth:?}: {faces:#}"
        );
    }
}

#[test]
fn any_filter_controls_change_pixelate_and_a_recording_plays_back() {
    let dir = tempfile::tempdir().unwrap();
    let camera = face_camera(dir.path());
    let result = drive(dir.path(), &camera, &["filters", "record"], json!({}));

    let filters = page(&result, "filters", &["WebRtcEndpoint", "PixelateFilter"]);
    let classes = filters["classes"].to_string();
    for class in [
        "EdgeDetectFilter",
        "FaceDetectorFilter",
        "FaceOverlayFilter",
        "PixelateFilter",
        "PlateDetectorFilter",
    ] {
        assert!(classes.contains(class), "{class} missing: {classes}");
    }
    // PixelateFilter's blockSize (int, 2..512, default 16) became a range control.
    let controls = filters["controls"].as_array().unwrap();
    let block = controls
        .iter()
        .find(|c| c["id"] == "property-blockSize")
        .unwrap_or_else(|| panic!("{controls:?}"));
    assert_eq!(
        (
            &block["type"],
            &block["min"],
            &block["max"],
            &block["value"]
        ),
        (&json!("range"), &json!("2"), &json!("512"), &json!("16")),
    );
    // Blocks of 64 pixels instead of 16 make runs of equal pixels much longer.
    let (before, after) = (number(filters, "/runBefore"), number(filters, "/runAfter"));
    assert!(after > 2.0 * before, "runs {before} -> {after}");
    // EdgeDetectFilter's EdgeDensityChanged events appear in the page's log.
    let events = filters["events"].to_string();
    assert!(
        events.contains("EdgeDetectFilter EdgeDensityChanged"),
        "no event logged: {filters:#}"
    );

    // The pipeline view shows the playback's pipeline by then.
    let record = page(&result, "record", &["PlayerEndpoint", "WebRtcEndpoint"]);
    assert_eq!(record["recording"], true, "{record:#}");
    assert!(
        record["playbackMs"].as_f64().is_some(),
        "the recording did not play back: {record:#}"
    );
    // The astronaut picture, not a black or flat frame.
    assert!(number(record, "/playback/deviation") > 20.0, "{record:#}");
}

#[test]
fn plate_reader_lists_the_registration_of_a_generated_scene() {
    let dir = tempfile::tempdir().unwrap();
    // The still scene plate_clip encodes, straight from its PNG (a Y4M made from the decoded
    // H.264 would carry the decoder's padded rows).
    let (_, registration) = plate_clip(dir.path(), 1);
    let camera = dir.path().join("plate.y4m");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers=30 \
         ! video/x-raw,framerate=30/1 ! videoconvert ! video/x-raw,format=I420 ! y4menc \
         ! filesink location={}",
        dir.path().join("frames/plate-00.png").display(),
        camera.display()
    ));
    // And as a WebM file for the page's file chooser.
    let file = dir.path().join("plate.webm");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers=60 \
         ! video/x-raw,framerate=30/1 ! videoconvert ! vp8enc deadline=1 ! webmmux \
         ! filesink location={}",
        dir.path().join("frames/plate-00.png").display(),
        file.display()
    ));
    let result = drive(dir.path(), &camera, &["plates"], json!({"plateFile": file}));
    let plates = page(
        &result,
        "plates",
        &["WebRtcEndpoint", "PlateDetectorFilter"],
    );
    let read: Vec<&str> = plates["plates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["plate"].as_str())
        .collect();
    assert!(
        read.contains(&registration.as_str()),
        "{registration} not in {plates:#}"
    );
    let first = &plates["plates"][0];
    assert!(
        first["confidence"]
            .as_str()
            .unwrap()
            .ends_with("% confidence")
    );
    assert!(!first["time"].as_str().unwrap().is_empty());
    // The same scene from a video file chosen on the page.
    assert_eq!(plates["fileChosen"], true);
    assert!(
        plates["filePlayingMs"]
            .as_f64()
            .is_some_and(|ms| ms <= 10_000.0),
        "{plates:#}"
    );
    assert!(
        plates["filePlates"].to_string().contains(&registration),
        "{registration} not read from the file: {plates:#}"
    );
}

#[test]
fn pages_say_when_the_camera_is_refused_and_when_the_server_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let camera = face_camera(dir.path());
    let result = drive(
        dir.path(),
        &camera,
        &["camera-denied", "server-gone"],
        json!({}),
    );
    let denied = &result["pages"]["camera-denied"];
    let message = denied["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error shown: {denied:#}"));
    assert!(
        message.contains("not allowed to use the camera"),
        "{message}"
    );
    let gone = &result["pages"]["server-gone"];
    let message = gone["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error shown: {gone:#}"));
    assert!(
        message.contains("Cannot reach the Filmstrip server")
            && message.contains("filmstrip serve"),
        "{message}"
    );
}

/// `filmstrip serve --demos DIR` on a free port, and its HTTP origin.
struct Served {
    child: Child,
    address: String,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(profile_dir().join("filmstrip"))
            .args(["serve", "--port", "0", "--demos"])
            .arg(dir)
            .env_remove("FILMSTRIP_MODULES_PATH")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut lines = std::io::BufRead::lines(&mut out);
        lines.next().unwrap().unwrap();
        let line = lines.next().unwrap().unwrap();
        let address = line
            .strip_prefix("demo pages at http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{line}"))
            .to_string();
        Self { child, address }
    }

    /// The status line, content type and body of `GET target` sent as is.
    fn get(&self, target: &str) -> (String, String, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(stream, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&response[..end]).into_owned();
        let status = head.lines().next().unwrap().to_string();
        let content_type = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Type: "))
            .unwrap_or_default()
            .to_string();
        (status, content_type, response[end + 4..].to_vec())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demos_are_served_as_files_of_their_directory_only() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("overlays")).unwrap();
    std::fs::write(site.join("index.html"), "<h1>demos</h1>").unwrap();
    std::fs::write(site.join("kurento-browser.js"), "var k;").unwrap();
    std::fs::write(site.join("overlays/hat.png"), b"\x89PNG").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    let served = Served::start(&site);

    let ok = |target: &str, content_type: &str, body: &[u8]| {
        let (status, kind, got) = served.get(target);
        assert_eq!(
            (status.as_str(), kind.as_str(), got.as_slice()),
            ("HTTP/1.1 200 OK", content_type, body),
            "{target}"
        );
    };
    ok("/", "text/html; charset=utf-8", b"<h1>demos</h1>");
    ok(
        "/index.html?ws_uri=x",
        "text/html; charset=utf-8",
        b"<h1>demos</h1>",
    );
    ok(
        "/kurento-browser.js",
        "text/javascript; charset=utf-8",
        b"var k;",
    );
    ok("/overlays/hat.png", "image/png", b"\x89PNG");
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/overlays/..%2f..%2fsecret.txt",
        "/nope.html",
    ] {
        assert_eq!(served.get(target).0, "HTTP/1.1 404 Not Found", "{target}");
    }
    // The loaded modules' descriptors, with the ranges the Any filter page needs.
    let (status, kind, body) = served.get("/descriptors.json");
    assert_eq!(
        (status.as_str(), kind.as_str()),
        ("HTTP/1.1 200 OK", "application/json")
    );
    let descriptors: Json = serde_json::from_slice(&body).unwrap();
    let pixelate = descriptors
        .as_array()
        .unwrap()
        .iter()
        .find(|module| module["name"] == "pixelate")
        .unwrap();
    assert_eq!(pixelate["remoteClasses"][0]["properties"][0]["minimum"], 2);
    // The operator's endpoints still answer.
    assert_eq!(served.get("/health").0, "HTTP/1.1 200 OK");
}

#[test]
fn serve_demos_without_built_pages_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = filmstrip(&[
        "serve",
        "--port",
        "0",
        "--demos",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!outcome.success);
    assert_eq!(outcome.stderr.lines().count(), 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("cargo xtask demo"),
        "{}",
        outcome.stderr
    );
}
