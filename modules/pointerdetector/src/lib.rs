//! PointerDetector: Kurento's `PointerDetectorFilter` example module. An object of a
//! calibrated colour is the pointer; windows on the picture raise `WindowIn` and `WindowOut`
//! as it enters and leaves them.

mod color;
mod pointer_detector;

pub use hsvkey::WindowParam;
pub use pointer_detector::{PointerDetector, PointerDetectorWindowMediaParam, WindowIn, WindowOut};

filmstrip::module! { name = "pointerdetector", filters(PointerDetector) }
