//! Accuracy on clips of the astronaut photo moving and scaling over a face-free background,
//! at 640x480 and 1280x720, with face-free stretches before, between and after: the overlay
//! must cover the face in at least 95% of the face frames and appear on no face-free frame.
//!
//! The true face box of every frame follows from the composition: the photo's face box
//! (found once on the still photo) moved and scaled like the photo.

mod common;

use common::{
    Box2, Composer, MAGENTA, Placement, astronaut_face, centred, count_color, frame_bytes,
    moving_face, solid_image, write_file,
};
use faceoverlay::FaceOverlay;
use filmstrip::PixelFormat;
use filmstrip::testing::Harness;
use serde_json::json;

/// Where the overlay goes around the face: a mask a little larger than the face box, so a
/// box a few pixels off still covers the face.
const MASK: [f64; 4] = [-0.15, -0.15, 1.3, 1.3];
/// Share of the true face box the overlay must paint for the frame to count as covered.
const COVERED: f64 = 0.9;

/// One frame of a clip: the photo's placement, or `None` for background only.
type Shot = Option<Placement>;

/// 10 empty frames, `moving` frames of the photo moving and scaling between `scales`, 10
/// empty frames, 20 frames of the photo still at the centre, 5 empty frames.
fn clip(width: i32, height: i32, moving: usize, scales: (f64, f64)) -> Vec<Shot> {
    let mut shots = vec![None; 10];
    shots.extend(
        moving_face(width, height, moving, scales)
            .into_iter()
            .map(Some),
    );
    shots.extend(vec![None; 10]);
    let middle = (scales.0 + scales.1) / 2.0;
    shots.extend(vec![Some(centred(width, height, middle)); 20]);
    shots.extend(vec![None; 5]);
    shots
}

struct Score {
    face_frames: usize,
    covered: usize,
    empty_frames: usize,
    drawn_on_empty: usize,
}

/// Runs `shots` through a FaceOverlayFilter with `properties` (setter, value) set.
fn score(
    format: PixelFormat,
    width: i32,
    height: i32,
    shots: &[Shot],
    properties: &[(&str, serde_json::Value)],
) -> Score {
    let dir = tempfile::tempdir().unwrap();
    let png = write_file(
        dir.path(),
        "mask.png",
        &solid_image([255, 0, 255, 255], 4, 32, ".png"),
    );
    let channels = if format == PixelFormat::Bgr { 3 } else { 4 };
    let mut h = Harness::<FaceOverlay>::new(format, width as u32, height as u32);
    assert_eq!(h.info().stride()[0], width * channels, "no row padding");
    h.invoke(
        "setOverlayedImage",
        json!([png, MASK[0], MASK[1], MASK[2], MASK[3]]),
    )
    .unwrap();
    for (setter, value) in properties {
        h.invoke(setter, json!([value])).unwrap();
    }
    let composer = Composer::new(width, height);
    let face = astronaut_face();
    let size = (width as usize, height as usize);
    let everything = Box2 {
        x: 0.0,
        y: 0.0,
        w: width as f64,
        h: height as f64,
    };
    let mut score = Score {
        face_frames: 0,
        covered: 0,
        empty_frames: 0,
        drawn_on_empty: 0,
    };
    for shot in shots {
        let picture = shot.map_or_else(|| composer.background(), |at| composer.compose(at));
        let out = h.push(&frame_bytes(&picture, channels)).unwrap();
        let channels = channels as usize;
        match shot {
            Some(at) => {
                let truth = at.face(&face);
                let painted = count_color(&out, size, channels, truth, MAGENTA);
                score.face_frames += 1;
                score.covered += usize::from(painted as f64 >= COVERED * truth.w * truth.h);
            }
            None => {
                score.empty_frames += 1;
                score.drawn_on_empty +=
                    usize::from(count_color(&out, size, channels, everything, MAGENTA) > 0);
            }
        }
    }
    score
}

fn check(name: &str, score: Score) {
    let share = score.covered as f64 / score.face_frames as f64;
    println!(
        "{name}: face covered in {}/{} face frames ({:.1}%), overlay on {}/{} face-free frames",
        score.covered,
        score.face_frames,
        share * 100.0,
        score.drawn_on_empty,
        score.empty_frames
    );
    assert!(
        share >= 0.95,
        "{name}: face covered in only {:.1}% of frames",
        share * 100.0
    );
    assert_eq!(
        score.drawn_on_empty, 0,
        "{name}: overlay on face-free frames"
    );
}

#[test]
fn covers_the_moving_face_at_640x480() {
    let shots = clip(640, 480, 120, (0.5, 0.85));
    check("640x480", score(PixelFormat::Bgrx, 640, 480, &shots, &[]));
}

#[test]
fn covers_the_moving_face_at_1280x720() {
    let shots = clip(1280, 720, 90, (1.05, 1.35));
    check("1280x720", score(PixelFormat::Bgr, 1280, 720, &shots, &[]));
}

#[test]
fn tracking_carries_the_face_between_sparse_detections() {
    // One detection in six frames, whatever the timing. Cuts, new faces and changed pictures
    // under a face still force detections (about 60 of the 165 frames when measured), so the
    // tracks alone place the overlay on the other ~100.
    let shots = clip(640, 480, 120, (0.5, 0.85));
    let properties = [
        ("setDetectionPolicy", json!("EVERY_NTH")),
        ("setDetectEvery", json!(6)),
    ];
    check(
        "640x480, every 6th frame",
        score(PixelFormat::Bgrx, 640, 480, &shots, &properties),
    );
}
