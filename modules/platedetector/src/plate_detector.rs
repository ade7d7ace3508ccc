//! `PlateDetectorFilter`: Kurento's licence plate reader.

use crate::tracker::{TrackView, Tracker};
use filmstrip::opencv::core::{Mat, Point, Scalar, Vector};
use filmstrip::opencv::imgproc;
use filmstrip::prelude::*;

/// A plate was read: raised once per appearance of a plate, when its reads agree.
#[derive(Event, Debug, Clone)]
pub struct PlateDetected {
    /// The plate's text: upper-case letters and digits without spaces or dashes, e.g.
    /// `1234BCD`, `AB12CDE`, `BMW1234`.
    pub plate: String,
    /// Tesseract's mean confidence over the agreeing reads, 0..1.
    pub confidence: f64,
    /// Left edge of the characters' box, in frame pixels.
    pub x: i32,
    /// Top edge of the characters' box.
    pub y: i32,
    /// Width of the characters' box.
    pub width: i32,
    /// Height of the characters' box.
    pub height: i32,
}

/// Finds European licence plates, reads them with Tesseract and raises `PlateDetected`
/// once per appearance of each plate.
///
/// Stands in for the `PlateDetectorFilter` of Kurento's `platedetector` example module.
/// Frames pass through unchanged unless `showDebugInfo` is on.
#[filmstrip::filter(
    class = "PlateDetectorFilter",
    formats(Bgr, Bgrx, Bgra),
    events(PlateDetected)
)]
pub struct PlateDetector {
    /// Expected plate width as a share of the frame width; plates from 0.4 to 1.6 times
    /// this wide are found. Kurento's `setPlateWidthPercentage`.
    #[property(default = 0.25, min = 0.05, max = 0.6)]
    plate_width_percentage: f32,
    /// Draws the candidate plates and what was read in them on the frame.
    #[property(default = false)]
    show_debug_info: bool,
    tracker: Tracker,
}

#[filmstrip::methods]
impl PlateDetector {
    // `&mut Frame`: the debug overlay draws on frames. Without it nothing is written, and
    // buffers arriving writable (as from decoders and pools) are not copied.
    fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> Result<()> {
        // Both GObject and the Kurento setter refuse values out of range, NaN included.
        let share = self.plate_width_percentage;
        let tracker = &mut self.tracker;
        let decisions = frame.with_mat(|picture| tracker.track(picture, f64::from(share)))?;
        for decision in decisions {
            ctx.emit(PlateDetected {
                plate: decision.plate,
                confidence: decision.confidence,
                x: decision.bounds.x,
                y: decision.bounds.y,
                width: decision.bounds.width,
                height: decision.bounds.height,
            });
        }
        if self.show_debug_info {
            let views = self.tracker.views();
            frame.with_mat_mut(|picture| draw(picture, &views))?;
        }
        Ok(())
    }
}

/// Outlines each candidate (green once decided, yellow while reading) and writes its text.
fn draw(picture: &mut Mat, views: &[TrackView]) -> Result<()> {
    for view in views {
        let colour = if view.decided {
            Scalar::new(0.0, 255.0, 0.0, 255.0)
        } else {
            Scalar::new(0.0, 255.0, 255.0, 255.0)
        };
        let corners: Vector<Point> = view
            .candidate
            .quad
            .iter()
            .map(|p| Point::new(p.x.round() as i32, p.y.round() as i32))
            .collect();
        let mut outline = Vector::<Vector<Point>>::new();
        outline.push(corners);
        imgproc::polylines(picture, &outline, true, colour, 2, imgproc::LINE_AA, 0)?;
        if let Some(label) = &view.label {
            let at = Point::new(
                view.candidate.bounds.x,
                (view.candidate.bounds.y - 6).max(12),
            );
            imgproc::put_text(
                picture,
                label,
                at,
                imgproc::FONT_HERSHEY_SIMPLEX,
                0.7,
                colour,
                2,
                imgproc::LINE_AA,
                false,
            )?;
        }
    }
    Ok(())
}
