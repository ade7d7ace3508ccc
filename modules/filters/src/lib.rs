//! Filters: the two classes of Kurento's built-in `filters` module that Filmstrip builds as a
//! module, `ZBarFilter` (QR and bar codes, read by the system's zbar library) and
//! `ImageOverlayFilter` (images at fixed places over the video).
//!
//! The module is named `filters`, as Kurento's, so hosts present its classes as
//! `kurento.ZBarFilter` and `kurento.ImageOverlayFilter`, which kurento-client already knows.

mod image_overlay;
mod zbar;

pub use image_overlay::ImageOverlay;
pub use zbar::{CodeFound, ZBar};

filmstrip::module! { name = "filters", filters(ZBar, ImageOverlay) }
