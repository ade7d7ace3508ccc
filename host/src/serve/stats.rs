//! Measured per-element statistics: `getStats` latencies and the per-filter counters of
//! `/metrics`.
//!
//! The SDK's element counts the frames that went through a module filter and the time spent
//! on them, in atomics it exposes as the read-only GObject properties
//! [`FRAMES_PROCESSED`] and [`PROCESSING_NS`]; reading them takes no lock of the filter, so
//! neither a scrape nor `getStats` ever waits for a slow frame. Counters of released
//! elements are kept here, by class, so that the per-class totals never go backwards.

use super::clock::now_millis;
use filmstrip::element::{FRAMES_PROCESSED, PROCESSING_NS};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// What one filter element, or all of a class, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FilterCounters {
    /// Frames that went through the filter.
    pub frames: u64,
    /// Nanoseconds spent on them, in all.
    pub nanos: u64,
}

impl FilterCounters {
    /// The counters of `filter`, a module's element; `None` when its module was built by an
    /// SDK from before the statistics (it has no such properties, and loads all the same).
    pub fn of(filter: &gst::Element) -> Option<Self> {
        let has = |name| filter.find_property(name).is_some();
        if !has(FRAMES_PROCESSED) || !has(PROCESSING_NS) {
            return None;
        }
        Some(Self {
            frames: filter.property(FRAMES_PROCESSED),
            nanos: filter.property(PROCESSING_NS),
        })
    }

    /// Mean nanoseconds per frame; 0 before the first frame.
    pub fn mean_nanos(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.nanos as f64 / self.frames as f64
        }
    }

    fn add(&mut self, other: FilterCounters) {
        self.frames = self.frames.saturating_add(other.frames);
        self.nanos = self.nanos.saturating_add(other.nanos);
    }
}

/// `getStats` of an element whose module filter, if any, is `filter`: Kurento's map of
/// stats by id, holding the element's own `ElementStats`.
pub fn element_stats(id: &str, filter: Option<&gst::Element>) -> Json {
    let stats_id = id.rsplit('/').next().unwrap_or(id);
    // The latency is the filter's mean processing time per frame. Elements without a module
    // filter (endpoints, PassThrough, GStreamerFilter) run no timed code of ours: they report
    // 0, as KMS does for elements that add no processing. Audio passes by every filter
    // untouched (it only crosses a queue), so its latency is 0 everywhere.
    let video = filter
        .and_then(FilterCounters::of)
        .map_or(0.0, |counters| counters.mean_nanos());
    let stats = json!({
        "__module__": "kurento", "__type__": "ElementStats",
        "id": stats_id, "type": "element",
        "timestampMillis": now_millis().to_string(),
        "inputAudioLatency": 0.0, "inputVideoLatency": video,
    });
    Json::Object(Map::from_iter([(stats_id.to_string(), stats)]))
}

/// Per-class counters of released filters, and the totals last reported.
#[derive(Default)]
struct Totals {
    /// What released elements had counted when they stopped, by class.
    released: BTreeMap<String, FilterCounters>,
    /// The totals of the last scrape, by class, below which no later one goes.
    reported: BTreeMap<String, FilterCounters>,
}

fn totals() -> &'static Mutex<Totals> {
    static TOTALS: OnceLock<Mutex<Totals>> = OnceLock::new();
    TOTALS.get_or_init(Mutex::default)
}

/// Adds the final counters of `filter`, an element of class `class` that was released and
/// stopped, to its class's total. Called once per released filter, after it stopped (so that
/// no frame goes uncounted), by whatever tears released elements down.
pub fn filter_released(class: &str, filter: &gst::Element) {
    let Some(counters) = FilterCounters::of(filter) else {
        return;
    };
    let mut totals = totals().lock().unwrap_or_else(|e| e.into_inner());
    totals
        .released
        .entry(class.to_string())
        .or_default()
        .add(counters);
}

/// Per-class totals of every filter ever created: `live`, the (class, filter element) pairs
/// of the elements in the object store, plus those already released.
///
/// Call it under the lock that guards the store, so that an element is seen either live or
/// released, never both: it leaves the store before it is torn down and reported released.
/// Between those two moments it is seen in neither; the totals then stay at the last
/// reported value rather than dip, so that they are counters in Prometheus's sense.
pub fn filter_totals<'a>(
    live: impl Iterator<Item = (&'a str, &'a gst::Element)>,
) -> BTreeMap<String, FilterCounters> {
    let mut totals = totals().lock().unwrap_or_else(|e| e.into_inner());
    let mut current = totals.released.clone();
    for (class, filter) in live {
        if let Some(counters) = FilterCounters::of(filter) {
            current.entry(class.to_string()).or_default().add(counters);
        }
    }
    for (class, reported) in &totals.reported {
        let counters = current.entry(class.clone()).or_default();
        counters.frames = counters.frames.max(reported.frames);
        counters.nanos = counters.nanos.max(reported.nanos);
    }
    totals.reported.clone_from(&current);
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_without_statistics_report_zero() {
        gst::init().unwrap();
        let identity = gst::ElementFactory::make("identity").build().unwrap();
        assert_eq!(FilterCounters::of(&identity), None);
        for filter in [None, Some(&identity)] {
            let stats = element_stats("pipe/abc_kurento.PassThrough", filter);
            let own = &stats["abc_kurento.PassThrough"];
            assert_eq!(own["inputVideoLatency"], json!(0.0));
            assert_eq!(own["__type__"], "ElementStats");
        }
        let totals = filter_totals([("Identity", &identity)].into_iter());
        assert!(!totals.contains_key("Identity"), "{totals:?}");
    }

    #[test]
    fn totals_never_go_backwards() {
        let mut totals = Totals::default();
        totals.reported.insert(
            "Some".into(),
            FilterCounters {
                frames: 10,
                nanos: 100,
            },
        );
        *super::totals().lock().unwrap() = totals;
        // An element between the store and its teardown is seen nowhere: the last totals stay.
        let seen = filter_totals(std::iter::empty());
        assert_eq!(
            seen["Some"],
            FilterCounters {
                frames: 10,
                nanos: 100
            }
        );
        assert_eq!(
            FilterCounters {
                frames: 4,
                nanos: 10
            }
            .mean_nanos(),
            2.5
        );
    }
}
