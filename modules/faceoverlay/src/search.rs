//! One detection's search for faces of every size, from 24 px wide to filling the frame,
//! anywhere, also half out of the picture, with a second opinion on every new face.
//!
//! The Haar cascade looks at windows of 24 px and up. Searching every window size on one
//! picture would make faces cut by a border unfindable and make padding the picture cost as
//! much as a picture twice as large, so the search runs on a pyramid of *levels*, each half
//! the size of the one before, and looks at each level only for faces of 24 to [`BAND_TOP`]
//! pixels (the overlap between levels lets a face at the boundary of two levels gather all
//! its hits on one): large faces are found on small levels, where they are cheap. Each level
//! is padded by half the largest window: at the sides with its own mirror image, so a face
//! with half its box out of the picture is completed by its mirrored half and found like a
//! whole face; at the bottom with its last row repeated, which completes a face cut at the
//! mouth; at the top with its mirror image too, where the mirrored mouth and nostrils of a
//! face cut at the nose stand for its eyes and brows. A face cut by a border gathers a few hits
//! (a face 30% out of a side is completed by a distorted mirror image), a single one at some
//! sizes, so any hit reaching out of the picture is taken when both other cascades agree; one
//! less than half out of the top shows its eyes but no brows, which the first cascade needs, so
//! in the top band of every part searched the second cascade looks for it above a repeated top
//! row, and the third must agree, and an LBP cascade too unless the face is followed already.
//!
//! Levels at most `detectWidth` wide (the *coarse* levels) are searched whole on every
//! detection. Finer levels, which only small faces need and which cost several times the
//! coarse ones, are searched one horizontal band at a time, a further band on each detection,
//! plus around every face already tracked at their sizes, so that a small face, once found,
//! is confirmed and followed on every detection.
//!
//! Every face the cascade reports must also be found by a second, differently trained cascade
//! on a close crop of it: the two cascades rarely make the same mistake (the space-shuttle
//! model of the test photo fools the first, not the second). A box reaching out of a side of
//! the picture must also show an eye in its visible part, and a box centred out of it is
//! dropped: the mirrored padding makes symmetric shapes of clothing at a border, and mirror
//! images of the faces near it.

use crate::detector::FaceBox;
use filmstrip::opencv::core::{
    BORDER_REFLECT_101, BORDER_REPLICATE, Mat, Rect, Scalar, Size, Vector, copy_make_border,
};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::objdetect::{CascadeClassifier, group_rectangles, group_rectangles_weights};
use filmstrip::opencv::prelude::*;
use filmstrip::{Error, Result};
use std::path::Path;

/// OpenCV's frontal face cascade, from Debian's `opencv-data`.
pub const CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
/// The cascade giving the second opinion, from the same package.
pub const CHECK_CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml";
/// The cascade giving a third opinion on faces cut by the top or bottom border, from the same
/// package.
pub const THIRD_CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt.xml";

/// The cascade giving a fourth opinion on faces found above a repeated top row and not followed
/// yet, from the same package: trained on other features (local binary patterns), it agrees
/// with the Haar cascades on faces cut at the eyes and not on the clothing they box there.
pub const FOURTH_CASCADE: &str = "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml";

/// The eye cascade checking faces cut by a border, from the same package.
pub const EYE_CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_eye.xml";

/// Each scale 1.1 times the last and 4 overlapping hits make a face. Kurento's 1.2 and 3
/// miss faces at some sizes and fire on collars and folds of clothing more often.
const SCALE_FACTOR: f64 = 1.1;
const MIN_NEIGHBORS: i32 = 4;
/// Hits the second cascade needs for a face above a repeated top row (see
/// [`Search::detect_below_repeated_top`]).
const BORDER_NEIGHBORS: i32 = 1;
/// The cascade's smallest window: the smallest face a level can show.
const WINDOW: i32 = 24;
/// Largest window searched on a level but the last: a quarter over twice the smallest, so the
/// bands of neighbouring levels overlap.
const BAND_TOP: i32 = 60;
/// Padding of each level: half the largest window, so a face half out of the picture fits.
const PAD: i32 = BAND_TOP / 2;
/// Work of one band of the fine levels, in shares of the work of the coarse levels.
const BAND_SHARE: f64 = 1.0;
/// A tracked face is searched for in its box grown by this share of its size on each side.
const HINT_MARGIN: f64 = 0.5;
/// The second opinion looks at the face grown by this share of its size on each side, scaled
/// so that the face is [`CHECK_FACE`] pixels wide, and needs [`CHECK_NEIGHBORS`] hits.
const CHECK_MARGIN: f64 = 0.3;
const CHECK_FACE: f64 = 48.0;
const CHECK_NEIGHBORS: i32 = 2;
/// Share of its size a face box may reach out of the picture before its eyes are checked.
const OUT: f64 = 0.15;
/// The eye check scales the face to this width, looks for eyes of [`EYE_LEAST`] to
/// [`EYE_MOST`] pixels and needs [`EYE_HITS`] raw hits (measured: 77 to 101 on half faces, at
/// most 3 on mirrored clothing).
const EYES_FACE: f64 = 120.0;
const EYE_LEAST: i32 = 16;
const EYE_MOST: i32 = 50;
const EYE_HITS: usize = 12;
/// How far out of the picture, in shares of its size, the centre of a face box may lie.
const CENTRE_OUT: f64 = 0.1;
/// How close hits must be to be grouped into one face, as OpenCV's cascade groups them.
const GROUP_EPS: f64 = 0.2;
/// Least overlap of two boxes taken for the same face.
const SAME_FACE: f64 = 0.3;
/// Share of a box inside a larger face beyond which it is a part of that face (a face cut by a
/// border also gathers hits on its eyes and nose, boxed by windows smaller than it).
const PART_OF_FACE: f64 = 0.5;

/// What fills the padding above the picture.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fill {
    /// The picture's mirror image: above a face cut at the nose, the mirrored mouth and
    /// nostrils stand where eyes and brows would, for all three cascades (measured on faces
    /// 40 to 250 px wide, half out).
    Mirror,
    /// The top row repeated.
    Repeat,
}

/// Which cascade gives an opinion on a face the first found.
#[derive(Clone, Copy)]
enum CheckBy {
    Second,
    Third,
    Fourth,
}

/// One level of the pyramid: the grey picture scaled by `scale`, padded by [`PAD`].
struct Level {
    scale: f64,
    image: Mat,
    /// The largest window searched.
    top: i32,
}

/// The face search; keeps the cascades and which band of the fine levels comes next.
pub struct Search {
    cascade: CascadeClassifier,
    check: CascadeClassifier,
    third: CascadeClassifier,
    fourth: CascadeClassifier,
    eye: CascadeClassifier,
    /// Counts exploring detections, to choose the band of the fine levels.
    round: usize,
}

impl Search {
    /// Loads the cascades.
    pub fn load() -> Result<Self> {
        Ok(Self {
            cascade: load(CASCADE)?,
            check: load(CHECK_CASCADE)?,
            third: load(THIRD_CASCADE)?,
            fourth: load(FOURTH_CASCADE)?,
            eye: load(EYE_CASCADE)?,
            round: 0,
        })
    }

    /// Finds the faces of `picture` (BGR, BGRx or BGRA) given its grey copy `coarse` scaled by
    /// `scale`, and `tracked`, the boxes of the faces followed so far (searched for on every
    /// level they fit). Only a detection of the `whole` picture searches the coarse levels
    /// everywhere, and only an `explore`ing one a further band of the fine levels for new small
    /// faces; the others (run to confirm or follow faces) search around the tracked faces.
    pub fn run(
        &mut self,
        picture: &Mat,
        coarse: &Mat,
        scale: f64,
        tracked: &[FaceBox],
        whole: bool,
        explore: bool,
    ) -> Result<Vec<FaceBox>> {
        let mut found: Vec<(FaceBox, usize, Fill)> = Vec::new();
        let mut levels = Vec::new();

        // Coarse levels: the grey copy, then halves while a face can fill the picture.
        let mut image = coarse.clone();
        let mut level_scale = scale;
        let mut coarse_work = 0.0;
        loop {
            let side = image.cols().min(image.rows());
            let last = side < 2 * BAND_TOP;
            let level = pad(&image, level_scale, last)?;
            coarse_work += work(level.image.size()?);
            levels.push(level);
            if last {
                break;
            }
            let mut half = Mat::default();
            let size = Size::new(image.cols() / 2, image.rows() / 2);
            imgproc::resize(&image, &mut half, size, 0.0, 0.0, imgproc::INTER_AREA)?;
            image = half;
            level_scale /= 2.0;
        }
        for (index, level) in levels.iter().enumerate() {
            let size = Size::new(level.image.cols() - 2 * PAD, level.image.rows() - 2 * PAD);
            let near = hints(size, level.scale, level.top, tracked);
            let rects = if whole {
                vec![Rect::new(0, 0, level.image.cols(), level.image.rows())]
            } else {
                near.clone()
            };
            for rect in rects {
                self.detect(level, index, rect, &mut found)?;
                self.detect_below_repeated_top(level, index, rect, &mut found)?;
            }
        }

        // Fine levels: double the coarse scale up to the full picture, each cut in bands of
        // about the coarse levels' work; an exploring detection searches the next band of all.
        let mut fine = Vec::new();
        let mut fine_scale = scale * 2.0;
        while scale < 1.0 && fine_scale < 2.0 {
            let s = fine_scale.min(1.0);
            let size = Size::new(
                (f64::from(picture.cols()) * s).round() as i32 + 2 * PAD,
                (f64::from(picture.rows()) * s).round() as i32 + 2 * PAD,
            );
            let bands = (work(size) / (BAND_SHARE * coarse_work)).ceil().max(1.0) as usize;
            fine.push((s, bands));
            fine_scale *= 2.0;
        }
        // The full-size grey picture, made on the first need.
        let mut full: Option<Mat> = None;
        let mut band = explore.then(|| {
            self.round += 1;
            (self.round - 1) % fine.iter().map(|f| f.1).sum::<usize>().max(1)
        });
        for (s, bands) in fine {
            let mut rects = Vec::new();
            let size = Size::new(
                (f64::from(picture.cols()) * s).round() as i32,
                (f64::from(picture.rows()) * s).round() as i32,
            );
            match band {
                Some(b) if b < bands => {
                    rects.push(band_rect(size, b, bands));
                    band = None;
                }
                Some(b) => band = Some(b - bands),
                None => {}
            }
            let near = hints(size, s, BAND_TOP, tracked);
            rects.extend(near.iter().copied());
            if rects.is_empty() {
                continue;
            }
            let level = pad(&grey(picture, &mut full, size)?, s, false)?;
            let index = levels.len();
            for rect in rects {
                self.detect(&level, index, rect, &mut found)?;
                self.detect_below_repeated_top(&level, index, rect, &mut found)?;
            }
            levels.push(level);
        }

        // One box per face: the largest, as a level whose largest window is smaller than a
        // face may find a part of it.
        found.sort_by(|a, b| b.0.width.total_cmp(&a.0.width));
        let mut faces: Vec<FaceBox> = Vec::new();
        for (face, index, fill) in found {
            if faces
                .iter()
                .any(|f| f.iou(&face) > SAME_FACE || face.inside(f) > PART_OF_FACE)
            {
                continue;
            }
            let (cx, cy) = (face.x + face.width / 2.0, face.y + face.height / 2.0);
            let (width, height) = (f64::from(picture.cols()), f64::from(picture.rows()));
            // A box centred out of the picture is a mirror image of what is in it (a face half
            // out may be boxed a little beyond its middle).
            let (dx, dy) = (CENTRE_OUT * face.width, CENTRE_OUT * face.height);
            if cx < -dx || cy < -dy || cx >= width + dx || cy >= height + dy {
                continue;
            }
            let level = &levels[index];
            let out_side =
                face.x < -OUT * face.width || face.x + face.width > width + OUT * face.width;
            let out_end =
                face.y < -OUT * face.height || face.y + face.height > height + OUT * face.height;
            // A face the first cascade found must be found by the second, and by the third
            // too when cut by a border; one the second cascade found above a repeated top row,
            // by the third, and by the LBP cascade unless a face is followed there already (the
            // two Haar cascades alone box clothing there: the chest of the photo 480 px high).
            let agreed = match fill {
                Fill::Mirror => {
                    self.confirm(CheckBy::Second, level, &face, fill)?
                        && (!(out_side || out_end)
                            || self.confirm(CheckBy::Third, level, &face, fill)?)
                }
                Fill::Repeat => {
                    self.confirm(CheckBy::Third, level, &face, fill)?
                        && (tracked.iter().any(|t| t.iou(&face) > SAME_FACE)
                            || self.confirm(CheckBy::Fourth, level, &face, fill)?)
                }
            };
            if (!out_side || self.has_eyes(level, &face, width, height)?) && agreed {
                faces.push(face);
            }
        }
        Ok(faces)
    }

    /// Runs the cascade on `rect` of `level` and adds what it finds, in frame pixels: the
    /// faces with [`MIN_NEIGHBORS`] hits, and every group of hits reaching out of a border.
    fn detect(
        &mut self,
        level: &Level,
        index: usize,
        rect: Rect,
        found: &mut Vec<(FaceBox, usize, Fill)>,
    ) -> Result<()> {
        if rect.width < WINDOW || rect.height < WINDOW {
            return Ok(());
        }
        // Every hit, grouped below as the cascade would with each count of neighbours.
        let mut raw = Vector::<Rect>::new();
        self.cascade.detect_multi_scale(
            &level.image.roi(rect)?,
            &mut raw,
            SCALE_FACTOR,
            0,
            0,
            Size::new(WINDOW, WINDOW),
            Size::new(level.top, level.top),
        )?;
        let (rows, cols) = (level.image.rows(), level.image.cols());
        let at = |hit: Rect| Rect::new(hit.x + rect.x, hit.y + rect.y, hit.width, hit.height);
        let mut faces = raw.clone();
        group_rectangles(&mut faces, MIN_NEIGHBORS, GROUP_EPS)?;
        for hit in faces {
            found.push((level.to_frame(at(hit)), index, Fill::Mirror));
        }
        // A face cut by a border, completed by the padding, gathers a few hits where a whole
        // one gathers dozens, and at some sizes and cuts a single one (measured on faces 40 to
        // 250 px wide, 30% and half out of each border: 1 to 5): each group of hits reaching
        // out of the picture, however small, is a candidate, and the other cascades decide.
        // `group_rectangles` keeps the groups of more hits than its threshold and does not
        // group at all with a threshold of 0; with every hit listed twice, a threshold of 1
        // groups them and keeps a hit alone.
        let mut cut = Vector::<Rect>::with_capacity(2 * raw.len());
        for hit in &raw {
            cut.push(hit);
            cut.push(hit);
        }
        let mut twice_hits = Vector::<i32>::new();
        group_rectangles_weights(&mut cut, &mut twice_hits, 1, GROUP_EPS)?;
        for (hit, twice) in cut.iter().zip(&twice_hits) {
            let hit = at(hit);
            let (out_x, out_y) = (
                (OUT * f64::from(hit.width)) as i32,
                (OUT * f64::from(hit.height)) as i32,
            );
            let out_side = hit.x < PAD - out_x || hit.x + hit.width > cols - PAD + out_x;
            let out_end = hit.y < PAD - out_y || hit.y + hit.height > rows - PAD + out_y;
            // A single hit cut by the top or bottom border is too little on a face under two
            // windows wide in the frame, whose visible half is smaller than the cascade's
            // window: the other cascades, on their crops of it, agreed with clutter there
            // (measured: the edge of the photo at the top border, a 30 px box at 640x480), and
            // no eye check guards these borders. Faces of 40 and 60 px half out of the top or
            // bottom had 2 hits or more; those of 100 to 150 px needed single hits.
            let small = f64::from(hit.width) / level.scale < f64::from(2 * WINDOW);
            let too_few = small && !out_side && twice < 4;
            if (out_side || out_end) && !too_few {
                found.push((level.to_frame(hit), index, Fill::Mirror));
            }
        }
        Ok(())
    }

    /// Runs the second cascade on the top band of `rect` of `level` (none if `rect` does not
    /// reach the top border) with the picture's top row repeated above it, and adds what
    /// reaches out of the top border.
    ///
    /// A face with less than half of it out of the top border shows its eyes but not its
    /// brows, which the first cascade needs; above a repeated top row the second cascade finds
    /// it (measured: faces 40 to 250 px wide, 40% out). The band is as high as the padding
    /// and the largest window, a fraction of the level, so this costs little.
    fn detect_below_repeated_top(
        &mut self,
        level: &Level,
        index: usize,
        rect: Rect,
        found: &mut Vec<(FaceBox, usize, Fill)>,
    ) -> Result<()> {
        let zone = Rect::new(rect.x, 0, rect.width, PAD + level.top) & rect;
        let picture_rows = level.image.rows() - 2 * PAD;
        if zone.width < WINDOW || zone.height < WINDOW || zone.y > 0 || picture_rows <= 0 {
            return Ok(());
        }
        let inside = Rect::new(
            zone.x,
            PAD,
            zone.width,
            (zone.height - PAD).min(picture_rows),
        );
        if inside.height <= 0 {
            return Ok(());
        }
        let repeated = pad_by(
            &level.image.roi(inside)?.try_clone()?,
            [PAD, 0, 0, 0],
            Fill::Repeat,
        )?;
        let mut hits = Vector::<Rect>::new();
        self.check.detect_multi_scale(
            &repeated,
            &mut hits,
            SCALE_FACTOR,
            BORDER_NEIGHBORS,
            0,
            Size::new(WINDOW, WINDOW),
            Size::new(level.top, level.top),
        )?;
        for hit in hits {
            let out = (OUT * f64::from(hit.height)) as i32;
            if hit.y < PAD - out {
                let hit = Rect::new(hit.x + zone.x, hit.y, hit.width, hit.height);
                found.push((level.to_frame(hit), index, Fill::Repeat));
            }
        }
        Ok(())
    }

    /// Whether the eye cascade finds eyes in the part of `face` inside the `width`x`height`
    /// picture, on `level`: mirrored shapes at a border can look like a face to both face
    /// cascades, but the half of a real face in the picture shows an eye.
    fn has_eyes(&mut self, level: &Level, face: &FaceBox, width: f64, height: f64) -> Result<bool> {
        let x0 = face.x.max(0.0);
        let y0 = (face.y + 0.1 * face.height).max(0.0);
        let part = FaceBox {
            x: x0,
            y: y0,
            width: (face.x + face.width).min(width) - x0,
            height: (face.y + 0.6 * face.height).min(height) - y0,
        };
        let Some(rect) = level.to_level(&part, 0.0) else {
            return Ok(false);
        };
        let zoom = EYES_FACE / (face.width * level.scale);
        let crop = zoomed(&level.image, rect, zoom)?;
        let mut hits = Vector::<Rect>::new();
        // Every raw hit counts: an eye gathers dozens, other shapes a few.
        self.eye.detect_multi_scale(
            &crop,
            &mut hits,
            SCALE_FACTOR,
            0,
            0,
            Size::new(EYE_LEAST, EYE_LEAST),
            Size::new(EYE_MOST, EYE_MOST),
        )?;
        Ok(hits.len() >= EYE_HITS)
    }

    /// Whether the second (or third) cascade also finds `face` on `level`.
    fn confirm(&mut self, by: CheckBy, level: &Level, face: &FaceBox, fill: Fill) -> Result<bool> {
        // The face and its margin, padded as the level is but as far as the margin reaches
        // out of the picture.
        let rect = padded_rect(face, level.scale, CHECK_MARGIN);
        let (rows, cols) = (level.image.rows(), level.image.cols());
        let part = rect & Rect::new(PAD, PAD, cols - 2 * PAD, rows - 2 * PAD);
        if part.width <= 0 || part.height <= 0 {
            return Ok(false);
        }
        let piece = pad_by(
            &level.image.roi(part)?.try_clone()?,
            [
                part.y - rect.y,
                (rect.y + rect.height) - (part.y + part.height),
                part.x - rect.x,
                (rect.x + rect.width) - (part.x + part.width),
            ],
            fill,
        )?;
        let zoom = CHECK_FACE / (face.width * level.scale);
        let whole = Rect::new(0, 0, piece.cols(), piece.rows());
        let crop = zoomed(&piece, whole, zoom)?;
        let mut hits = Vector::<Rect>::new();
        let (least, most) = ((CHECK_FACE * 0.7) as i32, (CHECK_FACE * 1.4) as i32);
        let cascade = match by {
            CheckBy::Second => &mut self.check,
            CheckBy::Third => &mut self.third,
            CheckBy::Fourth => &mut self.fourth,
        };
        cascade.detect_multi_scale(
            &crop,
            &mut hits,
            SCALE_FACTOR,
            CHECK_NEIGHBORS,
            0,
            Size::new(least, least),
            Size::new(most, most),
        )?;
        // The face's centre in the crop.
        let cx = f64::from(crop.cols()) / 2.0;
        let cy = f64::from(crop.rows()) / 2.0;
        let tolerance = CHECK_FACE * 0.3;
        Ok(hits.iter().any(|h| {
            let hx = f64::from(h.x) + f64::from(h.width) / 2.0;
            let hy = f64::from(h.y) + f64::from(h.height) / 2.0;
            (hx - cx).abs() < tolerance && (hy - cy).abs() < tolerance
        }))
    }
}

impl Level {
    /// A box of the padded level in frame pixels.
    fn to_frame(&self, rect: Rect) -> FaceBox {
        FaceBox {
            x: f64::from(rect.x - PAD) / self.scale,
            y: f64::from(rect.y - PAD) / self.scale,
            width: f64::from(rect.width) / self.scale,
            height: f64::from(rect.height) / self.scale,
        }
    }

    /// `face` grown by `margin` of its size on each side, in pixels of the padded level,
    /// clipped to it; `None` if nothing is left.
    fn to_level(&self, face: &FaceBox, margin: f64) -> Option<Rect> {
        let whole = Rect::new(0, 0, self.image.cols(), self.image.rows());
        let rect = padded_rect(face, self.scale, margin) & whole;
        (rect.width > 0 && rect.height > 0).then_some(rect)
    }
}

/// `face` grown by `margin` of its size on each side, in pixels of a level at `scale` padded
/// by [`PAD`].
fn padded_rect(face: &FaceBox, scale: f64, margin: f64) -> Rect {
    let x0 = ((face.x - margin * face.width) * scale).round() as i32 + PAD;
    let y0 = ((face.y - margin * face.height) * scale).round() as i32 + PAD;
    let x1 = ((face.x + (1.0 + margin) * face.width) * scale).round() as i32 + PAD;
    let y1 = ((face.y + (1.0 + margin) * face.height) * scale).round() as i32 + PAD;
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// `rect` of `image` scaled by `zoom`.
fn zoomed(image: &Mat, rect: Rect, zoom: f64) -> Result<Mat> {
    let size = Size::new(
        (f64::from(rect.width) * zoom).round() as i32,
        (f64::from(rect.height) * zoom).round() as i32,
    );
    let interpolation = if zoom < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    let mut crop = Mat::default();
    imgproc::resize(&image.roi(rect)?, &mut crop, size, 0.0, 0.0, interpolation)?;
    Ok(crop)
}

/// `image` padded by [`PAD`] with its mirror image; the `last` level searches every window
/// size up to the whole picture.
fn pad(image: &Mat, scale: f64, last: bool) -> Result<Level> {
    let padded = pad_by(image, [PAD; 4], Fill::Mirror)?;
    let top = if last {
        padded.cols().min(padded.rows())
    } else {
        BAND_TOP
    };
    Ok(Level {
        scale,
        image: padded,
        top,
    })
}

/// `image` padded by `[top, bottom, left, right]` pixels: with its mirror image at the
/// sides, since faces are symmetric left to right; below a face cut at the chin or mouth,
/// repeated rows complete it for the cascades; above it as `fill` says.
fn pad_by(image: &Mat, [top, bottom, left, right]: [i32; 4], fill: Fill) -> Result<Mat> {
    let mut above = Mat::default();
    let top_border = match fill {
        Fill::Mirror => BORDER_REFLECT_101,
        Fill::Repeat => BORDER_REPLICATE,
    };
    copy_make_border(
        image,
        &mut above,
        top,
        0,
        0,
        0,
        top_border,
        Scalar::default(),
    )?;
    let mut tall = Mat::default();
    copy_make_border(
        &above,
        &mut tall,
        0,
        bottom,
        0,
        0,
        BORDER_REPLICATE,
        Scalar::default(),
    )?;
    let mut padded = Mat::default();
    copy_make_border(
        &tall,
        &mut padded,
        0,
        0,
        left,
        right,
        BORDER_REFLECT_101,
        Scalar::default(),
    )?;
    Ok(padded)
}

/// The cascade's work on a picture of `size`, in pixels.
fn work(size: Size) -> f64 {
    f64::from(size.width) * f64::from(size.height)
}

/// `picture` in grey at `size`, scaled from its full-size grey copy `full` (made if `None`).
fn grey(picture: &Mat, full: &mut Option<Mat>, size: Size) -> Result<Mat> {
    let full = match full {
        Some(full) => full,
        slot => {
            let code = if picture.channels() == 3 {
                imgproc::COLOR_BGR2GRAY
            } else {
                imgproc::COLOR_BGRA2GRAY
            };
            let mut grey = Mat::default();
            imgproc::cvt_color_def(picture, &mut grey, code)?;
            slot.insert(grey)
        }
    };
    if size == full.size()? {
        return Ok(full.clone());
    }
    let mut scaled = Mat::default();
    imgproc::resize(&*full, &mut scaled, size, 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(scaled)
}

/// Band `band` of `bands` of a fine level of `size` (before padding), in padded pixels:
/// horizontal, overlapping its neighbours by the largest window.
fn band_rect(size: Size, band: usize, bands: usize) -> Rect {
    let (width, height) = (size.width + 2 * PAD, size.height + 2 * PAD);
    let (band, bands) = (band as i32, bands as i32);
    let step = height / bands;
    let y0 = (band * step - BAND_TOP / 2).max(0);
    let y1 = if band == bands - 1 {
        height
    } else {
        ((band + 1) * step + BAND_TOP / 2).min(height)
    };
    Rect::new(0, y0, width, y1 - y0)
}

/// The surroundings, in padded pixels, of each `tracked` face of a size the level of `size`
/// (before padding) at `scale` searches, with windows up to `top`.
fn hints(size: Size, scale: f64, top: i32, tracked: &[FaceBox]) -> Vec<Rect> {
    let level = Rect::new(0, 0, size.width + 2 * PAD, size.height + 2 * PAD);
    tracked
        .iter()
        .filter(|face| {
            let side = face.width * scale;
            side >= f64::from(WINDOW) * 0.8 && side * SCALE_FACTOR <= f64::from(top)
        })
        .filter_map(|face| {
            let rect = padded_rect(face, scale, HINT_MARGIN) & level;
            (rect.width > 0 && rect.height > 0).then_some(rect)
        })
        .collect()
}

/// The cascade at `path`, or an error naming what is missing.
fn load(path: &str) -> Result<CascadeClassifier> {
    if !Path::new(path).is_file() {
        return Err(Error::new(format!(
            "the face cascade {path} is missing: install the opencv-data package"
        )));
    }
    let cascade = CascadeClassifier::new(path)?;
    if cascade.empty()? {
        return Err(Error::new(format!(
            "OpenCV could not load the face cascade {path}"
        )));
    }
    Ok(cascade)
}
