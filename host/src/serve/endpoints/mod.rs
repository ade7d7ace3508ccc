//! Kurento's built-in element classes that are not modules: `PassThrough`, `PlayerEndpoint`,
//! `RecorderEndpoint`, `WebRtcEndpoint`, `RtpEndpoint`, `HttpPostEndpoint` and
//! `GStreamerFilter`, each in its own file, and the hubs (`hub/`).

mod encoding_input;
mod gstreamer_filter;
mod http_post;
mod hub;
mod player;
mod recorder;
mod rtp;
mod rtp_common;
mod upload;
mod webrtc;

use super::objects::{self, ElementMedia};
use super::rpc::RpcError;
use serde_json::{Map, Value as Json};

pub use http_post::{Intake, Refusal, Stuck, intake, set_base_url};
pub use hub::{FACTORIES as HUB_FACTORIES, create as create_hub};
pub use webrtc::{WebRtcDefaults, legacy_event_name};

/// A built-in class, created.
pub struct Created {
    /// Qualified names of the parent classes, nearest first.
    pub hierarchy: Vec<&'static str>,
    /// The class's own events, besides those of every element.
    pub events: &'static [&'static str],
    /// The bin and its connections.
    pub media: ElementMedia,
}

/// The built-in classes `create` knows, as the `elements` and `filters` modules list them.
pub const FACTORIES: &[&str] = &[
    "PassThrough",
    "PlayerEndpoint",
    "RecorderEndpoint",
    "RtpEndpoint",
    "WebRtcEndpoint",
    "HttpPostEndpoint",
];

/// The built-in filter classes, listed in the `filters` module.
pub const FILTER_FACTORIES: &[&str] = &["GStreamerFilter"];

/// The parents of WebRtcEndpoint and RtpEndpoint.
const BASE_RTP_ENDPOINT: [&str; 6] = [
    "kurento.BaseRtpEndpoint",
    "kurento.SdpEndpoint",
    "kurento.SessionEndpoint",
    "kurento.Endpoint",
    "kurento.MediaElement",
    "kurento.MediaObject",
];

const URI_ENDPOINT: [&str; 4] = [
    "kurento.UriEndpoint",
    "kurento.Endpoint",
    "kurento.MediaElement",
    "kurento.MediaObject",
];

/// Creates built-in class `type_name` as GStreamer bin `name`; `None` for other classes.
/// `defaults` are the server's settings for new WebRtcEndpoints.
pub fn create(
    type_name: &str,
    name: &str,
    params: &Map<String, Json>,
    defaults: &WebRtcDefaults,
) -> Option<Result<Created, RpcError>> {
    let unexpected = |err: anyhow::Error| RpcError::unexpected(format!("{err:#}"));
    let created = match type_name {
        "PassThrough" => pass_through(name).map_err(unexpected).map(|media| Created {
            hierarchy: vec!["kurento.MediaElement", "kurento.MediaObject"],
            events: &[],
            media,
        }),
        "PlayerEndpoint" => player::create(name, params).map(|media| Created {
            hierarchy: [&["kurento.PlayerEndpoint"][..], &URI_ENDPOINT].concat(),
            events: player::EVENTS,
            media,
        }),
        "RecorderEndpoint" => recorder::create(name, params).map(|media| Created {
            hierarchy: [&["kurento.RecorderEndpoint"][..], &URI_ENDPOINT].concat(),
            events: recorder::EVENTS,
            media,
        }),
        "WebRtcEndpoint" => webrtc::create(name, params, defaults).map(|media| Created {
            hierarchy: BASE_RTP_ENDPOINT.to_vec(),
            events: webrtc::EVENTS,
            media,
        }),
        "RtpEndpoint" => rtp::create(name, params, defaults).map(|media| Created {
            hierarchy: BASE_RTP_ENDPOINT.to_vec(),
            events: rtp::EVENTS,
            media,
        }),
        "HttpPostEndpoint" => http_post::create(name, params).map(|media| Created {
            hierarchy: vec![
                "kurento.HttpEndpoint",
                "kurento.SessionEndpoint",
                "kurento.Endpoint",
                "kurento.MediaElement",
                "kurento.MediaObject",
            ],
            events: http_post::EVENTS,
            media,
        }),
        "GStreamerFilter" => gstreamer_filter::create(name, params).map(|media| Created {
            hierarchy: vec![
                "kurento.Filter",
                "kurento.MediaElement",
                "kurento.MediaObject",
            ],
            events: &[],
            media,
        }),
        _ => return None,
    };
    Some(created)
}

/// Kurento's PassThrough: audio and video in, the same out.
fn pass_through(name: &str) -> anyhow::Result<ElementMedia> {
    objects::element_bin(name, Vec::new(), true)
}

/// A constructor parameter that must be a string.
fn string_arg<'a>(params: &'a Map<String, Json>, name: &str) -> Result<&'a str, RpcError> {
    super::rpc::string_param(params, name)
}

/// An optional constructor parameter that must be a string when present.
fn optional_string<'a>(
    params: &'a Map<String, Json>,
    name: &str,
) -> Result<Option<&'a str>, RpcError> {
    match params.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(value)) => Ok(Some(value)),
        Some(other) => Err(RpcError::illegal_param(format!(
            "{name} must be a string, not {other}"
        ))),
    }
}
