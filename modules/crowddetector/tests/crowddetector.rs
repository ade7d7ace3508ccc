//! CrowdDetectorFilter through the test harness, on a generated clip: a still background,
//! then a textured "crowd" filling most of the left region and scrolling right, then
//! standing still, then gone. Direction, fluidity and occupancy events arrive when their
//! frame counts say, with the levels the clip implies, and only for the region the crowd is in.

use crowddetector::CrowdDetector;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};

const WIDTH: usize = 320;
const HEIGHT: usize = 240;
/// The crowd covers x in 10..150 and y in 20..220 of the left region (x 0..160).
const CROWD: (usize, usize, usize, usize) = (10, 150, 20, 220);

/// Grey 8-bit frame: a smooth background, with the crowd's texture scrolled right by `shift`
/// pixels when `crowd` is set.
fn frame(crowd: bool, shift: usize) -> Vec<u8> {
    let mut frame = vec![0u8; WIDTH * HEIGHT];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let background = 110 + (x / 16 + y / 24) as u8;
            let (x0, x1, y0, y1) = CROWD;
            let inside = crowd && (x0..x1).contains(&x) && (y0..y1).contains(&y);
            frame[y * WIDTH + x] = if inside {
                texture(x + 1000 - shift, y)
            } else {
                background
            };
        }
    }
    frame
}

/// Blocks of 6x6 pixels, dark or bright at random, far from the background's grey: people.
fn texture(x: usize, y: usize) -> u8 {
    let block = (x / 6) as u64 * 7919 + (y / 6) as u64 * 104_729;
    let hash = block.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59;
    if hash.is_multiple_of(2) {
        20 + hash as u8 * 3
    } else {
        200 + hash as u8
    }
}

fn region(id: &str, x0: f64, x1: f64) -> Value {
    json!({
        "id": id,
        "points": [{"x": x0, "y": 0.0}, {"x": x1, "y": 0.0}, {"x": x1, "y": 1.0}, {"x": x0, "y": 1.0}],
        "regionOfInterestConfig": {"sendOpticalFlowEvent": true},
    })
}

/// `(frame, type, roiId, level or angle)` of the events of one push.
fn push(
    h: &mut Harness<CrowdDetector>,
    index: usize,
    input: &[u8],
) -> Vec<(usize, String, String, f64)> {
    assert_eq!(h.push(input).unwrap(), input, "frames pass unchanged");
    h.events()
        .into_iter()
        .map(|e| {
            let value = ["occupancyLevel", "fluidityLevel", "directionAngle"]
                .iter()
                .find_map(|k| e.fields.get(*k))
                .and_then(Value::as_f64)
                .unwrap();
            let roi = e.fields["roiId"].as_str().unwrap().to_string();
            (index, e.event_type, roi, value)
        })
        .collect()
}

#[test]
fn a_crowd_arriving_flowing_stopping_and_leaving_raises_each_event_once() {
    let mut h = Harness::<CrowdDetector>::new(PixelFormat::Gray8, WIDTH as u32, HEIGHT as u32);
    h.construct(json!({ "rois": [region("left", 0.0, 0.5), region("right", 0.5, 1.0)] }))
        .unwrap();
    let mut events = Vec::new();
    let mut index = 0;
    let mut run = |h: &mut Harness<CrowdDetector>, frames: usize, crowd: bool, moving: bool| {
        for i in 0..frames {
            let shift = if moving { 3 * i } else { 0 };
            events.extend(push(h, index, &frame(crowd, shift)));
            index += 1;
        }
    };
    run(&mut h, 10, false, false); // frames 0..10: empty
    run(&mut h, 20, true, true); // 10..30: the crowd arrives scrolling right
    run(&mut h, 20, true, false); // 30..50: it stands still
    run(&mut h, 20, false, false); // 50..70: it has gone
    let kinds: Vec<(&str, &str, f64)> = events
        .iter()
        .map(|(_, kind, roi, value)| (kind.as_str(), roi.as_str(), *value))
        .collect();
    assert_eq!(
        kinds,
        [
            ("CrowdDetectorDirection", "left", 180.0),
            ("CrowdDetectorFluidity", "left", 3.0),
            ("CrowdDetectorOccupancy", "left", 3.0),
            ("CrowdDetectorFluidity", "left", 0.0),
            ("CrowdDetectorOccupancy", "left", 0.0),
        ],
        "{events:?}"
    );
    // A direction needs 3 frames of the same shift (from frame 11, the first with a previous
    // crowd frame), a level 5 frames: each event comes that soon after its cause.
    let frame_of = |i: usize| events[i].0;
    assert!((13..=14).contains(&frame_of(0)), "{events:?}");
    assert!((14..=15).contains(&frame_of(1)), "{events:?}");
    assert!((14..=15).contains(&frame_of(2)), "{events:?}");
    assert!((34..=36).contains(&frame_of(3)), "{events:?}");
    assert!((54..=56).contains(&frame_of(4)), "{events:?}");
}

#[test]
fn levels_thresholds_and_angle_offset_come_from_the_region_config() {
    let mut h = Harness::<CrowdDetector>::new(PixelFormat::Gray8, WIDTH as u32, HEIGHT as u32);
    // The crowd covers 140x200 of 320x240 pixels: 36% of the frame, level 1 of 30/50/90.
    let mut roi = region("all", 0.0, 1.0);
    roi["regionOfInterestConfig"] = json!({
        "occupancyLevelMin": 30, "occupancyLevelMed": 50, "occupancyLevelMax": 90,
        "occupancyNumFramesToEvent": 2, "fluidityNumFramesToEvent": 2,
        "sendOpticalFlowEvent": true, "opticalFlowNumFramesToEvent": 2,
        "opticalFlowAngleOffset": 90,
    });
    h.construct(json!({ "rois": [roi] })).unwrap();
    let mut events = Vec::new();
    for i in 0..12 {
        let input = frame(i > 0, 3 * i);
        assert_eq!(h.push(&input).unwrap(), input);
        events.extend(h.events());
    }
    let occupancy = events
        .iter()
        .find(|e| e.event_type == "CrowdDetectorOccupancy")
        .expect("an occupancy event");
    assert_eq!(occupancy.fields["occupancyLevel"], json!(1), "{events:?}");
    let percentage = occupancy.fields["occupancyPercentage"].as_f64().unwrap();
    assert!((33.0..40.0).contains(&percentage), "{percentage}");
    let direction = events
        .iter()
        .find(|e| e.event_type == "CrowdDetectorDirection")
        .expect("a direction event");
    assert_eq!(
        direction.fields["directionAngle"],
        json!(270.0),
        "right, turned by 90"
    );
}

#[test]
fn regions_are_checked() {
    let harness = || Harness::<CrowdDetector>::new(PixelFormat::Gray8, 64, 48);
    let refused = |rois: Value| harness().construct(json!({ "rois": rois })).unwrap_err();
    let prefix = "CrowdDetectorFilter constructor: parameter rois: ";
    let mut bad_id = region("9lives", 0.0, 1.0);
    let err = refused(json!([bad_id.clone()]));
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        format!(
            r#"{prefix}region id "9lives" must be a letter followed by letters, digits or /-_.:+"#
        )
    );
    bad_id["id"] = json!("a");
    bad_id["points"] = json!([{"x": 0.0, "y": 0.0}, {"x": 1.5, "y": 0.0}, {"x": 1.0, "y": 1.0}]);
    let err = refused(json!([bad_id]));
    assert_eq!(
        err.message(),
        format!(r#"{prefix}region "a": point (1.5, 0) is outside 0..1"#)
    );
    let twice = region("twice", 0.0, 1.0);
    let err = refused(json!([twice.clone(), twice]));
    assert_eq!(
        err.message(),
        format!(r#"{prefix}region id "twice" is used twice"#)
    );
    let mut levels = region("levels", 0.0, 1.0);
    levels["regionOfInterestConfig"] = json!({"fluidityLevelMin": 50, "fluidityLevelMed": 20});
    let err = refused(json!([levels]));
    assert_eq!(
        err.message(),
        format!(
            r#"{prefix}region "levels": fluidity levels must satisfy 0 <= min <= med <= max <= 100"#
        )
    );
    let err = harness().construct(Value::Null).unwrap_err();
    assert_eq!(
        err.message(),
        "CrowdDetectorFilter constructor: missing parameter rois"
    );
    assert_eq!(
        harness().invoke("getProcessingWidth", Value::Null).unwrap(),
        json!(320)
    );
}
