//! `create`: pipelines, built-in endpoints and module filters, and the `properties` applied
//! to them.

use super::bus;
use super::classes;
use super::clock::unix_seconds;
use super::complex;
use super::endpoints;
use super::objects::{self, ELEMENT_EVENTS, ElementMedia, Media, Object};
use super::rpc::{RpcError, string_param};
use super::server::Server;
use super::session::new_uuid;
use crate::kmd::KURENTO_MODULES;
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// `create`: an object of class `type_name` for `session` from its `constructor`
/// parameters, then its `properties` (`name`, `tags`, or any property with a setter), as KMS
/// applies them; a property that cannot be set undoes the creation.
pub fn create(
    server: &Arc<Server>,
    session: &str,
    type_name: &str,
    constructor: &Map<String, Json>,
    properties: Map<String, Json>,
) -> Result<String, RpcError> {
    let id = create_object(server, session, type_name, constructor)?;
    for (name, value) in properties {
        let applied = apply_property(server, &id, &name, value);
        if let Err(error) = applied {
            let teardown = server.lock().release(&id);
            drop(teardown);
            return Err(error);
        }
    }
    Ok(id)
}

/// Sets property `name` of the new object `id` as its setter would.
fn apply_property(server: &Server, id: &str, name: &str, value: Json) -> Result<(), RpcError> {
    let (operation, args) = match (name, value) {
        // kurento-client's `pipeline.create('HubPort', {hub})` sends the pipeline (as the
        // whole client object) as a property, HubPort's constructor having no such
        // parameter: it is where the port is anyway.
        ("mediaPipeline", value)
            if server.lock().pipeline_of(id)
                == value.get("id").or(Some(&value)).and_then(Json::as_str) =>
        {
            return Ok(());
        }
        ("name", value) => ("setName".to_string(), json!({"name": value})),
        ("tags", Json::Array(tags)) => {
            for tag in tags {
                let tag = tag.as_object().cloned().ok_or_else(|| {
                    RpcError::illegal_param(format!("a tag must be an object, not {tag}"))
                })?;
                classes::invoke(server, id, "addTag", tag)?;
            }
            return Ok(());
        }
        (name, value) => {
            let mut chars = name.chars();
            let setter = chars
                .next()
                .map(|first| format!("set{}{}", first.to_ascii_uppercase(), chars.as_str()))
                .unwrap_or_default();
            (setter, json!({name: value}))
        }
    };
    let args = args.as_object().cloned().unwrap_or_default();
    classes::invoke(server, id, &operation, args).map_err(|error| {
        RpcError::illegal_param(format!("cannot set property {name}: {}", error.message))
    })?;
    Ok(())
}

fn create_object(
    server: &Arc<Server>,
    session: &str,
    type_name: &str,
    constructor: &Map<String, Json>,
) -> Result<String, RpcError> {
    let bare = type_name.strip_prefix("kurento.").unwrap_or(type_name);
    if let Some(created) = endpoints::create(bare, &server.gst_name(), constructor, &server.webrtc)
    {
        let created = created?;
        let events = created.events.iter().chain(ELEMENT_EVENTS);
        let class = Class {
            type_name: bare,
            module: "kurento",
            hierarchy: created.hierarchy,
            events: events.map(|event| event.to_string()).collect(),
        };
        let pipeline = string_param(constructor, "mediaPipeline")?;
        return add_element(server, session, pipeline, class, created.media);
    }
    if let Some(created) = endpoints::create_hub(bare, &server.gst_name()) {
        let (hierarchy, hub) = created?;
        let class = Class {
            type_name: bare,
            module: "kurento",
            hierarchy,
            events: vec!["Error".to_string()],
        };
        let pipeline = string_param(constructor, "mediaPipeline")?;
        return add_object(server, session, pipeline, class, Media::Hub(Box::new(hub)));
    }
    match bare {
        "MediaPipeline" => create_pipeline(server, session),
        "HubPort" => create_hub_port(server, session, constructor),
        "ServerManager" => Err(RpcError::type_not_found("ServerManager cannot be created")),
        _ => {
            let not_found = || RpcError::not_available(format!("Factory '{type_name}' not found"));
            // `kurento.X` names a class standing in for one of Kurento's own modules.
            let (module, class) = match type_name.strip_prefix("kurento.") {
                Some(bare) => server
                    .registry
                    .class(bare)
                    .ok()
                    .filter(|(module, class)| {
                        KURENTO_MODULES.contains(&module.descriptor.module_of(class))
                    })
                    .ok_or_else(not_found)?,
                None => server.registry.class(type_name).map_err(|_| not_found())?,
            };
            let index = server
                .registry
                .modules()
                .iter()
                .position(|loaded| std::ptr::eq(loaded, module))
                .unwrap_or_default();
            let kurento_module = module.descriptor.module_of(class);
            let id_module = if KURENTO_MODULES.contains(&kurento_module) {
                "kurento"
            } else {
                kurento_module
            };
            let element = gst::ElementFactory::make(&class.filmstrip.factory)
                .build()
                .map_err(|err| RpcError::unexpected(format!("cannot create {bare}: {err}")))?;
            // Its constructor runs before it joins the pipeline, so before any frame; when
            // it refuses its parameters nothing is created.
            if let Json::Object(params) = complex::untag(Json::Object(constructor.clone())) {
                module
                    .construct(&element, class, &params)
                    .map_err(|err| RpcError::from_module(&err))?;
            }
            let media = objects::filter_element(&server.gst_name(), index, element)
                .map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
            let mut events = class.events.clone();
            events.extend(ELEMENT_EVENTS.iter().map(|event| event.to_string()));
            let class = Class {
                type_name: &class.name,
                module: id_module,
                hierarchy: vec![
                    "kurento.Filter",
                    "kurento.MediaElement",
                    "kurento.MediaObject",
                ],
                events,
            };
            let pipeline = string_param(constructor, "mediaPipeline")?;
            add_element(server, session, pipeline, class, media)
        }
    }
}

/// `HubPort(hub)`: a port made by its hub, which is its parent, as on KMS.
fn create_hub_port(
    server: &Arc<Server>,
    session: &str,
    constructor: &Map<String, Json>,
) -> Result<String, RpcError> {
    let hub_id = string_param(constructor, "hub")?;
    let hub = match &server.lock().object(hub_id)?.media {
        Media::Hub(hub) => Arc::clone(&hub.behaviour),
        _ => return Err(RpcError::illegal_param(format!("{hub_id} is not a Hub"))),
    };
    // The port joins the mix with GStreamer's locks only, not the server's.
    let media = hub.add_port(&server.gst_name())?;
    let class = Class {
        type_name: "HubPort",
        module: "kurento",
        hierarchy: vec!["kurento.MediaElement", "kurento.MediaObject"],
        events: ELEMENT_EVENTS
            .iter()
            .map(|event| event.to_string())
            .collect(),
    };
    add_element(server, session, hub_id, class, media)
}

fn create_pipeline(server: &Arc<Server>, session: &str) -> Result<String, RpcError> {
    let pipeline = objects::pipeline().map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
    let id = format!("{}_kurento.MediaPipeline", new_uuid());
    let stop = Arc::new(AtomicBool::new(false));
    bus::watch(server, &pipeline, &id, &stop)?;
    let inserted = server.lock().insert(Object {
        id: id.clone(),
        type_name: "MediaPipeline".into(),
        qualified: "kurento.MediaPipeline".into(),
        hierarchy: vec!["kurento.MediaObject"],
        events: vec!["Error".into()],
        name: id.clone(),
        tags: Vec::new(),
        creation_time: unix_seconds(),
        parent: None,
        children: Vec::new(),
        session: Some(session.to_string()),
        media: Media::Pipeline { pipeline, stop },
    });
    inserted?;
    Ok(id)
}

/// Adds element `media` under `parent`: its pipeline, or the hub of a `HubPort`.
fn add_element(
    server: &Server,
    session: &str,
    parent: &str,
    class: Class<'_>,
    media: ElementMedia,
) -> Result<String, RpcError> {
    add_object(
        server,
        session,
        parent,
        class,
        Media::Element(Box::new(media)),
    )
}

/// Adds the element or hub `media` under `parent`, its bin into the pipeline.
fn add_object(
    server: &Server,
    session: &str,
    parent: &str,
    class: Class<'_>,
    media: Media,
) -> Result<String, RpcError> {
    let bin = match &media {
        Media::Element(element) => element.bin.clone(),
        Media::Hub(hub) => hub.bin.clone(),
        _ => return Err(RpcError::internal("only elements and hubs have a parent")),
    };
    let (pipeline_id, pipeline) = {
        let state = server.lock();
        // A HubPort's parent is its hub; every other element's and hub's, its pipeline.
        let expected = match (&state.object(parent)?.media, class.type_name) {
            (Media::Hub(_), "HubPort") | (Media::Pipeline { .. }, _) => None,
            (_, "HubPort") => Some("Hub"),
            _ => Some("MediaPipeline"),
        };
        if let Some(expected) = expected {
            return Err(RpcError::illegal_param(format!(
                "{parent} is not a {expected}"
            )));
        }
        let pipeline_id = state.pipeline_of(parent).unwrap_or(parent).to_string();
        match &state.object(&pipeline_id)?.media {
            Media::Pipeline { pipeline, .. } => (pipeline_id, pipeline.clone()),
            _ => return Err(RpcError::internal(format!("{parent} is in no pipeline"))),
        }
    };
    // Starting the element takes GStreamer's locks, not the server's: other clients go on.
    // A hub puts its ports into the pipeline itself.
    if bin.parent().is_none() {
        pipeline
            .add(&bin)
            .map_err(|err| RpcError::unexpected(format!("cannot add the element: {err}")))?;
        if !bin.is_locked_state()
            && let Err(err) = bin.sync_state_with_parent()
        {
            // The element shows its failure as an `Error` event once media flows.
            tracing::warn!(%err, "a new element did not start with its pipeline");
        }
    }
    let id = format!(
        "{pipeline_id}/{}_{}.{}",
        new_uuid(),
        class.module,
        class.type_name
    );
    let inserted = server.lock().insert(Object {
        id: id.clone(),
        type_name: class.type_name.to_string(),
        qualified: format!("{}.{}", class.module, class.type_name),
        hierarchy: class.hierarchy,
        events: class.events,
        name: id.clone(),
        tags: Vec::new(),
        creation_time: unix_seconds(),
        parent: Some(parent.to_string()),
        children: Vec::new(),
        session: Some(session.to_string()),
        media,
    });
    if let Err(error) = inserted {
        // The pipeline was released meanwhile: the element goes with it.
        if let Err(err) = bin.set_state(gst::State::Null) {
            tracing::warn!(%err, "an element of a released pipeline did not stop");
        }
        if let Err(err) = pipeline.remove(&bin) {
            tracing::debug!(%err, "the released pipeline no longer holds the element");
        }
        return Err(error);
    }
    Ok(id)
}

/// What `create` needs to know about a built-in or module class.
struct Class<'a> {
    type_name: &'a str,
    module: &'a str,
    hierarchy: Vec<&'static str>,
    events: Vec<String>,
}
