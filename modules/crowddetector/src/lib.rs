//! CrowdDetector: Kurento's `CrowdDetectorFilter` example module. In each region of interest
//! it measures how much of it is occupied (differs from the learnt background), how fluid the
//! occupation is (moves), and where it goes, raising an event when a level or a direction
//! holds for a configured number of frames.

mod crowd_detector;
mod motion;
mod roi;

pub use crowd_detector::{
    CrowdDetector, CrowdDetectorDirection, CrowdDetectorFluidity, CrowdDetectorOccupancy,
};
pub use roi::{RegionOfInterest, RegionOfInterestConfig, RelativePoint};

filmstrip::module! { name = "crowddetector", filters(CrowdDetector) }
