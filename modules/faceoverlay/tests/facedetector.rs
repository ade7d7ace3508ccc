//! FaceDetectorFilter through the test harness: `FaceDetected` fires when faces appear, move
//! or leave and not otherwise, with boxes where the faces are, and frames pass untouched.

mod common;

use common::{Composer, Placement, astronaut_face, centred, frame_bytes};
use faceoverlay::FaceDetector;
use filmstrip::PixelFormat;
use filmstrip::testing::Harness;
use serde_json::{Value, json};

const W: i32 = 640;
const H: i32 = 480;

fn harness() -> Harness<FaceDetector> {
    Harness::new(PixelFormat::Bgrx, W as u32, H as u32)
}

/// The one `FaceDetected` event since the last call; panics unless there is exactly one.
fn one_event(h: &Harness<FaceDetector>) -> Vec<Value> {
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event_type, "FaceDetected");
    assert_eq!(events[0].source, "FaceDetectorFilter");
    events[0].fields["faces"].as_array().unwrap().clone()
}

/// Asserts `face` (an event's box) is within a fifth of the face size of `at`'s true face.
fn near_truth(face: &Value, at: Placement) {
    let truth = at.face(&astronaut_face());
    let tolerance = truth.w / 5.0;
    for (key, value) in [
        ("x", truth.x),
        ("y", truth.y),
        ("width", truth.w),
        ("height", truth.h),
    ] {
        let got = face[key].as_f64().unwrap();
        assert!(
            (got - value).abs() < tolerance,
            "{key}: {got} vs {value} in {face}"
        );
    }
}

#[test]
fn events_fire_when_faces_appear_move_and_leave_only() {
    let composer = Composer::new(W, H);
    let empty = frame_bytes(&composer.background(), 4);
    let here = centred(W, H, 0.7);
    let there = Placement {
        x: 10,
        y: 20,
        scale: 0.7,
    };

    let mut h = harness();
    for _ in 0..3 {
        h.push(&empty).unwrap();
    }
    assert!(h.events().is_empty(), "no face, nothing to report");

    let face = frame_bytes(&composer.compose(here), 4);
    let out = h.push(&face).unwrap();
    assert!(out == face, "frames pass untouched");
    assert!(
        h.events().is_empty(),
        "a new face waits for the next frame's confirmation"
    );
    h.push(&face).unwrap();
    let faces = one_event(&h);
    assert_eq!(faces.len(), 1);
    near_truth(&faces[0], here);
    for _ in 0..10 {
        h.push(&face).unwrap();
    }
    assert!(h.events().is_empty(), "the same face is not reported again");

    // A jump to the corner: reported, possibly in a few steps as the box catches up.
    for _ in 0..15 {
        h.push(&frame_bytes(&composer.compose(there), 4)).unwrap();
    }
    let events = h.events();
    assert!(!events.is_empty(), "the move is reported");
    let last = events.last().unwrap().fields["faces"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(last.len(), 1);
    near_truth(&last[0], there);

    h.push(&empty).unwrap();
    assert_eq!(one_event(&h), Vec::<Value>::new(), "the face left");
    h.push(&empty).unwrap();
    assert!(h.events().is_empty());
}

#[test]
fn two_faces_are_two_boxes() {
    let composer = Composer::new(960, 480);
    let left = Placement {
        x: 10,
        y: 0,
        scale: 0.9,
    };
    let right = Placement {
        x: 500,
        y: 20,
        scale: 0.85,
    };
    // The second photo pasted into a frame that already has the first.
    let mut picture = composer.compose(left);
    let other = composer.compose(right);
    let side = (512.0 * right.scale).round() as i32;
    let rect = filmstrip::opencv::core::Rect::new(right.x, right.y, side, side);
    filmstrip::opencv::prelude::MatTraitConst::copy_to(
        &filmstrip::opencv::prelude::MatTraitConst::roi(&other, rect).unwrap(),
        &mut filmstrip::opencv::prelude::MatTrait::roi_mut(&mut picture, rect).unwrap(),
    )
    .unwrap();
    let mut h = Harness::<FaceDetector>::new(PixelFormat::Bgr, 960, 480);
    for _ in 0..2 {
        h.push(&frame_bytes(&picture, 3)).unwrap();
    }
    let mut faces = one_event(&h);
    faces.sort_by_key(|f| f["x"].as_i64());
    assert_eq!(faces.len(), 2, "{faces:?}");
    near_truth(&faces[0], left);
    near_truth(&faces[1], right);
}

#[test]
fn the_descriptor_declares_the_event() {
    let json = serde_json::to_value(filmstrip::class_descriptor::<FaceDetector>()).unwrap();
    assert_eq!(json["name"], "FaceDetectorFilter");
    assert_eq!(json["events"], json!(["FaceDetected"]));
    assert_eq!(json["filmstrip"]["analysisOnly"], true);
    assert!(json["filmstrip"].get("kurentoModule").is_none());
}
