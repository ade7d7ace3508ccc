//! What the endpoints that exchange RTP with a peer (WebRtcEndpoint, RtpEndpoint) share:
//! sending an element's input in the negotiated codec, receiving the peer's streams into the
//! ports' tees, and the media and connection states of Kurento's BaseRtpEndpoint.

use super::super::objects::{self, ElementMedia, MediaKind, Outcome, Port};
use super::super::rpc::RpcError;
use super::encoding_input::EncodingInput;
use super::webrtc::codecs::Codec;
use super::webrtc::sdp;
use super::webrtc::settings::{self, Settings};
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// `mediaState` and `connectionState` values.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Link {
    /// No media (or no transport) with the peer.
    Disconnected,
    /// Media (or the transport) is up.
    Connected,
}

impl Link {
    /// Kurento's name of the state.
    pub fn name(self) -> &'static str {
        match self {
            Link::Disconnected => "DISCONNECTED",
            Link::Connected => "CONNECTED",
        }
    }
}

/// Where an endpoint's SDP negotiation is.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Phase {
    /// Nothing negotiated yet.
    Idle,
    /// A request is negotiating right now.
    Busy,
    /// `generateOffer` made an offer; the answer is awaited.
    OfferGenerated,
    /// Both descriptions are set.
    Negotiated,
}

/// The SDP negotiation requests of Kurento's SdpEndpoint.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Negotiation {
    /// `processOffer`.
    ProcessOffer,
    /// `generateOffer`.
    GenerateOffer,
    /// `processAnswer`.
    ProcessAnswer,
}

impl Phase {
    /// Takes the negotiation for `request` (the phase becomes `Busy`) if the phase permits
    /// it, with KMS's error otherwise; returns the phase it was in. A request while another
    /// negotiates is 40207.
    pub fn take(&mut self, request: Negotiation) -> Result<Phase, RpcError> {
        let phase = *self;
        match (request, phase) {
            (_, Phase::Busy) => Err(RpcError::sdp_configuration(
                "another negotiation of this endpoint is under way",
            )),
            (Negotiation::ProcessOffer | Negotiation::GenerateOffer, Phase::Idle)
            | (Negotiation::ProcessAnswer, Phase::OfferGenerated) => {
                *self = Phase::Busy;
                Ok(phase)
            }
            (Negotiation::ProcessOffer, Phase::OfferGenerated) => {
                Err(RpcError::already_negotiated(
                    "this endpoint generated an offer: process the answer to it instead",
                ))
            }
            (Negotiation::ProcessOffer, _) => Err(RpcError::already_negotiated(
                "this endpoint has already negotiated its session",
            )),
            (Negotiation::GenerateOffer, _) => Err(RpcError::generate_offer(
                "this endpoint has already made or received an offer",
            )),
            (Negotiation::ProcessAnswer, Phase::Negotiated) => Err(
                RpcError::answer_already_processed("an answer was already processed"),
            ),
            (Negotiation::ProcessAnswer, Phase::Idle) => Err(RpcError::offer_not_generated(
                "no offer was generated: call generateOffer first",
            )),
        }
    }
}

/// What WebRtcEndpoint and RtpEndpoint answer alike of Kurento's SdpEndpoint and
/// BaseRtpEndpoint: the negotiation, the descriptions, the states, key frames and the
/// bandwidth properties. [`sdp_operation`] dispatches the requests to them.
pub trait SdpSession: Send + Sync + 'static {
    /// `processOffer`: the answer.
    fn process_offer(&self, offer: &str) -> Result<String, RpcError>;
    /// `generateOffer` with kurento-client's `options`: the offer.
    fn generate_offer(&self, options: &Json) -> Result<String, RpcError>;
    /// `processAnswer`: the local description.
    fn process_answer(&self, answer: &str) -> Result<String, RpcError>;
    /// The local and the remote description, once set.
    fn descriptions(&self) -> (Option<String>, Option<String>);
    /// The media and connection states.
    fn links(&self) -> &Links;
    /// `requestKeyframe`: asks the peer for a key frame.
    fn request_key_frame(&self) -> Result<(), RpcError>;
    /// The values of the class's properties.
    fn settings(&self) -> &Mutex<Settings>;
    /// Whether the class has the property `name` (`MaxVideoSendBandwidth`) of [`Settings`].
    fn has_property(&self, name: &str) -> bool;
    /// Applies the send-bandwidth properties to the encoders.
    fn apply_send_bitrate(&self);
}

/// An SdpEndpoint request to `session`; `None` for other operations. The negotiation runs
/// outside the server's lock (`Outcome::Later`): it may wait on GStreamer.
pub fn sdp_operation<S: SdpSession>(
    session: &Arc<S>,
    operation: &str,
    args: &Map<String, Json>,
) -> Option<Result<Outcome, RpcError>> {
    let later =
        |work: Box<dyn FnOnce() -> Result<Json, RpcError> + Send>| Some(Ok(Outcome::Later(work)));
    let value = |result: Result<Json, RpcError>| Some(result.map(Outcome::Value));
    let owned = Arc::clone(session);
    match operation {
        "processOffer" => {
            let offer = sdp::argument(args, "offer");
            later(Box::new(move || {
                owned.process_offer(&offer?).map(Json::from)
            }))
        }
        "generateOffer" => {
            let options = args.get("options").cloned().unwrap_or(Json::Null);
            later(Box::new(move || {
                owned.generate_offer(&options).map(Json::from)
            }))
        }
        "processAnswer" => {
            let answer = sdp::argument(args, "answer");
            later(Box::new(move || {
                owned.process_answer(&answer?).map(Json::from)
            }))
        }
        "getLocalSessionDescriptor" => value(
            session
                .descriptions()
                .0
                .map(Json::from)
                .ok_or_else(|| RpcError::no_local_sdp("no local SDP yet")),
        ),
        "getRemoteSessionDescriptor" => value(
            session
                .descriptions()
                .1
                .map(Json::from)
                .ok_or_else(|| RpcError::no_remote_sdp("no remote SDP yet")),
        ),
        "requestKeyframe" => value(session.request_key_frame().map(|_| Json::Null)),
        "getMediaState" => value(Ok(json!(session.links().states().0.name()))),
        "getConnectionState" => value(Ok(json!(session.links().states().1.name()))),
        _ => {
            let property = operation
                .strip_prefix("get")
                .or_else(|| operation.strip_prefix("set"))?;
            if !session.has_property(property) {
                return None;
            }
            let result = settings::operation(session.settings(), operation, args)?;
            if result.is_ok() && operation.starts_with("set") {
                session.apply_send_bitrate();
            }
            value(result)
        }
    }
}

/// The fields of an `Error` event for what went wrong with the peer's media.
pub fn error_fields(description: &str) -> Map<String, Json> {
    let fields =
        json!({"description": description, "errorCode": 40003, "type": "UNEXPECTED_ERROR"});
    fields.as_object().cloned().unwrap_or_default()
}

/// The media and connection states of an endpoint with a peer (Kurento's BaseRtpEndpoint),
/// each change raised as its event. They have their own lock, apart from the session's:
/// GStreamer's threads change them while a request may hold the session.
pub struct Links {
    bin: gst::glib::WeakRef<gst::Bin>,
    states: Mutex<LinkStates>,
}

/// What [`Links`] keeps behind its lock.
struct LinkStates {
    media: Link,
    connection: Link,
    /// Whether what the peer sends came out of the element at the previous tick.
    flowed: bool,
}

impl Links {
    /// Both states disconnected; events are posted on `bin`.
    pub fn new(bin: &gst::Bin) -> Links {
        Links {
            bin: bin.downgrade(),
            states: Mutex::new(LinkStates {
                media: Link::Disconnected,
                connection: Link::Disconnected,
                flowed: false,
            }),
        }
    }

    /// `mediaState` and `connectionState`.
    pub fn states(&self) -> (Link, Link) {
        let states = self.lock();
        (states.media, states.connection)
    }

    /// Sets the media state, raising `MediaStateChanged` when it changed.
    pub fn set_media(&self, state: Link) {
        let old = std::mem::replace(&mut self.lock().media, state);
        self.changed("MediaStateChanged", old, state);
    }

    /// Sets the connection state, raising `ConnectionStateChanged` when it changed.
    pub fn set_connection(&self, state: Link) {
        let old = std::mem::replace(&mut self.lock().connection, state);
        self.changed("ConnectionStateChanged", old, state);
    }

    /// The periodic check of the media state: connected once what the peer sends comes out
    /// of the element, disconnected once it stopped (a peer that goes away often says
    /// nothing: a closed tab sends no BYE, and RTP's own timeout takes half a minute).
    pub fn tick(&self, media: &ElementMedia) {
        let flowing = MediaKind::ALL
            .iter()
            .any(|kind| media.port(*kind).flow.output.is_flowing());
        let mut states = self.lock();
        let before = std::mem::replace(&mut states.flowed, flowing);
        let old = states.media;
        let new = match (before, flowing, old) {
            (true, false, Link::Connected) => Link::Disconnected,
            (_, true, Link::Disconnected) => Link::Connected,
            _ => return,
        };
        states.media = new;
        drop(states);
        self.changed("MediaStateChanged", old, new);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkStates> {
        self.states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Raises `event_type` when the state went from `old` to `new`.
    fn changed(&self, event_type: &str, old: Link, new: Link) {
        if old == new {
            return;
        }
        if let Some(bin) = self.bin.upgrade() {
            let fields = json!({"oldState": old.name(), "newState": new.name()});
            objects::post_event(&bin, event_type, fields.as_object().unwrap_or(&Map::new()));
        }
    }
}

/// The two ports of an endpoint exchanging media with a peer, and their parts, each as
/// `[audio, video]`.
pub struct PeerPorts {
    /// The audio port.
    pub audio: Port,
    /// The video port.
    pub video: Port,
    /// The input queues: senders are linked behind them once negotiated.
    pub inputs: [gst::Element; 2],
    /// The raw output tees: decoders feed them.
    pub raw: [gst::Element; 2],
    /// The encoded output tees: depayloaders feed them.
    pub encoded: [gst::Element; 2],
}

/// The ports of an endpoint exchanging media with a peer, in `bin`: what the element receives
/// waits in an input queue that drops it until negotiation links a sender (and drops the
/// oldest when the sender falls behind: real time); what the peer sends leaves through an
/// encoded and a raw tee.
pub fn peer_ports(bin: &gst::Bin) -> Result<PeerPorts> {
    let mut ports = Vec::new();
    let mut inputs = Vec::new();
    for kind in MediaKind::ALL {
        let (ghost, queue) = objects::input_queue(bin, kind)?;
        objects::keep_newest(&queue, gst::ClockTime::from_mseconds(500), 0);
        let output = queue.static_pad("src").context("queue without src")?;
        output.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            |pad, _| {
                if pad.is_linked() {
                    gst::PadProbeReturn::Ok
                } else {
                    gst::PadProbeReturn::Drop
                }
            },
        );
        let (tee, encoded) = (objects::output_tee(bin)?, objects::output_tee(bin)?);
        ports.push(Port::encoding(tee, encoded, ghost));
        inputs.push(queue);
    }
    let video = ports.pop().context("no video port")?;
    let audio = ports.pop().context("no audio port")?;
    let encoded = |port: &Port| {
        port.encoded
            .clone()
            .context("a port without encoded output")
    };
    Ok(PeerPorts {
        inputs: [inputs[0].clone(), inputs[1].clone()],
        raw: [audio.tee.clone(), video.tee.clone()],
        encoded: [encoded(&audio)?, encoded(&video)?],
        audio,
        video,
    })
}

/// The sending side of one kind of media, once negotiated.
pub struct Sender {
    /// The codec's encoder element, whose bitrate may be set.
    pub encoder: gst::Element,
    /// The codec sent.
    pub codec: Codec,
    /// The input that passes frames already in `codec` and encodes anything else.
    pub input: Arc<EncodingInput>,
}

/// Links the input queue `queue` of `bin` to `sink` (where RTP leaves towards the peer)
/// through a payloader of `codec` with payload type `payload`, behind an input that encodes
/// what does not arrive in `codec` already.
pub fn link_sender(
    bin: &gst::Bin,
    queue: &gst::Element,
    codec: Codec,
    payload: u32,
    sink: &gst::Pad,
) -> Result<Sender> {
    let encoder = codec.encoder()?;
    let payloader = codec.payloader(payload)?;
    bin.add_many(&encoder)?;
    bin.add(&payloader)?;
    gst::Element::link_many(&encoder)?;
    payloader
        .static_pad("src")
        .context("payloader without src")?
        .link(sink)?;
    for element in encoder.iter().chain([&payloader]) {
        element.sync_state_with_parent()?;
    }
    let input = EncodingInput::new(
        bin,
        queue.static_pad("src").context("queue without src")?,
        &encoder,
        payloader
            .static_pad("sink")
            .context("payloader without sink")?,
        Some(codec),
    )?;
    Ok(Sender {
        encoder: encoder[codec.encoder_index()].clone(),
        codec,
        input,
    })
}

/// Depayloads the peer's RTP stream leaving `pad` into the encoded tee of its kind (in
/// `encoded`, audio then video), and decodes it into the raw tee of its kind (in `raw`) while
/// something consumes raw media. Returns the depayloader, where key frame requests to the
/// peer start.
pub fn receive(
    bin: &gst::Bin,
    pad: &gst::Pad,
    encoded: &[gst::Element; 2],
    raw: &[gst::Element; 2],
) -> Result<gst::Element> {
    let caps = pad.current_caps().context("an RTP stream without caps")?;
    let structure = caps.structure(0).context("empty RTP caps")?;
    let encoding = structure.get::<String>("encoding-name").unwrap_or_default();
    let codec = Codec::from_encoding(&encoding)
        .with_context(|| format!("the peer sends {encoding}, which is not spoken here"))?;
    let kind = codec.kind() as usize;
    let (encoded, raw) = (&encoded[kind], &raw[kind]);
    let depayloader = codec.depayloader()?;
    bin.add(&depayloader)?;
    let encoded_input = encoded.static_pad("sink").context("tee without sink")?;
    if encoded_input.is_linked() {
        // A second stream of one kind has nowhere to go: it ends in a fakesink.
        let drain = objects::make("fakesink")?;
        drain.set_property("sync", false);
        bin.add(&drain)?;
        depayloader.link(&drain)?;
        drain.sync_state_with_parent()?;
    } else {
        depayloader
            .static_pad("src")
            .context("depayloader without src")?
            .link(&encoded_input)?;
        decode_on_demand(bin, codec, encoded, raw)?;
    }
    depayloader.sync_state_with_parent()?;
    pad.link(
        &depayloader
            .static_pad("sink")
            .context("depayloader without sink")?,
    )?;
    Ok(depayloader)
}

/// Decodes the `encoded` tee into the `raw` tee, but only while the raw tee feeds someone:
/// until then, and after, frames stop before the decoder, which costs nothing. A decoder
/// starting anew waits for a key frame (the consumer that made it start asked for one when
/// it linked).
fn decode_on_demand(
    bin: &gst::Bin,
    codec: Codec,
    encoded: &gst::Element,
    raw: &gst::Element,
) -> Result<()> {
    let decoder = codec.decoder()?;
    bin.add_many(&decoder)?;
    gst::Element::link_many(&decoder)?;
    let last = decoder.last().context("an empty decoder chain")?;
    last.link(raw)?;
    for element in &decoder {
        element.sync_state_with_parent()?;
    }
    let branch = encoded
        .request_pad_simple("src_%u")
        .context("cannot add a decoding branch")?;
    branch.link(
        &decoder[0]
            .static_pad("sink")
            .context("decoder without sink")?,
    )?;
    let raw = raw.clone();
    let starting = AtomicBool::new(true);
    branch.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        move |_, info| {
            if raw.property::<i32>("num-src-pads") == 0 {
                starting.store(true, Ordering::Relaxed);
                return gst::PadProbeReturn::Drop;
            }
            if starting.load(Ordering::Relaxed) {
                let key = !objects::is_delta_unit(info);
                if !key {
                    return gst::PadProbeReturn::Drop;
                }
                starting.store(false, Ordering::Relaxed);
            }
            gst::PadProbeReturn::Ok
        },
    );
    Ok(())
}

/// Asks the peer for a video key frame (an RTCP PLI) from each of `depayloaders`.
pub fn request_key_frame(depayloaders: &[gst::Element]) {
    for depayloader in depayloaders {
        if let Some(pad) = depayloader.static_pad("src") {
            objects::request_key_frame(&pad);
        }
    }
}
