//! The SDP side: answering a peer's offer, making the endpoint's own and taking the answer to
//! it, section by section, into plans that [`Inner::start`] carries out.

use super::super::super::objects::MediaKind;
use super::super::super::rpc::RpcError;
use super::super::rtp_common::{Link, Negotiation, Phase};
use super::super::webrtc::codecs::{self, Codec};
use super::super::webrtc::sdp;
use super::description::{self, Direction, Local, Remote};
use super::sdes::RemoteKey;
use super::transport::{self, Transport};
use super::{Inner, Section};
use gst::prelude::*;
use serde_json::Value as Json;
use std::net::SocketAddr;

/// The sections of the endpoint's offers, audio then video, each with its codecs in the
/// endpoint's order of preference.
const OFFERED: [(MediaKind, &[Codec]); 2] = [
    (MediaKind::Audio, &[Codec::Opus, Codec::Pcmu]),
    (MediaKind::Video, &[Codec::Vp8, Codec::H264]),
];

/// The `a=fmtp` of H.264 in the endpoint's offers: what its payloader and decoder speak.
const H264_FMTP: &str = "packetization-mode=1;profile-level-id=42e01f";

/// What the endpoint does with one section of a peer's offer or answer that it accepts.
pub(super) struct Plan {
    /// The section's index, and its RTP session's.
    pub(super) mline: u32,
    /// Audio or video.
    pub(super) kind: MediaKind,
    /// The codec both sides speak on it.
    pub(super) codec: Codec,
    /// The codec's payload type in the peer's description.
    pub(super) payload: u32,
    /// The peer's `a=fmtp` for it, repeated in an answer.
    pub(super) fmtp: String,
    /// The transport profile, `RTP/AVP`...
    pub(super) proto: String,
    /// Whether RTCP shares the RTP port.
    pub(super) mux: bool,
    /// Where the peer receives RTP and RTCP, when its description says.
    pub(super) peer: Option<(SocketAddr, SocketAddr)>,
    /// The endpoint's direction.
    pub(super) direction: Direction,
    /// The peer's SRTP key, with SRTP.
    pub(super) remote_key: Option<RemoteKey>,
    /// Whether the peer is COMEDIA's active side: its address is learnt from its packets.
    pub(super) comedia: bool,
    /// The peer's receive limit for this section, in kbps.
    pub(super) limit: Option<u32>,
    /// The RTP caps of what the peer sends, for `rtpbin`.
    pub(super) caps: gst::Caps,
}

impl Inner {
    /// Takes the negotiation for `request`, if the phase permits it.
    fn begin(&self, request: Negotiation) -> Result<Phase, RpcError> {
        self.lock().phase.take(request)
    }

    fn end(&self, phase: Phase) {
        self.lock().phase = phase;
    }

    pub(super) fn process_offer(&self, text: &str) -> Result<String, RpcError> {
        let offer = sdp::parse(text)?;
        let before = self.begin(Negotiation::ProcessOffer)?;
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
        self.links.set_connection(Link::Connected);
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
                passive: plan.comedia,
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
            comedia: remote.comedia,
            limit: remote.bandwidth,
            caps: receive_caps(remote.media, codec, payload),
        })
    }

    pub(super) fn generate_offer(&self, options: &Json) -> Result<String, RpcError> {
        let receive = |key: &str| options.get(key).and_then(Json::as_bool).unwrap_or(true);
        self.begin(Negotiation::GenerateOffer)?;
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
                passive: false,
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

    pub(super) fn process_answer(&self, text: &str) -> Result<String, RpcError> {
        let answer = sdp::parse(text)?;
        self.begin(Negotiation::ProcessAnswer)?;
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
        self.links.set_connection(Link::Connected);
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

    /// The receive limit announced for `kind`, in kbps (0: none).
    fn recv_limit(&self, kind: MediaKind) -> u32 {
        let (audio, video) = self.settings().recv_limits();
        match kind {
            MediaKind::Audio => audio,
            MediaKind::Video => video,
        }
    }
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
