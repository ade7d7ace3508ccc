//! Media over HTTP: HttpPostEndpoint (WebM and MP4 POSTed plain, chunked and as a form, the
//! refusals, the disconnection timeout) and RecorderEndpoint uploading to `http://`, each
//! checked on the recording's frames and sound; also `setVideoFormat`/`setAudioFormat` and a
//! second `release`. The tests that move media over HTTP run in their own network namespace
//! with only loopback (`unshare -n`).

use filmstrip_tests::decode::Decoded;
use filmstrip_tests::serve::Client;
use filmstrip_tests::{
    AUDIO_RATE, FRAMES, HEIGHT, Served, WIDTH, decode, decode_luma, gst_launch,
    in_loopback_namespace, luma_difference, make_clip, rms,
};
use serde_json::{Value as Json, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

/// The server manager's fixed id.
const MANAGER: &str = "manager_ServerManager";

/// A one-second [`WIDTH`]x[`HEIGHT`] 30 fps clip of the moving ball with a 440 Hz tone, in
/// WebM (VP8 and Opus) or MP4 (H.264 and AAC).
fn av_clip(dir: &Path, mp4: bool) -> PathBuf {
    let (name, video, audio, mux) = if mp4 {
        ("clip.mp4", "x264enc", "avenc_aac", "mp4mux")
    } else {
        (
            "clip.webm",
            "vp8enc deadline=1 target-bitrate=2000000",
            "opusenc",
            "webmmux",
        )
    };
    let clip = dir.join(name);
    gst_launch(&format!(
        "videotestsrc pattern=ball num-buffers={FRAMES} \
         ! video/x-raw,width={WIDTH},height={HEIGHT},framerate=30/1,format=I420 ! {video} ! m. \
         audiotestsrc wave=sine freq=440 num-buffers=50 samplesperbuffer=960 \
         ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! {audio} ! m. \
         {mux} name=m ! filesink location={}",
        clip.display()
    ));
    clip
}

/// Asserts that `recording` holds the frames of `clip`, one each, and its tone.
fn assert_recorded(clip: &Path, recording: &Path) {
    let source = decode_luma(clip);
    let decoded = decode(recording);
    let recorded = decoded.luma(WIDTH, HEIGHT);
    assert!(
        recorded.len().abs_diff(FRAMES) <= 1,
        "{} frames recorded of {FRAMES}",
        recorded.len()
    );
    for (index, (original, copy)) in source.iter().zip(&recorded).enumerate() {
        let off = luma_difference(original, copy);
        assert!(off < 4.0, "frame {index} differs by {off:.1}");
    }
    assert_recorded_sound(&decoded);
}

/// Asserts that a decoded recording holds about the clip's second of its loud tone.
fn assert_recorded_sound(decoded: &Decoded) {
    let samples = decoded.samples();
    let seconds = samples.len() as f64 / AUDIO_RATE as f64;
    assert!((0.8..1.3).contains(&seconds), "{seconds:.2} s of sound");
    // A full-scale-0.8 sine has an RMS of 0.57; lossy codecs keep it near.
    let level = rms(&samples);
    assert!(level > 0.3, "sound level {level:.2}");
}

/// An HTTP response: status and body.
struct Answer {
    status: u16,
    body: String,
}

/// Reads an HTTP response from `stream`, skipping `100 Continue`.
fn read_answer(stream: &TcpStream) -> Answer {
    let mut reader = BufReader::new(stream);
    loop {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        if status == 100 {
            continue;
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        return Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
    }
}

/// How a body is sent.
#[derive(Clone, Copy, PartialEq)]
enum Framing {
    Length,
    Chunked,
}

/// Opens a connection to `url` and sends a request head for `method` with `headers`.
fn request(url: &str, method: &str, headers: &[String]) -> TcpStream {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(LONG)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

/// POSTs `body` as `content_type` to `url` in 16 KiB pieces, and reads the answer.
fn post(url: &str, content_type: &str, body: &[u8], framing: Framing) -> Answer {
    let mut headers = vec![format!("Content-Type: {content_type}")];
    headers.push(match framing {
        Framing::Length => format!("Content-Length: {}", body.len()),
        Framing::Chunked => "Transfer-Encoding: chunked".to_string(),
    });
    let mut stream = request(url, "POST", &headers);
    for piece in body.chunks(16 << 10) {
        if framing == Framing::Chunked {
            write!(stream, "{:x}\r\n", piece.len()).unwrap();
        }
        stream.write_all(piece).unwrap();
        if framing == Framing::Chunked {
            stream.write_all(b"\r\n").unwrap();
        }
    }
    if framing == Framing::Chunked {
        stream.write_all(b"0\r\n\r\n").unwrap();
    }
    read_answer(&stream)
}

/// A new HttpPostEndpoint in `pipeline` with the constructor parameters `options`: the
/// endpoint and the URL to POST to.
fn post_endpoint(client: &mut Client, pipeline: &str, options: Json) -> (String, String) {
    let mut constructor = json!({"mediaPipeline": pipeline});
    if let (Some(all), Json::Object(options)) = (constructor.as_object_mut(), options) {
        all.extend(options);
    }
    let endpoint = client.create_with("HttpPostEndpoint", constructor);
    let url = client.invoke(&endpoint, "getUrl", json!({}));
    let url = url.as_str().expect("a URL").to_string();
    (endpoint, url)
}

/// A POST of the WebM `clip` to `url` that announces its whole length but has sent only its
/// first `sent` bytes so far: an upload under way.
fn upload_under_way(url: &str, clip: &[u8], sent: usize) -> TcpStream {
    let mut upload = request(
        url,
        "POST",
        &[
            "Content-Type: video/webm".into(),
            format!("Content-Length: {}", clip.len()),
        ],
    );
    upload.write_all(&clip[..sent]).unwrap();
    upload
}

/// A pipeline with an HttpPostEndpoint (constructed with `options`) feeding a recording
/// RecorderEndpoint (WEBM) that writes `recording`: the pipeline, the endpoint, its URL and
/// the recorder.
fn endpoint_into_recorder(
    client: &mut Client,
    options: Json,
    recording: &Path,
) -> (String, String, String, String) {
    let pipeline = client.create("MediaPipeline", None);
    let (endpoint, url) = post_endpoint(client, &pipeline, options);
    let recorder = client.recorder(&pipeline, recording, json!({}));
    client.invoke(&endpoint, "connect", json!({"sink": recorder}));
    client.invoke(&recorder, "record", json!({}));
    for event in [
        "EndOfStream",
        "MediaSessionStarted",
        "MediaSessionTerminated",
        "Error",
    ] {
        client.subscribe(&endpoint, event);
    }
    (pipeline, endpoint, url, recorder)
}

/// The next `event_type` of `object`, failing on an `Error` event of it meanwhile.
fn event_of(client: &mut Client, object: &str, event_type: &str) -> Json {
    let found = client
        .event_where(LONG, |data| {
            data["source"] == object && (data["type"] == event_type || data["type"] == "Error")
        })
        .unwrap_or_else(|| panic!("no {event_type} from {object}"));
    assert_eq!(found["type"], event_type, "an Error event: {found}");
    found
}

#[test]
fn a_posted_webm_is_recorded_with_its_frames_and_sound() {
    if !in_loopback_namespace("a_posted_webm_is_recorded_with_its_frames_and_sound") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = av_clip(dir.path(), false);
    let recording = dir.path().join("posted.webm");
    let served = Served::start();
    let mut client = served.client();
    let (pipeline, endpoint, url, recorder) =
        endpoint_into_recorder(&mut client, json!({"disconnectionTimeout": 1}), &recording);
    let described = client.ok("describe", json!({"object": endpoint}));
    assert_eq!(described["qualifiedType"], "kurento.HttpPostEndpoint");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let started = Instant::now();
    let answer = post(
        &url,
        "video/webm",
        &std::fs::read(&clip).unwrap(),
        Framing::Length,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    event_of(&mut client, &endpoint, "MediaSessionStarted");
    event_of(&mut client, &endpoint, "EndOfStream");
    // Paced as KMS's endpoint is: a one-second clip takes about a second.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800), "played in {took:?}");
    client.invoke(&recorder, "stopAndWait", json!({}));
    // The URL goes disconnectionTimeout (1 s) after the body's end.
    event_of(&mut client, &endpoint, "MediaSessionTerminated");
    let gone = post(&url, "video/webm", b"late", Framing::Length);
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(
        client.invoke(&endpoint, "getUrl", json!({})),
        "",
        "as KMS, once gone"
    );
    assert_recorded(&clip, &recording);
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn with_use_encoded_media_the_posted_frames_are_recorded_as_they_are() {
    if !in_loopback_namespace("with_use_encoded_media_the_posted_frames_are_recorded_as_they_are") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = av_clip(dir.path(), false);
    let recording = dir.path().join("as-is.webm");
    let served = Served::start();
    let mut client = served.client();
    let encoded = json!({"useEncodedMedia": true});
    let (pipeline, endpoint, url, recorder) =
        endpoint_into_recorder(&mut client, encoded, &recording);
    let body = std::fs::read(&clip).unwrap();
    let answer = post(&url, "video/webm", &body, Framing::Length);
    assert_eq!(answer.status, 200, "{}", answer.body);
    event_of(&mut client, &endpoint, "EndOfStream");
    client.invoke(&recorder, "stopAndWait", json!({}));
    // VP8 and Opus in, WebM out: the frames are stored as they came, not encoded again, so
    // they decode to exactly the clip's pixels.
    let source = decode_luma(&clip);
    let decoded = decode(&recording);
    let recorded = decoded.luma(WIDTH, HEIGHT);
    assert_eq!(recorded.len(), source.len(), "every frame recorded once");
    for (index, (original, copy)) in source.iter().zip(&recorded).enumerate() {
        assert_eq!(
            luma_difference(original, copy),
            0.0,
            "frame {index} was encoded again"
        );
    }
    assert_recorded_sound(&decoded);
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn a_chunked_mp4_and_a_form_upload_are_recorded() {
    if !in_loopback_namespace("a_chunked_mp4_and_a_form_upload_are_recorded") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mp4 = av_clip(dir.path(), true);
    let webm = av_clip(dir.path(), false);
    let (from_mp4, from_form) = (dir.path().join("mp4.webm"), dir.path().join("form.webm"));
    let served = Served::start();
    let mut client = served.client();
    let (_, mp4_endpoint, mp4_url, mp4_recorder) =
        endpoint_into_recorder(&mut client, json!({"disconnectionTimeout": 1}), &from_mp4);
    let (_, form_endpoint, form_url, form_recorder) =
        endpoint_into_recorder(&mut client, json!({"disconnectionTimeout": 1}), &from_form);
    let uploads = std::thread::spawn(move || {
        let chunked = post(
            &mp4_url,
            "video/mp4",
            &std::fs::read(&mp4).unwrap(),
            Framing::Chunked,
        );
        // What a browser's upload form sends: a text field, then the file.
        let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        let mut form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMy clip\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.webm\"\r\n\
             Content-Type: video/webm\r\n\r\n"
        )
        .into_bytes();
        form.extend(std::fs::read(&webm).unwrap());
        form.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let from_form = post(&form_url, &content_type, &form, Framing::Length);
        (chunked, from_form, mp4, webm)
    });
    let (chunked, from_form_answer, mp4, webm) = uploads.join().unwrap();
    assert_eq!(chunked.status, 200, "{}", chunked.body);
    assert_eq!(from_form_answer.status, 200, "{}", from_form_answer.body);
    event_of(&mut client, &mp4_endpoint, "EndOfStream");
    event_of(&mut client, &form_endpoint, "EndOfStream");
    client.invoke(&mp4_recorder, "stopAndWait", json!({}));
    client.invoke(&form_recorder, "stopAndWait", json!({}));
    assert_recorded(&mp4, &from_mp4);
    assert_recorded(&webm, &from_form);
}

#[test]
fn http_post_refusals_and_the_disconnection_timeout() {
    if !in_loopback_namespace("http_post_refusals_and_the_disconnection_timeout") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(av_clip(dir.path(), false)).unwrap();
    let mut served = Served::start();
    let mut client = served.client();
    let (pipeline, endpoint, url, _) = endpoint_into_recorder(
        &mut client,
        json!({"disconnectionTimeout": 1}),
        &dir.path().join("unused.webm"),
    );
    let base = &url[..url.rfind('/').unwrap()];
    // A URL no endpoint has, another method, no Content-Type, another multipart kind.
    let unknown = post(
        &format!("{base}/nobody"),
        "video/webm",
        &clip,
        Framing::Length,
    );
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(read_answer(&request(&url, "GET", &[])).status, 405);
    let untyped = request(&url, "POST", &["Content-Length: 4".into()]);
    assert_eq!(read_answer(&untyped).status, 406);
    let mixed = post(&url, "multipart/mixed; boundary=x", &clip, Framing::Length);
    assert_eq!(mixed.status, 406, "{}", mixed.body);
    let options = read_answer(&request(&url, "OPTIONS", &[]));
    assert_eq!(options.status, 200);

    // Half a body, then a second POST while the first goes on: refused.
    let half = clip.len() / 2;
    let first = upload_under_way(&url, &clip, half);
    event_of(&mut client, &endpoint, "MediaSessionStarted");
    let busy = post(&url, "video/webm", &clip, Framing::Length);
    assert_eq!(busy.status, 409, "{}", busy.body);
    assert!(busy.body.contains("in progress"), "{}", busy.body);
    // The first connection is lost: a POST within disconnectionTimeout carries on.
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    let rest = post(&url, "video/webm", &clip[half..], Framing::Length);
    assert_eq!(rest.status, 200, "{}", rest.body);
    event_of(&mut client, &endpoint, "EndOfStream");
    let ended = post(&url, "video/webm", &clip, Framing::Length);
    assert_eq!(ended.status, 410, "{}", ended.body);

    // Lost without a POST after it: the stream ends disconnectionTimeout later.
    let (second, second_url) =
        post_endpoint(&mut client, &pipeline, json!({"disconnectionTimeout": 1}));
    client.subscribe(&second, "EndOfStream");
    let lost = upload_under_way(&second_url, &clip, half);
    std::thread::sleep(Duration::from_millis(200));
    let dropped = Instant::now();
    drop(lost);
    event_of(&mut client, &second, "EndOfStream");
    let waited = dropped.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "the stream ended {waited:?} after the connection was lost"
    );

    // A body that is no media: 415 and an Error event saying so.
    let (third, third_url) = post_endpoint(&mut client, &pipeline, json!({}));
    client.subscribe(&third, "Error");
    let text = "this is not a video, only some plain words.\n".repeat(100);
    let refused = post(&third_url, "video/webm", text.as_bytes(), Framing::Length);
    assert_eq!(refused.status, 415, "{}", refused.body);
    let error = client.event("Error", LONG);
    let description = error["params"]["value"]["data"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains("no media stream"), "{description}");
    // A released endpoint's URL is gone at once; the server goes on.
    client.ok("release", json!({"object": third}));
    let released = post(&third_url, "video/webm", &clip, Framing::Length);
    assert_eq!(released.status, 404, "{}", released.body);
    assert_eq!(client.ok("ping", json!({}))["value"], "pong");

    // A shutdown in the middle of an upload is as clean as any other.
    let (_, fourth_url) = post_endpoint(&mut client, &pipeline, json!({}));
    let _uploading = upload_under_way(&fourth_url, &clip, half);
    std::thread::sleep(Duration::from_millis(200));
    served.signal("TERM");
    let status = served.wait_exit(Duration::from_secs(10));
    assert!(status.is_some_and(|status| status.success()), "{status:?}");
}

/// A one-request HTTP server on loopback that stores a chunked POST's body in `path`:
/// its URL, and a thread answering the request's method, headers and whether the body was
/// chunked.
fn receiver(path: PathBuf) -> (String, std::thread::JoinHandle<(String, String, bool)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // With credentials, which the recorder sends as HTTP Basic ones.
    let url = format!(
        "http://user:p%40ss@{}/recording.webm",
        listener.local_addr().unwrap()
    );
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(LONG)).unwrap();
        let mut reader = BufReader::new(&stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut headers = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            headers.push_str(&line.to_ascii_lowercase());
        }
        let chunked = headers.contains("transfer-encoding: chunked");
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        }
        std::fs::write(&path, body).unwrap();
        (&stream)
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        (request_line, headers, chunked)
    });
    (url, thread)
}

#[test]
fn a_recorder_uploads_to_http_and_reports_a_refusing_server() {
    if !in_loopback_namespace("a_recorder_uploads_to_http_and_reports_a_refusing_server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let stored = dir.path().join("stored.webm");
    let (url, server) = receiver(stored.clone());
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let recorder = client.create_with(
        "RecorderEndpoint",
        json!({"mediaPipeline": pipeline, "uri": url, "stopOnEndOfStream": true}),
    );
    // A second recorder uploading where nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/lost.webm", closed.local_addr().unwrap());
    drop(closed);
    let failing = client.create_with(
        "RecorderEndpoint",
        json!({"mediaPipeline": pipeline, "uri": nowhere}),
    );
    for sink in [&recorder, &failing] {
        client.invoke(&player, "connect", json!({"sink": sink}));
        client.invoke(sink, "record", json!({}));
    }
    client.subscribe(&recorder, "Stopped");
    client.subscribe(&failing, "Error");
    client.invoke(&player, "play", json!({}));
    let error = client.event("Error", LONG);
    let description = error["params"]["value"]["data"]["description"]
        .as_str()
        .unwrap();
    assert!(
        description.contains("cannot upload the recording") && !description.contains('\n'),
        "{description}"
    );
    client.event("Stopped", LONG);
    let (request_line, headers, chunked) = server.join().unwrap();
    assert!(
        request_line.starts_with("POST /recording.webm"),
        "{request_line}"
    );
    assert!(headers.contains("content-type: video/webm"), "{headers}");
    // base64("user:p@ss"), lowercased with the rest of the headers.
    assert!(
        headers.contains("authorization: basic dxnlcjpwqhnz"),
        "{headers}"
    );
    assert!(chunked, "the body was not chunked: {headers}");
    let frames = decode_luma(&stored);
    let source = decode_luma(&clip);
    assert_eq!(frames.len(), FRAMES, "every frame uploaded once");
    for (index, (original, copy)) in source.iter().zip(&frames).enumerate() {
        let off = luma_difference(original, copy);
        assert!(off < 4.0, "frame {index} differs by {off:.1}");
    }
    assert_eq!(client.ok("ping", json!({}))["value"], "pong");
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn set_video_format_forces_the_frame_rate_and_release_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let recording = dir.path().join("15fps.webm");
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let caps = |codec: &str, numerator: i64| {
        json!({"caps": {"codec": codec, "framerate": {"numerator": numerator, "denominator": 1,
               "__module__": "kurento", "__type__": "Fraction"},
               "__module__": "kurento", "__type__": "VideoCaps"}})
    };
    assert_eq!(
        client.invoke_error(&player, "setVideoFormat", caps("VP9", 15)),
        40107
    );
    assert_eq!(
        client.invoke_error(&player, "setVideoFormat", caps("RAW", 0)),
        40107
    );
    // The rate of an earlier call is replaced by the latest one's.
    client.invoke(&player, "setVideoFormat", caps("VP8", 10));
    client.invoke(&player, "setVideoFormat", caps("RAW", 15));
    let audio = |codec: &str| json!({"caps": {"codec": codec, "bitrate": 32000}});
    client.invoke(&player, "setAudioFormat", audio("OPUS"));
    assert_eq!(
        client.invoke_error(&player, "setAudioFormat", audio("G722")),
        40107
    );
    let recorder = client.recorder(&pipeline, &recording, json!({"stopOnEndOfStream": true}));
    client.invoke(&player, "connect", json!({"sink": recorder}));
    client.subscribe(&recorder, "Stopped");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    client.event("Stopped", LONG);
    // One second of 30 fps video at 15 fps: every other frame, each still the clip's.
    let frames = decode_luma(&recording);
    assert!(
        frames.len().abs_diff(FRAMES / 2) <= 1,
        "{} frames",
        frames.len()
    );
    let source = decode_luma(&clip);
    let matched = frames
        .iter()
        .filter(|frame| {
            source
                .iter()
                .any(|original| luma_difference(original, frame) < 4.0)
        })
        .count();
    assert_eq!(matched, frames.len(), "frames that are the clip's");
    // As on KMS, releasing what is already released succeeds.
    for object in [&recorder, &recorder, &pipeline, &pipeline] {
        client.ok("release", json!({"object": object}));
    }
    assert_eq!(client.invoke(MANAGER, "getPipelines", json!({})), json!([]));
}

/// Runs `openssl` with `args` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| panic!("the openssl command is needed ({err})"));
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
}

/// A certificate authority (`ca.pem`) and a certificate it signed for 127.0.0.1 (`leaf.pem`,
/// key `leaf.key`), made in `dir` with the openssl command.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-subj",
                "/CN=filmstrip test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
}

#[test]
fn a_recorder_uploads_to_https() {
    if !in_loopback_namespace("a_recorder_uploads_to_https") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let clip = make_clip(dir.path());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // `openssl s_server` prints what it receives and sends what it is given.
    let mut tls = std::process::Command::new("openssl")
        .args([
            "s_server", "-naccept", "1", "-cert", "leaf.pem", "-key", "leaf.key",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl s_server starts");
    let mut received = Vec::new();
    let mut output = tls.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while !received.ends_with(b"ACCEPT\n") {
        assert_eq!(
            output.read(&mut byte).unwrap(),
            1,
            "s_server ended: {received:?}"
        );
        received.push(byte[0]);
    }
    let mut command = std::process::Command::new(filmstrip_tests::profile_dir().join("filmstrip"));
    command
        .args(["serve", "--port", "0"])
        .env("SSL_CERT_FILE", dir.path().join("ca.pem"))
        .stderr(std::process::Stdio::inherit());
    let served = Served::launch(command);
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let uri = format!("https://127.0.0.1:{port}/secure.webm");
    let recorder = client.create_with(
        "RecorderEndpoint",
        json!({"mediaPipeline": pipeline, "uri": uri, "stopOnEndOfStream": true}),
    );
    client.invoke(&player, "connect", json!({"sink": recorder}));
    client.subscribe(&recorder, "Stopped");
    client.subscribe(&recorder, "Error");
    client.invoke(&recorder, "record", json!({}));
    client.invoke(&player, "play", json!({}));
    // The request as it came out of TLS, up to the chunked body's end.
    received.clear();
    while !received.ends_with(b"\r\n0\r\n\r\n") {
        assert_eq!(output.read(&mut byte).unwrap(), 1, "s_server ended early");
        received.push(byte[0]);
    }
    let mut input = tls.stdin.take().unwrap();
    input
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    input.flush().unwrap();
    client.event("Stopped", LONG);
    let errors = client.take_events("Error");
    assert!(errors.is_empty(), "{errors:?}");
    let start = received
        .windows(5)
        .position(|w| w == b"POST ")
        .expect("a POST");
    let request = &received[start..];
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    assert!(head.starts_with("post /secure.webm"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut body = Vec::new();
    let mut rest = &request[head_end..];
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
    let stored = dir.path().join("secure.webm");
    std::fs::write(&stored, body).unwrap();
    assert_eq!(decode_luma(&stored).len(), FRAMES, "every frame uploaded");
    drop(input);
    let _ = tls.kill();
    let _ = tls.wait();
    client.ok("release", json!({"object": pipeline}));
}
