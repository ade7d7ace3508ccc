//! Face detection with OpenCV's Haar cascade (faces of every size, see `search.rs`),
//! and tracking between detections: both filters of this module find faces through
//! [`Tracker`].
//!
//! Haar detection costs tens of milliseconds per 320x240 frame on one core, up to more than
//! a 30 fps frame interval, so detection runs on a subset of frames (see [`DetectionPolicy`]) and tracks
//! carry the faces in between:
//!
//! * each track is an alpha-beta filter over the box centre and size: a detection corrects
//!   the predicted box by half its error, so detector noise does not make the overlay jitter,
//!   and updates a per-frame velocity, so a moving face is followed between detections;
//! * detections are matched to tracks by overlap; a new track shows only once the next
//!   frame's detection confirms it, which weeds out most false detections; a track a
//!   detection misses is kept for a few detections while its picture still looks as it did,
//!   so a face the cascade misses once does not flicker, and one that moved is followed by
//!   matching its picture around where it is predicted (for up to `MAX_FOLLOWED`
//!   detections), so a face half out of the picture, which the cascade finds only at some
//!   cuts, stays covered while it enters or leaves;
//! * on every frame, a 16x16 thumbnail of the whole frame is compared with the previous
//!   frame's, and one of each tracked box with the box when last detected: a cut, a face
//!   appearing or a face leaving forces a detection at once, so no box outlives its face by
//!   even one frame and a new face is found on its first frame (and shown from its second).

use crate::search::Search;
use filmstrip::ComplexType;
use filmstrip::Result;
use filmstrip::opencv::core::{Mat, Point, Rect, Size, absdiff, mean, min_max_loc, no_array};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use std::time::{Duration, Instant};

pub use crate::search::CASCADE;

/// Share of the box error a detection corrects (1 would follow the detector's noise).
const ALPHA: f64 = 0.5;
/// Share of the box error per frame fed into the velocity.
const BETA: f64 = 0.2;
/// Least overlap (intersection over union) of a detection with the box a track predicts.
const MIN_IOU: f64 = 0.2;
/// Detections a track survives without a match while its picture is unchanged.
const MAX_MISSES: u32 = 3;
/// Detections a track survives without a match by following its face's picture.
const MAX_FOLLOWED: u32 = 10;
/// Around its predicted box grown by this share of its size on each side.
const FOLLOW_MARGIN: f64 = 0.5;
/// Least normalised correlation of the face's picture with the place it is followed to.
const FOLLOW_SCORE: f64 = 0.7;
/// Least side, in grey pixels, of a face picture worth following.
const MIN_PATCH: i32 = 8;
/// Side of the thumbnails compared to notice changes.
const THUMB: i32 = 16;
/// Mean grey difference between the whole-frame thumbnails of consecutive frames that counts
/// as a new scene; smooth motion stays far below it.
const SCENE_CHANGE: f64 = 6.0;
/// Mean grey difference of a tracked box's thumbnail that means its face may be gone.
const FACE_CHANGE: f64 = 30.0;
/// Share of the frame interval detection may take before the filter counts as running late:
/// the rest of the pipeline (decoding, encoding, other filters) needs the remainder.
const BUDGET: f64 = 0.25;
/// Weight of the latest detection time in the running average of its cost.
const COST_WEIGHT: f64 = 0.25;

/// When faces are detected; frames in between reuse the tracked boxes.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectionPolicy {
    /// Every frame while detection takes at most a quarter of the frame interval; when it takes
    /// longer (running late), every `detectEvery`th frame.
    #[default]
    Adaptive,
    /// Every frame, however long it takes.
    EveryFrame,
    /// Every `detectEvery`th frame.
    EveryNth,
}

/// The detection properties shared by the module's filters.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// When to detect.
    pub policy: DetectionPolicy,
    /// One detection in this many frames when not detecting on every frame.
    pub detect_every: u32,
    /// Width of the grey picture faces are detected in.
    pub detect_width: u32,
}

/// A face box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl FaceBox {
    /// Intersection over union with `other`: 1 for the same box, 0 for disjoint ones.
    pub fn iou(&self, other: &FaceBox) -> f64 {
        let w = (self.x + self.width).min(other.x + other.width) - self.x.max(other.x);
        let h = (self.y + self.height).min(other.y + other.height) - self.y.max(other.y);
        let inter = w.max(0.0) * h.max(0.0);
        let union = self.width * self.height + other.width * other.height - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// The share of this box's area inside `other`: 1 for a box within it.
    pub fn inside(&self, other: &FaceBox) -> f64 {
        let w = (self.x + self.width).min(other.x + other.width) - self.x.max(other.x);
        let h = (self.y + self.height).min(other.y + other.height) - self.y.max(other.y);
        let area = self.width * self.height;
        if area > 0.0 {
            w.max(0.0) * h.max(0.0) / area
        } else {
            0.0
        }
    }

    /// The box as whole pixels of a `scale`d picture, clipped to its `size`; `None` if empty.
    fn pixels(&self, scale: f64, size: Size) -> Option<Rect> {
        let x0 = ((self.x * scale).round() as i32).clamp(0, size.width);
        let y0 = ((self.y * scale).round() as i32).clamp(0, size.height);
        let x1 = (((self.x + self.width) * scale).round() as i32).clamp(0, size.width);
        let y1 = (((self.y + self.height) * scale).round() as i32).clamp(0, size.height);
        (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
    }
}

/// A face followed across frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackedFace {
    /// Stays the same while the face is followed.
    pub id: u64,
    /// Where the face is in this frame.
    pub face: FaceBox,
}

/// One tracked face: its box as centre and size, and how that changes per frame.
struct Track {
    id: u64,
    /// Centre x, centre y, width, height at frame `updated`.
    state: [f64; 4],
    /// Change of `state` per frame.
    velocity: [f64; 4],
    updated: u64,
    misses: u32,
    /// Whether a second detection matched it; only confirmed tracks are shown.
    confirmed: bool,
    /// Thumbnail of the face when a detection last confirmed it.
    thumb: Mat,
    /// The part of the grey picture inside the picture under the face when a detection last
    /// matched it, and where that part starts relative to the box, in grey pixels.
    patch: Mat,
    patch_offset: (f64, f64),
}

impl Track {
    fn predict(&self, frame: u64) -> [f64; 4] {
        let k = frame.saturating_sub(self.updated) as f64;
        let mut state = self.state;
        for (value, velocity) in state.iter_mut().zip(self.velocity) {
            *value += velocity * k;
        }
        state[2] = state[2].max(1.0);
        state[3] = state[3].max(1.0);
        state
    }

    fn face(&self, frame: u64) -> FaceBox {
        let [cx, cy, w, h] = self.predict(frame);
        FaceBox {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            width: w,
            height: h,
        }
    }

    /// Moves the predicted box part of the way to `detected` and learns the motion.
    fn correct(&mut self, frame: u64, detected: &FaceBox) {
        let k = frame.saturating_sub(self.updated).max(1) as f64;
        let predicted = self.predict(frame);
        let measured = [
            detected.x + detected.width / 2.0,
            detected.y + detected.height / 2.0,
            detected.width,
            detected.height,
        ];
        for i in 0..4 {
            let error = measured[i] - predicted[i];
            self.state[i] = predicted[i] + ALPHA * error;
            self.velocity[i] += BETA * error / k;
        }
        self.updated = frame;
        self.misses = 0;
        self.confirmed = true;
    }

    /// Keeps the box where it is predicted now and stops it there.
    fn hold(&mut self, frame: u64) {
        self.state = self.predict(frame);
        self.velocity = [0.0; 4];
        self.updated = frame;
        self.misses += 1;
    }
}

/// Finds faces in frames and follows them between detections.
#[derive(Default)]
pub struct Tracker {
    /// Loaded on the first frame, as loading the cascades takes tens of milliseconds.
    search: Option<Search>,
    small: Mat,
    gray: Mat,
    /// Thumbnail of the whole previous frame.
    scene: Mat,
    frame: u64,
    last_detection: Option<u64>,
    /// Running average of one detection's wall time, in seconds.
    cost: Option<f64>,
    last_pts: Option<Duration>,
    /// Frame interval in seconds, from the timestamps.
    interval: Option<f64>,
    tracks: Vec<Track>,
    next_id: u64,
    faces: Vec<TrackedFace>,
}

impl Tracker {
    /// Forgets every face, keeping the loaded cascade.
    pub fn reset(&mut self) {
        let search = self.search.take();
        *self = Self {
            search,
            ..Self::default()
        };
    }

    /// Takes one BGR, BGRx or BGRA frame with its timestamp and returns the faces in it.
    pub fn track(
        &mut self,
        picture: &Mat,
        pts: Option<Duration>,
        settings: &Settings,
    ) -> Result<&[TrackedFace]> {
        let frame = self.frame;
        self.frame += 1;
        self.learn_interval(pts);
        let scale = (f64::from(settings.detect_width) / f64::from(picture.cols())).min(1.0);
        let size = Size::new(
            ((f64::from(picture.cols()) * scale).round() as i32).max(1),
            ((f64::from(picture.rows()) * scale).round() as i32).max(1),
        );
        // Shrinking first makes the colour conversion cheap on large frames.
        imgproc::resize(
            picture,
            &mut self.small,
            size,
            0.0,
            0.0,
            imgproc::INTER_LINEAR,
        )?;
        let code = if self.small.channels() == 3 {
            imgproc::COLOR_BGR2GRAY
        } else {
            imgproc::COLOR_BGRA2GRAY
        };
        imgproc::cvt_color_def(&self.small, &mut self.gray, code)?;

        let whole = Rect::new(0, 0, self.gray.cols(), self.gray.rows());
        let scene = thumbnail(&self.gray, whole)?;
        let new_scene = difference(&scene, &self.scene)? > SCENE_CHANGE;
        self.scene = scene;
        let scheduled = self.scheduled(frame, settings);
        // A new face is confirmed or dismissed on the very next frame.
        let unconfirmed = self.tracks.iter().any(|t| !t.confirmed);
        if scheduled || new_scene || unconfirmed || self.faces_changed(frame, scale)? {
            self.detect(picture, frame, scale, scheduled || new_scene, scheduled)?;
        }
        self.faces = self
            .tracks
            .iter()
            .filter(|t| t.confirmed)
            .map(|t| TrackedFace {
                id: t.id,
                face: t.face(frame),
            })
            .collect();
        Ok(&self.faces)
    }

    fn learn_interval(&mut self, pts: Option<Duration>) {
        if let (Some(now), Some(last)) = (pts, self.last_pts) {
            let delta = now.saturating_sub(last).as_secs_f64();
            // Ignore jumps such as seeks; a real frame interval is under a second.
            if delta > 0.0 && delta < 1.0 {
                self.interval = Some(self.interval.map_or(delta, |i| 0.9 * i + 0.1 * delta));
            }
        }
        self.last_pts = pts.or(self.last_pts);
    }

    /// Whether the policy asks for a detection on this frame.
    fn scheduled(&self, frame: u64, settings: &Settings) -> bool {
        let Some(last) = self.last_detection else {
            return true;
        };
        let late = || {
            let interval = self.interval.unwrap_or(1.0 / 30.0);
            self.cost.is_some_and(|cost| cost > BUDGET * interval)
        };
        let every = match settings.policy {
            DetectionPolicy::EveryFrame => 1,
            DetectionPolicy::EveryNth => settings.detect_every,
            DetectionPolicy::Adaptive if late() => settings.detect_every,
            DetectionPolicy::Adaptive => 1,
        };
        frame - last >= u64::from(every.max(1))
    }

    /// Whether the picture under a tracked face changed since that face was last detected.
    fn faces_changed(&self, frame: u64, scale: f64) -> Result<bool> {
        for track in &self.tracks {
            if self.face_changed(track, frame, scale)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn face_changed(&self, track: &Track, frame: u64, scale: f64) -> Result<bool> {
        let Some(rect) = track.face(frame).pixels(scale, self.gray.size()?) else {
            return Ok(true);
        };
        Ok(difference(&thumbnail(&self.gray, rect)?, &track.thumb)? > FACE_CHANGE)
    }

    /// Detects faces and matches them to the tracks: in the `whole` picture (else around the
    /// tracked faces only), and when `explore`, in a further part of the full-size picture for
    /// small faces.
    fn detect(
        &mut self,
        picture: &Mat,
        frame: u64,
        scale: f64,
        whole: bool,
        explore: bool,
    ) -> Result<()> {
        let start = Instant::now();
        let tracked: Vec<FaceBox> = self.tracks.iter().map(|t| t.face(frame)).collect();
        let search = match &mut self.search {
            Some(search) => search,
            slot => slot.insert(Search::load()?),
        };
        let detections = search.run(picture, &self.gray, scale, &tracked, whole, explore)?;
        let seconds = start.elapsed().as_secs_f64();
        self.cost = Some(
            self.cost
                .map_or(seconds, |c| (1.0 - COST_WEIGHT) * c + COST_WEIGHT * seconds),
        );
        self.associate(frame, &detections, scale)?;
        self.last_detection = Some(frame);
        Ok(())
    }

    /// Keeps the track's thumbnail and the picture of its face as they are now.
    fn remember(&self, track: &mut Track, frame: u64, scale: f64) -> Result<()> {
        let face = track.face(frame);
        if let Some(rect) = face.pixels(scale, self.gray.size()?) {
            track.thumb = thumbnail(&self.gray, rect)?;
            track.patch = self.gray.roi(rect)?.try_clone()?;
            track.patch_offset = (
                f64::from(rect.x) - face.x * scale,
                f64::from(rect.y) - face.y * scale,
            );
        }
        Ok(())
    }

    /// Where the track's face picture is now, searched around its predicted box; `None` when
    /// nothing there looks like it.
    fn follow(&self, track: &Track, frame: u64, scale: f64) -> Result<Option<FaceBox>> {
        let patch = &track.patch;
        if patch.cols() < MIN_PATCH || patch.rows() < MIN_PATCH {
            return Ok(None);
        }
        let face = track.face(frame);
        let grown = FaceBox {
            x: face.x - FOLLOW_MARGIN * face.width,
            y: face.y - FOLLOW_MARGIN * face.height,
            width: face.width * (1.0 + 2.0 * FOLLOW_MARGIN),
            height: face.height * (1.0 + 2.0 * FOLLOW_MARGIN),
        };
        let Some(area) = grown.pixels(scale, self.gray.size()?) else {
            return Ok(None);
        };
        if area.width < patch.cols() || area.height < patch.rows() {
            return Ok(None);
        }
        let mut scores = Mat::default();
        imgproc::match_template_def(
            &self.gray.roi(area)?,
            patch,
            &mut scores,
            imgproc::TM_CCOEFF_NORMED,
        )?;
        let mut best = 0.0;
        let mut at = Point::default();
        min_max_loc(
            &scores,
            None,
            Some(&mut best),
            None,
            Some(&mut at),
            &no_array(),
        )?;
        let found = Rect::new(area.x + at.x, area.y + at.y, patch.cols(), patch.rows());
        // Normalised correlation also scores flat areas highly: the picture must match too.
        let matches = best >= FOLLOW_SCORE
            && difference(
                &thumbnail(&self.gray, found)?,
                &thumbnail(patch, Rect::new(0, 0, patch.cols(), patch.rows()))?,
            )? <= FACE_CHANGE;
        Ok(matches.then(|| FaceBox {
            x: (f64::from(found.x) - track.patch_offset.0) / scale,
            y: (f64::from(found.y) - track.patch_offset.1) / scale,
            width: face.width,
            height: face.height,
        }))
    }

    /// Matches detections to tracks, best overlap first; corrects, keeps, drops and adds tracks.
    fn associate(&mut self, frame: u64, detections: &[FaceBox], scale: f64) -> Result<()> {
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for (t, track) in self.tracks.iter().enumerate() {
            let predicted = track.face(frame);
            for (d, detection) in detections.iter().enumerate() {
                let iou = predicted.iou(detection);
                if iou >= MIN_IOU {
                    pairs.push((iou, t, d));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut track_match = vec![None; self.tracks.len()];
        let mut detection_used = vec![false; detections.len()];
        for (_, t, d) in pairs {
            if track_match[t].is_none() && !detection_used[d] {
                track_match[t] = Some(d);
                detection_used[d] = true;
            }
        }

        let size = self.gray.size()?;
        let mut kept = Vec::with_capacity(self.tracks.len() + detections.len());
        for (mut track, matched) in std::mem::take(&mut self.tracks)
            .into_iter()
            .zip(track_match)
        {
            match matched {
                Some(d) => {
                    track.correct(frame, &detections[d]);
                    self.remember(&mut track, frame, scale)?;
                }
                // The cascade missed a face that still looks the same: keep it a while.
                None if track.confirmed
                    && track.misses < MAX_MISSES
                    && !self.face_changed(&track, frame, scale)? =>
                {
                    track.hold(frame);
                }
                // The cascade missed a face that moved or is half out of the picture: follow
                // its picture for a while.
                None if track.confirmed && track.misses < MAX_FOLLOWED => {
                    let Some(face) = self.follow(&track, frame, scale)? else {
                        continue;
                    };
                    let misses = track.misses;
                    track.correct(frame, &face);
                    track.misses = misses + 1;
                    if let Some(rect) = track.face(frame).pixels(scale, size) {
                        track.thumb = thumbnail(&self.gray, rect)?;
                    }
                }
                None => continue,
            }
            kept.push(track);
        }
        for (detection, _) in detections
            .iter()
            .zip(detection_used)
            .filter(|(_, used)| !used)
        {
            let Some(rect) = detection.pixels(scale, size) else {
                continue;
            };
            let mut track = Track {
                id: self.next_id,
                state: [
                    detection.x + detection.width / 2.0,
                    detection.y + detection.height / 2.0,
                    detection.width,
                    detection.height,
                ],
                velocity: [0.0; 4],
                updated: frame,
                misses: 0,
                confirmed: false,
                thumb: thumbnail(&self.gray, rect)?,
                patch: Mat::default(),
                patch_offset: (0.0, 0.0),
            };
            self.remember(&mut track, frame, scale)?;
            kept.push(track);
            self.next_id += 1;
        }
        self.tracks = kept;
        Ok(())
    }
}

/// `rect` of a grey picture shrunk to a THUMBxTHUMB thumbnail.
fn thumbnail(gray: &Mat, rect: Rect) -> Result<Mat> {
    let mut thumb = Mat::default();
    imgproc::resize(
        &gray.roi(rect)?,
        &mut thumb,
        Size::new(THUMB, THUMB),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    Ok(thumb)
}

/// Mean absolute grey difference of two thumbnails; infinite when one is missing.
fn difference(a: &Mat, b: &Mat) -> Result<f64> {
    if a.empty() || b.empty() {
        return Ok(f64::INFINITY);
    }
    let mut diff = Mat::default();
    absdiff(a, b, &mut diff)?;
    Ok(mean(&diff, &no_array())?[0])
}
