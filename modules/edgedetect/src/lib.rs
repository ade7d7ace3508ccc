//! EdgeDetect: a Filmstrip module built on OpenCV's zero-copy `Mat` views.

mod edgedetect;

pub use edgedetect::{EdgeDensityChanged, EdgeDetect, EdgeMode};

filmstrip::module! { name = "edgedetect", filters(EdgeDetect) }
