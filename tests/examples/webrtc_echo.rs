//! The reference the WebRTC benchmark measures `filmstrip serve` against: one browser call at
//! a time per WebSocket connection, answered by a plain `webrtcbin` that sends what the
//! browser sends (VP8, Opus) back to it, as it came (`forward`: the work of a WebRtcEndpoint
//! connected to itself) or decoded and encoded again (the work of a magic mirror but the
//! filter), with filmstrip's encoder settings and jitter buffer.
//!
//! Signalling is one JSON message each way, with every candidate in the SDP (no trickle):
//! `{"offer": "<sdp>", "forward": bool}` in, `{"answer": "<sdp>"}` out. Started as `webrtc_echo serve --port 0`
//! (the arguments `filmstrip serve` takes, so the browser driver starts either the same way),
//! it prints `listening on ws://127.0.0.1:<port>/echo` and serves until killed.

use gst::prelude::*;
use gst_webrtc::{WebRTCSDPType, WebRTCSessionDescription};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use tungstenite::Message;

fn main() {
    gst::init().expect("GStreamer");
    let args: Vec<String> = std::env::args().collect();
    let port = args
        .iter()
        .position(|arg| arg == "--port")
        .and_then(|at| args.get(at + 1)?.parse::<u16>().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("a loopback port");
    let address = listener.local_addr().unwrap();
    println!("listening on ws://{address}/echo");
    std::io::stdout().flush().unwrap();
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            if let Err(error) = serve(stream) {
                eprintln!("webrtc_echo: {error}");
            }
        });
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One call: the offer, the answer, then media until the browser hangs up.
fn serve(stream: TcpStream) -> Result<(), Error> {
    let mut socket = tungstenite::accept(stream)?;
    let offer = loop {
        if let Message::Text(text) = socket.read()? {
            let message: Json = serde_json::from_str(&text)?;
            let forward = message["forward"].as_bool().unwrap_or(false);
            break (
                message["offer"].as_str().ok_or("no offer")?.to_string(),
                forward,
            );
        }
    };
    let (pipeline, answer) = answer(&offer.0, offer.1)?;
    socket.send(Message::text(json!({ "answer": answer }).to_string()))?;
    // Media flows until the page closes the socket.
    while !matches!(socket.read(), Err(_) | Ok(Message::Close(_))) {}
    pipeline.set_state(gst::State::Null)?;
    Ok(())
}

/// The `a=rtpmap` payload type of `encoding` (e.g. `VP8`) in `media`.
fn payload_type(media: &gst_sdp::SDPMediaRef, encoding: &str) -> Option<u32> {
    media.formats().find_map(|format| {
        let pt: u32 = format.parse().ok()?;
        let wanted = format!("{pt} {encoding}/");
        media
            .attributes()
            .any(|a| a.key() == "rtpmap" && a.value().is_some_and(|v| v.starts_with(&wanted)))
            .then_some(pt)
    })
}

/// Builds the pipeline for `offer` and returns it with the answer, once every local
/// candidate is in it.
fn answer(offer: &str, forward: bool) -> Result<(gst::Pipeline, String), Error> {
    let pipeline = gst::Pipeline::new();
    let webrtc = gst::ElementFactory::make("webrtcbin")
        .property_from_str("bundle-policy", "max-bundle")
        // filmstrip's default jitter buffer for browsers' media.
        .property("latency", 20u32)
        .build()?;
    pipeline.add(&webrtc)?;
    // libnice leaves loopback out unless told: the benchmark runs on `lo` alone.
    let ice = webrtc.property::<gst::glib::Object>("ice-agent");
    ice.emit_by_name::<bool>("add-local-ip-address", &[&"127.0.0.1"]);
    pipeline.set_state(gst::State::Playing)?;

    let sdp = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes())?;
    let promise = gst::Promise::new();
    let description = WebRTCSessionDescription::new(WebRTCSDPType::Offer, sdp.clone());
    webrtc.emit_by_name::<()>("set-remote-description", &[&description, &promise]);
    promise.wait();

    for (mline, media) in sdp.medias().enumerate() {
        let (encoding, sender) = match media.media() {
            Some("video") => ("VP8", video_sender(forward)?),
            Some("audio") => ("opus", audio_sender(forward)?),
            _ => continue,
        };
        let pt = payload_type(media, encoding).ok_or("the offer lacks a codec")?;
        // Only what the answer needs: the media's own attributes would bring the offer's
        // ssrc lines and extensions in as format parameters, which Chrome refuses.
        let mut caps = gst::Caps::builder("application/x-rtp")
            .field("media", media.media().unwrap())
            .field("encoding-name", encoding.to_uppercase())
            .field("payload", pt as i32);
        caps = if encoding == "VP8" {
            caps.field("clock-rate", 90_000i32)
                .field("rtcp-fb-nack-pli", true)
                .field("rtcp-fb-ccm-fir", true)
        } else {
            caps.field("clock-rate", 48_000i32)
                .field("encoding-params", "2")
        };
        let caps = caps.build();
        // A named pad: in 1.22 an unnamed one never joins the m-line's transceiver.
        let sink = webrtc
            .request_pad_simple(&format!("sink_{mline}"))
            .ok_or("no sink pad")?;
        let transceiver = sink.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
        transceiver.set_direction(gst_webrtc::WebRTCRTPTransceiverDirection::Sendrecv);
        transceiver.set_codec_preferences(Some(&caps));
        let payloader = sender.last().unwrap();
        payloader.set_property("pt", pt);
        pipeline.add_many(&sender)?;
        gst::Element::link_many(&sender)?;
        payloader.static_pad("src").unwrap().link(&sink)?;
        for element in &sender {
            element.sync_state_with_parent()?;
        }
    }

    // What the browser sends is depayloaded (and decoded, unless forwarded) and fed back
    // into the sender of its kind.
    let weak = pipeline.downgrade();
    webrtc.connect_pad_added(move |_, pad| {
        let Some(pipeline) = weak.upgrade() else {
            return;
        };
        if let Err(error) = receive(&pipeline, pad, forward) {
            eprintln!("webrtc_echo: {error}");
        }
    });

    let promise = gst::Promise::new();
    webrtc.emit_by_name::<()>("create-answer", &[&None::<gst::Structure>, &promise]);
    promise.wait();
    let reply = promise.get_reply().ok_or("no answer")?;
    let answer = reply.value("answer")?.get::<WebRTCSessionDescription>()?;
    webrtc.emit_by_name::<()>("set-local-description", &[&answer, &None::<gst::Promise>]);
    // Every candidate in the answer: wait for gathering to end.
    let deadline = Instant::now() + Duration::from_secs(10);
    while webrtc.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
        != gst_webrtc::WebRTCICEGatheringState::Complete
    {
        if Instant::now() > deadline {
            return Err("ICE gathering did not complete".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let local = webrtc.property::<WebRTCSessionDescription>("local-description");
    Ok((pipeline, local.sdp().as_text()?))
}

/// The queue a sender starts with, named after the encoding it takes back.
fn named_queue(encoding: &str) -> Result<gst::Element, Error> {
    Ok(gst::ElementFactory::make("queue")
        .name(format!("send-{encoding}"))
        .build()?)
}

fn make(name: &str) -> Result<gst::Element, Error> {
    Ok(gst::ElementFactory::make(name).build()?)
}

/// `queue ! videoconvert ! vp8enc ! rtpvp8pay`, with filmstrip's real-time VP8 settings, or
/// `queue ! rtpvp8pay` when `forward`ing.
fn video_sender(forward: bool) -> Result<Vec<gst::Element>, Error> {
    let encoder = gst::ElementFactory::make("vp8enc")
        .property("deadline", 1i64)
        .property("cpu-used", 8i32)
        .property("lag-in-frames", 0i32)
        .property_from_str("end-usage", "cbr")
        .property("keyframe-max-dist", 150i32)
        .property_from_str("error-resilient", "default")
        .property("buffer-size", 1000i32)
        .property("buffer-initial-size", 500i32)
        .property("buffer-optimal-size", 600i32)
        .property("max-intra-bitrate", 300i32)
        .property("undershoot", 95i32)
        .property("overshoot", 5i32)
        // Kurento's default maxVideoSendBandwidth, 500 kbps.
        .property("target-bitrate", 500_000i32)
        .build()?;
    let payloader = gst::ElementFactory::make("rtpvp8pay")
        .property_from_str("picture-id-mode", "15-bit")
        .property("mtu", 1200u32)
        .build()?;
    if forward {
        return Ok(vec![named_queue("VP8")?, payloader]);
    }
    Ok(vec![
        named_queue("VP8")?,
        make("videoconvert")?,
        encoder,
        payloader,
    ])
}

/// `queue ! audioconvert ! audioresample ! opusenc ! rtpopuspay`, or `queue ! rtpopuspay`
/// when `forward`ing.
fn audio_sender(forward: bool) -> Result<Vec<gst::Element>, Error> {
    if forward {
        return Ok(vec![named_queue("OPUS")?, make("rtpopuspay")?]);
    }
    Ok(vec![
        named_queue("OPUS")?,
        make("audioconvert")?,
        make("audioresample")?,
        make("opusenc")?,
        make("rtpopuspay")?,
    ])
}

/// Links the browser's stream on `pad` through a depayloader and (unless `forward`ing) a
/// decoder into the sender of its kind.
fn receive(pipeline: &gst::Pipeline, pad: &gst::Pad, forward: bool) -> Result<(), Error> {
    let caps = pad.current_caps().ok_or("RTP without caps")?;
    let encoding = caps
        .structure(0)
        .and_then(|s| s.get::<String>("encoding-name").ok())
        .unwrap_or_default();
    let chain = match encoding.as_str() {
        "VP8" => vec![
            gst::ElementFactory::make("rtpvp8depay")
                .property("request-keyframe", true)
                .property("wait-for-keyframe", true)
                .build()?,
            make("vp8dec")?,
        ],
        "OPUS" => vec![make("rtpopusdepay")?, make("opusdec")?],
        other => return Err(format!("unexpected {other}").into()),
    };
    let chain = if forward { chain[..1].to_vec() } else { chain };
    pipeline.add_many(&chain)?;
    gst::Element::link_many(&chain)?;
    let queue = pipeline
        .by_name(&format!("send-{encoding}"))
        .ok_or("no sender for it")?;
    chain.last().unwrap().link(&queue)?;
    for element in &chain {
        element.sync_state_with_parent()?;
    }
    pad.link(&chain[0].static_pad("sink").unwrap())?;
    Ok(())
}
