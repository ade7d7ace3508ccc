//! The mixers of `Composite` and `AlphaBlending`: one compositor whose picture every port
//! gives out, and per port an audio mixer of every other port's audio (as KMS, a port never
//! hears itself back).
//!
//! Both run live on the pipeline clock, started by a live source of their own (a black
//! picture, silence) that also fixes the output format: they produce on time whether or not
//! a port sends, and an input that stalls or leaves is waited for at most [`LATENCY`].

use super::super::super::objects::{self, MediaKind};
use super::link::Link;
use super::port::PortPads;
use anyhow::{Context, Result};
use gst::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long a mixer waits for a late input before producing without it.
const LATENCY: gst::ClockTime = gst::ClockTime::from_mseconds(150);

/// KMS's raw audio between hub elements.
const AUDIO_CAPS: &str = "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved";

/// Makes `factory` in `bin` with `properties` (set from their text forms).
fn add(bin: &gst::Bin, factory: &str, properties: &[(&str, &str)]) -> Result<gst::Element> {
    let element = objects::make(factory)?;
    for (name, value) in properties {
        element.set_property_from_str(name, value);
    }
    bin.add(&element)?;
    Ok(element)
}

/// Starts `elements`, added to a bin already playing.
fn start(elements: &[&gst::Element]) -> Result<()> {
    for element in elements {
        element.sync_state_with_parent()?;
    }
    Ok(())
}

/// Stops `elements` and takes them out of `bin`.
fn remove(bin: &gst::Bin, elements: &[gst::Element]) {
    for element in elements {
        if let Err(err) = element.set_state(gst::State::Null) {
            tracing::warn!(%err, "a hub element did not stop");
        }
        if let Err(err) = bin.remove(element) {
            tracing::debug!(%err, "a hub element had already left");
        }
    }
}

/// The caps of raw video of `size` at `fps` frames per second.
fn video_caps(size: (i32, i32), fps: i32) -> gst::Caps {
    gst::Caps::builder("video/x-raw")
        .field("width", size.0)
        .field("height", size.1)
        .field("framerate", gst::Fraction::new(fps, 1))
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build()
}

/// A compositor fed by the ports, its picture given to every port.
pub struct VideoMix {
    compositor: gst::Element,
    /// The capsfilters after the black background source and after the compositor.
    sizes: [gst::Element; 2],
    tee: gst::Element,
    size: (i32, i32),
    fps: i32,
}

impl VideoMix {
    /// A compositor in `bin` giving `size` pictures at `fps` over black.
    pub fn new(bin: &gst::Bin, size: (i32, i32), fps: i32) -> Result<Self> {
        let caps = video_caps(size, fps);
        let background = add(
            bin,
            "videotestsrc",
            &[("is-live", "true"), ("pattern", "black")],
        )?;
        let background_size = add(bin, "capsfilter", &[])?;
        background_size.set_property("caps", &caps);
        let compositor = add(
            bin,
            "compositor",
            &[
                ("background", "black"),
                ("start-time-selection", "first"),
                ("ignore-inactive-pads", "true"),
            ],
        )?;
        compositor.set_property("latency", LATENCY.nseconds());
        let output_size = add(bin, "capsfilter", &[])?;
        output_size.set_property("caps", &caps);
        let tee = objects::output_tee(bin)?;
        background.link(&background_size)?;
        let floor = compositor
            .request_pad_simple("sink_%u")
            .context("compositor without inputs")?;
        floor.set_property("zorder", 0u32);
        background_size
            .static_pad("src")
            .context("capsfilter without src pad")?
            .link(&floor)?;
        gst::Element::link_many([&compositor, &output_size, &tee])?;
        Ok(Self {
            compositor,
            sizes: [background_size, output_size],
            tee,
            size,
            fps,
        })
    }

    /// The picture's size.
    pub fn size(&self) -> (i32, i32) {
        self.size
    }

    /// Makes the picture `size`: the background and the output follow.
    pub fn resize(&mut self, size: (i32, i32)) {
        if size != self.size {
            self.size = size;
            let caps = video_caps(size, self.fps);
            for filter in &self.sizes {
                filter.set_property("caps", &caps);
            }
        }
    }

    /// Feeds `port`'s video into a new, hidden, compositor input; returns the input's pad
    /// (its placement properties) and the link.
    pub fn input(&self, port: &PortPads) -> Result<(gst::Pad, Link)> {
        let pad = self
            .compositor
            .request_pad_simple("sink_%u")
            .context("compositor without inputs")?;
        pad.set_property("alpha", 0.0f64);
        let link = Link::new(&port.input(MediaKind::Video)?, &pad)?;
        Ok((pad, link))
    }

    /// Gives the picture to `port`.
    pub fn output(&self, port: &PortPads) -> Result<Link> {
        let branch = self
            .tee
            .request_pad_simple("src_%u")
            .context("tee without outputs")?;
        Link::new(&branch, port.output(MediaKind::Video))
    }
}

/// Places compositor input `pad` at `x, y`, `size` and `zorder`, shown or hidden.
pub fn place(pad: &gst::Pad, (x, y): (i32, i32), size: (i32, i32), zorder: u32, shown: bool) {
    pad.set_property("xpos", x);
    pad.set_property("ypos", y);
    pad.set_property("width", size.0);
    pad.set_property("height", size.1);
    pad.set_property("zorder", zorder);
    pad.set_property("alpha", if shown { 1.0f64 } else { 0.0 });
}

/// Per port, the mix of every other port's audio.
pub struct AudioMix {
    bin: gst::Bin,
    mixes: BTreeMap<u32, PortMix>,
}

/// One port's audio mixer: silence, then the other ports.
struct PortMix {
    mixer: gst::Element,
    /// The silence source, its caps, the mixer and the output caps.
    elements: Vec<gst::Element>,
    output: Option<Link>,
    /// The other ports' audio, by port number.
    inputs: BTreeMap<u32, Branch>,
}

/// One port's audio into another's mixer, through a queue that drops rather than blocks.
struct Branch {
    queue: gst::Element,
    links: Vec<Link>,
}

impl AudioMix {
    /// Audio mixing in `bin`.
    pub fn new(bin: &gst::Bin) -> Self {
        Self {
            bin: bin.clone(),
            mixes: BTreeMap::new(),
        }
    }

    /// `port` joins: it hears `others`, and they hear it.
    pub fn join(&mut self, port: &PortPads, others: &[&Arc<PortPads>]) -> Result<()> {
        let caps: gst::Caps = AUDIO_CAPS.parse()?;
        let silence = add(
            &self.bin,
            "audiotestsrc",
            &[
                ("is-live", "true"),
                ("wave", "silence"),
                ("samplesperbuffer", "480"),
            ],
        )?;
        let silence_caps = add(&self.bin, "capsfilter", &[])?;
        silence_caps.set_property("caps", &caps);
        let mixer = add(
            &self.bin,
            "audiomixer",
            &[
                ("start-time-selection", "first"),
                ("ignore-inactive-pads", "true"),
            ],
        )?;
        mixer.set_property("latency", LATENCY.nseconds());
        let output_caps = add(&self.bin, "capsfilter", &[])?;
        output_caps.set_property("caps", &caps);
        let mut mix = PortMix {
            mixer: mixer.clone(),
            elements: vec![
                silence.clone(),
                silence_caps.clone(),
                mixer.clone(),
                output_caps.clone(),
            ],
            output: None,
            inputs: BTreeMap::new(),
        };
        gst::Element::link_many([&silence, &silence_caps, &mixer, &output_caps])?;
        let output = output_caps
            .static_pad("src")
            .context("capsfilter without src")?;
        mix.output = Some(Link::new(&output, port.output(MediaKind::Audio))?);
        start(&[&output_caps, &mixer, &silence_caps, &silence])?;
        for other in others {
            let branch = self.branch(other, &mixer)?;
            mix.inputs.insert(other.number, branch);
            if let Some(theirs) = self.mixes.get(&other.number) {
                let branch = self.branch(port, &theirs.mixer)?;
                if let Some(theirs) = self.mixes.get_mut(&other.number) {
                    theirs.inputs.insert(port.number, branch);
                }
            }
        }
        self.mixes.insert(port.number, mix);
        Ok(())
    }

    /// `from`'s audio into `mixer`.
    fn branch(&self, from: &PortPads, mixer: &gst::Element) -> Result<Branch> {
        let queue = add(&self.bin, "queue", &[])?;
        objects::keep_newest(&queue, LATENCY, 0);
        let input = mixer
            .request_pad_simple("sink_%u")
            .context("mixer without inputs")?;
        let mut links = vec![Link::new(
            &queue.static_pad("src").context("queue without src")?,
            &input,
        )?];
        queue.sync_state_with_parent()?;
        let feed = queue.static_pad("sink").context("queue without sink")?;
        links.push(Link::new(&from.input(MediaKind::Audio)?, &feed)?);
        Ok(Branch { queue, links })
    }

    /// Port `number` leaves: its mixer goes, and the others stop hearing it.
    pub fn leave(&mut self, number: u32) {
        if let Some(mut mix) = self.mixes.remove(&number) {
            let branches = std::mem::take(&mut mix.inputs);
            for branch in branches.into_values() {
                self.drop_branch(branch);
            }
            mix.output = None;
            remove(&self.bin, &mix.elements);
        }
        let gone: Vec<Branch> = self
            .mixes
            .values_mut()
            .filter_map(|mix| mix.inputs.remove(&number))
            .collect();
        for branch in gone {
            self.drop_branch(branch);
        }
    }

    fn drop_branch(&self, mut branch: Branch) {
        branch.links.clear();
        remove(&self.bin, &[branch.queue]);
    }
}
