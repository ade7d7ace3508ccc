//! `RecorderEndpoint(mediaPipeline, uri, mediaProfile?, stopOnEndOfStream?)`: writes the audio
//! and video it receives to a file, from `record` until `stop`.
//!
//! The bin has the two ports of every element, plus one recording branch per track of the
//! profile on its port's tee: `videoconvert ! encoder` or `audioconvert ! audioresample !
//! encoder`, both into one `muxer ! filesink`. A probe on each branch drops buffers while not
//! recording and decides what an upstream end of stream does; `stop` sends the end of stream
//! into the branches themselves, so the muxer finalises the file (an MP4 index, WebM cues)
//! and a probe on the file sink sees it arrive there: then the file is complete.
//!
//! A muxer waits for every track before it writes anything, so a track that brings nothing
//! (a video-only clip on a profile with audio) would hold the other one back forever: once
//! one track has data, a track still without any [`SILENT_TRACK`] later is ended.

use super::super::objects::{self, ElementMedia, MediaKind, post_event};
use super::super::rpc::RpcError;
use super::{Endpoint, Outcome, optional_string, string_arg};
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The recorder's own events.
pub const EVENTS: &[&str] = &["Recording", "Paused", "Stopped"];

/// How long `stopAndWait` waits for the file to be finalised.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long after the first data of a recording a track without data of its own is ended.
const SILENT_TRACK: Duration = Duration::from_millis(500);

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
    /// Set at the first recorded buffer, when the silent tracks' deadline starts.
    started: AtomicBool,
}

/// One track of the file.
struct Track {
    /// What the track holds.
    kind: MediaKind,
    /// The branch's input, where the end of stream is sent.
    branch: gst::Pad,
    /// Whether a buffer of this track was recorded.
    has_data: AtomicBool,
    /// Whether the end of stream went into the branch: nothing more may follow it.
    ended: AtomicBool,
}

impl Track {
    /// Ends the track once: the muxer then stops waiting for it.
    fn end(&self) {
        if !self.ended.swap(true, Ordering::SeqCst) {
            self.branch.send_event(gst::event::Eos::new());
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
    tracks: Arc<Vec<Track>>,
    bin: gst::glib::WeakRef<gst::Bin>,
}

/// Creates a recorder from `{uri, mediaProfile?, stopOnEndOfStream?}`.
pub fn create(name: &str, params: &Map<String, Json>) -> Result<ElementMedia, RpcError> {
    let uri = string_arg(params, "uri")?;
    let path = gst::glib::filename_from_uri(uri)
        .ok()
        .filter(|_| uri.starts_with("file://"))
        .map(|(path, _)| path)
        .ok_or_else(|| {
            RpcError::illegal_param(format!(
                "RecorderEndpoint records to file:// URIs only, not {uri}"
            ))
        })?;
    if let Some(dir) = path.parent().filter(|dir| !dir.is_dir()) {
        return Err(RpcError::uri_not_found(format!(
            "cannot record to {uri}: no directory {}",
            dir.display()
        )));
    }
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
    build(name, uri, &path, (container, kinds), stop_on_eos)
        .map_err(|err| RpcError::unexpected(format!("{err:#}")))
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

/// The muxer of `container`.
fn muxer(container: Container) -> Result<gst::Element> {
    Ok(match container {
        Container::Mp4 => objects::make("mp4mux")?,
        Container::Webm => {
            let webm = objects::make("webmmux")?;
            // The first recorded frame is at time 0 even when the source started long before.
            webm.set_property("offset-to-zero", true);
            webm
        }
    })
}

fn build(
    name: &str,
    uri: &str,
    path: &std::path::Path,
    (container, kinds): (Container, &[MediaKind]),
    stop_on_eos: bool,
) -> Result<ElementMedia> {
    let media = objects::element_bin(name, Vec::new(), true)?;
    let bin = media.bin.clone();
    let muxer = muxer(container)?;
    // No preroll (the pipeline is already playing) and no clock wait: the source paces.
    let filesink = gst::ElementFactory::make("filesink")
        .property("location", path)
        .property("async", false)
        .property("sync", false)
        .build()
        .context("GStreamer element filesink is missing")?;
    bin.add_many([&muxer, &filesink])?;
    muxer.link(&filesink)?;
    let shared = Arc::new(Shared::default());
    let mut tracks = Vec::new();
    let mut outputs = Vec::new();
    for &kind in kinds {
        let branch = encoding(container, kind)?;
        bin.add_many(&branch)?;
        gst::Element::link_many(&branch)?;
        let last = branch.last().context("an empty recording branch")?;
        last.link(&muxer)
            .with_context(|| format!("{} cannot take this track", muxer.name()))?;
        let output = media
            .port(kind)
            .tee
            .request_pad_simple("src_%u")
            .context("cannot add a recording branch")?;
        let input = branch[0]
            .static_pad("sink")
            .context("converter without sink")?;
        output.link(&input)?;
        outputs.push(output);
        tracks.push(Track {
            kind,
            branch: input,
            has_data: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        });
    }
    let tracks = Arc::new(tracks);
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
    let file_input = filesink
        .static_pad("sink")
        .context("filesink without sink")?;
    file_input.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        if info
            .event()
            .is_some_and(|e| e.type_() == gst::EventType::Eos)
        {
            *done.lock() = Phase::Stopped;
            done.stopped.notify_all();
            if let Some(bin) = bin_weak.upgrade() {
                post_event(&bin, "Stopped", &Map::new());
            }
        }
        gst::PadProbeReturn::Ok
    });
    let mut media = media;
    media.endpoint = Endpoint::Recorder(Recorder {
        uri: uri.to_string(),
        shared,
        tracks,
        bin: bin.downgrade(),
    });
    Ok(media)
}

/// Passes buffers of track `index` only while recording, and none after its end; an
/// upstream end of stream ends the track only when `stopOnEndOfStream` was asked for and
/// recording has begun. The first recorded buffer starts the deadline of silent tracks.
fn gate_branch(
    shared: &Arc<Shared>,
    tracks: &Arc<Vec<Track>>,
    index: usize,
    pad: &gst::Pad,
    info: &gst::PadProbeInfo,
    stop_on_eos: bool,
) -> gst::PadProbeReturn {
    let track = &tracks[index];
    let mut phase = shared.lock();
    let current = *phase;
    match info.event() {
        Some(event) if event.type_() == gst::EventType::Eos => {
            if stop_on_eos
                && matches!(current, Phase::Recording | Phase::Paused)
                && !track.ended.swap(true, Ordering::SeqCst)
            {
                if tracks
                    .iter()
                    .all(|track| track.ended.load(Ordering::SeqCst))
                {
                    *phase = Phase::Stopping;
                }
                gst::PadProbeReturn::Ok
            } else {
                gst::PadProbeReturn::Drop
            }
        }
        Some(_) => gst::PadProbeReturn::Ok,
        None if current == Phase::Recording && !track.ended.load(Ordering::SeqCst) => {
            track.has_data.store(true, Ordering::SeqCst);
            if !shared.started.swap(true, Ordering::SeqCst) {
                end_silent_tracks_later(pad, tracks);
            }
            gst::PadProbeReturn::Ok
        }
        None => gst::PadProbeReturn::Drop,
    }
}

/// Ends, [`SILENT_TRACK`] from now on the pipeline clock, the tracks that have had no data.
fn end_silent_tracks_later(pad: &gst::Pad, tracks: &Arc<Vec<Track>>) {
    if tracks.len() < 2 {
        return;
    }
    let clock = pad
        .parent_element()
        .and_then(|element| element.clock())
        .unwrap_or_else(gst::SystemClock::obtain);
    let deadline = clock.time() + gst::ClockTime::try_from(SILENT_TRACK).unwrap_or_default();
    let tracks = Arc::clone(tracks);
    let alarm = clock.new_single_shot_id(deadline);
    let scheduled = alarm.wait_async(move |_, _, _| {
        for track in tracks.iter() {
            if !track.has_data.load(Ordering::SeqCst) {
                tracing::debug!("a recorded track without data is ended");
                track.end();
            }
        }
    });
    if let Err(err) = scheduled {
        tracing::warn!(?err, "cannot schedule the end of silent tracks");
    }
}

impl Recorder {
    /// `record`, `pause`, `stop`, `stopAndWait`, `getUri`, `getState`; `media` is the
    /// recorder's own element.
    pub fn operation(
        &self,
        media: &ElementMedia,
        operation: &str,
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
                        self.end_unconnected_tracks(media);
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
    /// connected to a WEBM recorder) is left out of the file instead of holding it back.
    fn end_unconnected_tracks(&self, media: &ElementMedia) {
        let connected = MediaKind::ALL.map(|kind| media.port(kind).source.is_some());
        if !connected.contains(&true) {
            return;
        }
        for track in self.tracks.iter() {
            if media.port(track.kind).source.is_none() {
                track.end();
            }
        }
    }

    /// Ends the recording: the end of stream goes through the muxer to the file.
    fn stop(&self) -> Result<Arc<Shared>, RpcError> {
        let mut phase = self.shared.lock();
        if matches!(*phase, Phase::Idle | Phase::Recording | Phase::Paused) {
            *phase = Phase::Stopping;
            drop(phase);
            // The gates drop every later buffer, and each branch's stream lock orders this
            // after any buffer already inside it.
            for track in self.tracks.iter() {
                track.end();
            }
        }
        Ok(Arc::clone(&self.shared))
    }

    /// Finalises a recording still under way, as KMS does when a recorder is released: the
    /// file is complete (or the wait timed out) when this returns. A recording never
    /// started or already stopped is left as it is.
    pub fn finish(&self) {
        if matches!(*self.shared.lock(), Phase::Recording | Phase::Paused)
            && let Ok(shared) = self.stop()
        {
            let _ = wait_stopped(&shared);
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
