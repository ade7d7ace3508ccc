//! The pointer: the largest blob of the colour learnt from the calibration region.

use filmstrip::Result;
use filmstrip::opencv::core::{Mat, Point, Rect, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use hsvkey::{ColorRange, Histogram};

/// Share of the calibration region a hue or saturation needs to count as the pointer's.
const HISTOGRAM_SHARE: f64 = 0.05;
/// Margin added on each side of the learnt ranges.
const MARGIN: i32 = 5;

/// Reusable buffers for [`Self::learn`] and [`Self::find_pointer`].
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
    /// Converts a BGR, BGRx or BGRA picture for the other methods.
    pub fn convert(&mut self, picture: &Mat) -> Result<()> {
        hsvkey::to_hsv(picture, &mut self.bgr, &mut self.hsv)
    }

    /// The colour of `region` of the last [`Self::convert`]ed picture: the hue and saturation
    /// ranges held by at least 5% of its pixels, widened by 5.
    pub fn learn(&self, region: Rect) -> Result<Option<ColorRange>> {
        let mut histogram = Histogram::default();
        histogram.add(&self.hsv, region)?;
        Ok(histogram.range(HISTOGRAM_SHARE, MARGIN))
    }

    /// The centre of the largest blob of `range` in the last [`Self::convert`]ed picture, if
    /// one covers at least `min_area` pixels once specks are removed.
    pub fn find_pointer(&mut self, range: ColorRange, min_area: i32) -> Result<Option<Point>> {
        range.mask(&self.hsv, &mut self.mask)?;
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
