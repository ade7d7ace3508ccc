//! The input of an element that sends or stores encoded media (a WebRtcEndpoint's sender, a
//! recorder's track): frames already in the codec it sends pass as they are, raw media goes
//! through its encoder, and frames in another codec are decoded first, as KMS's agnosticbin
//! does. What arrives decides, from its caps, and decides again when they change (a source
//! replaced by another of another kind).
//!
//! The branch is chosen on the streaming thread, by a one-shot blocking probe on the first
//! buffer after new caps: linking there has GStreamer send the new branch every sticky event
//! again, in order, before the buffer. Caps that need another branch unlink the old one as
//! they pass, so the old branch never sees them.

use super::super::objects::request_key_frame;
use super::webrtc::codecs::Codec;
use anyhow::{Context, Result};
use gst::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What an input does with the stream it receives.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Branch {
    /// Encoded frames in the output's codec go to it as they are.
    Pass,
    /// Raw media goes through the encoder.
    Encode,
    /// Frames in another codec are decoded, then encoded.
    Transcode(Codec),
}

/// The branch in use and the elements made for it (a parser, a decoder).
struct Current {
    branch: Branch,
    elements: Vec<gst::Element>,
}

/// Routes what leaves one source pad to an output through the branch its caps need.
pub struct EncodingInput {
    bin: gst::glib::WeakRef<gst::Bin>,
    /// Where the media comes from: an input queue's or a tee's source pad.
    source: gst::Pad,
    /// The encoder chain's first and last element, linked to each other.
    encoder: (gst::Element, gst::Element),
    /// Where encoded media leaves (a payloader's or a muxer branch's sink pad).
    output: gst::Pad,
    /// The codec `output` takes; `None` when nothing arriving can pass as it is.
    codec: Option<Codec>,
    current: Mutex<Option<Current>>,
    /// Whether a probe waits to route the next buffer.
    armed: AtomicBool,
}

impl EncodingInput {
    /// Routes `source` to `output`, through `encoder` (a linked chain in `bin`, raw media in,
    /// `codec` out) unless what arrives is `codec` already, from the next buffer on.
    pub fn new(
        bin: &gst::Bin,
        source: gst::Pad,
        encoder: &[gst::Element],
        output: gst::Pad,
        codec: Option<Codec>,
    ) -> Result<Arc<Self>> {
        let first = encoder.first().context("an empty encoder chain")?.clone();
        let last = encoder.last().context("an empty encoder chain")?.clone();
        let input = Arc::new(Self {
            bin: bin.downgrade(),
            source: source.clone(),
            encoder: (first, last),
            output,
            codec,
            current: Mutex::new(None),
            armed: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&input);
        source.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
            if let Some(gst::EventView::Caps(caps)) = info.event().map(|event| event.view())
                && let Some(input) = weak.upgrade()
            {
                input.caps_changed(caps.caps());
            }
            gst::PadProbeReturn::Ok
        });
        input.route_next_buffer();
        Ok(input)
    }

    /// The branch in use, if media has arrived.
    pub fn branch(&self) -> Option<Branch> {
        self.lock().as_ref().map(|current| current.branch)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Current>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The branch `caps` need.
    fn branch_for(&self, caps: &gst::CapsRef) -> Result<Branch> {
        let name = caps.structure(0).context("empty caps")?.name();
        if name.ends_with("/x-raw") {
            return Ok(Branch::Encode);
        }
        match Codec::of_media_caps(caps) {
            Some(codec) if Some(codec) == self.codec => Ok(Branch::Pass),
            Some(codec) => Ok(Branch::Transcode(codec)),
            None => anyhow::bail!("{name} can be neither sent as it is nor decoded here"),
        }
    }

    /// Links the branch for the caps of the next buffer when it comes: a blocking probe
    /// there, removed as the buffer passes, so that GStreamer sends the sticky events again
    /// through the new link before the buffer.
    fn route_next_buffer(self: &Arc<Self>) {
        if self.armed.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(self);
        self.source.add_probe(
            gst::PadProbeType::BLOCK | gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |pad, _| {
                let Some(input) = weak.upgrade() else {
                    return gst::PadProbeReturn::Remove;
                };
                input.armed.store(false, Ordering::Release);
                if let Some(caps) = pad.current_caps()
                    && let Err(err) = input.route(&caps)
                {
                    // Its buffers go nowhere until caps it can take arrive.
                    tracing::warn!(error = %format!("{err:#}"), "cannot route a new stream");
                }
                gst::PadProbeReturn::Remove
            },
        );
    }

    /// Takes the branch in use out when `caps` need another one; the next buffer links it.
    fn caps_changed(self: &Arc<Self>, caps: &gst::CapsRef) {
        let mut current = self.lock();
        let Some(now) = current.as_ref() else {
            // Nothing routed yet, or what came before could not be: try these caps.
            drop(current);
            self.route_next_buffer();
            return;
        };
        if self
            .branch_for(caps)
            .is_ok_and(|branch| branch == now.branch)
        {
            return;
        }
        if let (Some(bin), Some(old)) = (self.bin.upgrade(), current.take()) {
            self.unlink(&bin, old);
        }
        drop(current);
        self.route_next_buffer();
    }

    /// Links the branch `caps` need (no branch is linked).
    fn route(&self, caps: &gst::CapsRef) -> Result<()> {
        let branch = self.branch_for(caps)?;
        let mut current = self.lock();
        if current.is_some() {
            return Ok(());
        }
        let bin = self.bin.upgrade().context("the element is gone")?;
        let (first, last) = &self.encoder;
        let elements = match branch {
            Branch::Pass => self
                .codec
                .map(Codec::parser)
                .transpose()?
                .unwrap_or_default(),
            Branch::Encode => Vec::new(),
            Branch::Transcode(codec) => codec.decoder()?,
        };
        bin.add_many(&elements)?;
        gst::Element::link_many(&elements)?;
        for element in &elements {
            element.sync_state_with_parent()?;
        }
        // The path: the branch's own elements, then the encoder unless passing.
        let encodes = branch != Branch::Pass;
        if encodes && let Some(decoded) = elements.last() {
            decoded.link(first)?;
        }
        let entry = match (elements.first(), encodes) {
            (Some(element), _) => element.static_pad("sink").context("no sink pad")?,
            (None, true) => first.static_pad("sink").context("encoder without sink")?,
            (None, false) => self.output.clone(),
        };
        let exit = match (encodes, elements.last()) {
            (true, _) => Some(last.static_pad("src").context("encoder without src")?),
            (false, Some(element)) => Some(element.static_pad("src").context("no src pad")?),
            (false, None) => None,
        };
        if let Some(exit) = exit {
            exit.link(&self.output)?;
        }
        self.source.link(&entry)?;
        tracing::debug!(?branch, source = %self.source.name(), "input routed");
        *current = Some(Current { branch, elements });
        drop(current);
        // A receiver of frames passed as they are can start only at a key frame: ask the
        // sender for one now rather than at its next periodic one.
        if branch == Branch::Pass
            && let Some(peer) = self.source.peer()
        {
            request_key_frame(&peer);
        }
        Ok(())
    }

    /// Takes `old` out: unlinks it from the source and the output, removes its elements.
    fn unlink(&self, bin: &gst::Bin, old: Current) {
        if let Some(peer) = self.source.peer()
            && let Err(err) = self.source.unlink(&peer)
        {
            tracing::warn!(%err, "cannot unlink an input branch");
        }
        if let Some(peer) = self.output.peer()
            && let Err(err) = peer.unlink(&self.output)
        {
            tracing::warn!(%err, "cannot unlink an input branch's output");
        }
        if let Some(decoded) = old.elements.last() {
            decoded.unlink(&self.encoder.0);
        }
        for element in old.elements {
            if let Err(err) = element.set_state(gst::State::Null) {
                tracing::warn!(%err, "cannot stop an input branch's element");
            }
            if let Err(err) = bin.remove(&element) {
                tracing::warn!(%err, "cannot remove an input branch's element");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::objects;
    use super::*;

    /// `source ! [input] ! fakesink` in a pipeline, with a VP8 encoder chain: the branch the
    /// input took and the caps of the first frame out.
    fn routed(source: &str) -> (Branch, gst::Caps) {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let bin = pipeline.upcast_ref::<gst::Bin>();
        let upstream = gst::parse::bin_from_description(source, true).unwrap();
        let encoder = Codec::Vp8.encoder().unwrap();
        let sink = objects::make("fakesink").unwrap();
        bin.add(&upstream).unwrap();
        bin.add_many(&encoder).unwrap();
        bin.add(&sink).unwrap();
        gst::Element::link_many(&encoder).unwrap();
        let output = sink.static_pad("sink").unwrap();
        let (sender, frames) = std::sync::mpsc::sync_channel(1);
        output.add_probe(gst::PadProbeType::BUFFER, move |pad, _| {
            if let Some(caps) = pad.current_caps() {
                let _full = sender.try_send(caps);
            }
            gst::PadProbeReturn::Ok
        });
        let input = EncodingInput::new(
            bin,
            upstream.static_pad("src").unwrap(),
            &encoder,
            output,
            Some(Codec::Vp8),
        )
        .unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        let caps = frames
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a frame comes out");
        pipeline.set_state(gst::State::Null).unwrap();
        (input.branch().unwrap(), caps)
    }

    #[test]
    fn raw_video_is_encoded() {
        let (branch, caps) =
            routed("videotestsrc num-buffers=5 ! capsfilter caps=video/x-raw,width=64,height=48");
        assert_eq!(branch, Branch::Encode);
        assert_eq!(caps.structure(0).unwrap().name(), "video/x-vp8");
    }

    #[test]
    fn vp8_passes_as_it_is() {
        let (branch, caps) = routed("videotestsrc num-buffers=5 ! vp8enc deadline=1");
        assert_eq!(branch, Branch::Pass);
        assert_eq!(caps.structure(0).unwrap().name(), "video/x-vp8");
    }

    #[test]
    fn h264_is_decoded_then_encoded() {
        let (branch, caps) =
            routed("videotestsrc num-buffers=5 ! x264enc speed-preset=ultrafast ! h264parse");
        assert_eq!(branch, Branch::Transcode(Codec::H264));
        assert_eq!(caps.structure(0).unwrap().name(), "video/x-vp8");
    }
}
