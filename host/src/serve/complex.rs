//! Complex-type tags: Kurento sends struct values (`REGISTER` complex types) as JSON objects
//! tagged with `__module__` and `__type__`, so clients can build their own classes from them.
//!
//! Values leaving the server (module return values, property values, event fields) get the
//! tags from the module's descriptor; tagged values coming in lose them before a module sees
//! them, as modules know their parameter types already. Enum values travel as plain strings,
//! as on KMS.

use filmstrip::descriptor::{ComplexTypeDescriptor, ModuleDescriptor};
use serde_json::{Map, Value as Json};

/// The keys of the tags.
const TAGS: [&str; 2] = ["__module__", "__type__"];

/// Tags the struct values in `value`, whose Kurento type is `type_name` (`Face`, `Face[]`,
/// `Face<>` for a map, or a plain type left as is), with `module`, the module name clients
/// know the types under.
pub fn tag(value: Json, type_name: &str, descriptor: &ModuleDescriptor, module: &str) -> Json {
    if let Some(item) = type_name.strip_suffix("[]") {
        return match value {
            Json::Array(items) => Json::Array(
                items
                    .into_iter()
                    .map(|value| tag(value, item, descriptor, module))
                    .collect(),
            ),
            other => other,
        };
    }
    if let Some(item) = type_name.strip_suffix("<>") {
        return match value {
            Json::Object(map) => Json::Object(
                map.into_iter()
                    .map(|(key, value)| (key, tag(value, item, descriptor, module)))
                    .collect(),
            ),
            other => other,
        };
    }
    let Some(complex) = struct_type(descriptor, type_name) else {
        return value;
    };
    let Json::Object(fields) = value else {
        return value;
    };
    let mut tagged: Map<String, Json> = fields
        .into_iter()
        .map(|(key, field)| {
            let field_type = complex
                .properties
                .iter()
                .find(|property| property.name == key)
                .map(|property| property.type_name.as_str());
            let field = match field_type {
                Some(field_type) => tag(field, field_type, descriptor, module),
                None => field,
            };
            (key, field)
        })
        .collect();
    tagged.insert(TAGS[0].into(), Json::String(module.to_string()));
    tagged.insert(TAGS[1].into(), Json::String(complex.name.clone()));
    Json::Object(tagged)
}

/// Tags every field of an event's `fields` by the event's descriptor.
pub fn tag_event(
    fields: Map<String, Json>,
    event_type: &str,
    descriptor: &ModuleDescriptor,
    module: &str,
) -> Map<String, Json> {
    let Some(event) = descriptor.events.iter().find(|e| e.name == event_type) else {
        return fields;
    };
    fields
        .into_iter()
        .map(|(key, value)| {
            match event
                .properties
                .iter()
                .find(|property| property.name == key)
            {
                Some(property) => {
                    let value = tag(value, &property.type_name, descriptor, module);
                    (key, value)
                }
                None => (key, value),
            }
        })
        .collect()
}

/// The Kurento type `operation` of `class` returns: a method's return type or, for
/// `get<Property>`, the property's type.
pub fn return_type<'a>(
    descriptor: &'a ModuleDescriptor,
    class: &str,
    operation: &str,
) -> Option<&'a str> {
    let class = descriptor.class(class)?;
    if let Some(method) = class.methods.iter().find(|m| m.name == operation) {
        return method.returns.as_ref().map(|r| r.type_name.as_str());
    }
    let property = operation.strip_prefix("get")?;
    class
        .properties
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(property))
        .map(|p| p.type_name.as_str())
}

/// Removes the tags from every object in `value`.
pub fn untag(value: Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.into_iter()
                .filter(|(key, _)| !TAGS.contains(&key.as_str()))
                .map(|(key, value)| (key, untag(value)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(untag).collect()),
        other => other,
    }
}

fn struct_type<'a>(
    descriptor: &'a ModuleDescriptor,
    name: &str,
) -> Option<&'a ComplexTypeDescriptor> {
    descriptor
        .complex_types
        .iter()
        .find(|complex| complex.name == name && complex.type_format == "REGISTER")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn descriptor() -> ModuleDescriptor {
        serde_json::from_value(json!({
            "name": "faces", "version": "1.0.0", "kurentoVersion": "7.0.0", "code": {},
            "remoteClasses": [],
            "complexTypes": [
                {"name": "Point", "typeFormat": "REGISTER", "doc": "",
                 "properties": [{"name": "x", "doc": "", "type": "int"}]},
                {"name": "Face", "typeFormat": "REGISTER", "doc": "",
                 "properties": [{"name": "centre", "doc": "", "type": "Point"},
                                {"name": "width", "doc": "", "type": "int"}]},
                {"name": "Mode", "typeFormat": "ENUM", "doc": "", "values": ["A"]},
            ],
            "events": [{"name": "Found", "extends": "Media", "doc": "",
                        "properties": [{"name": "faces", "doc": "", "type": "Face[]"}]}],
        }))
        .unwrap()
    }

    #[test]
    fn nested_structs_in_lists_are_tagged_and_untagged() {
        let descriptor = descriptor();
        let fields = json!({"faces": [{"centre": {"x": 1}, "width": 2}]});
        let tagged = tag_event(
            fields.as_object().cloned().unwrap(),
            "Found",
            &descriptor,
            "faces",
        );
        let face = &tagged["faces"][0];
        assert_eq!(
            (&face["__module__"], &face["__type__"]),
            (&json!("faces"), &json!("Face"))
        );
        assert_eq!(face["centre"]["__type__"], "Point");
        assert_eq!(face["width"], 2);
        assert_eq!(untag(Json::Object(tagged)), fields);
        assert_eq!(tag(json!("A"), "Mode", &descriptor, "faces"), json!("A"));
        assert_eq!(tag(json!(3), "int", &descriptor, "faces"), json!(3));
    }
}
