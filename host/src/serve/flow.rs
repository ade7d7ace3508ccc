//! Media flow: whether buffers are passing an element's input and output, for
//! `isMediaFlowingIn/Out` and the `MediaFlowIn/OutStateChanged` events.
//!
//! Pad probes only stamp the time of the latest buffer (one atomic store per buffer); the
//! pipeline's bus thread compares the stamps with the reported state a few times a second
//! and raises an event when they disagree, so the streaming threads never take a lock.

use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How long without a buffer before a flowing side is reported as `NOT_FLOWING`.
pub const IDLE_AFTER: Duration = Duration::from_millis(1500);

/// One side (input or output) of an element.
#[derive(Default)]
pub struct FlowSide {
    /// Milliseconds since [`epoch`] of the latest buffer, plus one; 0 after an end of stream.
    last_buffer: AtomicU64,
    /// What was last reported to clients.
    reported: AtomicBool,
}

/// Both sides of an element.
#[derive(Default)]
pub struct Flow {
    /// Buffers entering the element.
    pub input: Arc<FlowSide>,
    /// Buffers leaving the element.
    pub output: Arc<FlowSide>,
}

/// The process-wide origin of the stamps.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_stamp() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

impl FlowSide {
    /// Whether a buffer passed recently and no end of stream followed it.
    pub fn is_flowing(&self) -> bool {
        let last = self.last_buffer.load(Ordering::Relaxed);
        last != 0 && now_stamp().saturating_sub(last) < IDLE_AFTER.as_millis() as u64
    }

    /// The new state to report, if it changed since the last report.
    pub fn change(&self) -> Option<bool> {
        let flowing = self.is_flowing();
        (self.reported.swap(flowing, Ordering::Relaxed) != flowing).then_some(flowing)
    }

    /// Stamps buffers passing `pad` and clears the stamp on an end of stream.
    pub fn watch(self: &Arc<Self>, pad: &gst::Pad) {
        let side = Arc::clone(self);
        pad.add_probe(
            gst::PadProbeType::BUFFER
                | gst::PadProbeType::BUFFER_LIST
                | gst::PadProbeType::EVENT_DOWNSTREAM,
            move |_, info| {
                match &info.data {
                    Some(gst::PadProbeData::Event(event))
                        if event.type_() == gst::EventType::Eos =>
                    {
                        side.last_buffer.store(0, Ordering::Relaxed);
                    }
                    Some(gst::PadProbeData::Event(_)) | None => {}
                    Some(_) => side.last_buffer.store(now_stamp(), Ordering::Relaxed),
                }
                gst::PadProbeReturn::Ok
            },
        );
    }
}

/// The fields of a `MediaFlowIn/OutStateChanged` event of `media_type` (`AUDIO`, `VIDEO`).
pub fn event_fields(flowing: bool, media_type: &str) -> Map<String, Json> {
    let state = if flowing { "FLOWING" } else { "NOT_FLOWING" };
    let fields = json!({"state": state, "padName": "default", "mediaType": media_type});
    fields.as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_flows_after_a_buffer_and_stops_after_eos() {
        gst::init().unwrap();
        let side = Arc::new(FlowSide::default());
        let pad = gst::Pad::builder(gst::PadDirection::Src).build();
        side.watch(&pad);
        assert_eq!(side.change(), None, "nothing flowed yet");
        pad.set_active(true).unwrap();
        let _ = pad.push_event(gst::event::StreamStart::new("s"));
        let _ = pad.push(gst::Buffer::new());
        assert!(side.is_flowing());
        assert_eq!(side.change(), Some(true));
        assert_eq!(side.change(), None, "reported once");
        let _ = pad.push_event(gst::event::Eos::new());
        assert_eq!(side.change(), Some(false));
    }
}
