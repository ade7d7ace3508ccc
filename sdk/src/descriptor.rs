//! Module descriptors in the shape of Kurento's `.kmd.json` files.
//!
//! Modules build these from their `#[filmstrip::filter]` types and hand them to the host as
//! JSON; Kurento tooling reads the same files. Filmstrip-only facts live under `filmstrip`
//! keys that Kurento's generators ignore.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A whole module: what one cdylib offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleDescriptor {
    /// Kurento module name, e.g. `platedetector`.
    pub name: String,
    /// The module crate's version.
    pub version: String,
    /// The Kurento API generation this module follows.
    pub kurento_version: String,
    /// What the module is for.
    #[serde(default)]
    pub doc: String,
    /// Client code generation settings, as Kurento expects them.
    pub code: Json,
    /// The element classes.
    pub remote_classes: Vec<ClassDescriptor>,
    /// Enums and structs used by properties, methods and events.
    #[serde(default)]
    pub complex_types: Vec<ComplexTypeDescriptor>,
    /// The events the classes raise.
    #[serde(default)]
    pub events: Vec<EventDescriptor>,
}

/// One element class, e.g. `PlateDetectorFilter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassDescriptor {
    /// Kurento class name.
    pub name: String,
    /// Parent class; filters extend `Filter`.
    pub extends: String,
    /// What the class does.
    pub doc: String,
    /// Constructor parameters.
    pub constructor: ConstructorDescriptor,
    /// Properties, reachable as `get<Name>`/`set<Name>`.
    pub properties: Vec<ParamDescriptor>,
    /// Methods callable by name.
    pub methods: Vec<MethodDescriptor>,
    /// Names of the events the class raises.
    pub events: Vec<String>,
    /// Facts only Filmstrip uses.
    pub filmstrip: ClassExtras,
}

/// Filmstrip's additions to a class descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassExtras {
    /// The GStreamer element factory name.
    pub factory: String,
    /// Accepted pixel formats, as GStreamer names them (`BGR`, `I420`, ...).
    pub formats: Vec<String>,
    /// True when the filter only reads pixels, so buffers pass without a copy.
    pub analysis_only: bool,
    /// The Kurento module the class belongs to when not its library's module, e.g. `filters`
    /// for a class that stands in for one of Kurento's built-in filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kurento_module: Option<String>,
}

/// A class constructor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstructorDescriptor {
    /// What constructing does.
    pub doc: String,
    /// Its parameters.
    pub params: Vec<ParamDescriptor>,
}

/// A property, parameter or event field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamDescriptor {
    /// camelCase name.
    pub name: String,
    /// What it means.
    pub doc: String,
    /// Kurento type name: `String`, `int`, `float`, `boolean`, `X[]`, a complex type...
    #[serde(rename = "type")]
    pub type_name: String,
    /// May be left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// Value used when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Json>,
    /// Smallest accepted value (Filmstrip extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Json>,
    /// Largest accepted value (Filmstrip extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Json>,
}

/// A method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodDescriptor {
    /// camelCase name.
    pub name: String,
    /// What it does.
    pub doc: String,
    /// Its parameters, in call order.
    pub params: Vec<ParamDescriptor>,
    /// What it returns; absent for `void`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "return")]
    pub returns: Option<ReturnDescriptor>,
}

/// A method's return value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnDescriptor {
    /// Kurento type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// What it means.
    pub doc: String,
}

/// An event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDescriptor {
    /// Event name, e.g. `PlateDetected`.
    pub name: String,
    /// Parent event; Kurento filter events extend `Media`.
    pub extends: String,
    /// When it is raised.
    pub doc: String,
    /// Its fields.
    pub properties: Vec<ParamDescriptor>,
}

/// An enum or struct used in the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplexTypeDescriptor {
    /// Type name.
    pub name: String,
    /// `ENUM` or `REGISTER`.
    pub type_format: String,
    /// What it is.
    pub doc: String,
    /// Enum values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Struct fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<ParamDescriptor>,
}

impl ModuleDescriptor {
    /// Finds a class by its Kurento name.
    pub fn class(&self, name: &str) -> Option<&ClassDescriptor> {
        self.remote_classes.iter().find(|c| c.name == name)
    }

    /// The Kurento module `class` belongs to: its own override, else this module.
    pub fn module_of<'a>(&'a self, class: &'a ClassDescriptor) -> &'a str {
        class
            .filmstrip
            .kurento_module
            .as_deref()
            .unwrap_or(&self.name)
    }
}
