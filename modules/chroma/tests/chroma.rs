//! ChromaFilter through the test harness, on a generated green screen with a red subject:
//! after the calibration second, the green is replaced by the background image exactly and
//! the subject kept; the calibration window decides which colour is keyed.

use chroma::Chroma;
use filmstrip::opencv::core::{CV_8UC4, Mat, Scalar, Vector};
use filmstrip::opencv::imgcodecs;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const WIDTH: usize = 160;
const HEIGHT: usize = 120;
const GREEN: [u8; 4] = [40, 220, 30, 255];
const RED: [u8; 4] = [20, 30, 210, 255];
const BACKGROUND: [u8; 4] = [200, 100, 50, 255];
/// The subject covers `LO..HI` in x, and `LO - 20..HI - 20` in y.
const LO: usize = 60;
const HI: usize = 100;

fn subject(x: usize, y: usize) -> bool {
    (LO..HI).contains(&x) && (LO - 20..HI - 20).contains(&y)
}

/// A BGRx green screen with a red square subject; the screen is darker toward the bottom, as
/// real screens are unevenly lit.
fn scene() -> Vec<u8> {
    let mut frame = Vec::with_capacity(WIDTH * HEIGHT * 4);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            if subject(x, y) {
                frame.extend_from_slice(&RED);
            } else {
                let shade = (y / 10) as u8;
                frame.extend_from_slice(&[
                    GREEN[0] - shade,
                    GREEN[1] - 3 * shade,
                    GREEN[2] - shade,
                    255,
                ]);
            }
        }
    }
    frame
}

fn png(dir: &Path, bgra: [u8; 4]) -> PathBuf {
    let color = Scalar::new(
        bgra[0].into(),
        bgra[1].into(),
        bgra[2].into(),
        bgra[3].into(),
    );
    let image = Mat::new_rows_cols_with_default(30, 40, CV_8UC4, color).unwrap();
    let path = dir.join("background.png");
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &image, &Vector::new()).unwrap());
    path
}

fn harness() -> Harness<Chroma> {
    Harness::new(PixelFormat::Bgrx, WIDTH as u32, HEIGHT as u32)
}

/// Pushes the calibration second; returns the last output.
fn calibrate(h: &mut Harness<Chroma>, frame: &[u8]) -> Vec<u8> {
    (0..chroma::CALIBRATION_FRAMES)
        .map(|_| h.push(frame).unwrap())
        .last()
        .unwrap()
}

fn pixel(frame: &[u8], x: usize, y: usize) -> [u8; 3] {
    frame[(y * WIDTH + x) * 4..][..3].try_into().unwrap()
}

#[test]
fn the_green_screen_is_replaced_by_the_background_and_the_subject_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    let input = scene();
    let during = calibrate(&mut h, &input);
    // The default window, 30x30 at (5, 5), is outlined in blue while calibrating.
    assert_eq!(pixel(&during, 5, 20), [255, 0, 0]);
    assert_eq!(pixel(&during, 100, 100), pixel(&input, 100, 100));
    // Calibrated, but no background yet: frames pass unchanged.
    assert_eq!(h.push(&input).unwrap(), input);

    let uri = format!("file://{}", png(dir.path(), BACKGROUND).display());
    h.invoke("setBackground", json!([uri])).unwrap();
    let out = h.push(&input).unwrap();
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let expected = if subject(x, y) { RED } else { BACKGROUND };
            assert_eq!(pixel(&out, x, y), expected[..3], "pixel ({x}, {y})");
        }
    }

    h.invoke("unsetBackground", Value::Null).unwrap();
    assert_eq!(h.push(&input).unwrap(), input);
}

#[test]
fn the_calibration_window_chooses_the_colour_keyed_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    let uri = png(dir.path(), BACKGROUND).to_str().unwrap().to_string();
    h.construct(json!({
        "window": { "topRightCornerX": LO + 5, "topRightCornerY": LO - 15, "width": 20, "height": 20 },
        "backgroundImage": uri,
    }))
    .unwrap();
    let input = scene();
    calibrate(&mut h, &input);
    let out = h.push(&input).unwrap();
    // The red subject is the key now; the green screen stays.
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let expected = if subject(x, y) {
                BACKGROUND[..3].to_vec()
            } else {
                input[(y * WIDTH + x) * 4..][..3].to_vec()
            };
            assert_eq!(pixel(&out, x, y).to_vec(), expected, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn bad_backgrounds_and_windows_are_refused() {
    let h = harness();
    let err = h
        .invoke("setBackground", json!(["/nonexistent/bg.png"]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(
        err.message()
            .starts_with("setBackground: cannot open the image"),
        "{}",
        err.message()
    );
    let refused = |params: Value| harness().construct(params).unwrap_err();
    let err = refused(
        json!({ "window": { "topRightCornerX": 0, "topRightCornerY": 0, "width": 10, "height": 0 } }),
    );
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        "ChromaFilter constructor: parameter window: width and height must be above 0"
    );
    let err = refused(json!({ "window": { "width": 10 } }));
    assert_eq!(err.kind(), ErrorKind::InvalidParam, "{}", err.message());
    let err = refused(json!({ "backgroundImage": "" }));
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        "ChromaFilter constructor: missing parameter window"
    );
    let window = json!({ "topRightCornerX": 0, "topRightCornerY": 0, "width": 10, "height": 10 });
    let err = refused(json!({ "window": window, "backgroundImage": "/nonexistent/bg.png" }));
    assert!(
        err.message()
            .starts_with("ChromaFilter constructor: parameter backgroundImage: cannot open"),
        "{}",
        err.message()
    );
    // The constructor runs once, when the element is created.
    h.construct(json!({ "window": window })).unwrap();
    let err = h.construct(json!({ "window": window })).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownOperation, "{}", err.message());
}
