//! PointerDetectorFilter through the test harness, on generated frames: a blue square is
//! calibrated as the pointer, then moved across the picture through a window, which raises
//! `WindowIn` and `WindowOut` on the exact frames its centre crosses the window's edges.

use filmstrip::opencv::core::{CV_8UC4, Mat, Scalar, Vector};
use filmstrip::opencv::imgcodecs;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use pointerdetector::PointerDetector;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const WIDTH: usize = 320;
const HEIGHT: usize = 240;
const BACKGROUND: [u8; 3] = [40, 40, 40];
const BLUE: [u8; 3] = [200, 60, 20];
/// Side of the pointer square.
const SIDE: i64 = 24;

/// A BGR frame with a pointer square of side `side` whose centroid is at `(cx, cy)`.
fn frame_with_square(cx: i64, cy: i64, side: i64) -> Vec<u8> {
    let mut frame = BACKGROUND.repeat(WIDTH * HEIGHT);
    let (left, top) = (cx - side / 2, cy - side / 2);
    for y in top.max(0)..(top + side).min(HEIGHT as i64) {
        for x in left.max(0)..(left + side).min(WIDTH as i64) {
            let at = (y as usize * WIDTH + x as usize) * 3;
            frame[at..at + 3].copy_from_slice(&BLUE);
        }
    }
    frame
}

/// A harness whose pointer colour was learnt from the default calibration region.
fn calibrated() -> Harness<PointerDetector> {
    let mut h = Harness::<PointerDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32);
    assert_eq!(h.info().stride()[0] as usize, WIDTH * 3);
    h.invoke("trackColorFromCalibrationRegion", Value::Null)
        .unwrap();
    // Kurento's tutorial region, 30x30 at (5, 5), covered by a 40-pixel square.
    h.push(&frame_with_square(20, 20, 40)).unwrap();
    assert!(h.events().is_empty());
    h
}

fn window(id: &str, x: i32, y: i32, w: i32, hh: i32) -> Value {
    json!({ "id": id, "upperRightX": x, "upperRightY": y, "width": w, "height": hh })
}

/// `(type, windowId)` of the events since the last call.
fn events(h: &Harness<PointerDetector>) -> Vec<(String, String)> {
    h.events()
        .into_iter()
        .map(|e| {
            assert_eq!(e.source, "PointerDetectorFilter");
            (
                e.event_type,
                e.fields["windowId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_moving_pointer_enters_and_leaves_a_window_on_the_exact_frames() {
    let mut h = calibrated();
    h.invoke("addWindow", json!([window("button", 200, 80, 60, 60)]))
        .unwrap();
    let mut seen = Vec::new();
    for cx in (20..=300).step_by(8) {
        h.push(&frame_with_square(cx, 110, SIDE)).unwrap();
        seen.extend(events(&h).into_iter().map(|(kind, id)| (cx, kind, id)));
    }
    // Inside while 200 <= x < 260: entered at x = 204 (the first step from 20 by 8 at or past
    // 200), left at x = 260.
    assert_eq!(
        seen,
        [
            (204, "WindowIn".to_string(), "button".to_string()),
            (260, "WindowOut".to_string(), "button".to_string()),
        ]
    );
}

#[test]
fn losing_the_pointer_inside_a_window_is_leaving_it() {
    let mut h = calibrated();
    h.invoke("addWindow", json!([window("a", 100, 100, 80, 80)]))
        .unwrap();
    h.invoke("addWindow", json!([window("b", 0, 200, 40, 40)]))
        .unwrap();
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert_eq!(events(&h), [("WindowIn".into(), "a".into())]);
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert!(events(&h).is_empty(), "staying inside raises nothing");
    // A speck is no pointer.
    h.push(&frame_with_square(140, 140, 3)).unwrap();
    assert_eq!(events(&h), [("WindowOut".into(), "a".into())]);
    h.invoke("removeWindow", json!(["a"])).unwrap();
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert!(events(&h).is_empty(), "removed windows raise nothing");
    h.invoke("clearWindows", Value::Null).unwrap();
    h.push(&frame_with_square(20, 220, SIDE)).unwrap();
    assert!(events(&h).is_empty(), "cleared windows raise nothing");
}

#[test]
fn nothing_is_tracked_before_calibration_and_other_colours_are_not_the_pointer() {
    let mut h = Harness::<PointerDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32);
    // A calibration region of its own, on a green square, and a window from the start.
    h.construct(json!({
        "calibrationRegion": { "topRightCornerX": 250, "topRightCornerY": 10, "width": 20, "height": 20 },
        "windows": [window("w", 100, 100, 80, 80)],
    }))
    .unwrap();
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert!(events(&h).is_empty(), "no colour learnt yet");

    h.invoke("trackColorFromCalibrationRegion", Value::Null)
        .unwrap();
    let mut green = frame_with_square(0, 0, 0);
    for y in 0..40 {
        for x in 240..280 {
            green[(y * WIDTH + x) * 3..(y * WIDTH + x) * 3 + 3].copy_from_slice(&[30, 200, 40]);
        }
    }
    h.push(&green).unwrap();
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert!(events(&h).is_empty(), "blue is not the learnt green");
}

fn png(dir: &Path, name: &str, bgra: [f64; 4]) -> PathBuf {
    let image = Mat::new_rows_cols_with_default(8, 8, CV_8UC4, Scalar::from(bgra)).unwrap();
    let path = dir.join(name);
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &image, &Vector::new()).unwrap());
    path
}

#[test]
fn windows_show_their_image_and_their_active_image_with_the_pointer_in() {
    let dir = tempfile::tempdir().unwrap();
    let white = png(dir.path(), "white.png", [255.0; 4]);
    let red = png(dir.path(), "red.png", [0.0, 0.0, 255.0, 255.0]);
    let mut h = calibrated();
    let mut param = window("img", 200, 20, 40, 40);
    param["image"] = json!(white.to_str().unwrap());
    param["activeImage"] = json!(format!("file://{}", red.display()));
    param["imageTransparency"] = json!(0.5);
    h.invoke("addWindow", json!([param])).unwrap();
    let pixel = |frame: &[u8], x: usize, y: usize| frame[(y * WIDTH + x) * 3..][..3].to_vec();

    let out = h.push(&frame_with_square(100, 200, SIDE)).unwrap();
    // White at half opacity over the background: (255 * 128 + 40 * 127 + 127) / 255.
    assert_eq!(pixel(&out, 220, 40), [148, 148, 148]);
    assert_eq!(pixel(&out, 100, 100), BACKGROUND, "away from every window");
    // The calibration region's red outline.
    assert_eq!(pixel(&out, 5, 20), [0, 0, 255]);

    // Inside, the red image replaces the white one at half opacity, over the blue pointer.
    let out = h.push(&frame_with_square(220, 40, SIDE)).unwrap();
    assert_eq!(events(&h), [("WindowIn".into(), "img".into())]);
    assert_eq!(pixel(&out, 220, 40), [100, 30, 138]);
}

#[test]
fn bad_windows_and_regions_are_refused() {
    let h = calibrated();
    let err = h
        .invoke("addWindow", json!([window("", 0, 0, 10, 10)]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(err.message(), "addWindow: the window id is empty");
    let err = h
        .invoke("addWindow", json!([window("w", 0, 0, 0, 10)]))
        .unwrap_err();
    assert_eq!(
        err.message(),
        r#"addWindow: window "w" is 0x10; width and height must be above 0"#
    );
    let err = h
        .invoke("addWindow", json!([{ "id": "w", "width": 5 }]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{}", err.message());
    let mut param = window("w", 0, 0, 10, 10);
    param["image"] = json!("/nonexistent/window.png");
    let err = h.invoke("addWindow", json!([param])).unwrap_err();
    assert!(
        err.message()
            .starts_with("addWindow: cannot open the image"),
        "{}",
        err.message()
    );
    let refused = |params: Value| {
        Harness::<PointerDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32)
            .construct(params)
            .unwrap_err()
    };
    let region = json!({ "topRightCornerX": 0, "topRightCornerY": 0, "width": 0, "height": 5 });
    let err = refused(json!({ "calibrationRegion": region }));
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        "PointerDetectorFilter constructor: parameter calibrationRegion: width and height must be above 0"
    );
    let err = refused(json!({ "windows": [] }));
    assert_eq!(
        err.message(),
        "PointerDetectorFilter constructor: missing parameter calibrationRegion"
    );
    let region = json!({ "topRightCornerX": 0, "topRightCornerY": 0, "width": 5, "height": 5 });
    let err =
        refused(json!({ "calibrationRegion": region, "windows": [window("", 0, 0, 10, 10)] }));
    assert_eq!(
        err.message(),
        "PointerDetectorFilter constructor: parameter windows: the window id is empty"
    );
}

#[test]
fn constructor_windows_are_watched_from_the_first_frame() {
    let mut h = Harness::<PointerDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32);
    // Kurento's tutorial region; the second "w" replaces the first.
    h.construct(json!({
        "calibrationRegion": { "topRightCornerX": 5, "topRightCornerY": 5, "width": 30, "height": 30 },
        "windows": [window("w", 0, 200, 10, 10), window("w", 100, 100, 80, 80)],
    }))
    .unwrap();
    h.invoke("trackColorFromCalibrationRegion", Value::Null)
        .unwrap();
    h.push(&frame_with_square(20, 20, 40)).unwrap();
    h.push(&frame_with_square(140, 140, SIDE)).unwrap();
    assert_eq!(events(&h), [("WindowIn".into(), "w".into())]);
    h.push(&frame_with_square(5, 205, SIDE)).unwrap();
    assert_eq!(
        events(&h),
        [("WindowOut".into(), "w".into())],
        "the first w is gone"
    );
}
