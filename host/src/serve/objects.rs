//! Media objects: what each id stands for, and the GStreamer elements behind it.
//!
//! Every media element is a bin `[queue ! convert ! filter ! convert !] tee`: the queue
//! (absent on a player) decouples it from whatever feeds it, and the tee, which tolerates
//! having no linked branch, feeds each connected sink. An element nobody connects to simply
//! drops its output, so unconnected elements never stall their pipeline.

use anyhow::{Context, Result, anyhow};
use gst::prelude::*;
use serde_json::{Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The name of the application message a player posts when its stream ends.
pub const END_OF_STREAM_MESSAGE: &str = "filmstrip-serve-end-of-stream";

/// The GStreamer side of an object.
pub enum Media {
    /// The server manager has none.
    Manager,
    /// A pipeline, and the flag that stops its bus thread.
    Pipeline {
        /// The pipeline, kept playing.
        pipeline: gst::Pipeline,
        /// Set on release to end the bus thread.
        stop: Arc<AtomicBool>,
    },
    /// A media element inside a pipeline.
    Element(ElementMedia),
}

/// A media element's bin and its connections.
pub struct ElementMedia {
    /// The bin inside the pipeline.
    pub bin: gst::Bin,
    /// Feeds every connected sink.
    pub tee: gst::Element,
    /// The bin's input; players have none.
    pub sink: Option<gst::Pad>,
    /// The module's filter element and the index of its module in the registry.
    pub filter: Option<(usize, gst::Element)>,
    /// For a player: whether it is playing.
    pub player: Option<bool>,
    /// The element feeding this one, and the tee pad of that element that does.
    pub source: Option<(String, gst::Pad)>,
    /// The elements this one feeds.
    pub sinks: Vec<String>,
}

/// One object a client can address.
pub struct Object {
    /// The id clients use.
    pub id: String,
    /// Bare type name, e.g. `PixelateFilter`.
    pub type_name: String,
    /// Qualified type name, e.g. `pixelate.PixelateFilter`.
    pub qualified: String,
    /// Qualified names of the parent classes, nearest first.
    pub hierarchy: Vec<&'static str>,
    /// Events that may be subscribed to.
    pub events: Vec<String>,
    /// MediaObject name; the id unless set.
    pub name: String,
    /// MediaObject tags, in insertion order.
    pub tags: Vec<(String, String)>,
    /// Seconds since the Unix epoch at creation.
    pub creation_time: u64,
    /// The pipeline of an element.
    pub parent: Option<String>,
    /// Elements of a pipeline.
    pub children: Vec<String>,
    /// The session that created it; released with it.
    pub session: Option<String>,
    /// The GStreamer side.
    pub media: Media,
}

impl Object {
    /// The element side, or `None` for the manager and pipelines.
    pub fn element(&self) -> Option<&ElementMedia> {
        match &self.media {
            Media::Element(element) => Some(element),
            _ => None,
        }
    }

    /// The element side, mutably.
    pub fn element_mut(&mut self) -> Option<&mut ElementMedia> {
        match &mut self.media {
            Media::Element(element) => Some(element),
            _ => None,
        }
    }

    /// The tags as Kurento's `Tag[]`.
    pub fn tags_json(&self) -> Json {
        Json::Array(
            self.tags
                .iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect(),
        )
    }

    /// The pipeline this object belongs to (itself for a pipeline).
    pub fn media_pipeline(&self) -> Option<&str> {
        match &self.media {
            Media::Pipeline { .. } => Some(&self.id),
            _ => self.parent.as_deref(),
        }
    }
}

/// The events every media element offers.
pub const ELEMENT_EVENTS: &[&str] = &[
    "Error",
    "ElementConnected",
    "ElementDisconnected",
    "MediaFlowInStateChanged",
    "MediaFlowOutStateChanged",
];

fn make(factory: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .with_context(|| format!("GStreamer element {factory} is missing"))
}

/// A bin `queue ! inner... ! tee` with a ghost sink pad, or `inner... ! tee` without one.
fn element_bin(
    name: &str,
    inner: Vec<gst::Element>,
    with_sink: bool,
) -> Result<(gst::Bin, gst::Element, Option<gst::Pad>)> {
    let bin = gst::Bin::builder().name(name).build();
    let tee = gst::ElementFactory::make("tee")
        .property("allow-not-linked", true)
        .build()
        .context("GStreamer element tee is missing")?;
    let mut chain = Vec::new();
    if with_sink {
        chain.push(make("queue")?);
    }
    chain.extend(inner);
    chain.push(tee.clone());
    bin.add_many(&chain)?;
    gst::Element::link_many(&chain)?;
    let sink = if with_sink {
        let target = chain[0]
            .static_pad("sink")
            .context("queue without sink pad")?;
        let ghost = gst::GhostPad::builder_with_target(&target)?
            .name("sink")
            .build();
        bin.add_pad(&ghost)?;
        Some(ghost.upcast())
    } else {
        None
    };
    Ok((bin, tee, sink))
}

fn element_media(bin: gst::Bin, tee: gst::Element, sink: Option<gst::Pad>) -> ElementMedia {
    ElementMedia {
        bin,
        tee,
        sink,
        filter: None,
        player: None,
        source: None,
        sinks: Vec::new(),
    }
}

/// A module filter between converters, so it gets a format it accepts whatever comes in.
pub fn filter_element(name: &str, module: usize, filter: gst::Element) -> Result<ElementMedia> {
    let inner = vec![make("videoconvert")?, filter.clone(), make("videoconvert")?];
    let (bin, tee, sink) = element_bin(name, inner, true)?;
    let mut media = element_media(bin, tee, sink);
    media.filter = Some((module, filter));
    Ok(media)
}

/// Kurento's PassThrough: video in, the same video out.
pub fn pass_through(name: &str) -> Result<ElementMedia> {
    let (bin, tee, sink) = element_bin(name, Vec::new(), true)?;
    Ok(element_media(bin, tee, sink))
}

/// Kurento's PlayerEndpoint: decodes `uri`'s video once `play` is called.
pub fn player(name: &str, uri: &str) -> Result<ElementMedia> {
    let decoder = gst::ElementFactory::make("uridecodebin")
        .property("uri", uri)
        .property("caps", "video/x-raw(ANY)".parse::<gst::Caps>()?)
        .property("expose-all-streams", false)
        .build()
        .context("GStreamer element uridecodebin is missing")?;
    let convert = make("videoconvert")?;
    let (bin, tee, _) = element_bin(name, vec![convert.clone()], false)?;
    bin.add(&decoder)?;
    let convert_weak = convert.downgrade();
    decoder.connect_pad_added(move |_, pad| {
        let Some(sink) = convert_weak.upgrade().and_then(|c| c.static_pad("sink")) else {
            return;
        };
        if !sink.is_linked() {
            // A failed link surfaces as a not-negotiated error on the bus.
            let _ = pad.link(&sink);
        }
    });
    // The end of the stream is announced on the bus, where it becomes `EndOfStream`.
    let tee_sink = tee
        .static_pad("sink")
        .ok_or_else(|| anyhow!("tee without sink"))?;
    let bin_weak = bin.downgrade();
    tee_sink.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        let is_eos = info
            .event()
            .is_some_and(|event| event.type_() == gst::EventType::Eos);
        if is_eos && let Some(bin) = bin_weak.upgrade() {
            let structure = gst::Structure::new_empty(END_OF_STREAM_MESSAGE);
            let _ = bin.post_message(
                gst::message::Application::builder(structure)
                    .src(&bin)
                    .build(),
            );
        }
        gst::PadProbeReturn::Ok
    });
    // Players stay stopped until `play`, even inside a playing pipeline.
    bin.set_locked_state(true);
    let mut media = element_media(bin, tee, None);
    media.player = Some(false);
    Ok(media)
}

/// Links `source`'s tee to `sink`'s input; returns the tee pad used.
pub fn link(source: &ElementMedia, sink: &ElementMedia) -> Result<gst::Pad> {
    let input = sink
        .sink
        .as_ref()
        .context("the sink element takes no input")?;
    let pad = source
        .tee
        .request_pad_simple("src_%u")
        .context("cannot add an output to the source element")?;
    let ghost = gst::GhostPad::builder_with_target(&pad)?.build();
    source.bin.add_pad(&ghost)?;
    if let Err(err) = ghost.link(input) {
        let _ = source.bin.remove_pad(&ghost);
        source.tee.release_request_pad(&pad);
        return Err(anyhow!("cannot link the elements: {err:?}"));
    }
    Ok(ghost.upcast())
}

/// Undoes [`link`]: `pad` is the source's output pad it returned.
pub fn unlink(source: &ElementMedia, pad: &gst::Pad) {
    if let Some(peer) = pad.peer() {
        let _ = pad.unlink(&peer);
    }
    let target = pad
        .downcast_ref::<gst::GhostPad>()
        .and_then(|ghost| ghost.target());
    let _ = source.bin.remove_pad(pad);
    if let Some(target) = target {
        source.tee.release_request_pad(&target);
    }
}

/// A playing pipeline.
pub fn pipeline() -> Result<gst::Pipeline> {
    let pipeline = gst::Pipeline::new();
    pipeline
        .set_state(gst::State::Playing)
        .context("cannot start the pipeline")?;
    Ok(pipeline)
}
