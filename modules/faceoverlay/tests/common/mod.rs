//! Test pictures: the astronaut photo composed over a face-free background at any size and
//! position, its true face box, solid-colour overlay images, and a tiny HTTP server.
//!
//! Shared by the tests and the benchmark (through `#[path]`), so some items go unused in each.
#![allow(dead_code)]

pub mod scenes;

use filmstrip::opencv::core::{CV_8UC3, Mat, Rect, Scalar, Size, Vector};
use filmstrip::opencv::objdetect::CascadeClassifier;
use filmstrip::opencv::prelude::*;
use filmstrip::opencv::{imgcodecs, imgproc};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The overlay colour of the tests, BGR; it occurs nowhere in the test pictures.
pub const MAGENTA: [u8; 3] = [255, 0, 255];

/// The photo the clips are made of: one frontal face, 512x512.
pub fn astronaut_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/astronaut.png")
}

/// The photo, BGR.
pub fn astronaut() -> Mat {
    let path = astronaut_path();
    let image = imgcodecs::imread(path.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    assert!(!image.empty(), "{} did not load", path.display());
    image
}

/// A box in pixels, as floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Box2 {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The face box in the photo's own coordinates: found once with the same cascade, on the
/// full-size photo, with fine scale steps.
pub fn astronaut_face() -> Box2 {
    let mut cascade = CascadeClassifier::new(faceoverlay::detector::CASCADE).unwrap();
    let mut gray = Mat::default();
    imgproc::cvt_color_def(&astronaut(), &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
    let mut faces = Vector::<Rect>::new();
    cascade
        .detect_multi_scale(
            &gray,
            &mut faces,
            1.05,
            3,
            0,
            Size::new(60, 60),
            Size::default(),
        )
        .unwrap();
    // At these fine steps the cascade also fires on the suit's collar; the face is the box
    // around the middle of the face, seen by eye at (224, 115).
    let f = faces
        .iter()
        .find(|f| f.contains(filmstrip::opencv::core::Point::new(224, 115)))
        .unwrap_or_else(|| panic!("no face box in {faces:?}"));
    Box2 {
        x: f.x as f64,
        y: f.y as f64,
        w: f.width as f64,
        h: f.height as f64,
    }
}

/// Where the photo goes in a frame: its top-left corner and its scale.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub x: i32,
    pub y: i32,
    pub scale: f64,
}

impl Placement {
    /// The true face box in the frame.
    pub fn face(&self, face: &Box2) -> Box2 {
        Box2 {
            x: self.x as f64 + face.x * self.scale,
            y: self.y as f64 + face.y * self.scale,
            w: face.w * self.scale,
            h: face.h * self.scale,
        }
    }
}

/// The photo at `scale`, its top-left corner at shares `fx`, `fy` of the room it has to move.
pub fn placed(width: i32, height: i32, scale: f64, fx: f64, fy: f64) -> Placement {
    let side = 512.0 * scale;
    Placement {
        x: ((width as f64 - side) * fx).round() as i32,
        y: ((height as f64 - side) * fy).round() as i32,
        scale,
    }
}

/// The photo at `scale` in the middle of the frame.
pub fn centred(width: i32, height: i32, scale: f64) -> Placement {
    placed(width, height, scale, 0.5, 0.5)
}

/// `frames` placements of the photo wandering over the whole frame (up to about 9 pixels a
/// frame at 640x480) while its scale swings between `scales`.
pub fn moving_face(width: i32, height: i32, frames: usize, scales: (f64, f64)) -> Vec<Placement> {
    use std::f64::consts::TAU;
    (0..frames)
        .map(|i| {
            let t = i as f64 / frames as f64;
            let scale = scales.0 + (scales.1 - scales.0) * (0.5 - 0.5 * (TAU * 1.5 * t).cos());
            placed(
                width,
                height,
                scale,
                0.5 + 0.45 * (TAU * t).sin(),
                0.5 + 0.45 * (TAU * 1.3 * t + 1.0).sin(),
            )
        })
        .collect()
}

/// Makes BGR frames of one size: a face-free background with the photo placed on it.
pub struct Composer {
    photo: Mat,
    background: Mat,
}

impl Composer {
    /// Frames of `width`x`height`.
    pub fn new(width: i32, height: i32) -> Self {
        // A diagonal colour gradient with a few flat shapes: some structure, no face.
        let mut background =
            Mat::new_rows_cols_with_default(height, width, CV_8UC3, Scalar::all(0.0)).unwrap();
        for y in 0..height {
            for x in 0..width {
                let px = background
                    .at_2d_mut::<filmstrip::opencv::core::Vec3b>(y, x)
                    .unwrap();
                px[0] = (60 + 100 * x / width) as u8;
                px[1] = (90 + 60 * y / height) as u8;
                px[2] = (120 + 80 * (x + y) / (width + height)) as u8;
            }
        }
        for (i, color) in [[40.0, 160.0, 90.0], [200.0, 120.0, 60.0]]
            .iter()
            .enumerate()
        {
            let side = height / 6;
            let rect = Rect::new(width / 8 + i as i32 * width / 2, height / 8, side * 2, side);
            imgproc::rectangle(
                &mut background,
                rect,
                Scalar::new(color[0], color[1], color[2], 0.0),
                -1,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        Self {
            photo: astronaut(),
            background,
        }
    }

    /// The background alone.
    pub fn background(&self) -> Mat {
        self.background.clone()
    }

    /// The photo over the background; it must fit in the frame.
    pub fn compose(&self, at: Placement) -> Mat {
        let mut frame = self.background.clone();
        let side = (self.photo.cols() as f64 * at.scale).round() as i32;
        let mut scaled = Mat::default();
        imgproc::resize(
            &self.photo,
            &mut scaled,
            Size::new(side, side),
            0.0,
            0.0,
            imgproc::INTER_AREA,
        )
        .unwrap();
        let mut target = frame.roi_mut(Rect::new(at.x, at.y, side, side)).unwrap();
        scaled.copy_to(&mut target).unwrap();
        frame
    }
}

/// A BGR `Mat` as the bytes of a frame of `channels` (3: BGR, 4: BGRx) without row padding.
pub fn frame_bytes(bgr: &Mat, channels: i32) -> Vec<u8> {
    if channels == 3 {
        return bgr.data_bytes().unwrap().to_vec();
    }
    let mut bgrx = Mat::default();
    imgproc::cvt_color_def(bgr, &mut bgrx, imgproc::COLOR_BGR2BGRA).unwrap();
    bgrx.data_bytes().unwrap().to_vec()
}

/// Pixel `(x, y)` of a packed frame.
pub fn pixel(frame: &[u8], width: usize, channels: usize, x: usize, y: usize) -> &[u8] {
    let at = (y * width + x) * channels;
    &frame[at..at + channels]
}

/// The number of pixels of `frame` in `rect` (clipped) that are exactly `color`.
pub fn count_color(
    frame: &[u8],
    (width, height): (usize, usize),
    channels: usize,
    rect: Box2,
    color: [u8; 3],
) -> usize {
    let x0 = rect.x.max(0.0).round() as usize;
    let y0 = rect.y.max(0.0).round() as usize;
    let x1 = ((rect.x + rect.w).round() as usize).min(width);
    let y1 = ((rect.y + rect.h).round() as usize).min(height);
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| pixel(frame, width, channels, x, y)[..3] == color)
        .count()
}

/// Encodes a `size`x`size` image of one BGRA colour in `extension`'s format (`.png`,
/// `.jpg`); 1 or 3 channels drop the alpha (1: the blue value as grey).
pub fn solid_image(bgra: [u8; 4], channels: i32, size: i32, extension: &str) -> Vec<u8> {
    let scalar = Scalar::new(
        bgra[0] as f64,
        bgra[1] as f64,
        bgra[2] as f64,
        bgra[3] as f64,
    );
    let typ = filmstrip::opencv::core::CV_MAKETYPE(filmstrip::opencv::core::CV_8U, channels);
    let image = Mat::new_rows_cols_with_default(size, size, typ, scalar).unwrap();
    let mut bytes = Vector::<u8>::new();
    imgcodecs::imencode(extension, &image, &mut bytes, &Vector::new()).unwrap();
    bytes.to_vec()
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// What the test server answers on a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// 200 announcing and sending this many zero bytes.
    Zeros(usize),
    /// This status with an empty body.
    Status(u16),
    /// Nothing, for longer than the download timeout.
    Stall,
}

/// An HTTP server on 127.0.0.1 answering `routes`; counts requests.
pub struct Server {
    pub base: String,
    pub requests: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(routes: Vec<(&'static str, Reply)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let routes = routes.clone();
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8];
                    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                        head.push(byte[0]);
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let reply = routes
                        .iter()
                        .find(|(p, _)| *p == path)
                        .map_or(Reply::Status(404), |(_, r)| r.clone());
                    let respond = |status: u16, length: usize| {
                        format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                        )
                    };
                    // Write errors only mean the client gave up, as it should on big bodies.
                    let _ = match reply {
                        Reply::Body(body) => stream
                            .write_all(respond(200, body.len()).as_bytes())
                            .and_then(|_| stream.write_all(&body)),
                        Reply::Zeros(n) => stream
                            .write_all(respond(200, n).as_bytes())
                            .and_then(|_| stream.write_all(&vec![0u8; n])),
                        Reply::Status(status) => stream.write_all(respond(status, 0).as_bytes()),
                        Reply::Stall => {
                            std::thread::sleep(faceoverlay::DOWNLOAD_TIMEOUT * 2);
                            Ok(())
                        }
                    };
                });
            }
        });
        Self { base, requests }
    }
}
