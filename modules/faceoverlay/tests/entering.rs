//! A face entering the picture: the astronaut slides in across each border of a 640x480 clip
//! through FaceOverlayFilter, and the overlay must cover the visible part of the face from the
//! frame after the one where half of the face box came into view (that one frame is the
//! confirmation every new face waits for).

mod common;

use common::scenes::Scenes;
use common::{MAGENTA, count_color, frame_bytes, solid_image, write_file};
use faceoverlay::FaceOverlay;
use filmstrip::PixelFormat;
use filmstrip::testing::Harness;
use serde_json::json;

const W: i32 = 640;
const H: i32 = 480;
/// Width of the face box.
const FACE: f64 = 100.0;
/// Pixels the face moves per frame.
const STEP: f64 = 10.0;
/// Where the overlay goes around the face: a mask a little larger than the face box, so a
/// box a few pixels off still covers the face (as in `accuracy.rs`).
const MASK: [f64; 4] = [-0.15, -0.15, 1.3, 1.3];
/// Share of the visible part of the face box the overlay must paint.
const COVERED: f64 = 0.9;

#[test]
fn a_face_entering_from_the_left_is_overlaid_once_half_visible() {
    enters("left");
}

#[test]
fn a_face_entering_from_the_right_is_overlaid_once_half_visible() {
    enters("right");
}

#[test]
fn a_face_entering_from_the_top_is_overlaid_once_half_visible() {
    enters("top");
}

#[test]
fn a_face_entering_from_the_bottom_is_overlaid_once_half_visible() {
    enters("bottom");
}

/// Slides the face in across `border` (`left`, `right`, `top` or `bottom`), from one face size
/// out of the frame to one in, and checks the overlay from the frame after it is half visible.
fn enters(border: &str) {
    let dir = tempfile::tempdir().unwrap();
    let png = write_file(
        dir.path(),
        "mask.png",
        &solid_image([255, 0, 255, 255], 4, 32, ".png"),
    );
    let mut h = Harness::<FaceOverlay>::new(PixelFormat::Bgrx, W as u32, H as u32);
    h.invoke(
        "setOverlayedImage",
        json!([png, MASK[0], MASK[1], MASK[2], MASK[3]]),
    )
    .unwrap();
    // Detection on every frame, so that the test does not depend on the machine's speed.
    h.invoke("setDetectionPolicy", json!(["EVERY_FRAME"]))
        .unwrap();
    let scenes = Scenes::new(W, H);
    let (w, hh) = (f64::from(W), f64::from(H));
    let mut half_visible_at = None;
    let mut first_covered = None;
    // The face's centre from one face size out of the frame to one in.
    for frame in 0..=(2.0 * FACE / STEP) as usize {
        let travel = -FACE + STEP * frame as f64;
        let (cx, cy) = match border {
            "left" => (travel, hh / 2.0),
            "right" => (w - travel, hh / 2.0),
            "top" => (w / 2.0, travel),
            "bottom" => (w / 2.0, hh - travel),
            _ => panic!("no border {border}"),
        };
        let scene = scenes.face(FACE, cx, cy, "entering");
        let truth = scene.faces[0];
        let visible_w = ((truth.x + truth.w).min(w) - truth.x.max(0.0)).max(0.0);
        let visible_h = ((truth.y + truth.h).min(hh) - truth.y.max(0.0)).max(0.0);
        let out = h.push(&frame_bytes(&scene.frame, 4)).unwrap();
        let painted = count_color(&out, (W as usize, H as usize), 4, truth, MAGENTA);
        let covered = painted > 0 && painted as f64 >= COVERED * visible_w * visible_h;
        println!(
            "frame {frame}: {:.0}% of the face visible, {painted} px painted",
            100.0 * visible_w * visible_h / (truth.w * truth.h)
        );
        if visible_w * visible_h >= truth.w * truth.h / 2.0 {
            half_visible_at.get_or_insert(frame);
        }
        if covered {
            first_covered.get_or_insert(frame);
        }
        if let Some(half) = half_visible_at
            && frame > half
        {
            assert!(covered, "frame {frame}: the face is not covered");
        }
    }
    let (half, first) = (half_visible_at.unwrap(), first_covered.unwrap());
    println!("half of the face visible on frame {half}, first covered on frame {first}");
}
