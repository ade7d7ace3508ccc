//! The real photographs of `tests/data/plates-eu` through PlateDetectorFilter: prints the
//! table of what was read in each (photo, truth, read, confidence, time), then the
//! exact-read rate and the frames per second on one core, decoding excluded (frames pushed
//! through the filter in the test harness) and included (each frame decoded from its JPEG
//! with OpenCV, converted to BGRx and pushed).
//!
//! Each photo is a still clip of `real::FRAMES` frames shown to a fresh filter, as in
//! `tests/real_photos.rs`; one untimed photo goes first, so loading Tesseract is not timed.
//!
//! `cargo bench -p platedetector --bench plates`

#[path = "../tests/real/mod.rs"]
mod real;

use filmstrip::opencv::core::set_num_threads;
use std::time::{Duration, Instant};

fn main() {
    filmstrip::gst::init().unwrap();
    set_num_threads(1).unwrap();
    let photos = real::photos();
    // Warm-up: Tesseract's model loads once per process.
    let (bytes, w, h) = real::decode(&photos[0].path);
    real::run_still(&bytes, w, h, 2);

    let rows = real::run_all(real::FRAMES, true);
    let exact = rows.iter().filter(|r| r.exact()).count();
    let strict = rows
        .iter()
        .filter(|r| r.outcome.reads.len() == 1 && r.outcome.reads[0].0 == r.truth)
        .count();
    let wrong: usize = rows.iter().map(|r| r.wrong()).sum();
    let none = rows.iter().filter(|r| r.outcome.reads.is_empty()).count();
    let frames = rows.len() * real::FRAMES;
    let filter: Duration = rows.iter().map(|r| r.outcome.spent).sum();

    // Decoding included: every frame decoded from the JPEG file again.
    let mut with_decode = Duration::ZERO;
    for photo in &photos {
        let start = Instant::now();
        let mut harness = None;
        for _ in 0..real::FRAMES {
            let (bytes, w, h) = real::decode(&photo.path);
            let harness = harness.get_or_insert_with(|| real::Still::new(w, h));
            harness.push(&bytes);
        }
        with_decode += start.elapsed();
    }

    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| plates read exactly, once (O = 0) | {exact}/{} ({:.1}%) |",
        rows.len(),
        100.0 * exact as f64 / rows.len() as f64
    );
    println!(
        "| plates read exactly, once (strict) | {strict}/{} ({:.1}%) |",
        rows.len(),
        100.0 * strict as f64 / rows.len() as f64
    );
    println!("| wrong reports | {wrong} |");
    println!("| photos with no report | {none} |");
    println!(
        "| fps, decoding excluded ({frames} frames) | {:.1} |",
        frames as f64 / filter.as_secs_f64()
    );
    println!(
        "| fps, decoding included | {:.1} |",
        frames as f64 / with_decode.as_secs_f64()
    );
}
