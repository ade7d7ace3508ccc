//! `WebRtcEndpoint(mediaPipeline, recvonly?, sendonly?, useDataChannels?)`: a browser's audio
//! and video in, and the element's input back out to it, over GStreamer's `webrtcbin`.
//!
//! The bin holds `webrtcbin` and the two ports of every element. What the browser sends
//! leaves `webrtcbin` as RTP on a pad added with the first packet; it is depayloaded into the
//! port's encoded tee, which feeds other WebRtcEndpoints and recorders as it is, and decoded
//! into the port's raw tee only while something consumes raw media (a filter), once for
//! however many do. What the element receives waits in the port's input queue until
//! negotiation picks a codec; then a payloader, behind an [`EncodingInput`] that passes
//! frames already in that codec and encodes anything else, links that queue to
//! `webrtcbin`'s `sink_<m-line>` pad (named: in GStreamer 1.22 an unnamed request pad never
//! joins an existing transceiver).
//!
//! Bandwidth: a receiving browser's estimate (REMB) sets the encoder's bitrate within the
//! endpoint's bounds; where frames pass as they are, the same bitrate travels upstream as an
//! event to the endpoint they come from, which sends the lowest of its consumers' to its
//! own browser as REMB, so the sending browser's encoder obeys it.
//!
//! Negotiation runs without the server's lock and waits for `webrtcbin`'s promises; requests
//! to one endpoint arrive in order on their connection, so `processOffer` and an unawaited
//! `gatherCandidates` behind it are handled one after the other, as the tutorials expect.
//! `webrtcbin`'s signals come on its own threads: they only post events on the bus, where
//! the pipeline's bus thread turns them into `onEvent`s.

mod candidate;
pub mod codecs;
pub mod remb;
pub mod sdp;
pub mod settings;

use super::super::objects::{Behaviour, Outcome};
use super::super::objects::{ElementMedia, MediaKind, post_event};
use super::super::rpc::RpcError;
use super::encoding_input::{Branch, EncodingInput};
use super::rtp_common::{self, Link, Links, Negotiation, Phase, SdpSession, error_fields};
use anyhow::{Context, Result};
use candidate::Candidate;
use codecs::Codec;
use gst::glib;
use gst::prelude::*;
use gst_webrtc::{
    WebRTCICEConnectionState, WebRTCICEGatheringState, WebRTCPeerConnectionState,
    WebRTCRTPTransceiver, WebRTCRTPTransceiverDirection as Direction, WebRTCSDPType,
    WebRTCSessionDescription,
};
use serde_json::{Map, Value as Json, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use settings::Settings;
pub use settings::WebRtcDefaults;

/// The endpoint's own events, with the names of Kurento 6 that its browser bundle still uses.
pub const EVENTS: &[&str] = &[
    "IceCandidateFound",
    "IceGatheringDone",
    "IceComponentStateChanged",
    "NewCandidatePairSelected",
    "ConnectionStateChanged",
    "MediaStateChanged",
    "DataChannelOpened",
    "DataChannelClosed",
    "OnIceCandidate",
    "OnIceGatheringDone",
    "OnIceComponentStateChanged",
    "OnDataChannelOpened",
    "OnDataChannelClosed",
];

/// Kurento 7 renamed some events; subscribers of the old name get them under that name.
const LEGACY_NAMES: &[(&str, &str)] = &[
    ("IceCandidateFound", "OnIceCandidate"),
    ("IceGatheringDone", "OnIceGatheringDone"),
    ("IceComponentStateChanged", "OnIceComponentStateChanged"),
    ("DataChannelOpened", "OnDataChannelOpened"),
    ("DataChannelClosed", "OnDataChannelClosed"),
];

/// The Kurento 6 name of event `event_type`, if it had another.
pub fn legacy_event_name(event_type: &str) -> Option<&'static str> {
    LEGACY_NAMES
        .iter()
        .find(|(current, _)| *current == event_type)
        .map(|(_, legacy)| *legacy)
}

/// How many remote candidates may wait for the negotiation: a browser sends a handful, and
/// a client must not grow the server's memory without bound.
const MAX_PENDING_CANDIDATES: usize = 256;

/// How long a `webrtcbin` promise may take before the request fails.
const PROMISE_TIMEOUT: Duration = Duration::from_secs(10);

/// What changes during a call, behind the endpoint's lock.
struct Session {
    phase: Phase,
    local: Option<String>,
    remote: Option<String>,
    /// Remote candidates that arrived before both descriptions were set: (m-line, text).
    pending: Vec<(u32, String)>,
    /// Whether `gatherCandidates` was called: local candidates are announced only after.
    gathering: bool,
    /// Local candidates found before `gatherCandidates`.
    found: Vec<String>,
    /// Whether gathering completed.
    gathered: bool,
    /// The m-lines sharing the ICE transport: (mid, index).
    mlines: Vec<(String, u32)>,
    /// The ICE state, as Kurento names it.
    ice_state: &'static str,
    /// The selected candidate pair, as `IceCandidatePair`.
    pair: Option<Json>,
    /// The video encoder, whose bitrate follows the bounds and the receiver's estimate, and
    /// the input that decides whether it encodes.
    video_encoder: Option<(gst::Element, Codec, Arc<EncodingInput>)>,
    /// The audio input, kept for as long as the endpoint.
    audio_input: Option<Arc<EncodingInput>>,
    /// The bitrates the consumers of this endpoint's video as it is can take, by consumer,
    /// and when each said so: the lowest recent one goes to the browser as REMB.
    consumer_bitrates: HashMap<String, (u64, Instant)>,
    /// The receiver's latest estimate of the bandwidth it can take, in bits per second.
    estimate: Option<u64>,
    /// Depayloaders of what the browser sends, where key frame requests start.
    depayloaders: Vec<gst::Element>,
    /// The browser's RTP streams (SSRCs) that have not ended.
    remote_ssrcs: HashSet<u32>,
    /// The RTP sessions whose RTCP is watched for bandwidth estimates.
    watched_sessions: HashSet<u32>,
}

/// The shared part of a `WebRtcEndpoint`, reached from `webrtcbin`'s signal handlers.
struct Inner {
    bin: glib::WeakRef<gst::Bin>,
    webrtcbin: gst::Element,
    recvonly: bool,
    sendonly: bool,
    /// The input queues, audio then video: payloaders are linked behind them once negotiated.
    inputs: [gst::Element; 2],
    /// The raw output tees, audio then video: decoders feed them.
    outputs: [gst::Element; 2],
    /// The encoded output tees, audio then video: depayloaders feed them.
    encoded: [gst::Element; 2],
    session: Mutex<Session>,
    settings: Mutex<Settings>,
    /// The media and connection states.
    links: Links,
}

/// A `WebRtcEndpoint`'s own parts.
pub struct WebRtc {
    inner: Arc<Inner>,
}

/// Creates an endpoint from `{recvonly?, sendonly?, useDataChannels?}`.
pub fn create(
    name: &str,
    params: &Map<String, Json>,
    defaults: &WebRtcDefaults,
) -> Result<ElementMedia, RpcError> {
    let flag = |key: &str| match params.get(key) {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(value)) => Ok(*value),
        Some(other) => Err(RpcError::illegal_param(format!(
            "{key} must be a boolean, not {other}"
        ))),
    };
    let (recvonly, sendonly) = (flag("recvonly")?, flag("sendonly")?);
    if recvonly && sendonly {
        return Err(RpcError::illegal_param(
            "a WebRtcEndpoint cannot be both recvonly and sendonly",
        ));
    }
    if flag("useDataChannels")? {
        return Err(RpcError::illegal_param(
            "useDataChannels is not supported: this server carries audio and video only",
        ));
    }
    build(name, recvonly, sendonly, defaults)
        .map_err(|err| RpcError::unexpected(format!("{err:#}")))
}

fn build(
    name: &str,
    recvonly: bool,
    sendonly: bool,
    defaults: &WebRtcDefaults,
) -> Result<ElementMedia> {
    let bin = gst::Bin::builder().name(name).build();
    let webrtcbin = gst::ElementFactory::make("webrtcbin")
        .property_from_str("bundle-policy", "max-bundle")
        .property("latency", defaults.jitter_buffer_ms())
        .build()
        .context(
            "GStreamer element webrtcbin is missing (Debian: gstreamer1.0-plugins-bad and \
             gstreamer1.0-nice)",
        )?;
    if gst::ElementFactory::find("nicesrc").is_none() {
        anyhow::bail!("GStreamer's libnice elements are missing (Debian: gstreamer1.0-nice)");
    }
    bin.add(&webrtcbin)?;
    let ports = rtp_common::peer_ports(&bin)?;
    let inner = Arc::new(Inner {
        bin: bin.downgrade(),
        webrtcbin: webrtcbin.clone(),
        recvonly,
        sendonly,
        inputs: ports.inputs,
        outputs: ports.raw,
        encoded: ports.encoded,
        session: Mutex::new(Session {
            phase: Phase::Idle,
            local: None,
            remote: None,
            pending: Vec::new(),
            gathering: false,
            found: Vec::new(),
            gathered: false,
            mlines: Vec::new(),
            ice_state: "DISCONNECTED",
            pair: None,
            video_encoder: None,
            audio_input: None,
            consumer_bitrates: HashMap::new(),
            estimate: None,
            depayloaders: Vec::new(),
            remote_ssrcs: HashSet::new(),
            watched_sessions: HashSet::new(),
        }),
        settings: Mutex::new(Settings::from(defaults)),
        links: Links::new(&bin),
    });
    connect_signals(&inner);
    inner.hear_consumers();
    let mut media = ElementMedia::new(bin, ports.audio, ports.video);
    media.behaviour = Some(Box::new(WebRtc { inner }));
    Ok(media)
}

/// Hands `webrtcbin`'s signals to the endpoint, holding it weakly: the endpoint owns them.
fn connect_signals(inner: &Arc<Inner>) {
    let webrtcbin = &inner.webrtcbin;
    let weak = Arc::downgrade(inner);
    webrtcbin.connect("on-ice-candidate", false, move |values| {
        let mline = values.get(1).and_then(|v| v.get::<u32>().ok());
        let text = values.get(2).and_then(|v| v.get::<String>().ok());
        if let (Some(inner), Some(_), Some(text)) = (weak.upgrade(), mline, text) {
            inner.local_candidate(text);
        }
        None
    });
    let weak = Arc::downgrade(inner);
    webrtcbin.connect_notify(Some("ice-gathering-state"), move |webrtcbin, _| {
        let state = webrtcbin.property::<WebRTCICEGatheringState>("ice-gathering-state");
        if let Some(inner) = weak.upgrade()
            && state == WebRTCICEGatheringState::Complete
        {
            inner.gathering_complete();
        }
    });
    let weak = Arc::downgrade(inner);
    webrtcbin.connect_notify(Some("ice-connection-state"), move |webrtcbin, _| {
        let state = webrtcbin.property::<WebRTCICEConnectionState>("ice-connection-state");
        if let Some(inner) = weak.upgrade() {
            inner.ice_state_changed(state);
        }
    });
    let weak = Arc::downgrade(inner);
    webrtcbin.connect_notify(Some("connection-state"), move |webrtcbin, _| {
        let state = webrtcbin.property::<WebRTCPeerConnectionState>("connection-state");
        if let Some(inner) = weak.upgrade() {
            let link = match state {
                WebRTCPeerConnectionState::Connected => Link::Connected,
                WebRTCPeerConnectionState::Disconnected
                | WebRTCPeerConnectionState::Failed
                | WebRTCPeerConnectionState::Closed => Link::Disconnected,
                _ => return,
            };
            inner.links.set_connection(link);
            if link == Link::Disconnected {
                inner.links.set_media(Link::Disconnected);
            }
        }
    });
    let weak = Arc::downgrade(inner);
    webrtcbin.connect_pad_added(move |_, pad| {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        if let Some(inner) = weak.upgrade()
            && let Err(err) = inner.receive(pad)
        {
            tracing::warn!(error = %format!("{err:#}"), "cannot decode what the browser sends");
            inner.post("Error", error_fields(&format!("{err:#}")));
        }
    });
    // The RTP session says when the browser's streams end (RTCP BYE) or go silent.
    if let Some(rtpbin) = webrtcbin
        .downcast_ref::<gst::Bin>()
        .and_then(|bin| bin.by_name("rtpbin"))
    {
        // Media is connected while a stream of the browser's is: one ending (a BYE, or
        // silence past the RTP session's timeout, such as a probing stream that stops after
        // the call's first seconds) disconnects only when it was the last.
        for signal in ["on-bye-ssrc", "on-timeout"] {
            let weak = Arc::downgrade(inner);
            rtpbin.connect(signal, false, move |values| {
                let ssrc = values.get(2).and_then(|v| v.get::<u32>().ok());
                if let (Some(inner), Some(ssrc)) = (weak.upgrade(), ssrc) {
                    inner.remote_stream_ended(ssrc);
                }
                None
            });
        }
        let weak = Arc::downgrade(inner);
        rtpbin.connect("on-new-ssrc", false, move |values| {
            let session = values.get(1).and_then(|v| v.get::<u32>().ok());
            let ssrc = values.get(2).and_then(|v| v.get::<u32>().ok());
            if let (Some(inner), Some(session), Some(ssrc)) = (weak.upgrade(), session, ssrc) {
                inner.lock().remote_ssrcs.insert(ssrc);
                inner.watch_feedback(session);
            }
            None
        });
    }
}

/// A `webrtcbin` promise's reply, waited for at most [`PROMISE_TIMEOUT`].
fn promised(
    what: &str,
    call: impl FnOnce(&gst::Promise),
) -> Result<Option<gst::Structure>, String> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let promise = gst::Promise::with_change_func(move |reply| {
        let reply = match reply {
            Ok(reply) => Ok(reply.map(|structure| structure.to_owned())),
            Err(err) => Err(format!("{err:?}")),
        };
        // The waiter may have timed out and left: then nobody needs the reply.
        let _unwanted = sender.send(reply);
    });
    call(&promise);
    let reply = receiver
        .recv_timeout(PROMISE_TIMEOUT)
        .map_err(|_| {
            format!(
                "{what} did not finish within {} s",
                PROMISE_TIMEOUT.as_secs()
            )
        })?
        .map_err(|err| format!("{what} failed: {err}"))?;
    // webrtcbin replies with an `error` field when it refuses a description.
    if let Some(error) = reply
        .as_ref()
        .and_then(|reply| reply.get::<glib::Error>("error").ok())
    {
        return Err(format!("{what} failed: {}", error.message()));
    }
    Ok(reply)
}

impl Behaviour for WebRtc {
    /// Kurento's hello world sends a browser's camera back to it.
    fn may_feed_itself(&self) -> bool {
        true
    }

    /// Media is disconnected once nothing the browser sends has come out for a while (a
    /// closed tab sends no BYE, and RTP's own timeout takes half a minute), and connected
    /// again when it does.
    fn tick(&self, media: &ElementMedia) {
        self.inner.links.tick(media);
    }

    /// The endpoint's operations and properties; `None` for other operations.
    fn operation(
        &self,
        _media: &ElementMedia,
        operation: &str,
        args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        let value = |result: Result<Json, RpcError>| Some(result.map(Outcome::Value));
        match operation {
            "addIceCandidate" => {
                let inner = Arc::clone(&self.inner);
                let candidate = args.get("candidate").cloned().unwrap_or(Json::Null);
                Some(Ok(Outcome::Later(Box::new(move || {
                    inner.add_remote_candidate(&candidate).map(|_| Json::Null)
                }))))
            }
            "gatherCandidates" => value(self.inner.gather_candidates().map(|_| Json::Null)),
            "getICECandidatePairs" => {
                value(Ok(json!(self.inner.lock().pair.iter().collect::<Vec<_>>())))
            }
            "getIceConnectionState" => {
                let state = self.inner.lock().ice_state;
                value(Ok(
                    json!([{"__module__": "kurento", "__type__": "IceConnection",
                    "streamId": "1", "componentId": 1, "state": state}]),
                ))
            }
            "createDataChannel" | "closeDataChannel" => value(Err(RpcError::illegal_param(
                "data channels are not supported: this server carries audio and video only",
            ))),
            _ => rtp_common::sdp_operation(&self.inner, operation, args),
        }
    }
}

impl SdpSession for Inner {
    fn process_offer(&self, offer: &str) -> Result<String, RpcError> {
        Inner::process_offer(self, offer)
    }

    fn generate_offer(&self, options: &Json) -> Result<String, RpcError> {
        Inner::generate_offer(self, options)
    }

    fn process_answer(&self, answer: &str) -> Result<String, RpcError> {
        Inner::process_answer(self, answer)
    }

    fn descriptions(&self) -> (Option<String>, Option<String>) {
        let session = self.lock();
        (session.local.clone(), session.remote.clone())
    }

    fn links(&self) -> &Links {
        &self.links
    }

    fn request_key_frame(&self) -> Result<(), RpcError> {
        Inner::request_key_frame(self)
    }

    fn settings(&self) -> &Mutex<Settings> {
        &self.settings
    }

    /// Every property of [`Settings`], the ICE ones included.
    fn has_property(&self, _name: &str) -> bool {
        true
    }

    fn apply_send_bitrate(&self) {
        Inner::apply_send_bitrate(self)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn post(&self, event_type: &str, fields: Map<String, Json>) {
        if let Some(bin) = self.bin.upgrade() {
            post_event(&bin, event_type, &fields);
        }
    }

    /// Takes the negotiation for `request`, if the phase permits it.
    fn begin(&self, request: Negotiation) -> Result<Phase, RpcError> {
        self.lock().phase.take(request)
    }

    /// Ends a request's negotiation in `phase`.
    fn end(&self, phase: Phase) {
        self.lock().phase = phase;
    }

    fn process_offer(&self, text: &str) -> Result<String, RpcError> {
        let offer = sdp::parse(text)?;
        let before = self.begin(Negotiation::ProcessOffer)?;
        let answered = self.answer(offer);
        match &answered {
            Ok(_) => self.end(Phase::Negotiated),
            Err(_) => self.end(before),
        }
        answered
    }

    fn answer(&self, offer: gst_sdp::SDPMessage) -> Result<String, RpcError> {
        let failed = |message: String| RpcError::process_offer(message);
        self.configure_ice();
        let plans = codecs::plan_answer(&offer, self.recvonly, self.sendonly);
        // In GStreamer 1.22 a remote offer creates no transceivers; a pad named after an
        // m-line does, for that m-line, and the answer then takes its codec and direction.
        for plan in &plans {
            let pad = self.transceiver_pad(plan.mline, plan.direction, &plan.caps);
            let pad = pad.map_err(|err| failed(format!("{err:#}")))?;
            if let (Some(codec), true) = (plan.codec, plan.sends()) {
                self.link_sender(plan.kind, codec, plan.payload, &pad)
                    .map_err(|err| failed(format!("{err:#}")))?;
            }
        }
        let description = WebRTCSessionDescription::new(WebRTCSDPType::Offer, offer.clone());
        promised("setting the remote offer", |promise| {
            self.webrtcbin
                .emit_by_name::<()>("set-remote-description", &[&description, promise]);
        })
        .map_err(failed)?;
        let reply = promised("creating the answer", |promise| {
            self.webrtcbin
                .emit_by_name::<()>("create-answer", &[&None::<gst::Structure>, promise]);
        })
        .map_err(failed)?;
        let answer = reply
            .as_ref()
            .and_then(|reply| reply.get::<WebRTCSessionDescription>("answer").ok())
            .ok_or_else(|| failed("webrtcbin made no answer".into()))?;
        let answer = self.finish_local(answer.sdp().to_owned(), WebRTCSDPType::Answer)?;
        self.lock().remote = Some(sdp::text(&offer));
        self.descriptions_set();
        Ok(answer)
    }

    /// Adds the endpoint's own lines to `sdp` (stream ids, bandwidth limits), sets it as the
    /// local description and returns its text.
    fn finish_local(
        &self,
        mut sdp: gst_sdp::SDPMessage,
        kind: WebRTCSDPType,
    ) -> Result<String, RpcError> {
        let stream = self
            .bin
            .upgrade()
            .map(|bin| bin.name().to_string())
            .unwrap_or_else(|| "filmstrip".into());
        let limits = self.settings().recv_limits();
        sdp::decorate(&mut sdp, &stream, limits);
        let mlines = sdp::bundle_mlines(&sdp);
        self.lock().mlines = mlines;
        let text = sdp::text(&sdp);
        let description = WebRTCSessionDescription::new(kind, sdp);
        promised("setting the local description", |promise| {
            self.webrtcbin
                .emit_by_name::<()>("set-local-description", &[&description, promise]);
        })
        .map_err(|message| match kind {
            WebRTCSDPType::Offer => RpcError::generate_offer(message),
            _ => RpcError::process_offer(message),
        })?;
        self.lock().local = Some(text.clone());
        Ok(text)
    }

    fn generate_offer(&self, options: &Json) -> Result<String, RpcError> {
        let receive = |key: &str| options.get(key).and_then(Json::as_bool).unwrap_or(true);
        let (audio, video) = (
            receive("offerToReceiveAudio"),
            receive("offerToReceiveVideo"),
        );
        self.begin(Negotiation::GenerateOffer)?;
        let offered = self.offer(audio, video);
        self.end(if offered.is_ok() {
            Phase::OfferGenerated
        } else {
            Phase::Idle
        });
        offered
    }

    fn offer(&self, receive_audio: bool, receive_video: bool) -> Result<String, RpcError> {
        let failed = |message: String| RpcError::generate_offer(message);
        self.configure_ice();
        for (mline, kind) in MediaKind::ALL.into_iter().enumerate() {
            let receive = !self.sendonly
                && match kind {
                    MediaKind::Audio => receive_audio,
                    MediaKind::Video => receive_video,
                };
            let send = !self.recvonly;
            let direction = match (send, receive) {
                (true, true) => Direction::Sendrecv,
                (true, false) => Direction::Sendonly,
                (false, true) => Direction::Recvonly,
                (false, false) => Direction::Inactive,
            };
            let codec = Codec::offered(kind);
            let payload = codec.default_payload();
            let pad = self
                .transceiver_pad(mline as u32, direction, &codec.caps(payload))
                .map_err(|err| failed(format!("{err:#}")))?;
            if send {
                self.link_sender(kind, codec, payload, &pad)
                    .map_err(|err| failed(format!("{err:#}")))?;
            }
        }
        let reply = promised("creating the offer", |promise| {
            self.webrtcbin
                .emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, promise]);
        })
        .map_err(failed)?;
        let offer = reply
            .as_ref()
            .and_then(|reply| reply.get::<WebRTCSessionDescription>("offer").ok())
            .ok_or_else(|| failed("webrtcbin made no offer".into()))?;
        self.finish_local(offer.sdp().to_owned(), WebRTCSDPType::Offer)
    }

    fn process_answer(&self, text: &str) -> Result<String, RpcError> {
        let answer = sdp::parse(text)?;
        self.begin(Negotiation::ProcessAnswer)?;
        let description = WebRTCSessionDescription::new(WebRTCSDPType::Answer, answer.clone());
        let applied = promised("setting the remote answer", |promise| {
            self.webrtcbin
                .emit_by_name::<()>("set-remote-description", &[&description, promise]);
        });
        if let Err(message) = applied {
            self.end(Phase::OfferGenerated);
            return Err(RpcError::process_answer(message));
        }
        let local = {
            let mut session = self.lock();
            session.remote = Some(sdp::text(&answer));
            session.local.clone().unwrap_or_default()
        };
        self.end(Phase::Negotiated);
        self.descriptions_set();
        Ok(local)
    }

    /// Both descriptions are set: remote candidates kept until now go to `webrtcbin`.
    fn descriptions_set(&self) {
        let pending = std::mem::take(&mut self.lock().pending);
        for (mline, text) in pending {
            self.webrtcbin
                .emit_by_name::<()>("add-ice-candidate", &[&mline, &text]);
        }
    }

    /// Applies the STUN and TURN servers and the local addresses to `webrtcbin` before
    /// gathering starts.
    fn configure_ice(&self) {
        let settings = self.settings();
        if let Some(stun) = settings.stun_uri() {
            self.webrtcbin.set_property("stun-server", stun);
        }
        if let Some(turn) = &settings.turn_url {
            self.webrtcbin
                .set_property("turn-server", format!("turn://{turn}"));
        }
        let ice = self.webrtcbin.property::<gst::glib::Object>("ice-agent");
        for address in settings.local_addresses() {
            ice.emit_by_name::<bool>("add-local-ip-address", &[&address.to_string()]);
        }
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `webrtcbin`'s sink pad `sink_<mline>` and its transceiver, set to `direction` and
    /// codec preferences `caps` (named: in 1.22 an unnamed pad never joins the transceiver
    /// of an m-line).
    fn transceiver_pad(
        &self,
        mline: u32,
        direction: Direction,
        caps: &gst::Caps,
    ) -> Result<gst::Pad> {
        let pad = self
            .webrtcbin
            .request_pad_simple(&format!("sink_{mline}"))
            .with_context(|| format!("webrtcbin refused its sink_{mline} pad"))?;
        let transceiver = pad.property::<WebRTCRTPTransceiver>("transceiver");
        transceiver.set_property("direction", direction);
        transceiver.set_property("codec-preferences", caps);
        Ok(pad)
    }

    /// Links the input queue of `kind` to `webrtcbin`'s sink pad `sink` through a payloader
    /// of `codec` with payload type `payload`, behind an input that encodes what does not
    /// arrive in `codec` already.
    fn link_sender(
        &self,
        kind: MediaKind,
        codec: Codec,
        payload: u32,
        sink: &gst::Pad,
    ) -> Result<()> {
        let bin = self.bin.upgrade().context("the endpoint is gone")?;
        let sender =
            rtp_common::link_sender(&bin, &self.inputs[kind as usize], codec, payload, sink)?;
        let input = sender.input;
        match kind {
            MediaKind::Video => {
                self.lock().video_encoder = Some((sender.encoder, codec, input));
                self.apply_send_bitrate();
            }
            MediaKind::Audio => self.lock().audio_input = Some(input),
        }
        Ok(())
    }

    /// Depayloads a stream the browser sends into the port's encoded tee, and decodes it
    /// into the raw tee while something consumes raw media.
    fn receive(&self, pad: &gst::Pad) -> Result<()> {
        let bin = self.bin.upgrade().context("the endpoint is gone")?;
        let depayloader = rtp_common::receive(&bin, pad, &self.encoded, &self.outputs)?;
        self.lock().depayloaders.push(depayloader);
        self.links.set_media(Link::Connected);
        Ok(())
    }

    /// Asks the browser for a video key frame (an RTCP PLI).
    fn request_key_frame(&self) -> Result<(), RpcError> {
        let depayloaders = self.lock().depayloaders.clone();
        rtp_common::request_key_frame(&depayloaders);
        Ok(())
    }

    fn add_remote_candidate(&self, value: &Json) -> Result<(), RpcError> {
        let Some(candidate) = Candidate::from_json(value)? else {
            return Ok(());
        };
        let Some(text) = candidate.resolved() else {
            tracing::debug!(candidate = %candidate.text, "dropped an unresolvable mDNS candidate");
            return Ok(());
        };
        let mut session = self.lock();
        let mline = candidate.mline(&session.mlines);
        if session.phase == Phase::Negotiated {
            drop(session);
            self.webrtcbin
                .emit_by_name::<()>("add-ice-candidate", &[&mline, &text]);
        } else if session.pending.len() >= MAX_PENDING_CANDIDATES {
            return Err(RpcError::ice_add_candidate(format!(
                "{MAX_PENDING_CANDIDATES} candidates already wait for the SDP negotiation"
            )));
        } else {
            session.pending.push((mline, text));
        }
        Ok(())
    }

    fn gather_candidates(&self) -> Result<(), RpcError> {
        let (found, gathered) = {
            let mut session = self.lock();
            if session.gathering {
                return Ok(());
            }
            session.gathering = true;
            (std::mem::take(&mut session.found), session.gathered)
        };
        for text in found {
            self.announce_candidate(&text);
        }
        if gathered {
            self.post("IceGatheringDone", Map::new());
        }
        Ok(())
    }

    fn local_candidate(&self, text: String) {
        if text.trim().is_empty() {
            return;
        }
        let text = match self.settings().external_ipv4.as_deref() {
            Some(external) => candidate::with_address(&text, external),
            None => text,
        };
        let mut session = self.lock();
        if session.gathering {
            drop(session);
            self.announce_candidate(&text);
        } else {
            session.found.push(text);
        }
    }

    /// `IceCandidateFound` once per bundled m-line, each with its own mid and index.
    fn announce_candidate(&self, text: &str) {
        let mlines = self.lock().mlines.clone();
        for (mid, index) in mlines {
            let candidate = json!({"__module__": "kurento", "__type__": "IceCandidate",
                "candidate": text, "sdpMid": mid, "sdpMLineIndex": index});
            let fields = Map::from_iter([("candidate".to_string(), candidate)]);
            self.post("IceCandidateFound", fields);
        }
    }

    fn gathering_complete(&self) {
        let mut session = self.lock();
        session.gathered = true;
        if session.gathering {
            drop(session);
            self.post("IceGatheringDone", Map::new());
        }
    }

    fn ice_state_changed(self: &Arc<Self>, state: WebRTCICEConnectionState) {
        let name = match state {
            WebRTCICEConnectionState::New => "GATHERING",
            WebRTCICEConnectionState::Checking => "CONNECTING",
            WebRTCICEConnectionState::Connected => "CONNECTED",
            WebRTCICEConnectionState::Completed => "READY",
            WebRTCICEConnectionState::Failed => "FAILED",
            _ => "DISCONNECTED",
        };
        self.lock().ice_state = name;
        let fields = json!({"streamId": 1, "componentId": 1, "state": name});
        self.post(
            "IceComponentStateChanged",
            fields.as_object().cloned().unwrap_or_default(),
        );
        match state {
            WebRTCICEConnectionState::Connected | WebRTCICEConnectionState::Completed => {
                self.announce_selected_pair();
            }
            WebRTCICEConnectionState::Failed
            | WebRTCICEConnectionState::Disconnected
            | WebRTCICEConnectionState::Closed => self.links.set_media(Link::Disconnected),
            _ => {}
        }
    }

    /// Reads the selected candidate pair from `webrtcbin`'s statistics and raises
    /// `NewCandidatePairSelected` when it changed. Called from `webrtcbin`'s own thread, which
    /// also answers the statistics request: the answer is handled when it comes, never
    /// waited for.
    fn announce_selected_pair(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let promise = gst::Promise::with_change_func(move |reply| {
            let (Some(inner), Ok(Some(stats))) = (weak.upgrade(), reply) else {
                tracing::debug!("webrtcbin gave no statistics");
                return;
            };
            let Some(pair) = candidate::selected_pair(stats) else {
                return;
            };
            let mut session = inner.lock();
            if session.pair.as_ref() == Some(&pair) {
                return;
            }
            session.pair = Some(pair.clone());
            drop(session);
            inner.post(
                "NewCandidatePairSelected",
                Map::from_iter([("candidatePair".to_string(), pair)]),
            );
        });
        self.webrtcbin
            .emit_by_name::<()>("get-stats", &[&None::<gst::Pad>, &promise]);
    }

    /// The browser's stream `ssrc` ended: media disconnects when it was the last one.
    fn remote_stream_ended(&self, ssrc: u32) {
        let mut session = self.lock();
        if !session.remote_ssrcs.remove(&ssrc) || !session.remote_ssrcs.is_empty() {
            return;
        }
        drop(session);
        self.links.set_media(Link::Disconnected);
    }

    /// Follows the receiver's bandwidth estimates (REMB) in RTP session `id`, and adds the
    /// consumers' bitrate to the RTCP it sends.
    fn watch_feedback(self: &Arc<Self>, id: u32) {
        let Some(session) = self.rtp_session(id) else {
            return;
        };
        // on-new-ssrc comes for every stream: one watcher per session is enough.
        if !self.lock().watched_sessions.insert(id) {
            return;
        }
        let weak = Arc::downgrade(self);
        session.connect("on-sending-rtcp", false, move |values| {
            if let (Some(inner), Some(session), Some(buffer)) = (
                weak.upgrade(),
                values.first().and_then(|v| v.get::<glib::Object>().ok()),
                values.get(1),
            ) {
                return Some(inner.add_remb(&session, buffer).to_value());
            }
            Some(false.to_value())
        });
        let weak = Arc::downgrade(self);
        session.connect("on-receiving-rtcp", false, move |values| {
            let buffer = values.get(1).and_then(|v| v.get::<gst::Buffer>().ok());
            if let (Some(inner), Some(buffer)) = (weak.upgrade(), buffer)
                && let Ok(map) = buffer.map_readable()
                && let Some(estimate) = remb::estimate(&map)
            {
                tracing::trace!(estimate, "REMB from the browser");
                inner.lock().estimate = Some(estimate);
                inner.apply_send_bitrate();
            }
            None
        });
    }

    /// Sets the video encoder's bitrate: the receiver's estimate (or the ceiling before one
    /// arrives) within `minVideoSendBandwidth` and 90% of `maxVideoSendBandwidth`. Where
    /// frames pass as they are, the bitrate goes upstream to the endpoint they come from.
    fn apply_send_bitrate(&self) {
        let (min, max) = self.settings().send_bounds();
        let session = self.lock();
        let Some((encoder, codec, input)) = session.video_encoder.clone() else {
            return;
        };
        // The maximum is a ceiling, not an average: the encoder aims a tenth under it, which
        // leaves room for key frames and the rate controller's swings.
        let ceiling = (max * 9 / 10).max(min);
        let wanted = session.estimate.unwrap_or(ceiling).clamp(min, ceiling);
        // Where frames pass as they are, the sending browser's encoder is bounded instead, by
        // the maximum itself: it keeps its own margin under what it is allowed. A browser's
        // estimate stays within 1.5 times what it receives, and a browser sends about two
        // thirds of what it is allowed: forwarded as it is, the two would hold each other at
        // the rate the call started with. The sender gets the same headroom, so the rate
        // climbs while the receiver keeps up, and an estimate that falls (congestion) still
        // pulls it down.
        let forwarded = session
            .estimate
            .map_or(max, |estimate| estimate.saturating_mul(3) / 2)
            .clamp(min, max.max(min));
        drop(session);
        codec.set_bitrate(&encoder, wanted);
        if input.branch() == Some(Branch::Pass)
            && let Some(queue_input) = self.inputs[MediaKind::Video as usize].static_pad("sink")
        {
            let consumer = self.bin.upgrade().map(|bin| bin.name().to_string());
            let structure = gst::Structure::builder(BITRATE_EVENT)
                .field("bitrate", forwarded)
                .field("consumer", consumer.unwrap_or_default())
                .build();
            // Nobody upstream to hear it (the source is gone) is fine: nothing to limit.
            let _heard = queue_input.push_event(gst::event::CustomUpstream::new(structure));
        }
    }

    /// Listens for the bitrates the consumers of this endpoint's video as it is send
    /// upstream (see [`Inner::apply_send_bitrate`]).
    fn hear_consumers(self: &Arc<Self>) {
        let Some(tee_input) = self.encoded[MediaKind::Video as usize].static_pad("sink") else {
            return;
        };
        let weak = Arc::downgrade(self);
        tee_input.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
            let Some(structure) = info
                .event()
                .and_then(|event| event.structure())
                .filter(|structure| structure.name() == BITRATE_EVENT)
            else {
                return gst::PadProbeReturn::Ok;
            };
            if let (Some(inner), Ok(bitrate), Ok(consumer)) = (
                weak.upgrade(),
                structure.get::<u64>("bitrate"),
                structure.get::<String>("consumer"),
            ) {
                let mut session = inner.lock();
                let previous = session
                    .consumer_bitrates
                    .insert(consumer, (bitrate, Instant::now()));
                drop(session);
                if previous.is_none_or(|(old, _)| old != bitrate) {
                    inner.send_rtcp_soon();
                }
            }
            // Heard here, for nobody further upstream (`Drop` would have GStreamer free the
            // event the bindings already freed).
            gst::PadProbeReturn::Handled
        });
    }

    /// The bitrate to ask the browser for: the lowest its consumers said recently.
    fn consumers_bitrate(&self) -> Option<u64> {
        let mut session = self.lock();
        session
            .consumer_bitrates
            .retain(|_, (_, when)| when.elapsed() < CONSUMER_SILENCE);
        session
            .consumer_bitrates
            .values()
            .map(|(bitrate, _)| *bitrate)
            .min()
    }

    /// Has the RTP session send its next RTCP (and with it a new REMB) within 100 ms.
    fn send_rtcp_soon(&self) {
        if let Some(session) = self.rtp_session(0) {
            session.emit_by_name::<bool>("send-rtcp-full", &[&100_000_000u64]);
        }
    }

    /// The internal RTP session `id` of `webrtcbin`'s `rtpbin` (all media is bundled: 0).
    fn rtp_session(&self, id: u32) -> Option<glib::Object> {
        let rtpbin = self
            .webrtcbin
            .downcast_ref::<gst::Bin>()
            .and_then(|bin| bin.by_name("rtpbin"))?;
        rtpbin.emit_by_name::<Option<glib::Object>>("get-internal-session", &[&id])
    }

    /// Adds a REMB with the consumers' bitrate to an RTCP packet about to go to the browser;
    /// says whether it did.
    fn add_remb(&self, session: &glib::Object, value: &glib::Value) -> bool {
        let Some(video) = self.consumers_bitrate() else {
            return false;
        };
        // REMB bounds all the browser sends, the consumers' bitrates its video alone.
        let bitrate = video + AUDIO_SHARE;
        let ssrcs: Vec<u32> = self.lock().remote_ssrcs.iter().copied().collect();
        let sender = session.property::<u32>("internal-ssrc");
        let packet = remb::packet(sender, bitrate, &ssrcs);
        tracing::debug!(bitrate, ?ssrcs, "REMB to the browser");
        // SAFETY: `on-sending-rtcp` hands its buffer with static scope (no reference taken)
        // so that handlers add packets to it; the session owns it alone until the handlers
        // return, and nothing else maps it meanwhile.
        let buffer = unsafe {
            let pointer = glib::gobject_ffi::g_value_get_boxed(
                glib::translate::ToGlibPtr::to_glib_none(value).0,
            );
            gst::BufferRef::from_mut_ptr(pointer as *mut gst::ffi::GstBuffer)
        };
        let size = buffer.size();
        if buffer.maxsize() < size + packet.len() {
            tracing::debug!("no room for a REMB in this RTCP packet");
            return false;
        }
        buffer.set_size(size + packet.len());
        let written = match buffer.map_writable() {
            Ok(mut map) => {
                map[size..].copy_from_slice(&packet);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "cannot add a REMB to an RTCP packet");
                false
            }
        };
        if !written {
            buffer.set_size(size);
        }
        written
    }
}

/// The custom upstream event carrying a consumer's bitrate to the endpoint it receives
/// frames from as they are: fields `bitrate` (bits per second) and `consumer`.
const BITRATE_EVENT: &str = "filmstrip-consumer-bitrate";

/// What a browser's Opus voice takes of a REMB, packet headers included: about 32 kbit/s
/// of Opus in 50 packets a second, each with 54 bytes of RTP, SRTP, UDP and IP headers.
const AUDIO_SHARE: u64 = 56_000;

/// How long a consumer's bitrate counts after it last said it (consumers repeat theirs with
/// every estimate of their own browser's, about once a second).
const CONSUMER_SILENCE: Duration = Duration::from_secs(5);
