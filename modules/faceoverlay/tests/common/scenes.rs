//! Still scenes for measuring face recall by face size: the astronaut photo scaled, cropped
//! and tiled over the face-free background, each with its true face boxes (the photo's face
//! box moved and scaled like the photo), and face-free scenes (crops of the photo without the
//! face, the space-shuttle model among them). Shared by `tests/recall.rs` and the benchmark.

use super::{Box2, Composer, astronaut, astronaut_face};
use filmstrip::opencv::core::{Mat, Rect, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;

/// The face size buckets of the recall table: face box width in frame pixels, from (inclusive)
/// and to (exclusive).
pub const BUCKETS: [(&str, f64, f64); 5] = [
    ("24-32 px", 24.0, 32.0),
    ("32-64 px", 32.0, 64.0),
    ("64-128 px", 64.0, 128.0),
    ("128-256 px", 128.0, 256.0),
    ("256 px to the whole frame", 256.0, f64::INFINITY),
];

/// One still picture and the faces in it.
pub struct Scene {
    /// What it shows, for messages.
    pub name: String,
    /// The row of the recall table it counts in.
    pub group: String,
    /// BGR.
    pub frame: Mat,
    /// True face boxes, in frame pixels; they may reach out of the frame.
    pub faces: Vec<Box2>,
}

/// The bucket of a face `width` pixels wide.
pub fn bucket(width: f64) -> &'static str {
    BUCKETS
        .iter()
        .find(|(_, from, to)| width >= *from && width < *to)
        .map_or("under 24 px", |(name, _, _)| name)
}

/// Pastes `source` (BGR) scaled by `scale` with its top-left corner at (`x`, `y`) of `frame`;
/// what falls outside the frame is cut off.
fn paste(frame: &mut Mat, source: &Mat, x: f64, y: f64, scale: f64) {
    let w = (f64::from(source.cols()) * scale).round() as i32;
    let h = (f64::from(source.rows()) * scale).round() as i32;
    let (x, y) = (x.round() as i32, y.round() as i32);
    let visible = Rect::new(x, y, w, h) & Rect::new(0, 0, frame.cols(), frame.rows());
    if visible.width <= 0 || visible.height <= 0 {
        return;
    }
    let mut scaled = Mat::default();
    let interpolation = if scale < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    imgproc::resize(
        source,
        &mut scaled,
        Size::new(w, h),
        0.0,
        0.0,
        interpolation,
    )
    .unwrap();
    let part = scaled
        .roi(Rect::new(
            visible.x - x,
            visible.y - y,
            visible.width,
            visible.height,
        ))
        .unwrap();
    part.copy_to(&mut frame.roi_mut(visible).unwrap()).unwrap();
}

/// Makes the scenes of one frame size.
pub struct Scenes {
    width: i32,
    height: i32,
    composer: Composer,
    photo: Mat,
    /// The face box in the photo.
    face: Box2,
}

impl Scenes {
    /// Scenes of `width`x`height`.
    pub fn new(width: i32, height: i32) -> Self {
        Self {
            width,
            height,
            composer: Composer::new(width, height),
            photo: astronaut(),
            face: astronaut_face(),
        }
    }

    /// The photo scaled so that its face is `face_width` pixels wide, the face's centre at
    /// (`cx`, `cy`) of the frame.
    pub fn face(&self, face_width: f64, cx: f64, cy: f64, group: &str) -> Scene {
        let mut frame = self.composer.background();
        let truth = self.paste_face(&mut frame, face_width, cx, cy);
        Scene {
            name: format!(
                "{}x{}: face {face_width:.0} px wide at ({cx:.0}, {cy:.0})",
                self.width, self.height
            ),
            group: group.to_string(),
            frame,
            faces: vec![truth],
        }
    }

    /// Pastes the photo as [`Scenes::face`] does and returns the true face box.
    fn paste_face(&self, frame: &mut Mat, face_width: f64, cx: f64, cy: f64) -> Box2 {
        let scale = face_width / self.face.w;
        let x = cx - (self.face.x + self.face.w / 2.0) * scale;
        let y = cy - (self.face.y + self.face.h / 2.0) * scale;
        paste(frame, &self.photo, x, y, scale);
        Box2 {
            x: x + self.face.x * scale,
            y: y + self.face.y * scale,
            w: self.face.w * scale,
            h: self.face.h * scale,
        }
    }

    /// Faces of `widths` at `positions` (shares of the room the face box has to move in the
    /// frame), each scene counted in its size bucket.
    pub fn sized(&self, widths: &[f64], positions: &[(f64, f64)]) -> Vec<Scene> {
        let mut scenes = Vec::new();
        for &width in widths {
            let height = width * self.face.h / self.face.w;
            for &(fx, fy) in positions {
                let cx = width / 2.0 + (f64::from(self.width) - width) * fx;
                let cy = height / 2.0 + (f64::from(self.height) - height) * fy;
                scenes.push(self.face(width, cx, cy, bucket(width)));
            }
        }
        scenes
    }

    /// The face filling the whole frame: its box as high as the frame, and as wide when the
    /// frame is wider than high would not fit.
    pub fn close_up(&self) -> Scene {
        let side = f64::from(self.width.min(self.height));
        let mut scene = self.face(
            side,
            f64::from(self.width) / 2.0,
            f64::from(self.height) / 2.0,
            bucket(side),
        );
        scene.name = format!("{}x{}: close-up filling the frame", self.width, self.height);
        scene
    }

    /// A face `face_width` wide with the share `out` of its box out of the frame across
    /// `border` (`left`, `right`, `top` or `bottom`).
    pub fn cut(&self, face_width: f64, border: &str, out: f64) -> Scene {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let face_height = face_width * self.face.h / self.face.w;
        let (dx, dy) = ((0.5 - out) * face_width, (0.5 - out) * face_height);
        let (cx, cy) = match border {
            "left" => (dx, h * 0.5),
            "right" => (w - dx, h * 0.4),
            "top" => (w * 0.4, dy),
            "bottom" => (w * 0.6, h - dy),
            _ => panic!("no border {border}"),
        };
        let share = if out == 0.5 {
            "half".to_string()
        } else {
            format!("{:.0}%", out * 100.0)
        };
        let side = match border {
            "left" | "right" => "a side",
            "top" => "the top",
            _ => "the bottom",
        };
        let group = format!("{share} out of {side} border");
        let mut scene = self.face(face_width, cx, cy, &group);
        scene.name = format!(
            "{}x{}: face {face_width:.0} px wide, {:.0}% out of the {border} border",
            self.width,
            self.height,
            out * 100.0
        );
        scene
    }

    /// `columns` x `rows` faces of about `face_width` (each a little different) tiled over
    /// the frame, each photo cut to its cell.
    pub fn group(&self, columns: i32, rows: i32, face_width: f64) -> Scene {
        let mut frame = self.composer.background();
        let (cell_w, cell_h) = (self.width / columns, self.height / rows);
        let mut faces = Vec::new();
        for row in 0..rows {
            for column in 0..columns {
                let mut cell = Mat::default();
                frame
                    .roi(Rect::new(column * cell_w, row * cell_h, cell_w, cell_h))
                    .unwrap()
                    .copy_to(&mut cell)
                    .unwrap();
                let width = face_width * (0.9 + 0.05 * f64::from((row * columns + column) % 5));
                let truth = self.paste_face(
                    &mut cell,
                    width,
                    f64::from(cell_w) / 2.0,
                    f64::from(cell_h) / 2.0,
                );
                cell.copy_to(
                    &mut frame
                        .roi_mut(Rect::new(column * cell_w, row * cell_h, cell_w, cell_h))
                        .unwrap(),
                )
                .unwrap();
                faces.push(Box2 {
                    x: truth.x + f64::from(column * cell_w),
                    y: truth.y + f64::from(row * cell_h),
                    ..truth
                });
            }
        }
        Scene {
            name: format!(
                "{}x{}: {} faces of about {face_width:.0} px",
                self.width,
                self.height,
                faces.len()
            ),
            group: format!("group of {} faces", faces.len()),
            frame,
            faces,
        }
    }

    /// Parts of the photo without the face, each at `heights` (pixels of frame height) in the
    /// middle of the frame: the space-shuttle model, the flag, the helmet and the suit's badge.
    pub fn face_free(&self, heights: &[f64]) -> Vec<Scene> {
        self.face_free_across(heights, "middle")
    }

    /// The parts of [`Scenes::face_free`], each with half of it out of the frame across
    /// `border` (`left`, `right`, `top` or `bottom`; `middle` for none): the padding that
    /// completes faces cut by a border must not make faces of them.
    pub fn face_free_across(&self, heights: &[f64], border: &str) -> Vec<Scene> {
        let parts = [
            ("shuttle model", Rect::new(345, 0, 150, 300)),
            ("flag", Rect::new(0, 0, 110, 512)),
            ("helmet", Rect::new(275, 330, 237, 182)),
            ("badge and chest", Rect::new(100, 290, 260, 222)),
        ];
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let mut scenes = Vec::new();
        for (what, rect) in parts {
            let part = self.photo.roi(rect).unwrap().try_clone().unwrap();
            for &height in heights {
                let scale = height / f64::from(rect.height);
                let width = f64::from(rect.width) * scale;
                let mut frame = self.composer.background();
                let (x, y) = match border {
                    "middle" => ((w - width) / 2.0, (h - height) / 2.0),
                    "left" => (-width / 2.0, (h - height) / 2.0),
                    "right" => (w - width / 2.0, (h - height) / 2.0),
                    "top" => ((w - width) / 2.0, -height / 2.0),
                    "bottom" => ((w - width) / 2.0, h - height / 2.0),
                    _ => panic!("no border {border}"),
                };
                paste(&mut frame, &part, x, y, scale);
                let place = if border == "middle" {
                    String::new()
                } else {
                    format!(", half out of the {border} border")
                };
                scenes.push(Scene {
                    name: format!(
                        "{}x{}: the {what}, {height:.0} px high{place}",
                        self.width, self.height
                    ),
                    group: "face-free".to_string(),
                    frame,
                    faces: Vec::new(),
                });
            }
        }
        scenes
    }
}

/// What a detector found in a still scene.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// True faces found on the last frame.
    pub found: usize,
    /// Boxes on any frame that match no true face.
    pub false_boxes: usize,
    /// The first of them, for messages.
    pub first_false: Option<Box2>,
}

/// The part of `b` inside a `width`x`height` frame.
fn clip(b: Box2, width: f64, height: f64) -> Box2 {
    let x0 = b.x.clamp(0.0, width);
    let y0 = b.y.clamp(0.0, height);
    let x1 = (b.x + b.w).clamp(0.0, width);
    let y1 = (b.y + b.h).clamp(0.0, height);
    Box2 {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

/// Intersection over union of two boxes.
pub fn iou(a: Box2, b: Box2) -> f64 {
    let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
    let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
    let inter = w.max(0.0) * h.max(0.0);
    let union = a.w * a.h + b.w * b.h - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Least overlap, of the parts inside the frame, of a found box with a true face.
pub const MATCH_IOU: f64 = 0.4;

/// Runs `frames` copies of `scene` through `detect` (a fresh detector: frame in, boxes out)
/// and scores the boxes: faces found on the last frame, boxes matching no face on any.
pub fn run(scene: &Scene, frames: usize, mut detect: impl FnMut(&Mat) -> Vec<Box2>) -> Outcome {
    let (w, h) = (f64::from(scene.frame.cols()), f64::from(scene.frame.rows()));
    let truths: Vec<Box2> = scene.faces.iter().map(|f| clip(*f, w, h)).collect();
    let mut outcome = Outcome::default();
    for i in 0..frames {
        let boxes: Vec<Box2> = detect(&scene.frame)
            .into_iter()
            .map(|b| clip(b, w, h))
            .collect();
        let false_boxes: Vec<Box2> = boxes
            .iter()
            .filter(|b| truths.iter().all(|t| iou(**b, *t) < MATCH_IOU / 2.0))
            .copied()
            .collect();
        outcome.false_boxes += false_boxes.len();
        outcome.first_false = outcome.first_false.or(false_boxes.first().copied());
        if i + 1 == frames {
            outcome.found = truths
                .iter()
                .filter(|t| boxes.iter().any(|b| iou(*b, **t) >= MATCH_IOU))
                .count();
        }
    }
    outcome
}
