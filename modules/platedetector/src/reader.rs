//! Reading one candidate: rectify, binarise, keep only the characters, OCR with Tesseract.
//!
//! * The candidate's quadrilateral is warped to an upright strip whose characters are
//!   [`OCR_CHAR_HEIGHT`] px tall, which undoes turn and perspective and scales small plates
//!   up to a size Tesseract reads well.
//! * The strip is made grey by each pixel's brightest channel (the blue EU band and yellow
//!   plates turn light) and binarised with Otsu's threshold.
//! * Only blobs of character height stay: the band's letters, stickers, screws, the plate's
//!   border and whatever lies around the plate are erased, so Tesseract sees a clean line.
//! * Tesseract reads it as one line of text (page segmentation mode 7) restricted to
//!   [`ALPHABET`].

use crate::candidates::{Candidate, MARGIN};
use crate::text::ALPHABET;
use filmstrip::opencv::core::{self, Mat, Point2f, Rect, Scalar, Size, Vector};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::{Error, Result};
use leptess::tesseract::TessApi;
use std::ffi::CString;
use std::os::raw::c_int;

/// Character height in the strip given to Tesseract; its LSTM model reads best at a few
/// tens of pixels.
pub const OCR_CHAR_HEIGHT: f32 = 40.0;
/// White border around the strip: Tesseract misreads characters touching the image edge.
const BORDER: i32 = 12;

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
    /// The text, as Tesseract returned it (trimmed).
    pub text: String,
    /// Tesseract's confidence, 0..100: its words' confidences weighted by their lengths.
    pub confidence: f32,
}

/// The Tesseract engine and the buffers of one reader.
///
/// `TessApi` is `Send` (leptess's plumbing declares it so: the engine has no thread
/// affinity), so the reader can live in a filter behind a mutex.
#[derive(Default)]
pub struct Reader {
    /// Loaded on first use: loading the English model takes about 100 ms.
    api: Option<TessApi>,
    strip: Mat,
    channels: Vector<Mat>,
    value: Mat,
    binary: Mat,
    labels: Mat,
    stats: Mat,
    centroids: Mat,
    clean: Mat,
}

fn load() -> Result<TessApi> {
    let mut api = TessApi::new(None, "eng").map_err(|e| {
        Error::new(format!(
            "cannot start Tesseract with English data ({e}): install tesseract-ocr-eng"
        ))
    })?;
    let whitelist = format!("{ALPHABET} ");
    for (name, value) in [
        // With the space left out, Tesseract 5 runs the groups of a plate into one word
        // and rates it at confidence 0.
        ("tessedit_char_whitelist", whitelist.as_str()),
        // One line of text.
        ("tessedit_pageseg_mode", "7"),
    ] {
        let refused = || Error::new(format!("Tesseract refused {name}={value}"));
        let (n, v) = (CString::new(name), CString::new(value));
        let (Ok(n), Ok(v)) = (n, v) else {
            return Err(refused());
        };
        api.raw.set_variable(&n, &v).map_err(|_| refused())?;
    }
    Ok(api)
}

/// The mean of `confidences`, one per word of `text`, weighted by the words' lengths.
fn weighted_confidence(text: &str, confidences: &[c_int]) -> f32 {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() != confidences.len() || words.is_empty() {
        // Words and confidences disagree: trust the least sure word.
        return confidences.iter().copied().min().unwrap_or(0) as f32;
    }
    let chars: usize = words.iter().map(|w| w.len()).sum();
    let sum: f32 = words
        .iter()
        .zip(confidences)
        .map(|(w, c)| w.len() as f32 * *c as f32)
        .sum();
    sum / chars as f32
}

impl Reader {
    /// Reads `candidate` in `picture` (BGR, BGRx or BGRA); `None` when nothing legible is
    /// there.
    pub fn read(&mut self, picture: &Mat, candidate: &Candidate) -> Result<Option<Read>> {
        if !self.rectify(picture, candidate)? {
            return Ok(None);
        }
        if self.api.is_none() {
            self.api = Some(load()?);
        }
        let api = self.api.as_mut().expect("loaded above");
        let (w, h) = (self.clean.cols(), self.clean.rows());
        let data = self.clean.data_bytes()?;
        api.raw
            .set_image(data, w, h, 1, w)
            .map_err(|e| Error::new(format!("Tesseract refused the image: {e:?}")))?;
        // The strip has no resolution; 300 dpi stops Tesseract warning about it.
        api.raw.set_source_resolution(300);
        single_thread();
        let text = match api.raw.get_utf8_text() {
            Ok(text) => text.as_ref().to_string_lossy().trim().to_string(),
            // Recognition failed: a frame without a reading, not an error.
            Err(_) => return Ok(None),
        };
        // The words' confidences weighted by their lengths: a single character set apart
        // (German plates' letters after the stickers) is often rated low on its own.
        let confidence = match api.raw.all_word_confidences() {
            Ok(words) => weighted_confidence(&text, words.as_slice()),
            Err(_) => 0.0,
        };
        Ok((!text.is_empty()).then_some(Read { text, confidence }))
    }

    /// Makes [`Self::clean`]: the candidate upright, black characters on white and nothing
    /// else. False when no character-sized blob is left.
    fn rectify(&mut self, picture: &Mat, candidate: &Candidate) -> Result<bool> {
        let [tl, tr, br, bl] = candidate.quad;
        let dist = |a: Point2f, b: Point2f| (a.x - b.x).hypot(a.y - b.y);
        let length = (dist(tl, tr) + dist(bl, br)) / 2.0;
        let height = (dist(tl, bl) + dist(tr, br)) / 2.0;
        if length < 1.0 || height < 1.0 {
            return Ok(false);
        }
        let out_h = OCR_CHAR_HEIGHT * (1.0 + 2.0 * MARGIN);
        let out_w = (out_h * length / height).round().clamp(8.0, 2000.0);
        let src = Vector::<Point2f>::from_slice(&candidate.quad);
        let dst = Vector::<Point2f>::from_slice(&[
            Point2f::new(0.0, 0.0),
            Point2f::new(out_w, 0.0),
            Point2f::new(out_w, out_h),
            Point2f::new(0.0, out_h),
        ]);
        let transform = imgproc::get_perspective_transform(&src, &dst, core::DECOMP_LU)?;
        imgproc::warp_perspective(
            picture,
            &mut self.strip,
            &transform,
            Size::new(out_w as i32, out_h.round() as i32),
            imgproc::INTER_LINEAR,
            core::BORDER_REPLICATE,
            Scalar::default(),
        )?;
        core::split(&self.strip, &mut self.channels)?;
        let mut bg = Mat::default();
        core::max(&self.channels.get(0)?, &self.channels.get(1)?, &mut bg)?;
        core::max(&bg, &self.channels.get(2)?, &mut self.value)?;
        imgproc::threshold(
            &self.value,
            &mut self.binary,
            0.0,
            255.0,
            imgproc::THRESH_BINARY_INV | imgproc::THRESH_OTSU,
        )?;
        let count = imgproc::connected_components_with_stats(
            &self.binary,
            &mut self.labels,
            &mut self.stats,
            &mut self.centroids,
            8,
            core::CV_32S,
        )?;
        let (w, h) = (self.binary.cols(), self.binary.rows());
        self.clean = Mat::new_rows_cols_with_default(
            h + 2 * BORDER,
            w + 2 * BORDER,
            core::CV_8UC1,
            Scalar::all(255.0),
        )?;
        let mut kept = 0;
        let mut keep = Mat::default();
        for label in 1..count {
            let stat = |field| self.stats.at_2d::<i32>(label, field).copied();
            let bounds = Rect::new(
                stat(imgproc::CC_STAT_LEFT)?,
                stat(imgproc::CC_STAT_TOP)?,
                stat(imgproc::CC_STAT_WIDTH)?,
                stat(imgproc::CC_STAT_HEIGHT)?,
            );
            let (bw, bh) = (bounds.width as f32, bounds.height as f32);
            // Character height within the tolerance of the fit; not the full strip height
            // (the band, the border, a neighbouring object), nothing reaching the strip's
            // top or bottom (the margin keeps characters clear of them: that is a plate's
            // edge or the band's), nothing as thin as a line.
            let touches = bounds.y == 0 || bounds.y + bounds.height >= h;
            // Characters run together by blur are kept, to be read together.
            let width_ok = (OCR_CHAR_HEIGHT * 0.1..=OCR_CHAR_HEIGHT * 4.0).contains(&bw);
            let height_ok = (OCR_CHAR_HEIGHT * 0.7..=OCR_CHAR_HEIGHT * 1.3).contains(&bh);
            if touches || !width_ok || !height_ok {
                continue;
            }
            kept += 1;
            // Paint this blob's pixels black in the clean image.
            core::compare(
                &self.labels.roi(bounds)?,
                &Scalar::all(f64::from(label)),
                &mut keep,
                core::CMP_EQ,
            )?;
            let target = Rect::new(
                bounds.x + BORDER,
                bounds.y + BORDER,
                bounds.width,
                bounds.height,
            );
            let mut region = self.clean.roi_mut(target)?;
            region.set_to(&Scalar::all(0.0), &keep)?;
        }
        Ok(kept > 0)
    }
}
