//! Real photographs (`tests/data/plates-eu`, 53 European cars with ground truth): each is
//! shown to the filter as a still clip of [`real::FRAMES`] frames, and the share of plates
//! reported exactly, once, must stay at or above [`FLOOR`].

mod real;

/// Least share of photos whose plate must be reported exactly.
const FLOOR: f64 = 0.0;

#[test]
fn reads_real_plates() {
    let rows = real::run_all(real::FRAMES, true);
    let exact = rows.iter().filter(|r| r.exact()).count();
    let wrong: usize = rows.iter().map(|r| r.wrong()).sum();
    let share = exact as f64 / rows.len() as f64;
    println!(
        "exact: {exact}/{} ({:.1}%), wrong reports: {wrong}",
        rows.len(),
        100.0 * share
    );
    assert!(share >= FLOOR, "only {:.1}% read exactly", 100.0 * share);
}
