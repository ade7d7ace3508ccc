//! ImageOverlayFilter through the test harness: images land on the exact pixels their
//! fractions of the frame give, with and without the aspect ratio kept and centred, alpha is
//! blended, ids replace and remove images, and bad parameters are refused.

use filmstrip::opencv::core::{CV_8UC4, Mat, Scalar, Vector};
use filmstrip::opencv::imgcodecs;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use filters::ImageOverlay;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const WIDTH: usize = 100;
const HEIGHT: usize = 80;
const GREY: [u8; 4] = [50, 50, 50, 255];

/// Writes a `width`x`height` PNG of one BGRA colour into `dir`.
fn png(dir: &Path, name: &str, width: i32, height: i32, bgra: [f64; 4]) -> PathBuf {
    let image =
        Mat::new_rows_cols_with_default(height, width, CV_8UC4, Scalar::from(bgra)).unwrap();
    let path = dir.join(name);
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &image, &Vector::new()).unwrap());
    path
}

fn harness() -> Harness<ImageOverlay> {
    Harness::new(PixelFormat::Bgrx, WIDTH as u32, HEIGHT as u32)
}

fn grey_frame(h: &Harness<ImageOverlay>) -> Vec<u8> {
    GREY.repeat(h.frame_size() / 4)
}

/// Asserts every pixel inside `(x0..x1, y0..y1)` is `inside` and every other one grey.
fn assert_box(out: &[u8], (x0, x1): (usize, usize), (y0, y1): (usize, usize), inside: [u8; 3]) {
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let pixel = &out[(y * WIDTH + x) * 4..(y * WIDTH + x) * 4 + 3];
            let expected = if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                inside
            } else {
                [GREY[0], GREY[1], GREY[2]]
            };
            assert_eq!(pixel, expected, "pixel ({x}, {y})");
        }
    }
}

fn add(
    h: &Harness<ImageOverlay>,
    id: &str,
    path: &Path,
    place: [f64; 4],
    keep: bool,
    center: bool,
) {
    let [x, y, w, hh] = place;
    h.invoke(
        "addImage",
        json!([
            id,
            format!("file://{}", path.display()),
            x,
            y,
            w,
            hh,
            keep,
            center
        ]),
    )
    .unwrap();
}

#[test]
fn an_image_fills_the_box_its_fractions_give() {
    let dir = tempfile::tempdir().unwrap();
    let red = png(dir.path(), "red.png", 7, 5, [0.0, 0.0, 255.0, 255.0]);
    let mut h = harness();
    assert_eq!(
        h.push(&grey_frame(&h)).unwrap(),
        grey_frame(&h),
        "no image, no change"
    );
    // x 10..40, y 20..60 of the 100x80 frame: stretched, the image's shape does not matter.
    add(&h, "logo", &red, [0.1, 0.25, 0.3, 0.5], false, false);
    let out = h.push(&grey_frame(&h)).unwrap();
    assert_box(&out, (10, 40), (20, 60), [0, 0, 255]);
}

#[test]
fn an_image_past_the_frame_edges_is_cut_there() {
    let dir = tempfile::tempdir().unwrap();
    let red = png(dir.path(), "red.png", 7, 5, [0.0, 0.0, 255.0, 255.0]);
    let mut h = harness();
    // x 90..140 and y 60..100 of the 100x80 frame: only 90..100 by 60..80 is inside.
    add(&h, "corner", &red, [0.9, 0.75, 0.5, 0.5], false, false);
    let out = h.push(&grey_frame(&h)).unwrap();
    assert_box(&out, (90, 100), (60, 80), [0, 0, 255]);
}

#[test]
fn keep_aspect_ratio_fits_the_image_in_the_box_at_its_corner_or_centred() {
    let dir = tempfile::tempdir().unwrap();
    // 2:1, into a 30x40 box at (10, 20): 30x15.
    let green = png(dir.path(), "green.png", 20, 10, [0.0, 255.0, 0.0, 255.0]);
    let mut h = harness();
    add(&h, "a", &green, [0.1, 0.25, 0.3, 0.5], true, false);
    let out = h.push(&grey_frame(&h)).unwrap();
    assert_box(&out, (10, 40), (20, 35), [0, 255, 0]);
    // Centred: 12.5 pixels down, rounded to 33..48.
    add(&h, "a", &green, [0.1, 0.25, 0.3, 0.5], true, true);
    let out = h.push(&grey_frame(&h)).unwrap();
    assert_box(&out, (10, 40), (33, 48), [0, 255, 0]);
}

#[test]
fn alpha_is_blended_and_later_images_go_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let half_blue = png(dir.path(), "blue.png", 4, 4, [255.0, 0.0, 0.0, 128.0]);
    let white = png(dir.path(), "white.png", 4, 4, [255.0, 255.0, 255.0, 255.0]);
    let mut h = harness();
    add(&h, "white", &white, [0.0, 0.0, 0.5, 0.5], false, false);
    add(&h, "blue", &half_blue, [0.0, 0.0, 0.2, 0.25], false, false);
    let out = h.push(&grey_frame(&h)).unwrap();
    let pixel = |x: usize, y: usize| out[(y * WIDTH + x) * 4..(y * WIDTH + x) * 4 + 3].to_vec();
    // 255 * 128/255 + 255 * 127/255 over white; 0 * 128/255 + 255 * 127/255 for green and red.
    assert_eq!(pixel(5, 5), [255, 127, 127], "blue half over white");
    assert_eq!(pixel(30, 30), [255, 255, 255], "white alone");
    assert_eq!(pixel(60, 60), [50, 50, 50], "outside both");
}

#[test]
fn remove_image_takes_away_only_that_id() {
    let dir = tempfile::tempdir().unwrap();
    let red = png(dir.path(), "red.png", 4, 4, [0.0, 0.0, 255.0, 255.0]);
    let mut h = harness();
    add(&h, "left", &red, [0.0, 0.0, 0.1, 0.125], false, false);
    add(&h, "right", &red, [0.5, 0.5, 0.1, 0.125], false, false);
    h.invoke("removeImage", json!(["left"])).unwrap();
    h.invoke("removeImage", json!(["never added"])).unwrap();
    let out = h.push(&grey_frame(&h)).unwrap();
    assert_box(&out, (50, 60), (40, 50), [0, 0, 255]);
    h.invoke("removeImage", json!({ "id": "right" })).unwrap();
    assert_eq!(h.push(&grey_frame(&h)).unwrap(), grey_frame(&h));
}

#[test]
fn bad_parameters_and_images_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let red = png(dir.path(), "red.png", 4, 4, [0.0, 0.0, 255.0, 255.0]);
    let uri = format!("file://{}", red.display());
    let mut h = harness();
    for (params, message) in [
        (
            json!(["a", uri, -0.1, 0, 0.5, 0.5, false, false]),
            "addImage: offsetXPercent: -0.1 is out of range [0, 1]",
        ),
        (
            json!(["a", uri, 0, 0, 0, 0.5, false, false]),
            "addImage: widthPercent: 0 is out of range (0, 1]",
        ),
        (
            json!(["a", uri, 0, 0, 0.5, 1.5, false, false]),
            "addImage: heightPercent: 1.5 is out of range (0, 1]",
        ),
    ] {
        let err = h.invoke("addImage", params).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam);
        assert_eq!(err.message(), message);
    }
    let missing = dir.path().join("missing.png");
    let err = h
        .invoke(
            "addImage",
            json!(["a", missing.to_str().unwrap(), 0, 0, 0.5, 0.5, false, false]),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(
        err.message().starts_with("addImage: cannot open the image"),
        "{}",
        err.message()
    );
    let err = h
        .invoke(
            "addImage",
            json!(["a", "ftp://x/y.png", 0, 0, 0.5, 0.5, false, false]),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    let err = h
        .invoke("addImage", json!(["a", uri, 0, 0, 0.5, 0.5]))
        .unwrap_err();
    assert_eq!(err.message(), "addImage: missing parameter keepAspectRatio");
    assert_eq!(h.push(&grey_frame(&h)).unwrap(), grey_frame(&h));
    assert_eq!(h.invoke("removeImage", json!(["a"])).unwrap(), Value::Null);
}
