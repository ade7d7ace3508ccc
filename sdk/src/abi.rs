//! The stable ABI between modules and hosts.
//!
//! A module cdylib exports one abi_stable root module, [`ModuleRef`]. Hosts load it with
//! abi_stable, which refuses libraries built against an incompatible SDK version or with a
//! different interface layout, read the module's descriptor from it, and invoke operations on
//! its elements through it. The same cdylib is also a GStreamer plugin, so elements are created
//! through GStreamer's registry and events travel on the GStreamer bus.

use crate::error::WireError;
use crate::{Error, Result};
use abi_stable::library::RootModule;
use abi_stable::std_types::{RResult, RStr, RString};
use abi_stable::{
    StableAbi, declare_root_module_statics, package_version_strings, sabi_types::VersionStrings,
};
use serde_json::Value as Json;
use std::ffi::c_void;

/// The root module every Filmstrip module exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ModuleRef)))]
#[sabi(missing_field(panic))]
pub struct Module {
    /// The module descriptor as `.kmd.json`-shaped JSON.
    pub descriptor: extern "C" fn() -> RString,
    /// Runs an operation on an element of this module: `(element, operation, JSON params)`,
    /// returning the JSON result or a JSON [`Error`].
    #[sabi(last_prefix_field)]
    pub invoke: extern "C" fn(*mut c_void, RStr<'_>, RStr<'_>) -> RResult<RString, RString>,
}

impl RootModule for ModuleRef {
    declare_root_module_statics! {ModuleRef}
    const BASE_NAME: &'static str = "filmstrip_module";
    const NAME: &'static str = "filmstrip module";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The SDK version modules and hosts must agree on (semver-compatible, as abi_stable checks).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The operation that runs a filter's `#[constructor]` through `invoke`, with the
/// constructor parameters after `mediaPipeline` as a JSON object. Hosts invoke it once, when
/// they create an element for a Kurento `create`, before it joins a pipeline; the element
/// refuses it afterwards. A filter without a `#[constructor]` accepts it without parameters.
/// Not an identifier, so no method can take its name.
pub const CONSTRUCTOR: &str = "#constructor";

/// Host side: calls a module's `invoke` entry point on `element`.
pub fn invoke(module: ModuleRef, element: &gst::Element, op: &str, params: &Json) -> Result<Json> {
    use gst::glib::translate::ToGlibPtr;
    let params = params.to_string();
    let ptr: *mut gst::ffi::GstElement = element.to_glib_none().0;
    match module.invoke()(ptr.cast(), op.into(), params.as_str().into()) {
        RResult::ROk(value) => serde_json::from_str(&value)
            .map_err(|e| Error::new(format!("{op}: module returned invalid JSON: {e}"))),
        RResult::RErr(err) => Err(serde_json::from_str::<WireError>(&err)
            .map(Error::from)
            .unwrap_or_else(|_| Error::new(err.to_string()))),
    }
}
