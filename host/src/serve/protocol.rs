//! The protocol: a WebSocket text message becomes a request, its session, a [`Command`] and
//! an answer, with KMS's rules for retried requests and transactions.

use super::classes;
use super::command::Command;
use super::create;
use super::metrics::metrics;
use super::rpc::{self, RpcError};
use super::server::{Connection, Server};
use super::session::Unconfirmed;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;
use std::time::Instant;
use tracing::debug;

/// Answers one WebSocket text message; `None` for notifications.
pub fn handle_text(server: &Arc<Server>, text: &str, conn: &mut Connection) -> Option<String> {
    let started = Instant::now();
    let request = match rpc::parse_request(text) {
        Ok(request) => request,
        Err((id, error)) => {
            debug!(code = error.code, error = error.message, "invalid request");
            metrics().observe_invalid(started.elapsed());
            return Some(rpc::error_response(&id, &error).to_string());
        }
    };
    if server.stopping() {
        // Sessions are being released: nothing new may start recording now.
        let error = RpcError::unexpected("the server is shutting down");
        return Some(rpc::error_response(&request.id?, &error).to_string());
    }
    let session = match resolve_session(server, &request.params, conn) {
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
        && let Some(replayed) = server
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
    let outcome = Command::parse(&request.method, &request.params)
        .and_then(|command| call(server, &session, command, conn));
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

/// The request's session: the one it names, else the connection's, else a new one.
fn resolve_session(
    server: &Arc<Server>,
    params: &Map<String, Json>,
    conn: &mut Connection,
) -> Result<String, RpcError> {
    let mut state = server.lock();
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
        server.detach(&previous, conn.number);
    }
    Ok(id)
}

/// Runs one command; the result object gets `sessionId` added by the caller.
pub fn call(
    server: &Arc<Server>,
    session: &str,
    command: Command,
    conn: &mut Connection,
) -> Result<Map<String, Json>, RpcError> {
    let value = |value: Json| Ok(Map::from_iter([("value".to_string(), value)]));
    match command {
        Command::Ping => value(json!("pong")),
        Command::Connect => Ok(Map::from_iter([(
            "serverId".to_string(),
            json!(server.server_id),
        )])),
        Command::Create {
            type_name,
            constructor,
            properties,
        } => {
            check_object_limit(server, session)?;
            let id = create::create(server, session, &type_name, &constructor, properties)?;
            value(json!(id))
        }
        Command::Invoke {
            object,
            operation,
            args,
        } => value(classes::invoke(server, &object, &operation, args)?),
        Command::Subscribe { object, event_type } => value(json!(server.lock().subscribe(
            session,
            &object,
            &event_type
        )?)),
        Command::Unsubscribe { subscription } => {
            // Unknown subscriptions are no error, as on KMS: the official client
            // unsubscribes every listener of an object after releasing it, when the
            // release has already dropped its subscriptions.
            server.lock().unsubscribe(&subscription);
            Ok(Map::new())
        }
        Command::Release { object } => {
            let released = server.lock().release(&object);
            match released {
                Ok(teardown) => drop(teardown),
                // As on KMS, releasing what is already gone succeeds: a client may release
                // an element after its pipeline, which took the element along.
                Err(error) if error.code == 40101 && well_formed_object_id(&object) => {
                    debug!(object, "released an object that was already gone");
                }
                Err(error) => return Err(error),
            }
            Ok(Map::new())
        }
        Command::Describe { object } => {
            let state = server.lock();
            let object = state.object(&object)?;
            let described = json!({
                "type": object.type_name,
                "qualifiedType": object.qualified,
                "hierarchy": object.hierarchy,
            });
            Ok(described.as_object().cloned().unwrap_or_default())
        }
        Command::CloseSession => {
            let teardown = server.lock().close_session(session);
            drop(teardown);
            conn.session = None;
            Ok(Map::new())
        }
        Command::Transaction { operations } => {
            value(transaction(server, session, &operations, conn)?)
        }
    }
}

/// Runs `operations` in order, each answered as a full response; `newref:<i>` in an
/// operation's parameters is the value operation `i` returned.
fn transaction(
    server: &Arc<Server>,
    session: &str,
    operations: &[Json],
    conn: &mut Connection,
) -> Result<Json, RpcError> {
    let mut responses: Vec<Json> = Vec::with_capacity(operations.len());
    for (index, operation) in operations.iter().enumerate() {
        let id = operation.get("id").cloned().unwrap_or(json!(index));
        let outcome = (|| {
            let method = operation
                .get("method")
                .and_then(Json::as_str)
                .ok_or_else(|| RpcError::invalid_params("operation without method"))?;
            let params = rpc::object_param(operation.as_object().unwrap_or(&Map::new()), "params")?;
            let params = substitute_newrefs(Json::Object(params), &responses)?;
            let params = params.as_object().cloned().unwrap_or_default();
            let command = Command::parse(method, &params)?;
            if !command.transactable() {
                return Err(RpcError::invalid_params(format!(
                    "{method} is not allowed inside a transaction"
                )));
            }
            call(server, session, command, conn)
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
fn check_object_limit(server: &Server, session: &str) -> Result<(), RpcError> {
    let held = server.lock().objects_of(session);
    if held < server.max_objects() {
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

#[cfg(test)]
mod tests {
    use super::super::endpoints::WebRtcDefaults;
    use super::super::session::{Outbox, new_uuid};
    use super::super::store::MANAGER_ID;
    use super::*;
    use crate::Registry;
    use std::time::Duration;

    fn request(server: &Arc<Server>, conn: &mut Connection, method: &str, params: Json) -> Json {
        let text = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let reply = handle_text(server, &text.to_string(), conn).expect("a reply");
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
        let (outbox, _notifications) = Outbox::new(1 << 20).unwrap();
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
