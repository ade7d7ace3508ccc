//! `HubPort(hub)`: an element like any other (connected to and from with both kinds of
//! media) whose input enters its hub and whose output is what the hub gives it.
//!
//! Its bin holds, for audio and video, `queue ! tee` on the way in (the hub takes branches of
//! that tee: a mixer input, or another port's output in a dispatcher). The output tee the hub
//! feeds sits in the hub's bin, the port's bin reaching it through its ghost pads: were it in
//! the port's bin, the port would be upstream and downstream of the hub at once, a loop in
//! the pipeline's graph that GStreamer warns about whenever the pipeline changes state. The
//! input queue keeps only the newest half second, so a mix never waits on a port that falls
//! behind, and what enters is restamped on the pipeline's running time; what leaves for the
//! output stays in time order whichever input the hub gives it.

use super::super::super::objects::{self, Behaviour, ElementMedia, MediaKind, Outcome, Port};
use super::super::super::rpc::RpcError;
use super::retime;
use anyhow::{Context, Result};
use gst::prelude::*;
use serde_json::{Map, Value as Json};

/// How much of a port's input waits for the hub at most; older frames go.
const INPUT_BUFFER: gst::ClockTime = gst::ClockTime::from_mseconds(500);

/// What a hub links to: a port's input tees and the sink pads of its output tees.
pub struct PortPads {
    /// The port's number in its hub.
    pub number: u32,
    /// The port's bin, in the pipeline.
    pub bin: gst::Bin,
    /// The input tees, audio then video.
    inputs: [gst::Element; 2],
    /// The output tees' sink pads, audio then video.
    outputs: [gst::Pad; 2],
    /// The output tees, in the hub's bin.
    output_tees: [gst::Element; 2],
}

impl PortPads {
    /// A new branch of the port's `kind` input.
    pub fn input(&self, kind: MediaKind) -> Result<gst::Pad> {
        self.inputs[index(kind)]
            .request_pad_simple("src_%u")
            .context("a hub port's input takes no more branches")
    }

    /// The pad that feeds the port's `kind` output.
    pub fn output(&self, kind: MediaKind) -> &gst::Pad {
        &self.outputs[index(kind)]
    }

    /// Stops the output tees and takes them out of the hub's bin `hub`.
    pub fn remove_outputs(&self, hub: &gst::Bin) {
        for tee in &self.output_tees {
            if let Err(err) = tee.set_state(gst::State::Null) {
                tracing::warn!(%err, "a hub port's output did not stop");
            }
            if let Err(err) = hub.remove(tee) {
                tracing::debug!(%err, "a hub port's output had already left");
            }
        }
    }

    /// The sink pad of the `kind` input tee, where the input's caps arrive.
    pub fn input_sink(&self, kind: MediaKind) -> Option<gst::Pad> {
        self.inputs[index(kind)].static_pad("sink")
    }
}

fn index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Audio => 0,
        MediaKind::Video => 1,
    }
}

/// Makes port `number` as bin `name`, not in any pipeline yet, with its output tees in the
/// hub's bin `hub`, playing.
pub fn build(name: &str, number: u32, hub: &gst::Bin) -> Result<(ElementMedia, PortPads)> {
    let bin = gst::Bin::builder().name(name).build();
    let (audio_in, audio_out, audio) = kind_port(&bin, hub, MediaKind::Audio)?;
    let (video_in, video_out, video) = kind_port(&bin, hub, MediaKind::Video)?;
    let pads = PortPads {
        number,
        bin: bin.clone(),
        inputs: [audio_in, video_in],
        outputs: [audio_out.clone(), video_out.clone()],
        output_tees: [audio.tee.clone(), video.tee.clone()],
    };
    Ok((ElementMedia::new(bin, audio, video), pads))
}

/// The `kind` side of a port in `bin`: its input tee, its output tee's sink pad, its port.
fn kind_port(
    bin: &gst::Bin,
    hub: &gst::Bin,
    kind: MediaKind,
) -> Result<(gst::Element, gst::Pad, Port)> {
    let (ghost, queue) = objects::input_queue(bin, kind)?;
    objects::keep_newest(&queue, INPUT_BUFFER, 0);
    let input = objects::output_tee(bin)?;
    queue.link(&input)?;
    retime::restamp(&input.static_pad("sink").context("tee without sink pad")?);
    let output = objects::output_tee(hub)?;
    output.sync_state_with_parent()?;
    let feed = output.static_pad("sink").context("tee without sink pad")?;
    boundary(&feed, kind);
    retime::keep_in_order(&feed);
    Ok((input, feed, Port::new(output, Some(ghost))))
}

/// Makes `pad`, where the hub feeds a port's output, a boundary that queries and upstream
/// events do not cross. Ports may feed each other (one port's output into another port of
/// the same hub): without it, a query or an upstream event would go round that loop on one
/// thread until the stack overflows. Downstream, the port's consumers take any raw media of
/// its `kind` (each converts what it gets), and nothing needs their buffer pools; upstream, a
/// port's output is live, and a consumer's requests (key frames, QoS) concern the hub's
/// mixers, which make every frame anew, or a routed port's source, which makes its own
/// request when connected to that port.
fn boundary(pad: &gst::Pad, kind: MediaKind) {
    let raw = gst::Caps::builder(match kind {
        MediaKind::Audio => "audio/x-raw",
        MediaKind::Video => "video/x-raw",
    })
    .any_features()
    .build();
    pad.add_probe(
        gst::PadProbeType::QUERY_BOTH | gst::PadProbeType::EVENT_UPSTREAM,
        move |_, info| {
            // An upstream event ends here: `Handled` consumes it (`Drop` would have GStreamer
            // unref it a second time).
            let Some(query) = info.query_mut() else {
                return gst::PadProbeReturn::Handled;
            };
            match query.view_mut() {
                gst::QueryViewMut::Caps(caps) => {
                    let answer = match caps.filter() {
                        Some(filter) => filter.intersect(&raw),
                        None => raw.clone(),
                    };
                    caps.set_result(&answer);
                }
                gst::QueryViewMut::AcceptCaps(accept) => {
                    let accepted = accept.caps().can_intersect(&raw);
                    accept.set_result(accepted);
                }
                gst::QueryViewMut::Latency(latency) => {
                    latency.set(true, gst::ClockTime::ZERO, gst::ClockTime::NONE);
                }
                // Consumers allocate their own buffers.
                gst::QueryViewMut::Allocation(_) => {}
                _ => return gst::PadProbeReturn::Drop,
            }
            gst::PadProbeReturn::Handled
        },
    );
}

/// A port's link back to its hub, which it leaves when released.
pub struct HubPort {
    /// Takes the port out of its hub's mix.
    pub leave: Box<dyn Fn() + Send + Sync>,
}

impl Behaviour for HubPort {
    /// A HubPort has only the operations of every element.
    fn operation(
        &self,
        _media: &ElementMedia,
        _operation: &str,
        _args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        None
    }

    /// The hub lets go of the port before its bin stops: the rest of the mix goes on.
    fn finish(&self) {
        (self.leave)();
    }
}
