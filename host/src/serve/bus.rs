//! A pipeline's bus thread: module events, endpoint events and errors become `onEvent`s for
//! the object they come from, media flow changes are reported, and the pipeline's latency
//! follows its live sources.

use super::complex;
use super::flow;
use super::objects::{self, Media, MediaKind, Object};
use super::rpc::RpcError;
use super::server::Server;
use filmstrip::EmittedEvent;
use gst::prelude::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often a pipeline's bus thread compares its elements' media flow with what was
/// reported, and lets their classes look at it.
const FLOW_CHECK: Duration = Duration::from_millis(250);

/// Starts the thread that watches `pipeline`'s bus for object `id` until `stop` is set.
pub fn watch(
    server: &Arc<Server>,
    pipeline: &gst::Pipeline,
    id: &str,
    stop: &Arc<AtomicBool>,
) -> Result<(), RpcError> {
    let bus = pipeline
        .bus()
        .ok_or_else(|| RpcError::internal("the pipeline has no bus"))?;
    let server = Arc::clone(server);
    let (stop, pipeline_id) = (Arc::clone(stop), id.to_string());
    let latency_of = pipeline.downgrade();
    std::thread::Builder::new()
        .name("filmstrip-bus".into())
        .spawn(move || {
            let mut flows_checked = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if let Some(message) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
                    // A live source joining (a WebRtcEndpoint) changes the latency every
                    // sink and RTP session must know to place packets in time.
                    if let gst::MessageView::Latency(_) = message.view()
                        && let Some(pipeline) = latency_of.upgrade()
                        && let Err(err) = pipeline.recalculate_latency()
                    {
                        tracing::debug!(%err, "cannot recalculate the pipeline latency");
                    }
                    on_message(&server, &pipeline_id, &message);
                }
                if flows_checked.elapsed() >= FLOW_CHECK {
                    flows_checked = Instant::now();
                    report_flows(&server, &pipeline_id);
                }
            }
        })
        .map_err(|err| RpcError::internal(format!("cannot start a bus thread: {err}")))?;
    Ok(())
}

/// Turns module events, player ends and errors of pipeline `pipeline_id` into `onEvent`s.
fn on_message(server: &Server, pipeline_id: &str, message: &gst::Message) {
    let (event_type, fields) = if let Some(event) = EmittedEvent::from_message(message) {
        let fields = match server.registry.class(&event.source) {
            Ok((module, _)) => {
                let descriptor = &module.descriptor;
                complex::tag_event(
                    event.fields,
                    &event.event_type,
                    descriptor,
                    &descriptor.name,
                )
            }
            Err(_) => event.fields,
        };
        (event.event_type, fields)
    } else if let Some(posted) = objects::posted_event(message) {
        posted
    } else {
        match message.view() {
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
    let state = server.lock();
    let object = state
        .route(message.src())
        .unwrap_or_else(|| pipeline_id.to_string());
    state.dispatch(&object, &event_type, &fields);
    if event_type == "Error" && object != pipeline_id {
        state.dispatch(pipeline_id, &event_type, &fields);
    }
}

/// Lets the class of each element of `pipeline_id` look at its media (`Behaviour::tick`)
/// and raises `MediaFlowIn/OutStateChanged` where the flow changed since the last report.
fn report_flows(server: &Server, pipeline_id: &str) {
    let state = server.lock();
    let Ok(pipeline) = state.object(pipeline_id) else {
        return;
    };
    // A hub's ports are its children, not the pipeline's.
    let hub_ports = pipeline.children.iter().filter_map(|child| {
        let hub = state.object(child).ok()?;
        matches!(hub.media, Media::Hub(_)).then_some(&hub.children)
    });
    for child in pipeline.children.iter().chain(hub_ports.flatten()) {
        let Some(media) = state.object(child).ok().and_then(Object::element) else {
            continue;
        };
        if let Some(behaviour) = &media.behaviour {
            behaviour.tick(media);
        }
        for kind in MediaKind::ALL {
            let flow = &media.port(kind).flow;
            let sides = [
                ("MediaFlowInStateChanged", &flow.input),
                ("MediaFlowOutStateChanged", &flow.output),
            ];
            for (event_type, side) in sides {
                if let Some(flowing) = side.change() {
                    let fields = flow::event_fields(flowing, kind.name());
                    state.dispatch(child, event_type, &fields);
                }
            }
        }
    }
}
