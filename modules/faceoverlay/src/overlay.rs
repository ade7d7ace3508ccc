//! The overlay image of FaceOverlayFilter and where it goes relative to a face; loading and
//! drawing are `overlayimage`'s, shared with Kurento's other image-drawing filters.

use crate::detector::FaceBox;
use filmstrip::opencv::core::{Mat, Rect};
use filmstrip::{Frame, Result};
use std::sync::Arc;

/// An overlay image, BGRA, and where it goes relative to each face.
#[derive(Clone)]
pub struct Overlay {
    /// The picture, 8-bit BGRA.
    pub image: Arc<Mat>,
    /// Left edge from the face's left edge, in face widths.
    pub offset_x: f64,
    /// Top edge from the face's top edge, in face heights.
    pub offset_y: f64,
    /// Width in face widths.
    pub width: f64,
    /// Height in face heights.
    pub height: f64,
}

impl Overlay {
    /// Kurento's placement: `x + w*offsetX, y + h*offsetY, w*widthPercent, h*heightPercent`.
    pub fn placement(&self, face: &FaceBox) -> Rect {
        let x = (face.x + face.width * self.offset_x).round();
        let y = (face.y + face.height * self.offset_y).round();
        let w = (face.width * self.width).round();
        let h = (face.height * self.height).round();
        Rect::new(x as i32, y as i32, w as i32, h as i32)
    }

    /// Draws the image into `placement` of a BGR, BGRx or BGRA frame; parts outside are cut.
    pub fn draw(&self, frame: &mut Frame, placement: Rect) -> Result<()> {
        overlayimage::draw(frame, &self.image, placement)
    }
}
