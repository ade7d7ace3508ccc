//! Frames per second on one core at 1280x720: PlateDetectorFilter on a clip of synthetic
//! plates (8 plates, 15 frames each) and on a plate-free clip of the same clutter, next to
//! a plain OpenCV pass over the same frames (grey conversion and Canny, the first step of
//! Kurento's plate detector) measured in the same run; and Tesseract's time per candidate.
//!
//! The filter sits in the test harness, which pushes a buffer and pulls the result in the
//! calling thread; OpenCV is limited to one thread, Tesseract runs on the calling thread
//! (see `reader`). Only pushing is timed, not making the frames. One untimed plate shot goes
//! through first, so loading Tesseract is not timed either.
//!
//! `cargo bench -p platedetector --bench platedetect`; prints Markdown tables.

use filmstrip::PixelFormat;
use filmstrip::opencv::core::{Mat, set_num_threads};
use filmstrip::opencv::imgproc;
use filmstrip::testing::Harness;
use platedetector::PlateDetector;
use platedetector::candidates::Finder;
use platedetector::reader::Reader;
use plategen::{Generator, PlateFormat, Shot, bytes};
use std::time::{Duration, Instant};

const WIDTH: i32 = 1280;
const HEIGHT: i32 = 720;
const SHOTS: usize = 8;
const FRAMES_PER_SHOT: usize = 15;

/// Time spent in `push` over `frames`.
fn timed(frames: &[Vec<u8>], mut push: impl FnMut(&[u8])) -> Duration {
    let mut spent = Duration::ZERO;
    for frame in frames {
        let start = Instant::now();
        push(frame);
        spent += start.elapsed();
    }
    spent
}

/// PlateDetectorFilter over `frames` after warming up on `warm_up`; also the events raised.
fn filter(frames: &[Vec<u8>], warm_up: &[Vec<u8>]) -> (Duration, usize) {
    let mut h = Harness::<PlateDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32);
    for frame in warm_up {
        h.push(frame).unwrap();
    }
    h.events();
    let spent = timed(frames, |frame| {
        h.push(frame).unwrap();
    });
    (spent, h.events().len())
}

/// Grey conversion and Canny over `frames`: the cheapest pass a plate detector starts with.
fn opencv_pass(frames: &[Mat]) -> Duration {
    let (mut grey, mut edges) = (Mat::default(), Mat::default());
    let mut spent = Duration::ZERO;
    for frame in frames {
        let start = Instant::now();
        imgproc::cvt_color_def(frame, &mut grey, imgproc::COLOR_BGR2GRAY).unwrap();
        imgproc::canny_def(&grey, &mut edges, 70.0, 150.0).unwrap();
        spent += start.elapsed();
    }
    spent
}

/// Tesseract's time for each candidate lying on a plate, in every third frame of each shot.
fn ocr_times(shots: &[Shot]) -> Vec<Duration> {
    let (mut finder, mut reader) = (Finder::default(), Reader::default());
    let mut times = Vec::new();
    for shot in shots {
        for (frame, plate) in shot.frames.iter().zip(&shot.boxes).step_by(3) {
            for candidate in finder.find(frame, 0.25).unwrap() {
                if (candidate.bounds & *plate).area() == 0 {
                    continue;
                }
                let start = Instant::now();
                reader.read(frame, &candidate).unwrap();
                times.push(start.elapsed());
            }
        }
    }
    times
}

fn main() {
    filmstrip::gst::init().unwrap();
    set_num_threads(1).unwrap();
    let mut generator = Generator::new(99, WIDTH, HEIGHT).unwrap();
    let warm_up: Vec<Vec<u8>> = generator
        .plate_shot(PlateFormat::Uk, FRAMES_PER_SHOT)
        .frames
        .iter()
        .map(bytes)
        .collect();
    let shots: Vec<Shot> = (0..SHOTS)
        .map(|n| {
            generator.plate_shot(
                PlateFormat::ALL[n % PlateFormat::ALL.len()],
                FRAMES_PER_SHOT,
            )
        })
        .collect();
    let plates: Vec<Mat> = shots.iter().flat_map(|s| s.frames.clone()).collect();
    let empty: Vec<Mat> = (0..SHOTS)
        .flat_map(|_| generator.empty_shot(FRAMES_PER_SHOT))
        .collect();
    let plate_bytes: Vec<Vec<u8>> = plates.iter().map(bytes).collect();
    let empty_bytes: Vec<Vec<u8>> = empty.iter().map(bytes).collect();

    // Twice: the first pass loads Tesseract.
    ocr_times(&shots[..1]);
    let mut ocr = ocr_times(&shots);
    let reads = ocr.len();
    ocr.sort();

    println!(
        "| pass | clip (1280x720, {} frames) | fps (one core) | ms/frame | events | vs OpenCV pass |",
        plates.len()
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (clip, mats, frames) in [
        ("8 plates", &plates, &plate_bytes),
        ("no plates", &empty, &empty_bytes),
    ] {
        let peer = opencv_pass(mats);
        let (ours, events) = filter(frames, &warm_up);
        let fps = |d: Duration| frames.len() as f64 / d.as_secs_f64();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / frames.len() as f64;
        println!(
            "| cvtColor + Canny (OpenCV) | {clip} | {:.1} | {:.2} | - | 1.00x |",
            fps(peer),
            ms(peer)
        );
        println!(
            "| PlateDetectorFilter | {clip} | {:.1} | {:.2} | {events} | {:.2}x |",
            fps(ours),
            ms(ours),
            fps(ours) / fps(peer)
        );
    }
    let mean = ocr.iter().sum::<Duration>().as_secs_f64() * 1000.0 / ocr.len().max(1) as f64;
    let median = ocr
        .get(ocr.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let max = ocr.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!();
    println!(
        "| OCR of one candidate (rectify, binarise, Tesseract) | candidates | mean ms | median ms | max ms |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| plates of the clip, every third frame | {reads} | {mean:.1} | {median:.1} | {max:.1} |"
    );
}
