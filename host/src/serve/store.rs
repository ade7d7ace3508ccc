//! The object store: sessions, objects, subscriptions and the GStreamer names that route
//! bus messages, behind private fields. Its methods keep every invariant that ties them
//! together: a pipeline lists its elements, both ends of a connection know of it, a released
//! object takes its connections, subscriptions and name along, and events reach exactly the
//! sessions subscribed to them (an index by object and event type).

use super::clock::now_millis;
use super::endpoints;
use super::objects::{self, Media, MediaKind, Object};
use super::rpc::RpcError;
use super::session::{Session, new_uuid};
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use tracing::{debug, warn};

/// The fixed id of the server manager.
pub const MANAGER_ID: &str = "manager_ServerManager";

/// A subscription to one event type of one object.
struct Subscription {
    session: String,
    object: String,
    event_type: String,
}

/// Everything behind the server's lock.
pub struct Store {
    /// Sessions by id.
    sessions: HashMap<String, Session>,
    /// Objects by id.
    objects: HashMap<String, Object>,
    /// Subscriptions by id.
    subscriptions: HashMap<String, Subscription>,
    /// Subscription ids by object and event type: who gets an event, without a scan.
    by_event: HashMap<(String, String), Vec<String>>,
    /// Object ids by the name of their GStreamer bin or pipeline, to route bus messages.
    gst_names: HashMap<String, String>,
}

impl Store {
    /// A store holding only `manager`, the server manager.
    pub fn new(manager: Object) -> Self {
        Self {
            sessions: HashMap::new(),
            objects: HashMap::from([(manager.id.clone(), manager)]),
            subscriptions: HashMap::new(),
            by_event: HashMap::new(),
            gst_names: HashMap::new(),
        }
    }

    /// Session `id`.
    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// Session `id`, mutably.
    pub fn session_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    /// Starts a new session; returns its id.
    pub fn open_session(&mut self) -> String {
        let id = new_uuid();
        self.sessions.insert(id.clone(), Session::default());
        id
    }

    /// The ids of the sessions, sorted.
    pub fn session_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.sessions.keys().cloned().collect();
        ids.sort_unstable();
        ids
    }

    /// Every object.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.values()
    }

    /// How many objects `session` holds.
    pub fn objects_of(&self, session: &str) -> usize {
        self.objects
            .values()
            .filter(|object| object.session.as_deref() == Some(session))
            .count()
    }

    /// Adds `object`: a pipeline, or an element whose pipeline (its parent) must exist. The
    /// pipeline lists it, its GStreamer name routes bus messages to it, and the manager
    /// announces it.
    pub fn insert(&mut self, mut object: Object) -> Result<(), RpcError> {
        object.children.clear();
        if let Some(parent) = &object.parent {
            let pipeline = self.objects.get_mut(parent).ok_or_else(|| {
                RpcError::object_not_found(format!("{parent} was released meanwhile"))
            })?;
            pipeline.children.push(object.id.clone());
        }
        let gst_name = match &object.media {
            Media::Pipeline { pipeline, .. } => Some(pipeline.name()),
            Media::Element(media) => Some(media.bin.name()),
            Media::Hub(hub) => Some(hub.bin.name()),
            Media::Manager => None,
        };
        if let Some(name) = gst_name {
            self.gst_names.insert(name.to_string(), object.id.clone());
        }
        let id = object.id.clone();
        self.objects.insert(id.clone(), object);
        self.dispatch(MANAGER_ID, "ObjectCreated", &object_field("object", &id));
        Ok(())
    }

    /// Sets the MediaObject name of `id`.
    pub fn rename(&mut self, id: &str, name: &str) -> Result<(), RpcError> {
        self.object_mut(id)?.name = name.to_string();
        Ok(())
    }

    /// Sets tag `key` of `id` to `value`, or removes it when `value` is `None`.
    pub fn tag(&mut self, id: &str, key: &str, value: Option<&str>) -> Result<(), RpcError> {
        let object = self.object_mut(id)?;
        object.tags.retain(|(known, _)| known != key);
        if let Some(value) = value {
            object.tags.push((key.to_string(), value.to_string()));
        }
        Ok(())
    }

    fn object_mut(&mut self, id: &str) -> Result<&mut Object, RpcError> {
        self.objects
            .get_mut(id)
            .ok_or_else(|| RpcError::object_not_found(format!("object {id} not found")))
    }

    /// Subscribes `session` to `event_type` of `object`; returns the subscription's id.
    pub fn subscribe(
        &mut self,
        session: &str,
        object: &str,
        event_type: &str,
    ) -> Result<String, RpcError> {
        let target = self.object(object)?;
        if !target.events.iter().any(|known| known == event_type) {
            return Err(RpcError::event_not_supported(format!(
                "{} has no event {event_type}",
                target.type_name
            )));
        }
        let id = new_uuid();
        self.by_event
            .entry((object.to_string(), event_type.to_string()))
            .or_default()
            .push(id.clone());
        self.subscriptions.insert(
            id.clone(),
            Subscription {
                session: session.to_string(),
                object: object.to_string(),
                event_type: event_type.to_string(),
            },
        );
        Ok(id)
    }

    /// Ends subscription `id`; an unknown one is no error.
    pub fn unsubscribe(&mut self, id: &str) {
        let Some(subscription) = self.subscriptions.remove(id) else {
            return;
        };
        let key = (subscription.object, subscription.event_type);
        if let Some(ids) = self.by_event.get_mut(&key) {
            ids.retain(|known| known != id);
            if ids.is_empty() {
                self.by_event.remove(&key);
            }
        }
    }

    /// Ends every subscription that `keep` refuses.
    fn unsubscribe_where(&mut self, refuse: impl Fn(&Subscription) -> bool) {
        let ids: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|(_, subscription)| refuse(subscription))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.unsubscribe(&id);
        }
    }

    /// The object whose GStreamer element (or an ancestor of it) is `element`.
    pub fn route(&self, element: Option<&gst::Object>) -> Option<String> {
        let mut current = element.cloned();
        while let Some(object) = current {
            if let Some(id) = self.gst_names.get(object.name().as_str()) {
                return Some(id.clone());
            }
            current = object.parent();
        }
        None
    }

    /// The pipeline `id` belongs to (itself for a pipeline): a hub port's parent is its
    /// hub, whose parent is the pipeline.
    pub fn pipeline_of(&self, id: &str) -> Option<&str> {
        let mut object = self.objects.get(id)?;
        loop {
            match (&object.media, &object.parent) {
                (Media::Pipeline { .. }, _) => return Some(&object.id),
                (_, Some(parent)) => object = self.objects.get(parent)?,
                (_, None) => return None,
            }
        }
    }

    /// The bin of `port`, a `HubPort` of hub `hub`: 40101 when unknown, 40107 when not a
    /// `HubPort`, and 40002 (Kurento's `CONNECT_ERROR`, as KMS answers a dispatcher asked to
    /// connect ports it does not hold) for a port of another hub.
    pub fn hub_port(&self, hub: &str, port: &str) -> Result<gst::Bin, RpcError> {
        let object = self.object(port)?;
        let media = object
            .element()
            .filter(|_| object.type_name == "HubPort")
            .ok_or_else(|| RpcError::illegal_param(format!("{port} is not a HubPort")))?;
        if object.parent.as_deref() != Some(hub) {
            return Err(RpcError::connect_error(format!(
                "{port} is a port of another hub"
            )));
        }
        Ok(media.bin.clone())
    }

    /// The object `id`, or 40101.
    pub fn object(&self, id: &str) -> Result<&Object, RpcError> {
        self.objects
            .get(id)
            .ok_or_else(|| RpcError::object_not_found(format!("object {id} not found")))
    }

    /// Sends `event_type` of `object` to every session subscribed to it, and to those
    /// subscribed to its Kurento 6 name, under that name.
    pub fn dispatch(&self, object: &str, event_type: &str, fields: &Map<String, Json>) {
        self.dispatch_as(object, event_type, fields);
        if let Some(legacy) = endpoints::legacy_event_name(event_type) {
            self.dispatch_as(object, legacy, fields);
        }
    }

    fn dispatch_as(&self, object: &str, event_type: &str, fields: &Map<String, Json>) {
        let key = (object.to_string(), event_type.to_string());
        let Some(ids) = self.by_event.get(&key) else {
            return;
        };
        let subscribers = ids.iter().filter_map(|id| self.subscriptions.get(id));
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

    /// Releases `id` and, for a pipeline, its elements. The objects leave the books at once;
    /// their GStreamer teardown happens when the returned [`Teardown`] drops, which callers
    /// do after letting go of the server's lock.
    pub fn release(&mut self, id: &str) -> Result<Teardown, RpcError> {
        let object = self.object(id)?;
        let mut teardown = Teardown::default();
        match &object.media {
            Media::Manager => {
                return Err(RpcError::illegal_param(
                    "the server manager cannot be released",
                ));
            }
            Media::Pipeline { .. } => {
                for child in object.children.clone() {
                    self.release_element(&child, &mut teardown);
                }
                if let Some(object) = self.objects.remove(id) {
                    if let Media::Pipeline { pipeline, stop } = &object.media {
                        stop.store(true, Ordering::Relaxed);
                        self.gst_names.remove(pipeline.name().as_str());
                    }
                    teardown.0.push(object);
                }
                self.unsubscribe_where(|sub| sub.object == id);
                self.dispatch(MANAGER_ID, "ObjectDestroyed", &object_field("objectId", id));
            }
            Media::Element(_) | Media::Hub(_) => self.release_element(id, &mut teardown),
        }
        Ok(teardown)
    }

    /// Releases element or hub `id`; a hub's ports go first, as KMS releases a hub's
    /// children with it.
    fn release_element(&mut self, id: &str, teardown: &mut Teardown) {
        if let Some(hub) = self
            .objects
            .get(id)
            .filter(|o| matches!(o.media, Media::Hub(_)))
        {
            for port in hub.children.clone() {
                self.release_element(&port, teardown);
            }
        }
        let Some(media) = self.objects.get(id).and_then(Object::element) else {
            self.forget(id, teardown);
            return;
        };
        let sources: Vec<String> = MediaKind::ALL
            .iter()
            .filter_map(|kind| media.port(*kind).source.as_ref())
            .map(|(source, _)| source.clone())
            .collect();
        let sinks: Vec<String> = media.sinks.iter().map(|(sink, _)| sink.clone()).collect();
        for source in sources {
            if let Err(error) = self.disconnect(&source, id, None) {
                debug!(%source, sink = id, error = %error.message, "cannot unlink a released element");
            }
        }
        for sink in sinks {
            if let Err(error) = self.disconnect(id, &sink, None) {
                debug!(source = id, %sink, error = %error.message, "cannot unlink a released element");
            }
        }
        self.forget(id, teardown);
    }

    /// Takes element or hub `id` out of the books, for `teardown` to stop.
    fn forget(&mut self, id: &str, teardown: &mut Teardown) {
        let Some(object) = self.objects.remove(id) else {
            return;
        };
        match &object.media {
            Media::Element(media) => self.gst_names.remove(media.bin.name().as_str()),
            Media::Hub(hub) => self.gst_names.remove(hub.bin.name().as_str()),
            _ => None,
        };
        if let Some(parent) = object.parent.as_ref().and_then(|p| self.objects.get_mut(p)) {
            parent.children.retain(|child| child != id);
        }
        self.unsubscribe_where(|sub| sub.object == id);
        self.dispatch(MANAGER_ID, "ObjectDestroyed", &object_field("objectId", id));
        teardown.0.push(object);
    }

    /// Releases everything `session` created, and the session; see [`Store::release`] for
    /// the returned teardown.
    pub fn close_session(&mut self, session: &str) -> Teardown {
        let state = self;
        let mut teardown = Teardown::default();
        // Pipelines first, which takes their elements along; then what is left.
        for pipelines_only in [true, false] {
            let owned: Vec<String> = state
                .objects
                .values()
                .filter(|object| object.session.as_deref() == Some(session))
                .filter(|object| !pipelines_only || matches!(object.media, Media::Pipeline { .. }))
                .map(|object| object.id.clone())
                .collect();
            for id in owned {
                if let Ok(released) = state.release(&id) {
                    teardown.absorb(released);
                }
            }
        }
        state.unsubscribe_where(|sub| sub.session == session);
        state.sessions.remove(session);
        teardown
    }
    /// Feeds `sink` from `source` with `kind` of media, or with every kind both have when
    /// `None`, replacing whatever fed `sink` that kind before.
    pub fn connect(
        &mut self,
        source: &str,
        sink: &str,
        kind: Option<MediaKind>,
    ) -> Result<(), RpcError> {
        let sink_object = self.object(sink)?;
        let source_object = self.object(source)?;
        let (Some(sink_media), Some(_)) = (sink_object.element(), source_object.element()) else {
            return Err(RpcError::illegal_param(format!(
                "{sink} is not a media element"
            )));
        };
        // An endpoint whose input and output are separate streams (a WebRtcEndpoint sending back
        // what it receives) may feed itself; any other element would only make a cycle.
        if source == sink
            && !sink_media
                .behaviour
                .as_ref()
                .is_some_and(|behaviour| behaviour.may_feed_itself())
        {
            return Err(RpcError::illegal_param(format!(
                "a {} cannot feed itself",
                sink_object.type_name
            )));
        }
        if self.pipeline_of(sink) != self.pipeline_of(source) {
            return Err(RpcError::illegal_param(
                "an element connects only to another element of its pipeline",
            ));
        }
        // Video first: clients that watch one `ElementConnected` expect the video one.
        let kinds: Vec<MediaKind> = match kind {
            Some(kind) => vec![kind],
            None => vec![MediaKind::Video, MediaKind::Audio],
        };
        let takes: Vec<MediaKind> = kinds
            .into_iter()
            .filter(|kind| sink_media.port(*kind).input.is_some())
            .collect();
        if takes.is_empty() {
            return Err(RpcError::illegal_param(format!(
                "{} takes no {} input",
                sink_object.type_name,
                kind.map_or("media", MediaKind::name)
            )));
        }
        for kind in takes {
            self.connect_kind(source, sink, kind)?;
        }
        Ok(())
    }

    fn connect_kind(&mut self, source: &str, sink: &str, kind: MediaKind) -> Result<(), RpcError> {
        match &self
            .object(sink)?
            .element()
            .and_then(|m| m.port(kind).source.as_ref())
        {
            Some((current, _)) if current == source => return Ok(()),
            Some((current, _)) => {
                let current = current.clone();
                self.disconnect(&current, sink, Some(kind))?;
            }
            None => {}
        }
        let (Some(source_media), Some(sink_media)) =
            (self.object(source)?.element(), self.object(sink)?.element())
        else {
            return Err(RpcError::internal("elements vanished"));
        };
        let pad = objects::link(source_media, sink_media, kind)
            .map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
        if let Some(media) = self.objects.get_mut(sink).and_then(Object::element_mut) {
            media.port_mut(kind).source = Some((source.to_string(), pad));
        }
        if let Some(media) = self.objects.get_mut(source).and_then(Object::element_mut) {
            media.sinks.push((sink.to_string(), kind));
        }
        self.announce("ElementConnected", source, sink, kind);
        Ok(())
    }

    /// Stops `source` feeding `sink` with `kind` of media, or with every kind when `None`.
    pub fn disconnect(
        &mut self,
        source: &str,
        sink: &str,
        kind: Option<MediaKind>,
    ) -> Result<(), RpcError> {
        self.object(source)?;
        let sink_media = self
            .object(sink)?
            .element()
            .ok_or_else(|| RpcError::illegal_param(format!("{sink} is not a media element")))?;
        let connected: Vec<(MediaKind, gst::Pad)> = MediaKind::ALL
            .into_iter()
            .filter(|candidate| kind.is_none_or(|kind| kind == *candidate))
            .filter_map(|kind| match &sink_media.port(kind).source {
                Some((current, pad)) if current == source => Some((kind, pad.clone())),
                _ => None,
            })
            .collect();
        if connected.is_empty() {
            return Err(RpcError::illegal_param(format!(
                "{source} is not connected to {sink}"
            )));
        }
        for (kind, pad) in connected {
            if let Some(media) = self.objects.get(source).and_then(Object::element) {
                objects::unlink(media, &pad);
            }
            if let Some(media) = self.objects.get_mut(sink).and_then(Object::element_mut) {
                media.port_mut(kind).source = None;
            }
            if let Some(media) = self.objects.get_mut(source).and_then(Object::element_mut) {
                media
                    .sinks
                    .retain(|(known, known_kind)| known != sink || *known_kind != kind);
            }
            self.announce("ElementDisconnected", source, sink, kind);
        }
        Ok(())
    }

    /// Raises `ElementConnected` or `ElementDisconnected` on the source, as KMS does: the event's
    /// `source` is the element that feeds `sink`.
    fn announce(&self, event_type: &str, source: &str, sink: &str, kind: MediaKind) {
        let fields = json!({"sink": sink, "mediaType": kind.name(),
            "sourceMediaDescription": "default", "sinkMediaDescription": "default"});
        self.dispatch(
            source,
            event_type,
            fields.as_object().unwrap_or(&Map::new()),
        );
    }
}

/// Released objects whose GStreamer elements still have to stop. Stopping joins streaming
/// threads and can take milliseconds, so it happens on drop, outside the server's lock,
/// where it stalls only the client that asked.
#[must_use = "drop it after the server's lock is released"]
#[derive(Default)]
pub struct Teardown(Vec<Object>);

impl Teardown {
    /// Takes `other`'s objects too.
    pub fn absorb(&mut self, mut other: Teardown) {
        self.0.append(&mut other.0);
    }

    /// How many objects are to stop.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is to stop.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        for object in self.0.drain(..) {
            let id = &object.id;
            match &object.media {
                Media::Pipeline { pipeline, .. } => {
                    if let Err(error) = pipeline.set_state(gst::State::Null) {
                        warn!(object = id, %error, "a released pipeline did not stop");
                    }
                }
                Media::Element(media) => {
                    if let Some(behaviour) = &media.behaviour {
                        behaviour.finish();
                    }
                    if let Err(error) = media.bin.set_state(gst::State::Null) {
                        warn!(object = id, %error, "a released element did not stop");
                    }
                    if let Some((_, filter)) = &media.filter {
                        super::stats::filter_released(&object.type_name, filter);
                    }
                    if let Some(pipeline) = media.bin.parent().and_downcast::<gst::Bin>()
                        && let Err(error) = pipeline.remove(&media.bin)
                    {
                        warn!(object = id, %error, "a released element stays in its pipeline");
                    }
                }
                Media::Hub(hub) => {
                    if let Err(error) = hub.bin.set_state(gst::State::Null) {
                        warn!(object = id, %error, "a released hub did not stop");
                    }
                    if let Some(pipeline) = hub.bin.parent().and_downcast::<gst::Bin>()
                        && let Err(error) = pipeline.remove(&hub.bin)
                    {
                        warn!(object = id, %error, "a released hub stays in its pipeline");
                    }
                }
                Media::Manager => {}
            }
        }
    }
}

/// `{name: id}`, the fields of the manager's object events.
pub fn object_field(name: &str, id: &str) -> Map<String, Json> {
    Map::from_iter([(name.to_string(), json!(id))])
}
