//! Frames per second on one core: FaceOverlayFilter and FaceDetectorFilter against
//! GStreamer's own `facedetect` (gstreamer1.0-opencv), on the same clip of the astronaut
//! photo moving and scaling, measured side by side in one run.
//!
//! Each element sits in a `gst_check::Harness`, which pushes a buffer and pulls the result
//! in the calling thread; OpenCV is limited to one thread. Only push and pull are timed:
//! making each frame's buffer is not. One face-free frame goes through first, so loading
//! the cascade is not timed either.
//!
//! `cargo bench -p faceoverlay --bench facedetect`; prints a Markdown table.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Composer, moving_face, solid_image, write_file};
use faceoverlay::detector::CASCADE;
use faceoverlay::{FaceDetector, FaceOverlay};
use filmstrip::gst;
use filmstrip::opencv::core::Mat;
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{Filter, PixelFormat};
use serde_json::json;
use std::time::{Duration, Instant};

/// Frames per clip.
const FRAMES: usize = 150;

/// One clip: its frames, BGR and RGB, and a face-free frame for warming up.
struct Clip {
    width: i32,
    height: i32,
    bgr: Vec<Vec<u8>>,
    rgb: Vec<Vec<u8>>,
    empty_bgr: Vec<u8>,
    empty_rgb: Vec<u8>,
}

fn bytes(mat: &Mat, code: Option<i32>) -> Vec<u8> {
    let Some(code) = code else {
        return mat.data_bytes().unwrap().to_vec();
    };
    let mut converted = Mat::default();
    imgproc::cvt_color_def(mat, &mut converted, code).unwrap();
    converted.data_bytes().unwrap().to_vec()
}

fn clip(width: i32, height: i32, scales: (f64, f64)) -> Clip {
    let composer = Composer::new(width, height);
    let frames: Vec<Mat> = moving_face(width, height, FRAMES, scales)
        .into_iter()
        .map(|at| composer.compose(at))
        .collect();
    let rgb = Some(imgproc::COLOR_BGR2RGB);
    Clip {
        width,
        height,
        bgr: frames.iter().map(|f| bytes(f, None)).collect(),
        rgb: frames.iter().map(|f| bytes(f, rgb)).collect(),
        empty_bgr: bytes(&composer.background(), None),
        empty_rgb: bytes(&composer.background(), rgb),
    }
}

/// Time spent inside `push` over the clip, after one untimed warm-up frame.
fn run(mut push: impl FnMut(gst::Buffer), warm_up: &[u8], frames: &[Vec<u8>]) -> Duration {
    push(gst::Buffer::from_mut_slice(warm_up.to_vec()));
    let mut spent = Duration::ZERO;
    for frame in frames {
        let buffer = gst::Buffer::from_mut_slice(frame.clone());
        let start = Instant::now();
        push(buffer);
        spent += start.elapsed();
    }
    spent
}

fn facedetect(clip: &Clip) -> Duration {
    // The same cascade and detection settings as ours (scale 1.1, 3 neighbours, faces from
    // 1/20 of the width); facedetect detects on the full frame, every frame.
    let min = clip.width / 20;
    let mut h = gst_check::Harness::new_parse(&format!(
        "facedetect profile={CASCADE} scale-factor=1.1 min-neighbors=3 \
         min-size-width={min} min-size-height={min} updates=on_change"
    ));
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", "RGB")
        .field("width", clip.width)
        .field("height", clip.height)
        .field("framerate", gst::Fraction::new(30, 1))
        .build();
    h.set_src_caps(caps);
    let mut pts = 0;
    run(
        |mut buffer| {
            buffer
                .get_mut()
                .unwrap()
                .set_pts(gst::ClockTime::from_mseconds(pts));
            pts += 33;
            h.push(buffer).unwrap();
            h.pull().unwrap();
        },
        &clip.empty_rgb,
        &clip.rgb,
    )
}

fn ours<F: Filter>(clip: &Clip, setup: impl FnOnce(&Harness<F>)) -> Duration {
    let mut h = Harness::<F>::new(PixelFormat::Bgr, clip.width as u32, clip.height as u32);
    setup(&h);
    run(
        |buffer| {
            h.push_buffer(buffer).unwrap();
        },
        &clip.empty_bgr,
        &clip.bgr,
    )
}

fn main() {
    gst::init().unwrap();
    filmstrip::opencv::core::set_num_threads(1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hat = write_file(
        dir.path(),
        "hat.png",
        &solid_image([30, 200, 250, 200], 4, 128, ".png"),
    );
    let with_hat = |h: &Harness<FaceOverlay>| {
        h.invoke("setOverlayedImage", json!([hat, -0.35, -1.2, 1.6, 1.6]))
            .unwrap();
    };

    let mut rows: Vec<(String, String, Duration)> = Vec::new();
    let vga = clip(640, 480, (0.5, 0.85));
    let hd = clip(1280, 720, (1.05, 1.35));
    for (clip, label) in [(&vga, "640x480"), (&hd, "1280x720")] {
        rows.push((
            "facedetect (GStreamer)".into(),
            label.into(),
            facedetect(clip),
        ));
        rows.push((
            "FaceOverlayFilter".into(),
            label.into(),
            ours::<FaceOverlay>(clip, with_hat),
        ));
        rows.push((
            "FaceDetectorFilter".into(),
            label.into(),
            ours::<FaceDetector>(clip, |_| ()),
        ));
        rows.push((
            "FaceOverlayFilter, detectionPolicy=EVERY_FRAME".into(),
            label.into(),
            ours::<FaceOverlay>(clip, |h| {
                with_hat(h);
                h.invoke("setDetectionPolicy", json!(["EVERY_FRAME"]))
                    .unwrap();
            }),
        ));
    }

    println!("| element | frame size | fps (one core) | ms/frame | vs facedetect |");
    println!("|---|---|---:|---:|---:|");
    for (element, size, spent) in &rows {
        let fps = FRAMES as f64 / spent.as_secs_f64();
        let reference = rows
            .iter()
            .find(|(e, s, _)| e.starts_with("facedetect") && s == size)
            .map(|(_, _, d)| FRAMES as f64 / d.as_secs_f64())
            .unwrap();
        println!(
            "| {element} | {size} | {fps:.1} | {:.1} | {:.2}x |",
            spent.as_secs_f64() * 1000.0 / FRAMES as f64,
            fps / reference
        );
    }
}
