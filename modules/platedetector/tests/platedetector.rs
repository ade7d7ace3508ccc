//! PlateDetectorFilter through the test harness: its API (property, Kurento method, refused
//! values), the event it raises on a synthetic plate, once per appearance, in BGR and BGRx,
//! the debug overlay, and frames of awkward sizes.

use filmstrip::gst::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{EmittedEvent, ErrorKind, PixelFormat};
use platedetector::PlateDetector;
use plategen::{Generator, PlateFormat, Shot, bytes};
use serde_json::json;

const WIDTH: i32 = 1280;
const HEIGHT: i32 = 720;

fn harness(format: PixelFormat) -> Harness<PlateDetector> {
    Harness::new(format, WIDTH as u32, HEIGHT as u32)
}

/// A 15-frame shot of a Spanish plate from a fixed seed.
fn shot() -> Shot {
    Generator::new(5, WIDTH, HEIGHT)
        .unwrap()
        .plate_shot(PlateFormat::Spanish, 15)
}

/// The frame's pixels in `format`: BGR as generated, or BGRx.
fn pixels(frame: &filmstrip::opencv::core::Mat, format: PixelFormat) -> Vec<u8> {
    let bgr = bytes(frame);
    match format {
        PixelFormat::Bgr => bgr,
        _ => bgr
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
    }
}

/// Pushes `frames` and returns the events they raised.
fn run<'a>(
    h: &mut Harness<PlateDetector>,
    format: PixelFormat,
    frames: impl IntoIterator<Item = &'a filmstrip::opencv::core::Mat>,
) -> Vec<EmittedEvent> {
    let mut events = Vec::new();
    for frame in frames {
        h.push(&pixels(frame, format)).unwrap();
        events.extend(h.events());
    }
    events
}

#[test]
fn plate_width_percentage_is_a_property_and_the_kurento_setter() {
    let h = harness(PixelFormat::Bgr);
    let element = h.element();
    assert_eq!(element.property::<f32>("plate-width-percentage"), 0.25);
    assert!(!element.property::<bool>("show-debug-info"));
    // Kurento's wire format: {"plateWidthPercentage": v}, or positional.
    h.invoke(
        "setPlateWidthPercentage",
        json!({"plateWidthPercentage": 0.3}),
    )
    .unwrap();
    assert_eq!(element.property::<f32>("plate-width-percentage"), 0.3);
    h.invoke("setPlateWidthPercentage", json!([0.2])).unwrap();
    let value = h.invoke("getPlateWidthPercentage", json!([])).unwrap();
    assert!((value.as_f64().unwrap() - 0.2).abs() < 1e-6, "{value}");
    h.invoke("setShowDebugInfo", json!([true])).unwrap();
    assert!(element.property::<bool>("show-debug-info"));
}

#[test]
fn bad_plate_widths_are_refused_with_the_reason() {
    let h = harness(PixelFormat::Bgr);
    for bad in [json!([0.0]), json!([0.9]), json!([-1]), json!([1e300])] {
        let err = h
            .invoke("setPlateWidthPercentage", bad.clone())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam, "{bad}");
        assert!(
            err.message().contains("plateWidthPercentage") && err.message().contains("range"),
            "{bad}: {}",
            err.message()
        );
    }
    let err = h
        .invoke("setPlateWidthPercentage", json!(["wide"]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert!(err.message().contains("number"), "{}", err.message());
    // The value stays what it was.
    assert_eq!(h.element().property::<f32>("plate-width-percentage"), 0.25);
}

/// Whether GObject accepts `value` for the property `name`, as `g_object_set` (and so
/// `gst-launch-1.0`) checks before setting: `g_param_value_validate` says whether it had to
/// change the value to make it valid.
fn gobject_accepts(element: &filmstrip::gst::Element, name: &str, value: f32) -> bool {
    use filmstrip::glib::translate::{ToGlibPtr, ToGlibPtrMut};
    let spec = element.find_property(name).unwrap();
    let mut value = value.to_value();
    // SAFETY: both pointers are valid for the call; the value is of the spec's type.
    let changed = unsafe {
        filmstrip::glib::gobject_ffi::g_param_value_validate(
            spec.to_glib_none().0,
            value.to_glib_none_mut().0,
        )
    };
    changed == 0
}

#[test]
fn gobject_refuses_nan_and_out_of_range_widths() {
    let h = harness(PixelFormat::Bgr);
    for bad in [f32::NAN, 0.0, 0.9, -1.0] {
        assert!(
            !gobject_accepts(h.element(), "plate-width-percentage", bad),
            "{bad} accepted"
        );
    }
    assert!(gobject_accepts(h.element(), "plate-width-percentage", 0.3));
}

#[test]
fn reads_a_bgr_plate_once_with_its_box() {
    let shot = shot();
    let mut h = harness(PixelFormat::Bgr);
    let events = run(&mut h, PixelFormat::Bgr, &shot.frames);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.event_type, "PlateDetected");
    assert_eq!(event.source, "PlateDetectorFilter");
    assert_eq!(event.fields["plate"], shot.registration.text());
    let confidence = event.fields["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    // The box lies on the plate (whose box in the frame the generator knows).
    let field = |name: &str| event.fields[name].as_i64().unwrap() as i32;
    let (x, y, w, h) = (field("x"), field("y"), field("width"), field("height"));
    let centre = (x + w / 2, y + h / 2);
    assert!(
        shot.boxes.iter().any(|b| b.contains(centre.into())),
        "box {x},{y} {w}x{h} is off the plate {:?}",
        shot.boxes[0]
    );
    assert!(w > h && w < shot.boxes[0].width + 20, "{w}x{h}");
}

#[test]
fn reads_a_bgrx_plate() {
    let shot = shot();
    let mut h = harness(PixelFormat::Bgrx);
    let events = run(&mut h, PixelFormat::Bgrx, &shot.frames);
    let plates: Vec<_> = events.iter().map(|e| e.fields["plate"].clone()).collect();
    assert_eq!(plates, [json!(shot.registration.text())]);
}

#[test]
fn a_plate_is_reported_again_only_after_leaving_and_coming_back() {
    let shot = shot();
    let mut h = harness(PixelFormat::Bgr);
    let gone = vec![&shot.background; 15];
    // Shown, still shown (a second pass over the same frames), gone, back.
    let first = run(&mut h, PixelFormat::Bgr, &shot.frames);
    let still = run(&mut h, PixelFormat::Bgr, shot.frames.iter().rev());
    let away = run(&mut h, PixelFormat::Bgr, gone);
    let back = run(&mut h, PixelFormat::Bgr, &shot.frames);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(still.is_empty(), "reported again while in view: {still:?}");
    assert!(away.is_empty(), "{away:?}");
    assert_eq!(back.len(), 1, "not reported on its return: {back:?}");
    assert_eq!(back[0].fields["plate"], shot.registration.text());
}

#[test]
fn frames_pass_untouched_unless_debug_info_is_shown() {
    let shot = shot();
    let mut h = harness(PixelFormat::Bgr);
    for frame in &shot.frames[..5] {
        let input = bytes(frame);
        assert!(h.push(&input).unwrap() == input, "a frame was changed");
    }
    h.element().set_property("show-debug-info", true);
    let input = bytes(&shot.frames[5]);
    let output = h.push(&input).unwrap();
    // Candidates are outlined wherever they are; the plate's outline and text at least.
    let stride = WIDTH as usize * 3;
    let plate = shot.boxes[5];
    let near_plate = input
        .iter()
        .zip(&output)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .filter(|(i, _)| {
            let (x, y) = ((i % stride / 3) as i32, (i / stride) as i32);
            (plate.x - 40..plate.x + plate.width + 40).contains(&x)
                && (plate.y - 40..plate.y + plate.height + 40).contains(&y)
        })
        .count();
    assert!(
        near_plate > 500,
        "only {near_plate} bytes changed near the plate"
    );
}

#[test]
fn odd_and_tiny_frames_do_not_fail() {
    for (format, w, h) in [
        (PixelFormat::Bgr, 1, 1),
        (PixelFormat::Bgr, 33, 17),
        (PixelFormat::Bgrx, 7, 401),
        (PixelFormat::Bgra, 641, 363),
        (PixelFormat::Bgr, 4096, 8),
    ] {
        let mut harness = Harness::<PlateDetector>::new(format, w, h);
        harness.element().set_property("show-debug-info", true);
        // Noise: anything may be found in it, nothing may fail.
        let mut state = 12345u32;
        for _ in 0..3 {
            let frame: Vec<u8> = (0..harness.frame_size())
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (state >> 24) as u8
                })
                .collect();
            let out = harness.push(&frame).unwrap();
            assert_eq!(out.len(), frame.len(), "{w}x{h}");
        }
    }
}
