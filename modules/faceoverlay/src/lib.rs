//! FaceOverlay: Kurento's `FaceOverlayFilter` and a `FaceDetectorFilter`, both finding faces
//! with one Haar cascade detector and tracker ([`detector`]).

pub mod detector;
mod face_detector;
mod face_overlay;
mod overlay;
mod search;

pub use detector::DetectionPolicy;
pub use face_detector::{Face, FaceDetected, FaceDetector};
pub use face_overlay::FaceOverlay;
pub use overlayimage::{DOWNLOAD_TIMEOUT, MAX_IMAGE_BYTES, blend_pixel};

filmstrip::module! { name = "faceoverlay", filters(FaceOverlay, FaceDetector) }
