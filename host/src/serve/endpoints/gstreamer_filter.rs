//! `GStreamerFilter(mediaPipeline, command, filterType?)`: any GStreamer elements, given as a
//! `gst-launch-1.0` description such as `videoflip method=horizontal-flip`.
//!
//! The video port is `queue ! videoconvert ! videoscale ! <command> ! tee`: the converters
//! let a command that fixes a format or a size (`capsfilter caps=video/x-raw,width=160`) get
//! it. Audio passes by untouched.

use super::super::objects::{self, ElementMedia};
use super::super::objects::{Behaviour, Outcome};
use super::super::rpc::RpcError;
use super::{optional_string, string_arg};
use gst::glib::translate::{ToGlibPtr, ToGlibPtrMut};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};

/// A `GStreamerFilter`'s own parts.
pub struct GStreamerFilter {
    command: String,
    /// The first element of the command, whose properties `setElementProperty` sets.
    first: gst::Element,
}

/// Creates the filter from `{command, filterType?}`; only video filter types are accepted.
pub fn create(name: &str, params: &Map<String, Json>) -> Result<ElementMedia, RpcError> {
    let command = string_arg(params, "command")?;
    match optional_string(params, "filterType")? {
        None | Some("VIDEO" | "AUTODETECT") => {}
        Some(other) => {
            return Err(RpcError::illegal_param(format!(
                "unsupported filterType {other}: this server filters video only (VIDEO, AUTODETECT)"
            )));
        }
    }
    let described = gst::parse::bin_from_description(command, true).map_err(|err| {
        RpcError::illegal_param(format!("bad GStreamerFilter command {command:?}: {err}"))
    })?;
    let first = described
        .static_pad("sink")
        .and_then(|pad| pad.downcast::<gst::GhostPad>().ok())
        .and_then(|ghost| ghost.target())
        .and_then(|target| target.parent_element())
        .ok_or_else(|| {
            RpcError::illegal_param(format!(
                "GStreamerFilter command {command:?} must take video in and give video out"
            ))
        })?;
    let make = |factory: &str| {
        gst::ElementFactory::make(factory)
            .build()
            .map_err(|err| RpcError::unexpected(format!("GStreamer element {factory}: {err}")))
    };
    let inner = vec![
        make("videoconvert")?,
        make("videoscale")?,
        described.upcast(),
    ];
    let mut media = objects::element_bin(name, inner, true).map_err(|err| {
        RpcError::illegal_param(format!(
            "GStreamerFilter command {command:?} does not fit between video elements: {err:#}"
        ))
    })?;
    media.behaviour = Some(Box::new(GStreamerFilter {
        command: command.to_string(),
        first,
    }));
    Ok(media)
}

impl Behaviour for GStreamerFilter {
    /// `getCommand`, `setElementProperty`.
    fn operation(
        &self,
        _media: &ElementMedia,
        operation: &str,
        args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        match operation {
            "getCommand" => Some(Ok(Outcome::Value(json!(self.command)))),
            "setElementProperty" => Some(
                string_arg(args, "propertyName")
                    .and_then(|name| Ok((name, string_arg(args, "propertyValue")?)))
                    .and_then(|(name, value)| self.set_property(name, value))
                    .map(|_| Outcome::Value(Json::Null)),
            ),
            _ => None,
        }
    }
}

impl GStreamerFilter {
    /// Sets property `name` of the first element from its text form, as gst-launch would.
    fn set_property(&self, name: &str, text: &str) -> Result<(), RpcError> {
        let element = self.first.name();
        let pspec = self.first.find_property(name).ok_or_else(|| {
            RpcError::illegal_param(format!("element {element} has no property {name}"))
        })?;
        let flags = pspec.flags();
        if !flags.contains(gst::glib::ParamFlags::WRITABLE)
            || flags.contains(gst::glib::ParamFlags::CONSTRUCT_ONLY)
        {
            return Err(RpcError::illegal_param(format!(
                "property {name} of {element} cannot be changed"
            )));
        }
        let mut value = gst::glib::Value::deserialize_with_pspec(text, &pspec).map_err(|_| {
            RpcError::illegal_param(format!(
                "{text:?} is not a value of property {name} of {element} ({})",
                pspec.value_type().name()
            ))
        })?;
        // GLib clamps an out-of-range value and reports it; refuse instead of clamping.
        // SAFETY: `value` holds the property's type, as deserialized for this pspec.
        let clamped = unsafe {
            gst::glib::gobject_ffi::g_param_value_validate(
                pspec.to_glib_none().0,
                value.to_glib_none_mut().0,
            ) != 0
        };
        if clamped {
            return Err(RpcError::illegal_param(format!(
                "{text} is out of range for property {name} of {element}"
            )));
        }
        self.first.set_property_from_value(name, &value);
        Ok(())
    }
}
