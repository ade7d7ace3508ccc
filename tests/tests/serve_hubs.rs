//! `filmstrip serve`'s hubs: Composite, DispatcherOneToMany, Dispatcher and AlphaBlending,
//! driven over JSON-RPC with players of solid-colour clips that carry tones, and checked on
//! the pictures and sounds their ports' recordings hold.

use filmstrip_tests::serve::Client;
use filmstrip_tests::{AUDIO_RATE, Served, decode_audio, decode_luma_sized, gst_launch};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// The clips' picture: small, so that encoding costs little.
const CLIP_WIDTH: usize = 160;
const CLIP_HEIGHT: usize = 120;
const CLIP_FPS: usize = 30;
/// KMS's composite picture.
const COMPOSITE_WIDTH: usize = 800;
const COMPOSITE_HEIGHT: usize = 600;
const COMPOSITE_FPS: f64 = 15.0;

/// Solid colours with far apart lumas once decoded (limited range): white 235, green 145,
/// red 81; the hubs' background is black, 16.
const WHITE: (u32, u8) = (0xffff_ffff, 235);
const GREEN: (u32, u8) = (0xff00_ff00, 145);
const RED: (u32, u8) = (0xffff_0000, 81);
const BLACK: u8 = 16;
/// How far a decoded luma may be from the colour's.
const LUMA_TOLERANCE: u8 = 20;

/// Writes a `seconds` long VP8/Opus WebM clip of one `colour` (ARGB) and a sine tone of
/// `frequency` Hz, to `dir/<name>.webm`.
fn clip(dir: &Path, name: &str, colour: u32, frequency: u32, seconds: usize) -> PathBuf {
    let path = dir.join(format!("{name}.webm"));
    let frames = seconds * CLIP_FPS;
    // 1024-sample buffers at 48 kHz: enough of them to cover the video.
    let buffers = seconds * 48_000 / 1024 + 1;
    gst_launch(&format!(
        "webmmux name=mux ! filesink location={} \
         videotestsrc pattern=solid-color foreground-color={colour} num-buffers={frames} \
         ! video/x-raw,width={CLIP_WIDTH},height={CLIP_HEIGHT},framerate={CLIP_FPS}/1 \
         ! vp8enc deadline=1 ! mux. \
         audiotestsrc freq={frequency} volume=0.3 samplesperbuffer=1024 num-buffers={buffers} \
         ! audio/x-raw,rate=48000,channels=1 ! opusenc ! mux.",
        path.display()
    ));
    path
}

/// The amplitude of the `frequency` Hz component of 48 kHz `samples` (Goertzel).
fn tone_level(samples: &[f32], frequency: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / AUDIO_RATE as f64).cos();
    let (mut previous, mut before) = (0.0f64, 0.0f64);
    for sample in samples {
        let current = f64::from(*sample) + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    let power = previous * previous + before * before - coefficient * previous * before;
    2.0 * power.sqrt() / samples.len() as f64
}

/// The mean luma of the `size` square around `(x, y)`.
fn luma_at(frame: &[u8], width: usize, (x, y): (usize, usize), size: usize) -> u8 {
    let half = size / 2;
    let mut total = 0u64;
    for row in y - half..y + half {
        for column in x - half..x + half {
            total += u64::from(frame[row * width + column]);
        }
    }
    (total / (size * size) as u64) as u8
}

/// Whether `luma` is the colour whose luma is `expected`.
fn is(luma: u8, expected: u8) -> bool {
    luma.abs_diff(expected) <= LUMA_TOLERANCE
}

/// A pipeline with a player of each clip, playing from `play`, each connected to a new port
/// of `hub`; returns the players and the ports.
fn feed(client: &mut Client, pipeline: &str, hub: &str, clips: &[&Path]) -> Vec<(String, String)> {
    clips
        .iter()
        .map(|clip| {
            let player = client.player(pipeline, clip);
            let port = client.create_with("HubPort", json!({"hub": hub}));
            client.invoke(&player, "connect", json!({"sink": port}));
            (player, port)
        })
        .collect()
}

/// `port`'s output recorded into two files by the one-track profiles (`WEBM_VIDEO_ONLY`,
/// `WEBM_AUDIO_ONLY`), each connected with its media type: the tests check the picture and
/// the sound apart, and a hub's port connected by kind is covered on the way.
struct Tracks {
    recorders: [String; 2],
    video: PathBuf,
    audio: PathBuf,
}

impl Tracks {
    /// Starts recording `port` into `dir/<name>.video.webm` and `dir/<name>.audio.webm`.
    fn record(client: &mut Client, pipeline: &str, port: &str, dir: &Path, name: &str) -> Self {
        let video = dir.join(format!("{name}.video.webm"));
        let audio = dir.join(format!("{name}.audio.webm"));
        let recorders = [
            record_kind(client, pipeline, port, &video, "VIDEO"),
            record_kind(client, pipeline, port, &audio, "AUDIO"),
        ];
        Self {
            recorders,
            video,
            audio,
        }
    }

    /// Stops both recordings, the files finalised.
    fn stop(&self, client: &mut Client) {
        for recorder in &self.recorders {
            client.invoke(recorder, "stopAndWait", json!({}));
        }
    }
}

/// A `WEBM_<kind>_ONLY` recorder of `port`'s `kind` output to `path`, recording.
fn record_kind(client: &mut Client, pipeline: &str, port: &str, path: &Path, kind: &str) -> String {
    let profile = format!("WEBM_{kind}_ONLY");
    let recorder = client.recorder(pipeline, path, json!({"mediaProfile": profile}));
    client.invoke(
        port,
        "connect",
        json!({"sink": recorder, "mediaType": kind}),
    );
    client.subscribe(&recorder, "Recording");
    client.invoke(&recorder, "record", json!({}));
    client.event("Recording", LONG);
    recorder
}

/// Plays each of `players`, as `feed` returns them.
fn play(client: &mut Client, players: &[(String, String)]) {
    for (player, _) in players {
        client.invoke(player, "play", json!({}));
    }
}

/// What every media test here starts from: a server, a pipeline with a `class` hub, and a
/// white clip with a 600 Hz tone and a green one with a 1500 Hz tone feeding it, in that
/// order, not yet playing.
struct Fed {
    dir: tempfile::TempDir,
    /// Kept for the server to live as long as the test.
    _served: Served,
    client: Client,
    pipeline: String,
    hub: String,
    /// The white and the green input's player and port.
    inputs: Vec<(String, String)>,
}

impl Fed {
    /// A `class` hub fed by `seconds` long white and green clips.
    fn hub(class: &str, seconds: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let white = clip(dir.path(), "white", WHITE.0, 600, seconds);
        let green = clip(dir.path(), "green", GREEN.0, 1500, seconds);
        let served = Served::start();
        let (mut client, pipeline) = served.client_with_pipeline();
        let hub = client.create(class, Some(&pipeline));
        let inputs = feed(&mut client, &pipeline, &hub, &[&white, &green]);
        Self {
            dir,
            _served: served,
            client,
            pipeline,
            hub,
            inputs,
        }
    }

    /// A new port of the hub, for its output.
    fn output(&mut self) -> String {
        self.client.create_with("HubPort", json!({"hub": self.hub}))
    }

    /// `port`'s output recorded into both tracks' files, `name` in the test's folder.
    fn record(&mut self, port: &str, name: &str) -> Tracks {
        Tracks::record(
            &mut self.client,
            &self.pipeline,
            port,
            self.dir.path(),
            name,
        )
    }

    /// `port`'s `kind` ("VIDEO" or "AUDIO") output recorded to `<name>.webm` in the test's
    /// folder: the recorder and the file.
    fn record_kind(&mut self, port: &str, name: &str, kind: &str) -> (String, PathBuf) {
        let path = self.dir.path().join(format!("{name}.webm"));
        let recorder = record_kind(&mut self.client, &self.pipeline, port, &path, kind);
        (recorder, path)
    }

    /// Starts both inputs.
    fn play(&mut self) {
        play(&mut self.client, &self.inputs);
    }

    /// Stops `recorders`, their files finalised, and releases the pipeline.
    fn finish(&mut self, recorders: &[&str]) {
        for recorder in recorders {
            self.client.invoke(recorder, "stopAndWait", json!({}));
        }
        self.client.ok("release", json!({"object": self.pipeline}));
    }
}

/// The composite's cell centres for `n` inputs, in port order (KMS's grid).
fn cell_centres(n: usize) -> Vec<(usize, usize)> {
    let columns = (1..).find(|c| c * c >= n).unwrap();
    let rows = n.div_ceil(columns);
    let (width, height) = (COMPOSITE_WIDTH / columns, COMPOSITE_HEIGHT / rows);
    (0..n)
        .map(|i| {
            (
                (i % columns) * width + width / 2,
                (i / columns) * height + height / 2,
            )
        })
        .collect()
}

/// Whether `frame` shows `colours` in the grid of that many cells, and black in the cells
/// of the grid left over.
fn shows_grid(frame: &[u8], colours: &[u8]) -> bool {
    let columns = (1..).find(|c| c * c >= colours.len()).unwrap();
    let rows = colours.len().div_ceil(columns);
    let centres = cell_centres(columns * rows);
    centres.iter().enumerate().all(|(i, centre)| {
        let expected = colours.get(i).copied().unwrap_or(BLACK);
        is(luma_at(frame, COMPOSITE_WIDTH, *centre, 40), expected)
    })
}

#[test]
fn composite_shows_two_inputs_side_by_side_and_mixes_their_audio_without_echo() {
    let mut fed = Fed::hub("Composite", 3);
    let output = fed.output();
    let mixed = fed.record(&output, "mixed");
    // What the white port hears: the others only.
    let white_port = fed.inputs[0].1.clone();
    let (echo, heard) = fed.record_kind(&white_port, "heard", "AUDIO");
    fed.play();
    sleep(Duration::from_millis(2500));
    mixed.stop(&mut fed.client);
    fed.finish(&[&echo]);

    let frames = decode_luma_sized(&mixed.video, COMPOSITE_WIDTH, COMPOSITE_HEIGHT);
    let side_by_side = frames
        .iter()
        .filter(|frame| shows_grid(frame, &[WHITE.1, GREEN.1]))
        .count();
    assert!(
        side_by_side * 2 > frames.len(),
        "{side_by_side} of {} frames show white | green",
        frames.len()
    );
    let samples = decode_audio(&mixed.audio);
    let (low, high, neither) = (
        tone_level(&samples, 600.0),
        tone_level(&samples, 1500.0),
        tone_level(&samples, 1000.0),
    );
    println!("mixed: 600 Hz {low:.4}, 1500 Hz {high:.4}, 1000 Hz {neither:.4}");
    assert!(low > 10.0 * neither && high > 10.0 * neither);
    let samples = decode_audio(&heard);
    let (own, other) = (tone_level(&samples, 600.0), tone_level(&samples, 1500.0));
    println!("white port hears: own 600 Hz {own:.4}, other 1500 Hz {other:.4}");
    assert!(other > 10.0 * own, "a port hears itself back");
}

#[test]
fn composite_keeps_mixing_when_an_input_stalls() {
    let mut fed = Fed::hub("Composite", 3);
    let output = fed.output();
    let stalled = fed.record(&output, "stalled");
    fed.play();
    let started = std::time::Instant::now();
    sleep(Duration::from_millis(700));
    // The green input stops sending, its port stays.
    fed.client.invoke(&fed.inputs[1].0, "pause", json!({}));
    sleep(Duration::from_millis(1500));
    let recorded = started.elapsed().as_secs_f64();
    stalled.stop(&mut fed.client);
    fed.finish(&[]);

    // The picture goes on at its rate, the stalled input's last frame in its cell, and the
    // white input's tone with it.
    let frames = decode_luma_sized(&stalled.video, COMPOSITE_WIDTH, COMPOSITE_HEIGHT);
    let duration = frames.len() as f64 / COMPOSITE_FPS;
    println!("recorded {duration:.2} s of video in {recorded:.2} s");
    assert!(
        (duration - recorded).abs() < 0.5,
        "a {duration:.2} s recording of {recorded:.2} s"
    );
    let last = frames.last().expect("frames");
    assert!(shows_grid(last, &[WHITE.1, GREEN.1]));
    let samples = decode_audio(&stalled.audio);
    let tail = &samples[samples.len() * 2 / 3..];
    let (white_tone, green_tone) = (tone_level(tail, 600.0), tone_level(tail, 1500.0));
    println!("last third: 600 Hz {white_tone:.4}, 1500 Hz {green_tone:.4}");
    assert!(white_tone > 10.0 * green_tone);
}

#[test]
fn composite_layout_follows_ports_joining_and_leaving_mid_recording() {
    let mut fed = Fed::hub("Composite", 4);
    let red = clip(fed.dir.path(), "red", RED.0, 1000, 4);
    let output = fed.output();
    let (recorder, path) = fed.record_kind(&output, "layouts", "VIDEO");
    // The composite's picture is recorded from the `Recording` event on, inputs or not.
    let started = std::time::Instant::now();
    fed.play();
    sleep(Duration::from_millis(1000));
    // A third port joins while media flows: a 2x2 grid.
    let third = feed(&mut fed.client, &fed.pipeline, &fed.hub, &[&red]);
    play(&mut fed.client, &third);
    sleep(Duration::from_millis(1000));
    // The green one leaves: white and red side by side, the recording goes on.
    fed.client.ok("release", json!({"object": fed.inputs[1].1}));
    sleep(Duration::from_millis(1000));
    fed.client.invoke(&recorder, "stopAndWait", json!({}));
    let recorded = started.elapsed().as_secs_f64();
    fed.finish(&[]);

    let frames = decode_luma_sized(&path, COMPOSITE_WIDTH, COMPOSITE_HEIGHT);
    let layouts: [&[u8]; 3] = [
        &[WHITE.1, GREEN.1],
        &[WHITE.1, GREEN.1, RED.1],
        &[WHITE.1, RED.1],
    ];
    let shown: Vec<Option<usize>> = frames
        .iter()
        .map(|frame| {
            layouts
                .iter()
                .position(|colours| shows_grid(frame, colours))
        })
        .collect();
    let runs = runs_of(shown.iter().flatten());
    println!(
        "layout runs (layout, frames): {runs:?} of {} frames",
        frames.len()
    );
    let order: Vec<usize> = runs
        .iter()
        .filter(|(_, n)| *n >= 5)
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(order, [0, 1, 2], "layouts in order, each for a while");
    let duration = frames.len() as f64 / COMPOSITE_FPS;
    println!("recorded {duration:.2} s of video in {recorded:.2} s");
    assert!(
        (duration - recorded).abs() < 0.5,
        "a {duration:.2} s recording of {recorded:.2} s"
    );
}

/// Which of the colours of luma `colours` the middle of a clip-sized `frame` is, if any.
fn colour_at_centre(frame: &[u8], colours: &[u8]) -> Option<u8> {
    let luma = luma_at(frame, CLIP_WIDTH, (CLIP_WIDTH / 2, CLIP_HEIGHT / 2), 20);
    colours.iter().copied().find(|colour| is(luma, *colour))
}

/// The share of `frames` whose middle is the colour of luma `expected`.
fn share_of(frames: &[Vec<u8>], expected: u8) -> f64 {
    let matching = frames
        .iter()
        .filter(|frame| colour_at_centre(frame, &[expected]).is_some())
        .count();
    matching as f64 / frames.len().max(1) as f64
}

/// The runs of equal values in `values`: each value and how many times in a row it came.
fn runs_of<'a, T: PartialEq + Copy + 'a>(values: impl Iterator<Item = &'a T>) -> Vec<(T, usize)> {
    let mut runs: Vec<(T, usize)> = Vec::new();
    for value in values {
        match runs.last_mut() {
            Some((last, count)) if last == value => *count += 1,
            _ => runs.push((*value, 1)),
        }
    }
    runs
}

#[test]
fn dispatcher_one_to_many_sends_the_source_to_every_port_and_switches() {
    let mut fed = Fed::hub("DispatcherOneToMany", 4);
    let outputs: Vec<String> = (0..2).map(|_| fed.output()).collect();
    let source = json!({"source": fed.inputs[0].1});
    fed.client.invoke(&fed.hub, "setSource", source);
    let (recorders, paths): (Vec<String>, Vec<PathBuf>) = outputs
        .iter()
        .enumerate()
        .map(|(i, port)| fed.record_kind(port, &format!("out{i}"), "VIDEO"))
        .unzip();
    fed.play();
    sleep(Duration::from_millis(1200));
    let source = json!({"source": fed.inputs[1].1});
    fed.client.invoke(&fed.hub, "setSource", source);
    sleep(Duration::from_millis(1200));
    fed.client.invoke(&fed.hub, "removeSource", json!({}));
    sleep(Duration::from_millis(1000));
    let recorders: Vec<&str> = recorders.iter().map(String::as_str).collect();
    fed.finish(&recorders);

    for path in &paths {
        let frames = decode_luma_sized(path, CLIP_WIDTH, CLIP_HEIGHT);
        // Where the switch falls in the file depends on how soon the first source's frames
        // came, so the frames are read as runs of one colour rather than cut in halves.
        let colours: Vec<Option<u8>> = frames
            .iter()
            .map(|frame| colour_at_centre(frame, &[WHITE.1, GREEN.1]))
            .collect();
        let runs = runs_of(colours.iter().flatten());
        let shown = colours.iter().flatten().count() as f64 / frames.len().max(1) as f64;
        println!(
            "{}: {} frames, runs (colour, frames) {runs:?}, {shown:.2} white or green",
            path.display(),
            frames.len()
        );
        let order: Vec<u8> = runs
            .iter()
            .filter(|(_, n)| *n >= 5)
            .map(|(c, _)| *c)
            .collect();
        assert_eq!(order, [WHITE.1, GREEN.1], "white, then green");
        assert!(shown > 0.9, "{shown:.2} of the frames white or green");
        // Nothing came after removeSource: about 2.4 s of the 3.4 s recorded.
        let seconds = frames.len() as f64 / CLIP_FPS as f64;
        assert!((1.9..3.0).contains(&seconds), "{seconds:.2} s recorded");
    }
}

#[test]
fn dispatcher_routes_each_source_port_to_its_sink_port() {
    let mut fed = Fed::hub("Dispatcher", 2);
    let outputs: Vec<String> = (0..2).map(|_| fed.output()).collect();
    // Crossed on purpose: the first output shows the second input.
    for (input, output) in [(1, 0), (0, 1)] {
        let route = json!({"source": fed.inputs[input].1, "sink": outputs[output]});
        fed.client.invoke(&fed.hub, "connect", route);
    }
    let recordings: Vec<Tracks> = outputs
        .iter()
        .enumerate()
        .map(|(i, port)| fed.record(port, &format!("out{i}")))
        .collect();
    fed.play();
    sleep(Duration::from_millis(1500));
    for recording in &recordings {
        recording.stop(&mut fed.client);
    }
    fed.finish(&[]);

    for (recording, (colour, own, other)) in recordings
        .iter()
        .zip([(GREEN.1, 1500.0, 600.0), (WHITE.1, 600.0, 1500.0)])
    {
        let frames = decode_luma_sized(&recording.video, CLIP_WIDTH, CLIP_HEIGHT);
        assert!(frames.len() > 20, "{} frames", frames.len());
        assert!(share_of(&frames, colour) > 0.95);
        let samples = decode_audio(&recording.audio);
        assert!(tone_level(&samples, own) > 10.0 * tone_level(&samples, other));
    }
}

#[test]
fn alpha_blending_puts_a_port_in_its_rectangle_over_the_master() {
    let mut fed = Fed::hub("AlphaBlending", 2);
    let output = fed.output();
    let master = json!({"source": fed.inputs[0].1, "zOrder": 1});
    fed.client.invoke(&fed.hub, "setMaster", master);
    let (x, y, w, h) = (0.5, 0.25, 0.25, 0.5);
    let layer = json!({"relativeX": x, "relativeY": y, "zOrder": 2, "relativeWidth": w,
                       "relativeHeight": h, "port": fed.inputs[1].1});
    fed.client.invoke(&fed.hub, "setPortProperties", layer);
    let (recorder, path) = fed.record_kind(&output, "blend", "VIDEO");
    fed.play();
    sleep(Duration::from_millis(1500));
    fed.finish(&[&recorder]);

    // The picture takes the master's size.
    let frames = decode_luma_sized(&path, CLIP_WIDTH, CLIP_HEIGHT);
    let last = frames.last().expect("frames");
    let (left, top) = (
        (x * CLIP_WIDTH as f64) as usize,
        (y * CLIP_HEIGHT as f64) as usize,
    );
    let (right, bottom) = (
        left + (w * CLIP_WIDTH as f64) as usize,
        top + (h * CLIP_HEIGHT as f64) as usize,
    );
    // A few pixels either side of an edge are the codec's blur.
    const EDGE: usize = 4;
    let mut wrong = Vec::new();
    for row in 0..CLIP_HEIGHT {
        for column in 0..CLIP_WIDTH {
            let near_edge =
                |a: usize, b: usize, v: usize| v.abs_diff(a) < EDGE || v.abs_diff(b) < EDGE;
            if near_edge(left, right, column) || near_edge(top, bottom, row) {
                continue;
            }
            let inside = (left..right).contains(&column) && (top..bottom).contains(&row);
            let expected = if inside { GREEN.1 } else { WHITE.1 };
            if !is(last[row * CLIP_WIDTH + column], expected) {
                wrong.push((column, row));
            }
        }
    }
    assert!(
        wrong.len() < 10,
        "{} pixels off, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}

#[test]
fn hubs_refuse_foreign_ports_and_bad_parameters_and_release_their_ports() {
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let other_pipeline = client.create("MediaPipeline", None);
    let composite = client.create("Composite", Some(&pipeline));
    let dispatcher = client.create("Dispatcher", Some(&pipeline));
    let alpha = client.create("AlphaBlending", Some(&pipeline));
    let described = client.ok("describe", json!({"object": composite}));
    assert_eq!(
        described["hierarchy"],
        json!(["kurento.Hub", "kurento.MediaObject"])
    );
    let port = client.create_with("HubPort", json!({"hub": composite}));
    let described = client.ok("describe", json!({"object": port}));
    assert_eq!(described["qualifiedType"], "kurento.HubPort");
    assert_eq!(
        described["hierarchy"],
        json!(["kurento.MediaElement", "kurento.MediaObject"])
    );
    let second = client.create_with("HubPort", json!({"hub": composite}));
    assert_eq!(
        client.invoke(&port, "getParent", json!({})),
        json!(composite)
    );
    assert_eq!(
        client.invoke(&port, "getMediaPipeline", json!({})),
        json!(pipeline)
    );
    assert_eq!(
        client.invoke(&composite, "getChildren", json!({})),
        json!([port, second])
    );
    let dot = client.invoke(&composite, "getGstreamerDot", json!({}));
    assert!(dot.as_str().unwrap().contains("compositor"));
    // Ports of one hub may feed each other, the mix going round.
    client.invoke(&port, "connect", json!({"sink": second}));
    client.invoke(&second, "connect", json!({"sink": port}));
    // A hub is no element.
    assert_eq!(
        client.invoke_error(&composite, "connect", json!({"sink": port})),
        40105
    );

    // HubPort's constructor takes a hub.
    let create_port = |client: &mut Client, hub: Json| {
        client.error_code(
            "create",
            json!({"type": "HubPort", "constructorParams": {"hub": hub}}),
        )
    };
    assert_eq!(create_port(&mut client, json!(pipeline)), 40107);
    assert_eq!(
        create_port(
            &mut client,
            json!(format!("{pipeline}/x_kurento.Composite"))
        ),
        40101
    );
    assert_eq!(create_port(&mut client, json!(7)), -32602);
    // And nothing else does.
    let in_hub = json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": composite}});
    assert_eq!(client.error_code("create", in_hub), 40107);

    let sink = client.create_with("HubPort", json!({"hub": dispatcher}));
    let player = client.create("PassThrough", Some(&pipeline));
    let connect = |client: &mut Client, source: Json| {
        client.invoke_error(
            &dispatcher,
            "connect",
            json!({"source": source, "sink": sink}),
        )
    };
    // A port of another hub: KMS's CONNECT_ERROR.
    assert_eq!(connect(&mut client, json!(port)), 40002);
    assert_eq!(connect(&mut client, json!(player)), 40107);
    assert_eq!(connect(&mut client, json!(5)), -32602);

    let layer = client.create_with("HubPort", json!({"hub": alpha}));
    let place = |client: &mut Client, x: Json, z: Json| {
        client.invoke_error(
            &alpha,
            "setPortProperties",
            json!({"relativeX": x, "relativeY": 0, "zOrder": z, "relativeWidth": 0.5,
                   "relativeHeight": 0.5, "port": layer}),
        )
    };
    assert_eq!(place(&mut client, json!("left"), json!(1)), -32602);
    assert_eq!(place(&mut client, json!(0.1), json!(-1)), 40107);
    assert_eq!(
        client.invoke_error(&alpha, "setMaster", json!({"source": sink, "zOrder": 1})),
        40002
    );

    // An element of another pipeline cannot feed a port.
    let stranger = client.create("PassThrough", Some(&other_pipeline));
    assert_eq!(
        client.invoke_error(&stranger, "connect", json!({"sink": port})),
        40107
    );

    // Releasing a hub releases its ports.
    client.ok("release", json!({"object": composite}));
    assert_eq!(client.invoke_error(&port, "getName", json!({})), 40101);
    let children = client.invoke(&pipeline, "getChildren", json!({}));
    assert!(!children.as_array().unwrap().contains(&json!(composite)));
    client.ok("release", json!({"object": pipeline}));
    client.ok("release", json!({"object": other_pipeline}));
}
