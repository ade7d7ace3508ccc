//! The protocol core: sessions, the object store, and the methods of REFERENCE §2.

use super::classes;
use super::create;
use super::endpoints::WebRtcDefaults;
use super::metrics::{Census, metrics};
use super::objects::{Media, Object};
use super::rpc::{self, RpcError, string_param};
use super::session::{Outbox, Unconfirmed, new_uuid};
use super::store::{MANAGER_ID, Store, Teardown};
use crate::Registry;
use serde_json::{Map, Value as Json, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::{debug, info, warn};

/// How many replies a connection keeps until it is seen open after sending them.
const UNCONFIRMED_REPLIES: usize = 64;

/// One WebSocket connection as the protocol sees it.
pub struct Connection {
    /// Tells the connection apart in the sessions it is bound to.
    pub number: u64,
    /// Notifications for this connection.
    pub outbox: Outbox,
    /// The session of the latest request on this connection.
    pub session: Option<String>,
    /// Successful replies sent since the connection was last seen open: should it close
    /// now, they may not have arrived, and a retry on another connection replays them.
    unconfirmed: VecDeque<Unconfirmed>,
}

impl Connection {
    /// A new connection whose notifications go to `outbox`.
    pub fn new(outbox: Outbox) -> Self {
        static NUMBERS: AtomicU64 = AtomicU64::new(0);
        Self {
            number: NUMBERS.fetch_add(1, Ordering::Relaxed),
            outbox,
            session: None,
            unconfirmed: VecDeque::new(),
        }
    }

    /// Called when the connection is still open after its replies were written: they were
    /// delivered as far as the server can tell, and a request reusing their ids is new.
    pub fn confirm(&mut self) {
        self.unconfirmed.clear();
    }

    fn sent(&mut self, reply: Unconfirmed) {
        if self.unconfirmed.len() == UNCONFIRMED_REPLIES {
            self.unconfirmed.pop_front();
        }
        self.unconfirmed.push_back(reply);
    }
}

/// The protocol server, shared by every connection thread.
pub struct Server {
    /// The loaded modules.
    pub registry: Registry,
    state: Mutex<Store>,
    /// This server's id, returned by `connect`.
    pub server_id: String,
    /// Unix seconds at start, the `generationTime` of the built-in modules.
    pub started: u64,
    names: AtomicU64,
    /// How long a session without connections keeps its objects.
    pub session_grace: Duration,
    /// The settings new WebRtcEndpoints start with.
    pub webrtc: WebRtcDefaults,
    /// The most objects one session may hold; `create` beyond it fails.
    max_objects: usize,
    /// Set once the process is stopping: connections close and sessions are not kept.
    stopping: AtomicBool,
}

impl Server {
    /// A server with only the server manager, releasing the objects of a session
    /// `session_grace` after its last connection closed, letting a session hold at most
    /// `max_objects`; new WebRtcEndpoints start with `webrtc`.
    pub fn new(
        registry: Registry,
        session_grace: Duration,
        max_objects: usize,
        webrtc: WebRtcDefaults,
    ) -> Arc<Self> {
        let started = unix_seconds();
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
            creation_time: started,
            parent: None,
            children: Vec::new(),
            session: None,
            media: Media::Manager,
        };
        Arc::new(Self {
            registry,
            state: Mutex::new(Store::new(manager)),
            server_id: new_uuid(),
            started,
            names: AtomicU64::new(0),
            session_grace,
            webrtc,
            max_objects,
            stopping: AtomicBool::new(false),
        })
    }

    /// The state; a panic elsewhere never makes it unusable.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one WebSocket text message; `None` for notifications.
    pub fn handle_text(self: &Arc<Self>, text: &str, conn: &mut Connection) -> Option<String> {
        let started = Instant::now();
        let request = match rpc::parse_request(text) {
            Ok(request) => request,
            Err((id, error)) => {
                debug!(code = error.code, error = error.message, "invalid request");
                metrics().observe_invalid(started.elapsed());
                return Some(rpc::error_response(&id, &error).to_string());
            }
        };
        if self.stopping() {
            // Sessions are being released: nothing new may start recording now.
            let error = RpcError::unexpected("the server is shutting down");
            return Some(rpc::error_response(&request.id?, &error).to_string());
        }
        let session = match self.resolve_session(&request.params, conn) {
            Ok(session) => session,
            Err(error) => {
                debug!(method = request.method, error = error.message, "no session");
                metrics().observe_request(&request.method, started.elapsed());
                let id = request.id?;
                return Some(rpc::error_response(&id, &error).to_string());
            }
        };
        let span = tracing::debug_span!("session", id = %session);
        let _entered = span.enter();
        // A client whose connection closed before it could have read an answer may retry
        // the request (same session, id and content) on a new one: it gets the first answer
        // again instead of a second object or a second side effect.
        let asked = request.id.as_ref().map(|id| {
            (
                id.to_string(),
                format!("{}{}", request.method, Json::Object(request.params.clone())),
            )
        });
        if let Some((id, asked)) = &asked
            && let Some(replayed) = self
                .lock()
                .session_mut(&session)
                .and_then(|s| s.replay(id, asked))
        {
            debug!(
                method = request.method,
                id, "replaying the answer to a retried request"
            );
            let reply = replayed.reply.clone();
            conn.sent(replayed);
            return Some(reply);
        }
        let outcome = self.call(&session, &request.method, &request.params, conn);
        let elapsed = started.elapsed();
        metrics().observe_request(&request.method, elapsed);
        match &outcome {
            Ok(_) => debug!(method = request.method, ?elapsed, "answered"),
            Err(error) => debug!(
                method = request.method,
                ?elapsed,
                code = error.code,
                error = error.message,
                "failed"
            ),
        }
        let id = request.id?;
        let response = match outcome {
            Ok(mut result) => {
                result.insert("sessionId".into(), json!(session));
                rpc::result_response(&id, Json::Object(result))
            }
            // Errors are never replayed: a retry runs again, and may succeed this time.
            Err(error) => return Some(rpc::error_response(&id, &error).to_string()),
        };
        let reply = response.to_string();
        if let Some((id, request)) = asked {
            conn.sent(Unconfirmed {
                session,
                id,
                request,
                reply: reply.clone(),
            });
        }
        Some(reply)
    }

    /// Called when `conn` closes: its unconfirmed replies are kept for a retry, and a session
    /// left without connections is released after the grace period unless a client takes it
    /// up again with `connect`.
    pub fn disconnected(self: &Arc<Self>, conn: &mut Connection) {
        if !conn.unconfirmed.is_empty() {
            let mut state = self.lock();
            for reply in conn.unconfirmed.drain(..) {
                if let Some(session) = state.session_mut(&reply.session) {
                    session.remember(reply);
                }
            }
        }
        if let Some(session) = &conn.session {
            self.detach(session, conn.number);
        }
    }

    /// Whether the process is stopping.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Marks the process as stopping: requests are refused from now on, and connections
    /// close at their next look.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Releases every session and its objects (every object but the manager belongs to
    /// one), finalising recordings, for a shutdown.
    pub fn release_all(&self) {
        let mut state = self.lock();
        let sessions = state.session_ids();
        let mut teardown = Teardown::default();
        for session in &sessions {
            teardown.absorb(state.close_session(session));
        }
        drop(state);
        info!(
            sessions = sessions.len(),
            objects = teardown.len(),
            "releasing every session"
        );
        drop(teardown);
    }

    /// Sessions, pipelines and objects by class, for `/metrics`.
    pub fn census(&self) -> Census {
        let state = self.lock();
        let mut census = Census {
            sessions: state.session_ids().len(),
            ..Census::default()
        };
        for object in state.objects() {
            if matches!(object.media, Media::Pipeline { .. }) {
                census.pipelines += 1;
            }
            *census.objects.entry(object.type_name.clone()).or_default() += 1;
        }
        census
    }

    fn detach(self: &Arc<Self>, session: &str, number: u64) {
        let detached = self
            .lock()
            .session_mut(session)
            .and_then(|s| s.detach(number));
        // A stopping server releases every session itself.
        let Some(count) = detached.filter(|_| !self.stopping()) else {
            return;
        };
        debug!(session, grace = ?self.session_grace, "the session lost its last connection");
        let (server, detached) = (Arc::clone(self), session.to_string());
        let spawned = std::thread::Builder::new()
            .name("filmstrip-session-grace".into())
            .spawn(move || {
                std::thread::sleep(server.session_grace);
                let mut state = server.lock();
                if state
                    .session(&detached)
                    .is_some_and(|s| s.still_detached(count))
                {
                    info!(
                        session = detached,
                        "releasing a session nobody took up again"
                    );
                    let teardown = state.close_session(&detached);
                    drop(state);
                    drop(teardown);
                }
            });
        if let Err(error) = spawned {
            // Without its timer the session stays until closeSession or shutdown: a leak,
            // but a smaller harm than releasing a session its client may come back to.
            warn!(session, %error, "cannot start the grace timer of a detached session");
        }
    }

    /// The request's session: the one it names, else the connection's, else a new one.
    fn resolve_session(
        self: &Arc<Self>,
        params: &Map<String, Json>,
        conn: &mut Connection,
    ) -> Result<String, RpcError> {
        let mut state = self.lock();
        let id = match params.get("sessionId") {
            Some(Json::String(id)) => {
                if state.session(id).is_none() {
                    return Err(RpcError::invalid_session(format!("invalid session {id}")));
                }
                id.clone()
            }
            Some(_) => return Err(RpcError::invalid_params("sessionId must be a string")),
            None => match &conn.session {
                Some(id) if state.session(id).is_some() => id.clone(),
                _ => state.open_session(),
            },
        };
        if let Some(session) = state.session_mut(&id) {
            session.attach(conn.number, &conn.outbox);
        }
        drop(state);
        // A connection that moves to another session leaves the previous one.
        if let Some(previous) = conn.session.replace(id.clone())
            && previous != id
        {
            self.detach(&previous, conn.number);
        }
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
            "create" => {
                self.check_object_limit(session)?;
                value(json!(create::create(self, session, params)?))
            }
            "invoke" => value(classes::invoke(self, params)?),
            "subscribe" => value(json!(self.subscribe(session, params)?)),
            "unsubscribe" => {
                // Unknown subscriptions are no error, as on KMS: the official client
                // unsubscribes every listener of an object after releasing it, when the
                // release has already dropped its subscriptions.
                let id = string_param(params, "subscription")?;
                self.lock().unsubscribe(id);
                Ok(Map::new())
            }
            "release" => {
                let object = string_param(params, "object")?;
                let released = self.lock().release(object);
                match released {
                    Ok(teardown) => drop(teardown),
                    // As on KMS, releasing what is already gone succeeds: a client may release
                    // an element after its pipeline, which took the element along.
                    Err(error) if error.code == 40101 && well_formed_object_id(object) => {
                        debug!(object, "released an object that was already gone");
                    }
                    Err(error) => return Err(error),
                }
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
                let teardown = self.lock().close_session(session);
                drop(teardown);
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
                let params =
                    rpc::object_param(operation.as_object().unwrap_or(&Map::new()), "params")?;
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

    /// 40009 NOT_ENOUGH_RESOURCES, as KMS answers when it cannot take more, once `session`
    /// holds `--max-objects-per-session` objects.
    fn check_object_limit(&self, session: &str) -> Result<(), RpcError> {
        let state = self.lock();
        let held = state.objects_of(session);
        if held < self.max_objects {
            return Ok(());
        }
        Err(RpcError {
            code: 40009,
            message: format!(
                "the session holds {held} objects, the most allowed (--max-objects-per-session)"
            ),
            kind: "NOT_ENOUGH_RESOURCES",
        })
    }

    fn subscribe(&self, session: &str, params: &Map<String, Json>) -> Result<String, RpcError> {
        let object = string_param(params, "object")?;
        let event_type = string_param(params, "type")?;
        self.lock().subscribe(session, object, event_type)
    }

    /// A GStreamer name for a new element bin, unique in the process.
    pub fn gst_name(&self) -> String {
        format!("filmstrip-{}", self.names.fetch_add(1, Ordering::Relaxed))
    }
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

/// Whether `id` has the shape of the ids this server hands out: a pipeline
/// `<uuid>_kurento.MediaPipeline`, or `<pipeline id>/<uuid>_<module>.<Type>`.
fn well_formed_object_id(id: &str) -> bool {
    let part = |part: &str| {
        part.split_once('_').is_some_and(|(uuid, class)| {
            uuid.len() == 36
                && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                && class.split_once('.').is_some_and(|(module, name)| {
                    !module.is_empty()
                        && !name.is_empty()
                        && class
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                })
        })
    };
    match id.split_once('/') {
        None => id.ends_with("_kurento.MediaPipeline") && part(id),
        Some((pipeline, element)) => {
            well_formed_object_id(pipeline) && !element.contains('/') && part(element)
        }
    }
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
        let server = Server::new(
            Registry::default(),
            Duration::from_secs(30),
            100,
            WebRtcDefaults::default(),
        );
        let (outbox, _notifications) = Outbox::new(1 << 20);
        let mut conn = Connection::new(outbox);
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
        assert!(
            server.lock().objects().count() == 1,
            "only the manager is left"
        );
    }

    #[test]
    fn object_ids_of_the_server_shape_are_well_formed() {
        let pipeline = format!("{}_kurento.MediaPipeline", new_uuid());
        assert!(well_formed_object_id(&pipeline));
        let element = format!("{pipeline}/{}_pixelate.PixelateFilter", new_uuid());
        assert!(well_formed_object_id(&element));
        for bad in [
            "",
            "x",
            MANAGER_ID,
            "nope_kurento.MediaPipeline",
            &format!("{pipeline}/x"),
            &format!("{element}/{}_kurento.PassThrough", new_uuid()),
        ] {
            assert!(!well_formed_object_id(bad), "{bad}");
        }
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
