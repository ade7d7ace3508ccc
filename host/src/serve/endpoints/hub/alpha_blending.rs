//! `AlphaBlending(mediaPipeline)`: every port gives out one picture, the master port's video
//! as the background (its size is the picture's) with the other ports' videos over it, and
//! the mix of the other ports' audio.
//!
//! As on KMS: `setMaster(source, zOrder)` picks the master, `setPortProperties(relativeX,
//! relativeY, zOrder, relativeWidth, relativeHeight, port)` places a port in shares of the
//! picture's size (a place partly outside is cut); a port not placed covers the whole
//! picture at z-order 1. The picture is 640x480 at 15 frames per second until the master's
//! video says otherwise.

use super::super::super::rpc::RpcError;
use super::link::Link;
use super::mix::{self, AudioMix, VideoMix};
use super::port::PortPads;
use super::{Ports, Router, number_arg, z_order_arg};
use anyhow::Result;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// KMS's picture before the master's video comes.
const SIZE: (i32, i32) = (640, 480);
const FPS: i32 = 15;

/// An `AlphaBlending`'s mixers, ports and master.
pub struct AlphaBlending {
    video: VideoMix,
    audio: AudioMix,
    layers: BTreeMap<u32, Layer>,
    /// The master port and its z-order.
    master: Option<(u32, u32)>,
}

/// A port's picture in the blend.
struct Layer {
    pad: gst::Pad,
    /// The size of the port's video, once it came.
    size: Option<(i32, i32)>,
    /// Where `setPortProperties` put it.
    place: Option<Place>,
    _links: [Link; 2],
}

/// `setPortProperties`' values.
#[derive(Clone, Copy)]
struct Place {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    z: u32,
}

impl AlphaBlending {
    /// The mixers, in `bin`.
    pub fn new(bin: &gst::Bin) -> Result<Self> {
        Ok(Self {
            video: VideoMix::new(bin, SIZE, FPS)?,
            audio: AudioMix::new(bin),
            layers: BTreeMap::new(),
            master: None,
        })
    }

    /// Sizes the picture after the master's video, and places every layer.
    fn layout(&mut self) {
        let master_size = self
            .master
            .and_then(|(number, _)| self.layers.get(&number)?.size);
        if let Some(size) = master_size {
            self.video.resize(size);
        }
        let (width, height) = self.video.size();
        let share = |value: f64, of: i32| (value * f64::from(of)).round() as i32;
        for (number, layer) in &self.layers {
            let shown = layer.size.is_some();
            match (self.master, layer.place) {
                (Some((master, z)), _) if master == *number => {
                    mix::place(&layer.pad, (0, 0), (width, height), z, shown);
                }
                (_, Some(place)) => {
                    let at = (share(place.x, width), share(place.y, height));
                    let size = (share(place.width, width), share(place.height, height));
                    mix::place(&layer.pad, at, size, place.z, shown);
                }
                (_, None) => mix::place(&layer.pad, (0, 0), (width, height), 1, shown),
            }
        }
    }
}

impl Router for AlphaBlending {
    fn join(&mut self, port: &Arc<PortPads>, others: &Ports) -> Result<()> {
        let (pad, input) = self.video.input(port)?;
        let output = self.video.output(port)?;
        self.layers.insert(
            port.number,
            Layer {
                pad,
                size: None,
                place: None,
                _links: [input, output],
            },
        );
        self.layout();
        let others: Vec<_> = others.all().collect();
        self.audio.join(port, &others)
    }

    fn leave(&mut self, number: u32) {
        self.layers.remove(&number);
        if self.master.is_some_and(|(master, _)| master == number) {
            self.master = None;
        }
        self.layout();
        self.audio.leave(number);
    }

    fn video_caps(&mut self, number: u32, size: (i32, i32)) {
        if let Some(layer) = self.layers.get_mut(&number) {
            layer.size = Some(size);
            self.layout();
        }
    }

    /// `setMaster(source, zOrder)`, `setPortProperties(relativeX, relativeY, zOrder,
    /// relativeWidth, relativeHeight, port)`.
    fn operation(
        &mut self,
        operation: &str,
        args: &Map<String, Json>,
        ports: &Ports,
    ) -> Option<Result<Json, RpcError>> {
        let done = match operation {
            "setMaster" => ports.arg(args, "source").and_then(|source| {
                self.master = Some((source.number, z_order_arg(args, "zOrder")?));
                Ok(())
            }),
            "setPortProperties" => ports.arg(args, "port").and_then(|port| {
                let place = Place {
                    x: number_arg(args, "relativeX")?,
                    y: number_arg(args, "relativeY")?,
                    width: number_arg(args, "relativeWidth")?,
                    height: number_arg(args, "relativeHeight")?,
                    z: z_order_arg(args, "zOrder")?,
                };
                if place.width < 0.0 || place.height < 0.0 {
                    return Err(RpcError::illegal_param(
                        "relativeWidth and relativeHeight must be 0 or more",
                    ));
                }
                if let Some(layer) = self.layers.get_mut(&port.number) {
                    layer.place = Some(place);
                }
                Ok(())
            }),
            _ => return None,
        };
        Some(done.map(|()| {
            self.layout();
            Json::Null
        }))
    }
}
