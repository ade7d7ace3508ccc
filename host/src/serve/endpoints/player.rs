//! `PlayerEndpoint(mediaPipeline, uri, networkCache?)`: decodes a file or a stream in real time.
//!
//! The bin is `uridecodebin`, then `videoconvert ! clocksync ! tee` for the video and
//! `audioconvert ! audioresample ! clocksync ! tee` for the audio, kept in a locked state so
//! the pipeline never starts it: `play` does. Kurento players are live sources, so the
//! `clocksync`s pace buffers on the pipeline clock from the moment `play` is called (the
//! bin's base time), instead of decoding as fast as the machine allows; both share that base
//! time, which keeps audio and video in sync.

use super::super::objects::{self, ElementMedia, MediaKind, post_event};
use super::super::objects::{Behaviour, Outcome};
use super::super::rpc::RpcError;
use super::string_arg;
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The player's own events.
pub const EVENTS: &[&str] = &["EndOfStream"];

/// How many milliseconds of an RTSP stream are buffered when `networkCache` is not given:
/// Kurento's default, which is also rtspsrc's.
const NETWORK_CACHE: u32 = 2000;

/// URI schemes the player accepts; `uridecodebin` reads each of them.
const SCHEMES: &[&str] = &["file", "http", "https", "rtsp", "rtsps", "rtspt"];

/// Where a player is.
#[derive(Clone, Copy, PartialEq)]
enum Play {
    Stopped,
    Paused,
    Playing,
}

/// A `PlayerEndpoint`'s own parts.
pub struct Player {
    uri: String,
    /// Pace the decoded audio and video on the pipeline clock.
    clocksyncs: [gst::Element; 2],
    /// The converter's input, where duration and seeking are asked.
    decoded: gst::Pad,
    /// The stream time in nanoseconds of the end of the latest frame that left the player:
    /// its position. Asking the decoder instead would answer ahead, by what its queues hold.
    played: Arc<AtomicU64>,
    state: Mutex<Play>,
}

/// Creates a player from `{uri, networkCache?}`: a URI of [`SCHEMES`], or a path to an
/// existing file, and the milliseconds of an RTSP stream to buffer.
pub fn create(name: &str, params: &Map<String, Json>) -> Result<ElementMedia, RpcError> {
    let uri = uri_of(string_arg(params, "uri")?)?;
    let network_cache = match params.get("networkCache") {
        None | Some(Json::Null) => NETWORK_CACHE,
        Some(value) => value
            .as_u64()
            .and_then(|millis| u32::try_from(millis).ok())
            .ok_or_else(|| {
                RpcError::illegal_param(format!(
                    "networkCache must be a number of milliseconds, not {value}"
                ))
            })?,
    };
    build(name, &uri, network_cache).map_err(|err| RpcError::unexpected(format!("{err:#}")))
}

/// The URI to decode: URIs of a known scheme as given, existing file paths as `file://` URIs.
fn uri_of(given: &str) -> Result<String, RpcError> {
    if let Some((scheme, _)) = given.split_once("://") {
        if !SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(RpcError::illegal_param(format!(
                "unsupported URI scheme {scheme} in {given}: use one of {}",
                SCHEMES.join(", ")
            )));
        }
        return Ok(given.to_string());
    }
    let path = std::path::Path::new(given);
    let absolute = path
        .canonicalize()
        .ok()
        .filter(|path| path.is_file())
        .ok_or_else(|| RpcError::uri_not_found(format!("no file at {given}")))?;
    gst::glib::filename_to_uri(&absolute, None)
        .map(|uri| uri.to_string())
        .map_err(|err| RpcError::illegal_param(format!("{given} has no file URI: {err}")))
}

fn build(name: &str, uri: &str, network_cache: u32) -> Result<ElementMedia> {
    let decoder = gst::ElementFactory::make("uridecodebin")
        .property("uri", uri)
        .property(
            "caps",
            "video/x-raw(ANY); audio/x-raw(ANY)".parse::<gst::Caps>()?,
        )
        .property("expose-all-streams", false)
        .build()
        .context("GStreamer element uridecodebin is missing")?;
    // rtspsrc holds every packet for its `latency` to reorder them: Kurento's `networkCache`.
    decoder.connect("source-setup", false, move |args| {
        let source = args
            .get(1)
            .and_then(|value| value.get::<gst::Element>().ok());
        if let Some(source) = source.filter(|source| {
            source
                .factory()
                .is_some_and(|factory| factory.name() == "rtspsrc")
        }) {
            source.set_property("latency", network_cache);
        }
        None
    });
    let decoding = Decoding::new(name, &[decoder])?;
    let played = Arc::new(AtomicU64::new(0));
    let stamp = Arc::clone(&played);
    let paced = decoding.clocksyncs[1]
        .static_pad("src")
        .context("clocksync without src")?;
    paced.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let segment = pad.sticky_event::<gst::event::Segment>(0);
        let time = segment.as_ref().map(|s| s.segment()).and_then(|segment| {
            let segment = segment.downcast_ref::<gst::ClockTime>()?;
            let buffer = info.buffer()?;
            let end = buffer.pts()? + buffer.duration().unwrap_or_default();
            segment.to_stream_time(end)
        });
        if let Some(time) = time {
            stamp.store(time.nseconds(), Ordering::Relaxed);
        }
        gst::PadProbeReturn::Ok
    });
    let Decoding {
        mut media,
        clocksyncs,
        decoded,
    } = decoding;
    media.behaviour = Some(Box::new(Player {
        uri: uri.to_string(),
        clocksyncs,
        decoded,
        played,
        state: Mutex::new(Play::Stopped),
    }));
    Ok(media)
}

/// The decoding half of a player, shared with HttpPostEndpoint: `decoder`'s raw audio and
/// video through `audioconvert ! audioresample ! clocksync ! tee` and `videoconvert !
/// clocksync ! tee`, the end of every stream raised as `EndOfStream`, in a bin kept in a
/// locked state until [`start_paced`] starts it.
pub(super) struct Decoding {
    /// The bin, its ports, no behaviour yet.
    pub media: ElementMedia,
    /// Pace the decoded audio and video on the pipeline clock.
    pub clocksyncs: [gst::Element; 2],
    /// The video converter's input, where duration and seeking are asked.
    pub decoded: gst::Pad,
}

impl Decoding {
    /// Bin `name` around `decoders`, elements whose `pad-added` brings raw streams.
    pub fn new(name: &str, decoders: &[gst::Element]) -> Result<Self> {
        let bin = gst::Bin::builder().name(name).build();
        let video_clock = objects::make("clocksync")?;
        let audio_clock = objects::make("clocksync")?;
        let video_convert = objects::make("videoconvert")?;
        let audio_convert = objects::make("audioconvert")?;
        let video_inner = vec![video_convert.clone(), video_clock.clone()];
        let audio_inner = vec![
            audio_convert.clone(),
            objects::make("audioresample")?,
            audio_clock.clone(),
        ];
        let audio = objects::port(&bin, MediaKind::Audio, audio_inner, false)?;
        let video = objects::port(&bin, MediaKind::Video, video_inner, false)?;
        bin.add_many(decoders)?;
        let decoded = video_convert
            .static_pad("sink")
            .context("videoconvert without sink")?;
        let inputs = [
            (
                MediaKind::Audio,
                audio_convert
                    .static_pad("sink")
                    .context("audioconvert without sink")?,
            ),
            (MediaKind::Video, decoded.clone()),
        ]
        .map(|(kind, pad)| (kind, pad.downgrade()));
        // How many decoded streams were linked, and how many of them have ended.
        let streams = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        for decoder in decoders {
            let (inputs, linked) = (inputs.clone(), Arc::clone(&streams));
            decoder.connect_pad_added(move |_, pad| {
                let kind = pad
                    .current_caps()
                    .or_else(|| Some(pad.query_caps(None)))
                    .and_then(|caps| MediaKind::of_caps(&caps));
                let input = inputs
                    .iter()
                    .find(|(known, _)| Some(*known) == kind)
                    .and_then(|(_, input)| input.upgrade());
                // A second stream of a kind is left unlinked; a failed link shows as an
                // `Error` event.
                if let Some(sink) = input.filter(|sink| !sink.is_linked()) {
                    match pad.link(&sink) {
                        Ok(_) => {
                            linked.0.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(err) => tracing::warn!(?err, "cannot link a decoded stream"),
                    }
                }
            });
        }
        // The end of every stream becomes `EndOfStream`.
        for port in [&audio, &video] {
            let tee_sink = port.tee.static_pad("sink").context("tee without sink")?;
            let bin_weak = bin.downgrade();
            let ended = Arc::clone(&streams);
            tee_sink.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                let is_eos = info
                    .event()
                    .is_some_and(|e| e.type_() == gst::EventType::Eos);
                if is_eos
                    && ended.1.fetch_add(1, Ordering::Relaxed) + 1
                        == ended.0.load(Ordering::Relaxed)
                    && let Some(bin) = bin_weak.upgrade()
                {
                    post_event(&bin, "EndOfStream", &Map::new());
                }
                gst::PadProbeReturn::Ok
            });
        }
        // Stopped until started, even inside a playing pipeline.
        bin.set_locked_state(true);
        Ok(Self {
            media: ElementMedia::new(bin, audio, video),
            clocksyncs: [audio_clock, video_clock],
            decoded,
        })
    }
}

/// Starts `bin`, whose `clocksyncs` pace its output, so that the next frame's running time
/// (`resumed`, its position) falls on the clock's present: Kurento's live sources play in
/// real time from the moment they start.
pub(super) fn start_paced(bin: &gst::Bin, clocksyncs: &[gst::Element], resumed: gst::ClockTime) {
    let clock = bin
        .parent()
        .and_downcast::<gst::Pipeline>()
        .and_then(|pipeline| pipeline.clock())
        .unwrap_or_else(gst::SystemClock::obtain);
    let base = clock.time().saturating_sub(resumed);
    let elements = std::iter::once(bin.upcast_ref::<gst::Element>()).chain(clocksyncs);
    for element in elements {
        if let Err(error) = element.set_clock(Some(&clock)) {
            // The element keeps the pipeline's clock, which paces it the same way.
            tracing::debug!(%error, "the source kept its clock");
        }
        element.set_start_time(gst::ClockTime::NONE);
        element.set_base_time(base);
    }
    // A source that cannot be read shows up as an `Error` event, as on KMS.
    if let Err(error) = bin.set_state(gst::State::Playing) {
        tracing::debug!(%error, "the source did not start: its Error event says why");
    }
    // A live source (rtsp://) lets uridecodebin finish prerolling at once, inside the
    // bin's own READY to PAUSED step: the bin takes that for the end of the whole change
    // and stays PAUSED, so rtspsrc never sends PLAY. Asking again from PAUSED goes on.
    let (_, current, pending) = bin.state(gst::ClockTime::ZERO);
    if current == gst::State::Paused
        && pending == gst::State::VoidPending
        && let Err(error) = bin.set_state(gst::State::Playing)
    {
        tracing::debug!(%error, "the live source did not start: its Error event says why");
    }
}

impl Behaviour for Player {
    /// `play`, `pause`, `stop`, `getPosition`, `getVideoInfo`, `getUri`.
    fn operation(
        &self,
        media: &ElementMedia,
        operation: &str,
        _args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        let bin = &media.bin;
        let value = match operation {
            "play" => {
                self.play(bin);
                Json::Null
            }
            "pause" | "stop" => {
                let (target, state) = if operation == "stop" {
                    (gst::State::Null, Play::Stopped)
                } else {
                    (gst::State::Paused, Play::Paused)
                };
                if let Err(error) = bin.set_state(target) {
                    tracing::warn!(%error, operation, "the player did not change state");
                }
                if state == Play::Stopped {
                    self.played.store(0, Ordering::Relaxed);
                }
                *self.lock() = state;
                Json::Null
            }
            "getPosition" => json!(self.position().mseconds()),
            "getVideoInfo" => self.video_info(),
            "getUri" => json!(self.uri),
            _ => return None,
        };
        Some(Ok(Outcome::Value(value)))
    }
}

impl Player {
    fn lock(&self) -> std::sync::MutexGuard<'_, Play> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts or resumes, paced from the position it was paused at.
    fn play(&self, bin: &gst::Bin) {
        let mut state = self.lock();
        if *state == Play::Playing {
            return;
        }
        let resumed = match *state {
            Play::Paused => self.position(),
            _ => gst::ClockTime::ZERO,
        };
        start_paced(bin, &self.clocksyncs, resumed);
        *state = Play::Playing;
    }

    fn position(&self) -> gst::ClockTime {
        gst::ClockTime::from_nseconds(self.played.load(Ordering::Relaxed))
    }

    /// Kurento's `VideoInfo`: seekability and duration in milliseconds (zero until known).
    fn video_info(&self) -> Json {
        let mut seeking = gst::query::Seeking::new(gst::Format::Time);
        let (seekable, start, end) = if self.decoded.peer_query(&mut seeking) {
            let (seekable, start, end) = seeking.result();
            let millis =
                |value: gst::GenericFormattedValue| value.value().max(0) as u64 / 1_000_000;
            (seekable, millis(start), millis(end))
        } else {
            (false, 0, 0)
        };
        let duration = self
            .decoded
            .peer_query_duration::<gst::ClockTime>()
            .unwrap_or_default();
        json!({"isSeekable": seekable, "seekableInit": start, "seekableEnd": end,
               "duration": duration.mseconds(), "__module__": "kurento", "__type__": "VideoInfo"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_file_uris_and_unknown_schemes_are_refused() {
        gst::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a clip.mp4");
        std::fs::write(&file, b"x").unwrap();
        let uri = uri_of(file.to_str().unwrap()).unwrap();
        assert!(
            uri.starts_with("file:///") && uri.ends_with("a%20clip.mp4"),
            "{uri}"
        );
        assert_eq!(uri_of("/no/such/clip.mp4").unwrap_err().code, 40600);
        let refused = uri_of("gopher://host/clip").unwrap_err();
        assert_eq!(refused.code, 40107);
        assert!(refused.message.contains("rtsp"), "{}", refused.message);
        assert_eq!(uri_of("http://host/c.mp4").unwrap(), "http://host/c.mp4");
    }
}
