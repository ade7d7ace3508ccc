//! Reading one candidate: rectify, binarise, keep only the characters, OCR with Tesseract.
//!
//! * The candidate's quadrilateral is warped to an upright strip whose characters are
//!   [`OCR_CHAR_HEIGHT`] px tall, which undoes turn and perspective and scales small plates
//!   up to a size Tesseract reads well.
//! * The strip is made grey by each pixel's brightest channel (the blue EU band, the red and
//!   white shields of Croatian and Slovak plates and yellow plates turn light), stretched to
//!   the full grey range (over the candidate's part) and binarised with Otsu's threshold,
//!   or on every other read a lighter one ([`INKIER`]).
//! * The strip reaches a character height beyond each end of the candidate. That part is
//!   kept only up to the plate's side where one shows there: a character run into the
//!   side, which the finder could not link, is then freed by cutting the side away and read
//!   too, if it is as dark and grey as the others.
//! * The characters' band is found from the blobs of about character height: its top and
//!   bottom are the blobs' median top and bottom. Everything above and below it is cut
//!   away, which frees characters touching the plate's border or a shadow's edge, then only
//!   blobs filling the band stay: the band's country letters, stickers, screws, the plate's
//!   border and whatever lies around the plate are erased, so Tesseract sees a clean line.
//! * Tesseract reads it as one line of text restricted to [`ALPHABET`], and gives each
//!   character's alternatives ([`crate::ocr`]); [`crate::text::decode`] makes the plate.

use crate::candidates::{Candidate, MARGIN, eu_band, ink_grey};
use crate::ocr::{Engine, Symbol};
use crate::text::ALPHABET;
use filmstrip::Result;
use filmstrip::opencv::core::{self, Mat, Point2f, Rect, Scalar, Size, Vector};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use std::os::raw::c_int;

/// Character height in the strip given to Tesseract; its LSTM model reads best at a few
/// tens of pixels.
pub const OCR_CHAR_HEIGHT: f32 = 40.0;
/// The character heights of successive reads of one candidate, as shares of
/// [`OCR_CHAR_HEIGHT`]: the LSTM's mistakes change with the scale, so reads at three scales
/// outvote a mistake of one.
pub const SCALES: [f32; 3] = [1.0, 0.85, 1.15];
/// Grey levels (of the strip stretched to 0..255) above Otsu's threshold at which every
/// other read binarises: more of a small or blurred character's thin strokes is ink (the
/// left of an `8`, the foot of a `Z`), where Otsu alone may break them. Either threshold
/// errs on some plates, and on different ones: reads with both, at each scale, outvote the
/// mistakes of one.
pub const INKIER: f64 = 15.0;
/// Different views of a candidate: each of the [`SCALES`] with Otsu's threshold and with
/// [`INKIER`].
pub const VIEWS: usize = 2 * SCALES.len();
/// Extra length of the warped strip at each end, in character heights.
const REACH: f32 = 1.0;
/// Largest spread between the channels of a character's mean ink colour: black and grey
/// ink has little, the red of a shield much.
const MAX_INK_CHROMA: f64 = 60.0;
/// Share of ink above and below the band beyond a plate's side, at most (or at least one
/// less): nothing lies there, or the dark car does, where beside a character the plate's
/// border lines go on.
const SIDE_OPEN: f32 = 0.15;
/// Farthest a character beyond the candidate's part may start from it, in band heights:
/// the part already holds a margin beyond its last character, and a second character beyond
/// would start a character's width farther.
const NEXT: f32 = 0.4;
/// White border around the strip: Tesseract misreads characters touching the image edge.
const BORDER: i32 = 12;
/// Extra height of the warped strip beyond the candidate's margin, in character heights:
/// room to find the band when the candidate's fit is off.
const SLACK: f32 = 0.2;

#[link(name = "gomp")]
unsafe extern "C" {
    fn omp_set_max_active_levels(levels: c_int);
}

/// Keeps Tesseract on the calling thread.
///
/// Debian's Tesseract is built with OpenMP and spreads its LSTM over several threads, which
/// on a loaded machine (other pipelines, the rest of this one) costs more than it saves.
/// `OMP_THREAD_LIMIT=1` cannot be relied on: libgomp reads it once, when it is loaded, which
/// happens before any module code runs (the module links Tesseract, and the host or
/// GStreamer may have loaded it before). Zero active parallel levels makes every OpenMP
/// region run on one thread, whoever loaded libgomp and whatever the environment says; it
/// is set before every read, as libgomp keeps it per thread and GStreamer may call from
/// different streaming threads.
fn single_thread() {
    // SAFETY: a plain setter of an OpenMP control variable, valid on any thread.
    unsafe { omp_set_max_active_levels(0) };
}

/// What Tesseract read in one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The best choice of each symbol, with spaces where Tesseract saw words.
    pub text: String,
    /// Tesseract's mean symbol confidence, 0..100.
    pub confidence: f32,
    /// Each symbol with its alternatives and box.
    pub symbols: Vec<Symbol>,
    /// The characters' height in the strip the boxes are in.
    pub char_height: f32,
    /// Whether the blue EU band lies just left of the characters (see [`eu_band`]).
    pub eu_band: bool,
}

/// The Tesseract engine and the buffers of one reader.
#[derive(Default)]
pub struct Reader {
    /// Loaded on first use: loading the English model takes about 100 ms.
    engine: Option<Engine>,
    strip: Mat,
    channels: Vector<Mat>,
    value: Mat,
    binary: Mat,
    /// The binarised strip with its ends, before anything is erased.
    extended: Mat,
    labels: Mat,
    stats: Mat,
    centroids: Mat,
    clean: Mat,
    /// Height of the characters' band found in the last strip.
    band: f32,
    /// Characters kept in the last strip, by their blobs' widths.
    kept: usize,
}

/// A blob of the binarised strip.
#[derive(Debug, Clone, Copy)]
struct Blob {
    label: i32,
    bounds: Rect,
    area: i32,
}

impl Reader {
    /// The cleaned strip of the last read (what Tesseract was given).
    pub fn clean(&self) -> &Mat {
        &self.clean
    }

    /// The binarised strip of the last read, after the cut to the band (ink white).
    pub fn binary(&self) -> &Mat {
        &self.binary
    }

    /// Reads `candidate` in `picture` (BGR, BGRx or BGRA); `None` when nothing legible is
    /// there.
    pub fn read(&mut self, picture: &Mat, candidate: &Candidate) -> Result<Option<Read>> {
        self.read_as(picture, candidate, 0)
    }

    /// Reads `candidate` at the `attempt`-th of the [`SCALES`] (cycling), every other attempt
    /// with the threshold [`INKIER`]: [`VIEWS`] different views in all.
    pub fn read_as(
        &mut self,
        picture: &Mat,
        candidate: &Candidate,
        attempt: usize,
    ) -> Result<Option<Read>> {
        let char_height = OCR_CHAR_HEIGHT * SCALES[attempt % SCALES.len()];
        let offset = if attempt % 2 == 1 { INKIER } else { 0.0 };
        if !self.rectify(picture, candidate, char_height, offset)? {
            return Ok(None);
        }
        if self.engine.is_none() {
            self.engine = Some(Engine::new(&format!("{ALPHABET} "))?);
        }
        let engine = self.engine.as_mut().expect("loaded above");
        let (w, h) = (self.clean.cols(), self.clean.rows());
        // A freshly made Mat: continuous, one byte a pixel.
        let step = w;
        single_thread();
        let Some(symbols) = engine.read(self.clean.data_bytes()?, w, h, step) else {
            // Recognition failed: a frame without a reading, not an error.
            return Ok(None);
        };
        let symbols: Vec<Symbol> = symbols
            .into_iter()
            .filter(|s| s.best().is_ascii_alphanumeric())
            .collect();
        // The LSTM sometimes reads one character twice (a `5` as `95`). While there are
        // more symbols than blobs, the weaker of the two symbols sharing the most width goes.
        let mut symbols = symbols;
        while symbols.len() > self.kept {
            let shared = |i: usize| {
                let (a, b) = (&symbols[i - 1], &symbols[i]);
                let narrower = (a.right - a.left).min(b.right - b.left).max(1);
                (a.right.min(b.right) - a.left.max(b.left)) as f32 / narrower as f32
            };
            let Some(i) = (1..symbols.len()).max_by(|&i, &j| shared(i).total_cmp(&shared(j)))
            else {
                break;
            };
            if shared(i) < 0.5 {
                break;
            }
            let weaker = if symbols[i - 1].choices[0].1 < symbols[i].choices[0].1 {
                i - 1
            } else {
                i
            };
            let word_start = symbols[i - 1].word_start;
            symbols.remove(weaker);
            symbols[i - 1].word_start = word_start;
        }
        if symbols.is_empty() {
            return Ok(None);
        }
        let mut text = String::new();
        for s in &symbols {
            if s.word_start && !text.is_empty() {
                text.push(' ');
            }
            text.push(s.best());
        }
        let confidence = symbols.iter().map(|s| s.choices[0].1).sum::<f32>() / symbols.len() as f32;
        Ok(Some(Read {
            text,
            confidence,
            symbols,
            char_height: self.band,
            eu_band: eu_band(picture, candidate)?,
        }))
    }

    /// Makes [`Self::clean`]: the candidate upright, black characters on white and nothing
    /// else. False when no character-sized blob is left.
    fn rectify(
        &mut self,
        picture: &Mat,
        candidate: &Candidate,
        char_height: f32,
        offset: f64,
    ) -> Result<bool> {
        let [tl, tr, br, bl] = candidate.quad;
        let dist = |a: Point2f, b: Point2f| (a.x - b.x).hypot(a.y - b.y);
        let length = (dist(tl, tr) + dist(bl, br)) / 2.0;
        let height = (dist(tl, bl) + dist(tr, br)) / 2.0;
        if length < 1.0 || height < 1.0 {
            return Ok(false);
        }
        // The quad spans the characters plus MARGIN above and below; widen it by SLACK.
        let quad_chars = 1.0 + 2.0 * MARGIN;
        let grow = SLACK / quad_chars;
        let lerp = |a: Point2f, b: Point2f, t: f32| {
            Point2f::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
        };
        let src = [
            lerp(tl, bl, -grow),
            lerp(tr, br, -grow),
            lerp(br, tr, -grow),
            lerp(bl, tl, -grow),
        ];
        let out_h = char_height * (quad_chars + 2.0 * SLACK);
        // The candidate's own part of the strip, and each end's extension.
        let core_w = (char_height * quad_chars * length / height)
            .round()
            .clamp(8.0, 2000.0);
        // The strip reaches REACH further at each end (the same mapping, carried on), so that
        // a character the finder did not link, run into the plate's side, is there too.
        let ext = (REACH * char_height).round();
        let out_w = core_w + 2.0 * ext;
        let src = Vector::<Point2f>::from_slice(&src);
        let dst = Vector::<Point2f>::from_slice(&[
            Point2f::new(ext, 0.0),
            Point2f::new(ext + core_w, 0.0),
            Point2f::new(ext + core_w, out_h),
            Point2f::new(ext, out_h),
        ]);
        let transform = imgproc::get_perspective_transform(&src, &dst, core::DECOMP_LU)?;
        imgproc::warp_perspective(
            picture,
            &mut self.strip,
            &transform,
            Size::new(out_w as i32, out_h.round() as i32),
            imgproc::INTER_CUBIC,
            core::BORDER_REPLICATE,
            Scalar::default(),
        )?;
        let mut value = Mat::default();
        ink_grey(&self.strip, &mut self.channels, &mut value, candidate.light)?;
        // Grey range and threshold come from the candidate's part alone: the car beyond the
        // plate must not change how its characters are binarised.
        let (ext, core_w) = (ext as i32, core_w as i32);
        let core = Rect::new(ext, 0, core_w, value.rows());
        let (mut low, mut high) = (0.0, 0.0);
        core::min_max_loc(
            &value.roi(core)?,
            Some(&mut low),
            Some(&mut high),
            None,
            None,
            &core::no_array(),
        )?;
        let stretch = if high - low > f64::EPSILON {
            255.0 / (high - low)
        } else {
            0.0
        };
        value.convert_to(&mut self.value, -1, stretch, -low * stretch)?;
        let otsu = imgproc::threshold(
            &self.value.roi(core)?,
            &mut self.binary,
            0.0,
            255.0,
            imgproc::THRESH_BINARY_INV | imgproc::THRESH_OTSU,
        )?;
        let otsu = otsu + offset;
        imgproc::threshold(
            &self.value,
            &mut self.extended,
            otsu,
            255.0,
            imgproc::THRESH_BINARY_INV,
        )?;
        // The candidate's part first, alone: the ends join it only where a side frees a
        // character there (below).
        self.binary = Mat::zeros_size(self.extended.size()?, core::CV_8UC1)?.to_mat()?;
        self.extended
            .roi(core)?
            .copy_to(&mut self.binary.roi_mut(core)?)?;
        let (w, h) = (self.binary.cols(), self.binary.rows());
        let expected = char_height;
        // The band: median top and bottom of blobs of about character height.
        let blobs = self.blobs()?;
        let mut tops = Vec::new();
        let mut bottoms = Vec::new();
        for b in &blobs {
            let r = b.bounds;
            let (bw, bh) = (r.width as f32, r.height as f32);
            if (0.6 * expected..=1.45 * expected).contains(&bh)
                && bw >= 0.08 * bh
                && bw <= 1.2 * bh
                && r.y > 0
                && r.y + r.height < h
            {
                tops.push(r.y);
                bottoms.push(r.y + r.height);
            }
        }
        let (top, bottom) = if tops.len() >= 2 {
            tops.sort_unstable();
            bottoms.sort_unstable();
            (tops[tops.len() / 2], bottoms[bottoms.len() / 2])
        } else {
            // No character stands free (all run into a dark holder or shadow): the band is
            // where the finder saw the characters.
            let top = (char_height * (SLACK + MARGIN)).round() as i32;
            (top, top + expected.round() as i32)
        };
        let band = (bottom - top).max(1);
        self.band = band as f32;
        // Narrow blobs reaching well beyond the band both above and below are no characters
        // (the EU band, the plate's side): erased, since the cut would free their middle to
        // pass for one.
        let pad = (band / 12).max(1);
        let reach = band / 4;
        // The plate's sides, where one lies near an end: a character run into one is freed
        // by cutting the strip there; the car beyond goes with it. Without a side, the
        // extension goes (what lies there belongs to no plate).
        let margin = (MARGIN * char_height).round() as i32;
        let sides = self.sides(
            (top - reach, top - pad, bottom + pad, bottom + reach),
            ext + margin,
            ext + core_w - margin,
            band / 3,
        )?;
        let left = sides.0.map_or(ext, |x| (x + 1).min(ext));
        let right = sides.1.map_or(ext + core_w, |x| x.max(ext + core_w));
        // A column left blank at each of the part's ends keeps its blobs as they were.
        for part in [
            Rect::new(left, 0, ext - 1 - left, h),
            Rect::new(ext + core_w + 1, 0, right - ext - core_w - 1, h),
        ] {
            if part.width > 0 {
                self.extended
                    .roi(part)?
                    .copy_to(&mut self.binary.roi_mut(part)?)?;
            }
        }
        let mut erase = Mat::default();
        for b in &blobs {
            let r = b.bounds;
            // As narrow as the band; a character run into it is wider and stays.
            if r.y < top - reach && r.y + r.height > bottom + reach && r.width * 5 < band * 4 {
                core::compare(
                    &self.labels.roi(r)?,
                    &Scalar::all(f64::from(b.label)),
                    &mut erase,
                    core::CMP_EQ,
                )?;
                self.binary.roi_mut(r)?.set_to(&Scalar::all(0.0), &erase)?;
            }
        }
        // Cut away everything off the band and beyond the sides, then take the blobs again.
        let (cut_top, cut_bottom) = ((top - pad).max(0), (bottom + pad).min(h));
        let outside = [
            Rect::new(0, 0, left, h),
            Rect::new(right, 0, w - right, h),
            Rect::new(0, 0, w, cut_top),
            Rect::new(0, cut_bottom, w, h - cut_bottom),
        ];
        for part in outside.into_iter().filter(|r| r.width > 0 && r.height > 0) {
            self.binary
                .roi_mut(part)?
                .set_to(&Scalar::all(0.0), &core::no_array())?;
        }
        let blobs = self.blobs()?;
        self.clean = Mat::new_rows_cols_with_default(
            h + 2 * BORDER,
            right - left + 2 * BORDER,
            core::CV_8UC1,
            Scalar::all(255.0),
        )?;
        let band = band as f32;
        // Blobs of a character's shape, with their ink's mean grey and colour.
        let mut shaped = Vec::new();
        for b in blobs {
            let r = b.bounds;
            let (bw, bh) = (r.width as f32, r.height as f32);
            let fill = b.area as f32 / (bw * bh);
            // A character fills the band's height (a little less when cut by a shadow
            // or dirt); it is neither a hairline nor a solid block nor a long bar.
            let tall = bh >= 0.68 * band;
            let width_ok = bw >= 0.07 * band && bw <= 3.5 * band;
            // Thin blobs at the strip's ends are the plate's (or the band's) edges.
            // Beyond the candidate's ends a bar is likelier the side's remnant than an `I`.
            let beyond = r.x + r.width < ext || r.x >= ext + core_w;
            let edge = (beyond || r.x == ext || r.x + r.width >= ext + core_w) && bw < 0.35 * band;
            let fill_ok = (0.12..=0.92).contains(&fill) || bw < 0.3 * band;
            if !tall || !width_ok || edge || !fill_ok {
                continue;
            }
            let mut mask = Mat::default();
            core::compare(
                &self.labels.roi(r)?,
                &Scalar::all(f64::from(b.label)),
                &mut mask,
                core::CMP_EQ,
            )?;
            let grey = core::mean(&self.value.roi(r)?, &mask)?[0];
            let colour = core::mean(&self.strip.roi(r)?, &mask)?;
            let channels = [colour[0], colour[1], colour[2]];
            let chroma = channels.iter().copied().fold(f64::MIN, f64::max)
                - channels.iter().copied().fold(f64::MAX, f64::min);
            shaped.push((r, mask, grey, chroma, beyond));
        }
        // Characters are printed black: blobs much lighter than the others, or coloured
        // (the red and white shield of Croatian and Slovak plates, a sticker), are not.
        let mut greys: Vec<f64> = shaped.iter().filter(|s| !s.4).map(|s| s.2).collect();
        greys.sort_by(f64::total_cmp);
        let ink = greys.get(greys.len() / 2).copied().unwrap_or(0.0);
        let mut chromas: Vec<f64> = shaped.iter().filter(|s| !s.4).map(|s| s.3).collect();
        chromas.sort_by(f64::total_cmp);
        let ink_chroma = chromas.get(chromas.len() / 2).copied().unwrap_or(0.0);
        let mut kept = 0;
        // The clean strip spans the candidate's part, and the ends as far as characters lie
        // there.
        let (mut first, mut last) = (ext, ext + core_w);
        for (r, mask, grey, chroma, beyond) in shaped {
            if grey > (ink + 255.0) / 2.0 || chroma > MAX_INK_CHROMA {
                continue;
            }
            // Beyond the candidate's ends (the EU band's edge, the car, text beside the
            // plate) only one character counts, the one run into the side: next to the
            // candidate's part, as dark and of the same hue as the characters.
            let apart = (r.x - (ext + core_w)).max(ext - (r.x + r.width)) as f32;
            if beyond
                && (apart > NEXT * band
                    || grey > ink + (255.0 - ink) / 4.0
                    || chroma > ink_chroma + MAX_INK_CHROMA / 4.0)
            {
                continue;
            }
            // Characters run together count as many as their width holds.
            kept += ((r.width as f32 / (0.75 * band)).round() as usize).max(1);
            if beyond {
                first = first.min(r.x - margin).max(left);
                last = last.max(r.x + r.width + margin).min(right);
            }
            let target = Rect::new(r.x - left + BORDER, r.y + BORDER, r.width, r.height);
            self.clean
                .roi_mut(target)?
                .set_to(&Scalar::all(0.0), &mask)?;
        }
        self.kept = kept;
        let width = last - first + 2 * BORDER;
        self.clean = self
            .clean
            .roi(Rect::new(first - left, 0, width, h + 2 * BORDER))?
            .try_clone()?;
        Ok(kept > 0)
    }

    /// The plate's sides in the strip with its ends: the innermost column left of
    /// `inner_left` and the innermost right of `inner_right` where the plate ends. Such a
    /// column's ink runs unbroken from row `from` to row `to`, beyond the characters' band
    /// (`top` to `bottom`) both ways, and beyond it, above and below the band, lies no border
    /// line: either nothing or the dark car. A character run into the plate's top and
    /// bottom border lines has such a column too, but the border lines go on beside it.
    fn sides(
        &self,
        (from, top, bottom, to): (i32, i32, i32, i32),
        inner_left: i32,
        inner_right: i32,
        window: i32,
    ) -> Result<(Option<i32>, Option<i32>)> {
        let (w, h) = (self.binary.cols(), self.binary.rows());
        let (from, to) = (from.max(0), to.min(h - 1));
        let data = self.extended.data_bytes()?;
        let ink = |x: i32, y: i32| data[(y * w + x) as usize] != 0;
        let full = |x: i32| (from..=to).all(|y| ink(x, y));
        // Share of ink above and below the band in the columns `xs`.
        let off_band = |xs: std::ops::Range<i32>| {
            let rows: Vec<i32> = (from..top).chain(bottom + 1..=to).collect();
            let (mut n, mut total) = (0, 0);
            for x in xs {
                for &y in &rows {
                    n += usize::from(ink(x, y));
                    total += 1;
                }
            }
            if total == 0 {
                None
            } else {
                Some(n as f32 / total as f32)
            }
        };
        let ends = |xs: std::ops::Range<i32>| {
            off_band(xs).is_none_or(|share| !(SIDE_OPEN..=1.0 - SIDE_OPEN).contains(&share))
        };
        let left = (0..inner_left.clamp(0, w))
            .rev()
            .find(|&x| full(x) && ends((x - window).max(0)..x));
        let right =
            (inner_right.clamp(0, w)..w).find(|&x| full(x) && ends(x + 1..(x + 1 + window).min(w)));
        Ok((left, right))
    }

    /// The connected blobs of [`Self::binary`].
    fn blobs(&mut self) -> Result<Vec<Blob>> {
        let count = imgproc::connected_components_with_stats(
            &self.binary,
            &mut self.labels,
            &mut self.stats,
            &mut self.centroids,
            8,
            core::CV_32S,
        )?;
        let mut blobs = Vec::with_capacity(count as usize);
        for label in 1..count {
            let stat = |field| self.stats.at_2d::<i32>(label, field).copied();
            blobs.push(Blob {
                label,
                bounds: Rect::new(
                    stat(imgproc::CC_STAT_LEFT)?,
                    stat(imgproc::CC_STAT_TOP)?,
                    stat(imgproc::CC_STAT_WIDTH)?,
                    stat(imgproc::CC_STAT_HEIGHT)?,
                ),
                area: stat(imgproc::CC_STAT_AREA)?,
            });
        }
        Ok(blobs)
    }
}
