//! Finding plates without reading them: rows of character-like blobs.
//!
//! A plate is, above all, a row of four to eight dark characters of one height on a light
//! ground. So instead of looking for the plate's rectangle (whose edges blur, and which
//! borders, bumpers and signs imitate), the finder looks for the characters themselves:
//!
//! 1. the frame is shrunk so the smallest expected characters are about 9 px tall, and made
//!    grey by taking each pixel's brightest channel, so that the blue EU band and coloured
//!    clutter come out light while black characters stay dark;
//! 2. a local (adaptive) threshold marks pixels darker than their surroundings;
//! 3. connected blobs with a character's size and shape are kept: as tall as the characters
//!    of a plate in the configured width range, narrower than tall, neither empty nor solid;
//! 4. blobs of similar height, side by side along a line turned at most about 12° and
//!    close enough to be one word, are linked; a linked group, cleaned of blobs off its
//!    line or height, of four to ten blobs, most of them wider than a bar, is a candidate.
//!    Bars of a barcode or grille are too thin or too many, words of mixed case have mixed
//!    heights.
//!
//! Each candidate carries the quadrilateral around its characters, fitted to their tops
//! and bottoms, so the reader can rectify rotation and perspective.

use filmstrip::Result;
use filmstrip::opencv::core::{self, Mat, Point2f, Rect, Scalar, Size, Vector};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;

/// Character height as a share of the plate width: 75 mm on a 520 mm EU plate is 0.144;
/// fonts and squeezed plates give a little either way.
const CHAR_SHARE: (f64, f64) = (0.11, 0.17);
/// The plate widths looked for, as multiples of the configured plate width.
pub const WIDTH_RANGE: (f64, f64) = (0.4, 1.6);
/// The plate widths always looked for, as shares of the frame width, whatever the
/// configured width: from a car across the street to a close-up.
pub const ALWAYS: (f64, f64) = (0.08, 0.6);
/// Largest ratio of the tallest to the smallest characters looked for in one pass; wider
/// ranges are split into passes at different scales.
const PASS_RANGE: f64 = 3.0;
/// Height in pixels of the smallest expected characters in the shrunk picture.
const MIN_CHAR_PX: f64 = 10.0;
/// Grey levels a pixel must be darker than its neighbourhood's mean to count as ink.
const INK_CONTRAST: f64 = 10.0;
/// Largest height ratio of two neighbouring characters.
const HEIGHT_RATIO: f64 = 1.35;
/// Largest gap between neighbouring characters, in character heights (German plates have
/// the stickers between city and letters).
const MAX_GAP: f64 = 1.0;
/// Largest gap between two groups of characters joined into one row, in character heights.
const JOIN_GAP: f64 = 2.0;
/// Fewest characters in a candidate.
pub const MIN_CHARS: usize = 4;
/// Most blobs in a candidate: more is a line of text, not a plate.
const MAX_CHARS: usize = 10;
/// Width over height above which a blob is a character rather than a bar (`1` and `I` are
/// narrower, but a plate has other characters too).
const BAR_ASPECT: f64 = 0.28;
/// How far beyond the characters, in character heights, a plate's edge must show.
const PLATE_EDGE: f64 = 0.42;
/// Margin left around the characters, in character heights.
pub const MARGIN: f32 = 0.18;

/// A row of characters that may be a plate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The characters' quadrilateral with a margin, in frame pixels: top-left, top-right,
    /// bottom-right, bottom-left.
    pub quad: [Point2f; 4],
    /// The quadrilateral's bounding box in frame pixels.
    pub bounds: Rect,
    /// Mean character height in frame pixels.
    pub char_height: f32,
    /// How many character blobs it has.
    pub chars: usize,
    /// Light characters on a dark plate (found by [`Finder::find_light`]).
    pub light: bool,
}

/// The bounding box of `quad` within the frame.
fn bounds(quad: &[Point2f; 4], frame: Size) -> Rect {
    let xs = quad.map(|p| p.x);
    let ys = quad.map(|p| p.y);
    let x0 = xs.iter().copied().fold(f32::MAX, f32::min).floor().max(0.0) as i32;
    let y0 = ys.iter().copied().fold(f32::MAX, f32::min).floor().max(0.0) as i32;
    let x1 = (xs.iter().copied().fold(f32::MIN, f32::max).ceil() as i32).min(frame.width);
    let y1 = (ys.iter().copied().fold(f32::MIN, f32::max).ceil() as i32).min(frame.height);
    Rect::new(x0, y0, (x1 - x0).max(0), (y1 - y0).max(0))
}

/// One connected blob of ink, in shrunk-picture pixels.
#[derive(Debug, Clone, Copy)]
struct Blob {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Blob {
    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// Finds candidates; keeps its buffers between frames.
#[derive(Default)]
pub struct Finder {
    small: Mat,
    channels: Vector<Mat>,
    value: Mat,
    ink: Mat,
    labels: Mat,
    stats: Mat,
    centroids: Mat,
}

/// The range of character heights, in frame pixels, for plates `plate_share` of the frame
/// width `width` wide (within [`WIDTH_RANGE`]) and for plates of [`ALWAYS`].
pub fn char_heights(width: i32, plate_share: f64) -> (f64, f64) {
    let width = f64::from(width);
    let (low, high) = (
        (plate_share * WIDTH_RANGE.0).min(ALWAYS.0),
        (plate_share * WIDTH_RANGE.1).max(ALWAYS.1),
    );
    (
        // Characters under 8 px cannot be read whatever the plate's size.
        (CHAR_SHARE.0 * low * width).max(8.0),
        // Turned characters have taller boxes.
        CHAR_SHARE.1 * high * width * 1.15,
    )
}

impl Finder {
    /// The candidates in a BGR, BGRx or BGRA `picture` for plates about `plate_share` of its
    /// width wide (a hint: plates of [`ALWAYS`] are found too), those nearest that width
    /// first.
    pub fn find(&mut self, picture: &Mat, plate_share: f64) -> Result<Vec<Candidate>> {
        self.find_ink(picture, plate_share, false)
    }

    /// The candidates of light characters on a dark plate (white on black), as [`Self::find`]
    /// finds dark ones: the same search on the picture made grey by each pixel's darkest
    /// channel and inverted.
    pub fn find_light(&mut self, picture: &Mat, plate_share: f64) -> Result<Vec<Candidate>> {
        self.find_ink(picture, plate_share, true)
    }

    /// The candidates of dark characters, or of `light` ones.
    fn find_ink(&mut self, picture: &Mat, plate_share: f64, light: bool) -> Result<Vec<Candidate>> {
        let (min_h, max_h) = char_heights(picture.cols(), plate_share);
        let mut found: Vec<Candidate> = Vec::new();
        // Passes from the largest characters down: the last pass leaves the least shrunk
        // grey picture in `value`, which cut detection compares.
        let passes = ((max_h / min_h).ln() / PASS_RANGE.ln()).ceil().max(1.0) as i32;
        let step = (max_h / min_h).powf(1.0 / f64::from(passes));
        for pass in (0..passes).rev() {
            let low = min_h * step.powi(pass);
            // Overlap the passes a little so characters at a boundary are not lost.
            let high = (low * step * 1.1).min(max_h);
            for candidate in self.find_in(picture, low, high, light)? {
                // One row seen by two passes, or part of it: the row with more characters
                // (the wider, if as many) stays.
                let rank = |c: &Candidate| (c.chars, c.bounds.width);
                let overlaps = |c: &Candidate| {
                    let inter = (c.bounds & candidate.bounds).area() as f64;
                    inter > 0.5 * f64::from(c.bounds.area().min(candidate.bounds.area()))
                };
                if found
                    .iter()
                    .any(|c| overlaps(c) && rank(c) >= rank(&candidate))
                {
                    continue;
                }
                found.retain(|c| !overlaps(c));
                found.push(candidate);
            }
        }
        let expected =
            CHAR_SHARE.0.midpoint(CHAR_SHARE.1) * plate_share * f64::from(picture.cols());
        found.sort_by(|a, b| {
            let off = |c: &Candidate| (f64::from(c.char_height) / expected).ln().abs();
            off(a).total_cmp(&off(b))
        });
        Ok(found)
    }

    /// The candidates whose characters are `min_h` to `max_h` frame pixels tall.
    fn find_in(
        &mut self,
        picture: &Mat,
        min_h: f64,
        max_h: f64,
        light: bool,
    ) -> Result<Vec<Candidate>> {
        let scale = (MIN_CHAR_PX / min_h).min(1.0);
        let size = Size::new(
            ((f64::from(picture.cols()) * scale).round() as i32).max(1),
            ((f64::from(picture.rows()) * scale).round() as i32).max(1),
        );
        imgproc::resize(
            picture,
            &mut self.small,
            size,
            0.0,
            0.0,
            imgproc::INTER_AREA,
        )?;
        ink_grey(&self.small, &mut self.channels, &mut self.value, light)?;
        let (min_h, max_h) = (min_h * scale, max_h * scale);
        // The neighbourhood spans at least a character's strokes and the ground around them.
        let block = ((max_h * 0.5) as i32).clamp(7, 61) | 1;
        imgproc::adaptive_threshold(
            &self.value,
            &mut self.ink,
            255.0,
            imgproc::ADAPTIVE_THRESH_MEAN_C,
            imgproc::THRESH_BINARY_INV,
            block,
            INK_CONTRAST,
        )?;
        let count = imgproc::connected_components_with_stats(
            &self.ink,
            &mut self.labels,
            &mut self.stats,
            &mut self.centroids,
            8,
            core::CV_32S,
        )?;
        let mut blobs = Vec::new();
        for label in 1..count {
            let stat = |field| self.stats.at_2d::<i32>(label, field).copied();
            let (w, h) = (
                f64::from(stat(imgproc::CC_STAT_WIDTH)?),
                f64::from(stat(imgproc::CC_STAT_HEIGHT)?),
            );
            let area = f64::from(stat(imgproc::CC_STAT_AREA)?);
            let fill = area / (w * h);
            if h >= min_h * 0.85
                && h <= max_h
                // Blur may run two or three characters together.
                && w <= 2.5 * h
                && w >= 0.08 * h
                && (0.12..=0.95).contains(&fill)
            {
                blobs.push(Blob {
                    x: f64::from(stat(imgproc::CC_STAT_LEFT)?),
                    y: f64::from(stat(imgproc::CC_STAT_TOP)?),
                    w,
                    h,
                });
            }
        }
        let value = &self.value;
        let mut found = Vec::new();
        for row in rows(&mut blobs) {
            let framed = framed(value, &row);
            let Some(candidate) = candidate(&row, scale, picture.size()?, light) else {
                continue;
            };
            // A dark plate's edge may not show against a dark car: the EU band marks it. Its
            // ground is black or grey, where signs with light letters are coloured.
            let plate = if light {
                (framed || eu_band(picture, &candidate)?)
                    && share(picture, candidate.quad, coloured)? < MAX_COLOURED
            } else {
                framed
            };
            if plate {
                found.push(candidate);
            }
        }
        Ok(found)
    }
}

impl Finder {
    /// The shrunk grey picture of the last frame.
    pub fn grey(&self) -> &Mat {
        &self.value
    }
}

/// Grey picture in which ink is dark: each pixel's brightest channel, so that black ink
/// stays dark while the blue band and coloured surfaces turn light; for `light` ink, each
/// pixel's darkest channel inverted, so that white ink turns dark and coloured surfaces
/// light.
pub fn ink_grey(
    picture: &Mat,
    channels: &mut Vector<Mat>,
    out: &mut Mat,
    light: bool,
) -> Result<()> {
    core::split(picture, channels)?;
    let (b, g, r) = (channels.get(0)?, channels.get(1)?, channels.get(2)?);
    let mut bg = Mat::default();
    if light {
        let mut darkest = Mat::default();
        core::min(&b, &g, &mut bg)?;
        core::min(&bg, &r, &mut darkest)?;
        core::bitwise_not(&darkest, out, &core::no_array())?;
    } else {
        core::max(&b, &g, &mut bg)?;
        core::max(&bg, &r, out)?;
    }
    Ok(())
}

/// Whether `b` may be the character after `a` on one plate.
fn neighbours(a: &Blob, b: &Blob) -> bool {
    let (low, high) = (a.h.min(b.h), a.h.max(b.h));
    if high > low * HEIGHT_RATIO {
        return false;
    }
    let h = (a.h + b.h) / 2.0;
    let gap = b.x - (a.x + a.w);
    let dx = b.cx() - a.cx();
    // Up to about 12° of turn, plus some slack for uneven boxes.
    dx > 0.0
        && gap >= -0.15 * h
        && gap <= MAX_GAP * h
        && (b.cy() - a.cy()).abs() <= 0.15 * h + 0.22 * dx
}

/// Groups of blobs linked by [`neighbours`], each cleaned by [`row`].
///
/// Every pair of neighbours is linked (not only each blob's nearest), so a stray blob next
/// to a plate cannot break its characters' chain; the cleaning drops such strays.
fn rows(blobs: &mut [Blob]) -> Vec<Vec<Blob>> {
    blobs.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut parent: Vec<usize> = (0..blobs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..blobs.len() {
        let reach = blobs[i].x + blobs[i].w + MAX_GAP * blobs[i].h * 1.4;
        for j in i + 1..blobs.len() {
            if blobs[j].x > reach {
                break;
            }
            if neighbours(&blobs[i], &blobs[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<Vec<Blob>> = Vec::new();
    let mut group_of = vec![usize::MAX; blobs.len()];
    for (i, blob) in blobs.iter().enumerate() {
        let r = root(&mut parent, i);
        if group_of[r] == usize::MAX {
            group_of[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of[r]].push(*blob);
    }
    let joined = joined(&groups);
    groups.into_iter().chain(joined).filter_map(row).collect()
}

/// A plate's characters split in two groups by a wider gap than [`MAX_GAP`] (the shield
/// of Croatian and Slovak plates, the stickers of German ones, a character lost to a
/// reflection) joined again: each group of fewer than [`MIN_CHARS`] blobs with the group
/// just after or before it on the same line, of the same height, within [`JOIN_GAP`].
/// The groups stay candidates on their own too.
fn joined(groups: &[Vec<Blob>]) -> Vec<Vec<Blob>> {
    let median_h = |g: &[Blob]| {
        let mut h: Vec<f64> = g.iter().map(|b| b.h).collect();
        h.sort_by(f64::total_cmp);
        h[h.len() / 2]
    };
    let mut out = Vec::new();
    for (i, small) in groups.iter().enumerate() {
        if small.len() >= MIN_CHARS || small.len() < 2 {
            continue;
        }
        for (j, other) in groups.iter().enumerate() {
            if i == j || other.len() < 2 {
                continue;
            }
            let (a, b) = if small[0].x < other[0].x {
                (small, other)
            } else {
                (other, small)
            };
            let (ha, hb) = (median_h(a), median_h(b));
            let h = ha.max(hb);
            let last = a.iter().max_by(|p, q| (p.x + p.w).total_cmp(&(q.x + q.w)));
            let first = b.iter().min_by(|p, q| p.x.total_cmp(&q.x));
            let (Some(last), Some(first)) = (last, first) else {
                continue;
            };
            let gap = first.x - (last.x + last.w);
            if ha.max(hb) <= HEIGHT_RATIO * ha.min(hb)
                && gap >= -0.1 * h
                && gap <= JOIN_GAP * h
                && (first.cy() - last.cy()).abs() <= 0.25 * h
                && a.len() + b.len() <= MAX_CHARS
            {
                out.push(a.iter().chain(b).copied().collect());
            }
        }
    }
    out
}

/// The characters of a linked group, left to right: blobs of the group's typical height on
/// one line; `None` if that is no plausible plate row.
fn row(group: Vec<Blob>) -> Option<Vec<Blob>> {
    if group.len() < MIN_CHARS {
        return None;
    }
    let mut heights: Vec<f64> = group.iter().map(|b| b.h).collect();
    heights.sort_by(f64::total_cmp);
    let median = heights[heights.len() / 2];
    let mut row: Vec<Blob> = group
        .into_iter()
        .filter(|b| (b.h - median).abs() <= 0.4 * median)
        .collect();
    if row.len() < MIN_CHARS {
        return None;
    }
    // Perspective makes one end taller: heights are compared with a line fitted along the
    // row, and centres with the line through them.
    let (slope, mx, my) = line(&row, Blob::cy)?;
    let (h_slope, _, mh) = line(&row, |b| b.h)?;
    row.retain(|b| {
        let h = mh + h_slope * (b.cx() - mx);
        (b.h - h).abs() <= 0.2 * h && (b.cy() - (my + slope * (b.cx() - mx))).abs() <= 0.25 * h
    });
    // Blobs stacked above each other are two lines of text, not a plate.
    let stacked = row.windows(2).any(|w| {
        let overlap = (w[0].x + w[0].w).min(w[1].x + w[1].w) - w[1].x.max(w[0].x);
        overlap > 0.5 * w[0].w.min(w[1].w)
    });
    let wide = row.iter().filter(|b| b.w >= BAR_ASPECT * b.h).count();
    ((MIN_CHARS..=MAX_CHARS).contains(&row.len()) && wide >= 3 && !stacked).then_some(row)
}

/// Whether the row's characters sit on a plate: a light ground that ends within
/// [`PLATE_EDGE`] character heights above and below them.
///
/// On every European plate the characters fill about 70% of the plate's height (75-79 mm
/// of 110-112 mm), so the plate's edge, border or frame lies about a fifth of a character
/// height beyond them. Text on signs, walls and boards has no such edge close around it.
fn framed(value: &Mat, row: &[Blob]) -> bool {
    let Some((slope, mx, my)) = line(row, Blob::cy) else {
        return false;
    };
    let h = row.iter().map(|b| b.h).sum::<f64>() / row.len() as f64;
    let (left, right) = (row[0].x, row[row.len() - 1].x + row[row.len() - 1].w);
    // Mean brightness along the row's line moved `offset` (in character heights, negative
    // upwards) from its centre, over the row's length.
    let along = |offset: f64| -> Option<f64> {
        let (mut sum, mut n) = (0.0, 0);
        let mut x = left;
        while x <= right {
            let y = my + slope * (x - mx) + offset * h;
            let (xi, yi) = (x.round() as i32, y.round() as i32);
            if yi < 0 || yi >= value.rows() || xi < 0 || xi >= value.cols() {
                return None;
            }
            sum += f64::from(*value.at_2d::<u8>(yi, xi).ok()?);
            n += 1;
            x += 1.0;
        }
        (n > 0).then(|| sum / f64::from(n))
    };
    // The characters' own line: ink and ground mixed; just outside them: the ground.
    let (Some(middle), Some(above), Some(below)) = (along(0.0), along(-0.62), along(0.62)) else {
        return false;
    };
    let edge_within = |ground: f64, direction: f64| {
        let contrast = (ground - middle).max(1.0);
        let mut offset = 0.62;
        while offset <= 0.5 + PLATE_EDGE {
            match along(direction * offset) {
                Some(v) if (v - ground).abs() > 0.3 * contrast => return true,
                Some(_) => offset += 0.05,
                // The frame's edge ends the plate as well.
                None => return true,
            }
        }
        false
    };
    edge_within(above, -1.0) && edge_within(below, 1.0)
}

/// Least-squares line of `y` over the blobs' centres: slope, mean centre and mean `y`.
fn line(row: &[Blob], y: impl Fn(&Blob) -> f64) -> Option<(f64, f64, f64)> {
    let n = row.len() as f64;
    let mx = row.iter().map(Blob::cx).sum::<f64>() / n;
    let my = row.iter().map(&y).sum::<f64>() / n;
    let var = row.iter().map(|b| (b.cx() - mx).powi(2)).sum::<f64>() / n;
    if var <= 0.0 {
        return None;
    }
    let cov = row.iter().map(|b| (b.cx() - mx) * (y(b) - my)).sum::<f64>() / n;
    Some((cov / var, mx, my))
}

/// The quadrilateral around `row`, in frame pixels.
fn candidate(row: &[Blob], scale: f64, frame: Size, light: bool) -> Option<Candidate> {
    let n = row.len() as f64;
    let mean = |f: &dyn Fn(&Blob) -> f64| row.iter().map(f).sum::<f64>() / n;
    // The line through the centres, and the height along it (perspective makes one end
    // taller than the other).
    let (slope, mx, my) = line(row, Blob::cy)?;
    let var = mean(&|b| (b.cx() - mx).powi(2));
    let angle = slope.atan();
    let mh = mean(&|b| b.h);
    // A turned character's box is taller than the character by about its width times
    // the sine of the angle.
    let true_h = |b: &Blob| (b.h - b.w * angle.sin().abs()).max(b.h * 0.7);
    let mth = mean(&|b| true_h(b));
    let h_slope = mean(&|b| (b.cx() - mx) * (true_h(b) - mth)) / var;
    let margin = f64::from(MARGIN) * mh;
    let left = row.iter().map(|b| b.x).fold(f64::MAX, f64::min) - margin;
    let right = row.iter().map(|b| b.x + b.w).fold(f64::MIN, f64::max) + margin;
    let (sin, cos) = angle.sin_cos();
    let end = |x: f64| {
        let centre = (x, my + slope * (x - mx));
        let half = (mth + h_slope * (x - mx)).max(mth * 0.5) / 2.0 + margin;
        // Perpendicular to the line: (-sin, cos) points down.
        (
            Point2f::new(
                ((centre.0 + sin * half) / scale) as f32,
                ((centre.1 - cos * half) / scale) as f32,
            ),
            Point2f::new(
                ((centre.0 - sin * half) / scale) as f32,
                ((centre.1 + cos * half) / scale) as f32,
            ),
        )
    };
    let (tl, bl) = end(left);
    let (tr, br) = end(right);
    let quad = [tl, tr, br, bl];
    let bounds = bounds(&quad, frame);
    (bounds.width > 0 && bounds.height > 0).then(|| Candidate {
        quad,
        bounds,
        char_height: (mth / scale) as f32,
        chars: row.len(),
        light,
    })
}

/// Width beyond the candidate's left end, in character heights, where the EU band is looked
/// for: the band (40-50 mm wide) and the gap before the first character (10-20 mm) of a
/// plate whose characters are 75 mm tall.
pub const BAND_REACH: f32 = 0.8;
/// Least share of blue pixels in that area for the band to be there.
pub const BAND_BLUE: f64 = 0.3;
/// Most share of strongly coloured pixels on a plate of light characters: its ground is
/// black or grey.
const MAX_COLOURED: f64 = 0.2;
/// Side of the square an area is sampled into.
const BAND_SAMPLE: i32 = 24;

/// Whether the blue band of an EU plate lies just left of `candidate`'s characters in
/// `picture` (BGR, BGRx or BGRA): the area [`BAND_REACH`] character heights wide beyond the
/// candidate's left end, as tall as the candidate, is at least [`BAND_BLUE`] blue, the
/// candidate itself less than a third of that, and as wide an area farther left less than
/// that.
///
/// The band is the plate's own mark, at a set place beside its characters, which text on
/// signs and walls does not have.
pub fn eu_band(picture: &Mat, candidate: &Candidate) -> Result<bool> {
    let [tl, tr, br, bl] = candidate.quad;
    let dist = |a: Point2f, b: Point2f| (a.x - b.x).hypot(a.y - b.y);
    let length = (dist(tl, tr) + dist(bl, br)) / 2.0;
    let height = (dist(tl, bl) + dist(tr, br)) / 2.0;
    if length < 1.0 || height < 1.0 {
        return Ok(false);
    }
    // The quad spans the characters plus MARGIN above and below.
    let along = BAND_REACH * height / (1.0 + 2.0 * MARGIN) / length;
    let beyond =
        |a: Point2f, b: Point2f| Point2f::new(a.x - (b.x - a.x) * along, a.y - (b.y - a.y) * along);
    let farther = |a: Point2f, b: Point2f| {
        Point2f::new(
            a.x - (b.x - a.x) * 2.0 * along,
            a.y - (b.y - a.y) * 2.0 * along,
        )
    };
    let band = share(picture, [beyond(tl, tr), tl, bl, beyond(bl, br)], blue)?;
    // A blue sign is blue behind its characters too, a plate's ground is not; and the band
    // is narrow: beyond it lies the plate's edge, not more blue.
    Ok(band >= BAND_BLUE
        && share(picture, candidate.quad, blue)? < BAND_BLUE / 3.0
        && share(
            picture,
            [
                farther(tl, tr),
                beyond(tl, tr),
                beyond(bl, br),
                farther(bl, br),
            ],
            blue,
        )? < BAND_BLUE)
}

/// Whether a BGR pixel is the EU band's blue.
fn blue(b: i32, g: i32, r: i32) -> bool {
    b >= 60 && b > r + 40 && b > g + 15
}

/// Whether a BGR pixel has a strong colour (not black, grey or white).
fn coloured(b: i32, g: i32, r: i32) -> bool {
    b.max(g).max(r) - b.min(g).min(r) >= 40
}

/// The share of the pixels of the quadrilateral `corners` (top-left, top-right,
/// bottom-right, bottom-left) of `picture` for which `test` holds.
fn share(picture: &Mat, corners: [Point2f; 4], test: fn(i32, i32, i32) -> bool) -> Result<f64> {
    let side = BAND_SAMPLE as f32;
    let transform = imgproc::get_perspective_transform(
        &Vector::<Point2f>::from_slice(&corners),
        &Vector::<Point2f>::from_slice(&[
            Point2f::new(0.0, 0.0),
            Point2f::new(side, 0.0),
            Point2f::new(side, side),
            Point2f::new(0.0, side),
        ]),
        core::DECOMP_LU,
    )?;
    let mut area = Mat::default();
    imgproc::warp_perspective(
        picture,
        &mut area,
        &transform,
        Size::new(BAND_SAMPLE, BAND_SAMPLE),
        imgproc::INTER_AREA,
        core::BORDER_CONSTANT,
        Scalar::all(0.0),
    )?;
    let channels = area.channels() as usize;
    let count = area
        .data_bytes()?
        .chunks_exact(channels)
        .filter(|p| test(i32::from(p[0]), i32::from(p[1]), i32::from(p[2])))
        .count();
    Ok(count as f64 / f64::from(BAND_SAMPLE * BAND_SAMPLE))
}
