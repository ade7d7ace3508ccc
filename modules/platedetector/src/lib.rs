//! PlateDetector: Kurento's `PlateDetectorFilter`, which finds European licence plates in
//! video and reports each plate's text once per appearance.
//!
//! [`candidates`] finds rows of characters, [`reader`] rectifies and reads one with
//! Tesseract, [`tracker`] follows rows across frames and votes over reads, and [`text`]
//! defines the reported form of a plate.

pub mod candidates;
pub mod ocr;
mod plate_detector;
pub mod reader;
pub mod text;
pub mod tracker;

pub use plate_detector::{PlateDetected, PlateDetector};

filmstrip::module! { name = "platedetector", filters(PlateDetector) }
