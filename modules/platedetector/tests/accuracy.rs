//! Accuracy on synthetic street scenes from `plategen` (a fixed seed, so every run sees the
//! same scenes): 60 plates of three formats at 1280x720, each shown for 15 frames, must be
//! reported with the exact text at least 95% of the time, once each; 300 plate-free frames
//! of the same clutter must raise no event at all.
//!
//! Prints a table per format, and each miss with what was reported instead.

use filmstrip::PixelFormat;
use filmstrip::testing::Harness;
use platedetector::PlateDetector;
use plategen::{Generator, PlateFormat, bytes};
use std::collections::BTreeMap;

/// The scenes' seed, unless `PLATEGEN_SEED` names another.
const SEED: u64 = 2026;
const WIDTH: i32 = 1280;
const HEIGHT: i32 = 720;
/// Plates of each format.
const PLATES_PER_FORMAT: usize = 20;
/// Frames each plate is shown.
const FRAMES_PER_PLATE: usize = 15;
/// Plate-free frames, in shots of this many frames each.
const EMPTY_FRAMES: usize = 300;
const EMPTY_SHOT: usize = 15;
/// Share of plates that must be read exactly.
const TARGET: f64 = 0.95;

fn plates(events: &[filmstrip::EmittedEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.fields["plate"].as_str().unwrap().to_string())
        .collect()
}

#[derive(Default)]
struct Tally {
    plates: usize,
    exact: usize,
    wrong: usize,
    repeated: usize,
}

#[test]
fn reads_synthetic_plates_and_nothing_else() {
    // Another seed shows the same accuracy holds on other scenes: PLATEGEN_SEED=7.
    let seed = std::env::var("PLATEGEN_SEED").map_or(SEED, |s| s.parse().expect("a number"));
    let mut generator = Generator::new(seed, WIDTH, HEIGHT).unwrap();
    let mut h = Harness::<PlateDetector>::new(PixelFormat::Bgr, WIDTH as u32, HEIGHT as u32);
    let mut tallies: BTreeMap<PlateFormat, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    for n in 0..PLATES_PER_FORMAT * PlateFormat::ALL.len() {
        let format = PlateFormat::ALL[n % PlateFormat::ALL.len()];
        let shot = generator.plate_shot(format, FRAMES_PER_PLATE);
        let truth = shot.registration.text();
        let mut reported = Vec::new();
        for frame in &shot.frames {
            h.push(&bytes(frame)).unwrap();
            reported.extend(plates(&h.events()));
        }
        let tally = tallies.entry(format).or_default();
        tally.plates += 1;
        let exact = reported.iter().filter(|p| **p == truth).count();
        tally.exact += usize::from(exact > 0);
        tally.wrong += reported.iter().filter(|p| **p != truth).count();
        tally.repeated += exact.saturating_sub(1);
        if exact != 1 || reported.len() != 1 {
            misses.push(format!(
                "{:8} {truth:9} plate {n:2}: reported {reported:?}",
                format.name()
            ));
        }
    }

    let mut false_events = Vec::new();
    for _ in 0..EMPTY_FRAMES / EMPTY_SHOT {
        for frame in generator.empty_shot(EMPTY_SHOT) {
            h.push(&bytes(&frame)).unwrap();
            false_events.extend(plates(&h.events()));
        }
    }

    println!("| format | plates | exact | wrong reports | repeated reports |");
    println!("| --- | --- | --- | --- | --- |");
    let mut total = Tally::default();
    for (format, t) in &tallies {
        println!(
            "| {} | {} | {} ({:.0}%) | {} | {} |",
            format.name(),
            t.plates,
            t.exact,
            100.0 * t.exact as f64 / t.plates as f64,
            t.wrong,
            t.repeated
        );
        total.plates += t.plates;
        total.exact += t.exact;
        total.wrong += t.wrong;
        total.repeated += t.repeated;
    }
    let share = total.exact as f64 / total.plates as f64;
    println!(
        "| all | {} | {} ({:.1}%) | {} | {} |",
        total.plates,
        total.exact,
        100.0 * share,
        total.wrong,
        total.repeated
    );
    println!(
        "plate-free frames: {EMPTY_FRAMES}, events: {}",
        false_events.len()
    );
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        share >= TARGET,
        "only {:.1}% of plates read exactly",
        100.0 * share
    );
    assert_eq!(total.repeated, 0, "plates reported twice in one appearance");
    assert!(
        false_events.is_empty(),
        "events on plate-free frames: {false_events:?}"
    );
}
