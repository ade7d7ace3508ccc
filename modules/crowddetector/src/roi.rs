//! Regions of interest as Kurento describes them, and the per-region logic that turns
//! measurements into events: levels that must hold for some frames, directions likewise.

use filmstrip::prelude::*;

/// A point as fractions of the picture's width and height, from the top-left corner.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq)]
pub struct RelativePoint {
    /// Fraction of the width, 0..1.
    pub x: f32,
    /// Fraction of the height, 0..1.
    pub y: f32,
}

/// How a region reports; every field is optional, with Kurento's defaults.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Default)]
pub struct RegionOfInterestConfig {
    /// Occupancy percentage from which the level is 1 (default 10).
    pub occupancy_level_min: Option<i32>,
    /// Occupancy percentage from which the level is 2 (default 35).
    pub occupancy_level_med: Option<i32>,
    /// Occupancy percentage from which the level is 3 (default 65).
    pub occupancy_level_max: Option<i32>,
    /// Frames a new occupancy level must hold before it is reported (default 5).
    pub occupancy_num_frames_to_event: Option<i32>,
    /// Fluidity percentage from which the level is 1 (default 10).
    pub fluidity_level_min: Option<i32>,
    /// Fluidity percentage from which the level is 2 (default 35).
    pub fluidity_level_med: Option<i32>,
    /// Fluidity percentage from which the level is 3 (default 65).
    pub fluidity_level_max: Option<i32>,
    /// Frames a new fluidity level must hold before it is reported (default 5).
    pub fluidity_num_frames_to_event: Option<i32>,
    /// Whether to report the direction of movement (default false).
    pub send_optical_flow_event: Option<bool>,
    /// Frames a new direction must hold before it is reported (default 3).
    pub optical_flow_num_frames_to_event: Option<i32>,
    /// Frames without movement after which the same direction is reported again (default 3).
    pub optical_flow_num_frames_to_reset: Option<i32>,
    /// Degrees added to the reported directions: left 0, up 90, right 180, down 270 (default 0).
    pub optical_flow_angle_offset: Option<i32>,
}

/// A region of interest: a polygon and how it reports.
#[derive(ComplexType, Debug, Clone, PartialEq)]
pub struct RegionOfInterest {
    /// The polygon's corners, in order.
    pub points: Vec<RelativePoint>,
    /// How the region reports.
    pub region_of_interest_config: RegionOfInterestConfig,
    /// The region's id, named by its events: a letter, then letters, digits or `/-_.:+`.
    pub id: String,
}

impl RegionOfInterest {
    /// Checks the region as Kurento documents it; the error names what is wrong.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let mut chars = self.id.chars();
        let valid_id = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "/-_.:+".contains(c));
        if !valid_id {
            return Err(format!(
                "region id {:?} must be a letter followed by letters, digits or /-_.:+",
                self.id
            ));
        }
        if self.points.len() < 3 {
            return Err(format!("region {:?} needs at least 3 points", self.id));
        }
        if let Some(p) = self
            .points
            .iter()
            .find(|p| !(0.0..=1.0).contains(&p.x) || !(0.0..=1.0).contains(&p.y))
        {
            return Err(format!(
                "region {:?}: point ({}, {}) is outside 0..1",
                self.id, p.x, p.y
            ));
        }
        let c = Settings::from(&self.region_of_interest_config);
        for (what, levels) in [("occupancy", c.occupancy), ("fluidity", c.fluidity)] {
            if !(0 <= levels.min && levels.min <= levels.med && levels.med <= levels.max)
                || levels.max > 100
            {
                return Err(format!(
                    "region {:?}: {what} levels must satisfy 0 <= min <= med <= max <= 100",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

/// Level thresholds in percent and the frames a new level must hold.
#[derive(Debug, Clone, Copy)]
pub struct Levels {
    min: i32,
    med: i32,
    max: i32,
    frames: u32,
}

impl Levels {
    /// 0 below `min`, 1 from `min`, 2 from `med`, 3 from `max`.
    pub fn level(&self, percentage: f64) -> i32 {
        [self.min, self.med, self.max]
            .iter()
            .filter(|&&threshold| percentage >= f64::from(threshold))
            .count() as i32
    }
}

/// A region's configuration with the defaults filled in.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Occupancy levels.
    pub occupancy: Levels,
    /// Fluidity levels.
    pub fluidity: Levels,
    /// Whether directions are reported.
    pub directions: bool,
    direction_frames: u32,
    reset_frames: u32,
    angle_offset: i32,
}

impl From<&RegionOfInterestConfig> for Settings {
    fn from(c: &RegionOfInterestConfig) -> Self {
        let frames = |v: Option<i32>, default: u32| v.map_or(default, |v| v.max(1) as u32);
        Self {
            occupancy: Levels {
                min: c.occupancy_level_min.unwrap_or(10),
                med: c.occupancy_level_med.unwrap_or(35),
                max: c.occupancy_level_max.unwrap_or(65),
                frames: frames(c.occupancy_num_frames_to_event, 5),
            },
            fluidity: Levels {
                min: c.fluidity_level_min.unwrap_or(10),
                med: c.fluidity_level_med.unwrap_or(35),
                max: c.fluidity_level_max.unwrap_or(65),
                frames: frames(c.fluidity_num_frames_to_event, 5),
            },
            directions: c.send_optical_flow_event.unwrap_or(false),
            direction_frames: frames(c.optical_flow_num_frames_to_event, 3),
            reset_frames: frames(c.optical_flow_num_frames_to_reset, 3),
            angle_offset: c.optical_flow_angle_offset.unwrap_or(0),
        }
    }
}

/// A level that changes only once a new value held for some frames.
#[derive(Debug, Default)]
pub struct LevelState {
    reported: i32,
    candidate: i32,
    count: u32,
}

impl LevelState {
    /// Takes this frame's percentage; returns the new level when it is to be reported.
    pub fn update(&mut self, levels: &Levels, percentage: f64) -> Option<i32> {
        let level = levels.level(percentage);
        if level == self.reported {
            self.count = 0;
            return None;
        }
        if level == self.candidate {
            self.count += 1;
        } else {
            (self.candidate, self.count) = (level, 1);
        }
        if self.count >= levels.frames {
            self.reported = level;
            self.count = 0;
            return Some(level);
        }
        None
    }
}

/// The direction of movement, reported when one of the four holds for some frames.
#[derive(Debug, Default)]
pub struct DirectionState {
    reported: Option<i32>,
    candidate: Option<i32>,
    count: u32,
    still: u32,
}

impl DirectionState {
    /// Takes this frame's movement in pixels (`None` when nothing moves); returns the angle to
    /// report: left 0, up 90, right 180, down 270, plus the offset, in 0..360.
    pub fn update(&mut self, settings: &Settings, movement: Option<(f64, f64)>) -> Option<f64> {
        let Some((dx, dy)) = movement else {
            self.still += 1;
            self.count = 0;
            if self.still >= settings.reset_frames {
                self.reported = None;
            }
            return None;
        };
        self.still = 0;
        // Image y grows downwards; Kurento's angles start at "left" and turn towards "up".
        let angle = (-dy).atan2(-dx).to_degrees();
        let quadrant = ((angle / 90.0).round() as i32).rem_euclid(4) * 90;
        if self.candidate == Some(quadrant) {
            self.count += 1;
        } else {
            (self.candidate, self.count) = (Some(quadrant), 1);
        }
        if self.count >= settings.direction_frames && self.reported != Some(quadrant) {
            self.reported = Some(quadrant);
            return Some(f64::from(
                (quadrant + settings.angle_offset).rem_euclid(360),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from(&RegionOfInterestConfig {
            send_optical_flow_event: Some(true),
            optical_flow_angle_offset: Some(45),
            ..Default::default()
        })
    }

    #[test]
    fn levels_follow_the_thresholds() {
        let s = settings();
        let levels: Vec<i32> = [0.0, 9.9, 10.0, 34.9, 35.0, 64.9, 65.0, 100.0]
            .iter()
            .map(|&p| s.occupancy.level(p))
            .collect();
        assert_eq!(levels, [0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn a_level_is_reported_once_it_held_for_its_frames() {
        let s = settings();
        let mut state = LevelState::default();
        let reports: Vec<Option<i32>> = [50.0, 50.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 0.0]
            .iter()
            .map(|&p| state.update(&s.occupancy, p))
            .collect();
        // Level 2 held 2 frames only; level 3 is reported on its 5th frame, once.
        assert_eq!(
            reports,
            [None, None, None, None, None, None, Some(3), None, None]
        );
    }

    #[test]
    fn directions_are_quantised_offset_and_reported_again_after_a_rest() {
        let s = settings();
        let mut state = DirectionState::default();
        let mut run = |moves: &[Option<(f64, f64)>]| -> Vec<f64> {
            moves.iter().filter_map(|&m| state.update(&s, m)).collect()
        };
        let right = Some((2.0, 0.3));
        assert_eq!(run(&[right, right, right, right]), [225.0]);
        let up = Some((0.2, -1.5));
        assert_eq!(run(&[up, up, up]), [135.0]);
        // Two still frames are not a rest (3 are): up again is not new.
        assert!(run(&[None, None, up, up, up]).is_empty());
        assert_eq!(run(&[None, None, None, up, up, up]), [135.0]);
        let left = Some((-3.0, 0.0));
        let down = Some((0.0, 3.0));
        assert_eq!(run(&[left, left, left, down, down, down]), [45.0, 315.0]);
    }
}
