//! `CrowdDetectorFilter`: occupancy, fluidity and direction events for regions of interest.

use crate::motion::Analyzer;
use crate::roi::{DirectionState, LevelState, RegionOfInterest, Settings};
use filmstrip::opencv::core::{self, CV_8UC1, Mat, Point, Rect, Scalar, Size, Vector};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;

/// The fluidity level of a region changed and held for its configured frames.
#[derive(Event, Debug, Clone)]
pub struct CrowdDetectorFluidity {
    /// Percentage of the region's occupied pixels that move.
    pub fluidity_percentage: f32,
    /// 0 below `fluidityLevelMin`, then 1, 2, and 3 from `fluidityLevelMax`.
    pub fluidity_level: i32,
    /// The region's id.
    pub roi_id: String,
}

/// The occupancy level of a region changed and held for its configured frames.
#[derive(Event, Debug, Clone)]
pub struct CrowdDetectorOccupancy {
    /// Percentage of the region that differs from the learnt background.
    pub occupancy_percentage: f32,
    /// 0 below `occupancyLevelMin`, then 1, 2, and 3 from `occupancyLevelMax`.
    pub occupancy_level: i32,
    /// The region's id.
    pub roi_id: String,
}

/// The movement in a region took a new direction and held it for its configured frames.
#[derive(Event, Debug, Clone)]
pub struct CrowdDetectorDirection {
    /// Left 0, up 90, right 180, down 270, plus the region's `opticalFlowAngleOffset`.
    pub direction_angle: f32,
    /// The region's id.
    pub roi_id: String,
}

/// A region with its mask at the processing size and its reporting state.
struct Region {
    roi: RegionOfInterest,
    settings: Settings,
    mask: Mat,
    pixels: i32,
    bounds: Rect,
    occupancy: LevelState,
    fluidity: LevelState,
    direction: DirectionState,
}

impl Region {
    fn new(roi: RegionOfInterest) -> Self {
        Self {
            settings: Settings::from(&roi.region_of_interest_config),
            roi,
            mask: Mat::default(),
            pixels: 0,
            bounds: Rect::default(),
            occupancy: LevelState::default(),
            fluidity: LevelState::default(),
            direction: DirectionState::default(),
        }
    }

    /// Draws the polygon into a mask of `size`, unless it already has that size.
    fn rasterize(&mut self, size: Size) -> Result<()> {
        if self.mask.size()? == size {
            return Ok(());
        }
        let corners: Vector<Point> = self
            .roi
            .points
            .iter()
            .map(|p| {
                Point::new(
                    (f64::from(p.x) * f64::from(size.width)).round() as i32,
                    (f64::from(p.y) * f64::from(size.height)).round() as i32,
                )
            })
            .collect();
        self.mask =
            Mat::new_rows_cols_with_default(size.height, size.width, CV_8UC1, Scalar::all(0.0))?;
        let polygons: Vector<Vector<Point>> = std::iter::once(corners.clone()).collect();
        imgproc::fill_poly_def(&mut self.mask, &polygons, Scalar::all(255.0))?;
        self.pixels = core::count_non_zero(&self.mask)?;
        self.bounds = imgproc::bounding_rect(&corners)?;
        Ok(())
    }
}

/// Watches regions of interest for crowds: how much of each is occupied, how much of the
/// occupation moves, and in which direction, raising an event when a level or direction
/// changes and holds. Frames pass through untouched.
#[filmstrip::filter(
    class = "CrowdDetectorFilter",
    formats(I420, Nv12, Gray8),
    events(CrowdDetectorFluidity, CrowdDetectorOccupancy, CrowdDetectorDirection)
)]
pub struct CrowdDetector {
    /// Width in pixels the picture is scaled down to for processing.
    #[property(default = 320, min = 16, max = 4096)]
    processing_width: i32,
    regions: Vec<Region>,
    analyzer: Analyzer,
}

#[filmstrip::methods]
impl CrowdDetector {
    fn transform_frame(&mut self, frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        let luma = frame.plane(0);
        let layout = (frame.width(), frame.height(), luma.stride());
        if !self
            .analyzer
            .feed(luma.data(), layout, self.processing_width as usize)?
        {
            return Ok(());
        }
        let size = self.analyzer.size()?;
        for region in &mut self.regions {
            region.rasterize(size)?;
            let measures = self.analyzer.measure(&region.mask, region.pixels)?;
            let roi_id = &region.roi.id;
            let settings = &region.settings;
            if let Some(level) = region
                .fluidity
                .update(&settings.fluidity, measures.fluidity)
            {
                ctx.emit(CrowdDetectorFluidity {
                    fluidity_percentage: measures.fluidity as f32,
                    fluidity_level: level,
                    roi_id: roi_id.clone(),
                });
            }
            if let Some(level) = region
                .occupancy
                .update(&settings.occupancy, measures.occupancy)
            {
                ctx.emit(CrowdDetectorOccupancy {
                    occupancy_percentage: measures.occupancy as f32,
                    occupancy_level: level,
                    roi_id: roi_id.clone(),
                });
            }
            if settings.directions {
                // Direction only means something where the occupation flows.
                let movement = if settings.fluidity.level(measures.fluidity) > 0 {
                    self.analyzer.shift(&region.mask, region.bounds)?
                } else {
                    None
                };
                if let Some(angle) = region.direction.update(settings, movement) {
                    ctx.emit(CrowdDetectorDirection {
                        direction_angle: angle as f32,
                        roi_id: roi_id.clone(),
                    });
                }
            }
        }
        self.analyzer.finish()
    }

    /// Kurento's constructor: the regions of interest, each with its own levels. An element
    /// made without it (`gst-launch-1.0`) watches no region and raises nothing.
    #[constructor]
    fn create(
        &mut self,
        /// The regions to watch; their ids must differ.
        rois: Vec<RegionOfInterest>,
    ) -> Result<()> {
        for roi in &rois {
            roi.validate().map_err(|e| {
                Error::invalid_param(format!(
                    "CrowdDetectorFilter constructor: parameter rois: {e}"
                ))
            })?;
        }
        if let Some(twice) = rois
            .iter()
            .enumerate()
            .find(|(i, roi)| rois[..*i].iter().any(|other| other.id == roi.id))
        {
            return Err(Error::invalid_param(format!(
                "CrowdDetectorFilter constructor: parameter rois: region id {:?} is used twice",
                twice.1.id
            )));
        }
        self.regions = rois.into_iter().map(Region::new).collect();
        Ok(())
    }
}
