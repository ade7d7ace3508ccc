//! Operations of the built-in classes (MediaObject, MediaElement, MediaPipeline,
//! ServerManager; the endpoints' own ones live in `endpoints`), and module operations through
//! `LoadedModule::invoke`.

use super::complex;
use super::endpoints;
use super::formats;
use super::objects::{Media, MediaKind, Object, Outcome};
use super::rpc::{RpcError, string_param};
use super::server::Server;
use super::store::{MANAGER_ID, Store};
use crate::kmd;
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};

/// `invoke`: runs `operation` with `args` on `object_id` and returns its value.
pub fn invoke(
    server: &Server,
    object_id: &str,
    operation: &str,
    args: Map<String, Json>,
) -> Result<Json, RpcError> {
    if object_id == MANAGER_ID && operation == "getUsedCpu" {
        // Measured over an interval: without the server's lock.
        return used_cpu(&args);
    }
    let mut state = server.lock();
    state.object(object_id)?;
    if let Some(value) = media_object_op(&mut state, object_id, operation, &args)? {
        return Ok(value);
    }
    let object = state.object(object_id)?;
    match &object.media {
        Media::Manager => manager_op(server, &state, operation, &args),
        Media::Pipeline { pipeline, .. } => match operation {
            "getGstreamerDot" => Ok(json!(dot(pipeline.upcast_ref()))),
            _ => Err(unknown_operation(object, operation)),
        },
        Media::Hub(hub) => {
            if operation == "getGstreamerDot" {
                return Ok(json!(dot(&hub.bin)));
            }
            let port = |id: &str| state.hub_port(object_id, id);
            hub.behaviour
                .operation(operation, &args, &port)
                .unwrap_or_else(|| Err(unknown_operation(object, operation)))
        }
        Media::Element(media) => {
            let own = media
                .behaviour
                .as_ref()
                .and_then(|behaviour| behaviour.operation(media, operation, &args));
            match own {
                Some(Ok(Outcome::Value(value))) => return Ok(value),
                Some(Ok(Outcome::Later(finish))) => {
                    drop(state);
                    return finish();
                }
                Some(Err(error)) => return Err(error),
                None => {}
            }
            if let Some(value) = element_op(&mut state, object_id, operation, &args)? {
                return Ok(value);
            }
            let Some((module, filter)) = media_filter(&state, object_id) else {
                return Err(unknown_operation(state.object(object_id)?, operation));
            };
            let class = state.object(object_id)?.type_name.clone();
            // Module calls may be slow (a download): they run without the server's lock.
            drop(state);
            let module = &server.registry.modules()[module];
            let args = complex::untag(Json::Object(args));
            let value = module
                .invoke(&filter, operation, &args)
                .map_err(|err| RpcError::from_module(&err))?;
            let descriptor = &module.descriptor;
            Ok(match complex::return_type(descriptor, &class, operation) {
                Some(type_name) => complex::tag(value, type_name, descriptor, &descriptor.name),
                None => value,
            })
        }
    }
}

fn media_filter(state: &Store, id: &str) -> Option<(usize, gst::Element)> {
    state.object(id).ok()?.element()?.filter.clone()
}

fn unknown_operation(object: &Object, operation: &str) -> RpcError {
    RpcError::operation_not_found(format!("{} has no operation {operation}", object.type_name))
}

fn arg<'a>(args: &'a Map<String, Json>, name: &str) -> Result<&'a str, RpcError> {
    string_param(args, name)
}

fn dot(bin: &gst::Bin) -> String {
    bin.debug_to_dot_data(gst::DebugGraphDetails::all())
        .to_string()
}

/// Operations every object has; `None` when `operation` is not one of them.
fn media_object_op(
    state: &mut Store,
    id: &str,
    operation: &str,
    args: &Map<String, Json>,
) -> Result<Option<Json>, RpcError> {
    let object = state.object(id)?;
    let value = match operation {
        "getId" => json!(object.id),
        "getName" => json!(object.name),
        "getTags" => object.tags_json(),
        "getTag" => {
            let key = arg(args, "key")?;
            match object.tags.iter().find(|(known, _)| known == key) {
                Some((_, value)) => json!(value),
                None => return Err(RpcError::illegal_param(format!("no tag {key}"))),
            }
        }
        "getChildren" => json!(object.children),
        "getParent" => json!(object.parent),
        "getMediaPipeline" => json!(state.pipeline_of(id)),
        "getCreationTime" => json!(object.creation_time),
        "setName" => {
            let name = arg(args, "name")?.to_string();
            state.rename(id, &name)?;
            Json::Null
        }
        "addTag" => {
            let (key, value) = (
                arg(args, "key")?.to_string(),
                arg(args, "value")?.to_string(),
            );
            state.tag(id, &key, Some(&value))?;
            Json::Null
        }
        "removeTag" => {
            let key = arg(args, "key")?.to_string();
            state.tag(id, &key, None)?;
            Json::Null
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// ServerManager operations.
fn manager_op(
    server: &Server,
    state: &Store,
    operation: &str,
    args: &Map<String, Json>,
) -> Result<Json, RpcError> {
    match operation {
        "getInfo" => Ok(server_info(server)),
        "getPipelines" => {
            let mut pipelines: Vec<&str> = state
                .objects()
                .filter(|object| matches!(object.media, Media::Pipeline { .. }))
                .map(|object| object.id.as_str())
                .collect();
            pipelines.sort_unstable();
            Ok(json!(pipelines))
        }
        "getSessions" => Ok(json!(state.session_ids())),
        "getCpuCount" => Ok(json!(
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )),
        "getUsedMemory" => Ok(json!(used_memory_kib())),
        "getKmd" => {
            let name = arg(args, "moduleName")?;
            let module = server
                .registry
                .module(name)
                .map_err(|_| RpcError::kmd_not_found(format!("no module {name}")))?;
            Ok(json!(kmd::kurento_kmd(&module.descriptor).to_string()))
        }
        _ => Err(unknown_operation(state.object(MANAGER_ID)?, operation)),
    }
}

/// `getUsedCpu(interval)`: this process's CPU use over `interval` milliseconds (default
/// 1000, at most 10000), as a percentage of all the machine's cores.
fn used_cpu(args: &Map<String, Json>) -> Result<Json, RpcError> {
    let interval = match args.get("interval") {
        None | Some(Json::Null) => 1000,
        Some(value) => value
            .as_u64()
            .filter(|millis| (1..=10_000).contains(millis))
            .ok_or_else(|| {
                RpcError::illegal_param(format!(
                    "interval must be 1 to 10000 milliseconds, not {value}"
                ))
            })?,
    };
    let start = (std::time::Instant::now(), cpu_ticks());
    std::thread::sleep(std::time::Duration::from_millis(interval));
    let (elapsed, ticks) = (start.0.elapsed(), cpu_ticks().saturating_sub(start.1));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ).
    let busy = ticks as f64 / 100.0;
    Ok(json!(100.0 * busy / elapsed.as_secs_f64() / cores as f64))
}

/// User plus system CPU time of this process, in clock ticks, from `/proc/self/stat`.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name, which may hold spaces: utime and stime
    // are the 14th and 15th fields of the whole line.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum()
}

/// Resident memory of this process in KiB, as Kurento reports it.
fn used_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_default()
}

/// `ServerInfo`: the built-in Kurento modules, then every loaded module.
pub fn server_info(server: &Server) -> Json {
    // The Kurento release whose API the built-in modules implement: a version, where a
    // module's `kurentoVersion` is a requirement such as `^7.0.0`.
    let kurento_version = "7.3.0";
    let generation = server.started.to_string();
    let module_classes = |name: &str| -> Vec<String> {
        server
            .registry
            .classes()
            .filter(|(module, class)| module.descriptor.module_of(class) == name)
            .map(|(_, class)| class.name.clone())
            .collect()
    };
    let mut filters = module_classes("filters");
    filters.extend(
        endpoints::FILTER_FACTORIES
            .iter()
            .map(|name| name.to_string()),
    );
    filters.sort();
    let elements = [endpoints::FACTORIES, endpoints::HUB_FACTORIES].concat();
    let mut modules = vec![
        json!({"name": "core", "version": kurento_version, "generationTime": generation,
               "factories": ["MediaPipeline", "HubPort"]}),
        json!({"name": "elements", "version": kurento_version, "generationTime": generation,
               "factories": elements}),
        json!({"name": "filters", "version": kurento_version, "generationTime": generation,
               "factories": filters}),
    ];
    for module in server.registry.modules() {
        let name = &module.descriptor.name;
        if kmd::KURENTO_MODULES.contains(&name.as_str()) {
            continue;
        }
        let generation = std::fs::metadata(&module.path)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|elapsed| elapsed.as_secs().to_string())
            .unwrap_or_else(|| generation.clone());
        modules.push(json!({
            "name": name,
            "version": module.descriptor.version,
            "generationTime": generation,
            "factories": module_classes(name),
        }));
    }
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "modules": modules,
        "type": "KMS",
        "capabilities": ["transactions"],
    })
}

/// MediaElement and PlayerEndpoint operations; `None` when not one of them.
fn element_op(
    state: &mut Store,
    id: &str,
    operation: &str,
    args: &Map<String, Json>,
) -> Result<Option<Json>, RpcError> {
    let media = state
        .object(id)?
        .element()
        .ok_or_else(|| RpcError::internal("not an element"))?;
    let value = match operation {
        "connect" => {
            state.connect(id, arg(args, "sink")?, media_type(args)?)?;
            Json::Null
        }
        "disconnect" => {
            state.disconnect(id, arg(args, "sink")?, media_type(args)?)?;
            Json::Null
        }
        "getSourceConnections" => {
            let wanted = media_type(args)?;
            let sources: Vec<Json> = MediaKind::ALL
                .into_iter()
                .filter(|kind| wanted.is_none_or(|wanted| wanted == *kind))
                .filter_map(|kind| {
                    let (source, _) = media.port(kind).source.as_ref()?;
                    Some(connection(source, id, kind))
                })
                .collect();
            json!(sources)
        }
        "getSinkConnections" => {
            let wanted = media_type(args)?;
            let sinks: Vec<Json> = media
                .sinks
                .iter()
                .filter(|(_, kind)| wanted.is_none_or(|wanted| wanted == *kind))
                .map(|(sink, kind)| connection(id, sink, *kind))
                .collect();
            json!(sinks)
        }
        "getGstreamerDot" => json!(dot(&media.bin)),
        "isMediaFlowingIn" | "isMediaFlowingOut" => {
            let kind = media_type(args)?.unwrap_or(MediaKind::Video);
            let flow = &media.port(kind).flow;
            let side = if operation == "isMediaFlowingIn" {
                &flow.input
            } else {
                &flow.output
            };
            json!(side.is_flowing())
        }
        "getStats" => {
            media_type(args)?;
            element_stats(id, media)
        }
        "setVideoFormat" => {
            formats::set_video_format(media, args)?;
            Json::Null
        }
        "setAudioFormat" => {
            formats::set_audio_format(args)?;
            Json::Null
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// The optional `mediaType` argument: `AUDIO` or `VIDEO`, or `None` for both. `DATA` is
/// refused: this server carries no data channels between elements.
fn media_type(args: &Map<String, Json>) -> Result<Option<MediaKind>, RpcError> {
    match args.get("mediaType") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(name)) if MediaKind::from_name(name).is_some() => {
            Ok(MediaKind::from_name(name))
        }
        Some(other) => Err(RpcError::illegal_param(format!(
            "mediaType {other} is not carried between elements: use AUDIO or VIDEO"
        ))),
    }
}

/// `getStats`: Kurento's map of stats by id, here the element's own `ElementStats`.
fn element_stats(id: &str, media: &super::objects::ElementMedia) -> Json {
    super::stats::element_stats(id, media.filter.as_ref().map(|(_, filter)| filter))
}

fn connection(source: &str, sink: &str, kind: MediaKind) -> Json {
    json!({"source": source, "sink": sink, "type": kind.name(),
           "sourceDescription": "default", "sinkDescription": "default"})
}
