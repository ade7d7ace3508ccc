//! `RtpEndpoint(mediaPipeline, crypto?, useIpv6?)`: audio and video with a plain RTP peer (a
//! SIP gateway, a camera, a GStreamer pipeline), negotiated by SDP offer and answer without
//! ICE, over UDP, or SRTP with SDES keys (RFC 4568) when `crypto` is given.
//!
//! The bin holds an `rtpbin` (one RTP session per media section, numbered by its index) and
//! the two ports every element has, as a WebRtcEndpoint's: what the peer sends arrives on
//! `udpsrc`s bound on ports the kernel picks, announced in the endpoint's description, is
//! depayloaded into the port's encoded tee and decoded into its raw tee only while something
//! consumes raw media; what the element receives is sent in the negotiated codec (as it is
//! when it arrives in it) to the address and ports the peer's description names, from the
//! receiving sockets. Key frame requests go both ways as RTCP PLI.
//!
//! Negotiation runs without the server's lock. A peer that cannot be reached (an address
//! that does not exist here) costs nothing: sending is UDP, never waited for.

mod description;
mod sdes;
mod transport;

use super::super::objects::Behaviour;
use super::super::objects::{ElementMedia, MediaKind, Outcome, post_event};
use super::super::rpc::RpcError;
use super::WebRtcDefaults;
use super::rtp_common::{self, Link, Sender, state_change};
use super::webrtc::codecs::{self, Codec};
use super::webrtc::sdp;
use super::webrtc::settings::{self, Settings};
use anyhow::{Context, Result};
use description::{Direction, Local, Remote};
use gst::glib;
use gst::prelude::*;
use sdes::{RemoteKey, Sdes};
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use transport::Transport;

/// The endpoint's own events (Kurento's BaseRtpEndpoint's and RtpEndpoint's).
pub const EVENTS: &[&str] = &[
    "MediaStateChanged",
    "ConnectionStateChanged",
    "OnKeySoftLimit",
];

/// The properties of Kurento's SdpEndpoint and BaseRtpEndpoint that it has, as `get`/`set`
/// operation suffixes (the ICE ones are a WebRtcEndpoint's alone).
const PROPERTIES: &[&str] = &[
    "MaxAudioRecvBandwidth",
    "MaxVideoRecvBandwidth",
    "MinVideoRecvBandwidth",
    "MinVideoSendBandwidth",
    "MaxVideoSendBandwidth",
    "Mtu",
];

/// The payload types and codecs the endpoint offers, video then audio preference order.
const OFFERED: [(MediaKind, &[Codec]); 2] = [
    (MediaKind::Audio, &[Codec::Opus, Codec::Pcmu]),
    (MediaKind::Video, &[Codec::Vp8, Codec::H264]),
];

/// The `a=fmtp` of H.264 in the endpoint's offers: what its payloader and decoder speak.
const H264_FMTP: &str = "packetization-mode=1;profile-level-id=42e01f";

/// Where the SDP negotiation is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    Idle,
    Busy,
    OfferGenerated,
    Negotiated,
}

/// One media section the endpoint carries, once its sockets are open.
struct Section {
    /// Its index, which is also its RTP session's.
    mline: u32,
    kind: MediaKind,
    transport: Transport,
    /// What the endpoint offered (when it made the offer): payload types and codecs.
    offered: Vec<(u32, Codec)>,
}

/// What changes during a call, behind the endpoint's lock.
struct Session {
    phase: Phase,
    local: Option<String>,
    remote: Option<String>,
    /// The sections of the endpoint's offer, until the answer comes.
    offered: Vec<Section>,
    /// The sections carrying media, kept for as long as the endpoint.
    sections: Vec<Section>,
    senders: Vec<Sender>,
    /// The bitrate the peer's description allows the endpoint's video (`b=AS`), in bits per
    /// second: it overrides the endpoint's own bounds, as on KMS.
    peer_limit: Option<u64>,
    depayloaders: Vec<gst::Element>,
    media_state: Link,
    connection_state: Link,
    flowed: bool,
}

/// The shared part of an `RtpEndpoint`, reached from `rtpbin`'s signal handlers.
struct Inner {
    bin: glib::WeakRef<gst::Bin>,
    rtpbin: gst::Element,
    crypto: Option<Sdes>,
    use_ipv6: bool,
    inputs: [gst::Element; 2],
    raw: [gst::Element; 2],
    encoded: [gst::Element; 2],
    /// The caps of each (RTP session, payload type) the peer may send, which `rtpbin` asks
    /// for; apart from the session lock, as `rtpbin` asks on its streaming threads.
    payloads: Mutex<HashMap<(u32, u32), gst::Caps>>,
    session: Mutex<Session>,
    settings: Mutex<Settings>,
}

/// An `RtpEndpoint`'s own parts.
pub struct Rtp {
    inner: Arc<Inner>,
}

/// Creates an endpoint from `{crypto?, useIpv6?}`.
pub fn create(
    name: &str,
    params: &Map<String, Json>,
    defaults: &WebRtcDefaults,
) -> Result<ElementMedia, RpcError> {
    let crypto = Sdes::from_param(params.get("crypto"))?;
    let use_ipv6 = match params.get("useIpv6") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(value)) => *value,
        Some(other) => {
            return Err(RpcError::illegal_param(format!(
                "useIpv6 must be a boolean, not {other}"
            )));
        }
    };
    build(name, crypto, use_ipv6, defaults).map_err(|err| RpcError::unexpected(format!("{err:#}")))
}

fn build(
    name: &str,
    crypto: Option<Sdes>,
    use_ipv6: bool,
    defaults: &WebRtcDefaults,
) -> Result<ElementMedia> {
    let bin = gst::Bin::builder().name(name).build();
    let rtpbin = gst::ElementFactory::make("rtpbin")
        .property("latency", defaults.jitter_buffer_ms())
        .build()
        .context("GStreamer element rtpbin is missing (Debian: gstreamer1.0-plugins-good)")?;
    // Feedback (key frame requests) goes out at once rather than with the next report.
    rtpbin.set_property_from_str("rtp-profile", "avpf");
    if crypto.is_some() && gst::ElementFactory::find("srtpenc").is_none() {
        anyhow::bail!("GStreamer's SRTP elements are missing (Debian: gstreamer1.0-plugins-bad)");
    }
    bin.add(&rtpbin)?;
    let ports = rtp_common::peer_ports(&bin)?;
    let inner = Arc::new(Inner {
        bin: bin.downgrade(),
        rtpbin: rtpbin.clone(),
        crypto,
        use_ipv6,
        inputs: ports.inputs,
        raw: ports.raw,
        encoded: ports.encoded,
        payloads: Mutex::new(HashMap::new()),
        session: Mutex::new(Session {
            phase: Phase::Idle,
            local: None,
            remote: None,
            offered: Vec::new(),
            sections: Vec::new(),
            senders: Vec::new(),
            peer_limit: None,
            depayloaders: Vec::new(),
            media_state: Link::Disconnected,
            connection_state: Link::Disconnected,
            flowed: false,
        }),
        settings: Mutex::new(Settings::from(defaults)),
    });
    connect_signals(&inner);
    let mut media = ElementMedia::new(bin, ports.audio, ports.video);
    media.behaviour = Some(Box::new(Rtp { inner }));
    Ok(media)
}

/// Hands `rtpbin`'s signals to the endpoint, holding it weakly: the endpoint owns them.
fn connect_signals(inner: &Arc<Inner>) {
    let weak = Arc::downgrade(inner);
    inner
        .rtpbin
        .connect("request-pt-map", false, move |values| {
            let session = values.get(1).and_then(|v| v.get::<u32>().ok());
            let payload = values.get(2).and_then(|v| v.get::<u32>().ok());
            let caps = match (weak.upgrade(), session, payload) {
                (Some(inner), Some(session), Some(payload)) => inner
                    .payloads
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .get(&(session, payload))
                    .cloned(),
                _ => None,
            };
            Some(caps.to_value())
        });
    let weak = Arc::downgrade(inner);
    inner.rtpbin.connect_pad_added(move |_, pad| {
        if !pad.name().starts_with("recv_rtp_src_") {
            return;
        }
        if let Some(inner) = weak.upgrade()
            && let Err(err) = inner.receive(pad)
        {
            tracing::warn!(error = %format!("{err:#}"), "cannot decode what the RTP peer sends");
            inner.post("Error", error_fields(&format!("{err:#}")));
        }
    });
}

fn error_fields(description: &str) -> Map<String, Json> {
    let fields =
        json!({"description": description, "errorCode": 40003, "type": "UNEXPECTED_ERROR"});
    fields.as_object().cloned().unwrap_or_default()
}

impl Behaviour for Rtp {
    /// A peer's media may be sent back to it (an RTP loopback).
    fn may_feed_itself(&self) -> bool {
        true
    }

    /// Media is connected while what the peer sends comes out, disconnected once it stops.
    fn tick(&self, media: &ElementMedia) {
        let mut session = self.inner.lock();
        let state = session.media_state;
        let changed = rtp_common::media_state_tick(media, &mut session.flowed, state);
        drop(session);
        if let Some(state) = changed {
            self.inner.set_media_state(state);
        }
    }

    fn operation(
        &self,
        _media: &ElementMedia,
        operation: &str,
        args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        let inner = Arc::clone(&self.inner);
        let later = |work: Box<dyn FnOnce() -> Result<Json, RpcError> + Send>| {
            Some(Ok(Outcome::Later(work)))
        };
        let value = |result: Result<Json, RpcError>| Some(result.map(Outcome::Value));
        match operation {
            "processOffer" => {
                let offer = sdp::argument(args, "offer");
                later(Box::new(move || {
                    inner.process_offer(&offer?).map(Json::from)
                }))
            }
            "generateOffer" => {
                let options = args.get("options").cloned().unwrap_or(Json::Null);
                later(Box::new(move || {
                    inner.generate_offer(&options).map(Json::from)
                }))
            }
            "processAnswer" => {
                let answer = sdp::argument(args, "answer");
                later(Box::new(move || {
                    inner.process_answer(&answer?).map(Json::from)
                }))
            }
            "getLocalSessionDescriptor" => value(
                self.inner
                    .lock()
                    .local
                    .clone()
                    .map(Json::from)
                    .ok_or_else(|| RpcError::no_local_sdp("no local SDP yet")),
            ),
            "getRemoteSessionDescriptor" => value(
                self.inner
                    .lock()
                    .remote
                    .clone()
                    .map(Json::from)
                    .ok_or_else(|| RpcError::no_remote_sdp("no remote SDP yet")),
            ),
            "requestKeyframe" => {
                rtp_common::request_key_frame(&self.inner.lock().depayloaders);
                value(Ok(Json::Null))
            }
            "getMediaState" => value(Ok(json!(self.inner.lock().media_state.name()))),
            "getConnectionState" => value(Ok(json!(self.inner.lock().connection_state.name()))),
            _ => {
                let property = operation
                    .strip_prefix("get")
                    .or_else(|| operation.strip_prefix("set"))?;
                if !PROPERTIES.contains(&property) {
                    return None;
                }
                let result = settings::operation(&self.inner.settings, operation, args)?;
                if result.is_ok() && operation.starts_with("set") {
                    self.inner.apply_send_bitrate();
                }
                value(result)
            }
        }
    }
}

/// What the endpoint does with one section of a peer's offer it accepts.
struct Plan {
    mline: u32,
    kind: MediaKind,
    codec: Codec,
    payload: u32,
    fmtp: String,
    proto: String,
    mux: bool,
    /// Where the peer receives RTP and RTCP, when its description says.
    peer: Option<(SocketAddr, SocketAddr)>,
    /// The endpoint's direction.
    direction: Direction,
    remote_key: Option<RemoteKey>,
    /// The peer's receive limit for this section, in kbps.
    limit: Option<u32>,
    caps: gst::Caps,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn post(&self, event_type: &str, fields: Map<String, Json>) {
        if let Some(bin) = self.bin.upgrade() {
            post_event(&bin, event_type, &fields);
        }
    }

    /// Takes the negotiation for one request, if `allowed` says its phase permits it.
    fn begin(
        &self,
        allowed: impl FnOnce(Phase) -> Result<(), RpcError>,
    ) -> Result<Phase, RpcError> {
        let mut session = self.lock();
        let phase = session.phase;
        if phase == Phase::Busy {
            return Err(RpcError::sdp_configuration(
                "another negotiation of this endpoint is under way",
            ));
        }
        allowed(phase)?;
        session.phase = Phase::Busy;
        Ok(phase)
    }

    fn end(&self, phase: Phase) {
        self.lock().phase = phase;
    }

    fn process_offer(&self, text: &str) -> Result<String, RpcError> {
        let offer = sdp::parse(text)?;
        let before = self.begin(|phase| match phase {
            Phase::Idle => Ok(()),
            Phase::OfferGenerated => Err(RpcError::already_negotiated(
                "this endpoint generated an offer: process the answer to it instead",
            )),
            _ => Err(RpcError::already_negotiated(
                "this endpoint has already negotiated its session",
            )),
        })?;
        let answered = self.answer(&offer);
        self.end(if answered.is_ok() {
            Phase::Negotiated
        } else {
            before
        });
        let answer = answered?;
        let mut session = self.lock();
        session.local = Some(answer.clone());
        session.remote = Some(sdp::text(&offer));
        drop(session);
        self.set_connection_state(Link::Connected);
        Ok(answer)
    }

    fn answer(&self, offer: &gst_sdp::SDPMessageRef) -> Result<String, RpcError> {
        let remote = description::sections(offer);
        let mut taken = [false; 2];
        let mut plans = Vec::new();
        let mut refusals = Vec::new();
        for (mline, section) in remote.iter().enumerate() {
            match self.plan(mline as u32, section, &mut taken) {
                Ok(plan) => plans.push(Some(plan)),
                Err(reason) => {
                    if section.port != 0 {
                        refusals.push(format!("m={} ({reason})", section.kind));
                    }
                    plans.push(None);
                }
            }
        }
        if plans.iter().all(Option::is_none) && !refusals.is_empty() {
            return Err(RpcError::process_offer(format!(
                "nothing in the offer can be carried: {}",
                refusals.join("; ")
            )));
        }
        let peer = plans
            .iter()
            .flatten()
            .find_map(|plan| plan.peer.map(|(rtp, _)| rtp.ip()));
        let ipv6 = peer.map_or(self.use_ipv6, |peer| peer.is_ipv6());
        let address = transport::local_address(peer, ipv6);
        let bin = self.bin()?;
        let mut locals = Vec::new();
        for (section, plan) in remote.iter().zip(plans) {
            let Some(plan) = plan else {
                locals.push(Local::rejected(section));
                continue;
            };
            let opened = Transport::open(&bin, ipv6, plan.mux, self.crypto.is_some())
                .map_err(|err| RpcError::process_offer(format!("{err:#}")))?;
            locals.push(Local {
                kind: section.kind.clone(),
                port: opened.rtp_port,
                proto: plan.proto.clone(),
                formats: vec![(
                    plan.payload.to_string(),
                    Some(plan.codec),
                    plan.fmtp.clone(),
                )],
                rtcp_port: opened.rtcp_port,
                mux: plan.mux,
                direction: plan.direction,
                crypto: self
                    .crypto
                    .as_ref()
                    .zip(plan.remote_key.as_ref())
                    .map(|(sdes, key)| sdes.crypto_line(key.tag)),
                mid: section.mid.clone(),
                limit: self.recv_limit(plan.kind),
            });
            let section = Section {
                mline: plan.mline,
                kind: plan.kind,
                transport: opened,
                offered: Vec::new(),
            };
            self.start(&bin, &section, &plan)
                .map_err(|err| RpcError::process_offer(format!("{err:#}")))?;
            self.lock().sections.push(section);
        }
        Ok(description::write(address, session_id(), &locals))
    }

    /// How the endpoint answers section `mline` of an offer, or why it refuses it; `taken`
    /// says which kinds an earlier section already carries.
    fn plan(&self, mline: u32, remote: &Remote, taken: &mut [bool; 2]) -> Result<Plan, String> {
        let kind = match remote.kind.as_str() {
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            other => return Err(format!("{other} is neither audio nor video")),
        };
        if remote.port == 0 {
            return Err("disabled".into());
        }
        if taken[kind as usize] {
            return Err(format!("a second {} section", remote.kind));
        }
        let proto = &remote.proto;
        match (remote.secure(), &self.crypto) {
            (None, _) => {
                return Err(format!(
                    "{proto} is not plain RTP; browsers speak to a WebRtcEndpoint"
                ));
            }
            (Some(true), None) => {
                return Err(format!(
                    "{proto} needs SRTP keys: create the endpoint with crypto"
                ));
            }
            (Some(false), Some(_)) => {
                return Err(format!(
                    "the endpoint was created with crypto, which needs RTP/SAVP, not {proto}"
                ));
            }
            _ => {}
        }
        let (codec, payload) = codecs::choose_in_order(remote.media, kind).ok_or_else(|| {
            let offered: Vec<String> = codecs::formats(remote.media)
                .into_iter()
                .map(|format| match format.rtpmap.is_empty() {
                    true => format.payload.to_string(),
                    false => format.rtpmap,
                })
                .collect();
            format!(
                "no codec spoken here among {}: {} are",
                offered.join(", "),
                match kind {
                    MediaKind::Audio => "opus and PCMU",
                    MediaKind::Video => "VP8 and H264",
                }
            )
        })?;
        let remote_key = match &self.crypto {
            None => None,
            Some(sdes) => Some(
                sdes.accept(remote.crypto.iter().map(String::as_str))
                    .ok_or_else(|| {
                        format!(
                            "no a=crypto line with {} and a valid key",
                            sdes.suite.sdp_name()
                        )
                    })?,
            ),
        };
        let peer = match &remote.address {
            Some(address) => transport::peer_address(address)?,
            None => None,
        }
        .map(|ip| {
            (
                SocketAddr::new(ip, remote.port),
                SocketAddr::new(ip, remote.rtcp_port),
            )
        });
        if peer.is_none() {
            tracing::debug!(
                mline,
                "the offer names no address to send to: receiving only"
            );
        }
        taken[kind as usize] = true;
        let fmtp = codecs::formats(remote.media)
            .into_iter()
            .find(|format| format.payload == payload)
            .map(|format| format.fmtp)
            .unwrap_or_default();
        Ok(Plan {
            mline,
            kind,
            codec,
            payload,
            fmtp,
            proto: proto.clone(),
            // SRTCP stays on its own port: srtpdec takes RTCP on a pad of its own.
            mux: remote.mux && self.crypto.is_none(),
            peer,
            direction: Direction {
                sends: remote.direction.receives && peer.is_some(),
                receives: remote.direction.sends,
            },
            remote_key,
            limit: remote.bandwidth,
            caps: receive_caps(remote.media, codec, payload),
        })
    }

    fn generate_offer(&self, options: &Json) -> Result<String, RpcError> {
        let receive = |key: &str| options.get(key).and_then(Json::as_bool).unwrap_or(true);
        self.begin(|phase| match phase {
            Phase::Idle => Ok(()),
            _ => Err(RpcError::generate_offer(
                "this endpoint has already made or received an offer",
            )),
        })?;
        let offered = self.offer(
            receive("offerToReceiveAudio"),
            receive("offerToReceiveVideo"),
        );
        self.end(if offered.is_ok() {
            Phase::OfferGenerated
        } else {
            Phase::Idle
        });
        let offer = offered?;
        self.lock().local = Some(offer.clone());
        Ok(offer)
    }

    fn offer(&self, receive_audio: bool, receive_video: bool) -> Result<String, RpcError> {
        let failed = |err: anyhow::Error| RpcError::generate_offer(format!("{err:#}"));
        let bin = self
            .bin()
            .map_err(|err| RpcError::generate_offer(err.message))?;
        let proto = if self.crypto.is_some() {
            "RTP/SAVPF"
        } else {
            "RTP/AVPF"
        };
        let mut locals = Vec::new();
        let mut sections = Vec::new();
        for (mline, (kind, codecs)) in OFFERED.into_iter().enumerate() {
            let opened = Transport::open(&bin, self.use_ipv6, false, self.crypto.is_some())
                .map_err(failed)?;
            let receives = match kind {
                MediaKind::Audio => receive_audio,
                MediaKind::Video => receive_video,
            };
            let offered: Vec<(u32, Codec)> = codecs
                .iter()
                .map(|codec| (codec.default_payload(), *codec))
                .collect();
            locals.push(Local {
                kind: kind.name().to_ascii_lowercase(),
                port: opened.rtp_port,
                proto: proto.into(),
                formats: offered
                    .iter()
                    .map(|(payload, codec)| {
                        let fmtp = if *codec == Codec::H264 { H264_FMTP } else { "" };
                        (payload.to_string(), Some(*codec), fmtp.to_string())
                    })
                    .collect(),
                rtcp_port: opened.rtcp_port,
                mux: false,
                direction: Direction {
                    sends: true,
                    receives,
                },
                crypto: self.crypto.as_ref().map(|sdes| sdes.crypto_line(1)),
                mid: None,
                limit: self.recv_limit(kind),
            });
            sections.push(Section {
                mline: mline as u32,
                kind,
                transport: opened,
                offered,
            });
        }
        let address = transport::local_address(None, self.use_ipv6);
        self.lock().offered = sections;
        Ok(description::write(address, session_id(), &locals))
    }

    fn process_answer(&self, text: &str) -> Result<String, RpcError> {
        let answer = sdp::parse(text)?;
        self.begin(|phase| match phase {
            Phase::OfferGenerated => Ok(()),
            Phase::Negotiated => Err(RpcError::answer_already_processed(
                "an answer was already processed",
            )),
            _ => Err(RpcError::offer_not_generated(
                "no offer was generated: call generateOffer first",
            )),
        })?;
        let applied = self.apply_answer(&answer);
        if let Err(err) = applied {
            self.end(Phase::OfferGenerated);
            return Err(err);
        }
        let local = {
            let mut session = self.lock();
            session.remote = Some(sdp::text(&answer));
            session.phase = Phase::Negotiated;
            session.local.clone().unwrap_or_default()
        };
        self.set_connection_state(Link::Connected);
        Ok(local)
    }

    /// Starts the offered sections the peer's answer accepts.
    fn apply_answer(&self, answer: &gst_sdp::SDPMessageRef) -> Result<(), RpcError> {
        let failed = |message: String| RpcError::process_answer(message);
        let remote = description::sections(answer);
        if remote.len() != self.lock().offered.len() {
            return Err(failed(format!(
                "the answer has {} media sections, the offer {}",
                remote.len(),
                self.lock().offered.len()
            )));
        }
        let bin = self.bin().map_err(|err| failed(err.message))?;
        let mut taken = [false; 2];
        let mut plans = Vec::new();
        for (mline, section) in remote.iter().enumerate() {
            if section.port == 0 {
                continue;
            }
            let plan = self
                .plan(mline as u32, section, &mut taken)
                .map_err(|reason| failed(format!("m={}: {reason}", section.kind)))?;
            let offered = &self.lock().offered[mline];
            if plan.kind != offered.kind || !offered.offered.contains(&(plan.payload, plan.codec)) {
                return Err(failed(format!(
                    "m={} answers with {} {}, which was not offered there",
                    section.kind,
                    plan.payload,
                    plan.codec.rtpmap()
                )));
            }
            plans.push(plan);
        }
        let sections = std::mem::take(&mut self.lock().offered);
        for section in sections {
            match plans.iter().find(|plan| plan.mline == section.mline) {
                Some(plan) => {
                    self.start(&bin, &section, plan)
                        .map_err(|err| failed(format!("{err:#}")))?;
                    self.lock().sections.push(section);
                }
                // Refused by the peer: its sockets close.
                None => {
                    for source in [
                        Some(&section.transport.rtp),
                        section.transport.rtcp.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        let _ = source.set_state(gst::State::Null);
                        let _ = bin.remove(source);
                    }
                }
            }
        }
        Ok(())
    }

    fn bin(&self) -> Result<gst::Bin, RpcError> {
        self.bin
            .upgrade()
            .ok_or_else(|| RpcError::unexpected("the endpoint is gone"))
    }

    /// The receive limit announced for `kind`, in kbps (0: none).
    fn recv_limit(&self, kind: MediaKind) -> u32 {
        let (audio, video) = self.settings().recv_limits();
        match kind {
            MediaKind::Audio => audio,
            MediaKind::Video => video,
        }
    }

    /// Links section `section` as `plan` says: what arrives on its sockets into `rtpbin`,
    /// and, towards the peer, RTCP and (where the endpoint sends) the element's input.
    fn start(&self, bin: &gst::Bin, section: &Section, plan: &Plan) -> Result<()> {
        let id = section.mline;
        self.payloads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((id, plan.payload), plan.caps.clone());
        let rtpbin = &self.rtpbin;
        let request = |name: String| {
            rtpbin
                .request_pad_simple(&name)
                .with_context(|| format!("rtpbin refused its {name} pad"))
        };
        let transport = &section.transport;
        let rtp_in = request(format!("recv_rtp_sink_{id}"))?;
        let rtcp_in = match &transport.rtcp {
            Some(_) => Some(request(format!("recv_rtcp_sink_{id}"))?),
            None => None,
        };
        let source_pad =
            |source: &gst::Element| source.static_pad("src").context("udpsrc without src");
        match (&self.crypto, &plan.remote_key) {
            (Some(sdes), Some(key)) => {
                let decoder = super::super::objects::make("srtpdec")?;
                let caps = sdes.decoder_caps(key);
                decoder.connect("request-key", false, move |_| Some(caps.to_value()));
                self.watch_soft_limit(&decoder, section.kind, true);
                bin.add(&decoder)?;
                source_pad(&transport.rtp)?.link(&pad(&decoder, "rtp_sink")?)?;
                pad(&decoder, "rtp_src")?.link(&rtp_in)?;
                if let (Some(rtcp), Some(rtcp_in)) = (&transport.rtcp, &rtcp_in) {
                    source_pad(rtcp)?.link(&pad(&decoder, "rtcp_sink")?)?;
                    pad(&decoder, "rtcp_src")?.link(rtcp_in)?;
                }
                decoder.sync_state_with_parent()?;
            }
            _ => {
                source_pad(&transport.rtp)?.link(&rtp_in)?;
                if let (Some(rtcp), Some(rtcp_in)) = (&transport.rtcp, &rtcp_in) {
                    source_pad(rtcp)?.link(rtcp_in)?;
                }
            }
        }
        if let Some((rtp_peer, rtcp_peer)) = plan.peer {
            let encoder = match &self.crypto {
                Some(sdes) => {
                    let encoder = sdes.encoder()?;
                    self.watch_soft_limit(&encoder, section.kind, false);
                    bin.add(&encoder)?;
                    Some(encoder)
                }
                None => None,
            };
            // Reports and key frame requests go out even where no media does.
            let rtcp_socket = transport.rtcp.as_ref().unwrap_or(&transport.rtp);
            let rtcp_sink = Transport::sink(bin, rtcp_socket, rtcp_peer)?;
            let rtcp_out = request(format!("send_rtcp_src_{id}"))?;
            link_out(&rtcp_out, encoder.as_ref(), "rtcp", &rtcp_sink)?;
            rtcp_sink.sync_state_with_parent()?;
            if plan.direction.sends {
                let rtp_sink = Transport::sink(bin, &transport.rtp, rtp_peer)?;
                let media_in = request(format!("send_rtp_sink_{id}"))?;
                let media_out = rtpbin
                    .static_pad(&format!("send_rtp_src_{id}"))
                    .context("rtpbin made no send_rtp_src pad")?;
                link_out(&media_out, encoder.as_ref(), "rtp", &rtp_sink)?;
                rtp_sink.sync_state_with_parent()?;
                let sender = rtp_common::link_sender(
                    bin,
                    &self.inputs[section.kind as usize],
                    plan.codec,
                    plan.payload,
                    &media_in,
                )?;
                let mut session = self.lock();
                session.senders.push(sender);
                if section.kind == MediaKind::Video {
                    session.peer_limit = plan.limit.map(|kbps| u64::from(kbps) * 1000);
                }
                drop(session);
                self.apply_send_bitrate();
            }
            if let Some(encoder) = encoder {
                encoder.sync_state_with_parent()?;
            }
        }
        for source in [Some(&transport.rtp), transport.rtcp.as_ref()]
            .into_iter()
            .flatten()
        {
            source.sync_state_with_parent()?;
        }
        Ok(())
    }

    /// Raises `OnKeySoftLimit` when `element` (an `srtpenc`, or an `srtpdec` when
    /// `decoder`) says the key of `kind` nears the end of its use.
    fn watch_soft_limit(&self, element: &gst::Element, kind: MediaKind, decoder: bool) {
        let bin = self.bin.clone();
        element.connect("soft-limit", false, move |_| {
            if let Some(bin) = bin.upgrade() {
                post_event(
                    &bin,
                    "OnKeySoftLimit",
                    &sdes::soft_limit_fields(kind.name()),
                );
            }
            // srtpdec may be handed a new key here; the peer's stays.
            decoder.then(|| None::<gst::Caps>.to_value())
        });
    }

    /// Sets the video encoder's bitrate: 90% of `maxVideoSendBandwidth` (the rest is room for
    /// key frames), and no less than `minVideoSendBandwidth`, unless the peer's description
    /// allows less.
    fn apply_send_bitrate(&self) {
        let (min, max) = self.settings().send_bounds();
        let session = self.lock();
        let mut bitrate = (max * 9 / 10).max(min);
        if let Some(limit) = session.peer_limit {
            bitrate = bitrate.min(limit * 9 / 10);
        }
        for sender in &session.senders {
            if sender.codec.kind() == MediaKind::Video {
                sender.codec.set_bitrate(&sender.encoder, bitrate);
            }
        }
    }

    /// Depayloads a stream the peer sends into the port's tees.
    fn receive(&self, pad: &gst::Pad) -> Result<()> {
        let bin = self.bin.upgrade().context("the endpoint is gone")?;
        let depayloader = rtp_common::receive(&bin, pad, &self.encoded, &self.raw)?;
        self.lock().depayloaders.push(depayloader);
        self.set_media_state(Link::Connected);
        Ok(())
    }

    fn set_media_state(&self, state: Link) {
        let old = std::mem::replace(&mut self.lock().media_state, state);
        if old != state {
            self.post("MediaStateChanged", state_change(old, state));
        }
    }

    fn set_connection_state(&self, state: Link) {
        let old = std::mem::replace(&mut self.lock().connection_state, state);
        if old != state {
            self.post("ConnectionStateChanged", state_change(old, state));
        }
    }
}

/// The pad `name` of `element`.
fn pad(element: &gst::Element, name: &str) -> Result<gst::Pad> {
    element
        .static_pad(name)
        .or_else(|| element.request_pad_simple(name))
        .with_context(|| format!("{} has no {name} pad", element.name()))
}

/// Links `output` (an `rtpbin` pad of `what`, `rtp` or `rtcp`) to `sink`, through `encoder`
/// (an `srtpenc`) when there is one.
fn link_out(
    output: &gst::Pad,
    encoder: Option<&gst::Element>,
    what: &str,
    sink: &gst::Element,
) -> Result<()> {
    let sink_pad = sink.static_pad("sink").context("udpsink without sink")?;
    match encoder {
        Some(encoder) => {
            // One encoder per section: its first pair of pads.
            output.link(&pad(encoder, &format!("{what}_sink_0"))?)?;
            pad(encoder, &format!("{what}_src_0"))?.link(&sink_pad)?;
        }
        None => {
            output.link(&sink_pad)?;
        }
    }
    Ok(())
}

/// The caps of payload type `payload` (`codec`) of an offered section, for `rtpbin`: the
/// offer's own (with its H.264 parameter sets), or the codec's for a static payload type
/// that has no `a=rtpmap`; key frame requests always allowed.
fn receive_caps(media: &gst_sdp::SDPMediaRef, codec: Codec, payload: u32) -> gst::Caps {
    let mut caps = codecs::answer_caps(media, payload)
        .filter(|caps| {
            caps.structure(0).is_some_and(|structure| {
                structure.has_field("encoding-name") && structure.has_field("clock-rate")
            })
        })
        .unwrap_or_else(|| codec.caps(payload));
    if codec.kind() == MediaKind::Video
        && let Some(structure) = caps.make_mut().structure_mut(0)
    {
        structure.set("rtcp-fb-nack-pli", true);
    }
    caps
}

/// A session id for `o=` lines: the time, as RFC 4566 suggests.
fn session_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
