//! Synthetic street scenes with European licence plates, for the `platedetector` module's
//! accuracy tests and benchmarks.
//!
//! Everything follows from a seed: registrations of several formats ([`PlateFormat`]),
//! drawn with real TrueType fonts from Debian packages, placed in cluttered backgrounds at
//! 10-40% of the frame width, turned up to ±10°, in perspective, under uneven light, blurred
//! and noisy, and shown for a number of frames with a little motion.
//!
//! ```no_run
//! let mut generator = plategen::Generator::new(7, 1280, 720).unwrap();
//! let shot = generator.plate_shot(plategen::PlateFormat::Spanish, 15);
//! println!("{} in {} frames", shot.registration.text(), shot.frames.len());
//! ```

mod plate;
mod rng;
mod scene;
mod text;

pub use plate::{PLATE_HEIGHT, PLATE_WIDTH, PlateFormat, Registration, draw_plate, registration};
pub use rng::Rng;
pub use scene::{Camera, Placement, background, place, placement};
pub use text::Fonts;

use opencv::core::{Mat, Rect};
use opencv::prelude::*;

/// Smallest plate width as a share of the frame width.
pub const MIN_WIDTH: f64 = 0.10;
/// Largest plate width as a share of the frame width.
pub const MAX_WIDTH: f64 = 0.40;
/// Largest turn of a plate in degrees, either way.
pub const MAX_ANGLE: f64 = 10.0;

/// A plate shown over several frames.
pub struct Shot {
    /// What the plate says.
    pub registration: Registration,
    /// The frames, BGR.
    pub frames: Vec<Mat>,
    /// The plate's bounding box in each frame.
    pub boxes: Vec<Rect>,
    /// The same scene without the plate, through the same camera: the plate gone.
    pub background: Mat,
}

/// Makes scenes from a seed.
pub struct Generator {
    fonts: Fonts,
    rng: Rng,
    width: i32,
    height: i32,
    shots: u64,
}

impl Generator {
    /// A generator of `width` x `height` frames; fails naming the font package if one is missing.
    pub fn new(seed: u64, width: i32, height: i32) -> Result<Self, String> {
        Ok(Self {
            fonts: Fonts::load()?,
            rng: Rng::new(seed),
            width,
            height,
            shots: 0,
        })
    }

    /// `frames` frames of one random plate of `format` moving a little over a new background.
    pub fn plate_shot(&mut self, format: PlateFormat, frames: usize) -> Shot {
        let rng = &mut self.rng;
        let registration = registration(rng, format);
        let plate = draw_plate(rng, &self.fonts, &registration);
        let background = background(rng, &self.fonts, self.width, self.height);
        let camera = Camera::random(rng);
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let mut width = rng.range(MIN_WIDTH, MAX_WIDTH) * w;
        let angle = rng.range(-MAX_ANGLE, MAX_ANGLE);
        // Perspective: one side nearer the camera than the other (yaw), and the top edge
        // narrower or wider than the bottom (pitch); shares of the plate width.
        // A yaw of 0.015 makes one end of the plate about 30% taller than the other.
        let yaw = rng.range(-0.015, 0.015);
        let pitch = rng.range(-0.02, 0.02);
        let skew = [(pitch, -yaw), (-pitch, yaw), (0.0, -yaw), (0.0, yaw)];
        let margin = |size: f64, extent: f64| (extent / 2.0 + 20.0).min(size / 2.0);
        let mut centre = (
            rng.range(margin(w, width * 1.1), w - margin(w, width * 1.1)),
            rng.range(margin(h, width * 0.4), h - margin(h, width * 0.4)),
        );
        let velocity = (rng.range(-3.0, 3.0), rng.range(-2.0, 2.0));
        let growth = rng.range(0.995, 1.005);
        let mut shot = Shot {
            registration,
            frames: Vec::with_capacity(frames),
            boxes: Vec::with_capacity(frames),
            background: camera.shoot(&background, self.shots),
        };
        for _ in 0..frames {
            let at = placement(centre, width, angle, skew);
            let mut frame = background.clone();
            place(&mut frame, &plate, &at);
            shot.frames.push(camera.shoot(&frame, self.shots));
            shot.boxes.push(at.bounding_box());
            self.shots += 1;
            centre = (centre.0 + velocity.0, centre.1 + velocity.1);
            width *= growth;
        }
        shot
    }

    /// `frames` frames of a new cluttered background without any plate.
    pub fn empty_shot(&mut self, frames: usize) -> Vec<Mat> {
        let background = background(&mut self.rng, &self.fonts, self.width, self.height);
        let camera = Camera::random(&mut self.rng);
        (0..frames)
            .map(|_| {
                self.shots += 1;
                camera.shoot(&background, self.shots)
            })
            .collect()
    }
}

/// The pixels of a continuous 8-bit Mat, row after row.
pub fn bytes(mat: &Mat) -> Vec<u8> {
    mat.data_bytes().expect("continuous Mat").to_vec()
}
