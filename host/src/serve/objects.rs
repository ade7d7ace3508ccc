//! Media objects: what each id stands for, and the GStreamer elements behind it.
//!
//! Every media element is a bin `[queue ! convert ! filter ! convert !] tee`: the queue
//! (absent on a player) decouples it from whatever feeds it, and the tee, which tolerates
//! having no linked branch, feeds each connected sink. An element nobody connects to simply
//! drops its output, so unconnected elements never stall their pipeline.

use super::endpoints::Endpoint;
use super::flow::Flow;
use anyhow::{Context, Result, anyhow};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The name of the application messages elements post to raise a built-in event (a player's
/// `EndOfStream`, a recorder's `Recording`): fields `type` and `data` (a JSON object).
pub const EVENT_MESSAGE: &str = "filmstrip-serve-event";

/// Posts `event_type` with `fields` on `bin`'s bus, to be raised on `bin`'s object.
pub fn post_event(bin: &gst::Bin, event_type: &str, fields: &Map<String, Json>) {
    let structure = gst::Structure::builder(EVENT_MESSAGE)
        .field("type", event_type)
        .field("data", Json::Object(fields.clone()).to_string())
        .build();
    let _ = bin.post_message(
        gst::message::Application::builder(structure)
            .src(bin)
            .build(),
    );
}

/// Reads a message posted by [`post_event`]: the event type and its fields.
pub fn posted_event(message: &gst::Message) -> Option<(String, Map<String, Json>)> {
    let gst::MessageView::Application(app) = message.view() else {
        return None;
    };
    let structure = app.structure().filter(|s| s.name() == EVENT_MESSAGE)?;
    let data: String = structure.get("data").ok()?;
    Some((
        structure.get("type").ok()?,
        serde_json::from_str(&data).ok()?,
    ))
}

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
    /// What a built-in endpoint or filter adds (a player's decoder, a recorder's file).
    pub endpoint: Endpoint,
    /// Whether buffers pass the input and the output.
    pub flow: Arc<Flow>,
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
pub fn element_bin(
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
    for pair in chain.windows(2) {
        link_quickly(&pair[0], &pair[1])?;
    }
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

/// Links `src` to `sink` by their `src` and `sink` pads checking pad templates only: a full
/// caps check (or the pad search of `Element::link`) queries videoconvert's caps, which took
/// most of a `create` (1 ms of 1.2, see the serve bench). Formats are negotiated when media
/// flows anyway. Elements without such pads are linked the usual way.
fn link_quickly(src: &gst::Element, sink: &gst::Element) -> Result<()> {
    match (src.static_pad("src"), sink.static_pad("sink")) {
        (Some(output), Some(input)) => {
            output.link_full(&input, gst::PadLinkCheck::TEMPLATE_CAPS)?;
        }
        _ => src.link(sink)?,
    }
    Ok(())
}

/// The media of an element bin made by [`element_bin`], watching its flow.
pub fn element_media(bin: gst::Bin, tee: gst::Element, sink: Option<gst::Pad>) -> ElementMedia {
    let flow = Arc::new(Flow::default());
    let input = sink
        .as_ref()
        .and_then(|pad| pad.downcast_ref::<gst::GhostPad>())
        .and_then(|ghost| ghost.target());
    if let Some(input) = input {
        flow.input.watch(&input);
    }
    if let Some(output) = tee.static_pad("sink") {
        flow.output.watch(&output);
    }
    ElementMedia {
        bin,
        tee,
        sink,
        filter: None,
        endpoint: Endpoint::None,
        flow,
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
