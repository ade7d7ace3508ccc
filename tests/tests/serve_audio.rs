//! Audio through `filmstrip serve`'s media graph: a clip with a flash and a beep at the same
//! instants goes PlayerEndpoint → video filter → RecorderEndpoint, and the recording must keep
//! both tracks and their sync; the one-track profiles, one-kind connections and the
//! connection listings are checked on what they record and report.

use filmstrip_tests::decode::{Decoded, decode, play_to_end};
use filmstrip_tests::serve::Client;
use filmstrip_tests::{Served, gst_launch};
use gst::prelude::*;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// The test clip's picture size and rate: small, so that encoding costs little.
const CLIP_WIDTH: usize = 160;
const CLIP_HEIGHT: usize = 120;
const FPS: usize = 30;
/// The clip's length: 3 s.
const CLIP_FRAMES: usize = 3 * FPS;
/// The frames that are white; all others are black.
const FLASH_FRAMES: [usize; 2] = [30, 60];
const RATE: usize = 48_000;
/// The beeps start at the flashes' instants, 1.0 s and 2.0 s, and last 50 ms.
const BEEP_STARTS: [usize; 2] = [RATE, 2 * RATE];
const BEEP_SAMPLES: usize = RATE / 20;
/// How far apart a flash and its beep may be in a recording: about one frame, the bound
/// under which viewers do not notice (and what encoder delays leave room for).
const SYNC_TOLERANCE_NS: i64 = 40_000_000;

/// What goes into a test clip.
#[derive(Clone, Copy, PartialEq)]
enum Clip {
    /// H.264 and AAC in MP4.
    Mp4,
    /// VP8 and Opus in WebM.
    Webm,
    /// H.264 in MP4, no audio track.
    VideoOnly,
}

/// Writes the raw flash frames and beep samples, and muxes them into `dir/<name>` with
/// gst-launch: flashes and beeps are in sync by construction, whatever the encoders do.
fn flash_beep_clip(dir: &Path, kind: Clip) -> PathBuf {
    let luma = CLIP_WIDTH * CLIP_HEIGHT;
    let mut video = Vec::with_capacity(CLIP_FRAMES * luma * 3 / 2);
    for frame in 0..CLIP_FRAMES {
        // Limited-range white or black, neutral chroma.
        let y = if FLASH_FRAMES.contains(&frame) {
            235
        } else {
            16
        };
        video.extend(std::iter::repeat_n(y, luma));
        video.extend(std::iter::repeat_n(128u8, luma / 2));
    }
    let raw_video = dir.join("flashes.i420");
    std::fs::write(&raw_video, video).unwrap();
    let mut audio = Vec::with_capacity(CLIP_FRAMES * RATE / FPS * 2);
    for n in 0..CLIP_FRAMES * RATE / FPS {
        let beeping = BEEP_STARTS
            .iter()
            .any(|start| (*start..start + BEEP_SAMPLES).contains(&n));
        let phase = 2.0 * std::f64::consts::PI * 1000.0 * n as f64 / RATE as f64;
        let sample = if beeping {
            (12_000.0 * phase.sin()) as i16
        } else {
            0
        };
        audio.extend(sample.to_le_bytes());
    }
    let raw_audio = dir.join("beeps.s16");
    std::fs::write(&raw_audio, audio).unwrap();

    let (name, video_encoder, audio_encoder, muxer) = match kind {
        // No B-frames: mp4mux (1.22) writes no edit list for their reordering delay, which
        // would shift the source's own pictures by two frames against its sound.
        Clip::Mp4 => ("av.mp4", "x264enc tune=zerolatency", "avenc_aac", "mp4mux"),
        Clip::Webm => ("av.webm", "vp8enc deadline=1", "opusenc", "webmmux"),
        Clip::VideoOnly => ("video.mp4", "x264enc tune=zerolatency", "", "mp4mux"),
    };
    let clip = dir.join(name);
    let video_branch = format!(
        "filesrc location={} ! rawvideoparse width={CLIP_WIDTH} height={CLIP_HEIGHT} \
         format=i420 framerate={FPS}/1 ! {video_encoder} ! mux.",
        raw_video.display()
    );
    let audio_branch = if kind == Clip::VideoOnly {
        String::new()
    } else {
        format!(
            "filesrc location={} ! rawaudioparse format=pcm pcm-format=s16le \
             sample-rate={RATE} num-channels=1 ! audioconvert ! {audio_encoder} ! mux.",
            raw_audio.display()
        )
    };
    gst_launch(&format!(
        "{muxer} name=mux ! filesink location={} {video_branch} {audio_branch}",
        clip.display()
    ));
    clip
}

/// What a media file holds: its tracks' codecs and, decoded, its pictures and sound.
struct Recording {
    /// The caps names of the encoded tracks, e.g. `video/x-vp8` and `audio/x-opus`, sorted.
    codecs: Vec<String>,
    decoded: Decoded,
}

impl Recording {
    /// Decodes the file at `path` and names its codecs.
    fn of(path: &Path) -> Recording {
        Recording {
            codecs: codecs(path),
            decoded: decode(path),
        }
    }

    /// The timestamps, in nanoseconds, where the picture turns white.
    fn flashes(&self) -> Vec<u64> {
        let mut flashes = Vec::new();
        let mut white = false;
        for frame in &self.decoded.frames {
            let sum: u64 = frame.luma.iter().map(|&v| u64::from(v)).sum();
            let now = sum as f64 / frame.luma.len().max(1) as f64 > 125.0;
            if now && !white {
                flashes.push(frame.pts);
            }
            white = now;
        }
        flashes
    }

    /// The timestamps, in nanoseconds, where a beep starts: a loud sample after at least
    /// 200 ms without one.
    fn beep_onsets(&self) -> Vec<u64> {
        let mut onsets = Vec::new();
        let mut last_loud: Option<u64> = None;
        for buffer in &self.decoded.sound {
            for (i, sample) in buffer.samples.iter().enumerate() {
                // A quarter of the beep's amplitude: well above any codec noise in the
                // silence, reached within the first period of the tone.
                if sample.abs() < 3_000.0 / 32_768.0 {
                    continue;
                }
                let at = buffer.pts + i as u64 * 1_000_000_000 / RATE as u64;
                if last_loud.is_none_or(|last| at - last > 200_000_000) {
                    onsets.push(at);
                }
                last_loud = Some(at);
            }
        }
        onsets
    }

    /// Seconds of decoded audio.
    fn audio_seconds(&self) -> f64 {
        let samples: usize = self.decoded.sound.iter().map(|b| b.samples.len()).sum();
        samples as f64 / RATE as f64
    }
}

/// Calls `on_pad` with each pad `element` of `pipeline` adds, and the pipeline.
fn on_pads(
    pipeline: &gst::Pipeline,
    element: &str,
    on_pad: impl Fn(&gst::Pipeline, &gst::Pad) + Send + Sync + 'static,
) {
    let weak = pipeline.downgrade();
    pipeline
        .by_name(element)
        .unwrap()
        .connect_pad_added(move |_, pad| on_pad(&weak.upgrade().unwrap(), pad));
}

/// Adds the description `chain` to `pipeline` as a bin fed by `pad`.
fn attach(pipeline: &gst::Pipeline, pad: &gst::Pad, chain: &str) -> gst::Bin {
    let bin = gst::parse::bin_from_description(chain, true).unwrap();
    pipeline.add(&bin).unwrap();
    bin.sync_state_with_parent().unwrap();
    pad.link(&bin.static_pad("sink").unwrap()).unwrap();
    bin
}

/// The caps names of the encoded tracks of `path`, sorted: parsebin names each track's
/// codec without decoding it.
fn codecs(path: &Path) -> Vec<String> {
    gst::init().unwrap();
    let pipeline = gst::parse::launch(&format!(
        "filesrc location={} ! parsebin name=parse",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let codecs: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = codecs.clone();
    on_pads(&pipeline, "parse", move |pipeline, pad| {
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let codec = caps.structure(0).unwrap().name().to_string();
        seen.lock().unwrap().push(codec);
        // A queue per track: without one, the first track's sink would block the demuxer
        // while the other track is still to come.
        attach(pipeline, pad, "queue ! fakesink sync=false");
    });
    play_to_end(&pipeline, path);
    let mut codecs = std::mem::take(&mut *codecs.lock().unwrap());
    codecs.sort();
    codecs
}

/// Asserts that `decoded` shows both flashes and both beeps, each beep within
/// [`SYNC_TOLERANCE_NS`] of its flash, and about the clip's length of audio.
fn assert_in_sync(decoded: &Recording, what: &str) {
    let flashes = decoded.flashes();
    let beeps = decoded.beep_onsets();
    assert_eq!(flashes.len(), 2, "{what}: flashes at {flashes:?}");
    assert_eq!(beeps.len(), 2, "{what}: beeps at {beeps:?}");
    for (flash, beep) in flashes.iter().zip(&beeps) {
        let offset = *beep as i64 - *flash as i64;
        assert!(
            offset.abs() <= SYNC_TOLERANCE_NS,
            "{what}: the beep is {} ms off its flash (flashes {flashes:?}, beeps {beeps:?})",
            offset / 1_000_000
        );
    }
    // The flashes keep their one-second spacing: the picture was not retimed.
    let spacing = flashes[1] as i64 - flashes[0] as i64;
    assert!(
        (spacing - 1_000_000_000).abs() <= SYNC_TOLERANCE_NS,
        "{what}: flashes {spacing} ns apart"
    );
    let seconds = decoded.audio_seconds();
    let clip = CLIP_FRAMES as f64 / FPS as f64;
    assert!(
        (seconds - clip).abs() <= 0.1 * clip,
        "{what}: {seconds:.3} s of audio for a {clip} s clip"
    );
}

/// A server, a client and a pipeline playing `clip`.
struct Graph {
    _served: Served,
    client: Client,
    pipeline: String,
    player: String,
}

impl Graph {
    fn new(clip: &Path) -> Self {
        let served = Served::start();
        let (mut client, pipeline, player) = served.client_with_player(clip);
        client.subscribe(&player, "EndOfStream");
        Self {
            _served: served,
            client,
            pipeline,
            player,
        }
    }

    /// Starts every recorder, plays the clip to its end and stops every recorder, each
    /// file complete when `stopAndWait` answers.
    fn record_all(&mut self, recorders: &[&str]) {
        for recorder in recorders {
            self.client.subscribe(recorder, "Recording");
            self.client.invoke(recorder, "record", json!({}));
            self.client.event("Recording", LONG);
        }
        self.client.invoke(&self.player, "play", json!({}));
        self.client.event("EndOfStream", LONG);
        for recorder in recorders {
            self.client.invoke(recorder, "stopAndWait", json!({}));
        }
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        let pipeline = self.pipeline.clone();
        let _ = self.client.call("release", json!({"object": pipeline}));
    }
}

/// Plays the flash-and-beep `clip` through a PixelateFilter into a recorder of `profile`, and
/// checks the recording's codecs and sync.
fn lip_sync_through_a_filter(clip: Clip, profile: &str, extension: &str, codecs: [&str; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let clip = flash_beep_clip(dir.path(), clip);
    // The analysis itself must see the clip in sync before it judges a recording.
    assert_in_sync(&Recording::of(&clip), "the source clip");
    let recording = dir.path().join(format!("recording.{extension}"));
    let mut graph = Graph::new(&clip);
    let pipeline = graph.pipeline.clone();
    let client = &mut graph.client;
    // Pixelation keeps a flat picture's brightness, so the flashes survive the filter.
    let filter = client.create("PixelateFilter", Some(&pipeline));
    let recorder = client.recorder(&pipeline, &recording, json!({"mediaProfile": profile}));
    let player = graph.player.clone();
    client.invoke(&player, "connect", json!({"sink": filter}));
    client.invoke(&filter, "connect", json!({"sink": recorder}));
    graph.record_all(&[&recorder]);
    let decoded = Recording::of(&recording);
    let mut expected: Vec<String> = codecs.iter().map(|c| c.to_string()).collect();
    expected.sort();
    assert_eq!(decoded.codecs, expected, "{profile} tracks");
    assert_in_sync(&decoded, profile);
}

#[test]
fn webm_recording_through_a_filter_keeps_lip_sync() {
    lip_sync_through_a_filter(Clip::Mp4, "WEBM", "webm", ["video/x-vp8", "audio/x-opus"]);
}

#[test]
fn mp4_recording_through_a_filter_keeps_lip_sync() {
    lip_sync_through_a_filter(Clip::Webm, "MP4", "mp4", ["video/x-h264", "audio/mpeg"]);
}

#[test]
fn one_track_profiles_record_one_track() {
    let dir = tempfile::tempdir().unwrap();
    let clip = flash_beep_clip(dir.path(), Clip::Mp4);
    let mut graph = Graph::new(&clip);
    let pipeline = graph.pipeline.clone();
    let player = graph.player.clone();
    let profiles = [
        ("WEBM_VIDEO_ONLY", "webm", "video/x-vp8"),
        ("WEBM_AUDIO_ONLY", "webm", "audio/x-opus"),
        ("MP4_VIDEO_ONLY", "mp4", "video/x-h264"),
        ("MP4_AUDIO_ONLY", "mp4", "audio/mpeg"),
    ];
    let mut recorders = Vec::new();
    for (profile, extension, _) in profiles {
        let path = dir.path().join(format!("{profile}.{extension}"));
        let recorder = graph
            .client
            .recorder(&pipeline, &path, json!({"mediaProfile": profile}));
        graph
            .client
            .invoke(&player, "connect", json!({"sink": recorder}));
        recorders.push((recorder, path));
    }
    let ids: Vec<&str> = recorders.iter().map(|(id, _)| id.as_str()).collect();
    graph.record_all(&ids);
    for ((profile, _, codec), (_, path)) in profiles.iter().zip(&recorders) {
        let decoded = Recording::of(path);
        assert_eq!(decoded.codecs, [codec.to_string()], "{profile}");
        if codec.starts_with("video/") {
            assert_eq!(decoded.flashes().len(), 2, "{profile}: the flashes");
        } else {
            assert_eq!(decoded.beep_onsets().len(), 2, "{profile}: the beeps");
        }
    }
}

#[test]
fn a_video_only_clip_records_its_video_alone_and_whole_on_webm() {
    let dir = tempfile::tempdir().unwrap();
    let clip = flash_beep_clip(dir.path(), Clip::VideoOnly);
    let recording = dir.path().join("video-only.webm");
    let mut graph = Graph::new(&clip);
    let pipeline = graph.pipeline.clone();
    let player = graph.player.clone();
    let recorder = graph
        .client
        .recorder(&pipeline, &recording, json!({"mediaProfile": "WEBM"}));
    graph
        .client
        .invoke(&player, "connect", json!({"sink": recorder}));
    graph.record_all(&[&recorder]);
    let decoded = Recording::of(&recording);
    // The audio track brought no data, so the recorder left it out of the file.
    assert_eq!(decoded.codecs, ["video/x-vp8"]);
    assert_eq!(
        decoded.decoded.frames.len(),
        CLIP_FRAMES,
        "every frame recorded"
    );
    assert_eq!(decoded.flashes().len(), 2);
}

/// The `type`s of a `getSourceConnections` or `getSinkConnections` answer, sorted.
fn kinds(connections: &Json) -> Vec<String> {
    let mut kinds: Vec<String> = connections
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {connections}"))
        .iter()
        .map(|c| c["type"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds
}

#[test]
fn connections_of_one_kind_carry_and_list_that_kind_only() {
    let dir = tempfile::tempdir().unwrap();
    let clip = flash_beep_clip(dir.path(), Clip::Mp4);
    let audio_path = dir.path().join("audio.webm");
    let video_path = dir.path().join("video.webm");
    let mut graph = Graph::new(&clip);
    let pipeline = graph.pipeline.clone();
    let player = graph.player.clone();
    let client = &mut graph.client;
    let filter = client.create("PixelateFilter", Some(&pipeline));

    // A plain connect carries both kinds, each listed once with its type on both sides.
    client.invoke(&player, "connect", json!({"sink": filter}));
    let sources = client.invoke(&filter, "getSourceConnections", json!({}));
    assert_eq!(kinds(&sources), ["AUDIO", "VIDEO"], "{sources}");
    for connection in sources.as_array().unwrap() {
        assert_eq!(connection["source"], json!(player), "{connection}");
        assert_eq!(connection["sink"], json!(filter), "{connection}");
    }
    let sinks = client.invoke(&player, "getSinkConnections", json!({}));
    assert_eq!(kinds(&sinks), ["AUDIO", "VIDEO"], "{sinks}");
    let video_sinks = client.invoke(&player, "getSinkConnections", json!({"mediaType": "VIDEO"}));
    assert_eq!(kinds(&video_sinks), ["VIDEO"], "{video_sinks}");

    // An AUDIO connect carries audio only.
    let audio = client.recorder(&pipeline, &audio_path, json!({"mediaProfile": "WEBM"}));
    client.invoke(
        &filter,
        "connect",
        json!({"sink": audio, "mediaType": "AUDIO"}),
    );
    let audio_sources = client.invoke(&audio, "getSourceConnections", json!({}));
    assert_eq!(kinds(&audio_sources), ["AUDIO"], "{audio_sources}");

    // Disconnecting the audio of a full connection leaves its video.
    let video = client.recorder(&pipeline, &video_path, json!({"mediaProfile": "WEBM"}));
    client.invoke(&filter, "connect", json!({"sink": video}));
    client.invoke(
        &filter,
        "disconnect",
        json!({"sink": video, "mediaType": "AUDIO"}),
    );
    let video_sources = client.invoke(&video, "getSourceConnections", json!({}));
    assert_eq!(kinds(&video_sources), ["VIDEO"], "{video_sources}");
    let filter_sinks = client.invoke(&filter, "getSinkConnections", json!({}));
    let mut pairs: Vec<(String, String)> = filter_sinks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let sink = c["sink"].as_str().unwrap().to_string();
            (sink, c["type"].as_str().unwrap().to_string())
        })
        .collect();
    pairs.sort();
    let mut expected = vec![
        (audio.clone(), "AUDIO".to_string()),
        (video.clone(), "VIDEO".to_string()),
    ];
    expected.sort();
    assert_eq!(pairs, expected, "{filter_sinks}");

    graph.record_all(&[&audio, &video]);
    let audio_only = Recording::of(&audio_path);
    assert_eq!(audio_only.codecs, ["audio/x-opus"], "the AUDIO connection");
    assert_eq!(audio_only.beep_onsets().len(), 2);
    let video_only = Recording::of(&video_path);
    assert_eq!(
        video_only.codecs,
        ["video/x-vp8"],
        "after disconnecting AUDIO"
    );
    assert_eq!(video_only.flashes().len(), 2);
    assert_eq!(
        video_only.decoded.frames.len(),
        CLIP_FRAMES,
        "every frame recorded"
    );
}
