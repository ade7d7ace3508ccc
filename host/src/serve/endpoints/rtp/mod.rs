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
mod negotiation;
mod sdes;
mod transport;
mod wiring;

use super::super::objects::Behaviour;
use super::super::objects::{ElementMedia, MediaKind, Outcome, post_event};
use super::super::rpc::RpcError;
use super::WebRtcDefaults;
use super::rtp_common::{self, Link, Links, Phase, SdpSession, Sender, error_fields};
use super::webrtc::codecs::Codec;
use super::webrtc::settings::Settings;
use anyhow::{Context, Result};
use gst::glib;
use gst::prelude::*;
use sdes::Sdes;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
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
    /// The media and connection states.
    links: Links,
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
        }),
        settings: Mutex::new(Settings::from(defaults)),
        links: Links::new(&bin),
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

impl Behaviour for Rtp {
    /// A peer's media may be sent back to it (an RTP loopback).
    fn may_feed_itself(&self) -> bool {
        true
    }

    /// Media is connected while what the peer sends comes out, disconnected once it stops.
    fn tick(&self, media: &ElementMedia) {
        self.inner.links.tick(media);
    }

    /// SdpEndpoint's and BaseRtpEndpoint's operations, and the properties RTP has.
    fn operation(
        &self,
        _media: &ElementMedia,
        operation: &str,
        args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        rtp_common::sdp_operation(&self.inner, operation, args)
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
        rtp_common::request_key_frame(&self.lock().depayloaders);
        Ok(())
    }

    fn settings(&self) -> &Mutex<Settings> {
        &self.settings
    }

    /// Only BaseRtpEndpoint's properties: the ICE ones are WebRtcEndpoint's.
    fn has_property(&self, name: &str) -> bool {
        PROPERTIES.contains(&name)
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

    fn bin(&self) -> Result<gst::Bin, RpcError> {
        self.bin
            .upgrade()
            .ok_or_else(|| RpcError::unexpected("the endpoint is gone"))
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
        self.links.set_media(Link::Connected);
        Ok(())
    }
}
