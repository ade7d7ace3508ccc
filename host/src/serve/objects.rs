//! Media objects: what each id stands for, and the GStreamer elements behind it.
//!
//! Every media element is a bin with two ports, audio and video, each `[queue !] inner... !
//! tee`: the queue (absent where the element takes no input, as on a player) decouples it
//! from whatever feeds it, and the tee, which tolerates having no linked branch, feeds each
//! connected sink. Raw media travels between elements, so any element can feed any other;
//! an element nobody connects to simply drops its output, so it never stalls its pipeline.
//! Where an element has its media encoded (a WebRtcEndpoint, what the browser sent) a second
//! tee offers it so to the elements that take encoded media (WebRtcEndpoint, recorder), which
//! then send or store it without decoding and encoding it again.

use super::flow::Flow;
use super::rpc::RpcError;
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
    let message = gst::message::Application::builder(structure)
        .src(bin)
        .build();
    if let Err(error) = bin.post_message(message) {
        // Only a bin already taken out of its pipeline has no bus: its object is gone too.
        tracing::debug!(%error, event_type, "an event of a released element is dropped");
    }
}

/// Raises Kurento's `Error` event on `bin`'s object for a failure outside GStreamer (an
/// upload, a body that cannot be decoded), `description` saying why in one line.
pub fn post_error(bin: &gst::Bin, description: &str) {
    let fields =
        json!({"description": description, "errorCode": 40003, "type": "UNEXPECTED_ERROR"});
    post_event(bin, "Error", fields.as_object().unwrap_or(&Map::new()));
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
    Element(Box<ElementMedia>),
    /// A hub (Composite, Dispatcher...): a media object, not an element, whose children
    /// are the `HubPort` elements it mixes or routes.
    Hub(Box<HubMedia>),
}

/// A hub's bin inside its pipeline and what its class does.
pub struct HubMedia {
    /// The bin holding the hub's mixers.
    pub bin: gst::Bin,
    /// The class's operations and ports.
    pub behaviour: Arc<dyn HubBehaviour>,
}

/// What a hub class does besides mixing: its own operations, which may name its ports.
pub trait HubBehaviour: Send + Sync {
    /// Makes a `HubPort` of this hub as element bin `name`, already in the hub's pipeline
    /// and joined to the mix.
    fn add_port(&self, name: &str) -> Result<ElementMedia, RpcError>;

    /// Runs the class's `operation`; `port` turns a `HubPort` id given as an argument into
    /// that port's bin, or refuses a port that is not this hub's. `None` when the class has
    /// no such operation.
    fn operation(
        &self,
        operation: &str,
        args: &Map<String, Json>,
        port: &dyn Fn(&str) -> Result<gst::Bin, RpcError>,
    ) -> Option<Result<Json, RpcError>>;
}

/// The two kinds of media that travel between elements.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MediaKind {
    /// Raw audio between elements.
    Audio,
    /// Raw video between elements.
    Video,
}

impl MediaKind {
    /// Both kinds, audio first as KMS lists them.
    pub const ALL: [MediaKind; 2] = [MediaKind::Audio, MediaKind::Video];

    /// Kurento's `MediaType` name.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Audio => "AUDIO",
            MediaKind::Video => "VIDEO",
        }
    }

    /// The kind a Kurento `MediaType` names; `None` for `DATA` and anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind of raw media `caps` describe, if audio or video.
    pub fn of_caps(caps: &gst::CapsRef) -> Option<Self> {
        let name = caps.structure(0)?.name();
        if name.starts_with("audio/") {
            Some(MediaKind::Audio)
        } else if name.starts_with("video/") {
            Some(MediaKind::Video)
        } else {
            None
        }
    }

    fn lowercase(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }
}

/// One kind of media through an element: where it enters, where it leaves, what feeds it.
pub struct Port {
    /// The bin's ghost sink pad `<kind>_sink`; `None` when the element takes no such input.
    pub input: Option<gst::Pad>,
    /// Whether the input takes encoded media too (it encodes, or passes what it may send as
    /// it is): a source with [`Port::encoded`] output then feeds it without decoding.
    pub takes_encoded: bool,
    /// Feeds every connected sink of raw media; it tolerates having no linked branch.
    pub tee: gst::Element,
    /// Feeds the sinks that take encoded media, where the element has it (what a browser
    /// sent, before decoding): they get it without a decode and an encode.
    pub encoded: Option<gst::Element>,
    /// The element feeding this port, and the output pad of that element that does.
    pub source: Option<(String, gst::Pad)>,
    /// Whether buffers pass the input and the output.
    pub flow: Arc<Flow>,
}

impl Port {
    /// A port leaving through `tee`, entering through `input`, watched for media flow.
    pub fn new(tee: gst::Element, input: Option<gst::Pad>) -> Self {
        let flow = Arc::new(Flow::default());
        let target = input
            .as_ref()
            .and_then(|pad| pad.downcast_ref::<gst::GhostPad>())
            .and_then(|ghost| ghost.target());
        if let Some(target) = target {
            flow.input.watch(&target);
        }
        if let Some(output) = tee.static_pad("sink") {
            flow.output.watch(&output);
        }
        Self {
            input,
            takes_encoded: false,
            tee,
            encoded: None,
            source: None,
            flow,
        }
    }

    /// A port whose media leaves encoded through `encoded` and decoded through `tee`, and
    /// whose input takes encoded media: its output flows when the encoded media does.
    pub fn encoding(tee: gst::Element, encoded: gst::Element, input: gst::Pad) -> Self {
        let mut port = Self::new(encoded.clone(), Some(input));
        port.tee = tee;
        port.encoded = Some(encoded);
        port.takes_encoded = true;
        port
    }
}

/// A media element's bin and its connections.
pub struct ElementMedia {
    /// The bin inside the pipeline.
    pub bin: gst::Bin,
    /// The audio through the element.
    pub audio: Port,
    /// The video through the element.
    pub video: Port,
    /// The module's filter element and the index of its module in the registry.
    pub filter: Option<(usize, gst::Element)>,
    /// What a built-in class adds (a player's decoder, a recorder's file); `None` for a
    /// module filter or a `PassThrough`.
    pub behaviour: Option<Box<dyn Behaviour>>,
    /// The elements this one feeds, and with which kind of media.
    pub sinks: Vec<(String, MediaKind)>,
}

impl ElementMedia {
    /// An element made of `bin` and its two ports, with no endpoint behaviour.
    pub fn new(bin: gst::Bin, audio: Port, video: Port) -> Self {
        Self {
            bin,
            audio,
            video,
            filter: None,
            behaviour: None,
            sinks: Vec::new(),
        }
    }

    /// The port of `kind`.
    pub fn port(&self, kind: MediaKind) -> &Port {
        match kind {
            MediaKind::Audio => &self.audio,
            MediaKind::Video => &self.video,
        }
    }

    /// The port of `kind`, mutably.
    pub fn port_mut(&mut self, kind: MediaKind) -> &mut Port {
        match kind {
            MediaKind::Audio => &mut self.audio,
            MediaKind::Video => &mut self.video,
        }
    }
}

/// What a built-in class does beyond carrying media: its own operations and what its
/// release needs. Each class implements it in its own file under `endpoints/`.
pub trait Behaviour: Send + Sync {
    /// Runs the class's own `operation` on its element `media`; `None` when the class has
    /// no such operation (the element's common ones are tried next).
    fn operation(
        &self,
        media: &ElementMedia,
        operation: &str,
        args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>>;

    /// Whether the element may feed itself: true where what it receives and what it sends
    /// are separate streams (a WebRtcEndpoint sending a browser's camera back to it).
    fn may_feed_itself(&self) -> bool {
        false
    }

    /// Work before the released element stops (a recorder finalises its file); it runs
    /// outside the server's lock.
    fn finish(&self) {}

    /// Called a few times a second by the pipeline's bus thread, under the server's lock:
    /// it must be quick, and raise events only by posting them on the bus.
    fn tick(&self, _media: &ElementMedia) {}
}

/// What an operation of a class answers.
pub enum Outcome {
    /// The value, at once.
    Value(Json),
    /// Work to finish without the server's lock (a recorder waiting for its file, a
    /// WebRtcEndpoint waiting for `webrtcbin`).
    Later(Box<dyn FnOnce() -> Result<Json, RpcError> + Send>),
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
}

/// The events every media element offers.
pub const ELEMENT_EVENTS: &[&str] = &[
    "Error",
    "ElementConnected",
    "ElementDisconnected",
    "MediaFlowInStateChanged",
    "MediaFlowOutStateChanged",
];

/// Makes GStreamer element `factory`, or says which one is missing.
pub fn make(factory: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .with_context(|| format!("GStreamer element {factory} is missing"))
}

/// A `tee` that tolerates having no linked branch, added to `bin`.
pub fn output_tee(bin: &gst::Bin) -> Result<gst::Element> {
    let tee = gst::ElementFactory::make("tee")
        .property("allow-not-linked", true)
        .build()
        .context("GStreamer element tee is missing")?;
    bin.add(&tee)?;
    Ok(tee)
}

/// A `queue` in `bin` behind a ghost sink pad `<kind>_sink`: an input that decouples the
/// element from whatever feeds it. Returns the ghost pad and the queue.
pub fn input_queue(bin: &gst::Bin, kind: MediaKind) -> Result<(gst::Pad, gst::Element)> {
    let queue = make("queue")?;
    bin.add(&queue)?;
    let target = queue.static_pad("sink").context("queue without sink pad")?;
    let ghost = gst::GhostPad::builder_with_target(&target)?
        .name(format!("{}_sink", kind.lowercase()))
        .build();
    bin.add_pad(&ghost)?;
    Ok((ghost.upcast(), queue))
}

/// The port `[queue !] inner... ! tee` of `kind` in `bin`, with an input when `with_input`.
/// Without input and inner elements it is a bare tee, for the caller to feed.
pub fn port(
    bin: &gst::Bin,
    kind: MediaKind,
    inner: Vec<gst::Element>,
    with_input: bool,
) -> Result<Port> {
    let mut chain = Vec::new();
    let input = if with_input {
        let (ghost, queue) = input_queue(bin, kind)?;
        chain.push(queue);
        Some(ghost)
    } else {
        None
    };
    bin.add_many(&inner)?;
    chain.extend(inner);
    let tee = output_tee(bin)?;
    chain.push(tee.clone());
    for pair in chain.windows(2) {
        link_quickly(&pair[0], &pair[1])?;
    }
    Ok(Port::new(tee, input))
}

/// A bin with a passing-through audio port and a video port `queue ! inner... ! tee` (with
/// an input) or `inner... ! tee` (without): the shape of every element but the endpoints
/// that make their own.
pub fn element_bin(name: &str, video: Vec<gst::Element>, with_input: bool) -> Result<ElementMedia> {
    let bin = gst::Bin::builder().name(name).build();
    let audio = port(&bin, MediaKind::Audio, Vec::new(), with_input)?;
    let video = port(&bin, MediaKind::Video, video, with_input)?;
    Ok(ElementMedia::new(bin, audio, video))
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

/// A module filter between converters, so it gets a format it accepts whatever comes in;
/// audio passes by it untouched, keeping its timestamps and so its sync with the video.
pub fn filter_element(name: &str, module: usize, filter: gst::Element) -> Result<ElementMedia> {
    let inner = vec![make("videoconvert")?, filter.clone(), make("videoconvert")?];
    let mut media = element_bin(name, inner, true)?;
    media.filter = Some((module, filter));
    Ok(media)
}

/// Links `source`'s `kind` output to `sink`'s `kind` input; returns the source's pad used.
/// A new video consumer asks upstream for a key frame, so that whatever decodes or forwards
/// encoded video for it starts promptly instead of at the next periodic one.
pub fn link(source: &ElementMedia, sink: &ElementMedia, kind: MediaKind) -> Result<gst::Pad> {
    let input = sink
        .port(kind)
        .input
        .as_ref()
        .with_context(|| format!("the sink element takes no {} input", kind.lowercase()))?;
    let port = source.port(kind);
    let tee = match (&port.encoded, sink.port(kind).takes_encoded) {
        (Some(encoded), true) => encoded,
        _ => &port.tee,
    };
    let pad = tee
        .request_pad_simple("src_%u")
        .context("cannot add an output to the source element")?;
    let ghost = gst::GhostPad::builder_with_target(&pad)?
        .name(format!("{}_{}", kind.lowercase(), pad.name()))
        .build();
    source.bin.add_pad(&ghost)?;
    // An element feeding itself links two pads of one bin, which the default hierarchy
    // check refuses although the data path (tee, then input queue) has no cycle.
    let checks = if source.bin == sink.bin {
        gst::PadLinkCheck::TEMPLATE_CAPS
    } else {
        gst::PadLinkCheck::DEFAULT
    };
    if let Err(err) = ghost.link_full(input, checks) {
        if let Err(removal) = source.bin.remove_pad(&ghost) {
            tracing::warn!(%removal, "cannot remove an unlinked output pad");
        }
        tee.release_request_pad(&pad);
        return Err(anyhow!("cannot link the elements: {err:?}"));
    }
    if kind == MediaKind::Video {
        // A filter fed by a browser works in real time: when it falls behind, the frames it
        // has not started go, rather than a second of latency piling up in its input.
        if port.encoded.is_some()
            && sink.filter.is_some()
            && let Some(queue) = input
                .downcast_ref::<gst::GhostPad>()
                .and_then(|ghost| ghost.target())
                .and_then(|target| target.parent_element())
        {
            keep_newest(&queue, gst::ClockTime::ZERO, 1);
        }
        request_key_frame(input);
    }
    Ok(ghost.upcast())
}

/// Makes `queue` drop its oldest buffers beyond `time` (zero: no time bound) or `buffers`
/// (zero: no count bound), never blocking what feeds it.
pub fn keep_newest(queue: &gst::Element, time: gst::ClockTime, buffers: u32) {
    queue.set_property_from_str("leaky", "downstream");
    queue.set_property("max-size-buffers", buffers);
    queue.set_property("max-size-bytes", 0u32);
    queue.set_property("max-size-time", time.nseconds());
}

/// Sends an upstream force-key-unit request from `pad`: decoders and payloaders pass it on
/// until an encoder makes a key frame or an RTP session asks its sender for one (PLI).
pub fn request_key_frame(pad: &gst::Pad) {
    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
        .all_headers(true)
        .build();
    // Nobody upstream able to make one is normal (a file being decoded): nothing to report.
    let _handled = pad.push_event(event);
}

/// Whether the buffer (or first buffer of the list) `info` holds is a delta unit: encoded
/// frames that need the key frame before them to decode.
pub fn is_delta_unit(info: &gst::PadProbeInfo) -> bool {
    let buffer = match info.data.as_ref() {
        Some(gst::PadProbeData::Buffer(buffer)) => Some(buffer.as_ref()),
        Some(gst::PadProbeData::BufferList(list)) => list.get(0),
        _ => None,
    };
    buffer.is_some_and(|buffer| buffer.flags().contains(gst::BufferFlags::DELTA_UNIT))
}

/// Undoes [`link`]: `pad` is the source's output pad it returned.
pub fn unlink(source: &ElementMedia, pad: &gst::Pad) {
    if let Some(peer) = pad.peer()
        && let Err(err) = pad.unlink(&peer)
    {
        tracing::warn!(%err, "cannot unlink an output pad");
    }
    let target = pad
        .downcast_ref::<gst::GhostPad>()
        .and_then(|ghost| ghost.target());
    if let Err(err) = source.bin.remove_pad(pad) {
        tracing::warn!(%err, "cannot remove an output pad");
    }
    // The pad is the raw or the encoded tee's, whichever `link` chose.
    if let Some(target) = target
        && let Some(tee) = target.parent_element()
    {
        tee.release_request_pad(&target);
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
