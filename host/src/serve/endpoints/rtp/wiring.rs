//! The media side of a negotiated section: its sockets into `rtpbin` (through `srtpdec` with
//! SRTP), and towards the peer RTCP and the element's input (through `srtpenc`).

use super::super::super::objects::{self, MediaKind, post_event};
use super::super::rtp_common;
use super::negotiation::Plan;
use super::sdes;
use super::transport::Transport;
use super::{Inner, Section};
use anyhow::{Context, Result};
use gst::glib;
use gst::prelude::*;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

impl Inner {
    /// Links section `section` as `plan` says: what arrives on its sockets into `rtpbin`,
    /// and, towards the peer, RTCP and (where the endpoint sends) the element's input.
    pub(super) fn start(&self, bin: &gst::Bin, section: &Section, plan: &Plan) -> Result<()> {
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
                let decoder = objects::make("srtpdec")?;
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
            let mut sinks = vec![rtcp_sink];
            if plan.direction.sends {
                let rtp_sink = Transport::sink(bin, &transport.rtp, rtp_peer)?;
                sinks.insert(0, rtp_sink.clone());
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
            if plan.comedia {
                self.learn_peer(id, sinks)?;
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

    /// COMEDIA (`a=direction:active`): a peer behind a NAT names an address it cannot be
    /// reached on, so the sinks of section `id` (its RTP sink first where there is one, its
    /// RTCP sink last) turn to where the peer's RTP and RTCP come from, once the RTP session
    /// sees its stream active (its first report), as KMS does.
    fn learn_peer(&self, id: u32, sinks: Vec<gst::Element>) -> Result<()> {
        let session = self
            .rtpbin
            .emit_by_name::<Option<glib::Object>>("get-internal-session", &[&id])
            .context("rtpbin has no RTP session for the section")?;
        let learnt = AtomicBool::new(false);
        session.connect("on-ssrc-active", false, move |values| {
            let source = values.get(1)?.get::<glib::Object>().ok()?;
            let stats = source.property::<gst::Structure>("stats");
            let from = |field: &str| {
                stats
                    .get::<String>(field)
                    .ok()
                    .and_then(|text| socket_address(&text))
            };
            let (Some(rtp), Some(rtcp)) = (from("rtp-from"), from("rtcp-from")) else {
                return None;
            };
            if learnt.swap(true, Ordering::AcqRel) {
                return None;
            }
            tracing::debug!(%rtp, %rtcp, "COMEDIA: the peer's address learnt");
            let targets = [rtp, rtcp];
            let targets = &targets[2 - sinks.len().min(2)..];
            for (sink, target) in sinks.iter().zip(targets) {
                sink.emit_by_name::<()>("clear", &[]);
                sink.emit_by_name::<()>(
                    "add",
                    &[&target.ip().to_string(), &i32::from(target.port())],
                );
            }
            None
        });
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
}

/// An address as GStreamer's RTP statistics write it: `ip:port`, `[ipv6]:port` or
/// `ipv6:port`.
fn socket_address(text: &str) -> Option<SocketAddr> {
    text.parse().ok().or_else(|| {
        let (ip, port) = text.rsplit_once(':')?;
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
    })
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
