//! Colour keys in HSV: a hue and saturation range learnt from a region of the picture, and
//! the mask of the pixels in that range.

use filmstrip::opencv::core::{self, Mat, Rect, Scalar};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;
use filmstrip::{Error, Result};

/// A rectangle in pixels, Kurento's `WindowParam` of the chroma and pointer detector modules:
/// where a key colour is learnt. Kurento names its corner the top-right one; it is the
/// top-left.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowParam {
    /// X of the top-left corner.
    pub top_right_corner_x: i32,
    /// Y of the top-left corner.
    pub top_right_corner_y: i32,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

impl WindowParam {
    /// The window of Kurento's chroma and pointer detector tutorials, 30x30 pixels at (5, 5):
    /// what both filters learn from until another is set.
    pub const TUTORIAL: WindowParam = WindowParam {
        top_right_corner_x: 5,
        top_right_corner_y: 5,
        width: 30,
        height: 30,
    };

    /// The window as an OpenCV rectangle.
    pub fn rect(&self) -> Rect {
        Rect::new(
            self.top_right_corner_x,
            self.top_right_corner_y,
            self.width,
            self.height,
        )
    }

    /// The window, unless it is empty: the error starts with `what`, where it came from.
    pub fn checked(self, what: &str) -> Result<Self> {
        if self.width <= 0 || self.height <= 0 {
            return Err(Error::invalid_param(format!(
                "{what}: width and height must be above 0"
            )));
        }
        Ok(self)
    }
}

/// Darker pixels have no reliable hue: they never count, in a histogram or a mask.
pub const MIN_VALUE: u8 = 30;

/// Converts a BGR, BGRx or BGRA `picture` to 8-bit HSV (hue 0..180) in `hsv`, through `bgr`
/// for 4-byte pictures.
pub fn to_hsv(picture: &Mat, bgr: &mut Mat, hsv: &mut Mat) -> Result<()> {
    let source = if picture.channels() == 4 {
        imgproc::cvt_color_def(picture, bgr, imgproc::COLOR_BGRA2BGR)?;
        &*bgr
    } else {
        picture
    };
    imgproc::cvt_color_def(source, hsv, imgproc::COLOR_BGR2HSV)?;
    Ok(())
}

/// Counts of the hues and saturations seen in regions of HSV pictures.
#[derive(Debug, Clone)]
pub struct Histogram {
    hues: [u32; 256],
    saturations: [u32; 256],
    pixels: u32,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            hues: [0; 256],
            saturations: [0; 256],
            pixels: 0,
        }
    }
}

impl Histogram {
    /// Adds the pixels of `region` of `hsv` (cut to the picture) that are bright enough.
    pub fn add(&mut self, hsv: &Mat, region: Rect) -> Result<()> {
        let region = region & Rect::new(0, 0, hsv.cols(), hsv.rows());
        if region.width <= 0 || region.height <= 0 {
            return Ok(());
        }
        for y in region.y..region.y + region.height {
            let row = hsv.at_row::<core::Vec3b>(y)?;
            for pixel in &row[region.x as usize..(region.x + region.width) as usize] {
                if pixel[2] >= MIN_VALUE {
                    self.hues[usize::from(pixel[0])] += 1;
                    self.saturations[usize::from(pixel[1])] += 1;
                    self.pixels += 1;
                }
            }
        }
        Ok(())
    }

    /// The range from the first to the last hue and saturation held by at least `share` of the
    /// counted pixels, widened by `margin` on each side; `None` when nothing was counted.
    pub fn range(&self, share: f64, margin: i32) -> Option<ColorRange> {
        let threshold = ((f64::from(self.pixels) * share).ceil() as u32).max(1);
        let span = |counts: &[u32; 256]| {
            let first = counts.iter().position(|&n| n >= threshold)?;
            let last = counts.iter().rposition(|&n| n >= threshold)?;
            Some((first as i32 - margin, last as i32 + margin))
        };
        Some(ColorRange {
            hue: span(&self.hues)?,
            saturation: span(&self.saturations)?,
        })
    }
}

/// Hue (0..180) and saturation (0..255) ranges, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorRange {
    /// Lowest and highest hue.
    pub hue: (i32, i32),
    /// Lowest and highest saturation.
    pub saturation: (i32, i32),
}

impl ColorRange {
    /// Sets `mask` (8-bit, the picture's size) to 255 where `hsv` is of this colour and bright
    /// enough, 0 elsewhere.
    pub fn mask(&self, hsv: &Mat, mask: &mut Mat) -> Result<()> {
        let bound = |hue: i32, saturation: i32, value: u8| {
            Scalar::new(f64::from(hue), f64::from(saturation), f64::from(value), 0.0)
        };
        core::in_range(
            hsv,
            &bound(self.hue.0, self.saturation.0, MIN_VALUE),
            &bound(self.hue.1, self.saturation.1, u8::MAX),
            mask,
        )?;
        Ok(())
    }
}
