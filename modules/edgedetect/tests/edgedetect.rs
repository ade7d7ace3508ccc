//! EdgeDetect through the test harness, on a bright square over a dark background: where the
//! edges are drawn in each mode, the density events, and the errors of its operations.

use edgedetect::EdgeDetect;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};

const SIZE: usize = 64;
/// The square covers `LO..HI` in both directions.
const LO: usize = 16;
const HI: usize = 48;

/// A BGRx frame: grey 20 background, a (200, 210, 220) square.
fn square(h: &Harness<EdgeDetect>) -> Vec<u8> {
    let stride = h.info().stride()[0] as usize;
    let mut frame = vec![0u8; h.frame_size()];
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inside = (LO..HI).contains(&x) && (LO..HI).contains(&y);
            let pixel = if inside {
                [200, 210, 220, 255]
            } else {
                [20, 20, 20, 255]
            };
            frame[y * stride + x * 4..y * stride + x * 4 + 4].copy_from_slice(&pixel);
        }
    }
    frame
}

fn pixel(frame: &[u8], stride: usize, x: usize, y: usize) -> &[u8] {
    &frame[y * stride + x * 4..y * stride + x * 4 + 4]
}

/// Distance in pixels from `(x, y)` to the square's outline, which runs between LO-1|LO and HI-1|HI.
fn near_outline(x: usize, y: usize) -> bool {
    let on_side = |v: usize| [LO - 1, LO, HI - 1, HI].contains(&v);
    let within = |v: usize| (LO - 1..=HI).contains(&v);
    (on_side(x) && within(y)) || (on_side(y) && within(x))
}

fn harness() -> Harness<EdgeDetect> {
    Harness::new(PixelFormat::Bgrx, SIZE as u32, SIZE as u32)
}

/// The positions `is_edge` holds for, row by row.
fn edge_pixels(
    frame: &[u8],
    stride: usize,
    is_edge: impl Fn(&[u8]) -> bool,
) -> Vec<(usize, usize)> {
    (0..SIZE)
        .flat_map(|y| (0..SIZE).map(move |x| (x, y)))
        .filter(|&(x, y)| is_edge(pixel(frame, stride, x, y)))
        .collect()
}

#[test]
fn edges_mode_draws_the_outline_white_on_black() {
    let mut h = harness();
    let stride = h.info().stride()[0] as usize;
    let out = h.push(&square(&h)).unwrap();
    let mut white = 0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            match pixel(&out, stride, x, y) {
                [255, 255, 255, _] => {
                    assert!(
                        near_outline(x, y),
                        "white pixel at ({x}, {y}) away from the outline"
                    );
                    white += 1;
                }
                [0, 0, 0, _] => {}
                other => panic!("({x}, {y}) is {other:?}, neither white nor black"),
            }
        }
    }
    // Every row and column crossing the square has an edge on both of its sides.
    for v in LO + 2..HI - 2 {
        let white_at = |x: usize, y: usize| pixel(&out, stride, x, y)[..3] == [255; 3];
        assert!(white_at(LO - 1, v) || white_at(LO, v), "left side, row {v}");
        assert!(
            white_at(HI - 1, v) || white_at(HI, v),
            "right side, row {v}"
        );
        assert!(
            white_at(v, LO - 1) || white_at(v, LO),
            "top side, column {v}"
        );
        assert!(
            white_at(v, HI - 1) || white_at(v, HI),
            "bottom side, column {v}"
        );
    }
    assert!(
        (4 * (HI - LO - 4)..=4 * (HI - LO + 2) * 2).contains(&white),
        "{white} edge pixels"
    );
}

#[test]
fn overlay_mode_keeps_the_picture_and_paints_edges_red() {
    let mut edges = harness();
    let stride = edges.info().stride()[0] as usize;
    let input = square(&edges);
    let edge_out = edges.push(&input).unwrap();
    let expected = edge_pixels(&edge_out, stride, |p| p[..3] == [255; 3]);

    let mut h = harness();
    h.invoke("setMode", json!(["OVERLAY"])).unwrap();
    let out = h.push(&input).unwrap();
    let red = edge_pixels(&out, stride, |p| p[..3] == [0, 0, 255]);
    assert_eq!(red, expected, "overlay paints exactly the edge pixels");
    for y in 0..SIZE {
        for x in 0..SIZE {
            if !red.contains(&(x, y)) {
                assert_eq!(
                    pixel(&out, stride, x, y),
                    pixel(&input, stride, x, y),
                    "({x}, {y}) kept"
                );
            }
        }
    }
}

#[test]
fn gray_frames_get_edges_too() {
    let mut h = Harness::<EdgeDetect>::new(PixelFormat::Gray8, SIZE as u32, SIZE as u32);
    let stride = h.info().stride()[0] as usize;
    let mut frame = vec![20u8; h.frame_size()];
    for y in LO..HI {
        frame[y * stride + LO..y * stride + HI].fill(220);
    }
    let out = h.push(&frame).unwrap();
    assert!(out.iter().all(|&v| v == 0 || v == 255));
    assert_eq!(out[32 * stride + 32], 0, "inside the square");
    assert!(
        out[32 * stride + LO - 1] == 255 || out[32 * stride + LO] == 255,
        "left side"
    );
}

#[test]
fn density_events_follow_the_picture() {
    let mut h = harness();
    // The square's density is about 0.03, below the default step of 0.05.
    h.invoke("setReportStep", json!([0.01])).unwrap();
    let stride = h.info().stride()[0] as usize;
    let input = square(&h);
    let out = h.push(&input).unwrap();
    let white = edge_pixels(&out, stride, |p| p[..3] == [255; 3]).len();

    let events = h.events();
    assert_eq!(events.len(), 1, "the first frame reports: {events:?}");
    assert_eq!(events[0].event_type, "EdgeDensityChanged");
    assert_eq!(events[0].source, "EdgeDetectFilter");
    let density = events[0].fields["density"]
        .as_f64()
        .expect("density is a number");
    assert!(
        (density - white as f64 / (SIZE * SIZE) as f64).abs() < 1e-9,
        "{density} vs {white} pixels"
    );
    assert!((0.02..0.1).contains(&density), "{density}");

    h.push(&input).unwrap();
    assert!(
        h.events().is_empty(),
        "the same picture does not report again"
    );

    h.push(&vec![20u8; h.frame_size()]).unwrap();
    let events = h.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fields["density"], json!(0.0));
}

#[test]
fn report_step_silences_small_changes() {
    let mut h = harness();
    h.invoke("setReportStep", json!([1.0])).unwrap();
    h.push(&square(&h)).unwrap();
    assert_eq!(h.events().len(), 1, "the first density is always reported");
    h.push(&vec![20u8; h.frame_size()]).unwrap();
    assert!(h.events().is_empty(), "a change below 1.0 is not reported");
}

#[test]
fn mode_has_a_getter_and_a_checked_setter() {
    let h = harness();
    assert_eq!(h.invoke("getMode", Value::Null).unwrap(), json!("EDGES"));
    h.invoke("setMode", json!(["OVERLAY"])).unwrap();
    assert_eq!(h.invoke("getMode", Value::Null).unwrap(), json!("OVERLAY"));
    h.invoke("setMode", json!({ "mode": "edges" })).unwrap();
    assert_eq!(h.invoke("getMode", Value::Null).unwrap(), json!("EDGES"));

    let err = h.invoke("setMode", json!(["SPARKLES"])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        r#"setMode: parameter mode: "SPARKLES" is not a EdgeMode; expected one of EDGES, OVERLAY"#
    );
    assert_eq!(h.invoke("getMode", Value::Null).unwrap(), json!("EDGES"));
}

#[test]
fn threshold_setter_checks_its_range() {
    let h = harness();
    assert_eq!(h.invoke("getThreshold", Value::Null).unwrap(), json!(80.0));
    h.invoke("setThreshold", json!([120])).unwrap();
    assert_eq!(h.invoke("getThreshold", Value::Null).unwrap(), json!(120.0));
    for (value, message) in [
        (json!(-1), "threshold: -1 is out of range [0, 1000]"),
        (json!(1000.5), "threshold: 1000.5 is out of range [0, 1000]"),
    ] {
        let err = h.invoke("setThreshold", json!([value])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam);
        assert_eq!(err.message(), message);
    }
    let err = h.invoke("setReportStep", json!([2])).unwrap_err();
    assert_eq!(err.message(), "reportStep: 2 is out of range [0, 1]");
    assert_eq!(h.invoke("getThreshold", Value::Null).unwrap(), json!(120.0));
}
