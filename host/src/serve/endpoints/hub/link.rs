//! Links between the pads of elements in different bins (a port's bin, the hub's bin),
//! undone when dropped: hub ports come and go while media flows.

use anyhow::{Context, Result, anyhow};
use gst::prelude::*;

/// A link from `src` to `sink`, through ghost pads on their bins when those differ. Dropping
/// it unlinks the pads, removes the ghosts and gives back the request pads it used (a tee's
/// output, a mixer's input).
pub struct Link {
    src: gst::Pad,
    sink: gst::Pad,
    /// The ghost pads made for the link, with their bins.
    ghosts: Vec<(gst::Bin, gst::Pad)>,
}

impl Link {
    /// Links `src` (a pad of an element in some bin) to `sink`; both bins must share a
    /// parent, or be one bin.
    pub fn new(src: &gst::Pad, sink: &gst::Pad) -> Result<Self> {
        let mut link = Self {
            src: src.clone(),
            sink: sink.clone(),
            ghosts: Vec::new(),
        };
        let bin_of = |pad: &gst::Pad| {
            pad.parent_element()
                .and_then(|element| element.parent())
                .and_downcast::<gst::Bin>()
                .context("a hub pad outside any bin")
        };
        let (src_bin, sink_bin) = (bin_of(src)?, bin_of(sink)?);
        let (outer_src, outer_sink) = if src_bin == sink_bin {
            (src.clone(), sink.clone())
        } else {
            (link.ghost(&src_bin, src)?, link.ghost(&sink_bin, sink)?)
        };
        outer_src
            .link(&outer_sink)
            .map_err(|err| anyhow!("cannot link {} to {}: {err:?}", src.name(), sink.name()))?;
        Ok(link)
    }

    /// A ghost pad of `target` on `bin`, kept for removal.
    fn ghost(&mut self, bin: &gst::Bin, target: &gst::Pad) -> Result<gst::Pad> {
        // Named after its target, whose element's name is unique in the bin.
        let element = target
            .parent_element()
            .context("a hub pad without element")?;
        let ghost = gst::GhostPad::builder_with_target(target)?
            .name(format!("{}_{}", element.name(), target.name()))
            .build();
        bin.add_pad(&ghost)?;
        let ghost = ghost.upcast::<gst::Pad>();
        self.ghosts.push((bin.clone(), ghost.clone()));
        Ok(ghost)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Unlinking takes the pads' object locks only, so a streaming thread blocked in a
        // mixer's input does not hold it up; releasing that input then wakes the thread.
        for pad in [&self.sink, &self.src] {
            let outer = self
                .ghosts
                .iter()
                .find(|(_, ghost)| {
                    ghost
                        .downcast_ref::<gst::GhostPad>()
                        .and_then(|ghost| ghost.target())
                        .as_ref()
                        == Some(pad)
                })
                .map_or(pad, |(_, ghost)| ghost);
            if let Some(peer) = outer.peer() {
                let (src, sink) = if outer.direction() == gst::PadDirection::Src {
                    (outer.clone(), peer)
                } else {
                    (peer, outer.clone())
                };
                if let Err(err) = src.unlink(&sink) {
                    tracing::debug!(?err, "a hub link was already undone");
                }
            }
        }
        for (bin, ghost) in self.ghosts.drain(..) {
            if let Err(err) = bin.remove_pad(&ghost) {
                tracing::debug!(%err, "a hub ghost pad was already removed");
            }
        }
        for pad in [&self.sink, &self.src] {
            let requested = pad
                .pad_template()
                .is_some_and(|template| template.presence() == gst::PadPresence::Request);
            if requested && let Some(element) = pad.parent_element() {
                element.release_request_pad(pad);
            }
        }
    }
}
