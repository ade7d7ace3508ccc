use filmstrip::prelude::*;

/// Replaces each square block of the picture by its average colour.
///
/// Works on every pixel format, including planar YUV, so pipelines need no conversion.
#[filmstrip::filter(class = "PixelateFilter")]
pub struct Pixelate {
    /// Side of the blocks in pixels.
    #[property(default = 16, min = 2, max = 512)]
    block_size: u32,
    /// The part of the frame to pixelate as fractions `(x, y, width, height)`; all if `None`.
    region: Option<[f64; 4]>,
}

#[filmstrip::methods]
impl Pixelate {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let (width, height) = (frame.width(), frame.height());
        let [x, y, w, h] = self.region.unwrap_or([0.0, 0.0, 1.0, 1.0]);
        let to_px =
            |fraction: f64, size: usize| ((fraction * size as f64).round() as usize).min(size);
        let (left, top) = (to_px(x, width), to_px(y, height));
        let (right, bottom) = (to_px(x + w, width), to_px(y + h, height));
        for index in 0..frame.n_planes() {
            let mut plane = frame.plane_mut(index);
            // Chroma planes of YUV formats are subsampled: scale the region and blocks with them.
            let (sx, sy) = (width / plane.width().max(1), height / plane.height().max(1));
            let block = (self.block_size as usize / sx.max(sy)).max(1);
            pixelate_plane(
                &mut plane,
                (left / sx, top / sy, right.div_ceil(sx), bottom.div_ceil(sy)),
                block,
            );
        }
        Ok(())
    }

    /// Pixelates only the rectangle `(x, y, width, height)`, given as fractions of the frame.
    #[method]
    fn set_region(&mut self, x: f64, y: f64, width: f64, height: f64) -> Result<()> {
        let valid = |v: f64| (0.0..=1.0).contains(&v);
        if ![x, y, width, height].into_iter().all(valid) || width == 0.0 || height == 0.0 {
            return Err(Error::invalid_param(
                "setRegion: x, y, width and height are fractions in 0..1, width and height above 0",
            ));
        }
        self.region = Some([x, y, width, height]);
        Ok(())
    }

    /// Pixelates the whole frame again.
    #[method]
    fn clear_region(&mut self) -> Result<()> {
        self.region = None;
        Ok(())
    }
}

/// Averages `block`-sized squares of `plane` inside `(left, top, right, bottom)`.
fn pixelate_plane(
    plane: &mut filmstrip::PlaneMut,
    (left, top, right, bottom): (usize, usize, usize, usize),
    block: usize,
) {
    let channels = plane.bytes_per_pixel();
    let (right, bottom) = (right.min(plane.width()), bottom.min(plane.height()));
    let mut sums = [0u32; 4];
    for block_top in (top..bottom).step_by(block) {
        let block_bottom = (block_top + block).min(bottom);
        for block_left in (left..right).step_by(block) {
            let block_right = (block_left + block).min(right);
            let span = block_left * channels..block_right * channels;
            sums.fill(0);
            for y in block_top..block_bottom {
                for pixel in plane.row(y)[span.clone()].chunks_exact(channels) {
                    for (sum, &v) in sums.iter_mut().zip(pixel) {
                        *sum += u32::from(v);
                    }
                }
            }
            let count = ((block_bottom - block_top) * (block_right - block_left)) as u32;
            let average: Vec<u8> = sums[..channels].iter().map(|s| (s / count) as u8).collect();
            for y in block_top..block_bottom {
                for pixel in plane.row_mut(y)[span.clone()].chunks_exact_mut(channels) {
                    pixel.copy_from_slice(&average);
                }
            }
        }
    }
}
