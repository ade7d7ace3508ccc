//! `setVideoFormat(caps: VideoCaps)` and `setAudioFormat(caps: AudioCaps)`, which every
//! MediaElement has: the format of what the element sends on.
//!
//! KMS sets them as caps on the element's output (`video/x-vp8, framerate=15/1`,
//! `audio/x-opus, bitrate=32000`), where its agnosticbin converts to them. Raw media travels
//! between elements here and each consumer encodes for itself, so the frame rate is what is
//! forced: `videorate ! capsfilter` goes in before the element's video tee (once; a later
//! call changes its caps). The codecs and the audio bitrate are checked as KMS checks them.

use super::objects::{ElementMedia, make};
use super::rpc::RpcError;
use gst::prelude::*;
use serde_json::{Map, Value as Json};

/// The name of the capsfilter of the forced video format inside an element's bin.
const VIDEO_FORMAT: &str = "video-format";

/// `setVideoFormat`: checks `{caps: {codec, framerate: {numerator, denominator}}}` and
/// forces the frame rate on `media`'s video output.
pub fn set_video_format(media: &ElementMedia, args: &Map<String, Json>) -> Result<(), RpcError> {
    let caps = struct_arg(args, "caps")?;
    codec(caps, &["VP8", "H264", "RAW"])?;
    let framerate = caps
        .get("framerate")
        .and_then(Json::as_object)
        .ok_or_else(|| RpcError::illegal_param("caps.framerate must be a Fraction"))?;
    let part = |name: &str| {
        framerate
            .get(name)
            .and_then(Json::as_i64)
            .and_then(|value| i32::try_from(value).ok())
            .filter(|value| *value > 0)
            .ok_or_else(|| {
                RpcError::illegal_param(format!("caps.framerate.{name} must be a positive int"))
            })
    };
    let rate = gst::Fraction::new(part("numerator")?, part("denominator")?);
    let caps = gst::Caps::builder("video/x-raw")
        .field("framerate", rate)
        .build();
    force(media, caps).map_err(|err| RpcError::illegal_param(format!("{err:#}")))
}

/// `setAudioFormat`: checks `{caps: {codec, bitrate}}`.
pub fn set_audio_format(args: &Map<String, Json>) -> Result<(), RpcError> {
    let caps = struct_arg(args, "caps")?;
    codec(caps, &["OPUS", "PCMU", "RAW"])?;
    caps.get("bitrate")
        .and_then(Json::as_i64)
        .filter(|bitrate| (0..=i64::from(i32::MAX)).contains(bitrate))
        .ok_or_else(|| RpcError::illegal_param("caps.bitrate must be a positive int"))?;
    Ok(())
}

fn struct_arg<'a>(
    args: &'a Map<String, Json>,
    name: &str,
) -> Result<&'a Map<String, Json>, RpcError> {
    args.get(name)
        .and_then(Json::as_object)
        .ok_or_else(|| RpcError::illegal_param(format!("{name} must be an object")))
}

/// Checks that `caps.codec` is one of `known`, the codecs KMS takes there.
fn codec(caps: &Map<String, Json>, known: &[&str]) -> Result<(), RpcError> {
    let codec = caps.get("codec").and_then(Json::as_str).unwrap_or_default();
    if known.contains(&codec) {
        return Ok(());
    }
    Err(RpcError::illegal_param(format!(
        "Invalid parameter provided: codec {codec}, use one of {}",
        known.join(", ")
    )))
}

/// Makes `media`'s raw video output take `caps`: a `videorate ! capsfilter` before its tee,
/// inserted while no buffer passes there, or the existing one given the new caps.
fn force(media: &ElementMedia, caps: gst::Caps) -> anyhow::Result<()> {
    if let Some(filter) = media.bin.by_name(VIDEO_FORMAT) {
        filter.set_property("caps", &caps);
        return Ok(());
    }
    let tee_input = media
        .video
        .tee
        .static_pad("sink")
        .ok_or_else(|| anyhow::anyhow!("the element has no video output"))?;
    let upstream = tee_input
        .peer()
        .ok_or_else(|| anyhow::anyhow!("this element's video output cannot take a format"))?;
    let rate = make("videorate")?;
    let filter = gst::ElementFactory::make("capsfilter")
        .name(VIDEO_FORMAT)
        .property("caps", &caps)
        .build()?;
    media.bin.add_many([&rate, &filter])?;
    rate.link(&filter)?;
    let (rate_input, filter_output) = (
        rate.static_pad("sink")
            .ok_or_else(|| anyhow::anyhow!("videorate without sink"))?,
        filter
            .static_pad("src")
            .ok_or_else(|| anyhow::anyhow!("capsfilter without src"))?,
    );
    let elements = [rate, filter];
    upstream.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
        let linked = pad
            .unlink(&tee_input)
            .map_err(|err| format!("{err:?}"))
            .and_then(|()| pad.link(&rate_input).map_err(|err| format!("{err:?}")))
            .and_then(|_| {
                filter_output
                    .link(&tee_input)
                    .map_err(|err| format!("{err:?}"))
            });
        if let Err(err) = linked {
            tracing::warn!(err, "cannot put the video format in place");
        }
        for element in &elements {
            if let Err(err) = element.sync_state_with_parent() {
                tracing::warn!(%err, "the video format did not start");
            }
        }
        gst::PadProbeReturn::Remove
    });
    Ok(())
}
