//! RtpEndpoint against real GStreamer peers on loopback: a peer's VP8 and Opus recorded and
//! decoded, a player's picture and PCMU voice decoded by a peer that asked for H.264, an
//! SRTP loopback with SDES keys, KMS's SDP error codes, hostile offers (addresses that do not
//! exist here, garbage, nothing spoken here) answered or refused in bounded time with the
//! server still answering, and the official kurento-client creating and negotiating one.
//!
//! Every test that sends RTP runs inside a private network namespace whose only interface is
//! `lo` (`unshare -n`, as root; see [`in_loopback_namespace`]), so nothing leaves the machine,
//! and addresses such as 10.0.0.1 are unreachable there for certain.

use filmstrip_tests::kurento_js::run_script;
use filmstrip_tests::serve::{Client, MANAGER, assert_max_video_send_bandwidth, is_kurento_object};
use filmstrip_tests::{
    HEIGHT, Served, WIDTH, decode, decode_luma, f32_samples, gst_launch, in_loopback_namespace,
    luma_difference, rms,
};
use gst::prelude::*;
use serde_json::{Value as Json, json};
use std::net::UdpSocket;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(30);

/// A 30-byte SRTP master key and salt, Base64, as the peer's.
const PEER_KEY: &str = "cGVlcnBlZXJwZWVycGVlcnBlZXJwZWVycGVlcnBl";
/// Another, as the endpoint's `crypto.keyBase64`.
const ENDPOINT_KEY: &str = "ZW5kcG9pbnRlbmRwb2ludGVuZHBvaW50ZW5kcG9p";

/// One media section of the endpoint's description.
#[derive(Debug)]
struct Section {
    kind: String,
    port: u16,
    proto: String,
    formats: Vec<String>,
    attributes: Vec<String>,
}

impl Section {
    fn value(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find_map(|a| a.strip_prefix(name)?.strip_prefix(':'))
    }

    /// Where the endpoint receives RTCP for this section.
    fn rtcp_port(&self) -> u16 {
        self.value("rtcp")
            .and_then(|port| port.split_whitespace().next()?.parse().ok())
            .unwrap_or(self.port + 1)
    }
}

/// The media sections of an SDP, and its session-level `c=` address.
fn sections(text: &str) -> (Option<String>, Vec<Section>) {
    let mut address = None;
    let mut all: Vec<Section> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if let Some(media) = line.strip_prefix("m=") {
            let fields: Vec<&str> = media.split_whitespace().collect();
            all.push(Section {
                kind: fields[0].into(),
                port: fields[1].parse().unwrap(),
                proto: fields[2].into(),
                formats: fields[3..].iter().map(|f| f.to_string()).collect(),
                attributes: Vec::new(),
            });
        } else if let Some(attribute) = line.strip_prefix("a=") {
            if let Some(section) = all.last_mut() {
                section.attributes.push(attribute.into());
            }
        } else if let Some(connection) = line.strip_prefix("c=IN ")
            && all.is_empty()
        {
            address = connection.split_whitespace().nth(1).map(String::from);
        }
    }
    (address, all)
}

/// A UDP port free on loopback now, for the peer's own sockets.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain RTP offer from 127.0.0.1: one line per section, `m=` lines written out.
fn offer(sections: &[&str]) -> String {
    let mut text = String::from(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=peer\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n",
    );
    for section in sections {
        for line in section.lines() {
            text.push_str(line.trim());
            text.push_str("\r\n");
        }
    }
    text
}

/// A server, a pipeline and a connected client.
fn server() -> (Served, Client, String) {
    let served = Served::start();
    let (client, pipeline) = served.client_with_pipeline();
    (served, client, pipeline)
}

/// A GStreamer pipeline of the peer, from a `gst-launch` description, playing.
fn peer(description: &str) -> gst::Pipeline {
    gst::init().unwrap();
    gst::parse::launch(description)
        .unwrap_or_else(|err| panic!("{description}: {err}"))
        .downcast::<gst::Pipeline>()
        .unwrap()
}

fn play(pipeline: &gst::Pipeline) {
    pipeline.set_state(gst::State::Playing).unwrap();
}

/// The luma of SMPTE colour bars at the clips' size: what the peers and clips show.
fn smpte_luma(dir: &Path) -> Vec<u8> {
    let raw = dir.join("smpte.gray");
    gst_launch(&format!(
        "videotestsrc pattern=smpte num-buffers=1 ! video/x-raw,width={WIDTH},height={HEIGHT} \
         ! videoconvert ! video/x-raw,format=GRAY8 ! filesink location={}",
        raw.display()
    ));
    std::fs::read(raw).unwrap()
}

/// What reaches the `fakesink signal-handoffs=true` named `name` in `pipeline` from now on,
/// one buffer each: connect before playing.
fn collector(pipeline: &gst::Pipeline, name: &str) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let buffers = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&buffers);
    pipeline
        .by_name(name)
        .unwrap_or_else(|| panic!("no {name} in the peer"))
        .connect("handoff", false, move |values| {
            let buffer = values[1].get::<gst::Buffer>().unwrap();
            let map = buffer.map_readable().unwrap();
            kept.lock().unwrap().push(map.to_vec());
            None
        });
    buffers
}

/// Waits until `buffers` holds at least `count`, up to `timeout`; returns them.
fn wait_for(buffers: &Mutex<Vec<Vec<u8>>>, count: usize, timeout: Duration) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    loop {
        let got = buffers.lock().unwrap().clone();
        if got.len() >= count || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A three-second WebM clip of SMPTE bars and a 440 Hz tone at half scale.
fn bars_clip(dir: &Path) -> std::path::PathBuf {
    let clip = dir.join("bars.webm");
    gst_launch(&format!(
        "webmmux name=mux ! filesink location={} \
         videotestsrc pattern=smpte num-buffers=90 ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=30/1 \
         ! vp8enc deadline=1 ! mux. \
         audiotestsrc wave=sine freq=440 volume=0.5 num-buffers=150 ! audioconvert ! opusenc ! mux.",
        clip.display()
    ));
    clip
}

/// Asserts that most `frames` (luma planes) show the bars, and the last one does.
fn assert_bars(frames: &[Vec<u8>], bars: &[u8], at_least: usize) {
    assert!(
        frames.len() >= at_least,
        "{} frames, wanted {at_least}",
        frames.len()
    );
    let differences: Vec<f64> = frames
        .iter()
        .map(|frame| luma_difference(frame, bars))
        .collect();
    let close = differences.iter().filter(|d| **d < 8.0).count();
    assert!(
        close * 4 >= frames.len() * 3 && *differences.last().unwrap() < 8.0,
        "frames differ from the bars by {differences:?}"
    );
}

#[test]
fn a_peers_vp8_and_opus_are_recorded_as_they_came() {
    if !in_loopback_namespace("a_peers_vp8_and_opus_are_recorded_as_they_came") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("peer.webm");
    let (_served, mut client, pipeline) = server();
    let rtp = client.create("RtpEndpoint", Some(&pipeline));
    for event in ["MediaStateChanged", "ConnectionStateChanged"] {
        client.subscribe(&rtp, event);
    }

    // The peer only sends; it hears the endpoint's reports (and key frame requests) on its
    // RTCP ports.
    let (audio_rtcp, video_rtcp) = (free_port(), free_port());
    let offered = offer(&[
        &format!(
            "m=audio 5004 RTP/AVP 96\na=rtpmap:96 opus/48000/2\na=rtcp:{audio_rtcp}\na=sendonly"
        ),
        &format!(
            "m=video 5006 RTP/AVPF 97\na=rtpmap:97 VP8/90000\na=rtcp-fb:97 nack pli\n\
             a=rtcp:{video_rtcp}\na=sendonly"
        ),
    ]);
    let answer = client.invoke(&rtp, "processOffer", json!({"offer": offered}));
    let answer = answer.as_str().unwrap();
    let (address, answered) = sections(answer);
    assert_eq!(address.as_deref(), Some("127.0.0.1"), "{answer}");
    let [audio, video] = &answered[..] else {
        panic!("two sections in {answer}")
    };
    for (section, kind, proto, pt, rtpmap) in [
        (audio, "audio", "RTP/AVP", "96", "96 opus/48000/2"),
        (video, "video", "RTP/AVPF", "97", "97 VP8/90000"),
    ] {
        assert_eq!(
            (section.kind.as_str(), section.proto.as_str()),
            (kind, proto),
            "{answer}"
        );
        assert_eq!(
            section.formats,
            [pt],
            "one codec, the offer's payload type: {answer}"
        );
        assert_eq!(section.value("rtpmap"), Some(rtpmap), "{answer}");
        assert!(
            section.attributes.iter().any(|a| a == "recvonly"),
            "{answer}"
        );
        assert_ne!(section.port, 0, "{answer}");
    }
    assert_eq!(video.value("rtcp-fb"), Some("97 nack pli"), "{answer}");
    let state = client.event("ConnectionStateChanged", LONG);
    assert_eq!(state["params"]["value"]["data"]["newState"], "CONNECTED");

    let peer = peer(&format!(
        "rtpbin name=rb \
         videotestsrc is-live=true pattern=smpte \
           ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=15/1 \
           ! vp8enc deadline=1 keyframe-max-dist=3000 ! rtpvp8pay pt=97 ! rb.send_rtp_sink_1 \
         rb.send_rtp_src_1 ! udpsink host=127.0.0.1 port={} \
         rb.send_rtcp_src_1 ! udpsink host=127.0.0.1 port={} sync=false async=false \
         udpsrc port={video_rtcp} ! rb.recv_rtcp_sink_1 \
         audiotestsrc is-live=true wave=sine freq=440 volume=0.5 ! audioconvert ! audioresample \
           ! opusenc ! rtpopuspay pt=96 ! rb.send_rtp_sink_0 \
         rb.send_rtp_src_0 ! udpsink host=127.0.0.1 port={} \
         rb.send_rtcp_src_0 ! udpsink host=127.0.0.1 port={} sync=false async=false \
         udpsrc port={audio_rtcp} ! rb.recv_rtcp_sink_0",
        video.port,
        video.rtcp_port(),
        audio.port,
        audio.rtcp_port(),
    ));
    let started = Instant::now();
    play(&peer);
    let connected = client.event_where(LONG, |data| {
        data["type"] == "MediaStateChanged" && data["newState"] == "CONNECTED"
    });
    assert!(connected.is_some(), "media never connected");
    eprintln!(
        "media connected {:?} after the peer started",
        started.elapsed()
    );
    // The recorder joins once the peer's only periodic key frame has passed (one in 200 s):
    // it can start only at the key frame its PLI asks the peer for.
    std::thread::sleep(Duration::from_secs(1));
    let recorder = client.recorder(&pipeline, &recording, json!({"mediaProfile": "WEBM"}));
    client.invoke(&rtp, "connect", json!({"sink": recorder}));
    client.invoke(&recorder, "record", json!({}));
    std::thread::sleep(Duration::from_secs(3));
    client.invoke(&recorder, "stopAndWait", json!({}));
    peer.set_state(gst::State::Null).unwrap();

    // 15 frames a second for about three seconds, the bars as the peer sent them, from
    // within a few frames of the recorder's start.
    let decoded = decode(&recording);
    assert_bars(&decoded.luma(WIDTH, HEIGHT), &smpte_luma(dir.path()), 35);
    let voice = rms(&decoded.samples());
    assert!(voice > 0.2, "the tone at half scale recorded at {voice:.3}");
}

#[test]
fn a_players_picture_and_voice_reach_a_peer_that_asked_for_h264_and_pcmu() {
    if !in_loopback_namespace(
        "a_players_picture_and_voice_reach_a_peer_that_asked_for_h264_and_pcmu",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = bars_clip(dir.path());
    let (_served, mut client, pipeline) = server();
    let rtp = client.create("RtpEndpoint", Some(&pipeline));
    let player = client.player(&pipeline, &clip);
    client.invoke(&player, "connect", json!({"sink": rtp}));

    // A telephone-like peer: PCMU by its static payload type (no a=rtpmap), H.264 after a
    // codec the endpoint does not speak.
    let (audio_port, video_port) = (free_port(), free_port());
    let offered = offer(&[
        &format!("m=audio {audio_port} RTP/AVP 0\na=recvonly"),
        &format!(
            "m=video {video_port} RTP/AVP 98 103\na=rtpmap:98 H265/90000\na=rtpmap:103 H264/90000\n\
             a=fmtp:103 packetization-mode=1;profile-level-id=42e01f\na=recvonly"
        ),
    ]);
    let answer = client.invoke(&rtp, "processOffer", json!({"offer": offered}));
    let answer = answer.as_str().unwrap();
    let (_, answered) = sections(answer);
    assert_eq!(answered[0].formats, ["0"], "{answer}");
    assert_eq!(answered[0].value("rtpmap"), Some("0 PCMU/8000"), "{answer}");
    assert_eq!(answered[1].formats, ["103"], "{answer}");
    for section in &answered {
        assert!(
            section.attributes.iter().any(|a| a == "sendonly"),
            "{answer}"
        );
    }

    let peer = peer(&format!(
        "udpsrc port={video_port} \
           caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=103\" \
           ! rtpjitterbuffer latency=100 ! rtph264depay ! avdec_h264 ! videoconvert \
           ! video/x-raw,format=GRAY8 ! fakesink name=video signal-handoffs=true sync=false \
         udpsrc port={audio_port} \
           caps=\"application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0\" \
           ! rtpjitterbuffer latency=100 ! rtppcmudepay ! mulawdec ! audioconvert \
           ! audio/x-raw,format=F32LE,channels=1 ! fakesink name=audio signal-handoffs=true sync=false"
    ));
    let (frames, voice) = (collector(&peer, "video"), collector(&peer, "audio"));
    play(&peer);
    let started = Instant::now();
    client.invoke(&player, "play", json!({}));
    let frames = wait_for(&frames, 45, LONG);
    eprintln!("{} frames in {:?}", frames.len(), started.elapsed());
    let voice = voice.lock().unwrap().concat();
    peer.set_state(gst::State::Null).unwrap();

    assert_bars(&frames, &smpte_luma(dir.path()), 45);
    let loud = rms(&f32_samples(&voice));
    assert!(
        loud > 0.2,
        "the tone at half scale arrived at {loud:.3} in PCMU"
    );
}

#[test]
fn srtp_with_sdes_keys_carries_a_peers_video_back_to_it() {
    if !in_loopback_namespace("srtp_with_sdes_keys_carries_a_peers_video_back_to_it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_served, mut client, pipeline) = server();
    let sdes = json!({"__module__": "kurento", "__type__": "SDES",
                      "crypto": "AES_128_CM_HMAC_SHA1_80", "keyBase64": ENDPOINT_KEY});
    let rtp = client.create_with(
        "RtpEndpoint",
        json!({"mediaPipeline": pipeline, "crypto": sdes}),
    );
    client.invoke(&rtp, "connect", json!({"sink": rtp}));
    let peer_port = free_port();
    let offered = offer(&[&format!(
        "m=video {peer_port} RTP/SAVP 96\na=rtpmap:96 VP8/90000\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{PEER_KEY}"
    )]);
    let answer = client.invoke(&rtp, "processOffer", json!({"offer": offered}));
    let answer = answer.as_str().unwrap();
    let (_, answered) = sections(answer);
    let video = &answered[0];
    assert_eq!(video.proto, "RTP/SAVP", "{answer}");
    assert_eq!(
        video.value("crypto"),
        Some(format!("1 AES_CM_128_HMAC_SHA1_80 inline:{ENDPOINT_KEY}").as_str()),
        "the offer's tag, the endpoint's own key: {answer}"
    );

    let peer = peer(&format!(
        "videotestsrc is-live=true pattern=smpte \
           ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=15/1 \
           ! vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 ! encrypt.rtp_sink_0 \
         srtpenc name=encrypt encrypt.rtp_src_0 ! udpsink host=127.0.0.1 port={} async=false \
         udpsrc port={peer_port} \
           caps=\"application/x-srtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96\" \
           ! srtpdec name=decrypt ! rtpjitterbuffer latency=100 ! rtpvp8depay ! vp8dec \
           ! videoconvert ! video/x-raw,format=GRAY8 \
           ! fakesink name=video signal-handoffs=true sync=false",
        video.port
    ));
    let key = |base64: &str| gst::Buffer::from_slice(gst::glib::base64_decode(base64));
    let encrypt = peer.by_name("encrypt").unwrap();
    encrypt.set_property("key", key(PEER_KEY));
    let endpoint_key = key(ENDPOINT_KEY);
    peer.by_name("decrypt")
        .unwrap()
        .connect("request-key", false, move |_| {
            let caps = gst::Caps::builder("application/x-srtp")
                .field("srtp-key", &endpoint_key)
                .field("srtp-cipher", "aes-128-icm")
                .field("srtp-auth", "hmac-sha1-80")
                .field("srtcp-cipher", "aes-128-icm")
                .field("srtcp-auth", "hmac-sha1-80")
                .build();
            Some(caps.to_value())
        });
    let frames = collector(&peer, "video");
    play(&peer);
    let frames = wait_for(&frames, 20, LONG);
    peer.set_state(gst::State::Null).unwrap();
    assert_bars(&frames, &smpte_luma(dir.path()), 20);
}

/// A one-section offer to send VP8 to `address`.
fn vp8_offer_to(family: &str, address: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN {family} {address}\r\ns=-\r\nc=IN {family} {address}\r\nt=0 0\r\n\
         m=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
    )
}

#[test]
fn hostile_offers_get_an_answer_or_a_named_error_in_bounded_time() {
    if !in_loopback_namespace("hostile_offers_get_an_answer_or_a_named_error_in_bounded_time") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_served, mut client, pipeline) = server();
    let session = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
    // (what, offer, the error codes allowed: none for an answer, 0 where an answer is fine
    // too, as IPv6 is answered where the machine has it and refused where it has not).
    let cases: Vec<(&str, Json, &[i64])> = vec![
        ("garbage", json!("hello, I am not SDP"), &[40201]),
        (
            "no media",
            json!("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"),
            &[40201],
        ),
        ("not text", json!(42), &[40201]),
        (
            "an address with no route here",
            json!(vp8_offer_to("IP4", "10.0.0.1")),
            &[],
        ),
        (
            "a documentation address",
            json!(vp8_offer_to("IP4", "192.0.2.1")),
            &[],
        ),
        (
            "IPv6 where only loopback is",
            json!(vp8_offer_to("IP6", "2001:db8::1")),
            &[0, 40205],
        ),
        (
            "an unresolvable name",
            json!(vp8_offer_to("IP4", "nothing.invalid")),
            &[40205],
        ),
        (
            "no connection line",
            json!(
                "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n\
                   m=audio 5000 RTP/AVP 0\r\n"
            ),
            &[],
        ),
        (
            "every section disabled",
            json!(format!(
                "{session}m=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
            )),
            &[],
        ),
        (
            "only codecs spoken elsewhere",
            json!(format!(
                "{session}m=video 5000 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n\
                 m=audio 5002 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
            )),
            &[40205],
        ),
        (
            "a browser's offer",
            json!(format!(
                "{session}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
            )),
            &[40205],
        ),
        (
            "SRTP to an endpoint without keys",
            json!(format!(
                "{session}m=video 5000 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n\
                 a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{PEER_KEY}\r\n"
            )),
            &[40205],
        ),
        (
            "only a data channel",
            json!(format!(
                "{session}m=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
            )),
            &[40205],
        ),
    ];
    let mut unreachable = None;
    let mut slowest = Duration::ZERO;
    for (what, offered, refusals) in cases {
        let rtp = client.create("RtpEndpoint", Some(&pipeline));
        let started = Instant::now();
        let response = client.call(
            "invoke",
            json!({"object": rtp, "operation": "processOffer",
                   "operationParams": {"offer": offered}}),
        );
        let took = started.elapsed();
        assert!(took < Duration::from_secs(4), "{what}: {took:?}");
        slowest = slowest.max(took);
        match (response.get("result"), response.pointer("/error/code")) {
            (Some(result), _) => {
                assert!(
                    refusals.is_empty() || refusals.contains(&0),
                    "{what}: answered {result}, wanted an error"
                );
                let answer = result["value"].as_str().unwrap();
                let (address, answered) = sections(answer);
                assert!(
                    address.is_some() && !answered.is_empty(),
                    "{what}: {answer}"
                );
                if what == "every section disabled" {
                    assert_eq!(answered[0].port, 0, "{answer}");
                }
                if what == "an address with no route here" {
                    unreachable = Some(rtp);
                }
            }
            (None, Some(code)) => {
                let code = code.as_i64().unwrap();
                assert!(refusals.contains(&code), "{what}: {response}");
                let message = response["error"]["message"].as_str().unwrap();
                assert!(
                    !message.contains('\n') && !message.is_empty(),
                    "{what}: {message}"
                );
                eprintln!("{what}: {code} {message}");
            }
            _ => panic!("{what}: {response}"),
        }
        assert_eq!(
            client.ok("ping", json!({}))["value"],
            "pong",
            "after {what}"
        );
    }

    eprintln!("the slowest offer was handled in {slowest:?}");

    // Sending to an address with no route blocks nothing: a player feeding that endpoint and
    // a recorder plays its clip through in its time.
    let clip = filmstrip_tests::make_clip(dir.path());
    let player = client.player(&pipeline, &clip);
    let recording = dir.path().join("beside.webm");
    let recorder = client.recorder(
        &pipeline,
        &recording,
        json!({"mediaProfile": "WEBM_VIDEO_ONLY", "stopOnEndOfStream": true}),
    );
    client.invoke(&player, "connect", json!({"sink": unreachable.unwrap()}));
    client.invoke(&player, "connect", json!({"sink": recorder}));
    client.subscribe(&player, "EndOfStream");
    client.subscribe(&recorder, "Stopped");
    client.invoke(&recorder, "record", json!({}));
    let started = Instant::now();
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", Duration::from_secs(10));
    client.event("Stopped", Duration::from_secs(10));
    eprintln!(
        "the clip played in {:?} beside an unreachable peer",
        started.elapsed()
    );
    assert!(
        decode_luma(&recording).len() >= 25,
        "the recorder beside it got the clip"
    );
    assert_eq!(client.ok("ping", json!({}))["value"], "pong");
}

#[test]
fn offers_answers_properties_and_kms_errors() {
    if !in_loopback_namespace("offers_answers_properties_and_kms_errors") {
        return;
    }
    let (_served, mut client, pipeline) = server();
    let bad_key = json!({"crypto": "AES_128_CM_HMAC_SHA1_80", "key": "too short"});
    let refused = client.error_code(
        "create",
        json!({"type": "RtpEndpoint",
               "constructorParams": {"mediaPipeline": pipeline, "crypto": bad_key}}),
    );
    assert_eq!(refused, 40107);

    let rtp = client.create("kurento.RtpEndpoint", Some(&pipeline));
    let described = client.ok("describe", json!({"object": rtp}));
    assert_eq!(described["qualifiedType"], "kurento.RtpEndpoint");
    assert_eq!(described["hierarchy"][0], "kurento.BaseRtpEndpoint");
    let info = client.invoke(MANAGER, "getInfo", json!({}));
    let elements = info["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|module| module["name"] == "elements")
        .unwrap();
    assert!(
        elements["factories"]
            .as_array()
            .unwrap()
            .contains(&json!("RtpEndpoint")),
        "{elements}"
    );
    for event in [
        "MediaStateChanged",
        "ConnectionStateChanged",
        "OnKeySoftLimit",
    ] {
        client.subscribe(&rtp, event);
    }
    assert_max_video_send_bandwidth(&mut client, &rtp);
    client.invoke(
        &rtp,
        "setMaxVideoRecvBandwidth",
        json!({"maxVideoRecvBandwidth": 800}),
    );
    assert_eq!(
        client.invoke_error(&rtp, "getStunServerAddress", json!({})),
        40105
    );
    assert_eq!(
        client.invoke_error(&rtp, "getLocalSessionDescriptor", json!({})),
        40202
    );
    assert_eq!(
        client.invoke_error(&rtp, "getRemoteSessionDescriptor", json!({})),
        40203
    );
    assert_eq!(
        client.invoke(&rtp, "getMediaState", json!({})),
        "DISCONNECTED"
    );
    let stray = vp8_offer_to("IP4", "127.0.0.1");
    assert_eq!(
        client.invoke_error(&rtp, "processAnswer", json!({"answer": stray})),
        40209
    );

    // The endpoint offers VP8 and H.264, Opus and PCMU, on its own ports, to receive too.
    let offered = client.invoke(&rtp, "generateOffer", json!({}));
    let offered = offered.as_str().unwrap();
    let (address, sent) = sections(offered);
    assert_eq!(address.as_deref(), Some("127.0.0.1"), "{offered}");
    assert_eq!(sent[0].kind, "audio");
    assert_eq!(sent[0].formats, ["111", "0"], "{offered}");
    assert_eq!(sent[1].kind, "video");
    assert_eq!(sent[1].formats, ["96", "102"], "{offered}");
    assert!(
        offered.contains("b=AS:800\r\n"),
        "the receive limit: {offered}"
    );
    for section in &sent {
        assert_eq!(section.proto, "RTP/AVPF");
        assert!(
            section.attributes.iter().any(|a| a == "sendrecv"),
            "{offered}"
        );
        assert_ne!(section.rtcp_port(), section.port, "{offered}");
    }
    assert_eq!(client.invoke_error(&rtp, "generateOffer", json!({})), 40204);
    assert_eq!(
        client.invoke_error(&rtp, "processOffer", json!({"offer": offered})),
        40208
    );
    assert_eq!(
        client.invoke(&rtp, "getLocalSessionDescriptor", json!({})),
        offered
    );

    // The peer takes PCMU and VP8 from the offer.
    let (audio_port, video_port) = (free_port(), free_port());
    let answer = offer(&[
        &format!("m=audio {audio_port} RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=recvonly"),
        &format!("m=video {video_port} RTP/AVPF 96\na=rtpmap:96 VP8/90000\na=sendrecv"),
    ]);
    let processed = client.invoke(&rtp, "processAnswer", json!({"answer": answer}));
    assert_eq!(
        processed, offered,
        "processAnswer returns the local description"
    );
    let remote = client.invoke(&rtp, "getRemoteSessionDescriptor", json!({}));
    assert!(
        remote
            .as_str()
            .unwrap()
            .contains(&format!("m=video {video_port} ")),
        "{remote}"
    );
    assert_eq!(
        client.invoke_error(&rtp, "processAnswer", json!({"answer": answer})),
        40210
    );
    let state = client.event("ConnectionStateChanged", LONG);
    assert_eq!(state["params"]["value"]["data"]["newState"], "CONNECTED");
    assert_eq!(
        client.invoke(&rtp, "getConnectionState", json!({})),
        "CONNECTED"
    );

    // An answer with a codec that was not offered there is refused.
    let other = client.create("RtpEndpoint", Some(&pipeline));
    client.invoke(&other, "generateOffer", json!({}));
    let wrong = offer(&[
        "m=audio 0 RTP/AVP 0",
        &format!("m=video {video_port} RTP/AVP 100\na=rtpmap:100 H264/90000"),
    ]);
    assert_eq!(
        client.invoke_error(&other, "processAnswer", json!({"answer": wrong})),
        40206
    );

    // useIpv6 offers an IPv6 address, where loopback has one.
    let ipv6 = std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|table| !table.is_empty());
    let six = client.create_with(
        "RtpEndpoint",
        json!({"mediaPipeline": pipeline, "useIpv6": true}),
    );
    let response = client.call(
        "invoke",
        json!({"object": six, "operation": "generateOffer", "operationParams": {}}),
    );
    match response.pointer("/result/value").and_then(Json::as_str) {
        Some(offered) => assert!(offered.contains("c=IN IP6 ::1\r\n"), "{offered}"),
        None => assert!(!ipv6, "IPv6 is there, yet {response}"),
    }
}

#[test]
fn the_official_client_negotiates_plain_and_secure_endpoints() {
    // Installed before leaving the network, which the namespace has not.
    filmstrip_tests::npm_modules("js", "kurento-client-js");
    if !in_loopback_namespace("the_official_client_negotiates_plain_and_secure_endpoints") {
        return;
    }
    let served = Served::start();
    let offered = offer(&["m=video 5000 RTP/AVP 96\na=rtpmap:96 VP8/90000\na=recvonly"]);
    let steps = run_script(
        "rtp.js",
        &json!({"url": served.url, "offer": offered, "keyBase64": ENDPOINT_KEY}),
    );
    steps.step("done");
    let answered = steps.step("answered");
    assert!(
        is_kurento_object(&answered["id"], "RtpEndpoint"),
        "{answered}"
    );
    let answer = answered["answer"].as_str().unwrap();
    let (_, sections) = sections(answer);
    assert_eq!(sections[0].formats, ["96"], "{answer}");
    assert!(
        sections[0].attributes.iter().any(|a| a == "sendonly"),
        "{answer}"
    );
    assert_eq!(answered["local"], answered["answer"]);
    assert!(
        answered["remote"]
            .as_str()
            .unwrap()
            .contains("m=video 5000 "),
        "{answered}"
    );
    assert_eq!(answered["connectionState"], "CONNECTED");
    assert_eq!(answered["maxVideoSendBandwidth"], 500);
    assert_eq!(steps.step("second-offer")["refused"]["code"], 40208);
    let secure = steps.step("offered")["offer"].as_str().unwrap().to_string();
    assert!(secure.contains(" RTP/SAVPF "), "{secure}");
    assert!(
        secure.contains(&format!(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{ENDPOINT_KEY}\r\n"
        )),
        "{secure}"
    );
    assert_eq!(steps.step("released")["pipelines"], json!([]));
}

#[test]
fn a_comedia_peer_behind_a_nat_is_answered_where_its_packets_come_from() {
    if !in_loopback_namespace("a_comedia_peer_behind_a_nat_is_answered_where_its_packets_come_from")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_served, mut client, pipeline) = server();
    let rtp = client.create("RtpEndpoint", Some(&pipeline));
    client.invoke(&rtp, "connect", json!({"sink": rtp}));
    // The peer names an address it cannot be reached on, as one behind a NAT does.
    let offered = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
        m=video 5000 RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\na=direction:active\r\n";
    let answer = client.invoke(&rtp, "processOffer", json!({"offer": offered}));
    let answer = answer.as_str().unwrap();
    let (_, answered) = sections(answer);
    let video = &answered[0];
    assert_eq!(video.value("direction"), Some("passive"), "{answer}");

    // It sends RTP and RTCP from the sockets it receives on (symmetric RTP).
    let peer = peer(&format!(
        "rtpbin name=rb \
         videotestsrc is-live=true pattern=smpte \
           ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=15/1 \
           ! vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 ! rb.send_rtp_sink_0 \
         rb.send_rtp_src_0 ! udpsink name=rtp_out host=127.0.0.1 port={} async=false \
         rb.send_rtcp_src_0 ! udpsink name=rtcp_out host=127.0.0.1 port={} sync=false async=false \
         udpsrc name=rtp_in port=0 \
           caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96\" \
           ! rtpjitterbuffer latency=100 ! rtpvp8depay ! vp8dec ! videoconvert \
           ! video/x-raw,format=GRAY8 ! fakesink name=video signal-handoffs=true sync=false async=false \
         udpsrc name=rtcp_in port=0 ! rb.recv_rtcp_sink_0",
        video.port,
        video.rtcp_port(),
    ));
    // A source binds its socket on its way to READY; a sink takes one before it does.
    for (source, sink) in [("rtp_in", "rtp_out"), ("rtcp_in", "rtcp_out")] {
        let source = peer.by_name(source).unwrap();
        source.set_state(gst::State::Ready).unwrap();
        peer.by_name(sink)
            .unwrap()
            .set_property_from_value("socket", &source.property_value("used-socket"));
    }
    let frames = collector(&peer, "video");
    let started = Instant::now();
    play(&peer);
    let frames = wait_for(&frames, 20, LONG);
    eprintln!(
        "{} frames back {:?} after the peer started",
        frames.len(),
        started.elapsed()
    );
    // The endpoint's reports come from the port its answer names for RTCP (symmetric RTP),
    // once one has come since the endpoint learnt where to send them (reports go out every
    // few seconds).
    let session = peer
        .by_name("rb")
        .unwrap()
        .emit_by_name::<gst::glib::Object>("get-internal-session", &[&0u32]);
    let reporters = || -> Vec<String> {
        let sources = session.property::<gst::glib::ValueArray>("sources");
        sources
            .iter()
            .filter_map(|source| {
                let stats = source
                    .get::<gst::glib::Object>()
                    .ok()?
                    .property::<gst::Structure>("stats");
                stats.get::<String>("rtcp-from").ok()
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while reporters().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let reporters = reporters();
    assert_eq!(
        reporters,
        [format!("127.0.0.1:{}", video.rtcp_port())],
        "{answer}"
    );
    peer.set_state(gst::State::Null).unwrap();
    assert_bars(&frames, &smpte_luma(dir.path()), 20);
}
