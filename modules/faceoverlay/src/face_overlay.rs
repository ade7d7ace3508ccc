//! `FaceOverlayFilter`: Kurento's magic mirror, an image drawn over every face.

use crate::detector::Tracker;
use crate::face_detector::Detection;
use crate::overlay::Overlay;
use filmstrip::prelude::*;

/// Draws an image over each face, placed and sized relative to the face: a hat, a mask.
///
/// Stands in for Kurento's built-in `kurento.FaceOverlayFilter` (module `filters`).
#[filmstrip::filter(
    class = "FaceOverlayFilter",
    kurento_module = "filters",
    formats(Bgr, Bgrx, Bgra)
)]
pub struct FaceOverlay {
    #[property(flatten)]
    detection: Detection,
    tracker: Tracker,
    overlay: Option<Overlay>,
}

#[filmstrip::methods]
impl FaceOverlay {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        // Without an image there is nothing to draw, so no reason to look for faces.
        let Some(overlay) = &self.overlay else {
            return Ok(());
        };
        let settings = self.detection.settings();
        let pts = frame.pts();
        let tracker = &mut self.tracker;
        let faces =
            frame.with_mat(|picture| Ok(tracker.track(picture, pts, &settings)?.to_vec()))?;
        for face in faces {
            overlay.draw(frame, overlay.placement(&face.face))?;
        }
        Ok(())
    }

    /// Draws the image at `uri` (a path, `file://` or `http(s)://`) over each face, at
    /// `x + w*offsetXPercent, y + h*offsetYPercent`, sized `w*widthPercent` by
    /// `h*heightPercent`, where `x, y, w, h` is the face's box: a hat is
    /// `(-0.35, -1.2, 1.6, 1.6)`. On error the previous image stays. Video keeps flowing
    /// while the image loads: frames arriving meanwhile pass through untouched.
    #[method(slow)]
    fn set_overlayed_image(
        &mut self,
        uri: String,
        offset_x_percent: f32,
        offset_y_percent: f32,
        width_percent: f32,
        height_percent: f32,
    ) -> Result<()> {
        for (name, value) in [
            ("offsetXPercent", offset_x_percent),
            ("offsetYPercent", offset_y_percent),
        ] {
            if !(-10.0..=10.0).contains(&value) {
                return Err(Error::invalid_param(format!(
                    "{name}: {value} is out of range [-10, 10]"
                )));
            }
        }
        for (name, value) in [
            ("widthPercent", width_percent),
            ("heightPercent", height_percent),
        ] {
            if !(value > 0.0 && value <= 10.0) {
                return Err(Error::invalid_param(format!(
                    "{name}: {value} is out of range (0, 10]"
                )));
            }
        }
        let image = overlayimage::load(&uri).map_err(|e| {
            Error::with_kind(e.kind(), format!("setOverlayedImage: {}", e.message()))
        })?;
        if self.overlay.is_none() {
            // Faces tracked before the last unset may be long gone.
            self.tracker.reset();
        }
        self.overlay = Some(Overlay {
            image,
            offset_x: f64::from(offset_x_percent),
            offset_y: f64::from(offset_y_percent),
            width: f64::from(width_percent),
            height: f64::from(height_percent),
        });
        Ok(())
    }

    /// Stops drawing; frames pass unchanged.
    #[method]
    fn unset_overlayed_image(&mut self) -> Result<()> {
        self.overlay = None;
        Ok(())
    }
}
