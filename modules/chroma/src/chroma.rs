//! `ChromaFilter`: the colour seen in a calibration window is replaced by a background image.

use filmstrip::opencv::core::{Mat, Scalar, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;
use hsvkey::{ColorRange, Histogram, WindowParam};
use std::sync::Arc;

/// Frames whose calibration window makes up the key colour: a second at 30 fps.
pub const CALIBRATION_FRAMES: u32 = 30;
/// Share of the calibration pixels a hue or saturation needs to belong to the key colour.
const HISTOGRAM_SHARE: f64 = 0.02;
/// Margin added on each side of the learnt ranges, for the screen's uneven lighting.
const MARGIN: i32 = 10;

/// The background, as loaded and as last scaled to the frames.
struct Background {
    image: Arc<Mat>,
    /// `image` at the frames' size and channel count.
    scaled: Mat,
}

/// Makes a colour range of the picture transparent, showing a background image behind: the
/// colour is learnt from the calibration window over the first second of video (the window
/// is outlined in blue meanwhile). Without a background image frames pass unchanged.
#[filmstrip::filter(class = "ChromaFilter", formats(Bgr, Bgrx, Bgra))]
pub struct Chroma {
    /// Where the key colour is learnt: Kurento's constructor parameter `window`.
    window: Option<WindowParam>,
    histogram: Histogram,
    calibrated_frames: u32,
    key: Option<ColorRange>,
    background: Option<Background>,
    bgr: Mat,
    hsv: Mat,
    mask: Mat,
    cleaned: Mat,
}

#[filmstrip::methods]
impl Chroma {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let window = self.window.unwrap_or(WindowParam::TUTORIAL).rect();
        if self.calibrated_frames < CALIBRATION_FRAMES {
            let (histogram, bgr, hsv) = (&mut self.histogram, &mut self.bgr, &mut self.hsv);
            frame.with_mat_mut(|picture| {
                hsvkey::to_hsv(picture, bgr, hsv)?;
                histogram.add(hsv, window)?;
                let blue = Scalar::new(255.0, 0.0, 0.0, 255.0);
                imgproc::rectangle(picture, window, blue, 1, imgproc::LINE_8, 0)?;
                Ok(())
            })?;
            self.calibrated_frames += 1;
            if self.calibrated_frames == CALIBRATION_FRAMES {
                self.key = self.histogram.range(HISTOGRAM_SHARE, MARGIN);
            }
            return Ok(());
        }
        let (Some(key), Some(background)) = (self.key, &mut self.background) else {
            return Ok(());
        };
        let (bgr, hsv, mask, cleaned) = (
            &mut self.bgr,
            &mut self.hsv,
            &mut self.mask,
            &mut self.cleaned,
        );
        frame.with_mat_mut(|picture| {
            if background.scaled.size()? != picture.size()?
                || background.scaled.channels() != picture.channels()
            {
                background.scaled = scale(&background.image, picture)?;
            }
            hsvkey::to_hsv(picture, bgr, hsv)?;
            key.mask(hsv, mask)?;
            // Fills pinholes, then removes specks, so noise neither pierces nor dots the key.
            let kernel =
                imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(3, 3))?;
            imgproc::morphology_ex_def(mask, cleaned, imgproc::MORPH_CLOSE, &kernel)?;
            imgproc::morphology_ex_def(cleaned, mask, imgproc::MORPH_OPEN, &kernel)?;
            background.scaled.copy_to_masked(picture, mask)?;
            Ok(())
        })
    }

    /// Shows the image at `uri` (a path, `file://` or `http(s)://`), stretched to the frame,
    /// wherever the key colour is. Video keeps flowing while it loads; on error the previous
    /// background stays.
    #[method(slow)]
    fn set_background(&mut self, uri: String) -> Result<()> {
        self.load_background("setBackground", &uri)
    }

    /// Stops replacing the key colour: frames pass unchanged.
    #[method]
    fn unset_background(&mut self) -> Result<()> {
        self.background = None;
        Ok(())
    }

    /// Kurento's constructor: the calibration window, and the background shown from the start.
    /// An element made without it (`gst-launch-1.0`) learns from Kurento's tutorial window,
    /// 30x30 pixels at (5, 5), and shows no background until `setBackground`.
    #[constructor]
    fn create(
        &mut self,
        /// Where the key colour is learnt over the first second of video.
        window: WindowParam,
        /// The image (a path, `file://` or `http(s)://`) shown wherever the key colour is; none
        /// when left out or empty.
        background_image: Option<String>,
    ) -> Result<()> {
        self.window = Some(window.checked("ChromaFilter constructor: parameter window")?);
        match background_image.filter(|uri| !uri.is_empty()) {
            Some(uri) => {
                self.load_background("ChromaFilter constructor: parameter backgroundImage", &uri)
            }
            None => Ok(()),
        }
    }
}

impl Chroma {
    /// Loads the background at `uri` for `operation`, naming it in errors.
    fn load_background(&mut self, operation: &str, uri: &str) -> Result<()> {
        let image = overlayimage::load(uri)
            .map_err(|e| Error::with_kind(e.kind(), format!("{operation}: {}", e.message())))?;
        self.background = Some(Background {
            image,
            scaled: Mat::default(),
        });
        Ok(())
    }
}

/// `image` (BGRA) stretched to `picture`'s size, with its channel count.
fn scale(image: &Mat, picture: &Mat) -> Result<Mat> {
    let mut resized = Mat::default();
    imgproc::resize(
        image,
        &mut resized,
        picture.size()?,
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    if picture.channels() == 4 {
        return Ok(resized);
    }
    let mut bgr = Mat::default();
    imgproc::cvt_color_def(&resized, &mut bgr, imgproc::COLOR_BGRA2BGR)?;
    Ok(bgr)
}
