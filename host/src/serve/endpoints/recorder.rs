//! `RecorderEndpoint(mediaPipeline, uri, mediaProfile?, stopOnEndOfStream?)`: writes the audio
//! and video it receives to a file (`file://`) or uploads them (`http://`, `https://`: see
//! `upload.rs`), from `record` until `stop`.
//!
//! The bin has the two ports of every element, plus one recording branch per track of the
//! profile on its port's tee, both into one `muxer ! filesink` (or `fakesink` handing the bytes
//! to the upload): an [`EncodingInput`] that
//! passes frames already in the track's codec (VP8 or Opus from a WebRtcEndpoint, into
//! WebM) as they are and encodes anything else (`videoconvert ! encoder` or `audioconvert !
//! audioresample ! encoder`). A probe on each branch drops buffers while not
//! recording and decides what an upstream end of stream does; `stop` sends the end of stream
//! into the branches themselves, so the muxer finalises the file (an MP4 index, WebM cues)
//! and a probe on the file sink sees it arrive there: then the file is complete.
//!
//! A muxer waits for every track before it writes anything, and cannot take a new one
//! afterwards, so a track that brings nothing (a video-only clip on a profile with audio)
//! would hold the other back forever. The branches therefore reach the muxer only once the
//! tracks are decided: when every connected track has brought its first buffer, or
//! [`TRACK_WINDOW`] after the first one did; the first buffers wait for that, and a track
//! without data by then stays out of the file.

use super::super::objects::{self, ElementMedia, MediaKind, post_event};
use super::super::objects::{Behaviour, Outcome};
use super::super::rpc::RpcError;
use super::encoding_input::{Branch, EncodingInput};
use super::upload::Upload;
use super::webrtc::codecs::Codec;
use super::{optional_string, string_arg};
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The recorder's own events.
pub const EVENTS: &[&str] = &["Recording", "Paused", "Stopped"];

/// How long `stopAndWait` waits for the file to be finalised.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long `stop` waits for a frame or an end of stream from a source before it ends the
/// file without one.
const QUIET_SOURCE: Duration = Duration::from_millis(500);

/// How long after the first data of a recording a track may still join the file.
const TRACK_WINDOW: Duration = Duration::from_millis(500);

/// Kurento's `MediaProfileSpecType` values this recorder writes: the container and tracks.
const PROFILES: &[(&str, Container, &[MediaKind])] = &[
    ("WEBM", Container::Webm, &MediaKind::ALL),
    ("WEBM_VIDEO_ONLY", Container::Webm, &[MediaKind::Video]),
    ("WEBM_AUDIO_ONLY", Container::Webm, &[MediaKind::Audio]),
    ("MP4", Container::Mp4, &MediaKind::ALL),
    ("MP4_VIDEO_ONLY", Container::Mp4, &[MediaKind::Video]),
    ("MP4_AUDIO_ONLY", Container::Mp4, &[MediaKind::Audio]),
];

/// The file formats: VP8 and Opus in WebM, H.264 and AAC in MP4.
#[derive(Clone, Copy, PartialEq)]
enum Container {
    Webm,
    Mp4,
}

/// Where a recording is.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
enum Phase {
    /// Created: frames are dropped.
    #[default]
    Idle,
    /// Frames go to the file.
    Recording,
    /// Frames are dropped, the file stays open.
    Paused,
    /// The end of stream is on its way through the muxer.
    Stopping,
    /// The file is complete.
    Stopped,
}

/// The phase, shared with the streaming threads, and a signal for its reaching `Stopped`.
#[derive(Default)]
struct Shared {
    phase: Mutex<Phase>,
    stopped: Condvar,
    /// Set at the first recorded buffer, when the track window opens.
    started: AtomicBool,
    /// Whether the tracks of the file are decided, and a signal for it.
    decided: Mutex<bool>,
    decision: Condvar,
    /// The running time `stop` was called at, in nanoseconds: frames
    /// from before it still go to the file, the first later one ends its track.
    stop_at: AtomicU64,
}

/// One track of the file.
struct Track {
    /// What the track holds.
    kind: MediaKind,
    /// The tee's pad feeding the branch: the end of stream is sent into what it feeds.
    source: gst::Pad,
    /// The branch's last element, linked to the muxer once the track is in the file.
    join: gst::Element,
    /// The branch's input, which encodes what does not arrive in the track's codec.
    input: Arc<EncodingInput>,

    /// Whether a buffer of this track was recorded.
    has_data: AtomicBool,
    /// Whether nothing feeds the track: the decision does not wait for it.
    unfed: AtomicBool,
    /// Whether the track is in the file.
    included: AtomicBool,
    /// Whether the end of stream went into the branch: nothing more may follow it.
    ended: AtomicBool,
}

impl Track {
    /// Whether the frame `info` holds cannot start the track: a frame that passes as it is
    /// needs the key frame before it (encoded ones start at the key frame they make).
    fn waits_for_key_frame(&self, info: &gst::PadProbeInfo) -> bool {
        let delta = objects::is_delta_unit(info);
        delta && self.input.branch() == Some(Branch::Pass)
    }

    /// Ends the track once: the muxer then stops waiting for it.
    fn end(&self) {
        if !self.ended.swap(true, Ordering::SeqCst) {
            // Whatever branch the input took, or the muxer's side of it before any.
            let branch = self.source.peer().or_else(|| self.join.static_pad("sink"));
            if let Some(branch) = branch {
                branch.send_event(gst::event::Eos::new());
            }
        }
    }
}

/// The tracks of a recording and the muxer they go to.
struct Tracks {
    muxer: gst::Element,
    list: Vec<Track>,
}

impl Tracks {
    /// Decides the tracks of the file once: those with data, or the first one when none has
    /// any (so that an end of stream still finalises the file), get linked to the muxer.
    fn decide(&self, shared: &Shared) {
        let mut decided = shared.decided.lock().unwrap_or_else(|p| p.into_inner());
        if *decided {
            return;
        }
        let none = !self.list.iter().any(|t| t.has_data.load(Ordering::SeqCst));
        for (index, track) in self.list.iter().enumerate() {
            if !(track.has_data.load(Ordering::SeqCst) || none && index == 0) {
                continue;
            }
            match track.join.link(&self.muxer) {
                Ok(()) => track.included.store(true, Ordering::SeqCst),
                Err(err) => tracing::warn!(%err, kind = track.kind.name(), "cannot record a track"),
            }
        }
        *decided = true;
        shared.decision.notify_all();
    }

    /// Whether every track that something feeds has brought data.
    fn all_fed_have_data(&self) -> bool {
        self.list.iter().all(|track| {
            track.unfed.load(Ordering::SeqCst) || track.has_data.load(Ordering::SeqCst)
        })
    }

    /// Ends every track in the file, each from its own thread: a muxer waiting for one
    /// track's data holds the other track's stream lock, which an end of stream sent to that
    /// other track must take, so ending them one after the other could wait forever.
    fn end(self: &Arc<Self>) {
        for index in 0..self.list.len() {
            if !self.list[index].included.load(Ordering::SeqCst) {
                continue;
            }
            let tracks = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("filmstrip-recorder-eos".into())
                .spawn(move || tracks.list[index].end());
            if let Err(err) = spawned {
                tracing::warn!(%err, "cannot start a thread to end a recorded track");
                self.list[index].end();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
/// A `RecorderEndpoint`'s own parts.
pub struct Recorder {
    uri: String,
    shared: Arc<Shared>,
    /// The tracks of the profile.
    tracks: Arc<Tracks>,
    bin: gst::glib::WeakRef<gst::Bin>,
}

/// Creates a recorder from `{uri, mediaProfile?, stopOnEndOfStream?}`.
pub fn create(name: &str, params: &Map<String, Json>) -> Result<ElementMedia, RpcError> {
    let uri = string_arg(params, "uri")?;
    let target = target(uri)?;
    let profile = optional_string(params, "mediaProfile")?.unwrap_or("WEBM");
    let Some(&(_, container, kinds)) = PROFILES.iter().find(|(name, ..)| *name == profile) else {
        let names: Vec<&str> = PROFILES.iter().map(|(name, ..)| *name).collect();
        return Err(RpcError::illegal_param(format!(
            "unsupported mediaProfile {profile}: use one of {}",
            names.join(", ")
        )));
    };
    let stop_on_eos = match params.get("stopOnEndOfStream") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(value)) => *value,
        Some(other) => {
            return Err(RpcError::illegal_param(format!(
                "stopOnEndOfStream must be a boolean, not {other}"
            )));
        }
    };
    build(name, uri, &target, (container, kinds), stop_on_eos)
        .map_err(|err| RpcError::unexpected(format!("{err:#}")))
}

/// Where a recording goes.
enum Target {
    /// A file, whose directory exists.
    File(std::path::PathBuf),
    /// An `http://` or `https://` URI, uploaded to as it is made.
    Upload,
}

/// The target `uri` names: a `file://` URI in an existing directory, or an `http(s)://` one.
fn target(uri: &str) -> Result<Target, RpcError> {
    let scheme = uri
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if matches!(scheme.as_deref(), Some("http" | "https")) {
        return Ok(Target::Upload);
    }
    let path = gst::glib::filename_from_uri(uri)
        .ok()
        .filter(|_| scheme.as_deref() == Some("file"))
        .map(|(path, _)| path)
        .ok_or_else(|| {
            RpcError::illegal_param(format!(
                "RecorderEndpoint records to file://, http:// and https:// URIs, not {uri}"
            ))
        })?;
    if let Some(dir) = path.parent().filter(|dir| !dir.is_dir()) {
        return Err(RpcError::uri_not_found(format!(
            "cannot record to {uri}: no directory {}",
            dir.display()
        )));
    }
    Ok(Target::File(path))
}

/// The codec of the `kind` track in `container` that arrives encoded from a WebRtcEndpoint
/// and so may pass as it is; `None` for AAC, which none sends.
fn codec(container: Container, kind: MediaKind) -> Option<Codec> {
    match (container, kind) {
        (Container::Webm, MediaKind::Video) => Some(Codec::Vp8),
        (Container::Webm, MediaKind::Audio) => Some(Codec::Opus),
        (Container::Mp4, MediaKind::Video) => Some(Codec::H264),
        (Container::Mp4, MediaKind::Audio) => None,
    }
}

/// The last element of a track's branch, linked to the muxer once the track is in the file.
/// Until then its output is unlinked, so it must not let an encoder before it pick a format
/// the muxer refuses: H.264 goes through a parser, which converts to the muxer's choice.
fn join(container: Container, kind: MediaKind) -> Result<gst::Element> {
    match (container, kind) {
        (Container::Mp4, MediaKind::Video) => objects::make("h264parse"),
        _ => objects::make("identity"),
    }
}

/// The encoder of `kind` for `container`, preceded by its converters.
fn encoding(container: Container, kind: MediaKind) -> Result<Vec<gst::Element>> {
    let make = objects::make;
    Ok(match (container, kind) {
        (Container::Mp4, MediaKind::Video) => {
            let x264 = make("x264enc").context("MP4 recording needs gstreamer1.0-plugins-ugly")?;
            x264.set_property_from_str("speed-preset", "ultrafast");
            x264.set_property_from_str("tune", "zerolatency");
            vec![make("videoconvert")?, x264]
        }
        (Container::Webm, MediaKind::Video) => {
            let vp8 = make("vp8enc")?;
            // Real time, and enough bits that the picture survives for checks and viewers.
            vp8.set_property("deadline", 1i64);
            vp8.set_property("target-bitrate", 2_000_000i32);
            vec![make("videoconvert")?, vp8]
        }
        (container, MediaKind::Audio) => {
            let encoder = match container {
                Container::Mp4 => {
                    make("avenc_aac").context("MP4 audio needs gstreamer1.0-libav")?
                }
                Container::Webm => make("opusenc")?,
            };
            vec![make("audioconvert")?, make("audioresample")?, encoder]
        }
    })
}

/// The muxer of `container`; `upload` when its output cannot be sought back into.
fn muxer(container: Container, upload: bool) -> Result<gst::Element> {
    Ok(match container {
        Container::Mp4 => {
            let mp4 = objects::make("mp4mux")?;
            // The index goes first, written at the end from a temporary file, as KMS does.
            mp4.set_property("faststart", upload);
            mp4
        }
        Container::Webm => {
            let webm = objects::make("webmmux")?;
            // The first recorded frame is at time 0 even when the source started long before.
            webm.set_property("offset-to-zero", true);
            webm.set_property("streamable", upload);
            webm
        }
    })
}

/// The `Content-Type` of `container`'s files.
fn content_type(container: Container) -> &'static str {
    match container {
        Container::Webm => "video/webm",
        Container::Mp4 => "video/mp4",
    }
}

fn build(
    name: &str,
    uri: &str,
    target: &Target,
    (container, kinds): (Container, &[MediaKind]),
    stop_on_eos: bool,
) -> Result<ElementMedia> {
    let mut media = objects::element_bin(name, Vec::new(), true)?;
    for kind in MediaKind::ALL {
        media.port_mut(kind).takes_encoded = true;
    }
    let bin = media.bin.clone();
    let muxer = muxer(container, matches!(target, Target::Upload))?;
    let shared = Arc::new(Shared::default());
    // The muxer's inputs are linked when the tracks are decided.
    // No preroll (the pipeline is already playing) and no clock wait: the source paces.
    let (sink, upload) = match target {
        Target::File(path) => {
            let sink = gst::ElementFactory::make("filesink")
                .property("location", path)
                .build()
                .context("GStreamer element filesink is missing")?;
            (sink, None)
        }
        Target::Upload => {
            let sink = gst::ElementFactory::make("fakesink")
                .property("signal-handoffs", true)
                .build()
                .context("GStreamer element fakesink is missing")?;
            let (done, bin_weak) = (Arc::clone(&shared), bin.downgrade());
            let upload = Upload::new(
                uri,
                content_type(container),
                &bin,
                Box::new(move || stopped(&done, &bin_weak)),
            );
            let writer = Arc::clone(&upload);
            sink.connect("handoff", false, move |args| {
                if let Some(buffer) = args.get(1).and_then(|v| v.get::<gst::Buffer>().ok())
                    && let Ok(map) = buffer.map_readable()
                {
                    writer.write(&map);
                }
                None
            });
            (sink, Some(upload))
        }
    };
    sink.set_property("async", false);
    sink.set_property("sync", false);
    bin.add_many([&muxer, &sink])?;
    muxer.link(&sink)?;
    let mut tracks = Vec::new();
    let mut outputs = Vec::new();
    for &kind in kinds {
        let encoder = encoding(container, kind)?;
        let join = join(container, kind)?;
        bin.add_many(&encoder)?;
        bin.add(&join)?;
        gst::Element::link_many(&encoder)?;
        let output = media
            .port(kind)
            .tee
            .request_pad_simple("src_%u")
            .context("cannot add a recording branch")?;
        let join_input = join.static_pad("sink").context("no sink pad")?;
        let input = EncodingInput::new(
            &bin,
            output.clone(),
            &encoder,
            join_input,
            codec(container, kind),
        )?;
        outputs.push(output.clone());
        tracks.push(Track {
            kind,
            source: output,
            join,
            input,
            has_data: AtomicBool::new(false),
            unfed: AtomicBool::new(false),
            included: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        });
    }
    let tracks = Arc::new(Tracks {
        muxer,
        list: tracks,
    });
    for (index, output) in outputs.into_iter().enumerate() {
        let (gate, gated) = (Arc::clone(&shared), Arc::clone(&tracks));
        output.add_probe(
            gst::PadProbeType::BUFFER
                | gst::PadProbeType::BUFFER_LIST
                | gst::PadProbeType::EVENT_DOWNSTREAM,
            move |pad, info| gate_branch(&gate, &gated, index, pad, info, stop_on_eos),
        );
    }
    let done = Arc::clone(&shared);
    let bin_weak = bin.downgrade();
    let sink_input = sink.static_pad("sink").context("sink without sink pad")?;
    sink_input.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        if info
            .event()
            .is_some_and(|e| e.type_() == gst::EventType::Eos)
        {
            // A file is complete now; an upload once the server has answered.
            match &upload {
                Some(upload) => upload.end(),
                None => stopped(&done, &bin_weak),
            }
        }
        gst::PadProbeReturn::Ok
    });
    let mut media = media;
    media.behaviour = Some(Box::new(Recorder {
        uri: uri.to_string(),
        shared,
        tracks,
        bin: bin.downgrade(),
    }));
    Ok(media)
}

/// The recording is complete: `Stopped`, and `stopAndWait` answers.
fn stopped(shared: &Shared, bin: &gst::glib::WeakRef<gst::Bin>) {
    *shared.lock() = Phase::Stopped;
    shared.stopped.notify_all();
    if let Some(bin) = bin.upgrade() {
        post_event(&bin, "Stopped", &Map::new());
    }
}

/// Passes buffers of track `index` only while recording and the track is in the file, and
/// none after its end; an upstream end of stream ends the track only when
/// `stopOnEndOfStream` was asked for and recording has begun. The first buffers wait until
/// the tracks are decided.
fn gate_branch(
    shared: &Arc<Shared>,
    tracks: &Arc<Tracks>,
    index: usize,
    pad: &gst::Pad,
    info: &gst::PadProbeInfo,
    stop_on_eos: bool,
) -> gst::PadProbeReturn {
    let track = &tracks.list[index];
    let phase = shared.lock();
    let current = *phase;
    match info.event() {
        Some(event) if event.type_() == gst::EventType::Eos => {
            drop(phase);
            // An end of stream that must not reach the muxer is `Handled`, not `Drop`: with
            // `Drop`, gstreamer-rs has already taken the event and GStreamer unrefs NULL.
            if current == Phase::Stopping {
                // Stopping waited for this track's last frames: they have all come.
                track.end();
                return gst::PadProbeReturn::Handled;
            }
            if !(stop_on_eos && matches!(current, Phase::Recording | Phase::Paused)) {
                return gst::PadProbeReturn::Handled;
            }
            tracks.decide(shared);
            if !track.included.load(Ordering::SeqCst) || track.ended.swap(true, Ordering::SeqCst) {
                return gst::PadProbeReturn::Handled;
            }
            let all_ended = tracks.list.iter().all(|track| {
                !track.included.load(Ordering::SeqCst) || track.ended.load(Ordering::SeqCst)
            });
            if all_ended {
                *shared.lock() = Phase::Stopping;
            }
            gst::PadProbeReturn::Ok
        }
        Some(_) => gst::PadProbeReturn::Ok,
        None if current == Phase::Stopping
            && track.included.load(Ordering::SeqCst)
            && !track.ended.load(Ordering::SeqCst) =>
        {
            drop(phase);
            let stop_at = shared.stop_at.load(Ordering::SeqCst);
            if running_time(pad, info).is_some_and(|time| time.nseconds() < stop_at) {
                gst::PadProbeReturn::Ok
            } else {
                track.end();
                gst::PadProbeReturn::Drop
            }
        }
        None if current == Phase::Recording && !track.ended.load(Ordering::SeqCst) => {
            drop(phase);
            if !track.has_data.load(Ordering::SeqCst) && track.waits_for_key_frame(info) {
                return gst::PadProbeReturn::Drop;
            }
            track.has_data.store(true, Ordering::SeqCst);
            if tracks.all_fed_have_data() {
                tracks.decide(shared);
            } else if !shared.started.swap(true, Ordering::SeqCst) {
                decide_later(pad, shared, tracks);
            }
            wait_for_decision(shared);
            if track.included.load(Ordering::SeqCst) {
                gst::PadProbeReturn::Ok
            } else {
                gst::PadProbeReturn::Drop
            }
        }
        None => gst::PadProbeReturn::Drop,
    }
}

/// The running time of the buffer `info` holds on `pad`.
fn running_time(pad: &gst::Pad, info: &gst::PadProbeInfo) -> Option<gst::ClockTime> {
    let buffer = match info.data.as_ref()? {
        gst::PadProbeData::Buffer(buffer) => buffer.as_ref(),
        gst::PadProbeData::BufferList(list) => list.get(0)?,
        _ => return None,
    };
    let segment = pad.sticky_event::<gst::event::Segment>(0)?;
    let segment = segment.segment().downcast_ref::<gst::ClockTime>()?.clone();
    segment.to_running_time(buffer.pts()?)
}

/// Blocks a streaming thread until the tracks are decided (at most twice the window).
fn wait_for_decision(shared: &Shared) {
    let decided = shared.decided.lock().unwrap_or_else(|p| p.into_inner());
    let waited = shared
        .decision
        .wait_timeout_while(decided, TRACK_WINDOW * 2, |decided| !*decided);
    if waited.is_ok_and(|(_, timeout)| timeout.timed_out()) {
        tracing::warn!("the recorded tracks were not decided in time");
    }
}

/// Decides the tracks [`TRACK_WINDOW`] from now on the pipeline clock.
fn decide_later(pad: &gst::Pad, shared: &Arc<Shared>, tracks: &Arc<Tracks>) {
    let clock = pad
        .parent_element()
        .and_then(|element| element.clock())
        .unwrap_or_else(gst::SystemClock::obtain);
    let deadline = clock.time() + gst::ClockTime::try_from(TRACK_WINDOW).unwrap_or_default();
    let (shared, tracks) = (Arc::clone(shared), Arc::clone(tracks));
    let alarm = clock.new_single_shot_id(deadline);
    if let Err(err) = alarm.wait_async(move |_, _, _| tracks.decide(&shared)) {
        tracing::warn!(?err, "cannot schedule the decision on the recorded tracks");
    }
}

impl Behaviour for Recorder {
    /// `record`, `pause`, `stop`, `stopAndWait`, `getUri`, `getState`; `media` is the
    /// recorder's own element.
    fn operation(
        &self,
        media: &ElementMedia,
        operation: &str,
        _args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        let result = match operation {
            "record" | "pause" => self.record_or_pause(media, operation == "record"),
            "stop" => self.stop().map(|_| Outcome::Value(Json::Null)),
            "stopAndWait" => self.stop().map(|shared| {
                Outcome::Later(Box::new(move || wait_stopped(&shared).map(|_| Json::Null)))
            }),
            "getUri" => Ok(Outcome::Value(json!(self.uri))),
            "getState" => {
                let state = match *self.shared.lock() {
                    Phase::Recording => "START",
                    Phase::Paused => "PAUSE",
                    _ => "STOP",
                };
                Ok(Outcome::Value(json!(state)))
            }
            _ => return None,
        };
        Some(result)
    }

    /// Finalises a recording still under way, as KMS does when a recorder is released: the
    /// file is complete (or the wait timed out) when this returns. A recording never
    /// started or already stopped is left as it is.
    fn finish(&self) {
        if matches!(*self.shared.lock(), Phase::Recording | Phase::Paused)
            && let Ok(shared) = self.stop()
            && let Err(error) = wait_stopped(&shared)
        {
            tracing::warn!(
                uri = self.uri,
                error = error.message,
                "a released recording"
            );
        }
    }
}

impl Recorder {
    fn record_or_pause(&self, media: &ElementMedia, record: bool) -> Result<Outcome, RpcError> {
        let mut phase = self.shared.lock();
        match *phase {
            Phase::Stopping | Phase::Stopped => {
                return Err(RpcError::illegal_param(
                    "this recording has stopped: create another RecorderEndpoint to record again",
                ));
            }
            current => {
                let (next, event) = if record {
                    (Phase::Recording, "Recording")
                } else {
                    (Phase::Paused, "Paused")
                };
                if current != next {
                    *phase = next;
                    if record && current == Phase::Idle {
                        self.mark_unfed_tracks(media);
                        // Video passing as it is starts at a key frame: ask for one now.
                        if let Some(input) = &media.video.input {
                            objects::request_key_frame(input);
                        }
                    }
                    if let Some(bin) = self.bin.upgrade() {
                        post_event(&bin, event, &Map::new());
                    }
                }
            }
        }
        Ok(Outcome::Value(Json::Null))
    }

    /// At the start of a recording, a track of the profile that nothing feeds (video only
    /// connected to a WEBM recorder) is not waited for.
    fn mark_unfed_tracks(&self, media: &ElementMedia) {
        for track in &self.tracks.list {
            let unfed = media.port(track.kind).source.is_none();
            track.unfed.store(unfed, Ordering::SeqCst);
        }
    }

    /// Ends the recording: the end of stream goes through the muxer to the file.
    fn stop(&self) -> Result<Arc<Shared>, RpcError> {
        let mut phase = self.shared.lock();
        let previous = *phase;
        if matches!(previous, Phase::Idle | Phase::Recording | Phase::Paused) {
            let now = self.running_time();
            self.shared
                .stop_at
                .store(now.map_or(0, |time| time.nseconds()), Ordering::SeqCst);
            *phase = Phase::Stopping;
            drop(phase);
            self.tracks.decide(&self.shared);
            if previous != Phase::Recording || now.is_none() {
                self.tracks.end();
            } else {
                // Frames from before the call, queued here or still upstream (in a filter),
                // go to the file: the gate ends each track at its first later frame or at
                // its end of stream, and a source that went quiet at the deadline.
                self.end_tracks_later();
            }
        }
        Ok(Arc::clone(&self.shared))
    }

    /// The pipeline's running time now.
    fn running_time(&self) -> Option<gst::ClockTime> {
        let bin = self.bin.upgrade()?;
        let clock = bin.clock()?;
        clock.time().checked_sub(bin.base_time()?)
    }

    /// Ends, [`QUIET_SOURCE`] from now, the tracks whose source sent nothing more (a paused
    /// player), so that the file is finalised anyway.
    fn end_tracks_later(&self) {
        let clock = self
            .bin
            .upgrade()
            .and_then(|bin| bin.clock())
            .unwrap_or_else(gst::SystemClock::obtain);
        let tracks = Arc::clone(&self.tracks);
        let quiet = gst::ClockTime::try_from(QUIET_SOURCE).unwrap_or(gst::ClockTime::SECOND);
        let alarm = clock.new_single_shot_id(clock.time() + quiet);
        if let Err(err) = alarm.wait_async(move |_, _, _| tracks.end()) {
            tracing::warn!(?err, "cannot schedule the end of a recording");
            self.tracks.end();
        }
    }
}

/// Blocks until the file is complete, for `stopAndWait`.
fn wait_stopped(shared: &Shared) -> Result<(), RpcError> {
    let phase = shared.lock();
    let (phase, timeout) = shared
        .stopped
        .wait_timeout_while(phase, STOP_TIMEOUT, |phase| *phase != Phase::Stopped)
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if timeout.timed_out() && *phase != Phase::Stopped {
        return Err(RpcError::unexpected(format!(
            "the recording was not finalised within {} s",
            STOP_TIMEOUT.as_secs()
        )));
    }
    Ok(())
}
