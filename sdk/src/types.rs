//! The Rust types a filter API can use, and how each travels as JSON, as a GObject property
//! value and in a descriptor.
//!
//! Properties accept `bool`, `i32`, `u32`, `i64`, `u64`, `f32`, `f64`, `String` and enums
//! deriving [`ComplexType`](crate::ComplexType). Method parameters, return values and event
//! fields also accept `Vec<T>`, `Option<T>` (an optional parameter) and structs deriving
//! [`ComplexType`](crate::ComplexType).

use crate::descriptor::ComplexTypeDescriptor;
use gst::glib;
use gst::glib::prelude::*;
use serde_json::Value as Json;

/// A value that crosses the filter API as JSON.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used in a filter API",
    note = "use bool, integers, floats, String, Vec<T>, Option<T>, or a type with #[derive(filmstrip::ComplexType)]"
)]
pub trait Type: Sized {
    /// May be left out of a call (only `Option<T>`).
    const OPTIONAL: bool = false;
    /// The Kurento type name (`int`, `String`, `float[]`, ...).
    fn kmd_type() -> String;
    /// The JSON form.
    fn to_json(&self) -> Json;
    /// Parses the JSON form; the error says what was expected and what came.
    fn from_json(value: &Json) -> Result<Self, String>;
    /// Adds the descriptors of the complex types this type uses to `out`.
    fn complex_types(_out: &mut Vec<ComplexTypeDescriptor>) {}
}

/// A value that can also be a GObject property.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a filter property",
    note = "properties are bool, i32, u32, i64, u64, f32, f64, String, or an enum with #[derive(filmstrip::ComplexType)]"
)]
pub trait PropertyType: Type + Send + 'static {
    /// The GObject property declaration. `min`/`max` narrow the range of numbers.
    fn param_spec(
        name: &str,
        blurb: &str,
        default: &Self,
        min: Option<&Self>,
        max: Option<&Self>,
    ) -> glib::ParamSpec;
    /// The GObject value.
    fn to_value(&self) -> glib::Value;
    /// Reads a GObject value that GObject already checked against [`Self::param_spec`].
    fn from_value(value: &glib::Value) -> Self;
}

/// Short description of a JSON value for error messages: `string "abc"`, `number 3.5`.
pub(crate) fn describe(value: &Json) -> String {
    let text = value.to_string();
    let text = if text.len() > 40 {
        format!("{}...", &text[..text.floor_char_boundary(37)])
    } else {
        text
    };
    let kind = match value {
        Json::Null => return "null".into(),
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "list",
        Json::Object(_) => "object",
    };
    format!("{kind} {text}")
}

pub(crate) fn expected(what: &str, value: &Json) -> String {
    format!("expected {what}, got {}", describe(value))
}

pub(crate) const PROPERTY_FLAGS: glib::ParamFlags = glib::ParamFlags::READWRITE;

pub(crate) fn mutable_playing(flags: glib::ParamFlags) -> glib::ParamFlags {
    flags | gst::PARAM_FLAG_MUTABLE_PLAYING
}

impl Type for bool {
    fn kmd_type() -> String {
        "boolean".into()
    }
    fn to_json(&self) -> Json {
        Json::Bool(*self)
    }
    fn from_json(value: &Json) -> Result<Self, String> {
        value.as_bool().ok_or_else(|| expected("boolean", value))
    }
}

impl PropertyType for bool {
    fn param_spec(
        name: &str,
        blurb: &str,
        default: &Self,
        _: Option<&Self>,
        _: Option<&Self>,
    ) -> glib::ParamSpec {
        glib::ParamSpecBoolean::builder(name)
            .blurb(blurb)
            .default_value(*default)
            .flags(mutable_playing(PROPERTY_FLAGS))
            .build()
    }
    fn to_value(&self) -> glib::Value {
        glib::Value::from(*self)
    }
    fn from_value(value: &glib::Value) -> Self {
        value.get().expect("GObject checked the type")
    }
}

/// Integers accept JSON numbers with no fractional part that fit the type.
fn integer_from_json<T: TryFrom<i128>>(value: &Json, kmd: &str, rust: &str) -> Result<T, String> {
    let whole = value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i128)
        })
        .ok_or_else(|| expected(&format!("an integer ({kmd})"), value))?;
    T::try_from(whole).map_err(|_| format!("{whole} does not fit in {rust}"))
}

fn float_from_json(value: &Json, kmd: &str) -> Result<f64, String> {
    value
        .as_f64()
        .ok_or_else(|| expected(&format!("a number ({kmd})"), value))
}

/// Numbers: JSON through `$from_json`, GObject properties with an optional narrower range.
macro_rules! number_type {
    ($ty:ty, $kmd:literal, $spec:ident, $from_json:expr) => {
        impl Type for $ty {
            fn kmd_type() -> String {
                $kmd.into()
            }
            fn to_json(&self) -> Json {
                Json::from(*self)
            }
            fn from_json(value: &Json) -> Result<Self, String> {
                $from_json(value)
            }
        }

        impl PropertyType for $ty {
            fn param_spec(
                name: &str,
                blurb: &str,
                default: &Self,
                min: Option<&Self>,
                max: Option<&Self>,
            ) -> glib::ParamSpec {
                glib::$spec::builder(name)
                    .blurb(blurb)
                    .minimum(min.copied().unwrap_or(<$ty>::MIN))
                    .maximum(max.copied().unwrap_or(<$ty>::MAX))
                    .default_value(*default)
                    .flags(mutable_playing(PROPERTY_FLAGS))
                    .build()
            }
            fn to_value(&self) -> glib::Value {
                glib::Value::from(*self)
            }
            fn from_value(value: &glib::Value) -> Self {
                value.get().expect("GObject checked the type")
            }
        }
    };
}

number_type!(i32, "int", ParamSpecInt, |v| integer_from_json(
    v, "int", "i32"
));
number_type!(u32, "int", ParamSpecUInt, |v| integer_from_json(
    v, "int", "u32"
));
number_type!(i64, "int64", ParamSpecInt64, |v| integer_from_json(
    v, "int64", "i64"
));
number_type!(u64, "int64", ParamSpecUInt64, |v| integer_from_json(
    v, "int64", "u64"
));
number_type!(f32, "float", ParamSpecFloat, |v| float_from_json(
    v, "float"
)
.map(|f| f as f32));
number_type!(f64, "double", ParamSpecDouble, |v| float_from_json(
    v, "double"
));

impl Type for String {
    fn kmd_type() -> String {
        "String".into()
    }
    fn to_json(&self) -> Json {
        Json::String(self.clone())
    }
    fn from_json(value: &Json) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| expected("a string", value))
    }
}

impl PropertyType for String {
    fn param_spec(
        name: &str,
        blurb: &str,
        default: &Self,
        _: Option<&Self>,
        _: Option<&Self>,
    ) -> glib::ParamSpec {
        glib::ParamSpecString::builder(name)
            .blurb(blurb)
            .default_value(Some(default.as_str()))
            .flags(mutable_playing(PROPERTY_FLAGS))
            .build()
    }
    fn to_value(&self) -> glib::Value {
        glib::Value::from(self.as_str())
    }
    fn from_value(value: &glib::Value) -> Self {
        value
            .get::<Option<String>>()
            .expect("GObject checked the type")
            .unwrap_or_default()
    }
}

impl<T: Type> Type for Vec<T> {
    fn kmd_type() -> String {
        format!("{}[]", T::kmd_type())
    }
    fn to_json(&self) -> Json {
        Json::Array(self.iter().map(T::to_json).collect())
    }
    fn from_json(value: &Json) -> Result<Self, String> {
        let items = value.as_array().ok_or_else(|| expected("a list", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item).map_err(|e| format!("item {i}: {e}")))
            .collect()
    }
    fn complex_types(out: &mut Vec<ComplexTypeDescriptor>) {
        T::complex_types(out);
    }
}

impl<T: Type> Type for Option<T> {
    const OPTIONAL: bool = true;
    fn kmd_type() -> String {
        T::kmd_type()
    }
    fn to_json(&self) -> Json {
        self.as_ref().map_or(Json::Null, T::to_json)
    }
    fn from_json(value: &Json) -> Result<Self, String> {
        match value {
            Json::Null => Ok(None),
            other => T::from_json(other).map(Some),
        }
    }
    fn complex_types(out: &mut Vec<ComplexTypeDescriptor>) {
        T::complex_types(out);
    }
}

/// `()` is the return type of methods that return nothing (`void` in Kurento).
impl Type for () {
    fn kmd_type() -> String {
        "void".into()
    }
    fn to_json(&self) -> Json {
        Json::Null
    }
    fn from_json(value: &Json) -> Result<Self, String> {
        match value {
            Json::Null => Ok(()),
            other => Err(expected("nothing", other)),
        }
    }
}

/// What `#[method]`s return: `filmstrip::Result<T>` with `T` a [`Type`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a method return type",
    note = "methods return `filmstrip::Result<T>`, with `()` for nothing"
)]
pub trait MethodReturn {
    /// The returned value's type.
    type Value: Type;
    /// The JSON result of the call.
    fn into_json(self) -> crate::Result<Json>;
}

impl<T: Type> MethodReturn for crate::Result<T> {
    type Value = T;
    fn into_json(self) -> crate::Result<Json> {
        self.map(|value| value.to_json())
    }
}
