//! Media files decoded for the tests' checks, in-process: every track of a file, pictures to
//! GRAY8 planes and sound to mono samples at [`AUDIO_RATE`], each with its timestamp.
//!
//! Every track is decoded and consumed, never left unlinked: `gst-launch-1.0 ... decodebin !
//! videoconvert` on a clip with sound stalled about one run in a hundred before its end of
//! stream (five in five hundred, measured; none in a thousand with the sound not exposed).

use gst::prelude::*;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Sample rate of the decoded sound.
pub const AUDIO_RATE: usize = 48_000;

/// How long a file may take to decode before the test fails, naming it.
const LIMIT: Duration = Duration::from_secs(60);

/// One decoded picture.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Its timestamp in nanoseconds.
    pub pts: u64,
    /// Its luma plane, row after row (rows of a width that is a multiple of 4 carry no
    /// padding).
    pub luma: Vec<u8>,
}

/// One decoded buffer of sound.
#[derive(Debug, Clone)]
pub struct Sound {
    /// Its timestamp in nanoseconds.
    pub pts: u64,
    /// Its mono samples at [`AUDIO_RATE`], full scale 1.0.
    pub samples: Vec<f32>,
}

/// What a media file holds, decoded, in timestamp order.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The pictures of its video track.
    pub frames: Vec<Frame>,
    /// The buffers of its sound track.
    pub sound: Vec<Sound>,
}

impl Decoded {
    /// The luma planes of the pictures, each checked to be `width`x`height` (`width` a
    /// multiple of 4: GRAY8 rows of a multiple of 4 bytes carry no padding).
    pub fn luma(&self, width: usize, height: usize) -> Vec<Vec<u8>> {
        self.frames
            .iter()
            .map(|frame| {
                assert_eq!(
                    frame.luma.len(),
                    width * height,
                    "a decoded frame is not {width}x{height}"
                );
                frame.luma.clone()
            })
            .collect()
    }

    /// All the sound's samples, one after the other.
    pub fn samples(&self) -> Vec<f32> {
        self.sound
            .iter()
            .flat_map(|buffer| buffer.samples.iter().copied())
            .collect()
    }
}

/// Decodes every track of the file at `path`; panics naming the file when it does not decode
/// to its end within a minute.
pub fn decode(path: &Path) -> Decoded {
    gst::init().expect("GStreamer initialises");
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin name=decode",
        path.display()
    ))
    .expect("a decoding pipeline")
    .downcast::<gst::Pipeline>()
    .expect("a pipeline");
    let decoded: Arc<Mutex<Decoded>> = Arc::default();
    let seen = Arc::clone(&decoded);
    let weak = pipeline.downgrade();
    let decodebin = pipeline.by_name("decode").expect("decodebin");
    decodebin.connect_pad_added(move |_, pad| {
        if let Some(pipeline) = weak.upgrade() {
            consume(&pipeline, pad, &seen);
        }
    });
    play_to_end(&pipeline, path);
    let mut decoded = std::mem::take(&mut *decoded.lock().unwrap());
    decoded.frames.sort_by_key(|frame| frame.pts);
    decoded.sound.sort_by_key(|buffer| buffer.pts);
    decoded
}

/// Links a stream `decodebin` exposed to a sink in `pipeline`, pictures and sound collected
/// into `decoded`, anything else dropped.
fn consume(pipeline: &gst::Pipeline, pad: &gst::Pad, decoded: &Arc<Mutex<Decoded>>) {
    let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
    let name = caps.structure(0).map_or("", |s| s.name().as_str());
    let (video, audio) = (name.starts_with("video/"), name.starts_with("audio/"));
    // A queue per track, so that one track's sink waiting to preroll never blocks the other.
    let chain = if video {
        "queue ! videoconvert ! video/x-raw,format=GRAY8 ! fakesink name=out sync=false".to_string()
    } else if audio {
        format!(
            "queue ! audioconvert ! audioresample \
             ! audio/x-raw,format=F32LE,channels=1,rate={AUDIO_RATE} ! fakesink name=out sync=false"
        )
    } else {
        "queue ! fakesink name=out sync=false".to_string()
    };
    let bin = gst::parse::bin_from_description(&chain, true).expect("a decoding chain");
    pipeline.add(&bin).expect("the chain joins the pipeline");
    bin.sync_state_with_parent().expect("the chain plays");
    pad.link(&bin.static_pad("sink").expect("a ghost sink"))
        .expect("the stream links to its chain");
    if !(video || audio) {
        return;
    }
    let decoded = Arc::clone(decoded);
    let sink = bin.by_name("out").expect("the chain's sink");
    let input = sink.static_pad("sink").expect("a sink pad");
    input.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(buffer) = info.buffer() else {
            return gst::PadProbeReturn::Ok;
        };
        let pts = buffer.pts().map_or(0, gst::ClockTime::nseconds);
        let Ok(map) = buffer.map_readable() else {
            return gst::PadProbeReturn::Ok;
        };
        let mut decoded = decoded.lock().unwrap();
        if video {
            let luma = map.to_vec();
            decoded.frames.push(Frame { pts, luma });
        } else {
            let samples = f32_samples(&map);
            decoded.sound.push(Sound { pts, samples });
        }
        gst::PadProbeReturn::Ok
    });
}

/// Plays `pipeline`, which reads the file at `path`, to its end of stream; panics naming the
/// file on an error or after a minute.
pub fn play_to_end(pipeline: &gst::Pipeline, path: &Path) {
    pipeline
        .set_state(gst::State::Playing)
        .unwrap_or_else(|_| panic!("{} does not start decoding", path.display()));
    let bus = pipeline.bus().expect("a bus");
    let message = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(LIMIT.as_secs()),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    let _ = pipeline.set_state(gst::State::Null);
    match message.as_ref().map(|message| message.view()) {
        Some(gst::MessageView::Error(err)) => {
            panic!("{} does not decode: {}", path.display(), err.error())
        }
        Some(_) => {}
        None => panic!("{} did not decode to its end in {LIMIT:?}", path.display()),
    }
}

/// The samples of raw `audio/x-raw,format=F32LE` bytes.
pub fn f32_samples(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The RMS level of `samples` (full scale 1.0; a full-scale sine has 0.71).
pub fn rms(samples: &[f32]) -> f64 {
    let squares: f64 = samples.iter().map(|v| f64::from(*v).powi(2)).sum();
    (squares / samples.len().max(1) as f64).sqrt()
}
