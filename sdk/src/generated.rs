//! Helpers of the code the macros generate: ranges, complex types, enums, method returns.
//! Not public API: the generated code reaches them through `__private`.

use crate::descriptor::ComplexTypeDescriptor;
use crate::types::{PROPERTY_FLAGS, Type, expected, mutable_playing};
use gst::glib;
use gst::glib::translate::{FromGlibPtrNone, IntoGlib};
use serde_json::Value as Json;
use std::ffi::CString;
use std::fmt::Display;

/// Checks `value` against optional bounds, naming `name` in the error.
pub fn check_range<T: PartialOrd + Display>(
    name: &str,
    value: &T,
    min: Option<&T>,
    max: Option<&T>,
) -> crate::Result<()> {
    let below = min.is_some_and(|min| value < min);
    let above = max.is_some_and(|max| value > max);
    if below || above {
        let bound = |b: Option<&T>| b.map_or_else(|| "..".to_string(), T::to_string);
        return Err(crate::Error::invalid_param(format!(
            "{name}: {value} is out of range [{}, {}]",
            bound(min),
            bound(max)
        )));
    }
    Ok(())
}

/// Adds `descriptor` to `out` unless a type of that name is already there.
pub fn add_complex_type(out: &mut Vec<ComplexTypeDescriptor>, descriptor: ComplexTypeDescriptor) {
    if !out.iter().any(|t| t.name == descriptor.name) {
        out.push(descriptor);
    }
}

/// Parses an enum value by its Kurento name (`EDGES`) or its nick (`edges`), ignoring case.
pub fn enum_from_json(type_name: &str, names: &[&str], value: &Json) -> Result<usize, String> {
    let text = value
        .as_str()
        .ok_or_else(|| expected(&format!("a {type_name} name"), value))?;
    let folded = text.replace('-', "_");
    names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(&folded))
        .ok_or_else(|| {
            format!(
                "{text:?} is not a {type_name}; expected one of {}",
                names.join(", ")
            )
        })
}

/// Registers a GLib enum type for a [`ComplexType`](crate::ComplexType) enum, once.
///
/// `names` are the Kurento value names (`UPPER_SNAKE`); nicks are their kebab-case forms,
/// which is what `gst-launch-1.0` accepts.
pub fn register_enum(type_name: &str, names: &[&str]) -> glib::Type {
    if let Some(existing) = glib::Type::from_name(type_name) {
        return existing;
    }
    // GLib keeps pointers to the value table and its strings for the life of the process.
    let leak = |s: String| CString::new(s).expect("no NUL in names").into_raw() as *const _;
    let mut values: Vec<glib::gobject_ffi::GEnumValue> = names
        .iter()
        .enumerate()
        .map(|(i, name)| glib::gobject_ffi::GEnumValue {
            value: i as i32,
            value_name: leak(name.to_string()),
            value_nick: leak(name.to_lowercase().replace('_', "-")),
        })
        .collect();
    values.push(glib::gobject_ffi::GEnumValue {
        value: 0,
        value_name: std::ptr::null(),
        value_nick: std::ptr::null(),
    });
    let values = Box::leak(values.into_boxed_slice());
    let c_name = CString::new(type_name).expect("no NUL in type names");
    // SAFETY: `values` is a NUL-terminated, leaked table, as g_enum_register_static requires.
    unsafe {
        glib::translate::from_glib(glib::gobject_ffi::g_enum_register_static(
            c_name.as_ptr(),
            values.as_ptr(),
        ))
    }
}

/// The property declaration of an enum registered with [`register_enum`].
pub fn enum_param_spec(
    enum_type: glib::Type,
    name: &str,
    blurb: &str,
    default: usize,
) -> glib::ParamSpec {
    let name = CString::new(name).expect("no NUL in names");
    let blurb = CString::new(blurb).expect("no NUL in docs");
    // SAFETY: plain GObject constructor; `from_glib_none` sinks the floating reference.
    unsafe {
        glib::ParamSpec::from_glib_none(glib::gobject_ffi::g_param_spec_enum(
            name.as_ptr(),
            std::ptr::null(),
            blurb.as_ptr(),
            enum_type.into_glib(),
            default as i32,
            mutable_playing(PROPERTY_FLAGS).into_glib(),
        ))
    }
}

/// The GObject value of an enum registered with [`register_enum`].
pub fn enum_to_value(enum_type: glib::Type, index: usize) -> glib::Value {
    glib::EnumClass::with_type(enum_type)
        .and_then(|class| class.to_value(i32::try_from(index).ok()?))
        .expect("a value of a registered enum")
}

/// The index of an enum GObject value.
pub fn enum_from_value(value: &glib::Value) -> usize {
    let (_, enum_value) =
        glib::EnumValue::from_value(value).expect("GObject checked the value is an enum");
    usize::try_from(enum_value.value()).expect("indices are not negative")
}

/// The `return` entry of a method descriptor; `None` for `()`.
pub fn return_descriptor<T: Type>() -> Option<crate::descriptor::ReturnDescriptor> {
    let type_name = T::kmd_type();
    (type_name != "void").then(|| crate::descriptor::ReturnDescriptor {
        type_name,
        doc: String::new(),
    })
}
