//! The module side of the ABI: what `filmstrip::module!` generates calls into. Not public API.

use crate::abi::{Module, ModuleRef};
use crate::descriptor::{ComplexTypeDescriptor, EventDescriptor, ModuleDescriptor};
use crate::error::WireError;
use crate::filter::{Filter, class_descriptor, complex_types};
use crate::{Error, ErrorKind, Result};
use abi_stable::std_types::{RResult, RStr, RString};
use gst::glib::translate::FromGlibPtrNone;
use gst::prelude::*;
use serde_json::Value as Json;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One class of a module, as the generated module code lists it.
pub struct ClassEntry {
    descriptor: fn() -> crate::descriptor::ClassDescriptor,
    events: fn() -> Vec<EventDescriptor>,
    complex_types: fn() -> Vec<ComplexTypeDescriptor>,
    register: fn(&gst::Plugin) -> std::result::Result<(), gst::glib::BoolError>,
    invoke: fn(&gst::Element, &str, &Json) -> Option<Result<Json>>,
}

impl ClassEntry {
    /// The entry of filter `F`.
    pub const fn of<F: Filter>() -> Self {
        Self {
            descriptor: class_descriptor::<F>,
            events: F::event_descriptors,
            complex_types: complex_types::<F>,
            register: register_class::<F>,
            invoke: invoke_class::<F>,
        }
    }
}

fn register_class<F: Filter>(
    plugin: &gst::Plugin,
) -> std::result::Result<(), gst::glib::BoolError> {
    crate::imp::register::<F>(Some(plugin))
}

fn invoke_class<F: Filter>(
    element: &gst::Element,
    op: &str,
    params: &Json,
) -> Option<Result<Json>> {
    F::core(element).map(|core| core.invoke(element, op, params))
}

/// The root module of a module whose generated entry points are `descriptor` and `invoke`.
pub fn root_module(
    descriptor: extern "C" fn() -> RString,
    invoke: extern "C" fn(*mut c_void, RStr<'_>, RStr<'_>) -> RResult<RString, RString>,
) -> ModuleRef {
    use abi_stable::prefix_type::PrefixTypeTrait;
    Module { descriptor, invoke }.leak_into_prefix()
}

/// A module as the generated code describes it.
pub struct ModuleInfo {
    /// Kurento module name.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// What the module is for.
    pub doc: &'static str,
    /// Its classes.
    pub classes: &'static [ClassEntry],
}

impl ModuleInfo {
    /// The module descriptor.
    pub fn descriptor(&self) -> ModuleDescriptor {
        let mut events: Vec<EventDescriptor> = Vec::new();
        let mut complex_types: Vec<ComplexTypeDescriptor> = Vec::new();
        for class in self.classes {
            for event in (class.events)() {
                if !events.iter().any(|e| e.name == event.name) {
                    events.push(event);
                }
            }
            for ty in (class.complex_types)() {
                crate::generated::add_complex_type(&mut complex_types, ty);
            }
        }
        ModuleDescriptor {
            name: self.name.to_string(),
            version: self.version.to_string(),
            kurento_version: "^7.0.0".to_string(),
            doc: self.doc.to_string(),
            code: serde_json::json!({
                "api": {
                    "js": { "nodeName": format!("kurento-module-{}", self.name), "npmVersion": self.version },
                    "java": { "packageName": self.name, "mavenVersion": self.version }
                },
                "implementation": { "cppNamespace": self.name }
            }),
            remote_classes: self.classes.iter().map(|c| (c.descriptor)()).collect(),
            complex_types,
            events,
        }
    }

    /// Registers every class's element factory; the GStreamer plugin entry point.
    pub fn register(&self, plugin: &gst::Plugin) -> std::result::Result<(), gst::glib::BoolError> {
        self.classes
            .iter()
            .try_for_each(|class| (class.register)(plugin))
    }

    /// The root module's `descriptor` entry point.
    pub fn descriptor_json(&self) -> RString {
        serde_json::to_string(&self.descriptor())
            .expect("descriptors serialise")
            .into()
    }

    /// The root module's `invoke` entry point.
    ///
    /// # Safety
    /// `element` must point to a live `GstElement`.
    pub unsafe fn invoke_raw(
        &self,
        element: *mut c_void,
        op: RStr<'_>,
        params: RStr<'_>,
    ) -> RResult<RString, RString> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller guarantees a live element; we take our own reference.
            let element: gst::Element = unsafe { gst::Element::from_glib_none(element.cast()) };
            self.invoke(&element, op.as_str(), params.as_str())
        }))
        .unwrap_or_else(|_| {
            Err(Error::with_kind(
                ErrorKind::Panicked,
                "module panicked while invoking",
            ))
        });
        match outcome {
            Ok(value) => RResult::ROk(value.to_string().into()),
            Err(err) => RResult::RErr(
                serde_json::to_string(&WireError::from(&err))
                    .expect("errors serialise")
                    .into(),
            ),
        }
    }

    fn invoke(&self, element: &gst::Element, op: &str, params: &str) -> Result<Json> {
        let params: Json = serde_json::from_str(params)
            .map_err(|e| Error::invalid_param(format!("{op}: parameters are not JSON: {e}")))?;
        self.classes
            .iter()
            .find_map(|class| (class.invoke)(element, op, &params))
            .unwrap_or_else(|| {
                Err(Error::new(format!(
                    "element {} is not from module {}",
                    element.name(),
                    self.name
                )))
            })
    }
}
