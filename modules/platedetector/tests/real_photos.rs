//! Real photographs (`tests/data/plates-eu`, 53 European cars with ground truth): each is
//! shown to the filter as a still clip of [`real::FRAMES`] frames, and the share of plates
//! reported exactly, once, must stay at or above [`FLOOR`]; the parts of the photos above
//! and below their plates, as still clips too, must raise no event at all.

mod real;

/// Least share of photos whose plate must be reported exactly: the measured 48/53.
const FLOOR: f64 = 48.0 / 53.0;

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

#[test]
fn no_events_on_plate_free_crops() {
    let crops = real::plate_free_crops();
    assert!(crops.len() >= 60, "only {} crops", crops.len());
    let mut events = Vec::new();
    for (name, crop) in &crops {
        let (bytes, w, h) = real::bgrx(crop);
        let outcome = real::run_still(&bytes, w, h, real::FRAMES);
        for (plate, _) in outcome.reads {
            events.push(format!("{name}: {plate}"));
        }
    }
    println!("{} plate-free crops, events: {events:?}", crops.len());
    assert!(events.is_empty(), "events on plate-free crops: {events:?}");
}
