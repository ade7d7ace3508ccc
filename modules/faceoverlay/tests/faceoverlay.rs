//! FaceOverlayFilter through the test harness: where the image lands on a still astronaut
//! frame, that nothing is drawn without a face or an image, clipping, blending, image
//! formats and sources, and the errors of `setOverlayedImage`.

mod common;

use common::{
    Box2, Composer, MAGENTA, Placement, Reply, Server, astronaut_face, count_color, frame_bytes,
    pixel, solid_image, write_file,
};
use faceoverlay::{FaceOverlay, blend_pixel};
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

const W: usize = 640;
const H: usize = 480;
/// The astronaut in the middle of the frame, face about 140 px wide.
const STILL: Placement = Placement {
    x: 130,
    y: 60,
    scale: 0.75,
};

fn harness() -> Harness<FaceOverlay> {
    let h = Harness::new(PixelFormat::Bgrx, W as u32, H as u32);
    assert_eq!(h.info().stride()[0] as usize, W * 4, "no row padding");
    h
}

fn magenta_png(dir: &tempfile::TempDir) -> String {
    write_file(
        dir.path(),
        "magenta.png",
        &solid_image([255, 0, 255, 255], 4, 32, ".png"),
    )
}

fn grow(b: Box2, by: f64) -> Box2 {
    Box2 {
        x: b.x - b.w * by,
        y: b.y - b.h * by,
        w: b.w * (1.0 + 2.0 * by),
        h: b.h * (1.0 + 2.0 * by),
    }
}

fn whole() -> Box2 {
    Box2 {
        x: 0.0,
        y: 0.0,
        w: W as f64,
        h: H as f64,
    }
}

#[test]
fn the_image_covers_the_face_of_a_still_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.invoke(
        "setOverlayedImage",
        json!([magenta_png(&dir), 0.0, 0.0, 1.0, 1.0]),
    )
    .unwrap();
    let face = STILL.face(&astronaut_face());
    let input = frame_bytes(&Composer::new(W as i32, H as i32).compose(STILL), 4);
    assert!(
        h.push(&input).unwrap() == input,
        "a new face shows once the next frame's detection confirms it"
    );
    for _ in 0..3 {
        let out = h.push(&input).unwrap();
        let inside = count_color(&out, (W, H), 4, face, MAGENTA);
        let area = (face.w * face.h) as usize;
        assert!(
            inside as f64 > 0.8 * area as f64,
            "{inside} of {area} face pixels covered"
        );
        let everywhere = count_color(&out, (W, H), 4, whole(), MAGENTA);
        let near = count_color(&out, (W, H), 4, grow(face, 0.15), MAGENTA);
        assert_eq!(everywhere, near, "the image stays on the face");
    }
}

#[test]
fn nothing_is_drawn_without_a_face_or_without_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let composer = Composer::new(W as i32, H as i32);
    let empty = frame_bytes(&composer.background(), 4);
    let face = frame_bytes(&composer.compose(STILL), 4);

    let mut h = harness();
    assert!(h.push(&face).unwrap() == face, "no image set yet");
    h.invoke("setOverlayedImage", json!([magenta_png(&dir), 0, 0, 1, 1]))
        .unwrap();
    for _ in 0..5 {
        assert!(h.push(&empty).unwrap() == empty, "no face");
    }
    h.push(&face).unwrap();
    assert!(h.push(&face).unwrap() != face, "a face");
    h.invoke("unsetOverlayedImage", Value::Null).unwrap();
    assert!(h.push(&face).unwrap() == face, "image unset");
}

#[test]
fn boxes_reaching_out_of_the_frame_are_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let composer = Composer::new(W as i32, H as i32);
    // The face near the top left: a hat and a wide box reach past the top and left borders.
    let corner = Placement {
        x: 0,
        y: 0,
        scale: 0.75,
    };
    let input = frame_bytes(&composer.compose(corner), 4);
    let face = corner.face(&astronaut_face());
    for (params, touches) in [
        (json!([-0.35, -1.2, 1.6, 1.6]), "top"),
        (json!([-3.0, -0.2, 4.0, 1.0]), "left"),
        (json!([0.5, 0.5, 9.0, 9.0]), "bottom right"),
    ] {
        let mut h = harness();
        let mut args = vec![json!(magenta_png(&dir))];
        args.extend(params.as_array().unwrap().iter().cloned());
        h.invoke("setOverlayedImage", Value::Array(args)).unwrap();
        h.push(&input).unwrap();
        let out = h.push(&input).unwrap();
        let row = |y: usize| (0..W).any(|x| pixel(&out, W, 4, x, y)[..3] == MAGENTA);
        let column = |x: usize| (0..H).any(|y| pixel(&out, W, 4, x, y)[..3] == MAGENTA);
        let reached = match touches {
            "top" => row(0),
            "left" => column(0),
            _ => row(H - 1) && column(W - 1),
        };
        assert!(reached, "the {touches} border is reached ({params})");
        // The face itself is drawn over in every case but the hat's.
        if touches != "top" {
            let centre = pixel(
                &out,
                W,
                4,
                (face.x + face.w * 0.75) as usize,
                (face.y + face.h * 0.75) as usize,
            );
            assert_eq!(centre[..3], MAGENTA, "{params}");
        }
    }
}

#[test]
fn alpha_blending_rounds_to_nearest() {
    let mut dst = [10u8, 100, 250, 77];
    blend_pixel(&mut dst, &[200, 0, 50, 128]);
    // (200*128 + 10*127 + 127) / 255 = 105.9 -> 105 (integer division after +127 rounding).
    let expect = |s: u32, d: u32, a: u32| ((s * a + d * (255 - a) + 127) / 255) as u8;
    assert_eq!(
        dst,
        [
            expect(200, 10, 128),
            expect(0, 100, 128),
            expect(50, 250, 128),
            77
        ]
    );
    let mut opaque = [1u8, 2, 3];
    blend_pixel(&mut opaque, &[9, 8, 7, 255]);
    assert_eq!(opaque, [9, 8, 7]);
    let mut clear = [1u8, 2, 3];
    blend_pixel(&mut clear, &[9, 8, 7, 0]);
    assert_eq!(clear, [1, 2, 3]);
}

/// Runs the still frame through an overlay of `image` (placed on the face's inner half) and
/// returns the input and output pixels at the face's centre.
fn face_centre_through(uri: &str) -> (Vec<u8>, Vec<u8>) {
    let mut h = harness();
    h.invoke("setOverlayedImage", json!([uri, 0.25, 0.25, 0.5, 0.5]))
        .unwrap();
    let face = STILL.face(&astronaut_face());
    let input = frame_bytes(&Composer::new(W as i32, H as i32).compose(STILL), 4);
    h.push(&input).unwrap();
    let out = h.push(&input).unwrap();
    let (x, y) = (
        (face.x + face.w / 2.0) as usize,
        (face.y + face.h / 2.0) as usize,
    );
    (
        pixel(&input, W, 4, x, y).to_vec(),
        pixel(&out, W, 4, x, y).to_vec(),
    )
}

#[test]
fn png_alpha_jpeg_and_grey_images_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let half_red = write_file(
        dir.path(),
        "half.png",
        &solid_image([0, 0, 255, 128], 4, 16, ".png"),
    );
    let (before, after) = face_centre_through(&half_red);
    let mut expected = before.clone();
    blend_pixel(&mut expected, &[0, 0, 255, 128]);
    assert_eq!(after, expected, "half-transparent red over {before:?}");

    let jpeg = write_file(
        dir.path(),
        "blue.jpg",
        &solid_image([250, 20, 20, 255], 3, 16, ".jpg"),
    );
    let (_, after) = face_centre_through(&jpeg);
    let close = |a: u8, b: u8| a.abs_diff(b) <= 6;
    assert!(
        close(after[0], 250) && close(after[1], 20) && close(after[2], 20),
        "JPEG blue drawn: {after:?}"
    );

    let grey = write_file(
        dir.path(),
        "grey.png",
        &solid_image([90, 0, 0, 255], 1, 16, ".png"),
    );
    let (_, after) = face_centre_through(&grey);
    assert_eq!(after[..3], [90, 90, 90], "grey drawn as grey");

    // A file:// URI with an escaped character names the same kind of file.
    let spaced = write_file(
        dir.path(),
        "grey image.png",
        &solid_image([60, 0, 0, 255], 1, 16, ".png"),
    );
    let uri = format!("file://{}", spaced.replace(' ', "%20"));
    assert_eq!(face_centre_through(&uri).1[..3], [60, 60, 60]);
}

#[test]
fn images_download_over_http_once() {
    let png = solid_image([255, 0, 255, 255], 4, 16, ".png");
    let server = Server::start(vec![("/hat.png", Reply::Body(png))]);
    let url = format!("{}/hat.png", server.base);
    let (_, after) = face_centre_through(&url);
    assert_eq!(after[..3], MAGENTA);
    let (_, again) = face_centre_through(&url);
    assert_eq!(again[..3], MAGENTA);
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        1,
        "the second element used the cached image"
    );
}

#[test]
fn bad_images_are_clear_errors_and_the_video_flows_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(vec![
        ("/text.png", Reply::Body(b"this is not a picture".to_vec())),
        (
            "/huge.png",
            Reply::Zeros(faceoverlay::MAX_IMAGE_BYTES as usize + 1000),
        ),
        ("/gone.png", Reply::Status(404)),
    ]);
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let not_image = write_file(dir.path(), "notes.png", b"hello");
    let missing = dir.path().join("missing.png");
    let cases: Vec<(String, ErrorKind, String)> = vec![
        (
            String::new(),
            ErrorKind::InvalidParam,
            "the image URI is empty".into(),
        ),
        (
            "ftp://example.com/a.png".into(),
            ErrorKind::InvalidParam,
            "unsupported URI scheme \"ftp\"".into(),
        ),
        (
            "file://relative/a.png".into(),
            ErrorKind::InvalidParam,
            "is not a local file URI".into(),
        ),
        (
            missing.to_str().unwrap().into(),
            ErrorKind::Failed,
            format!("cannot open the image {}", missing.display()),
        ),
        (
            not_image.clone(),
            ErrorKind::Failed,
            format!("{not_image} is not an image OpenCV can decode"),
        ),
        (
            format!("{}/text.png", server.base),
            ErrorKind::Failed,
            "is not an image OpenCV can decode".into(),
        ),
        (
            format!("{}/huge.png", server.base),
            ErrorKind::Failed,
            "larger than the 16 MiB limit".into(),
        ),
        (
            format!("{}/gone.png", server.base),
            ErrorKind::Failed,
            "404".into(),
        ),
        (
            format!("http://{closed}/a.png"),
            ErrorKind::Failed,
            format!("cannot download http://{closed}/a.png"),
        ),
    ];

    let mut h = harness();
    h.invoke("setOverlayedImage", json!([magenta_png(&dir), 0, 0, 1, 1]))
        .unwrap();
    let input = frame_bytes(&Composer::new(W as i32, H as i32).compose(STILL), 4);
    let face = STILL.face(&astronaut_face());
    let drawn = |out: &[u8]| count_color(out, (W, H), 4, face, MAGENTA) > 0;
    h.push(&input).unwrap();
    assert!(drawn(&h.push(&input).unwrap()));
    for (uri, kind, message) in cases {
        let err = h
            .invoke("setOverlayedImage", json!([uri, 0, 0, 1, 1]))
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{uri}: {}", err.message());
        assert!(
            err.message().starts_with("setOverlayedImage: ") && err.message().contains(&message),
            "{uri}: {:?} should mention {message:?}",
            err.message()
        );
        assert!(
            drawn(&h.push(&input).unwrap()),
            "the previous image stays after {uri}"
        );
    }

    for (params, message) in [
        (
            json!([0, 0, 0, 1]),
            "widthPercent: 0 is out of range (0, 10]",
        ),
        (
            json!([0, 0, 1, 11]),
            "heightPercent: 11 is out of range (0, 10]",
        ),
        (
            json!([-12, 0, 1, 1]),
            "offsetXPercent: -12 is out of range [-10, 10]",
        ),
    ] {
        let mut args = vec![json!(magenta_png(&dir))];
        args.extend(params.as_array().unwrap().iter().cloned());
        let err = h
            .invoke("setOverlayedImage", Value::Array(args))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam);
        assert_eq!(err.message(), message);
    }
    let err = h.invoke("setOverlayedImage", json!(["x.png"])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{}", err.message());
    assert!(drawn(&h.push(&input).unwrap()));
}

#[test]
fn a_stalled_download_times_out_while_video_keeps_flowing() {
    let server = Server::start(vec![("/slow.png", Reply::Stall)]);
    let mut h = harness();
    let element = h.element().clone();
    let uri = format!("{}/slow.png", server.base);
    let start = std::time::Instant::now();
    let call = std::thread::spawn(move || {
        let core = <FaceOverlay as filmstrip::Filter>::core(&element).unwrap();
        core.invoke(&element, "setOverlayedImage", &json!([uri, 0, 0, 1, 1]))
    });
    // Give the call time to take the filter, then push frames through the stall.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let frame = vec![90u8; h.frame_size()];
    for _ in 0..5 {
        assert_eq!(
            h.push(&frame).unwrap(),
            frame,
            "frames pass through untouched"
        );
    }
    assert!(
        start.elapsed() < faceoverlay::DOWNLOAD_TIMEOUT,
        "the frames waited for the download"
    );
    let err = call.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(
        err.message().contains("cannot download"),
        "{}",
        err.message()
    );
    let waited = start.elapsed();
    assert!(
        waited >= faceoverlay::DOWNLOAD_TIMEOUT && waited < faceoverlay::DOWNLOAD_TIMEOUT * 2,
        "gave up after {waited:?}"
    );
}

#[test]
fn detection_properties_have_defaults_and_ranges() {
    let h = harness();
    assert_eq!(
        h.invoke("getDetectionPolicy", Value::Null).unwrap(),
        json!("ADAPTIVE")
    );
    assert_eq!(h.invoke("getDetectEvery", Value::Null).unwrap(), json!(3));
    assert_eq!(h.invoke("getDetectWidth", Value::Null).unwrap(), json!(320));
    h.invoke("setDetectionPolicy", json!(["EVERY_NTH"]))
        .unwrap();
    assert_eq!(
        h.invoke("getDetectionPolicy", Value::Null).unwrap(),
        json!("EVERY_NTH")
    );
    let err = h.invoke("setDetectEvery", json!([0])).unwrap_err();
    assert_eq!(err.message(), "detectEvery: 0 is out of range [1, 100]");
}

#[test]
fn the_descriptor_presents_kurentos_face_overlay_filter() {
    let descriptor = filmstrip::class_descriptor::<FaceOverlay>();
    let json = serde_json::to_value(&descriptor).unwrap();
    assert_eq!(json["name"], "FaceOverlayFilter");
    assert_eq!(json["filmstrip"]["kurentoModule"], "filters", "{json:#}");
    let methods: Vec<&str> = json["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(methods.contains(&"setOverlayedImage"), "{methods:?}");
    assert!(methods.contains(&"unsetOverlayedImage"), "{methods:?}");
    let set = json["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "setOverlayedImage")
        .unwrap();
    let params: Vec<(&str, &str)> = set["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        params,
        [
            ("uri", "String"),
            ("offsetXPercent", "float"),
            ("offsetYPercent", "float"),
            ("widthPercent", "float"),
            ("heightPercent", "float")
        ]
    );
}

#[test]
fn any_frame_size_passes() {
    let dir = tempfile::tempdir().unwrap();
    // Odd widths make BGR rows padded; tiny frames are smaller than the cascade's window.
    for (width, height) in [(333, 250), (17, 9), (1, 1), (1920, 1080)] {
        let mut h = Harness::<FaceOverlay>::new(PixelFormat::Bgr, width, height);
        h.invoke("setOverlayedImage", json!([magenta_png(&dir), 0, 0, 1, 1]))
            .unwrap();
        let frame = vec![128u8; h.frame_size()];
        for _ in 0..3 {
            assert!(h.push(&frame).unwrap() == frame, "{width}x{height}");
        }
    }
}
