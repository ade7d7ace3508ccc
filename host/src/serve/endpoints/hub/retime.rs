//! Hub time: what enters a hub is restamped onto the pipeline's running time.
//!
//! Elements feeding a hub keep their own timelines (a player's starts at zero when `play` is
//! called, whatever the pipeline's running time), while a hub's mixers run live on the
//! pipeline's: a frame stamped on another timeline would be dropped as late, or held as early.
//! Each input's running times are shifted by the offset that put its first frame at the
//! moment it arrived, so its own pacing is kept; a jump (a player stopped and played again)
//! takes a new offset.
//!
//! What leaves for a port's output is kept in time order ([`keep_in_order`]): each input's
//! frames carry their own arrival lag, so a source switched in may start a few milliseconds
//! behind the one before.

use gst::prelude::*;
use std::sync::Mutex;

/// How far a restamped frame may drift from its arrival before the offset is taken anew.
const RESYNC: gst::ClockTime = gst::ClockTime::from_mseconds(1000);

/// Restamps what enters `pad` (a sink pad inside a bin of the pipeline) in the pipeline's
/// running time, under a fresh segment.
pub fn restamp(pad: &gst::Pad) {
    let state = Mutex::new(Retimer::default());
    pad.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |pad, info| {
            let mut retimer = state.lock().unwrap_or_else(|p| p.into_inner());
            match info.data.as_mut() {
                Some(gst::PadProbeData::Event(event)) => {
                    if let gst::EventView::Segment(segment) = event.view() {
                        retimer.segment = segment.segment().downcast_ref().cloned();
                        let fresh = gst::FormattedSegment::<gst::ClockTime>::new();
                        *event = gst::event::Segment::builder(&fresh)
                            .seqnum(event.seqnum())
                            .build();
                    }
                }
                Some(gst::PadProbeData::Buffer(buffer)) => {
                    if let Some(pts) = retimer.restamp(pad, buffer.pts()) {
                        let buffer = buffer.make_mut();
                        buffer.set_pts(pts);
                        buffer.set_dts(gst::ClockTime::NONE);
                    }
                }
                _ => {}
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// Drops what reaches `pad` (where a hub feeds a port's output) stamped at or before what
/// went through last. A dispatcher switching sources joins two timelines whose lags differ by
/// a few milliseconds; given a frame earlier than the one before, `vp8enc` in a recorder kept
/// writing the previous source's picture for the rest of the recording.
pub fn keep_in_order(pad: &gst::Pad) {
    let last = Mutex::new(None::<gst::ClockTime>);
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(pts) = info.buffer().and_then(|buffer| buffer.pts()) else {
            return gst::PadProbeReturn::Ok;
        };
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|last| pts <= last) {
            return gst::PadProbeReturn::Drop;
        }
        *last = Some(pts);
        gst::PadProbeReturn::Ok
    });
}

/// One input's timeline and its offset to the pipeline's.
#[derive(Default)]
struct Retimer {
    /// The segment the input's timestamps are in.
    segment: Option<gst::FormattedSegment<gst::ClockTime>>,
    /// Pipeline running time minus the input's running time, in nanoseconds.
    offset: Option<i128>,
}

impl Retimer {
    /// The pipeline running time for a frame stamped `pts`, arriving on `pad` now.
    fn restamp(&mut self, pad: &gst::Pad, pts: Option<gst::ClockTime>) -> Option<gst::ClockTime> {
        let running = self.segment.as_ref()?.to_running_time(pts?)?;
        let element = pad.parent_element()?;
        let now = element.clock()?.time().checked_sub(element.base_time()?)?;
        let (running, now) = (running.nseconds() as i128, now.nseconds() as i128);
        let drift = self.offset.map(|offset| (running + offset - now).abs());
        if drift.is_none_or(|drift| drift > RESYNC.nseconds() as i128) {
            self.offset = Some(now - running);
        }
        let stamped = running + self.offset?;
        u64::try_from(stamped)
            .ok()
            .map(gst::ClockTime::from_nseconds)
    }
}
