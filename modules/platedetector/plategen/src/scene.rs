//! Cluttered backgrounds, plates placed in them in perspective, and the camera's faults:
//! uneven light, blur and noise.

use crate::rng::Rng;
use crate::text::{Fonts, TextBox, draw_text};
use opencv::core::{
    self, BORDER_CONSTANT, BORDER_TRANSPARENT, CV_8UC3, CV_32FC3, Mat, Point, Point2f, Rect,
    Scalar, Size, Vector,
};
use opencv::imgproc;
use opencv::prelude::*;

/// Words for the signs in the background: letters only, as shop signs and posters are.
const WORDS: &[&str] = &[
    "open",
    "SALE",
    "Parking",
    "EXIT",
    "cafe",
    "Bakery",
    "STOP",
    "hotel",
    "Taxi",
    "garage",
    "Pharmacy",
    "bus",
    "LOBBY",
    "Market",
    "keep left",
    "no entry",
    "Welcome",
    "TOILETS",
];

fn colour(rng: &mut Rng) -> Scalar {
    Scalar::new(
        rng.range(0.0, 255.0),
        rng.range(0.0, 255.0),
        rng.range(0.0, 255.0),
        0.0,
    )
}

/// A `width` x `height` BGR background: a gradient under random shapes, signs with words or
/// numbers, bars, and empty plate-like white boxes.
pub fn background(rng: &mut Rng, fonts: &Fonts, width: i32, height: i32) -> Mat {
    let (a, b) = (colour(rng), colour(rng));
    let mut image = Mat::new_rows_cols_with_default(height, width, CV_8UC3, a).expect("image");
    // A vertical gradient from `a` to `b`, drawn as bands.
    for y in (0..height).step_by(4) {
        let t = f64::from(y) / f64::from(height);
        let c = Scalar::new(
            a[0] * (1.0 - t) + b[0] * t,
            a[1] * (1.0 - t) + b[1] * t,
            a[2] * (1.0 - t) + b[2] * t,
            0.0,
        );
        imgproc::rectangle(
            &mut image,
            Rect::new(0, y, width, 4),
            c,
            -1,
            imgproc::LINE_8,
            0,
        )
        .expect("band");
    }
    let scale = f64::from(width) / 1280.0;
    let size = |rng: &mut Rng, low: f64, high: f64| (rng.range(low, high) * scale).max(1.0) as i32;
    for _ in 0..rng.below(25, 45) {
        let at = Point::new(rng.below(0, width), rng.below(0, height));
        let c = colour(rng);
        match rng.below(0, 3) {
            0 => {
                let r = Rect::new(at.x, at.y, size(rng, 10.0, 300.0), size(rng, 10.0, 200.0));
                let thickness = if rng.chance(0.6) { -1 } else { rng.below(1, 6) };
                imgproc::rectangle(&mut image, r, c, thickness, imgproc::LINE_AA, 0)
            }
            1 => {
                let r = size(rng, 5.0, 120.0);
                imgproc::circle(&mut image, at, r, c, -1, imgproc::LINE_AA, 0)
            }
            _ => {
                let to = Point::new(rng.below(0, width), rng.below(0, height));
                imgproc::line(&mut image, at, to, c, rng.below(1, 8), imgproc::LINE_AA, 0)
            }
        }
        .expect("shape");
    }
    // Signs: light boards with dark words or numbers, the clutter most like a plate.
    for _ in 0..rng.below(2, 6) {
        let font = rng.pick(&fonts.clutter);
        let text = if rng.chance(0.7) {
            rng.pick(WORDS).to_string()
        } else {
            (0..rng.below(3, 8))
                .map(|_| char::from(b'0' + rng.below(0, 10) as u8))
                .collect()
        };
        let cap = rng.range(12.0, 60.0) * scale;
        let board_w = (cap * 0.75 * text.len() as f64 + cap) as i32;
        let board = Rect::new(
            rng.below(0, width - board_w.min(width - 1)),
            rng.below(0, height - (2.0 * cap) as i32),
            board_w,
            (cap * 2.0) as i32,
        );
        let light = rng.range(170.0, 255.0);
        imgproc::rectangle(
            &mut image,
            board,
            Scalar::all(light),
            -1,
            imgproc::LINE_8,
            0,
        )
        .expect("board");
        let layout = TextBox {
            x: f64::from(board.x) + cap * 0.5,
            baseline: f64::from(board.y) + cap * 1.5,
            cap_height: cap,
            max_width: Some(f64::from(board.width) - cap),
            spacing: 0.0,
        };
        draw_text(
            &mut image,
            font,
            &text,
            &layout,
            Scalar::all(rng.range(0.0, 80.0)),
        );
    }
    // Plate-shaped white boxes: empty, or with vertical bars like a barcode or a grille.
    for _ in 0..rng.below(1, 4) {
        let w = size(rng, 100.0, 450.0);
        let h = w / 5;
        let r = Rect::new(rng.below(0, width - w), rng.below(0, height - h), w, h);
        imgproc::rectangle(
            &mut image,
            r,
            Scalar::all(rng.range(200.0, 255.0)),
            -1,
            imgproc::LINE_8,
            0,
        )
        .expect("box");
        imgproc::rectangle(&mut image, r, Scalar::all(20.0), 2, imgproc::LINE_8, 0).expect("edge");
        if rng.chance(0.5) {
            let mut x = r.x + h / 4;
            while x < r.x + r.width - h / 4 {
                let bar = rng.below(1, (h / 6).max(2));
                let bars = Rect::new(x, r.y + h / 5, bar, h * 3 / 5);
                imgproc::rectangle(&mut image, bars, Scalar::all(20.0), -1, imgproc::LINE_8, 0)
                    .expect("bar");
                x += bar + rng.below(2, (h / 4).max(3));
            }
        }
    }
    image
}

/// Where a plate goes in one frame: its corners, clockwise from top-left.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// Top-left, top-right, bottom-right, bottom-left.
    pub corners: [(f64, f64); 4],
}

impl Placement {
    /// The smallest whole-pixel rectangle holding the corners.
    pub fn bounding_box(&self) -> Rect {
        let xs = self.corners.map(|c| c.0);
        let ys = self.corners.map(|c| c.1);
        let x0 = xs.iter().copied().fold(f64::MAX, f64::min).floor() as i32;
        let y0 = ys.iter().copied().fold(f64::MAX, f64::min).floor() as i32;
        let x1 = xs.iter().copied().fold(f64::MIN, f64::max).ceil() as i32;
        let y1 = ys.iter().copied().fold(f64::MIN, f64::max).ceil() as i32;
        Rect::new(x0, y0, x1 - x0, y1 - y0)
    }
}

/// A plate `width` px wide centred at `centre`, turned by `angle` degrees, with its corners
/// moved by `skew` (shares of the width) for perspective.
pub fn placement(centre: (f64, f64), width: f64, angle: f64, skew: [(f64, f64); 4]) -> Placement {
    let height = width * f64::from(crate::PLATE_HEIGHT) / f64::from(crate::PLATE_WIDTH);
    let (sin, cos) = angle.to_radians().sin_cos();
    let flat = [
        (-width / 2.0, -height / 2.0),
        (width / 2.0, -height / 2.0),
        (width / 2.0, height / 2.0),
        (-width / 2.0, height / 2.0),
    ];
    let mut corners = [(0.0, 0.0); 4];
    for (i, (x, y)) in flat.into_iter().enumerate() {
        let (x, y) = (x + skew[i].0 * width, y + skew[i].1 * width);
        corners[i] = (centre.0 + x * cos - y * sin, centre.1 + x * sin + y * cos);
    }
    Placement { corners }
}

/// Draws `plate` into `frame` at `at` with a perspective warp.
pub fn place(frame: &mut Mat, plate: &Mat, at: &Placement) {
    // A plate shrunk a lot is area-averaged first, as a camera's sensor would, instead of
    // sampled by the warp, which would alias its strokes away.
    let target = f64::from(at.bounding_box().width.max(1));
    let shrink = f64::from(plate.cols()) / target;
    let source = if shrink > 2.0 {
        let size = Size::new(
            (f64::from(plate.cols()) / shrink * 1.5).round() as i32,
            (f64::from(plate.rows()) / shrink * 1.5).round() as i32,
        );
        let mut smaller = Mat::default();
        imgproc::resize(plate, &mut smaller, size, 0.0, 0.0, imgproc::INTER_AREA).expect("resize");
        smaller
    } else {
        plate.clone()
    };
    let (w, h) = (source.cols() as f32, source.rows() as f32);
    let src = Vector::<Point2f>::from_slice(&[
        Point2f::new(0.0, 0.0),
        Point2f::new(w, 0.0),
        Point2f::new(w, h),
        Point2f::new(0.0, h),
    ]);
    let dst: Vector<Point2f> = at
        .corners
        .iter()
        .map(|&(x, y)| Point2f::new(x as f32, y as f32))
        .collect();
    let transform = imgproc::get_perspective_transform(&src, &dst, core::DECOMP_LU).expect("warp");
    let size = frame.size().expect("size");
    // BORDER_TRANSPARENT leaves the frame's own pixels outside the plate.
    let mut out = frame.clone();
    imgproc::warp_perspective(
        &source,
        &mut out,
        &transform,
        size,
        imgproc::INTER_LINEAR,
        BORDER_TRANSPARENT,
        Scalar::default(),
    )
    .expect("warp");
    *frame = out;
}

/// The camera's faults for one shot: fixed light, blur and noise strength.
#[derive(Debug, Clone, Copy)]
pub struct Camera {
    /// Brightness gain at the left, right, top and bottom edges.
    light: [f64; 4],
    /// Gaussian blur sigma, 0 for none.
    blur: f64,
    /// Horizontal motion blur length in pixels, 0 or 1 for none.
    motion: i32,
    /// Noise standard deviation in grey levels.
    noise: f64,
}

impl Camera {
    /// Random faults within what a street camera shows.
    pub fn random(rng: &mut Rng) -> Self {
        Self {
            light: [
                rng.range(0.55, 1.15),
                rng.range(0.55, 1.15),
                rng.range(0.8, 1.1),
                rng.range(0.8, 1.1),
            ],
            blur: if rng.chance(0.6) {
                rng.range(0.3, 1.0)
            } else {
                0.0
            },
            motion: if rng.chance(0.25) { rng.below(2, 6) } else { 0 },
            noise: rng.range(2.0, 8.0),
        }
    }

    /// Applies the faults to `frame`; `seed` picks this frame's noise.
    pub fn shoot(&self, frame: &Mat, seed: u64) -> Mat {
        let size = frame.size().expect("size");
        let mut gain = Mat::new_size_with_default(size, CV_32FC3, Scalar::all(1.0)).expect("gain");
        {
            let [left, right, top, bottom] = self.light;
            let (w, h) = (size.width as usize, size.height as usize);
            let data = gain.data_typed_mut::<core::Vec3f>().expect("gain data");
            for y in 0..h {
                let v = top + (bottom - top) * y as f64 / h as f64;
                for x in 0..w {
                    let g = (v * (left + (right - left) * x as f64 / w as f64)) as f32;
                    data[y * w + x] = core::Vec3f::from([g, g, g]);
                }
            }
        }
        let mut lit = Mat::default();
        core::multiply(frame, &gain, &mut lit, 1.0, CV_8UC3).expect("light");
        let mut blurred = Mat::default();
        if self.blur > 0.0 {
            imgproc::gaussian_blur(
                &lit,
                &mut blurred,
                Size::new(0, 0),
                self.blur,
                0.0,
                BORDER_CONSTANT,
            )
            .expect("blur");
        } else {
            blurred = lit;
        }
        if self.motion > 1 {
            let kernel = Mat::new_rows_cols_with_default(
                1,
                self.motion,
                core::CV_32F,
                Scalar::all(1.0 / f64::from(self.motion)),
            )
            .expect("kernel");
            let mut moved = Mat::default();
            imgproc::filter_2d(
                &blurred,
                &mut moved,
                -1,
                &kernel,
                Point::new(-1, -1),
                0.0,
                core::BORDER_REPLICATE,
            )
            .expect("motion");
            blurred = moved;
        }
        let mut noise = Mat::new_size_with_default(size, CV_8UC3, Scalar::all(0.0)).expect("noise");
        core::set_rng_seed(seed as i32).expect("seed");
        core::randn(&mut noise, &Scalar::all(128.0), &Scalar::all(self.noise)).expect("randn");
        let mut out = Mat::default();
        core::add_weighted(&blurred, 1.0, &noise, 1.0, -128.0, &mut out, -1).expect("noise");
        out
    }
}
