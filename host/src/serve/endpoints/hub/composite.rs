//! `Composite(mediaPipeline)`: every port gives out the grid of all the ports' pictures and
//! the mix of the other ports' audio.
//!
//! As on KMS: an 800x600 picture at 15 frames per second; a port takes a cell once its video
//! arrives, cells in the order ports were made, `ceil(sqrt(n))` columns and as many rows as
//! needed, each picture scaled to its cell; the layout is made again as ports join and leave.

use super::link::Link;
use super::mix::{self, AudioMix, VideoMix};
use super::port::PortPads;
use super::{Ports, Router};
use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::Arc;

/// KMS's composite picture.
const SIZE: (i32, i32) = (800, 600);
const FPS: i32 = 15;

/// A `Composite`'s mixers and cells.
pub struct Composite {
    video: VideoMix,
    audio: AudioMix,
    cells: BTreeMap<u32, Cell>,
}

/// A port's place in the grid.
struct Cell {
    pad: gst::Pad,
    /// Whether the port's video has come: only such ports take a cell.
    active: bool,
    /// The port's video into the compositor, and the picture back to the port.
    _links: [Link; 2],
}

impl Composite {
    /// The mixers, in `bin`.
    pub fn new(bin: &gst::Bin) -> Result<Self> {
        Ok(Self {
            video: VideoMix::new(bin, SIZE, FPS)?,
            audio: AudioMix::new(bin),
            cells: BTreeMap::new(),
        })
    }

    /// Lays the active cells out in a grid, in port order; hides the others.
    fn layout(&self) {
        let (width, height) = self.video.size();
        let active = self.cells.values().filter(|cell| cell.active).count() as i32;
        let columns = (1..).find(|c| c * c >= active).unwrap_or(1);
        let rows = ((active + columns - 1) / columns).max(1);
        let size = (width / columns, height / rows);
        let mut index = 0;
        for cell in self.cells.values() {
            if cell.active {
                let at = ((index % columns) * size.0, (index / columns) * size.1);
                mix::place(&cell.pad, at, size, 1, true);
                index += 1;
            } else {
                mix::place(&cell.pad, (0, 0), size, 1, false);
            }
        }
    }
}

impl Router for Composite {
    fn join(&mut self, port: &Arc<PortPads>, others: &Ports) -> Result<()> {
        let (pad, input) = self.video.input(port)?;
        let output = self.video.output(port)?;
        self.cells.insert(
            port.number,
            Cell {
                pad,
                active: false,
                _links: [input, output],
            },
        );
        let others: Vec<_> = others.all().collect();
        self.audio.join(port, &others)
    }

    fn leave(&mut self, number: u32) {
        if self.cells.remove(&number).is_some_and(|cell| cell.active) {
            self.layout();
        }
        self.audio.leave(number);
    }

    fn video_caps(&mut self, number: u32, _size: (i32, i32)) {
        if let Some(cell) = self.cells.get_mut(&number)
            && !cell.active
        {
            cell.active = true;
            self.layout();
        }
    }
}
