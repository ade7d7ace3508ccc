//! `filmstrip run`: decodes an input, passes it through filters and encodes the result.

use crate::filter_spec::FilterSpec;
use crate::output::Output;
use crate::registry::Registry;
use anyhow::{Context, Result, anyhow, bail};
use filmstrip::EmittedEvent;
use filmstrip::descriptor::ClassDescriptor;
use gst::prelude::*;
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `input` (a path or URI) through `filters` into `output`, writing each module event
/// to `events` as one JSON line, until the end of the stream.
pub fn run(
    registry: &Registry,
    input: &str,
    filters: &[FilterSpec],
    output: &Output,
    events: &mut dyn Write,
) -> Result<()> {
    let uri = input_uri(input)?;
    let filters = filters
        .iter()
        .map(|spec| create_filter(registry, spec))
        .collect::<Result<Vec<_>>>()?;
    let pipeline = build_pipeline(&uri, filters, output)?;
    let outcome = play(&pipeline, events);
    // Shutting down finalises the output file even when playing failed halfway.
    let _ = pipeline.set_state(gst::State::Null);
    outcome
}

/// A path becomes a `file://` URI; anything with a scheme is taken as a URI already.
fn input_uri(input: &str) -> Result<String> {
    if has_scheme(input) {
        return Ok(input.to_string());
    }
    let path = Path::new(input);
    let absolute = path
        .canonicalize()
        .map_err(|_| anyhow!("input file not found: {input}"))?;
    Ok(gst::glib::filename_to_uri(&absolute, None)
        .with_context(|| format!("cannot turn {input} into a URI"))?
        .to_string())
}

/// Whether `input` starts with `scheme://`, a scheme being a letter then letters, digits, `+-.`.
fn has_scheme(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Creates the element of `spec`'s class and configures it through its module.
fn create_filter(registry: &Registry, spec: &FilterSpec) -> Result<gst::Element> {
    let (module, class) = registry.class(&spec.class)?;
    let element = gst::ElementFactory::make(&class.filmstrip.factory)
        .build()
        .with_context(|| format!("cannot create a {} element", class.name))?;
    // Constructor parameters given run the constructor first, as a Kurento `create` does;
    // without any, the element is as GStreamer makes it (as in `gst-launch-1.0`).
    let (constructor, properties): (Vec<_>, Vec<_>) = spec
        .properties
        .iter()
        .partition(|(name, _)| constructor_param(class, name).is_some());
    if !constructor.is_empty() {
        let params = constructor
            .into_iter()
            .filter_map(|(name, value)| Some((constructor_param(class, name)?, value.clone())))
            .collect();
        module
            .construct(&element, class, &params)
            .map_err(|err| anyhow!("{err}"))?;
    }
    for (name, value) in properties {
        let property = property_name(class, name)?;
        // Going through the setter gives the same validation as a Kurento client gets.
        module
            .invoke(&element, &setter(property), &json!([value]))
            .map_err(|err| anyhow!("invalid value for {property}: {err}"))?;
    }
    for invocation in &spec.invocations {
        module
            .invoke(&element, &invocation.op, &invocation.params)
            .map_err(|err| anyhow!("{}.{} failed: {err}", class.name, invocation.op))?;
    }
    Ok(element)
}

/// The same name written in camelCase, kebab-case or snake_case.
fn key(name: &str) -> String {
    name.replace(['-', '_'], "").to_ascii_lowercase()
}

/// The descriptor's name of the constructor parameter the user wrote, if it is one.
fn constructor_param(class: &ClassDescriptor, written: &str) -> Option<String> {
    let wanted = key(written);
    class
        .constructor
        .params
        .iter()
        .find(|param| param.name != "mediaPipeline" && key(&param.name) == wanted)
        .map(|param| param.name.clone())
}

/// The descriptor's name of the property the user wrote in camelCase, kebab-case or snake_case.
fn property_name<'a>(class: &'a ClassDescriptor, written: &str) -> Result<&'a str> {
    let wanted = key(written);
    match class
        .properties
        .iter()
        .find(|property| key(&property.name) == wanted)
    {
        Some(property) => Ok(&property.name),
        None => {
            let known: Vec<&str> = class
                .properties
                .iter()
                .map(|property| property.name.as_str())
                .collect();
            bail!(
                "{} has no property {written} (properties: {})",
                class.name,
                known.join(", ")
            )
        }
    }
}

fn setter(property: &str) -> String {
    let mut chars = property.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
    format!("set{}", first.chain(chars).collect::<String>())
}

/// `uridecodebin ! videoconvert [! filter ! videoconvert]... ! <output elements>`.
fn build_pipeline(uri: &str, filters: Vec<gst::Element>, output: &Output) -> Result<gst::Pipeline> {
    let pipeline = gst::Pipeline::new();
    let decoder = gst::ElementFactory::make("uridecodebin")
        .property("uri", uri)
        // Decoders also offer interlaced caps, which plain video/x-raw would refuse as final.
        .property("caps", "video/x-raw(ANY)".parse::<gst::Caps>()?)
        .property("expose-all-streams", false)
        .build()?;
    let convert = || gst::ElementFactory::make("videoconvert").build();
    let mut chain = vec![convert()?];
    for filter in filters {
        chain.push(filter);
        chain.push(convert()?);
    }
    chain.extend(output.elements()?);
    pipeline.add(&decoder)?;
    pipeline.add_many(&chain)?;
    gst::Element::link_many(&chain)
        .context("cannot link the filters to each other and to the output")?;
    let first = chain[0].downgrade();
    let bin = pipeline.downgrade();
    // The decoder's video pad appears only once it has looked at the input.
    decoder.connect_pad_added(move |_, pad| {
        let Some(first) = first.upgrade() else {
            return;
        };
        let Some(sink) = first.static_pad("sink") else {
            return;
        };
        if sink.is_linked() {
            return;
        }
        // A still image becomes a short clip, so that filters deciding over several frames
        // (a plate read twice) see it.
        if is_still(pad)
            && let Some(freeze) = bin.upgrade().and_then(|bin| still_clip(&bin, &first))
            && let Some(freeze_sink) = freeze.static_pad("sink")
        {
            let _ = pad.link(&freeze_sink);
            return;
        }
        // A failed link surfaces as a not-negotiated error on the bus.
        let _ = pad.link(&sink);
    });
    Ok(pipeline)
}

/// Frames a still image is shown for: a second at 30 fps.
const STILL_FRAMES: i32 = 30;

/// Whether the decoder's `pad` carries a still image (frame rate 0/1), as JPEG and PNG
/// inputs do.
fn is_still(pad: &gst::Pad) -> bool {
    let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
    caps.structure(0)
        .and_then(|s| s.get::<gst::Fraction>("framerate").ok())
        .is_some_and(|rate| rate.numer() == 0)
}

/// An `imagefreeze` repeating the image [`STILL_FRAMES`] times into `first`, added to `bin`.
fn still_clip(bin: &gst::Pipeline, first: &gst::Element) -> Option<gst::Element> {
    let freeze = gst::ElementFactory::make("imagefreeze")
        .property("num-buffers", STILL_FRAMES)
        .build()
        .ok()?;
    bin.add(&freeze).ok()?;
    freeze.link(first).ok()?;
    freeze.sync_state_with_parent().ok()?;
    Some(freeze)
}

/// Plays `pipeline` to its end, printing module events as they arrive.
fn play(pipeline: &gst::Pipeline, events: &mut dyn Write) -> Result<()> {
    let bus = pipeline.bus().context("the pipeline has no bus")?;
    if pipeline.set_state(gst::State::Playing).is_err() {
        let error = bus.timed_pop_filtered(gst::ClockTime::ZERO, &[gst::MessageType::Error]);
        return Err(error
            .map(|message| pipeline_error(&message))
            .unwrap_or_else(|| anyhow!("pipeline error: cannot start")));
    }
    for message in bus.iter_timed(gst::ClockTime::NONE) {
        match message.view() {
            gst::MessageView::Eos(_) => return Ok(()),
            gst::MessageView::Error(_) => return Err(pipeline_error(&message)),
            _ => {
                if let Some(event) = EmittedEvent::from_message(&message) {
                    writeln!(events, "{}", event_line(&event, SystemTime::now()))?;
                    events.flush()?;
                }
            }
        }
    }
    bail!("pipeline error: the bus closed before the end of the stream")
}

fn pipeline_error(message: &gst::Message) -> anyhow::Error {
    let gst::MessageView::Error(error) = message.view() else {
        return anyhow!("pipeline error: unknown");
    };
    let source = message
        .src()
        .map(|src| src.name().to_string())
        .unwrap_or_else(|| "pipeline".to_string());
    let missing = error
        .error()
        .matches(gst::CoreError::MissingPlugin)
        .then(|| error.debug())
        .flatten()
        .and_then(|debug| missing_plugin(&debug))
        .map(|missing| format!(" ({missing})"));
    anyhow!(
        "pipeline error: {source}: {}{}",
        error.error(),
        missing.unwrap_or_default()
    )
}

/// "Missing decoder: H.264 (High Profile)" out of a missing-plugin error's debug text, without
/// the caps that follow it: "missing a plug-in" alone does not say which.
fn missing_plugin(debug: &str) -> Option<String> {
    let line = debug.lines().find(|line| line.starts_with("Missing"))?;
    let parts: Vec<&str> = line
        .split(" (")
        .take_while(|part| !part.contains('/'))
        .collect();
    Some(parts.join(" ("))
}

/// An event as one JSON object, shaped like the `data` of a Kurento `onEvent` notification.
fn event_line(event: &EmittedEvent, now: SystemTime) -> Json {
    let millis = now
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default();
    let mut fields = event.fields.clone();
    fields.insert("type".to_string(), json!(event.event_type));
    fields.insert("source".to_string(), json!(event.source));
    // Kurento sends timestamps as strings, and clients parse them as such.
    fields.insert("timestampMillis".to_string(), json!(millis.to_string()));
    Json::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scheme_prefixed_inputs_are_uris() {
        assert!(has_scheme("rtsp://camera/stream") && has_scheme("file:///tmp/a.mp4"));
        assert!(!has_scheme("clips/a://b.mp4") && !has_scheme("a.mp4"));
    }

    #[test]
    fn missing_plugins_are_named_without_caps() {
        let debug = "no suitable plugins found:\nMissing decoder: H.264 (High Profile) (video/x-h264, level=(string)2)\n";
        assert_eq!(
            missing_plugin(debug).as_deref(),
            Some("Missing decoder: H.264 (High Profile)")
        );
    }

    #[test]
    fn setters_are_pascal_cased() {
        assert_eq!(setter("blockSize"), "setBlockSize");
    }

    #[test]
    fn event_lines_carry_type_source_and_string_timestamp() {
        let event = EmittedEvent {
            event_type: "EdgeDensityChanged".to_string(),
            source: "EdgeDetectFilter".to_string(),
            fields: json!({"density": 0.5}).as_object().cloned().unwrap(),
        };
        let line = event_line(&event, UNIX_EPOCH + std::time::Duration::from_millis(1234));
        let expected = json!({"density": 0.5, "type": "EdgeDensityChanged", "source": "EdgeDetectFilter", "timestampMillis": "1234"});
        assert_eq!(line, expected);
    }
}
