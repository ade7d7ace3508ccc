//! The real photographs of `tests/data/plates-eu` (see its README): loading them with their
//! ground truth, and running each as a short still clip through `PlateDetectorFilter` in the
//! test harness. Shared by `tests/real_photos.rs` and `benches/plates.rs`.

#![allow(dead_code)]

use filmstrip::PixelFormat;
use filmstrip::opencv::core::{Mat, Rect};
use filmstrip::opencv::imgcodecs;
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::testing::Harness;
use platedetector::PlateDetector;
use platedetector::text::normalise;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Frames each photo is shown for: a third of a second at 30 fps.
pub const FRAMES: usize = 10;

/// One photograph and its ground truth.
pub struct Photo {
    /// File name without the extension, e.g. `test_002`.
    pub name: String,
    pub path: PathBuf,
    /// The registration as the reported form writes it: letters and digits, no spaces or
    /// dashes.
    pub truth: String,
    /// The plate's box in pixels.
    pub plate: Rect,
}

/// The set's directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plates-eu")
}

/// Every photo of the set, by name; only those `PLATES_ONLY` names (`test_008,test_046`), if
/// set.
pub fn photos() -> Vec<Photo> {
    let mut photos: Vec<Photo> = std::fs::read_dir(dir())
        .expect("tests/data/plates-eu exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "txt").then_some(path)
        })
        .map(|txt| {
            let line = std::fs::read_to_string(&txt).unwrap();
            // `NAME.jpg x y width height PLATE` (the plate may hold spaces).
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(fields.len() >= 6, "{}: {line:?}", txt.display());
            let n = |i: usize| fields[i].parse::<i32>().unwrap();
            Photo {
                name: txt.file_stem().unwrap().to_string_lossy().into_owned(),
                path: txt.with_file_name(fields[0]),
                truth: normalise(&fields[5..].join("")),
                plate: Rect::new(n(1), n(2), n(3), n(4)),
            }
        })
        .collect();
    photos.sort_by(|a, b| a.name.cmp(&b.name));
    if let Ok(only) = std::env::var("PLATES_ONLY") {
        photos.retain(|p| only.split(',').any(|n| n == p.name));
    }
    photos
}

/// Whether `read` is the registration `truth`: exactly, except that the letter O and the
/// digit 0 are one character. Several plates of the set (Croatian, Bosnian) print them with
/// one glyph, and the ground truth writes some of them O where the plate's format has a
/// digit (`RKO99AN` for RK 099-AN) and others 0; no reader can tell which one the
/// annotator typed.
pub fn same_plate(read: &str, truth: &str) -> bool {
    let fold = |s: &str| s.replace('O', "0");
    fold(read) == fold(truth)
}

/// Decodes a photo into BGRx bytes (the harness's layout) with its size.
///
/// `PLATES_SCALE=0.8` (say) scales every photo first: a check that the rate does not
/// hang on the photos' exact sizes.
pub fn decode(path: &Path) -> (Vec<u8>, i32, i32) {
    let bgr = imgcodecs::imread(path.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    assert!(!bgr.empty(), "cannot decode {}", path.display());
    bgrx(&scaled(bgr))
}

/// `bgr` scaled by `PLATES_SCALE`, if set.
pub fn scaled(bgr: Mat) -> Mat {
    match std::env::var("PLATES_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(scale) => {
            let mut scaled = Mat::default();
            let size = filmstrip::opencv::core::Size::new(
                (f64::from(bgr.cols()) * scale).round() as i32,
                (f64::from(bgr.rows()) * scale).round() as i32,
            );
            imgproc::resize(&bgr, &mut scaled, size, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
            scaled
        }
        None => bgr,
    }
}

/// A BGR picture as BGRx bytes, with its size.
pub fn bgrx(bgr: &Mat) -> (Vec<u8>, i32, i32) {
    let mut out = Mat::default();
    imgproc::cvt_color_def(bgr, &mut out, imgproc::COLOR_BGR2BGRA).unwrap();
    let out = out.try_clone().unwrap();
    (out.data_bytes().unwrap().to_vec(), bgr.cols(), bgr.rows())
}

/// What the filter reported for one still clip.
pub struct Outcome {
    /// Each `PlateDetected`: plate and confidence.
    pub reads: Vec<(String, f64)>,
    /// Time spent pushing the frames (decoding excluded).
    pub spent: Duration,
}

/// Shows `bytes` (BGRx, `w`x`h`) for `frames` frames to a fresh filter.
pub fn run_still(bytes: &[u8], w: i32, h: i32, frames: usize) -> Outcome {
    let mut harness = Harness::<PlateDetector>::new(PixelFormat::Bgrx, w as u32, h as u32);
    let mut reads = Vec::new();
    let mut spent = Duration::ZERO;
    for _ in 0..frames {
        let start = Instant::now();
        harness.push(bytes).unwrap();
        spent += start.elapsed();
        for event in harness.events() {
            reads.push((
                event.fields["plate"].as_str().unwrap().to_string(),
                event.fields["confidence"].as_f64().unwrap(),
            ));
        }
    }
    Outcome { reads, spent }
}

/// One photo's line of the table.
pub struct Row {
    pub name: String,
    pub truth: String,
    pub outcome: Outcome,
}

impl Row {
    pub fn exact(&self) -> bool {
        self.outcome.reads.len() == 1 && same_plate(&self.outcome.reads[0].0, &self.truth)
    }
    /// Reports that are not the plate.
    pub fn wrong(&self) -> usize {
        self.outcome
            .reads
            .iter()
            .filter(|(read, _)| !same_plate(read, &self.truth))
            .count()
    }
}

/// Runs every photo; prints a Markdown table if `print`.
pub fn run_all(frames: usize, print: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    if print {
        println!("| photo | truth | read | confidence | ms/frame | exact |");
        println!("|---|---|---|---:|---:|---|");
    }
    for photo in photos() {
        let (bytes, w, h) = decode(&photo.path);
        let outcome = run_still(&bytes, w, h, frames);
        let row = Row {
            name: photo.name,
            truth: photo.truth,
            outcome,
        };
        if print {
            let read: Vec<&str> = row.outcome.reads.iter().map(|r| r.0.as_str()).collect();
            let confidence: Vec<String> = row
                .outcome
                .reads
                .iter()
                .map(|r| format!("{:.2}", r.1))
                .collect();
            println!(
                "| {} | {} | {} | {} | {:.1} | {} |",
                row.name,
                row.truth,
                if read.is_empty() {
                    "-".to_string()
                } else {
                    read.join(" ")
                },
                confidence.join(" "),
                row.outcome.spent.as_secs_f64() * 1000.0 / frames as f64,
                if row.exact() { "yes" } else { "no" }
            );
        }
        rows.push(row);
    }
    rows
}

/// A filter fed with one photo's frames, for timing decode and filter together.
pub struct Still {
    harness: Harness<PlateDetector>,
    pub events: usize,
}

impl Still {
    pub fn new(w: i32, h: i32) -> Self {
        Self {
            harness: Harness::new(PixelFormat::Bgrx, w as u32, h as u32),
            events: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.harness.push(bytes).unwrap();
        self.events += self.harness.events().len();
    }
}

/// Plate-free real pictures: from each photo, the part above its plate and the part below
/// it (each kept when at least a quarter of the photo's height), cut a plate's height away
/// from the plate so that no piece of it shows; scaled by `PLATES_SCALE` too.
pub fn plate_free_crops() -> Vec<(String, Mat)> {
    let mut crops = Vec::new();
    for photo in photos() {
        let picture =
            imgcodecs::imread(photo.path.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
        let (w, h) = (picture.cols(), picture.rows());
        let p = photo.plate;
        let above = p.y - p.height;
        let below = p.y + 2 * p.height;
        for (part, rect) in [
            ("above", Rect::new(0, 0, w, above)),
            ("below", Rect::new(0, below, w, h - below)),
        ] {
            if rect.height >= h / 4 && rect.y >= 0 && rect.y + rect.height <= h {
                let crop = Mat::roi(&picture, rect).unwrap().try_clone().unwrap();
                crops.push((format!("{} {part}", photo.name), scaled(crop)));
            }
        }
    }
    crops
}
