//! `FaceDetectorFilter`: reports the faces in the picture, draws nothing.

use crate::detector::{DetectionPolicy, FaceBox, Settings, TrackedFace, Tracker};
use filmstrip::prelude::*;

/// A face's box in frame pixels.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Face {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
}

impl From<&FaceBox> for Face {
    fn from(face: &FaceBox) -> Self {
        Self {
            x: face.x.round() as i32,
            y: face.y.round() as i32,
            width: face.width.round() as i32,
            height: face.height.round() as i32,
        }
    }
}

/// The faces in the picture changed: one appeared or left, or one moved or resized by more
/// than a tenth of its size since the last report.
#[derive(Event, Debug, Clone)]
pub struct FaceDetected {
    /// Every face now in the picture; empty when the last one left.
    pub faces: Vec<Face>,
}

/// The face-detection properties of both face filters, declared once.
#[filmstrip::properties]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detection {
    /// When faces are detected; frames in between reuse the tracked boxes.
    #[property]
    detection_policy: DetectionPolicy,
    /// One detection in this many frames when not detecting on every frame.
    #[property(default = 3, min = 1, max = 100)]
    detect_every: u32,
    /// Width in pixels of the grey picture faces are detected in; smaller is faster but
    /// misses small faces.
    #[property(default = 320, min = 64, max = 3840)]
    detect_width: u32,
}

impl Detection {
    /// The tracker's settings from the current property values.
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            policy: self.detection_policy,
            detect_every: self.detect_every,
            detect_width: self.detect_width,
        }
    }
}

/// Finds faces and raises `FaceDetected` when they change; frames pass through untouched.
#[filmstrip::filter(
    class = "FaceDetectorFilter",
    formats(Bgr, Bgrx, Bgra),
    events(FaceDetected)
)]
pub struct FaceDetector {
    #[property(flatten)]
    detection: Detection,
    tracker: Tracker,
    /// The faces of the last report.
    reported: Vec<TrackedFace>,
}

#[filmstrip::methods]
impl FaceDetector {
    fn transform_frame(&mut self, frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        let settings = self.detection.settings();
        let tracker = &mut self.tracker;
        let faces = frame
            .with_mat(|picture| Ok(tracker.track(picture, frame.pts(), &settings)?.to_vec()))?;
        if changed(&self.reported, &faces) {
            ctx.emit(FaceDetected {
                faces: faces.iter().map(|f| Face::from(&f.face)).collect(),
            });
            self.reported = faces;
        }
        Ok(())
    }
}

/// Whether `now` differs from `before` by a face, or by a move of over a tenth of a face.
fn changed(before: &[TrackedFace], now: &[TrackedFace]) -> bool {
    before.len() != now.len()
        || now.iter().any(|face| {
            before.iter().find(|b| b.id == face.id).is_none_or(|b| {
                let (a, b) = (&face.face, &b.face);
                let tolerance = 0.1 * b.width.max(b.height);
                [a.x - b.x, a.y - b.y, a.width - b.width, a.height - b.height]
                    .iter()
                    .any(|d| d.abs() > tolerance)
            })
        })
}
