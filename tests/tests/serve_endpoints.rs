//! `filmstrip serve`'s built-in endpoints and filters: RecorderEndpoint, GStreamerFilter and
//! PlayerEndpoint, checked on the files they write and the frames in them.

use filmstrip_tests::serve::Client;
use filmstrip_tests::{FRAMES, HEIGHT, Served, WIDTH, decode_luma, luma_difference, make_clip};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

/// `frame` mirrored left to right.
fn mirrored(frame: &[u8]) -> Vec<u8> {
    frame
        .chunks(WIDTH)
        .flat_map(|row| row.iter().rev().copied())
        .collect()
}

#[test]
fn recorder_writes_every_played_frame_through_a_gstreamer_filter() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let recording = dir.path().join("flipped.webm");
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let flip = client.create_with(
        "GStreamerFilter",
        json!({"mediaPipeline": pipeline, "command": "videoflip video-direction=horiz"}),
    );
    assert_eq!(
        client.invoke(&flip, "getCommand", json!({})),
        "videoflip video-direction=horiz"
    );
    let recorder = client.recorder(
        &pipeline,
        &recording,
        json!({"mediaProfile": "WEBM", "stopOnEndOfStream": true}),
    );
    let described = client.ok("describe", json!({"object": recorder}));
    assert_eq!(described["qualifiedType"], "kurento.RecorderEndpoint");
    client.invoke(&player, "connect", json!({"sink": flip}));
    client.invoke(&flip, "connect", json!({"sink": recorder}));
    for event in ["Recording", "Stopped"] {
        client.subscribe(&recorder, event);
    }
    client.subscribe(&player, "EndOfStream");
    client.invoke(&recorder, "record", json!({}));
    client.event("Recording", LONG);
    assert_eq!(client.invoke(&recorder, "getState", json!({})), "START");
    let started = Instant::now();
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", LONG);
    // Kurento players are live: a one-second clip takes about a second.
    let played = started.elapsed();
    assert!(played >= Duration::from_millis(800), "played in {played:?}");
    client.event("Stopped", LONG);
    assert_eq!(client.invoke(&recorder, "getState", json!({})), "STOP");

    let source = decode_luma(&clip);
    let recorded = decode_luma(&recording);
    assert_eq!(recorded.len(), FRAMES, "every frame recorded once");
    let mut asymmetric = 0;
    for (index, (original, flipped)) in source.iter().zip(&recorded).enumerate() {
        let mirror = luma_difference(&mirrored(original), flipped);
        let straight = luma_difference(original, flipped);
        assert!(
            mirror < 3.0,
            "frame {index}: {mirror:.1} from the mirrored source"
        );
        // Where the ball is off-centre, the recording is the mirror image, not the source.
        if luma_difference(original, &mirrored(original)) > 1.0 {
            asymmetric += 1;
            assert!(straight > 2.0 * mirror, "frame {index} is not flipped");
        }
    }
    assert!(asymmetric > FRAMES / 2, "{asymmetric} asymmetric frames");
    client.ok("release", json!({"object": pipeline}));
}

/// A server whose pipeline's player of `make_clip`'s clip feeds an MP4 RecorderEndpoint
/// writing `dir/<name>`, neither started: the server, its client, the pipeline, the player,
/// the recorder and the recording's path.
fn clip_into_mp4(dir: &Path, name: &str) -> (Served, Client, String, String, String, PathBuf) {
    let clip = make_clip(dir);
    let recording = dir.join(name);
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let recorder = client.recorder(&pipeline, &recording, json!({"mediaProfile": "MP4"}));
    client.invoke(&player, "connect", json!({"sink": recorder}));
    (served, client, pipeline, player, recorder, recording)
}

#[test]
fn recorder_stop_and_wait_finalises_an_mp4_and_drops_frames_before_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_served, mut client, pipeline, player, recorder, recording) =
        clip_into_mp4(dir.path(), "part.mp4");
    client.subscribe(&recorder, "Stopped");
    client.invoke(&player, "play", json!({}));
    // The player is live: a third of the clip goes by before recording starts.
    std::thread::sleep(Duration::from_millis(330));
    client.invoke(&recorder, "record", json!({}));
    std::thread::sleep(Duration::from_millis(330));
    client.invoke(&recorder, "stopAndWait", json!({}));
    // The file is complete when stopAndWait answers.
    let frames = decode_luma(&recording);
    assert!(
        (1..FRAMES - 3).contains(&frames.len()),
        "{} of {FRAMES} frames recorded",
        frames.len()
    );
    assert_eq!(frames[0].len(), WIDTH * HEIGHT);
    client.event("Stopped", LONG);
    let again = client.invoke_error(&recorder, "record", json!({}));
    assert_eq!(again, 40107);
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn releasing_a_recording_pipeline_finalises_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_served, mut client, pipeline, player, recorder, recording) =
        clip_into_mp4(dir.path(), "released.mp4");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    std::thread::sleep(Duration::from_millis(500));
    // No stop: the release itself must leave a complete MP4 (its index written at the end).
    client.ok("release", json!({"object": pipeline}));
    let frames = decode_luma(&recording);
    assert!(
        (5..FRAMES).contains(&frames.len()),
        "{} of {FRAMES} frames in the released recording",
        frames.len()
    );
}

#[test]
fn recorder_refuses_unknown_profiles_and_other_uris() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let uri = format!("file://{}/out.webm", dir.path().display());
    let params = |profile: Json, uri: &str| {
        json!({"type": "RecorderEndpoint", "constructorParams":
            {"mediaPipeline": pipeline, "uri": uri, "mediaProfile": profile}})
    };
    let response = client.call("create", params(json!("FLV"), &uri));
    assert_eq!(response["error"]["code"], 40107);
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("FLV") && message.contains("WEBM, WEBM_VIDEO_ONLY, WEBM_AUDIO_ONLY, MP4"),
        "{message}"
    );
    assert_eq!(client.error_code("create", params(json!(3), &uri)), 40107);
    // file://, http:// and https:// are recorded to (see serve_http.rs), nothing else.
    let ftp = client.call("create", params(json!("WEBM"), "ftp://host/out.webm"));
    assert_eq!(ftp["error"]["code"], 40107);
    assert!(
        ftp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("file://")
    );
    let nowhere = format!("file://{}/no/such/dir/out.webm", dir.path().display());
    assert_eq!(
        client.error_code("create", params(json!("WEBM"), &nowhere)),
        40600
    );
    let bad_flag = json!({"type": "RecorderEndpoint", "constructorParams":
        {"mediaPipeline": pipeline, "uri": uri, "stopOnEndOfStream": "yes"}});
    assert_eq!(client.error_code("create", bad_flag), 40107);
}

#[test]
fn gstreamer_filters_refuse_bad_commands_and_set_element_properties() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let recording = dir.path().join("dark.webm");
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let filter = |command: &str| {
        json!({"type": "GStreamerFilter",
               "constructorParams": {"mediaPipeline": pipeline, "command": command}})
    };
    let refused = client.call("create", filter("nosuchelement"));
    assert_eq!(refused["error"]["code"], 40107);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("nosuchelement") && !message.contains('\n'),
        "{message}"
    );
    assert_eq!(client.error_code("create", filter("fakesink")), 40107);
    let audio = json!({"type": "GStreamerFilter", "constructorParams":
        {"mediaPipeline": pipeline, "command": "identity", "filterType": "AUDIO"}});
    assert_eq!(client.error_code("create", audio), 40107);

    let balance = client.ok("create", filter("videobalance"))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let set = |client: &mut Client, name: &str, value: &str| {
        client.call(
            "invoke",
            json!({"object": balance, "operation": "setElementProperty",
                   "operationParams": {"propertyName": name, "propertyValue": value}}),
        )
    };
    for (name, value) in [("nope", "1"), ("brightness", "bright"), ("brightness", "5")] {
        let response = set(&mut client, name, value);
        assert_eq!(
            response["error"]["code"], 40107,
            "{name}={value}: {response}"
        );
    }
    assert!(set(&mut client, "brightness", "-1").get("result").is_some());

    let player = client.player(&pipeline, &clip);
    let recorder = client.recorder(&pipeline, &recording, json!({"stopOnEndOfStream": true}));
    client.invoke(&player, "connect", json!({"sink": balance}));
    client.invoke(&balance, "connect", json!({"sink": recorder}));
    client.subscribe(&recorder, "Stopped");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    client.event("Stopped", LONG);
    let frames = decode_luma(&recording);
    assert_eq!(frames.len(), FRAMES);
    let brightest = frames.iter().flatten().max().copied().unwrap();
    assert!(
        brightest < 40,
        "brightness -1 leaves a black picture, got luma {brightest}"
    );
}

#[test]
fn media_flow_events_and_player_position_follow_the_played_clip() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let pass = client.create("PassThrough", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": pass}));
    client.subscribe(&pass, "MediaFlowInStateChanged");
    client.subscribe(&player, "MediaFlowOutStateChanged");
    client.subscribe(&player, "EndOfStream");
    assert_eq!(
        client.invoke(&pass, "isMediaFlowingIn", json!({"mediaType": "VIDEO"})),
        false
    );
    assert_eq!(
        client.invoke(&pass, "isMediaFlowingIn", json!({"mediaType": "AUDIO"})),
        false
    );
    assert_eq!(
        client.invoke_error(&pass, "isMediaFlowingIn", json!({"mediaType": "DATA"})),
        40107
    );

    client.invoke(&player, "play", json!({}));
    let flowing = client.event("MediaFlowOutStateChanged", LONG);
    let data = &flowing["params"]["value"]["data"];
    assert_eq!(
        (&data["state"], &data["mediaType"]),
        (&json!("FLOWING"), &json!("VIDEO"))
    );
    assert_eq!(data["source"], player);
    let flowing_in = client.event("MediaFlowInStateChanged", LONG);
    assert_eq!(flowing_in["params"]["value"]["data"]["state"], "FLOWING");
    assert_eq!(client.invoke(&pass, "isMediaFlowingIn", json!({})), true);
    assert_eq!(client.invoke(&player, "isMediaFlowingOut", json!({})), true);
    let info = client.invoke(&player, "getVideoInfo", json!({}));
    assert_eq!(info["isSeekable"], true, "{info}");
    let duration = info["duration"].as_u64().unwrap();
    assert!(
        (900..=1100).contains(&duration),
        "a 1 s clip lasts {duration} ms"
    );

    client.invoke(&player, "pause", json!({}));
    let paused_at = client
        .invoke(&player, "getPosition", json!({}))
        .as_u64()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let still_at = client
        .invoke(&player, "getPosition", json!({}))
        .as_u64()
        .unwrap();
    assert!(
        paused_at < 1000 && still_at.abs_diff(paused_at) <= 40,
        "{paused_at} then {still_at}"
    );
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", LONG);
    let stopped = client.event("MediaFlowOutStateChanged", LONG);
    assert_eq!(stopped["params"]["value"]["data"]["state"], "NOT_FLOWING");
    let stopped_in = client.event("MediaFlowInStateChanged", LONG);
    assert_eq!(
        stopped_in["params"]["value"]["data"]["state"],
        "NOT_FLOWING"
    );
    assert_eq!(client.invoke(&pass, "isMediaFlowingIn", json!({})), false);

    let stats = client.invoke(&pass, "getStats", json!({}));
    let (_, element) = stats
        .as_object()
        .unwrap()
        .iter()
        .next()
        .expect("one stats entry");
    assert_eq!(element["__type__"], "ElementStats");
    assert_eq!(element["inputVideoLatency"], 0.0);
}

/// Serves `file` over HTTP/1.1 on a loopback port, to every request, until the test ends.
fn serve_http(file: &Path) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/clip.webm", listener.local_addr().unwrap());
    let body = std::fs::read(file).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: video/webm\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

#[test]
fn players_read_http_and_paths_and_report_unreachable_rtsp() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.webm");
    filmstrip_tests::gst_launch(&format!(
        "videotestsrc pattern=ball num-buffers=15 ! video/x-raw,width={WIDTH},height={HEIGHT} \
         ! vp8enc ! webmmux ! filesink location={}",
        clip.display()
    ));
    let url = serve_http(&clip);
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let web = client.create_with(
        "PlayerEndpoint",
        json!({"mediaPipeline": pipeline, "uri": url}),
    );
    let path = client.create_with(
        "PlayerEndpoint",
        json!({"mediaPipeline": pipeline, "uri": clip.to_str().unwrap()}),
    );
    assert!(
        client
            .invoke(&path, "getUri", json!({}))
            .as_str()
            .unwrap()
            .starts_with("file:///")
    );
    for player in [&web, &path] {
        client.subscribe(player, "EndOfStream");
        client.invoke(player, "play", json!({}));
        let end = client.event("EndOfStream", LONG);
        assert_eq!(end["params"]["value"]["object"], json!(player));
    }

    // Nothing listens on port 9 of the loopback: the player reports an `Error`.
    let rtsp = client.create_with(
        "PlayerEndpoint",
        json!({"mediaPipeline": pipeline, "uri": "rtsp://127.0.0.1:9/none"}),
    );
    client.subscribe(&rtsp, "Error");
    client.invoke(&rtsp, "play", json!({}));
    let error = client.event("Error", LONG);
    let description = error["params"]["value"]["data"]["description"]
        .as_str()
        .unwrap();
    assert!(!description.is_empty());
}

/// Serves an endless live H.264 stream of SMPTE bars over RTSP on a loopback port until the
/// test ends, and returns its `rtsp://` URL. Live and endless like a camera, so the player is
/// tested on what RTSP is used for, not on a clip that ends.
fn serve_rtsp() -> String {
    use gst::glib;
    use gst_rtsp_server::prelude::*;
    gst::init().unwrap();
    let server = gst_rtsp_server::RTSPServer::new();
    server.set_address("127.0.0.1");
    // Service 0: the system picks a free port, read back once the socket is bound.
    server.set_service("0");
    let factory = gst_rtsp_server::RTSPMediaFactory::new();
    factory.set_launch(&format!(
        "( videotestsrc is-live=true pattern=smpte \
         ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=30/1 \
         ! x264enc tune=zerolatency key-int-max=15 ! rtph264pay name=pay0 pt=96 )"
    ));
    server.mount_points().unwrap().add_factory("/bars", factory);
    // The server's sockets are served by a main loop on a context of its own, in a thread of
    // its own, which owns the server.
    let context = glib::MainContext::new();
    let source = server.attach(Some(&context)).unwrap();
    let port = server.bound_port();
    assert!(port > 0, "the RTSP server bound no port");
    std::thread::spawn(move || {
        let _serving = (server, source);
        glib::MainLoop::new(Some(&context), false).run();
    });
    format!("rtsp://127.0.0.1:{port}/bars")
}

#[test]
fn players_play_a_live_rtsp_stream_into_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let url = serve_rtsp();
    let bars = dir.path().join("bars.gray");
    filmstrip_tests::gst_launch(&format!(
        "videotestsrc pattern=smpte num-buffers=1 ! video/x-raw,width={WIDTH},height={HEIGHT} \
         ! videoconvert ! video/x-raw,format=GRAY8 ! filesink location={}",
        bars.display()
    ));
    let bars = std::fs::read(&bars).unwrap();
    let recording = dir.path().join("rtsp.mp4");
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let cache = |value: Json| {
        json!({"type": "PlayerEndpoint", "constructorParams":
            {"mediaPipeline": pipeline, "uri": url, "networkCache": value}})
    };
    assert_eq!(client.error_code("create", cache(json!("lots"))), 40107);
    assert_eq!(client.error_code("create", cache(json!(-1))), 40107);
    // A short network cache: frames come out 200 ms after they arrive, not rtspsrc's 2 s.
    let player = client.ok("create", cache(json!(200)))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let recorder = client.recorder(&pipeline, &recording, json!({"mediaProfile": "MP4"}));
    client.invoke(&player, "connect", json!({"sink": recorder}));
    for object in [&pipeline, &player] {
        client.subscribe(object, "Error");
    }
    client.subscribe(&player, "MediaFlowOutStateChanged");
    let started = Instant::now();
    client.invoke(&player, "play", json!({}));
    let flowing = client.event("MediaFlowOutStateChanged", Duration::from_secs(10));
    assert_eq!(
        flowing["params"]["value"]["data"]["state"], "FLOWING",
        "{flowing}"
    );
    let first_frame = started.elapsed();
    client.invoke(&recorder, "record", json!({}));
    std::thread::sleep(Duration::from_secs(1));
    client.invoke(&recorder, "stopAndWait", json!({}));

    let frames = decode_luma(&recording);
    // About 30 frames arrive in the second at 30 fps; a loaded machine may lose a few.
    assert!(
        frames.len() >= 15,
        "{} frames recorded in a second, the first after {first_frame:?}",
        frames.len()
    );
    // Encoded twice, the bars come back about 4.5 from the source, while the bars mirrored
    // are tens away: each frame is the served picture, not just some picture.
    let mirror = mirrored(&bars);
    assert!(luma_difference(&bars, &mirror) > 30.0);
    for (index, frame) in frames.iter().enumerate() {
        let off = luma_difference(&bars, frame);
        assert!(off < 8.0, "frame {index} is {off:.1} from the bars");
    }
    let errors = client.take_events("Error");
    assert!(errors.is_empty(), "{errors:?}");
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn an_error_in_one_pipeline_leaves_another_flowing() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let served = Served::start();
    let mut client = served.client();
    let broken = client.create("MediaPipeline", None);
    let healthy = client.create("MediaPipeline", None);
    let failing = client.create_with(
        "GStreamerFilter",
        json!({"mediaPipeline": broken, "command": "identity error-after=5"}),
    );
    let broken_player = client.player(&broken, &clip);
    client.invoke(&broken_player, "connect", json!({"sink": failing}));
    let healthy_player = client.player(&healthy, &clip);
    let pass = client.create("PassThrough", Some(&healthy));
    client.invoke(&healthy_player, "connect", json!({"sink": pass}));
    for object in [&broken, &healthy, &failing] {
        client.subscribe(object, "Error");
    }
    client.subscribe(&healthy_player, "EndOfStream");
    client.invoke(&broken_player, "play", json!({}));
    client.invoke(&healthy_player, "play", json!({}));
    client.event("EndOfStream", LONG);
    let mut sources = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while sources.len() < 2 && Instant::now() < deadline {
        sources.push(client.event("Error", LONG)["params"]["value"]["object"].clone());
    }
    assert!(
        sources.contains(&json!(failing)) && sources.contains(&json!(broken)),
        "{sources:?}"
    );
    assert!(!sources.contains(&json!(healthy)));
    // Nothing else failed: the healthy pipeline raised no Error.
    let others = client.notifications.iter().filter(|n| {
        n.pointer("/params/value/type") == Some(&json!("Error"))
            && n.pointer("/params/value/object") == Some(&json!(healthy))
    });
    assert_eq!(others.count(), 0);
    // The server still works for both.
    client.ok("release", json!({"object": broken}));
    client.ok("release", json!({"object": healthy}));
}

/// What the official client's users write: record before play, then `stopAndWait` on
/// `EndOfStream`. Every frame of the clip goes through the face filter into the file: the
/// end of stream follows the last frame, and `stop` keeps what entered before it.
#[test]
fn stop_and_wait_on_end_of_stream_keeps_every_frame_through_a_filter() {
    let dir = tempfile::tempdir().unwrap();
    let clip = filmstrip_tests::astronaut_clip(dir.path());
    let recording = dir.path().join("every-frame.mp4");
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let face = client.create("kurento.FaceOverlayFilter", Some(&pipeline));
    let recorder = client.recorder(&pipeline, &recording, json!({"mediaProfile": "MP4"}));
    client.invoke(&player, "connect", json!({"sink": face}));
    client.invoke(&face, "connect", json!({"sink": recorder}));
    client.subscribe(&player, "EndOfStream");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", LONG);
    client.invoke(&recorder, "stopAndWait", json!({}));
    let frames = decode_luma(&recording);
    assert_eq!(
        frames.len(),
        FRAMES,
        "frames recorded of a {FRAMES}-frame clip"
    );
}
