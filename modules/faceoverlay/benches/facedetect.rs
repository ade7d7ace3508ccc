//! Frames per second on one core: FaceOverlayFilter and FaceDetectorFilter against
//! GStreamer's own `facedetect` (gstreamer1.0-opencv), on the same clip of the astronaut
//! photo moving and scaling, measured side by side in one run.
//!
//! Each element sits in a `gst_check::Harness`, which pushes a buffer and pulls the result
//! in the calling thread; OpenCV is limited to one thread. The wall time of push and pull
//! alone is taken, and the calling thread's CPU time over the clip, which on a machine shared
//! with other jobs is what "one core" means. One face-free frame goes through first, so
//! loading the cascade is not timed.
//!
//! The detector and tracker alone are also timed on the same clips against those of the
//! previous release (`previous_release.rs`), and both are scored on still scenes of faces of
//! every size and of face-free pictures (`tests/common/scenes.rs`): recall by face size bucket.
//!
//! `cargo bench -p faceoverlay --bench facedetect`; prints two Markdown tables.

#[path = "../tests/common/mod.rs"]
mod common;
mod previous_release;

use common::scenes::{self, Scene, Scenes};
use common::{Box2, Composer, moving_face, solid_image, write_file};
use faceoverlay::DetectionPolicy;
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
    /// The frames as BGR pictures, for the detectors alone.
    pictures: Vec<Mat>,
    empty: Mat,
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
        pictures: frames,
        empty: composer.background(),
    }
}

/// Time spent inside `push` over the clip, after one untimed warm-up frame.
fn run(mut push: impl FnMut(gst::Buffer), warm_up: &[u8], frames: &[Vec<u8>]) -> Spent {
    push(gst::Buffer::from_mut_slice(warm_up.to_vec()));
    let mut wall = Duration::ZERO;
    let cpu = thread_cpu();
    for frame in frames {
        let buffer = gst::Buffer::from_mut_slice(frame.clone());
        let start = Instant::now();
        push(buffer);
        wall += start.elapsed();
    }
    Spent {
        wall,
        cpu: thread_cpu() - cpu,
    }
}

/// Time spent on a clip: wall time inside the element, and the CPU time of the thread doing
/// all the work (which also copies each frame into its buffer, about 1% of it). On a machine
/// shared with other jobs the CPU time is the fair measure of "one core".
#[derive(Clone, Copy)]
struct Spent {
    wall: Duration,
    cpu: Duration,
}

/// CPU time of the calling thread so far, from `/proc` (in clock ticks of 10 ms: the clips
/// take seconds).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // After the command name in parentheses come the fields from the third on; utime and
    // stime are the 14th and 15th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn facedetect(clip: &Clip) -> Spent {
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

fn ours<F: Filter>(clip: &Clip, setup: impl FnOnce(&Harness<F>)) -> Spent {
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

/// A fresh detector and tracker: a frame and its timestamp in, face boxes out.
type Detector = Box<dyn FnMut(&Mat, Option<Duration>) -> Vec<Box2>>;

/// The current detector and tracker with default settings, or detecting on every frame.
fn current(every_frame: bool) -> Detector {
    use faceoverlay::detector::{Settings, Tracker};
    let mut tracker = Tracker::default();
    let settings = Settings {
        policy: if every_frame {
            DetectionPolicy::EveryFrame
        } else {
            DetectionPolicy::Adaptive
        },
        detect_every: 3,
        detect_width: 320,
    };
    Box::new(move |frame, pts| {
        let faces = tracker.track(frame, pts, &settings).unwrap();
        faces.iter().map(|t| box2(&t.face)).collect()
    })
}

/// The previous release's detector and tracker, set as [`current`] sets the current one.
fn previous(every_frame: bool) -> Detector {
    use previous_release::{DetectionPolicy, Settings, Tracker};
    let mut tracker = Tracker::default();
    let settings = Settings {
        policy: if every_frame {
            DetectionPolicy::EveryFrame
        } else {
            DetectionPolicy::Adaptive
        },
        detect_every: 3,
        detect_width: 320,
    };
    Box::new(move |frame, pts| {
        let faces = tracker.track(frame, pts, &settings).unwrap();
        faces
            .iter()
            .map(|t| Box2 {
                x: t.face.x,
                y: t.face.y,
                w: t.face.width,
                h: t.face.height,
            })
            .collect()
    })
}

fn box2(face: &faceoverlay::detector::FaceBox) -> Box2 {
    Box2 {
        x: face.x,
        y: face.y,
        w: face.width,
        h: face.height,
    }
}

/// Time spent in `detector` over the clip at 30 fps, after one untimed face-free frame.
fn detector_alone(clip: &Clip, mut detector: Detector) -> Spent {
    detector(&clip.empty, Some(Duration::ZERO));
    let mut wall = Duration::ZERO;
    let cpu = thread_cpu();
    for (i, picture) in clip.pictures.iter().enumerate() {
        let pts = Duration::from_millis(33 * (i as u64 + 1));
        let start = Instant::now();
        detector(picture, Some(pts));
        wall += start.elapsed();
    }
    Spent {
        wall,
        cpu: thread_cpu() - cpu,
    }
}

/// Frames per still scene: as in `tests/recall.rs` at 640x480; at 1280x720 the search of
/// small faces takes more detections to cover the full-size picture (four times larger).
fn scene_frames(scene: &Scene) -> usize {
    if scene.frame.cols() > 640 { 14 } else { 6 }
}

/// The still scenes of the recall table: faces of every bucket at five positions at 640x480,
/// close-ups filling 640x480 and 1280x720, faces 30% and half out of each border and 40% and
/// 45% out of the top one, groups, and face-free parts of the photo.
fn scenes() -> Vec<Scene> {
    let vga = Scenes::new(640, 480);
    let positions = [
        (0.5, 0.5),
        (0.02, 0.03),
        (0.98, 0.97),
        (0.2, 0.8),
        (0.85, 0.25),
    ];
    let mut all = vga.sized(
        &[
            24.0, 27.0, 30.0, 34.0, 44.0, 56.0, 70.0, 96.0, 120.0, 140.0, 190.0, 250.0, 280.0,
            360.0,
        ],
        &positions,
    );
    all.push(vga.close_up());
    all.push(Scenes::new(1280, 720).close_up());
    for width in [40.0, 100.0, 250.0] {
        for border in ["left", "right", "top", "bottom"] {
            for out in [0.3, 0.5] {
                all.push(vga.cut(width, border, out));
            }
            if border == "top" {
                for out in [0.4, 0.45] {
                    all.push(vga.cut(width, border, out));
                }
            }
        }
    }
    all.push(vga.group(4, 3, 40.0));
    all.push(Scenes::new(1280, 720).group(6, 4, 48.0));
    all.extend(vga.face_free(&[60.0, 120.0, 240.0, 480.0]));
    all
}

/// Per group of scenes: faces found, faces shown, false boxes.
type Tally = Vec<(String, usize, usize, usize)>;

fn recall(scenes: &[Scene], make: fn(bool) -> Detector) -> Tally {
    let mut tally: Tally = Vec::new();
    for scene in scenes {
        let mut detector = make(true);
        let outcome = scenes::run(scene, scene_frames(scene), |frame| detector(frame, None));
        let at = tally
            .iter()
            .position(|g| g.0 == scene.group)
            .unwrap_or_else(|| {
                tally.push((scene.group.clone(), 0, 0, 0));
                tally.len() - 1
            });
        tally[at].1 += outcome.found;
        tally[at].2 += scene.faces.len();
        tally[at].3 += outcome.false_boxes;
    }
    tally
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

    let mut rows: Vec<(String, String, Spent)> = Vec::new();
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
        rows.push((
            "detector and tracker alone, previous release".into(),
            label.into(),
            detector_alone(clip, previous(false)),
        ));
        rows.push((
            "detector and tracker alone, this release".into(),
            label.into(),
            detector_alone(clip, current(false)),
        ));
    }

    println!(
        "| element | frame size | fps (wall) | fps per CPU second | CPU ms/frame | vs facedetect (CPU) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    let fps = |d: Duration| FRAMES as f64 / d.as_secs_f64();
    for (element, size, spent) in &rows {
        let reference = rows
            .iter()
            .find(|(e, s, _)| e.starts_with("facedetect") && s == size)
            .map(|(_, _, d)| fps(d.cpu))
            .unwrap();
        println!(
            "| {element} | {size} | {:.1} | {:.1} | {:.1} | {:.2}x |",
            fps(spent.wall),
            fps(spent.cpu),
            spent.cpu.as_secs_f64() * 1000.0 / FRAMES as f64,
            fps(spent.cpu) / reference
        );
    }

    let scenes = scenes();
    let before = recall(&scenes, previous);
    let after = recall(&scenes, current);
    println!();
    println!(
        "| faces | previous release: found | false boxes | this release: found | false boxes |"
    );
    println!("|---|---:|---:|---:|---:|");
    for ((group, found, total, false_boxes), (_, now_found, _, now_false)) in
        before.iter().zip(&after)
    {
        let share = |n: usize| {
            if *total == 0 {
                "-".to_string()
            } else {
                format!("{n}/{total} ({:.0}%)", 100.0 * n as f64 / *total as f64)
            }
        };
        println!(
            "| {group} | {} | {false_boxes} | {} | {now_false} |",
            share(*found),
            share(*now_found)
        );
    }
}
