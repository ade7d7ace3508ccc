//! Following candidates across frames, rationing OCR, and voting over reads so that each
//! appearance of a plate is reported once.
//!
//! * Candidates are matched to tracks by overlap with where the track was last seen and by
//!   character height; an unmatched candidate starts a track, and a track unseen for
//!   [`FORGET_AFTER`] frames is dropped, so a plate that leaves and comes back is reported
//!   again. A cut (the whole picture changing at once) drops every track, so a new plate
//!   where an old one was is read afresh.
//! * OCR costs tens of milliseconds, so at most [`READS_PER_FRAME`] candidate is read per
//!   frame: the seen, undecided track with the fewest reads so far. A track stops being read
//!   once decided, after [`MAX_IDLE_READS`] reads without a plausible plate (a sign, a
//!   grille), or after [`MAX_READS`] reads that did not agree.
//! * A read counts when Tesseract's confidence reaches [`MIN_CONFIDENCE`] and the text is a
//!   plausible plate (see [`crate::text`]). Reads of the most widespread formats, then
//!   reads of a known format, if any, else all reads, of the most common length vote
//!   position by position; the track is decided when at least two reads in different views
//!   (scale and threshold, see [`crate::reader::VIEWS`]) agree and every position has a
//!   strict majority.

use crate::candidates::{Candidate, Finder};
use crate::reader::{Read, Reader, VIEWS};
use crate::text::{Choices, common_format, decode, known_format, normalise};
use filmstrip::Result;
use filmstrip::opencv::core::{Mat, Rect, Size, absdiff, mean, no_array};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;

/// Frames a track survives unseen: a plate missed on a blurred frame keeps its track.
pub const FORGET_AFTER: u64 = 10;
/// OCR calls per frame, at most.
pub const READS_PER_FRAME: usize = 1;
/// Reads of one track, at most, before it is given up as unreadable.
pub const MAX_READS: usize = 6;
/// Reads of one track that gave no plausible plate, after which it is given up: signs and
/// grilles stop costing OCR after this many tries.
pub const MAX_IDLE_READS: usize = 2;
/// Least Tesseract confidence (0..100) of a read that counts.
pub const MIN_CONFIDENCE: f32 = 45.0;
/// Least confidence of every character of a read that counts: a plate's characters are
/// read with confidences over 70 even when small or dirty, while text beside a plate (a
/// dealer's sticker) ends in a guess.
pub const MIN_SYMBOL_CONFIDENCE: f32 = 40.0;
/// Least confidence of every character of a vanity plate (letters only, see [`vanity`]).
const VANITY_CONFIDENCE: f32 = 85.0;
/// Fewest and most letters of a vanity plate.
const VANITY_LEN: (usize, usize) = (4, 8);
/// Mean grey difference between thumbnails of consecutive frames that counts as a cut;
/// motion and noise stay far below it.
const CUT: f64 = 12.0;
/// Size of the thumbnails compared to notice cuts.
const THUMB: Size = Size {
    width: 16,
    height: 9,
};
/// Frames apart of the searches for light characters on dark plates while none is followed.
pub const LIGHT_EVERY: u64 = 6;
/// Agreeing reads a decision needs.
const MIN_VOTES: usize = 2;
/// Length under which a read needs one agreeing view more: four characters are likelier a
/// word on a sign (`EXIT`, whose `T` Tesseract weighs as `1`) than a plate, which mostly
/// has six to eight.
const SHORT: usize = 5;

/// A plate read and decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The text, letters and digits (see [`crate::text`]).
    pub plate: String,
    /// Mean Tesseract confidence of the agreeing reads, 0..1.
    pub confidence: f64,
    /// Where the characters are in the frame.
    pub bounds: Rect,
}

/// A candidate followed across frames.
#[derive(Debug)]
struct Track {
    /// Where it was last seen, and what was seen there.
    candidate: Candidate,
    last_seen: u64,
    /// Whether it was seen in the current frame.
    seen_now: bool,
    /// Plausible, confident reads: text, confidence and the view read in (see
    /// [`crate::reader::VIEWS`]).
    reads: Vec<(String, f32, usize)>,
    /// OCR calls spent on it.
    attempts: usize,
    /// The plate once decided.
    decided: Option<String>,
}

impl Track {
    /// Whether it is still to be read: undecided, and neither given up as unreadable nor as
    /// no plate.
    fn reading(&self) -> bool {
        self.decided.is_none()
            && self.attempts < MAX_READS
            && (!self.reads.is_empty() || self.attempts < MAX_IDLE_READS)
    }
}

/// What the debug overlay shows of one track.
#[derive(Debug, Clone)]
pub struct TrackView {
    /// The candidate's quadrilateral in frame pixels.
    pub candidate: Candidate,
    /// The decided plate, or the latest read in progress.
    pub label: Option<String>,
    /// Whether the label is a decision.
    pub decided: bool,
}

/// Finds, follows and reads plates.
#[derive(Default)]
pub struct Tracker {
    finder: Finder,
    reader: Reader,
    tracks: Vec<Track>,
    frame: u64,
    /// Thumbnail of the previous frame.
    thumb: Mat,
}

fn iou(a: Rect, b: Rect) -> f64 {
    let inter = (a & b).area() as f64;
    let union = (a.area() + b.area()) as f64 - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// The plate a read stands for, if it counts: confident enough, every character too, and a
/// plausible plate (see [`decode`]).
pub fn plate(read: &Read) -> Option<String> {
    if read.confidence < MIN_CONFIDENCE
        || read
            .symbols
            .iter()
            .any(|s| s.choices[0].1 < MIN_SYMBOL_CONFIDENCE)
    {
        return None;
    }
    let choices: Vec<&Choices> = read.symbols.iter().map(|s| &s.choices[..]).collect();
    let gaps: Vec<usize> = (1..read.symbols.len())
        .filter(|&i| read.symbols[i].word_start)
        .collect();
    decode(&choices, &gaps).or_else(|| vanity(read))
}

/// A vanity plate of letters only (`BIMMIAN`), which [`decode`] refuses since words on signs
/// are letters only too: taken when the characters sit beside the EU band and every one was
/// read with at least [`VANITY_CONFIDENCE`].
fn vanity(read: &Read) -> Option<String> {
    let text = normalise(&read.text);
    (read.eu_band
        && (VANITY_LEN.0..=VANITY_LEN.1).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_uppercase())
        && read
            .symbols
            .iter()
            .all(|s| s.choices[0].1 >= VANITY_CONFIDENCE))
    .then_some(text)
}

/// The plate `reads` decide, if any: the per-position majority of the most common length
/// among the reads of the most widespread formats, else among those of any known format.
fn vote(reads: &[(String, f32, usize)]) -> Option<(String, f64)> {
    // Reads of a known format outvote the others: a stray blob read as an extra character
    // makes a read of no format. Among them, reads of the most widespread formats decide
    // first: a misread digit turns `BA 302 OZ` into a read of a rarer one (`BA 36907`).
    let of = |test: fn(&str) -> bool| -> Vec<(String, f32, usize)> {
        reads.iter().filter(|(t, _, _)| test(t)).cloned().collect()
    };
    let common = of(common_format);
    if !common.is_empty()
        && let Some(decided) = majority(&common)
    {
        return Some(decided);
    }
    let known = of(known_format);
    majority(if known.is_empty() { reads } else { &known })
}

/// The per-position majority of the most common length among `reads`, if decided.
fn majority(reads: &[(String, f32, usize)]) -> Option<(String, f64)> {
    let length =
        (4..=9).max_by_key(|&len| reads.iter().filter(|(t, _, _)| t.len() == len).count())?;
    let same: Vec<&(String, f32, usize)> =
        reads.iter().filter(|(t, _, _)| t.len() == length).collect();
    if same.len() < MIN_VOTES {
        return None;
    }
    let mut plate = String::new();
    for position in 0..length {
        let chars: Vec<u8> = same
            .iter()
            .map(|(t, _, _)| t.as_bytes()[position])
            .collect();
        let (winner, count) = chars
            .iter()
            .map(|c| (*c, chars.iter().filter(|d| *d == c).count()))
            .max_by_key(|&(_, n)| n)?;
        if 2 * count <= same.len() {
            return None;
        }
        plate.push(char::from(winner));
    }
    let agreeing: Vec<&&(String, f32, usize)> =
        same.iter().filter(|(t, _, _)| *t == plate).collect();
    // Reads in one view (scale and threshold) of one still picture agree by construction:
    // agreement counts between views.
    let mut views: Vec<usize> = agreeing.iter().map(|r| r.2).collect();
    views.sort_unstable();
    views.dedup();
    if views.len() < MIN_VOTES + usize::from(length < SHORT) {
        return None;
    }
    let confidence = agreeing.iter().map(|r| r.1).sum::<f32>() / agreeing.len() as f32 / 100.0;
    Some((plate, f64::from(confidence)))
}

impl Tracker {
    /// Forgets every track, keeping the loaded OCR engine.
    pub fn reset(&mut self) {
        self.tracks.clear();
    }

    /// Takes one BGR, BGRx or BGRA frame; returns the plates decided in it.
    pub fn track(&mut self, picture: &Mat, plate_share: f64) -> Result<Vec<Decision>> {
        let frame = self.frame;
        self.frame += 1;
        let candidates = self.finder.find(picture, plate_share)?;
        let mut thumb = Mat::default();
        imgproc::resize(
            self.finder.grey(),
            &mut thumb,
            THUMB,
            0.0,
            0.0,
            imgproc::INTER_AREA,
        )?;
        if self.thumb.size()? == THUMB {
            let mut diff = Mat::default();
            absdiff(&thumb, &self.thumb, &mut diff)?;
            if mean(&diff, &no_array())?[0] > CUT {
                self.tracks.clear();
            }
        }
        self.thumb = thumb;
        // Light characters on a dark plate are rarer (old plates, some countries): looked
        // for on one frame in [`LIGHT_EVERY`] (which keeps their tracks, forgotten only after
        // [`FORGET_AFTER`] frames unseen), and on every frame while one is being read.
        let mut candidates = candidates;
        if frame.is_multiple_of(LIGHT_EVERY)
            || self.tracks.iter().any(|t| t.candidate.light && t.reading())
        {
            let light = self.finder.find_light(picture, plate_share)?;
            // The light gaps between a dark plate's characters are no light plate.
            let dark = candidates.len();
            for candidate in light {
                let on_dark = candidates[..dark].iter().any(|d| {
                    let inter = (d.bounds & candidate.bounds).area();
                    inter * 3 > d.bounds.area().min(candidate.bounds.area())
                });
                if !on_dark {
                    candidates.push(candidate);
                }
            }
        }
        self.associate(frame, candidates);
        self.tracks.retain(|t| frame - t.last_seen <= FORGET_AFTER);

        let mut decisions = Vec::new();
        for _ in 0..READS_PER_FRAME {
            let whole = Rect::new(0, 0, picture.cols(), picture.rows());
            let next = self
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.seen_now && t.reading())
                // A plate cut by the frame's edge would be read short.
                .filter(|(_, t)| {
                    t.candidate.quad.iter().all(|p| {
                        (0.0..=whole.width as f32).contains(&p.x)
                            && (0.0..=whole.height as f32).contains(&p.y)
                    })
                })
                .min_by_key(|(_, t)| t.attempts)
                .map(|(i, _)| i);
            let Some(index) = next else { break };
            let track = &mut self.tracks[index];
            let attempt = track.attempts;
            track.attempts += 1;
            // Failed reads make frames without a reading, never a failed frame.
            let Ok(Some(read)) = self.reader.read_as(picture, &track.candidate, attempt) else {
                continue;
            };
            let Some(text) = plate(&read) else {
                continue;
            };
            track.reads.push((text, read.confidence, attempt % VIEWS));
            let Some((plate, confidence)) = vote(&track.reads) else {
                continue;
            };
            track.decided = Some(plate.clone());
            let bounds = track.candidate.bounds;
            // Another live track of the same plate (one split in two by a missed frame)
            // already reported it.
            let reported = self
                .tracks
                .iter()
                .enumerate()
                .any(|(i, t)| i != index && t.decided.as_deref() == Some(plate.as_str()));
            if !reported {
                decisions.push(Decision {
                    plate,
                    confidence,
                    bounds,
                });
            }
        }
        Ok(decisions)
    }

    /// Matches this frame's candidates to tracks, starting tracks for new ones.
    fn associate(&mut self, frame: u64, candidates: Vec<Candidate>) {
        for track in &mut self.tracks {
            track.seen_now = false;
        }
        for candidate in candidates {
            let best = self
                .tracks
                .iter_mut()
                .filter(|t| !t.seen_now && t.candidate.light == candidate.light)
                .filter(|t| {
                    let (a, b) = (t.candidate.char_height, candidate.char_height);
                    a.max(b) < 1.3 * a.min(b)
                })
                .map(|t| (iou(t.candidate.bounds, candidate.bounds), t))
                .filter(|(overlap, _)| *overlap > 0.2)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((_, track)) => {
                    track.candidate = candidate;
                    track.last_seen = frame;
                    track.seen_now = true;
                }
                None => self.tracks.push(Track {
                    candidate,
                    last_seen: frame,
                    seen_now: true,
                    reads: Vec::new(),
                    attempts: 0,
                    decided: None,
                }),
            }
        }
    }

    /// The tracks seen in the last frame, for the debug overlay.
    pub fn views(&self) -> Vec<TrackView> {
        self.tracks
            .iter()
            .filter(|t| t.seen_now)
            .map(|t| TrackView {
                candidate: t.candidate.clone(),
                label: t
                    .decided
                    .clone()
                    .or_else(|| t.reads.last().map(|r| r.0.clone())),
                decided: t.decided.is_some(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{plate, vote};
    use crate::ocr::Symbol;
    use crate::reader::Read;

    /// A read of `text`, every character at `confidence`, beside the EU band or not.
    fn read(text: &str, confidence: f32, eu_band: bool) -> Read {
        Read {
            text: text.to_string(),
            confidence,
            symbols: text
                .chars()
                .enumerate()
                .map(|(i, c)| Symbol {
                    left: 10 * i as i32,
                    right: 10 * i as i32 + 8,
                    word_start: i == 0,
                    choices: vec![(c, confidence)],
                })
                .collect(),
            char_height: 40.0,
            eu_band,
        }
    }

    #[test]
    fn letters_only_make_a_plate_beside_the_eu_band_only() {
        assert_eq!(
            plate(&read("BIMMIAN", 97.0, true)).as_deref(),
            Some("BIMMIAN")
        );
        assert_eq!(plate(&read("BIMMIAN", 97.0, false)), None);
        // Read unsure, or too long for a plate.
        assert_eq!(plate(&read("BIMMIAN", 70.0, true)), None);
        assert_eq!(plate(&read("PHARMACIES", 97.0, true)), None);
    }

    /// Reads in successive views.
    fn reads(texts: &[&str]) -> Vec<(String, f32, usize)> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), 80.0, i % 3))
            .collect()
    }

    #[test]
    fn agreeing_reads_in_one_view_decide_nothing() {
        let same_view = vec![("1234BCD".to_string(), 80.0, 0); 3];
        assert_eq!(vote(&same_view), None);
    }

    #[test]
    fn one_read_decides_nothing() {
        assert_eq!(vote(&reads(&["1234BCD"])), None);
    }

    #[test]
    fn two_agreeing_reads_decide() {
        let (plate, confidence) = vote(&reads(&["1234BCD", "1234BCD"])).unwrap();
        assert_eq!(plate, "1234BCD");
        assert!((confidence - 0.8).abs() < 1e-6);
    }

    #[test]
    fn two_disagreeing_reads_wait_for_a_third() {
        assert_eq!(vote(&reads(&["1234BCD", "1284BCD"])), None);
        let (plate, _) = vote(&reads(&["1234BCD", "1284BCD", "1234BCD"])).unwrap();
        assert_eq!(plate, "1234BCD");
    }

    #[test]
    fn reads_of_a_known_format_outvote_others() {
        let (plate, _) = vote(&reads(&["8937ZJIC", "8937ZJC", "8937ZJIC", "8937ZJC"])).unwrap();
        assert_eq!(plate, "8937ZJC");
    }

    #[test]
    fn reads_of_a_widespread_format_decide_first() {
        // Croatian `LL NNN LL` against misreads of the rarer Polish `LL NNNNN`.
        let (plate, _) = vote(&reads(&["BA36907", "BA302OZ", "BA36207", "BA302OZ"])).unwrap();
        assert_eq!(plate, "BA302OZ");
    }

    #[test]
    fn four_characters_need_three_views() {
        assert_eq!(vote(&reads(&["EXI1", "EXI1"])), None);
        let (plate, _) = vote(&reads(&["EXI1", "EXI1", "EXI1"])).unwrap();
        assert_eq!(plate, "EXI1");
    }

    #[test]
    fn the_majority_length_votes() {
        let (plate, _) = vote(&reads(&["AB12CDE", "AB12CD", "AB12CDE"])).unwrap();
        assert_eq!(plate, "AB12CDE");
    }
}
