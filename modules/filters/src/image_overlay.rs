//! `ImageOverlayFilter`: images drawn at fixed places of the video, each under an id.

use filmstrip::opencv::core::{Mat, Rect};
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;
use std::sync::Arc;

/// One image and where it goes, in fractions of the frame.
struct Placed {
    id: String,
    image: Arc<Mat>,
    offset_x: f64,
    offset_y: f64,
    width: f64,
    height: f64,
    keep_aspect_ratio: bool,
    center: bool,
}

impl Placed {
    /// The image's rectangle in a `frame_w`x`frame_h` frame: the box the fractions give, or
    /// with the aspect ratio kept, the largest rectangle of the image's shape inside the box,
    /// at its top-left corner or centred in it.
    fn placement(&self, frame_w: usize, frame_h: usize) -> Rect {
        let (frame_w, frame_h) = (frame_w as f64, frame_h as f64);
        let (box_x, box_y) = (self.offset_x * frame_w, self.offset_y * frame_h);
        let (box_w, box_h) = (self.width * frame_w, self.height * frame_h);
        let (mut w, mut h) = (box_w, box_h);
        if self.keep_aspect_ratio {
            let (image_w, image_h) = (f64::from(self.image.cols()), f64::from(self.image.rows()));
            let scale = (box_w / image_w).min(box_h / image_h);
            (w, h) = (image_w * scale, image_h * scale);
        }
        let (mut x, mut y) = (box_x, box_y);
        if self.center {
            x += (box_w - w) / 2.0;
            y += (box_h - h) / 2.0;
        }
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        Rect::new(
            x0,
            y0,
            ((x + w).round() as i32 - x0).max(1),
            ((y + h).round() as i32 - y0).max(1),
        )
    }
}

/// Draws images over the video, each at a position and size given as fractions of the frame
/// and kept under an id; PNG transparency is blended.
#[filmstrip::filter(
    class = "ImageOverlayFilter",
    kurento_module = "filters",
    formats(Bgr, Bgrx, Bgra)
)]
pub struct ImageOverlay {
    /// The images, drawn in the order they were added.
    images: Vec<Placed>,
}

#[filmstrip::methods]
impl ImageOverlay {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let (width, height) = (frame.width(), frame.height());
        for placed in &self.images {
            overlayimage::draw(frame, &placed.image, placed.placement(width, height))?;
        }
        Ok(())
    }

    /// Draws the image at `uri` (a path, `file://` or `http(s)://`) with its top-left corner at
    /// `offsetXPercent` of the frame's width and `offsetYPercent` of its height, in a box of
    /// `widthPercent` by `heightPercent` of the frame (all in 0..1). With `keepAspectRatio` the
    /// image keeps its shape inside the box; with `center` it is centred in the box. An image
    /// already under `id` is replaced. Video keeps flowing while the image loads.
    #[allow(clippy::too_many_arguments)]
    #[method(slow)]
    fn add_image(
        &mut self,
        id: String,
        uri: String,
        offset_x_percent: f32,
        offset_y_percent: f32,
        width_percent: f32,
        height_percent: f32,
        keep_aspect_ratio: bool,
        center: bool,
    ) -> Result<()> {
        for (name, value) in [
            ("offsetXPercent", offset_x_percent),
            ("offsetYPercent", offset_y_percent),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::invalid_param(format!(
                    "addImage: {name}: {value} is out of range [0, 1]"
                )));
            }
        }
        for (name, value) in [
            ("widthPercent", width_percent),
            ("heightPercent", height_percent),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return Err(Error::invalid_param(format!(
                    "addImage: {name}: {value} is out of range (0, 1]"
                )));
            }
        }
        let image = overlayimage::load(&uri)
            .map_err(|e| Error::with_kind(e.kind(), format!("addImage: {}", e.message())))?;
        let placed = Placed {
            id,
            image,
            offset_x: decimal(offset_x_percent),
            offset_y: decimal(offset_y_percent),
            width: decimal(width_percent),
            height: decimal(height_percent),
            keep_aspect_ratio,
            center,
        };
        match self.images.iter_mut().find(|p| p.id == placed.id) {
            Some(existing) => *existing = placed,
            None => self.images.push(placed),
        }
        Ok(())
    }

    /// Stops drawing the image under `id`; an unknown id changes nothing.
    #[method]
    fn remove_image(&mut self, id: String) -> Result<()> {
        self.images.retain(|p| p.id != id);
        Ok(())
    }
}

/// The decimal fraction a client meant by a `float` parameter: `0.3f32` is 0.30000001192...,
/// which would shift a half-pixel boundary; six decimals are far finer than any frame.
fn decimal(value: f32) -> f64 {
    (f64::from(value) * 1e6).round() / 1e6
}
