//! Chroma: Kurento's `ChromaFilter` example module, a green screen. The colour in a
//! calibration window over the first second is keyed out and replaced by a background image.

mod chroma;

pub use chroma::{CALIBRATION_FRAMES, Chroma};
pub use hsvkey::WindowParam;

filmstrip::module! { name = "chroma", filters(Chroma) }
