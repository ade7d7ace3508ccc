//! The traits `#[filmstrip::filter]` and `#[filmstrip::methods]` implement, and the generic
//! logic built on them: descriptors and invocation by name.

use crate::abi::CONSTRUCTOR;
use crate::descriptor::{
    ClassDescriptor, ClassExtras, ComplexTypeDescriptor, ConstructorDescriptor, EventDescriptor,
    MethodDescriptor, ParamDescriptor,
};
use crate::params::Params;
use crate::{Context, Error, ErrorKind, Frame, PixelFormat, Result};
use gst::glib;
use serde_json::Value as Json;

/// Names of one property in each world it appears in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyNames {
    /// Kurento name, camelCase: `plateWidthPercentage`.
    pub name: &'static str,
    /// GObject name, kebab-case: `plate-width-percentage`.
    pub gobject: &'static str,
    /// Kurento getter: `getPlateWidthPercentage`.
    pub getter: &'static str,
    /// Kurento setter: `setPlateWidthPercentage`.
    pub setter: &'static str,
}

/// The properties of a struct, in declaration order: implemented by `#[filmstrip::filter]`
/// for a filter (its own `#[property]` fields and those of its `#[property(flatten)]` groups)
/// and by `#[filmstrip::properties]` for a group of properties that several filters share.
///
/// Indices run over [`Self::PROPERTIES`]; a flattened group's properties take the place of
/// its field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a group of properties",
    label = "`#[property(flatten)]` needs a struct with `#[filmstrip::properties]`",
    note = "put #[filmstrip::properties] on `{Self}` and #[property(...)] on its fields"
)]
pub trait PropertyGroup: Default + Send + 'static {
    /// The properties, in declaration order.
    const PROPERTIES: &'static [PropertyNames];

    /// GObject property declarations, in [`Self::PROPERTIES`] order.
    fn param_specs() -> Vec<glib::ParamSpec>;
    /// Property `index` as a GObject value.
    fn property_value(&self, index: usize) -> glib::Value;
    /// Sets property `index` from a value GObject already checked.
    fn set_property_value(&mut self, index: usize, value: &glib::Value);
    /// Property `index` as JSON.
    fn property_json(&self, index: usize) -> Json;
    /// Sets property `index` from JSON, checking type and range.
    fn set_property_json(&mut self, index: usize, value: &Json) -> Result<()>;
    /// Property descriptors, in [`Self::PROPERTIES`] order.
    fn property_descriptors() -> Vec<ParamDescriptor>;
    /// Adds the complex types the properties use to `out`.
    fn property_complex_types(out: &mut Vec<ComplexTypeDescriptor>);
}

/// Implemented by `#[filmstrip::filter]` on a struct: identity, events, element type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Filmstrip filter",
    note = "put #[filmstrip::filter(class = \"...\")] on the struct"
)]
pub trait Filter: PropertyGroup + FilterMethods + Default + Send + 'static {
    /// Kurento class name, e.g. `EdgeDetectFilter`.
    const CLASS: &'static str;
    /// GStreamer element factory name, e.g. `edgedetectfilter`.
    const FACTORY: &'static str;
    /// What the filter does (from the struct's doc comment).
    const DOC: &'static str;
    /// Accepted pixel formats, preferred first.
    const FORMATS: &'static [PixelFormat];
    /// The Kurento module the class presents itself in, when not its library's module.
    const KURENTO_MODULE: Option<&'static str>;

    /// Descriptors of the events listed in `events(...)`.
    fn event_descriptors() -> Vec<EventDescriptor>;
    /// Adds the complex types used by properties and events to `out`.
    fn complex_types(out: &mut Vec<ComplexTypeDescriptor>);
    /// The GStreamer element type, registered on first use.
    fn element_type() -> glib::Type;
    /// The state inside `element`, if it is an element of this filter.
    fn core(element: &gst::Element) -> Option<&crate::imp::Core<Self>>;
}

/// Implemented by `#[filmstrip::methods]` on the filter's `impl` block.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[filmstrip::methods]` impl block",
    note = "add `#[filmstrip::methods] impl {Self} {{ fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> filmstrip::Result<()> {{ .. }} }}`"
)]
pub trait FilterMethods {
    /// True when `transform_frame` takes `&Frame`: buffers then pass through uncopied.
    const ANALYSIS_ONLY: bool;
    /// Calls `transform_frame`.
    fn process(&mut self, frame: &mut Frame<'_>, ctx: &mut Context<'_, Self>) -> Result<()>;
    /// Calls the `#[method]` named `name`; `None` when there is none.
    fn call(&mut self, name: &str, params: &Params<'_>) -> Option<Result<Json>>;
    /// Method descriptors.
    fn method_descriptors() -> Vec<MethodDescriptor>;
    /// Whether `name` is a `#[method(slow)]`: frames pass through untouched while it runs.
    fn is_slow(_name: &str) -> bool {
        false
    }
    /// Adds the complex types used by methods and the constructor to `out`.
    fn complex_types(out: &mut Vec<ComplexTypeDescriptor>);
    /// Calls the `#[constructor]` with `params`; `None` when the filter declares none.
    fn construct(&mut self, _params: &Params<'_>) -> Option<Result<()>> {
        None
    }
    /// The `#[constructor]`'s doc and parameters (those after the implicit `mediaPipeline`);
    /// `None` when the filter declares none.
    fn constructor_descriptor() -> Option<ConstructorDescriptor> {
        None
    }
}

/// The class descriptor of `F`.
pub fn class_descriptor<F: Filter>() -> ClassDescriptor {
    ClassDescriptor {
        name: F::CLASS.to_string(),
        extends: "Filter".to_string(),
        doc: F::DOC.to_string(),
        constructor: constructor_descriptor::<F>(),
        properties: F::property_descriptors(),
        methods: F::method_descriptors(),
        events: F::event_descriptors().into_iter().map(|e| e.name).collect(),
        filmstrip: ClassExtras {
            factory: F::FACTORY.to_string(),
            formats: F::FORMATS.iter().map(|f| f.name().to_string()).collect(),
            analysis_only: F::ANALYSIS_ONLY,
            kurento_module: F::KURENTO_MODULE.map(str::to_string),
        },
    }
}

/// `F`'s constructor: Kurento's implicit `mediaPipeline`, then the `#[constructor]`'s
/// parameters.
fn constructor_descriptor<F: Filter>() -> ConstructorDescriptor {
    let declared = F::constructor_descriptor();
    let (doc, declared) = match declared {
        Some(declared) if !declared.doc.is_empty() => (declared.doc, declared.params),
        other => (
            format!("Create an element of type {}", F::CLASS),
            other.map(|c| c.params).unwrap_or_default(),
        ),
    };
    let mut params = vec![ParamDescriptor {
        name: "mediaPipeline".to_string(),
        doc: "the parent MediaPipeline".to_string(),
        type_name: "MediaPipeline".to_string(),
        optional: false,
        default_value: None,
        minimum: None,
        maximum: None,
    }];
    params.extend(declared);
    ConstructorDescriptor { doc, params }
}

/// The complex types `F` uses anywhere in its API.
pub fn complex_types<F: Filter>() -> Vec<ComplexTypeDescriptor> {
    let mut out = Vec::new();
    <F as Filter>::complex_types(&mut out);
    <F as FilterMethods>::complex_types(&mut out);
    out
}

/// What an invocation did.
pub(crate) struct Invoked {
    /// The return value.
    pub value: Json,
    /// The property it set, if it was a setter.
    pub property_set: Option<usize>,
}

/// Runs operation `op` on `filter`: the constructor ([`CONSTRUCTOR`]), a `#[method]`, or a
/// property getter or setter.
pub(crate) fn invoke<F: Filter>(filter: &mut F, op: &str, params: &Json) -> Result<Invoked> {
    if op == CONSTRUCTOR {
        let name = format!("{} constructor", F::CLASS);
        let params = Params::new(&name, params)?;
        match filter.construct(&params) {
            Some(result) => result?,
            None => drop(params.bind([])?),
        }
        return Ok(Invoked {
            value: Json::Null,
            property_set: None,
        });
    }
    let params = Params::new(op, params)?;
    if let Some(result) = filter.call(op, &params) {
        return result.map(|value| Invoked {
            value,
            property_set: None,
        });
    }
    for (index, names) in F::PROPERTIES.iter().enumerate() {
        if op == names.getter {
            params.bind([])?;
            return Ok(Invoked {
                value: filter.property_json(index),
                property_set: None,
            });
        }
        if op == names.setter {
            let [value] = params.bind([(names.name, false)])?;
            filter.set_property_json(index, value)?;
            return Ok(Invoked {
                value: Json::Null,
                property_set: Some(index),
            });
        }
    }
    Err(Error::with_kind(
        ErrorKind::UnknownOperation,
        format!("{} has no operation {op:?}", F::CLASS),
    ))
}

/// The number of properties in `parts`; used by the generated [`PropertyGroup::PROPERTIES`].
#[doc(hidden)]
pub const fn names_len(parts: &[&[PropertyNames]]) -> usize {
    let (mut part, mut len) = (0, 0);
    while part < parts.len() {
        len += parts[part].len();
        part += 1;
    }
    len
}

/// `parts` one after the other, checked for names used twice; used by the generated
/// [`PropertyGroup::PROPERTIES`], so that a clash fails the module's build.
#[doc(hidden)]
pub const fn concat_names<const N: usize>(parts: &[&[PropertyNames]]) -> [PropertyNames; N] {
    const NONE: PropertyNames = PropertyNames {
        name: "",
        gobject: "",
        getter: "",
        setter: "",
    };
    let mut out = [NONE; N];
    let (mut part, mut index) = (0, 0);
    while part < parts.len() {
        let mut item = 0;
        while item < parts[part].len() {
            let names = parts[part][item];
            assert!(
                !has_property(out.split_at(index).0, names.gobject),
                "two properties of this filter have the same name (a flattened group repeats one?)"
            );
            out[index] = names;
            index += 1;
            item += 1;
        }
        part += 1;
    }
    assert!(index == N, "property count");
    out
}

/// Whether `properties` has one whose GObject name is `name`; a `const fn`, so that clashes
/// fail the build of the module rather than its loading.
pub(crate) const fn has_property(properties: &[PropertyNames], name: &str) -> bool {
    let mut index = 0;
    while index < properties.len() {
        let candidate = properties[index].gobject.as_bytes();
        let wanted = name.as_bytes();
        if candidate.len() == wanted.len() {
            let mut byte = 0;
            while byte < wanted.len() && candidate[byte] == wanted[byte] {
                byte += 1;
            }
            if byte == wanted.len() {
                return true;
            }
        }
        index += 1;
    }
    false
}
