//! The statistics every element exposes to hosts as read-only GObject properties: frames that
//! went through it and the time spent on them, next to the filter's own properties.

use filmstrip::element::{FRAMES_PROCESSED, PROCESSING_NS};
use filmstrip::gst;
use filmstrip::gst::glib;
use filmstrip::gst::prelude::*;
use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{Filter, PixelFormat};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Takes `millis` milliseconds over every frame, so that its processing time is known.
#[filmstrip::filter(class = "Sleeper", formats(Gray8))]
pub struct Sleeper {
    #[property(default = 2, max = 100)]
    millis: u32,
}

#[filmstrip::methods]
impl Sleeper {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        std::thread::sleep(Duration::from_millis(u64::from(self.millis)));
        Ok(())
    }
}

fn statistics(harness: &Harness<Sleeper>) -> (u64, u64) {
    let element = harness.element();
    (
        element.property::<u64>(FRAMES_PROCESSED),
        element.property::<u64>(PROCESSING_NS),
    )
}

#[test]
fn frames_and_processing_time_grow_with_each_frame() {
    let mut harness = Harness::<Sleeper>::new(PixelFormat::Gray8, 16, 8);
    assert_eq!(statistics(&harness), (0, 0));
    let frame = vec![0u8; harness.frame_size()];
    for _ in 0..5 {
        harness.push(&frame).unwrap();
    }
    let (frames, nanos) = statistics(&harness);
    assert_eq!(frames, 5);
    // Five sleeps of 2 ms at least, and not absurdly more (a frame is not counted twice).
    assert!(nanos >= 10_000_000, "{nanos} ns for five 2 ms frames");
    assert!(nanos < 5_000_000_000, "{nanos} ns for five 2 ms frames");
    harness.push(&frame).unwrap();
    let (frames, later) = statistics(&harness);
    assert_eq!(frames, 6);
    assert!(later >= nanos + 2_000_000, "{later} after {nanos}");
}

#[test]
fn statistics_are_read_only_and_follow_the_filters_properties() {
    let harness = Harness::<Sleeper>::new(PixelFormat::Gray8, 16, 8);
    let element = harness.element();
    let names: Vec<String> = element
        .list_properties()
        .iter()
        .map(|spec| spec.name().to_string())
        .collect();
    for name in ["millis", FRAMES_PROCESSED, PROCESSING_NS] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    for name in [FRAMES_PROCESSED, PROCESSING_NS] {
        let spec = element.find_property(name).unwrap();
        assert_eq!(spec.value_type(), glib::Type::U64);
        assert!(spec.flags().contains(glib::ParamFlags::READABLE));
        assert!(!spec.flags().contains(glib::ParamFlags::WRITABLE));
    }
    // The filter's own property still maps to its field.
    element.set_property("millis", 7u32);
    assert_eq!(element.property::<u32>("millis"), 7);
    assert_eq!(
        harness.invoke("getMillis", serde_json::json!({})).unwrap(),
        7
    );
    // The SDK's core reads the same counters without GObject.
    let core = Sleeper::core(element).unwrap();
    assert_eq!(core.statistics(), (0, 0));
}

#[test]
fn frames_slower_than_their_interval_are_logged_in_the_filters_category() {
    let mut harness = Harness::<Sleeper>::new(PixelFormat::Gray8, 16, 8);
    // The harness feeds 30 fps: 40 ms is over the 33 ms interval, 2 ms well within it.
    gst::log::set_threshold_for_name("sleeper", gst::DebugLevel::Debug);
    let logged: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&logged);
    let function = gst::log::add_log_function(move |category, level, _, _, _, _, message| {
        if category.name() == "sleeper" && level == gst::DebugLevel::Debug {
            let text = message.get().map(|m| m.to_string()).unwrap_or_default();
            sink.lock().unwrap().push(text);
        }
    });
    let frame = vec![0u8; harness.frame_size()];
    harness.push(&frame).unwrap();
    harness
        .invoke("setMillis", serde_json::json!([40]))
        .unwrap();
    harness.push(&frame).unwrap();
    gst::log::remove_log_function(function);
    let logged = logged.lock().unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("frame 1 took "), "{logged:?}");
}
