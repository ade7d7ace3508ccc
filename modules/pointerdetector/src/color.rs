//! The pointer's colour: learnt from a region of the picture as hue and saturation ranges,
//! then found as the largest blob of that colour.

use filmstrip::Result;
use filmstrip::opencv::core::{self, Mat, Point, Rect, Scalar, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;

/// Darker pixels have no reliable hue and are never the pointer.
const MIN_VALUE: f64 = 30.0;
/// Share of the calibration region a hue or saturation needs to count as the pointer's.
const HISTOGRAM_SHARE: f64 = 0.05;
/// Margin added on each side of the learnt ranges.
const MARGIN: i32 = 5;

/// Hue (0..180, OpenCV's scale) and saturation (0..255) ranges, both ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColorRange {
    hue: (i32, i32),
    saturation: (i32, i32),
}

/// Reusable buffers for [`learn`] and [`find_pointer`].
#[derive(Default)]
pub struct Buffers {
    bgr: Mat,
    hsv: Mat,
    mask: Mat,
    opened: Mat,
    labels: Mat,
    stats: Mat,
    centroids: Mat,
}

impl Buffers {
    /// Converts a BGR, BGRx or BGRA picture to HSV into `self.hsv`.
    pub fn convert(&mut self, picture: &Mat) -> Result<()> {
        let bgr = if picture.channels() == 4 {
            imgproc::cvt_color_def(picture, &mut self.bgr, imgproc::COLOR_BGRA2BGR)?;
            &self.bgr
        } else {
            picture
        };
        imgproc::cvt_color_def(bgr, &mut self.hsv, imgproc::COLOR_BGR2HSV)?;
        Ok(())
    }

    /// The colour range of `region` of the last [`Self::convert`] picture: from the first to the
    /// last hue and saturation held by at least 5% of its pixels, widened by 5.
    pub fn learn(&self, region: Rect) -> Result<Option<ColorRange>> {
        let frame = Rect::new(0, 0, self.hsv.cols(), self.hsv.rows());
        let region = region & frame;
        if region.width <= 0 || region.height <= 0 {
            return Ok(None);
        }
        let roi = self.hsv.roi(region)?.try_clone()?;
        let mut hues = [0usize; 256];
        let mut saturations = [0usize; 256];
        for pixel in roi.data_bytes()?.chunks_exact(3) {
            if f64::from(pixel[2]) >= MIN_VALUE {
                hues[usize::from(pixel[0])] += 1;
                saturations[usize::from(pixel[1])] += 1;
            }
        }
        let threshold = ((region.area() as f64 * HISTOGRAM_SHARE).ceil() as usize).max(1);
        let span = |counts: &[usize; 256]| {
            let first = counts.iter().position(|&n| n >= threshold)?;
            let last = counts.iter().rposition(|&n| n >= threshold)?;
            Some((first as i32 - MARGIN, last as i32 + MARGIN))
        };
        Ok(span(&hues)
            .zip(span(&saturations))
            .map(|(hue, saturation)| ColorRange { hue, saturation }))
    }

    /// The centre of the largest blob of `range` in the last [`Self::convert`] picture, if one
    /// covers at least `min_area` pixels once specks are removed.
    pub fn find_pointer(&mut self, range: ColorRange, min_area: i32) -> Result<Option<Point>> {
        let lower = Scalar::new(
            f64::from(range.hue.0),
            f64::from(range.saturation.0),
            MIN_VALUE,
            0.0,
        );
        let upper = Scalar::new(
            f64::from(range.hue.1),
            f64::from(range.saturation.1),
            255.0,
            0.0,
        );
        core::in_range(&self.hsv, &lower, &upper, &mut self.mask)?;
        let kernel = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(5, 5))?;
        imgproc::morphology_ex_def(&self.mask, &mut self.opened, imgproc::MORPH_OPEN, &kernel)?;
        let count = imgproc::connected_components_with_stats_def(
            &self.opened,
            &mut self.labels,
            &mut self.stats,
            &mut self.centroids,
        )?;
        // Label 0 is the background.
        let mut best: Option<(i32, i32)> = None;
        for label in 1..count {
            let area = *self.stats.at_2d::<i32>(label, imgproc::CC_STAT_AREA)?;
            if area >= min_area && best.is_none_or(|(_, a)| area > a) {
                best = Some((label, area));
            }
        }
        best.map(|(label, _)| {
            let x = *self.centroids.at_2d::<f64>(label, 0)?;
            let y = *self.centroids.at_2d::<f64>(label, 1)?;
            Ok(Point::new(x.round() as i32, y.round() as i32))
        })
        .transpose()
    }
}
