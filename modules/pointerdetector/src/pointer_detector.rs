//! `PointerDetectorFilter`: a colour learnt from a calibration region is the pointer; windows
//! raise `WindowIn` and `WindowOut` as it enters and leaves them.

use crate::color::Buffers;
use filmstrip::opencv::core::{Mat, Rect, Scalar};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;
use hsvkey::{ColorRange, WindowParam};
use std::sync::Arc;

/// A window the pointer can enter, in pixels from the picture's top-left corner.
#[derive(ComplexType, Debug, Clone, PartialEq)]
pub struct PointerDetectorWindowMediaParam {
    /// The window's id, named by its events.
    pub id: String,
    /// Height in pixels.
    pub height: i32,
    /// Width in pixels.
    pub width: i32,
    /// X of the top-left corner.
    pub upper_right_x: i32,
    /// Y of the top-left corner.
    pub upper_right_y: i32,
    /// URI of the image shown while the pointer is inside.
    pub active_image: Option<String>,
    /// How transparent the images are, 0 (opaque) to 1 (invisible).
    pub image_transparency: Option<f32>,
    /// URI of the image shown over the window (while the pointer is outside, when
    /// `activeImage` is set).
    pub image: Option<String>,
}

/// The pointer entered a window.
#[derive(Event, Debug, Clone)]
pub struct WindowIn {
    /// The window's id.
    pub window_id: String,
}

/// The pointer left a window, or was lost while inside it.
#[derive(Event, Debug, Clone)]
pub struct WindowOut {
    /// The window's id.
    pub window_id: String,
}

/// A window, its images loaded and its transparency applied, and whether the pointer is in.
struct Window {
    id: String,
    rect: Rect,
    image: Option<Arc<Mat>>,
    active_image: Option<Arc<Mat>>,
    inside: bool,
}

impl Window {
    /// Checks `window` and loads its images, naming `operation` in errors.
    fn load(operation: &str, window: PointerDetectorWindowMediaParam) -> Result<Self> {
        if window.id.is_empty() {
            return Err(Error::invalid_param(format!(
                "{operation}: the window id is empty"
            )));
        }
        if window.width <= 0 || window.height <= 0 {
            return Err(Error::invalid_param(format!(
                "{operation}: window {:?} is {}x{}; width and height must be above 0",
                window.id, window.width, window.height
            )));
        }
        let transparency = window.image_transparency.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&transparency) {
            return Err(Error::invalid_param(format!(
                "{operation}: imageTransparency: {transparency} is out of range [0, 1]"
            )));
        }
        let load = |uri: &Option<String>| -> Result<Option<Arc<Mat>>> {
            uri.as_deref()
                .map(|uri| {
                    let image = overlayimage::load(uri).map_err(|e| {
                        Error::with_kind(e.kind(), format!("{operation}: {}", e.message()))
                    })?;
                    fade(&image, 1.0 - f64::from(transparency)).map(Arc::new)
                })
                .transpose()
        };
        Ok(Window {
            rect: Rect::new(
                window.upper_right_x,
                window.upper_right_y,
                window.width,
                window.height,
            ),
            image: load(&window.image)?,
            active_image: load(&window.active_image)?,
            inside: false,
            id: window.id,
        })
    }
}

/// Tracks an object of one colour, learnt from the calibration region, as a pointer, and
/// raises `WindowIn`/`WindowOut` when it enters or leaves a window. Draws the calibration
/// region (red) and the windows: their images, or outlines (white, green with the pointer in).
#[filmstrip::filter(
    class = "PointerDetectorFilter",
    formats(Bgr, Bgrx, Bgra),
    events(WindowIn, WindowOut)
)]
pub struct PointerDetector {
    /// Where `trackColorFromCalibrationRegion` learns the colour: Kurento's constructor
    /// parameter `calibrationRegion`.
    calibration: Option<WindowParam>,
    /// Set by `trackColorFromCalibrationRegion`: learn the colour from the next frame.
    calibrate_next: bool,
    color: Option<ColorRange>,
    windows: Vec<Window>,
    buffers: Buffers,
}

#[filmstrip::methods]
impl PointerDetector {
    fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> Result<()> {
        let calibration = self.calibration.unwrap_or(WindowParam::TUTORIAL).rect();
        let buffers = &mut self.buffers;
        let (calibrate, color) = (self.calibrate_next, self.color);
        // Blobs under a thousandth of the picture are noise, not a pointer.
        let min_area = (frame.width() * frame.height() / 1000).max(1) as i32;
        let (learnt, pointer) = frame.with_mat(|picture| {
            buffers.convert(picture)?;
            let learnt = if calibrate {
                buffers.learn(calibration)?
            } else {
                None
            };
            let pointer = match learnt.or(color) {
                Some(range) => buffers.find_pointer(range, min_area)?,
                None => None,
            };
            Ok((learnt, pointer))
        })?;
        if calibrate {
            self.calibrate_next = false;
            self.color = learnt.or(self.color);
        }
        for window in &mut self.windows {
            let inside = pointer.is_some_and(|p| window.rect.contains(p));
            if inside != window.inside {
                window.inside = inside;
                let window_id = window.id.clone();
                if inside {
                    ctx.emit(WindowIn { window_id });
                } else {
                    ctx.emit(WindowOut { window_id });
                }
            }
        }
        self.draw(frame, calibration)
    }

    /// Adds a window (replacing one with the same id), loading its images. Video keeps
    /// flowing while they load.
    #[method(slow)]
    fn add_window(&mut self, window: PointerDetectorWindowMediaParam) -> Result<()> {
        let added = Window::load("addWindow", window)?;
        match self.windows.iter_mut().find(|w| w.id == added.id) {
            Some(existing) => *existing = added,
            None => self.windows.push(added),
        }
        Ok(())
    }

    /// Removes the window `windowId`; an unknown id changes nothing.
    #[method]
    fn remove_window(&mut self, window_id: String) -> Result<()> {
        self.windows.retain(|w| w.id != window_id);
        Ok(())
    }

    /// Removes every window.
    #[method]
    fn clear_windows(&mut self) -> Result<()> {
        self.windows.clear();
        Ok(())
    }

    /// Learns the pointer's colour from what is in the calibration region on the next frame.
    #[method]
    fn track_color_from_calibration_region(&mut self) -> Result<()> {
        self.calibrate_next = true;
        Ok(())
    }

    /// Kurento's constructor: the calibration region, and the first windows. An element made
    /// without it (`gst-launch-1.0`) calibrates from Kurento's tutorial region, 30x30 pixels at
    /// (5, 5), and has no windows until `addWindow`.
    #[constructor]
    fn create(
        &mut self,
        /// Where `trackColorFromCalibrationRegion` learns the pointer's colour.
        calibration_region: WindowParam,
        /// The windows to watch from the start; a later one replaces an earlier one of the
        /// same id.
        windows: Option<Vec<PointerDetectorWindowMediaParam>>,
    ) -> Result<()> {
        const WHAT: &str = "PointerDetectorFilter constructor: parameter";
        self.calibration = Some(calibration_region.checked(&format!("{WHAT} calibrationRegion"))?);
        for window in windows.unwrap_or_default() {
            let window = Window::load(&format!("{WHAT} windows"), window)?;
            self.windows.retain(|w| w.id != window.id);
            self.windows.push(window);
        }
        Ok(())
    }
}

impl PointerDetector {
    fn draw(&self, frame: &mut Frame, calibration: Rect) -> Result<()> {
        for window in &self.windows {
            let image = match (&window.active_image, window.inside) {
                (Some(active), true) => Some(active),
                _ => window.image.as_ref(),
            };
            if let Some(image) = image {
                overlayimage::draw(frame, image, window.rect)?;
            }
        }
        let windows = &self.windows;
        frame.with_mat_mut(|picture| {
            let outline = |picture: &mut Mat, rect: Rect, bgr: (f64, f64, f64)| {
                let color = Scalar::new(bgr.0, bgr.1, bgr.2, 255.0);
                imgproc::rectangle(picture, rect, color, 2, imgproc::LINE_8, 0)
            };
            for window in windows.iter().filter(|w| w.image.is_none()) {
                let color = if window.inside {
                    (0.0, 255.0, 0.0)
                } else {
                    (255.0, 255.0, 255.0)
                };
                outline(picture, window.rect, color)?;
            }
            outline(picture, calibration, (0.0, 0.0, 255.0))?;
            Ok(())
        })
    }
}

/// `image` (BGRA) with its alpha scaled by `opacity`.
fn fade(image: &Mat, opacity: f64) -> Result<Mat> {
    let mut faded = image.try_clone()?;
    for pixel in faded.data_bytes_mut()?.chunks_exact_mut(4) {
        pixel[3] = (f64::from(pixel[3]) * opacity).round() as u8;
    }
    Ok(faded)
}
