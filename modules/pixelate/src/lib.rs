//! Pixelate: a Filmstrip module without OpenCV, working on every pixel format.

mod pixelate;

pub use pixelate::Pixelate;

filmstrip::module! { name = "pixelate", filters(Pixelate) }
