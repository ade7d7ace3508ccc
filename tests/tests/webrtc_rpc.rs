//! WebRtcEndpoint over raw JSON-RPC, checked against what Kurento Media Server does: answers
//! to real browser offers (`tests/data/sdp/`), KMS's SDP and ICE error codes, trickle ICE in
//! both directions under the 6.x and 7.x event names, properties, and a call between two
//! endpoints of the server itself (one generates the offer, the other answers, the test
//! client carries their candidates), plus an ICE failure.
//!
//! Every test runs again inside a private network namespace whose only interface is `lo`
//! (`unshare -n`, as root; see [`in_loopback_namespace`]): the server gathers candidates on
//! every interface it sees, and there it sees only loopback, so no candidate or connectivity
//! check can leave the machine.

use filmstrip_tests::serve::{Client, MANAGER, assert_max_video_send_bandwidth};
use filmstrip_tests::{Served, bars_clip, in_loopback_namespace, workspace_root};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

/// A real offer from Chromium 156 (kurento-utils `WebRtcPeerSendrecv`, the loopback page).
const CHROME: &str = "chrome-156.sdp";
/// A real offer from Firefox ESR 153 (an `RTCPeerConnection` with fake camera and microphone).
const FIREFOX: &str = "firefox-esr-153.sdp";

/// A host candidate on loopback, as browsers write it.
const LOOPBACK_CANDIDATE: &str = "candidate:1 1 UDP 2122260223 127.0.0.1 40404 typ host";

fn offer(name: &str) -> String {
    let path = workspace_root().join("tests/data/sdp").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A media section of an SDP: its `m=` line's kind and formats, and its attribute lines.
#[derive(Debug)]
struct Section {
    kind: String,
    formats: Vec<String>,
    attributes: Vec<String>,
}

/// An SDP split into its session-level attributes and its media sections.
#[derive(Debug)]
struct Sdp {
    session: Vec<String>,
    sections: Vec<Section>,
}

impl Sdp {
    fn parse(text: &str) -> Self {
        let mut sdp = Sdp {
            session: Vec::new(),
            sections: Vec::new(),
        };
        for line in text.lines().map(str::trim_end) {
            if let Some(media) = line.strip_prefix("m=") {
                let fields: Vec<&str> = media.split_whitespace().collect();
                sdp.sections.push(Section {
                    kind: fields[0].to_string(),
                    formats: fields[3..].iter().map(|f| f.to_string()).collect(),
                    attributes: Vec::new(),
                });
            } else if let Some(attribute) = line.strip_prefix("a=") {
                match sdp.sections.last_mut() {
                    Some(section) => section.attributes.push(attribute.to_string()),
                    None => sdp.session.push(attribute.to_string()),
                }
            }
        }
        sdp
    }

    /// The values of the session-level attribute `name`.
    fn session_values(&self, name: &str) -> Vec<&str> {
        values(&self.session, name)
    }

    /// The one value of `name` in `section`, else at session level (where Firefox puts the
    /// fingerprint).
    fn effective(&self, section: &Section, name: &str) -> Option<String> {
        section
            .value(name)
            .or_else(|| self.session_values(name).first().copied())
            .map(String::from)
    }
}

fn values<'a>(attributes: &'a [String], name: &str) -> Vec<&'a str> {
    attributes
        .iter()
        .filter_map(|a| a.strip_prefix(name)?.strip_prefix(':'))
        .collect()
}

impl Section {
    fn value(&self, name: &str) -> Option<&str> {
        values(&self.attributes, name).first().copied()
    }

    fn has(&self, flag: &str) -> bool {
        self.attributes.iter().any(|a| a == flag)
    }

    /// The encoding name of payload type `pt`, lower case.
    fn codec(&self, pt: &str) -> Option<String> {
        values(&self.attributes, "rtpmap")
            .into_iter()
            .find_map(|map| map.strip_prefix(pt)?.strip_prefix(' '))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_ascii_lowercase)
    }

    /// The codecs of the section's formats, leaving out retransmission and redundancy,
    /// which carry another codec's packets.
    fn media_codecs(&self) -> Vec<(String, String)> {
        self.formats
            .iter()
            .filter_map(|pt| Some((pt.clone(), self.codec(pt)?)))
            .filter(|(_, name)| !matches!(name.as_str(), "rtx" | "red" | "ulpfec"))
            .collect()
    }

    fn direction(&self) -> &'static str {
        ["sendrecv", "sendonly", "recvonly", "inactive"]
            .into_iter()
            .find(|d| self.has(d))
            .unwrap_or("sendrecv")
    }
}

/// The checks every answer to a browser's offer passes, as KMS's do: the offer's media
/// sections in order with their mids, one BUNDLE group of all of them, rtcp-mux, a DTLS role
/// the offerer can take, one ICE ufrag/pwd for the bundle, one audio and one video codec with
/// the offer's payload type, and `a=msid` naming a stream where the endpoint sends.
fn assert_kms_answer(offer_text: &str, answer_text: &str) {
    let offer = Sdp::parse(offer_text);
    let answer = Sdp::parse(answer_text);
    let show = || format!("offer:\n{offer_text}\nanswer:\n{answer_text}");
    assert_eq!(
        answer.sections.len(),
        offer.sections.len(),
        "one answer section per offered one\n{}",
        show()
    );
    let offered_mids: Vec<&str> = offer
        .sections
        .iter()
        .map(|s| s.value("mid").unwrap())
        .collect();
    let mids: Vec<&str> = answer
        .sections
        .iter()
        .map(|s| s.value("mid").unwrap_or_default())
        .collect();
    assert_eq!(mids, offered_mids, "mids copied\n{}", show());
    let bundle = answer
        .session_values("group")
        .into_iter()
        .find_map(|g| g.strip_prefix("BUNDLE "))
        .unwrap_or_else(|| panic!("no BUNDLE group\n{}", show()));
    assert_eq!(
        bundle.split_whitespace().collect::<Vec<_>>(),
        offered_mids,
        "{}",
        show()
    );
    let mut credentials = Vec::new();
    for (offered, answered) in offer.sections.iter().zip(&answer.sections) {
        assert_eq!(answered.kind, offered.kind, "{}", show());
        assert!(
            answered.has("rtcp-mux"),
            "no rtcp-mux in {}\n{}",
            answered.kind,
            show()
        );
        let setup = answer.effective(answered, "setup");
        assert!(
            matches!(setup.as_deref(), Some("active" | "passive")),
            "a=setup:{setup:?} answering actpass\n{}",
            show()
        );
        assert!(
            answer.effective(answered, "fingerprint").is_some(),
            "no fingerprint\n{}",
            show()
        );
        credentials.push((
            answer.effective(answered, "ice-ufrag"),
            answer.effective(answered, "ice-pwd"),
        ));
        let codecs = answered.media_codecs();
        assert_eq!(
            codecs.len(),
            1,
            "one {} codec, not {codecs:?}\n{}",
            answered.kind,
            show()
        );
        let (pt, name) = &codecs[0];
        assert_eq!(
            offered.codec(pt).as_ref(),
            Some(name),
            "{} {name} answered with payload type {pt}, which the offer gives to another codec",
            answered.kind
        );
        let wanted = if answered.kind == "audio" {
            ["opus"].as_slice()
        } else {
            ["vp8", "h264"].as_slice()
        };
        assert!(wanted.contains(&name.as_str()), "{name}\n{}", show());
        assert_eq!(answered.direction(), "sendrecv", "{}", show());
        let msid = answered
            .value("msid")
            .unwrap_or_else(|| panic!("no a=msid in {}\n{}", answered.kind, show()));
        let parts: Vec<&str> = msid.split_whitespace().collect();
        assert!(
            parts.len() == 2 && parts[0] != "-" && !parts[0].is_empty(),
            "a=msid:{msid} names no stream"
        );
    }
    let (ufrag, pwd) = &credentials[0];
    assert!(
        ufrag.as_ref().is_some_and(|u| u.len() >= 4) && pwd.as_ref().is_some_and(|p| p.len() >= 22),
        "ICE credentials {credentials:?}"
    );
    assert!(
        credentials.iter().all(|c| c == &credentials[0]),
        "one ICE ufrag/pwd on every bundled section: {credentials:?}"
    );
}

/// A server, a client, a pipeline and a WebRtcEndpoint in it.
fn endpoint(served: &Served) -> (Client, String, String) {
    let (mut client, pipeline) = served.client_with_pipeline();
    let webrtc = client.create("WebRtcEndpoint", Some(&pipeline));
    (client, pipeline, webrtc)
}

/// A server of its own with a WebRtcEndpoint in a pipeline, as `endpoint` makes it; the server
/// lives as long as what is returned first.
fn served_endpoint() -> (Served, Client, String) {
    let served = Served::start();
    let (client, _, webrtc) = endpoint(&served);
    (served, client, webrtc)
}

fn process_offer(client: &mut Client, webrtc: &str, offer: &str) -> String {
    let answer = client.invoke(webrtc, "processOffer", json!({ "offer": offer }));
    answer.as_str().expect("an SDP answer").to_string()
}

/// `addIceCandidate` of `candidate`; `Ok` or the error code.
fn add_candidate(client: &mut Client, webrtc: &str, candidate: Json) -> Result<(), i64> {
    let response = client.call(
        "invoke",
        json!({"object": webrtc, "operation": "addIceCandidate",
               "operationParams": {"candidate": candidate}}),
    );
    match response.pointer("/error/code").and_then(Json::as_i64) {
        Some(code) => Err(code),
        None => Ok(()),
    }
}

fn tagged(candidate: &str, mid: &str, index: u32) -> Json {
    json!({"__module__": "kurento", "__type__": "IceCandidate",
           "candidate": candidate, "sdpMid": mid, "sdpMLineIndex": index})
}

/// The address field of a candidate line.
fn candidate_address(line: &str) -> &str {
    line.split_whitespace().nth(4).unwrap_or_default()
}

#[test]
fn answers_real_chrome_and_firefox_offers_as_kms_does() {
    if !in_loopback_namespace("answers_real_chrome_and_firefox_offers_as_kms_does") {
        return;
    }
    let served = Served::start();
    for name in [CHROME, FIREFOX] {
        let offered = offer(name);
        let (mut client, pipeline, webrtc) = endpoint(&served);
        let answer = process_offer(&mut client, &webrtc, &offered);
        assert_kms_answer(&offered, &answer);
        // The descriptors are the answer and the offer.
        let local = client.invoke(&webrtc, "getLocalSessionDescriptor", json!({}));
        assert_eq!(local, json!(answer), "{name}");
        let remote = client.invoke(&webrtc, "getRemoteSessionDescriptor", json!({}));
        let offered_ufrag = Sdp::parse(&offered).sections[0]
            .value("ice-ufrag")
            .unwrap()
            .to_string();
        assert!(
            remote.as_str().unwrap().contains(&offered_ufrag),
            "{name}: remote descriptor {remote}"
        );
        client.ok("release", json!({ "object": pipeline }));
    }
}

#[test]
fn answers_a_chrome_offer_without_vp8_with_one_h264_format() {
    if !in_loopback_namespace("answers_a_chrome_offer_without_vp8_with_one_h264_format") {
        return;
    }
    // Chrome's offer with VP8 (PT 96) and its retransmission (97) taken out: the answer must
    // pick one of the several H.264 formats, with its payload type.
    let original = offer(CHROME);
    let mut lines = Vec::new();
    for line in original.split("\r\n") {
        if let Some(formats) = line.strip_prefix("m=video 9 UDP/TLS/RTP/SAVPF ") {
            let kept: Vec<&str> = formats
                .split(' ')
                .filter(|pt| !matches!(*pt, "96" | "97"))
                .collect();
            lines.push(format!("m=video 9 UDP/TLS/RTP/SAVPF {}", kept.join(" ")));
        } else if [":96 ", ":97 "].iter().any(|pt| line.contains(pt)) {
            continue;
        } else {
            lines.push(line.to_string());
        }
    }
    let offered = lines.join("\r\n");
    assert!(!offered.contains("VP8"), "VP8 still offered");
    let (_served, mut client, webrtc) = served_endpoint();
    let answer = process_offer(&mut client, &webrtc, &offered);
    assert_kms_answer(&offered, &answer);
    let video = &Sdp::parse(&answer).sections[1];
    assert_eq!(video.media_codecs()[0].1, "h264", "{answer}");
}

#[test]
fn sdp_errors_carry_kms_codes() {
    if !in_loopback_namespace("sdp_errors_carry_kms_codes") {
        return;
    }
    let served = Served::start();
    let (mut client, pipeline, webrtc) = endpoint(&served);
    // Nothing negotiated yet: no descriptors.
    assert_eq!(
        client.invoke_error(&webrtc, "getLocalSessionDescriptor", json!({})),
        40202
    );
    assert_eq!(
        client.invoke_error(&webrtc, "getRemoteSessionDescriptor", json!({})),
        40203
    );
    for garbage in ["", "hello", "v=0\r\ns=-\r\n", "m=video 9 RTP/AVP 96\r\n"] {
        assert_eq!(
            client.invoke_error(&webrtc, "processOffer", json!({ "offer": garbage })),
            40201,
            "offer {garbage:?}"
        );
        assert_eq!(
            client.invoke_error(&webrtc, "processAnswer", json!({ "answer": garbage })),
            40201,
            "answer {garbage:?}"
        );
    }
    // A real answer, but no offer was generated.
    assert_eq!(
        client.invoke_error(&webrtc, "processAnswer", json!({ "answer": offer(CHROME) })),
        40209
    );
    // The refusals left the endpoint able to negotiate once, and only once.
    process_offer(&mut client, &webrtc, &offer(CHROME));
    assert_eq!(
        client.invoke_error(&webrtc, "processOffer", json!({ "offer": offer(FIREFOX) })),
        40208
    );

    // After generateOffer, a garbage answer is still 40201 and a real one is accepted once.
    let offerer = client.create("WebRtcEndpoint", Some(&pipeline));
    let answerer = client.create("WebRtcEndpoint", Some(&pipeline));
    let generated = client.invoke(&offerer, "generateOffer", json!({}));
    assert_eq!(
        client.invoke_error(&offerer, "processAnswer", json!({ "answer": "hello" })),
        40201
    );
    let answer = process_offer(&mut client, &answerer, generated.as_str().unwrap());
    client.invoke(&offerer, "processAnswer", json!({ "answer": answer }));
    assert_eq!(
        client.invoke_error(&offerer, "processAnswer", json!({ "answer": answer })),
        40210
    );
}

#[test]
fn remote_candidates_are_accepted_before_and_after_the_offer() {
    if !in_loopback_namespace("remote_candidates_are_accepted_before_and_after_the_offer") {
        return;
    }
    let (_served, mut client, webrtc) = served_endpoint();
    // An mDNS name nobody answers for: resolved or dropped, never an error.
    let mdns =
        "candidate:2 1 UDP 2122260223 1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b.local 40405 typ host";
    for stage in ["before processOffer", "after processOffer"] {
        if stage.starts_with("after") {
            process_offer(&mut client, &webrtc, &offer(CHROME));
        }
        let tagged_candidate = tagged(LOOPBACK_CANDIDATE, "0", 0);
        let untagged = json!({"candidate": LOOPBACK_CANDIDATE, "sdpMid": "1", "sdpMLineIndex": 1});
        for candidate in [tagged_candidate, untagged] {
            assert_eq!(
                add_candidate(&mut client, &webrtc, candidate.clone()),
                Ok(()),
                "{stage}: {candidate}"
            );
        }
        // The browser's end of candidates.
        assert_eq!(
            add_candidate(&mut client, &webrtc, tagged("", "0", 0)),
            Ok(()),
            "{stage}: the empty candidate"
        );
        let started = Instant::now();
        assert_eq!(
            add_candidate(&mut client, &webrtc, tagged(mdns, "0", 0)),
            Ok(()),
            "{stage}: an mDNS candidate"
        );
        let mdns_took = started.elapsed();
        assert!(
            mdns_took < Duration::from_secs(5),
            "{stage}: the mDNS candidate took {mdns_took:?}"
        );
        for garbage in [
            "hello",
            "candidate:garbage",
            "candidate:1 1 UDP notanumber 127.0.0.1 40404 typ host",
            "candidate:1 1 UDP 2122260223 127.0.0.1 40404 typ nonsense",
        ] {
            assert_eq!(
                add_candidate(&mut client, &webrtc, tagged(garbage, "0", 0)),
                Err(40401),
                "{stage}: {garbage:?}"
            );
        }
        eprintln!("{stage}: the unresolvable mDNS candidate was answered in {mdns_took:?}");
    }
}

/// `IceCandidateFound` under the name `event_type`: every candidate line once per bundled
/// m-line, with that m-line's mid and index, tagged as Kurento's complex type.
fn assert_candidates_per_mline(events: &[Json], mids: &[&str], event_type: &str) -> Vec<String> {
    assert!(!events.is_empty(), "no {event_type}");
    let mut lines: Vec<String> = Vec::new();
    for event in events {
        let candidate = &event["candidate"];
        assert_eq!(candidate["__module__"], "kurento", "{event}");
        assert_eq!(candidate["__type__"], "IceCandidate", "{event}");
        assert_eq!(event["type"], event_type, "{event}");
        let line = candidate["candidate"].as_str().unwrap().to_string();
        assert!(line.starts_with("candidate:"), "{event}");
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    for line in &lines {
        let mut seen: Vec<(String, u64)> = events
            .iter()
            .map(|e| &e["candidate"])
            .filter(|c| c["candidate"] == json!(line))
            .map(|c| {
                (
                    c["sdpMid"].as_str().unwrap().to_string(),
                    c["sdpMLineIndex"].as_u64().unwrap(),
                )
            })
            .collect();
        seen.sort();
        let wanted: Vec<(String, u64)> = mids
            .iter()
            .enumerate()
            .map(|(i, mid)| (mid.to_string(), i as u64))
            .collect();
        assert_eq!(seen, wanted, "{event_type} of {line}");
    }
    lines
}

#[test]
fn candidates_are_announced_after_gather_candidates_under_both_names() {
    if !in_loopback_namespace("candidates_are_announced_after_gather_candidates_under_both_names") {
        return;
    }
    let (_served, mut client, webrtc) = served_endpoint();
    let names = [
        ("IceCandidateFound", "OnIceCandidate"),
        ("IceGatheringDone", "OnIceGatheringDone"),
        ("IceComponentStateChanged", "OnIceComponentStateChanged"),
    ];
    for (new, old) in names {
        client.subscribe(&webrtc, new);
        client.subscribe(&webrtc, old);
    }
    let offered = offer(FIREFOX);
    process_offer(&mut client, &webrtc, &offered);
    // Gathering on loopback takes milliseconds: a second is plenty for candidates to be
    // found, and none may be announced before gatherCandidates.
    client.drain(Duration::from_secs(1));
    for name in [
        "IceCandidateFound",
        "OnIceCandidate",
        "IceGatheringDone",
        "OnIceGatheringDone",
    ] {
        let early = client.take_events(name);
        assert!(
            early.is_empty(),
            "{name} before gatherCandidates: {early:?}"
        );
    }
    client.invoke(&webrtc, "gatherCandidates", json!({}));
    for name in ["IceGatheringDone", "OnIceGatheringDone"] {
        client.event(name, Duration::from_secs(20));
    }
    // Each candidate comes before the end of gathering, under either name.
    let mids = ["0", "1"];
    let found = client.take_events("IceCandidateFound");
    let lines = assert_candidates_per_mline(&found, &mids, "IceCandidateFound");
    let old = client.take_events("OnIceCandidate");
    let old_lines = assert_candidates_per_mline(&old, &mids, "OnIceCandidate");
    assert_eq!(old_lines, lines);
    for line in &lines {
        assert_eq!(
            candidate_address(line),
            "127.0.0.1",
            "only loopback exists here: {lines:?}"
        );
    }
    eprintln!("announced after gatherCandidates: {lines:?}");

    // A remote candidate starts connectivity checks: the component state changes, under
    // both names.
    let mut probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    let candidate = format!("candidate:1 1 UDP 2122260223 127.0.0.1 {port} typ host");
    add_candidate(&mut client, &webrtc, tagged(&candidate, "0", 0)).unwrap();
    for name in ["IceComponentStateChanged", "OnIceComponentStateChanged"] {
        let event = client.event(name, Duration::from_secs(20));
        let data = &event["params"]["value"]["data"];
        assert!(
            data["state"].is_string() && data["streamId"].is_number(),
            "{event}"
        );
    }
    // And a STUN check reaches the candidate's socket.
    probe = reading(probe);
    let mut buffer = [0u8; 1500];
    let (size, from) = probe.recv_from(&mut buffer).expect("a connectivity check");
    assert!(
        size >= 20 && buffer[0] == 0 && buffer[1] == 1,
        "a STUN binding request"
    );
    assert_eq!(from.ip().to_string(), "127.0.0.1");
}

/// `socket` with a read timeout of 20 s.
fn reading(socket: std::net::UdpSocket) -> std::net::UdpSocket {
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    socket
}

#[test]
fn properties_read_and_write_by_their_kurento_names() {
    if !in_loopback_namespace("properties_read_and_write_by_their_kurento_names") {
        return;
    }
    let (_served, mut client, webrtc) = served_endpoint();
    let stun = client.invoke(&webrtc, "getStunServerAddress", json!({}));
    assert!(
        stun.is_null() || stun == json!(""),
        "no STUN server by default: {stun}"
    );
    client.invoke(
        &webrtc,
        "setStunServerAddress",
        json!({"stunServerAddress": "127.0.0.1"}),
    );
    assert_eq!(
        client.invoke(&webrtc, "getStunServerAddress", json!({})),
        "127.0.0.1"
    );
    client.invoke(
        &webrtc,
        "setStunServerPort",
        json!({"stunServerPort": 3479}),
    );
    assert_eq!(client.invoke(&webrtc, "getStunServerPort", json!({})), 3479);
    assert_max_video_send_bandwidth(&mut client, &webrtc);
    assert_eq!(
        client.invoke(&webrtc, "getMediaState", json!({})),
        "DISCONNECTED"
    );
    assert_eq!(
        client.invoke(&webrtc, "getConnectionState", json!({})),
        "DISCONNECTED"
    );
}

/// The `data` of the next event of `event_type` from `source` with `newState` `state`.
fn state_event(client: &mut Client, event_type: &str, source: &str, state: &str) -> Option<Json> {
    client.event_where(Duration::ZERO, |data| {
        data["type"] == event_type && data["source"] == source && data["newState"] == state
    })
}

#[test]
fn two_endpoints_of_the_server_call_each_other_over_loopback() {
    if !in_loopback_namespace("two_endpoints_of_the_server_call_each_other_over_loopback") {
        return;
    }
    server_to_server_call(None);
}

/// The call of [`two_endpoints_of_the_server_call_each_other_over_loopback`] held for 25 s
/// while the player plays on: the callee's media state stays CONNECTED as long as media
/// arrives (KMS reports DISCONNECTED only when its RTP sources end or go silent).
#[test]
fn a_call_with_media_flowing_stays_media_connected() {
    if !in_loopback_namespace("a_call_with_media_flowing_stays_media_connected") {
        return;
    }
    server_to_server_call(Some(Duration::from_secs(25)));
}

/// Player -> caller WebRtcEndpoint -> callee WebRtcEndpoint, negotiated and connected
/// through the client; with `hold`, the call then runs that long, checked all along.
fn server_to_server_call(hold: Option<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let clip = bars_clip(
        dir.path(),
        (320, 240),
        10 + hold.map_or(0, |h| h.as_secs() as u32),
    );
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let caller = client.create("WebRtcEndpoint", Some(&pipeline));
    let callee = client.create("WebRtcEndpoint", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": caller}));
    for endpoint in [&caller, &callee] {
        for event in [
            "IceCandidateFound",
            "IceGatheringDone",
            "ConnectionStateChanged",
            "MediaStateChanged",
            "NewCandidatePairSelected",
        ] {
            client.subscribe(endpoint, event);
        }
    }

    let generated = client.invoke(&caller, "generateOffer", json!({}));
    let generated = generated.as_str().unwrap().to_string();
    let offer_sdp = Sdp::parse(&generated);
    let kinds: Vec<&str> = offer_sdp.sections.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["audio", "video"], "{generated}");
    for section in &offer_sdp.sections {
        assert_eq!(section.direction(), "sendrecv", "{generated}");
        assert_eq!(
            offer_sdp.effective(section, "setup").as_deref(),
            Some("actpass")
        );
        assert!(!section.media_codecs().is_empty(), "{generated}");
    }
    let answer = process_offer(&mut client, &callee, &generated);
    assert_kms_answer(&generated, &answer);
    let local = client.invoke(&caller, "processAnswer", json!({ "answer": answer }));
    assert!(local.is_string(), "processAnswer returns SDP: {local}");
    assert_eq!(
        client.invoke(&caller, "getRemoteSessionDescriptor", json!({})),
        json!(answer)
    );
    assert_eq!(
        client.invoke(&callee, "getRemoteSessionDescriptor", json!({})),
        json!(generated)
    );

    client.invoke(&player, "play", json!({}));
    let started = Instant::now();
    client.invoke(&caller, "gatherCandidates", json!({}));
    client.invoke(&callee, "gatherCandidates", json!({}));
    // The client carries each endpoint's candidates to the other, as a signalling server
    // would, until both are connected and the callee receives the player's media.
    let mut carried = 0;
    let mut connected = [None, None];
    let mut media = None;
    let deadline = started + Duration::from_secs(30);
    while connected.iter().any(Option::is_none) || media.is_none() {
        let message = client.receive_until(deadline).unwrap_or_else(|| {
            panic!(
                "no call within 30 s: connected {connected:?}, media {media:?}; {:#?}",
                client.notifications
            )
        });
        let data = message["params"]["value"]["data"].clone();
        let source = data["source"].as_str().unwrap_or_default().to_string();
        match data["type"].as_str().unwrap_or_default() {
            "IceCandidateFound" => {
                let other = if source == caller { &callee } else { &caller };
                // Sent as received: tagged, with the sender's mid and index.
                add_candidate(&mut client, other, data["candidate"].clone()).unwrap();
                carried += 1;
            }
            "ConnectionStateChanged" if data["newState"] == "CONNECTED" => {
                let side = usize::from(source == callee);
                connected[side] = Some(started.elapsed());
            }
            "MediaStateChanged" if data["newState"] == "CONNECTED" && source == callee => {
                media = Some(started.elapsed());
            }
            _ => client.notifications.push(message),
        }
    }
    // Connecting takes at least one candidate each way before checks succeed (or one way,
    // the other side learning a peer-reflexive one from the checks).
    assert!(carried >= 1, "{carried} candidates carried");
    for endpoint in [&caller, &callee] {
        assert_eq!(
            client.invoke(endpoint, "getConnectionState", json!({})),
            "CONNECTED"
        );
    }
    assert_eq!(
        client.invoke(&callee, "getMediaState", json!({})),
        "CONNECTED"
    );
    // The selected pair joins two loopback candidates.
    let pair = client
        .event_where(Duration::from_secs(10), |data| {
            data["type"] == "NewCandidatePairSelected" && data["source"] == json!(callee)
        })
        .expect("NewCandidatePairSelected from the callee");
    for side in ["localCandidate", "remoteCandidate"] {
        let line = pair["candidatePair"][side].as_str().unwrap_or_default();
        assert_eq!(candidate_address(line), "127.0.0.1", "{pair}");
    }
    assert!(state_event(&mut client, "MediaStateChanged", &callee, "DISCONNECTED").is_none());
    eprintln!(
        "server-to-server call: {carried} candidates carried, connected after {:?}, \
         callee media after {media:?}",
        connected
    );
    if let Some(hold) = hold {
        // The callee's decoded video keeps flowing into its output all along: proof that
        // media arrives, whatever the state events say.
        client.subscribe(&callee, "MediaFlowOutStateChanged");
        let held = Instant::now();
        let dropped = client.event_where(hold, |data| {
            data["type"] == "MediaStateChanged" && data["newState"] == "DISCONNECTED"
        });
        let flow = client.take_events("MediaFlowOutStateChanged");
        assert!(
            dropped.is_none(),
            "MediaStateChanged DISCONNECTED {:?} into the held call, the player still \
             playing (callee output flow events: {flow:?}; state now {}): {dropped:?}",
            held.elapsed(),
            client.invoke(&callee, "getMediaState", json!({}))
        );
        assert_eq!(
            client.invoke(&callee, "getMediaState", json!({})),
            "CONNECTED"
        );
    }

    client.ok("release", json!({ "object": pipeline }));
    let pipelines = client.invoke(MANAGER, "getPipelines", json!({}));
    assert_eq!(pipelines, json!([]));
}

#[test]
fn a_candidate_nobody_answers_ends_in_ice_failed() {
    if !in_loopback_namespace("a_candidate_nobody_answers_ends_in_ice_failed") {
        return;
    }
    let (_served, mut client, webrtc) = served_endpoint();
    for event in [
        "IceComponentStateChanged",
        "OnIceComponentStateChanged",
        "MediaStateChanged",
    ] {
        client.subscribe(&webrtc, event);
    }
    // A loopback port nothing listens on any more; the only remote candidate, given before
    // the offer so that it must be kept until it can be applied.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let candidate = format!("candidate:1 1 UDP 2122260223 127.0.0.1 {port} typ host");
    add_candidate(&mut client, &webrtc, tagged(&candidate, "0", 0)).unwrap();
    process_offer(&mut client, &webrtc, &offer(CHROME));
    let started = Instant::now();
    client.invoke(&webrtc, "gatherCandidates", json!({}));
    // libnice gives up after its checks time out; bounded well past what it takes here.
    let limit = Duration::from_secs(60);
    let failed = client
        .event_where(limit, |data| {
            data["type"] == "IceComponentStateChanged" && data["state"] == "FAILED"
        })
        .unwrap_or_else(|| {
            panic!(
                "no IceComponentStateChanged FAILED within {limit:?}: {:#?}",
                client.notifications
            )
        });
    let took = started.elapsed();
    assert_eq!(failed["source"], json!(webrtc));
    let states: Vec<Json> = client
        .take_events("IceComponentStateChanged")
        .iter()
        .map(|e| e["state"].clone())
        .collect();
    // Checks ran before they failed.
    assert!(
        states.contains(&json!("CONNECTING")),
        "states before FAILED: {states:?}"
    );
    client
        .event_where(Duration::from_secs(5), |data| {
            data["type"] == "OnIceComponentStateChanged" && data["state"] == "FAILED"
        })
        .expect("FAILED under the 6.x name too");
    assert_eq!(
        client.invoke(&webrtc, "getMediaState", json!({})),
        "DISCONNECTED"
    );
    assert_eq!(
        client.invoke(&webrtc, "getConnectionState", json!({})),
        "DISCONNECTED"
    );
    eprintln!("ICE failed {took:?} after gatherCandidates");
}
