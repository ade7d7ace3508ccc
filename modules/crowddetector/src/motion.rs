//! What the regions measure, on a grey copy of the picture at the processing width: the
//! foreground (what differs from a background learnt where nothing stands), the motion (what
//! differs from the previous frame) and the shift of the moving content.

use filmstrip::Result;
use filmstrip::opencv::core::{self, CV_8UC1, CV_32F, Mat, Point, Rect, Scalar, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;

/// Grey difference from the background that makes a pixel foreground.
const FOREGROUND_THRESHOLD: f64 = 25.0;
/// Grey difference from the previous frame that makes a pixel moving.
const MOTION_THRESHOLD: f64 = 15.0;
/// Share of the background replaced by each frame where nothing stands.
const BACKGROUND_RATE: f64 = 0.05;
/// Largest shift per frame, in processing pixels, that the direction search tries.
const MAX_SHIFT: i32 = 6;

/// One region's measures on one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Percentage of the region that is foreground.
    pub occupancy: f64,
    /// Percentage of the foreground in the region that moves.
    pub fluidity: f64,
}

/// The grey pictures and masks of the current frame, and the state kept between frames.
#[derive(Default)]
pub struct Analyzer {
    full: Mat,
    scaled: Mat,
    gray: Mat,
    previous: Mat,
    background: Mat,
    background8: Mat,
    difference: Mat,
    foreground: Mat,
    motion: Mat,
    moving: Mat,
    in_region: Mat,
    idle: Mat,
}

impl Analyzer {
    /// Takes a frame's luma plane, scaled to at most `processing_width` pixels wide. Returns
    /// false on a first frame (or one of a new size), which only starts the background.
    pub fn feed(
        &mut self,
        luma: &[u8],
        (width, height, stride): (usize, usize, usize),
        processing_width: usize,
    ) -> Result<bool> {
        if self.full.size()? != Size::new(width as i32, height as i32) {
            self.full = Mat::new_rows_cols_with_default(
                height as i32,
                width as i32,
                CV_8UC1,
                Scalar::all(0.0),
            )?;
        }
        for (row, source) in self
            .full
            .data_bytes_mut()?
            .chunks_exact_mut(width)
            .zip(luma.chunks(stride))
        {
            row.copy_from_slice(&source[..width]);
        }
        let target_width = width.min(processing_width.max(1));
        let size = Size::new(
            target_width as i32,
            ((height * target_width) / width).max(1) as i32,
        );
        imgproc::resize(
            &self.full,
            &mut self.scaled,
            size,
            0.0,
            0.0,
            imgproc::INTER_AREA,
        )?;
        // Sensor noise must neither look like motion nor like someone standing there.
        imgproc::gaussian_blur_def(&self.scaled, &mut self.gray, Size::new(3, 3), 0.0)?;
        if self.previous.size()? != size {
            self.previous = self.gray.try_clone()?;
            self.gray
                .convert_to(&mut self.background, CV_32F, 1.0, 0.0)?;
            return Ok(false);
        }
        self.background
            .convert_to(&mut self.background8, CV_8UC1, 1.0, 0.0)?;
        core::absdiff(&self.gray, &self.background8, &mut self.difference)?;
        imgproc::threshold(
            &self.difference,
            &mut self.foreground,
            FOREGROUND_THRESHOLD,
            255.0,
            imgproc::THRESH_BINARY,
        )?;
        // Fills the holes a textured crowd leaves where it happens to match the background.
        let kernel = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(5, 5))?;
        imgproc::morphology_ex_def(
            &self.foreground,
            &mut self.idle,
            imgproc::MORPH_CLOSE,
            &kernel,
        )?;
        std::mem::swap(&mut self.foreground, &mut self.idle);
        core::absdiff(&self.gray, &self.previous, &mut self.difference)?;
        imgproc::threshold(
            &self.difference,
            &mut self.motion,
            MOTION_THRESHOLD,
            255.0,
            imgproc::THRESH_BINARY,
        )?;
        core::bitwise_and_def(&self.motion, &self.foreground, &mut self.moving)?;
        Ok(true)
    }

    /// The processing size of the last frame fed.
    pub fn size(&self) -> Result<Size> {
        Ok(self.gray.size()?)
    }

    /// The measures inside `region` (a mask of the processing size, 255 inside).
    pub fn measure(&mut self, region: &Mat, region_pixels: i32) -> Result<Measures> {
        core::bitwise_and_def(&self.foreground, region, &mut self.in_region)?;
        let occupied = core::count_non_zero(&self.in_region)?;
        core::bitwise_and_def(&self.moving, region, &mut self.in_region)?;
        let moving = core::count_non_zero(&self.in_region)?;
        let percent = |part: i32, whole: i32| {
            if whole == 0 {
                0.0
            } else {
                100.0 * f64::from(part) / f64::from(whole)
            }
        };
        Ok(Measures {
            occupancy: percent(occupied, region_pixels),
            fluidity: percent(moving, occupied),
        })
    }

    /// How far the moving content inside `region` (within `bounds`) went since the previous
    /// frame, in processing pixels: the whole shift within 6 pixels that best maps the
    /// previous frame onto this one; `None` when nothing moves or no shift explains it.
    pub fn shift(&mut self, region: &Mat, bounds: Rect) -> Result<Option<(f64, f64)>> {
        core::bitwise_and_def(&self.moving, region, &mut self.in_region)?;
        let (width, height) = (self.gray.cols(), self.gray.rows());
        let (current, previous, mask) = (
            self.gray.data_bytes()?,
            self.previous.data_bytes()?,
            self.in_region.data_bytes()?,
        );
        let at = |x: i32, y: i32| (y * width + x) as usize;
        // Every other pixel of every other row: a quarter of the work, the same answer.
        let samples: Vec<Point> = (bounds.y.max(MAX_SHIFT)
            ..(bounds.y + bounds.height).min(height - MAX_SHIFT))
            .step_by(2)
            .flat_map(|y| {
                (bounds.x.max(MAX_SHIFT)..(bounds.x + bounds.width).min(width - MAX_SHIFT))
                    .step_by(2)
                    .map(move |x| Point::new(x, y))
            })
            .filter(|p| mask[at(p.x, p.y)] != 0)
            .collect();
        if samples.len() < 16 {
            return Ok(None);
        }
        let cost = |dx: i32, dy: i32| -> u64 {
            samples
                .iter()
                .map(|p| {
                    u64::from(current[at(p.x, p.y)].abs_diff(previous[at(p.x - dx, p.y - dy)]))
                })
                .sum()
        };
        let still = cost(0, 0);
        let (best, dx, dy) = (-MAX_SHIFT..=MAX_SHIFT)
            .flat_map(|dy| (-MAX_SHIFT..=MAX_SHIFT).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| (cost(dx, dy), dx, dy))
            .min()
            .expect("shifts to try");
        // A shift must explain the change far better than standing still does.
        Ok(((dx, dy) != (0, 0) && best * 2 < still).then_some((f64::from(dx), f64::from(dy))))
    }

    /// Learns the background where nothing stands and keeps this frame for the next one.
    pub fn finish(&mut self) -> Result<()> {
        core::bitwise_not_def(&self.foreground, &mut self.idle)?;
        imgproc::accumulate_weighted(
            &self.gray,
            &mut self.background,
            BACKGROUND_RATE,
            &self.idle,
        )?;
        std::mem::swap(&mut self.previous, &mut self.gray);
        Ok(())
    }
}
