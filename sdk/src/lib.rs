//! # Filmstrip
//!
//! Write a video filter as a plain Rust struct; get a real GStreamer element and a
//! Kurento-style module that any Filmstrip host loads through a stable ABI.
//!
//! ```ignore
//! use filmstrip::prelude::*;
//!
//! /// Inverts every pixel.
//! #[filmstrip::filter(class = "InvertFilter", formats(Bgrx, Gray8))]
//! pub struct Invert {
//!     /// How much of the inverted picture to show, 0..1.
//!     #[property(default = 1.0, min = 0.0, max = 1.0)]
//!     strength: f64,
//! }
//!
//! #[filmstrip::methods]
//! impl Invert {
//!     fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
//!         let keep = (1.0 - self.strength) as f32;
//!         for row in frame.plane_mut(0).rows_mut() {
//!             for v in row {
//!                 *v = (*v as f32 * keep + (255 - *v) as f32 * (1.0 - keep)) as u8;
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! filmstrip::module! { name = "invert", filters(Invert) }
//! ```
//!
//! * `#[filmstrip::filter]` on the struct: class metadata, `#[property]` fields, events.
//! * `#[filmstrip::methods]` on its `impl`: `transform_frame`, `#[method]`s and at most one
//!   `#[constructor]` (Kurento's constructor parameters after `mediaPipeline`, run once when a
//!   host creates the element for a `create`, before any frame). A
//!   `transform_frame` taking `&Frame` makes an analysis-only filter whose buffers are never
//!   copied; `&mut Frame` edits pixels in place.
//! * [`module!`] in `lib.rs`: makes the cdylib a GStreamer plugin and a Filmstrip module.
//! * `#[derive(Event)]` and `#[derive(ComplexType)]` for events, enums and structs.
//! * `#[filmstrip::properties]` on a struct of `#[property]` fields, and
//!   `#[property(flatten)]` on a field of that type: properties several filters share.
//! * Feature `opencv`: `Frame::with_mat` and `Frame::with_mat_mut`, zero-copy `Mat` views.
//! * Feature `testing`: `testing::Harness` pushes frames through a filter in tests.

pub mod abi;
mod context;
#[cfg(feature = "opencv")]
mod cv;
pub mod descriptor;
mod entry;
mod error;
mod event;
mod filter;
mod frame;
mod generated;
mod imp;
mod params;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;

pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use event::{EVENT_MESSAGE, Emits, EmittedEvent, Event};
pub use filmstrip_macros::{ComplexType, Event, filter, methods, module, properties};
pub use filter::{Filter, FilterMethods, PropertyGroup, PropertyNames, class_descriptor};
pub use frame::{Frame, PixelFormat, Plane, PlaneMut};
pub use params::Params;

pub use abi_stable;
pub use gst;
pub use gst::glib;
pub use gst_base;
pub use gst_video;
#[cfg(feature = "opencv")]
pub use opencv;
pub use serde_json;

/// What hosts read from the GStreamer element behind every filter.
pub mod element {
    pub use crate::imp::{FRAMES_PROCESSED, PROCESSING_NS, register};
}

/// What filter code needs in scope.
pub mod prelude {
    pub use crate::{ComplexType, Context, Error, Event, Frame, PixelFormat, Result};
}

/// Paths the generated code relies on; not public API, and free to change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::entry::{ClassEntry, ModuleInfo, root_module};
    pub use crate::event::EmittedBy;
    pub use crate::filter::{concat_names, names_len};
    pub use crate::generated::{
        add_complex_type, check_range, enum_from_json, enum_from_value, enum_param_spec,
        enum_to_value, register_enum, return_descriptor,
    };
    pub use crate::imp::Core;
    pub use gst::glib::subclass::prelude::*;
    pub use gst::prelude::*;
    pub use gst::subclass::prelude::*;
    pub use gst_base::subclass::prelude::*;
    pub use gst_video::subclass::prelude::*;
}
