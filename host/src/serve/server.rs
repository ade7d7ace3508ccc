//! The protocol core: sessions, the object store, and the methods of REFERENCE §2.

use super::classes;
use super::objects::{self, ELEMENT_EVENTS, END_OF_STREAM_MESSAGE, ElementMedia, Media, Object};
use super::rpc::{self, RpcError, string_param};
use super::session::{Session, new_uuid, now_millis};
use crate::Registry;
use filmstrip::EmittedEvent;
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// The fixed id of the server manager.
pub const MANAGER_ID: &str = "manager_ServerManager";

/// Kurento modules whose classes get `kurento` as the module part of their ids.
const KURENTO_MODULES: &[&str] = &["core", "elements", "filters"];

/// A subscription to one event type of one object.
pub struct Subscription {
    /// The subscribing session.
    pub session: String,
    /// The object whose events are wanted.
    pub object: String,
    /// The event type.
    pub event_type: String,
}

/// Everything behind the server's lock.
#[derive(Default)]
pub struct State {
    /// Sessions by id.
    pub sessions: HashMap<String, Session>,
    /// Objects by id.
    pub objects: HashMap<String, Object>,
    /// Subscriptions by id.
    pub subscriptions: HashMap<String, Subscription>,
    /// Object ids by the name of their GStreamer bin or pipeline, to route bus messages.
    pub gst_names: HashMap<String, String>,
}

impl State {
    /// The object `id`, or 40101.
    pub fn object(&self, id: &str) -> Result<&Object, RpcError> {
        self.objects
            .get(id)
            .ok_or_else(|| RpcError::object_not_found(format!("object {id} not found")))
    }

    /// Sends `event_type` of `object` to every session subscribed to it.
    pub fn dispatch(&self, object: &str, event_type: &str, fields: &Map<String, Json>) {
        let mut subscribers = self
            .subscriptions
            .values()
            .filter(|sub| sub.object == object && sub.event_type == event_type)
            .peekable();
        if subscribers.peek().is_none() {
            return;
        }
        let tags = self
            .objects
            .get(object)
            .map(Object::tags_json)
            .unwrap_or_else(|| json!([]));
        let mut data = fields.clone();
        data.insert("source".into(), json!(object));
        data.insert("type".into(), json!(event_type));
        data.insert("tags".into(), tags);
        data.insert("timestampMillis".into(), json!(now_millis().to_string()));
        let text = json!({
            "jsonrpc": "2.0",
            "method": "onEvent",
            "params": {"value": {"object": object, "type": event_type, "data": data}},
        })
        .to_string();
        for sub in subscribers {
            if let Some(session) = self.sessions.get(&sub.session) {
                session.notify(&text);
            }
        }
    }

    /// Releases `id` and, for a pipeline, its elements.
    pub fn release(&mut self, id: &str) -> Result<(), RpcError> {
        let object = self.object(id)?;
        match &object.media {
            Media::Manager => Err(RpcError::illegal_param(
                "the server manager cannot be released",
            )),
            Media::Pipeline { .. } => {
                for child in object.children.clone() {
                    self.release_element(&child);
                }
                if let Some(Object {
                    media: Media::Pipeline { pipeline, stop },
                    ..
                }) = self.objects.remove(id)
                {
                    stop.store(true, Ordering::Relaxed);
                    let _ = pipeline.set_state(gst::State::Null);
                    self.gst_names.remove(pipeline.name().as_str());
                }
                self.subscriptions.retain(|_, sub| sub.object != id);
                self.dispatch(MANAGER_ID, "ObjectDestroyed", &object_field("objectId", id));
                Ok(())
            }
            Media::Element(_) => {
                self.release_element(id);
                Ok(())
            }
        }
    }

    fn release_element(&mut self, id: &str) {
        let Some(media) = self.objects.get(id).and_then(Object::element) else {
            return;
        };
        let source = media.source.as_ref().map(|(source, _)| source.clone());
        let sinks = media.sinks.clone();
        if let Some(source) = source {
            let _ = classes::disconnect(self, &source, id);
        }
        for sink in sinks {
            let _ = classes::disconnect(self, id, &sink);
        }
        let Some(object) = self.objects.remove(id) else {
            return;
        };
        if let Media::Element(media) = &object.media {
            let _ = media.bin.set_state(gst::State::Null);
            if let Some(pipeline) = media.bin.parent().and_downcast::<gst::Bin>() {
                let _ = pipeline.remove(&media.bin);
            }
            self.gst_names.remove(media.bin.name().as_str());
        }
        if let Some(parent) = object.parent.as_ref().and_then(|p| self.objects.get_mut(p)) {
            parent.children.retain(|child| child != id);
        }
        self.subscriptions.retain(|_, sub| sub.object != id);
        self.dispatch(MANAGER_ID, "ObjectDestroyed", &object_field("objectId", id));
    }
}

/// `{name: id}`, the fields of the manager's object events.
pub fn object_field(name: &str, id: &str) -> Map<String, Json> {
    Map::from_iter([(name.to_string(), json!(id))])
}

/// One WebSocket connection as the protocol sees it.
pub struct Connection {
    /// Notifications for this connection.
    pub outbox: Sender<String>,
    /// The session of the latest request on this connection.
    pub session: Option<String>,
}

/// The protocol server, shared by every connection thread.
pub struct Server {
    /// The loaded modules.
    pub registry: Registry,
    state: Mutex<State>,
    /// This server's id, returned by `connect`.
    pub server_id: String,
    /// Unix seconds at start, the `generationTime` of the built-in modules.
    pub started: u64,
    names: AtomicU64,
}

impl Server {
    /// A server with only the server manager.
    pub fn new(registry: Registry) -> Arc<Self> {
        let server = Self {
            registry,
            state: Mutex::new(State::default()),
            server_id: new_uuid(),
            started: unix_seconds(),
            names: AtomicU64::new(0),
        };
        let manager = Object {
            id: MANAGER_ID.to_string(),
            type_name: "ServerManager".to_string(),
            qualified: "kurento.ServerManager".to_string(),
            hierarchy: vec!["kurento.MediaObject"],
            events: ["Error", "ObjectCreated", "ObjectDestroyed"]
                .map(String::from)
                .to_vec(),
            name: MANAGER_ID.to_string(),
            tags: Vec::new(),
            creation_time: server.started,
            parent: None,
            children: Vec::new(),
            session: None,
            media: Media::Manager,
        };
        server
            .lock()
            .objects
            .insert(MANAGER_ID.to_string(), manager);
        Arc::new(server)
    }

    /// The state; a panic elsewhere never makes it unusable.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one WebSocket text message; `None` for notifications.
    pub fn handle_text(self: &Arc<Self>, text: &str, conn: &mut Connection) -> Option<String> {
        let request = match rpc::parse_request(text) {
            Ok(request) => request,
            Err((id, error)) => return Some(rpc::error_response(&id, &error).to_string()),
        };
        let outcome = self
            .resolve_session(&request.params, conn)
            .and_then(|session| {
                let result = self.call(&session, &request.method, &request.params, conn);
                result.map(|result| (session, result))
            });
        let id = request.id?;
        let response = match outcome {
            Ok((session, mut result)) => {
                result.insert("sessionId".into(), json!(session));
                rpc::result_response(&id, Json::Object(result))
            }
            Err(error) => rpc::error_response(&id, &error),
        };
        Some(response.to_string())
    }

    /// The request's session: the one it names, else the connection's, else a new one.
    fn resolve_session(
        &self,
        params: &Map<String, Json>,
        conn: &mut Connection,
    ) -> Result<String, RpcError> {
        let mut state = self.lock();
        let id = match params.get("sessionId") {
            Some(Json::String(id)) => {
                if !state.sessions.contains_key(id) {
                    return Err(RpcError::invalid_session(format!("invalid session {id}")));
                }
                id.clone()
            }
            Some(_) => return Err(RpcError::invalid_params("sessionId must be a string")),
            None => match &conn.session {
                Some(id) if state.sessions.contains_key(id) => id.clone(),
                _ => {
                    let id = new_uuid();
                    state.sessions.insert(id.clone(), Session { outbox: None });
                    id
                }
            },
        };
        if let Some(session) = state.sessions.get_mut(&id) {
            session.outbox = Some(conn.outbox.clone());
        }
        conn.session = Some(id.clone());
        Ok(id)
    }

    /// Runs one method; the result object gets `sessionId` added by the caller.
    pub fn call(
        self: &Arc<Self>,
        session: &str,
        method: &str,
        params: &Map<String, Json>,
        conn: &mut Connection,
    ) -> Result<Map<String, Json>, RpcError> {
        let value = |value: Json| Ok(Map::from_iter([("value".to_string(), value)]));
        match method {
            "ping" => value(json!("pong")),
            "connect" => Ok(Map::from_iter([(
                "serverId".to_string(),
                json!(self.server_id),
            )])),
            "create" => value(json!(self.create(session, params)?)),
            "invoke" => value(classes::invoke(self, params)?),
            "subscribe" => value(json!(self.subscribe(session, params)?)),
            "unsubscribe" => {
                let id = string_param(params, "subscription")?;
                match self.lock().subscriptions.remove(id) {
                    Some(_) => Ok(Map::new()),
                    None => Err(RpcError::invalid_params(format!(
                        "unknown subscription {id}"
                    ))),
                }
            }
            "release" => {
                self.lock().release(string_param(params, "object")?)?;
                Ok(Map::new())
            }
            "describe" => {
                let state = self.lock();
                let object = state.object(string_param(params, "object")?)?;
                let described = json!({
                    "type": object.type_name,
                    "qualifiedType": object.qualified,
                    "hierarchy": object.hierarchy,
                });
                Ok(described.as_object().cloned().unwrap_or_default())
            }
            "closeSession" => {
                self.close_session(session);
                conn.session = None;
                Ok(Map::new())
            }
            "transaction" => value(self.transaction(session, params, conn)?),
            _ => Err(RpcError::method_not_found(format!(
                "unknown method {method}"
            ))),
        }
    }

    fn transaction(
        self: &Arc<Self>,
        session: &str,
        params: &Map<String, Json>,
        conn: &mut Connection,
    ) -> Result<Json, RpcError> {
        let Some(Json::Array(operations)) = params.get("operations") else {
            return Err(RpcError::invalid_params(
                "transaction needs an operations array",
            ));
        };
        let mut responses: Vec<Json> = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            let id = operation.get("id").cloned().unwrap_or(json!(index));
            let outcome = (|| {
                let method = operation
                    .get("method")
                    .and_then(Json::as_str)
                    .ok_or_else(|| RpcError::invalid_params("operation without method"))?;
                if matches!(method, "transaction" | "closeSession" | "connect") {
                    return Err(RpcError::invalid_params(format!(
                        "{method} is not allowed inside a transaction"
                    )));
                }
                let params = match operation.get("params") {
                    None | Some(Json::Null) => Map::new(),
                    Some(Json::Object(params)) => params.clone(),
                    Some(_) => return Err(RpcError::invalid_params("params must be an object")),
                };
                let params = substitute_newrefs(Json::Object(params), &responses)?;
                let params = params.as_object().cloned().unwrap_or_default();
                self.call(session, method, &params, conn)
            })();
            responses.push(match outcome {
                Ok(mut result) => {
                    result.insert("sessionId".into(), json!(session));
                    rpc::result_response(&id, Json::Object(result))
                }
                Err(error) => rpc::error_response(&id, &error),
            });
        }
        Ok(Json::Array(responses))
    }

    fn close_session(&self, session: &str) {
        let mut state = self.lock();
        let owned: Vec<String> = state
            .objects
            .values()
            .filter(|object| object.session.as_deref() == Some(session))
            .filter(|object| matches!(object.media, Media::Pipeline { .. }))
            .map(|object| object.id.clone())
            .collect();
        for id in owned {
            let _ = state.release(&id);
        }
        let elements: Vec<String> = state
            .objects
            .values()
            .filter(|object| object.session.as_deref() == Some(session))
            .map(|object| object.id.clone())
            .collect();
        for id in elements {
            let _ = state.release(&id);
        }
        state.subscriptions.retain(|_, sub| sub.session != session);
        state.sessions.remove(session);
    }

    fn subscribe(&self, session: &str, params: &Map<String, Json>) -> Result<String, RpcError> {
        let object_id = string_param(params, "object")?;
        let event_type = string_param(params, "type")?;
        let mut state = self.lock();
        let object = state.object(object_id)?;
        if !object.events.iter().any(|known| known == event_type) {
            return Err(RpcError::event_not_supported(format!(
                "{} has no event {event_type}",
                object.type_name
            )));
        }
        let id = new_uuid();
        state.subscriptions.insert(
            id.clone(),
            Subscription {
                session: session.to_string(),
                object: object_id.to_string(),
                event_type: event_type.to_string(),
            },
        );
        Ok(id)
    }

    fn gst_name(&self) -> String {
        format!("filmstrip-{}", self.names.fetch_add(1, Ordering::Relaxed))
    }

    fn create(
        self: &Arc<Self>,
        session: &str,
        params: &Map<String, Json>,
    ) -> Result<String, RpcError> {
        let type_name = string_param(params, "type")?;
        let constructor = match params.get("constructorParams") {
            None | Some(Json::Null) => Map::new(),
            Some(Json::Object(constructor)) => constructor.clone(),
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "constructorParams must be an object",
                ));
            }
        };
        let bare = type_name.strip_prefix("kurento.").unwrap_or(type_name);
        match bare {
            "MediaPipeline" => self.create_pipeline(session),
            "ServerManager" => Err(RpcError::type_not_found("ServerManager cannot be created")),
            "PassThrough" | "PlayerEndpoint" => {
                let name = self.gst_name();
                let (media, events) = if bare == "PassThrough" {
                    (objects::pass_through(&name), Vec::new())
                } else {
                    let uri = string_param(&constructor, "uri")?;
                    if !uri.contains("://") {
                        return Err(RpcError::illegal_param(format!("{uri} is not a URI")));
                    }
                    (objects::player(&name, uri), vec!["EndOfStream".to_string()])
                };
                let media = media.map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
                let mut events = events;
                events.extend(ELEMENT_EVENTS.iter().map(|event| event.to_string()));
                let hierarchy = if bare == "PassThrough" {
                    vec!["kurento.MediaElement", "kurento.MediaObject"]
                } else {
                    vec![
                        "kurento.UriEndpoint",
                        "kurento.Endpoint",
                        "kurento.MediaElement",
                        "kurento.MediaObject",
                    ]
                };
                let class = Class {
                    type_name: bare,
                    module: "kurento",
                    hierarchy,
                    events,
                };
                self.add_element(session, &constructor, class, media)
            }
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
        std::thread::Builder::new()
            .name("filmstrip-bus".into())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    if let Some(message) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
                        server.on_bus_message(&pipeline_id, &message);
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
        let mut state = self.lock();
        let Media::Pipeline { pipeline, .. } = &state.object(pipeline_id)?.media else {
            return Err(RpcError::illegal_param(format!(
                "{pipeline_id} is not a MediaPipeline"
            )));
        };
        pipeline
            .add(&media.bin)
            .map_err(|err| RpcError::unexpected(format!("cannot add the element: {err}")))?;
        if !media.bin.is_locked_state() {
            let _ = media.bin.sync_state_with_parent();
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
                media: Media::Element(media),
            },
        );
        state.dispatch(MANAGER_ID, "ObjectCreated", &object_field("object", &id));
        Ok(id)
    }

    /// Turns module events, player ends and errors of pipeline `pipeline_id` into `onEvent`s.
    fn on_bus_message(&self, pipeline_id: &str, message: &gst::Message) {
        let (event_type, fields) = if let Some(event) = EmittedEvent::from_message(message) {
            (event.event_type, event.fields)
        } else {
            match message.view() {
                gst::MessageView::Application(app)
                    if app
                        .structure()
                        .is_some_and(|s| s.name() == END_OF_STREAM_MESSAGE) =>
                {
                    ("EndOfStream".to_string(), Map::new())
                }
                gst::MessageView::Error(error) => {
                    let fields = json!({
                        "description": error.error().to_string(),
                        "errorCode": 40003,
                        "type": "UNEXPECTED_ERROR",
                    });
                    (
                        "Error".to_string(),
                        fields.as_object().cloned().unwrap_or_default(),
                    )
                }
                _ => return,
            }
        };
        let state = self.lock();
        let mut source = message.src().cloned();
        let mut object = None;
        while let Some(current) = source {
            if let Some(id) = state.gst_names.get(current.name().as_str()) {
                object = Some(id.clone());
                break;
            }
            source = current.parent();
        }
        let object = object.unwrap_or_else(|| pipeline_id.to_string());
        state.dispatch(&object, &event_type, &fields);
        if event_type == "Error" && object != pipeline_id {
            state.dispatch(pipeline_id, &event_type, &fields);
        }
    }
}

/// What `create` needs to know about a built-in or module class.
struct Class<'a> {
    type_name: &'a str,
    module: &'a str,
    hierarchy: Vec<&'static str>,
    events: Vec<String>,
}

/// Replaces every `"newref:<i>"` string in `value` by the `value` result of operation `i`.
fn substitute_newrefs(value: Json, responses: &[Json]) -> Result<Json, RpcError> {
    Ok(match value {
        Json::String(text) => match text.strip_prefix("newref:") {
            Some(index) => {
                let found = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| responses.get(index))
                    .and_then(|response| response.pointer("/result/value"));
                found.cloned().ok_or_else(|| {
                    RpcError::invalid_params(format!("{text} names no earlier result"))
                })?
            }
            None => Json::String(text),
        },
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|item| substitute_newrefs(item, responses))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(key, item)| Ok((key, substitute_newrefs(item, responses)?)))
                .collect::<Result<_, RpcError>>()?,
        ),
        other => other,
    })
}

/// Seconds since the Unix epoch.
pub fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(server: &Arc<Server>, conn: &mut Connection, method: &str, params: Json) -> Json {
        let text = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let reply = server
            .handle_text(&text.to_string(), conn)
            .expect("a reply");
        serde_json::from_str(&reply).unwrap()
    }

    #[test]
    fn sessions_pipelines_and_info_without_modules() {
        gst::init().unwrap();
        let server = Server::new(Registry::default());
        let (outbox, _notifications) = std::sync::mpsc::channel();
        let mut conn = Connection {
            outbox,
            session: None,
        };
        let pong = request(&server, &mut conn, "ping", json!({}));
        let session = pong["result"]["sessionId"].clone();
        assert_eq!(pong["result"]["value"], "pong");
        let again = request(&server, &mut conn, "ping", json!({"sessionId": session}));
        assert_eq!(again["result"]["sessionId"], session);
        let unknown = request(&server, &mut conn, "ping", json!({"sessionId": "x"}));
        assert_eq!(unknown["error"]["code"], 40007);

        let info = json!({"object": MANAGER_ID, "operation": "getInfo"});
        let info = request(&server, &mut conn, "invoke", info);
        let names: Vec<&Json> = info["result"]["value"]["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|module| &module["name"])
            .collect();
        assert_eq!(
            names,
            [&json!("core"), &json!("elements"), &json!("filters")]
        );

        let created = request(
            &server,
            &mut conn,
            "create",
            json!({"type": "MediaPipeline"}),
        );
        let pipeline = created["result"]["value"].as_str().unwrap().to_string();
        let unknown = json!({"type": "Nope", "constructorParams": {"mediaPipeline": pipeline}});
        let unknown = request(&server, &mut conn, "create", unknown);
        assert_eq!(unknown["error"]["code"], 40108);
        let pass = json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}});
        let pass = request(&server, &mut conn, "create", pass);
        let pass = pass["result"]["value"].as_str().unwrap().to_string();
        assert!(
            pass.starts_with(&format!("{pipeline}/")) && pass.ends_with("_kurento.PassThrough")
        );
        request(&server, &mut conn, "closeSession", json!({}));
        assert!(server.lock().objects.len() == 1, "only the manager is left");
    }

    #[test]
    fn newrefs_name_earlier_values() {
        let responses = [json!({"result": {"value": "pipe"}})];
        let params = json!({"constructorParams": {"mediaPipeline": "newref:0"}, "x": ["newref:0"]});
        assert_eq!(
            substitute_newrefs(params, &responses).unwrap(),
            json!({"constructorParams": {"mediaPipeline": "pipe"}, "x": ["pipe"]})
        );
        let error = substitute_newrefs(json!("newref:1"), &responses).unwrap_err();
        assert_eq!(error.code, -32602);
    }
}
