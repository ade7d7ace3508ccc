//! A module's descriptor as Kurento's own `.kmd.json`, for Kurento's client generators.

use filmstrip::descriptor::ModuleDescriptor;
use serde_json::{Value as Json, json};

/// Kurento's own modules: `kurento-client` ships their classes, and their objects' ids name
/// the module `kurento`.
pub const KURENTO_MODULES: &[&str] = &["core", "elements", "filters"];

/// Keys only Filmstrip reads: the class's `filmstrip` facts and the value ranges of
/// properties and parameters.
const FILMSTRIP_KEYS: &[&str] = &["filmstrip", "minimum", "maximum"];

/// `descriptor` in the `.kmd.json` format: Filmstrip's extensions removed, and the import of
/// Kurento's `core` module, where the generators find `Filter`, `Media` and `MediaPipeline`.
pub fn kurento_kmd(descriptor: &ModuleDescriptor) -> Json {
    let mut kmd = serde_json::to_value(descriptor).expect("descriptors serialise");
    strip(&mut kmd);
    let version = descriptor.kurento_version.clone();
    kmd["imports"] = json!([{
        "name": "core",
        "version": version,
        "mavenVersion": "[7.0.0,8.0.0-SNAPSHOT)",
        "npmVersion": ">=7.0.0 <8.0.0",
    }]);
    kmd
}

fn strip(value: &mut Json) {
    match value {
        Json::Object(map) => {
            map.retain(|key, _| !FILMSTRIP_KEYS.contains(&key.as_str()));
            map.values_mut().for_each(strip);
        }
        Json::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}
