//! `RecorderEndpoint(mediaPipeline, uri, mediaProfile?, stopOnEndOfStream?)`: writes the video
//! it receives to a file, from `record` until `stop`.
//!
//! The bin is `queue ! tee` like every element, plus a recording branch on one tee output:
//! `videoconvert ! encoder ! muxer ! filesink`. A probe on that output drops buffers while
//! not recording and decides what an upstream end of stream does; `stop` sends the end of
//! stream into the branch itself, so the muxer finalises the file (an MP4 index, WebM cues)
//! and a probe on the file sink sees it arrive there: then the file is complete.

use super::super::objects::{self, ElementMedia, post_event};
use super::super::rpc::RpcError;
use super::{Endpoint, Outcome, optional_string, string_arg};
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The recorder's own events.
pub const EVENTS: &[&str] = &["Recording", "Paused", "Stopped"];

/// How long `stopAndWait` waits for the file to be finalised.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Kurento's `MediaProfileSpecType` values this recorder writes; all are video only.
const PROFILES: &[&str] = &["WEBM", "WEBM_VIDEO_ONLY", "MP4", "MP4_VIDEO_ONLY"];

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
    /// The recording branch's input, where `stop` sends the end of stream.
    branch: gst::Pad,
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
    if !PROFILES.contains(&profile) {
        return Err(RpcError::illegal_param(format!(
            "unsupported mediaProfile {profile}: use one of {} (video only)",
            PROFILES.join(", ")
        )));
    }
    let stop_on_eos = match params.get("stopOnEndOfStream") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(value)) => *value,
        Some(other) => {
            return Err(RpcError::illegal_param(format!(
                "stopOnEndOfStream must be a boolean, not {other}"
            )));
        }
    };
    build(name, uri, &path, profile.starts_with("MP4"), stop_on_eos)
        .map_err(|err| RpcError::unexpected(format!("{err:#}")))
}

fn make(factory: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .with_context(|| format!("GStreamer element {factory} is missing"))
}

/// `videoconvert ! encoder ! muxer`: VP8 in WebM, or H.264 in MP4.
fn encoding(mp4: bool) -> Result<Vec<gst::Element>> {
    let encoder = if mp4 {
        let x264 = make("x264enc").context("MP4 recording needs gstreamer1.0-plugins-ugly")?;
        x264.set_property_from_str("speed-preset", "ultrafast");
        x264.set_property_from_str("tune", "zerolatency");
        x264
    } else {
        let vp8 = make("vp8enc")?;
        // Real time, and enough bits that the picture survives for checks and viewers.
        vp8.set_property("deadline", 1i64);
        vp8.set_property("target-bitrate", 2_000_000i32);
        vp8
    };
    let muxer = if mp4 {
        make("mp4mux")?
    } else {
        let webm = make("webmmux")?;
        // The first recorded frame is at time 0 even when the source started long before.
        webm.set_property("offset-to-zero", true);
        webm
    };
    Ok(vec![make("videoconvert")?, encoder, muxer])
}

fn build(
    name: &str,
    uri: &str,
    path: &std::path::Path,
    mp4: bool,
    stop_on_eos: bool,
) -> Result<ElementMedia> {
    let (bin, tee, sink) = objects::element_bin(name, Vec::new(), true)?;
    let mut branch = encoding(mp4)?;
    // No preroll (the pipeline is already playing) and no clock wait: the source paces.
    let filesink = gst::ElementFactory::make("filesink")
        .property("location", path)
        .property("async", false)
        .property("sync", false)
        .build()
        .context("GStreamer element filesink is missing")?;
    branch.push(filesink.clone());
    bin.add_many(&branch)?;
    gst::Element::link_many(&branch)?;
    let output = tee
        .request_pad_simple("src_%u")
        .context("cannot add the recording branch")?;
    let input = branch[0]
        .static_pad("sink")
        .context("videoconvert without sink")?;
    output.link(&input)?;

    let shared = Arc::new(Shared::default());
    let gate = Arc::clone(&shared);
    output.add_probe(
        gst::PadProbeType::BUFFER
            | gst::PadProbeType::BUFFER_LIST
            | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| gate_branch(&gate, info, stop_on_eos),
    );
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
    let mut media = objects::element_media(bin.clone(), tee, sink);
    media.endpoint = Endpoint::Recorder(Recorder {
        uri: uri.to_string(),
        shared,
        branch: input,
        bin: bin.downgrade(),
    });
    Ok(media)
}

/// Passes buffers only while recording; an upstream end of stream finalises the file only
/// when `stopOnEndOfStream` was asked for and recording has begun.
fn gate_branch(
    shared: &Shared,
    info: &gst::PadProbeInfo,
    stop_on_eos: bool,
) -> gst::PadProbeReturn {
    let mut phase = shared.lock();
    let current = *phase;
    match info.event() {
        Some(event) if event.type_() == gst::EventType::Eos => {
            if stop_on_eos && matches!(current, Phase::Recording | Phase::Paused) {
                *phase = Phase::Stopping;
                gst::PadProbeReturn::Ok
            } else {
                gst::PadProbeReturn::Drop
            }
        }
        Some(_) => gst::PadProbeReturn::Ok,
        None if current == Phase::Recording => gst::PadProbeReturn::Ok,
        None => gst::PadProbeReturn::Drop,
    }
}

impl Recorder {
    /// `record`, `pause`, `stop`, `stopAndWait`, `getUri`, `getState`.
    pub fn operation(&self, operation: &str) -> Option<Result<Outcome, RpcError>> {
        let result = match operation {
            "record" | "pause" => self.record_or_pause(operation == "record"),
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

    fn record_or_pause(&self, record: bool) -> Result<Outcome, RpcError> {
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
                    if let Some(bin) = self.bin.upgrade() {
                        post_event(&bin, event, &Map::new());
                    }
                }
            }
        }
        Ok(Outcome::Value(Json::Null))
    }

    /// Ends the recording: the end of stream goes through the muxer to the file.
    fn stop(&self) -> Result<Arc<Shared>, RpcError> {
        let mut phase = self.shared.lock();
        if matches!(*phase, Phase::Idle | Phase::Recording | Phase::Paused) {
            *phase = Phase::Stopping;
            drop(phase);
            // The gate drops every later buffer, and the branch's stream lock orders this
            // after any buffer already inside it.
            self.branch.send_event(gst::event::Eos::new());
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
