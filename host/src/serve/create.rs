//! `create`: pipelines, built-in endpoints and module filters, and the `properties` applied
//! to them.

use super::classes;
use super::endpoints;
use super::objects::{self, ELEMENT_EVENTS, ElementMedia, Media, Object};
use super::rpc::{RpcError, object_param, string_param};
use super::server::{MANAGER_ID, Server, object_field, unix_seconds};
use super::session::new_uuid;
use crate::kmd::KURENTO_MODULES;
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often a pipeline's bus thread compares its elements' media flow with what was reported.
const FLOW_CHECK: Duration = Duration::from_millis(250);

impl Server {
    /// `create`: the object, then its `properties` (`name`, `tags`, or any property with a
    /// setter), as KMS applies them; a property that cannot be set undoes the creation.
    pub fn create(
        self: &Arc<Self>,
        session: &str,
        params: &Map<String, Json>,
    ) -> Result<String, RpcError> {
        let properties = object_param(params, "properties")?;
        let id = self.create_object(session, params)?;
        for (name, value) in properties {
            let applied = self.apply_property(&id, &name, value);
            if let Err(error) = applied {
                let teardown = self.lock().release(&id);
                drop(teardown);
                return Err(error);
            }
        }
        Ok(id)
    }

    fn apply_property(&self, id: &str, name: &str, value: Json) -> Result<(), RpcError> {
        let (operation, args) = match (name, value) {
            ("name", value) => ("setName".to_string(), json!({"name": value})),
            ("tags", Json::Array(tags)) => {
                for tag in tags {
                    let call = json!({"object": id, "operation": "addTag", "operationParams": tag});
                    classes::invoke(self, call.as_object().unwrap_or(&Map::new()))?;
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
        let call = json!({"object": id, "operation": operation, "operationParams": args});
        classes::invoke(self, call.as_object().unwrap_or(&Map::new())).map_err(|error| {
            RpcError::illegal_param(format!("cannot set property {name}: {}", error.message))
        })?;
        Ok(())
    }

    fn create_object(
        self: &Arc<Self>,
        session: &str,
        params: &Map<String, Json>,
    ) -> Result<String, RpcError> {
        let type_name = string_param(params, "type")?;
        let constructor = object_param(params, "constructorParams")?;
        let bare = type_name.strip_prefix("kurento.").unwrap_or(type_name);
        if let Some(created) = endpoints::create(bare, &self.gst_name(), &constructor, &self.webrtc)
        {
            let created = created?;
            let events = created.events.iter().chain(ELEMENT_EVENTS);
            let class = Class {
                type_name: bare,
                module: "kurento",
                hierarchy: created.hierarchy,
                events: events.map(|event| event.to_string()).collect(),
            };
            return self.add_element(session, &constructor, class, created.media);
        }
        match bare {
            "MediaPipeline" => self.create_pipeline(session),
            "ServerManager" => Err(RpcError::type_not_found("ServerManager cannot be created")),
            _ => {
                let not_found =
                    || RpcError::not_available(format!("Factory '{type_name}' not found"));
                // `kurento.X` names a class standing in for one of Kurento's own modules.
                let (module, class) = match type_name.strip_prefix("kurento.") {
                    Some(bare) => self
                        .registry
                        .class(bare)
                        .ok()
                        .filter(|(module, class)| {
                            KURENTO_MODULES.contains(&module.descriptor.module_of(class))
                        })
                        .ok_or_else(not_found)?,
                    None => self.registry.class(type_name).map_err(|_| not_found())?,
                };
                let index = self
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
                let media = objects::filter_element(&self.gst_name(), index, element)
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
                self.add_element(session, &constructor, class, media)
            }
        }
    }

    fn create_pipeline(self: &Arc<Self>, session: &str) -> Result<String, RpcError> {
        let pipeline =
            objects::pipeline().map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
        let id = format!("{}_kurento.MediaPipeline", new_uuid());
        let stop = Arc::new(AtomicBool::new(false));
        let bus = pipeline
            .bus()
            .ok_or_else(|| RpcError::internal("the pipeline has no bus"))?;
        let server = Arc::clone(self);
        let (thread_stop, pipeline_id) = (Arc::clone(&stop), id.clone());
        let latency_of = pipeline.downgrade();
        std::thread::Builder::new()
            .name("filmstrip-bus".into())
            .spawn(move || {
                let mut flows_checked = Instant::now();
                while !thread_stop.load(Ordering::Relaxed) {
                    if let Some(message) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
                        // A live source joining (a WebRtcEndpoint) changes the latency every
                        // sink and RTP session must know to place packets in time.
                        if let gst::MessageView::Latency(_) = message.view()
                            && let Some(pipeline) = latency_of.upgrade()
                            && let Err(err) = pipeline.recalculate_latency()
                        {
                            tracing::debug!(%err, "cannot recalculate the pipeline latency");
                        }
                        server.on_bus_message(&pipeline_id, &message);
                    }
                    if flows_checked.elapsed() >= FLOW_CHECK {
                        flows_checked = Instant::now();
                        server.report_flows(&pipeline_id);
                    }
                }
            })
            .map_err(|err| RpcError::internal(format!("cannot start a bus thread: {err}")))?;
        let mut state = self.lock();
        state
            .gst_names
            .insert(pipeline.name().to_string(), id.clone());
        state.objects.insert(
            id.clone(),
            Object {
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
            },
        );
        state.dispatch(MANAGER_ID, "ObjectCreated", &object_field("object", &id));
        Ok(id)
    }

    fn add_element(
        &self,
        session: &str,
        constructor: &Map<String, Json>,
        class: Class<'_>,
        media: ElementMedia,
    ) -> Result<String, RpcError> {
        let pipeline_id = string_param(constructor, "mediaPipeline")?;
        let pipeline = match &self.lock().object(pipeline_id)?.media {
            Media::Pipeline { pipeline, .. } => pipeline.clone(),
            _ => {
                return Err(RpcError::illegal_param(format!(
                    "{pipeline_id} is not a MediaPipeline"
                )));
            }
        };
        // Starting the element takes GStreamer's locks, not the server's: other clients go on.
        pipeline
            .add(&media.bin)
            .map_err(|err| RpcError::unexpected(format!("cannot add the element: {err}")))?;
        if !media.bin.is_locked_state() {
            let _ = media.bin.sync_state_with_parent();
        }
        let mut state = self.lock();
        if !state.objects.contains_key(pipeline_id) {
            drop(state);
            let _ = media.bin.set_state(gst::State::Null);
            let _ = pipeline.remove(&media.bin);
            return Err(RpcError::object_not_found(format!(
                "{pipeline_id} was released meanwhile"
            )));
        }
        let id = format!(
            "{pipeline_id}/{}_{}.{}",
            new_uuid(),
            class.module,
            class.type_name
        );
        state
            .gst_names
            .insert(media.bin.name().to_string(), id.clone());
        if let Some(pipeline) = state.objects.get_mut(pipeline_id) {
            pipeline.children.push(id.clone());
        }
        state.objects.insert(
            id.clone(),
            Object {
                id: id.clone(),
                type_name: class.type_name.to_string(),
                qualified: format!("{}.{}", class.module, class.type_name),
                hierarchy: class.hierarchy,
                events: class.events,
                name: id.clone(),
                tags: Vec::new(),
                creation_time: unix_seconds(),
                parent: Some(pipeline_id.to_string()),
                children: Vec::new(),
                session: Some(session.to_string()),
                media: Media::Element(Box::new(media)),
            },
        );
        state.dispatch(MANAGER_ID, "ObjectCreated", &object_field("object", &id));
        Ok(id)
    }
}

/// What `create` needs to know about a built-in or module class.
struct Class<'a> {
    type_name: &'a str,
    module: &'a str,
    hierarchy: Vec<&'static str>,
    events: Vec<String>,
}
