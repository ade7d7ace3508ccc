//! Kurento's hubs: `Composite`, `Dispatcher`, `DispatcherOneToMany` and `AlphaBlending`, and
//! their `HubPort`s.
//!
//! A hub is a media object, not an element: its bin in the pipeline holds what mixes (a
//! compositor, audio mixers), and clients reach it through `HubPort` elements, its children.
//! Ports join and leave while media flows; each class decides what each port gives out
//! (a [`Router`]): the grid of every input, one port's media, a blend.

mod alpha_blending;
mod composite;
mod dispatcher;
mod dispatcher_one_to_many;
mod link;
mod mix;
mod port;
mod retime;

use super::super::objects::{ElementMedia, HubBehaviour, HubMedia};
use super::super::rpc::{RpcError, string_param};
use anyhow::Result;
use gst::prelude::*;
use port::PortPads;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// The hub classes `create` knows, listed in the `elements` module.
pub const FACTORIES: &[&str] = &[
    "AlphaBlending",
    "Composite",
    "Dispatcher",
    "DispatcherOneToMany",
];

/// Creates hub class `type_name` as bin `name`: its parent classes, nearest first, and its
/// media. `None` for other classes.
pub fn create(
    type_name: &str,
    name: &str,
) -> Option<Result<(Vec<&'static str>, HubMedia), RpcError>> {
    let bin = gst::Bin::builder().name(name).build();
    let router: Result<Box<dyn Router>> = match type_name {
        "Composite" => composite::Composite::new(&bin).map(|r| Box::new(r) as Box<dyn Router>),
        "AlphaBlending" => {
            alpha_blending::AlphaBlending::new(&bin).map(|r| Box::new(r) as Box<dyn Router>)
        }
        "Dispatcher" => Ok(Box::new(dispatcher::Dispatcher::default())),
        "DispatcherOneToMany" => Ok(Box::new(dispatcher_one_to_many::OneToMany::default())),
        _ => return None,
    };
    let created = router
        .map(|router| {
            let hub = Arc::new(Shared {
                bin: bin.clone(),
                state: Mutex::new(State {
                    next: 0,
                    ports: BTreeMap::new(),
                    router,
                }),
            });
            let media = HubMedia {
                bin,
                behaviour: Arc::new(Hub(hub)),
            };
            (vec!["kurento.Hub", "kurento.MediaObject"], media)
        })
        .map_err(|err| RpcError::unexpected(format!("cannot create {type_name}: {err:#}")));
    Some(created)
}

/// What a hub class does with its ports' media; called with the hub's state locked.
trait Router: Send {
    /// Port `port` joins; `others` are the ports already there.
    fn join(&mut self, port: &Arc<PortPads>, others: &Ports) -> Result<()>;

    /// Port `number` leaves: whatever linked it goes.
    fn leave(&mut self, number: u32);

    /// The video entering port `number` has this size (its first caps, or new ones).
    fn video_caps(&mut self, _number: u32, _size: (i32, i32)) {}

    /// The class's own `operation`; `None` when it has none of that name.
    fn operation(
        &mut self,
        _operation: &str,
        _args: &Map<String, Json>,
        _ports: &Ports,
    ) -> Option<Result<Json, RpcError>> {
        None
    }
}

/// A hub's ports, and how the ids its operations are given lead to them.
struct Ports<'a> {
    map: &'a BTreeMap<u32, Arc<PortPads>>,
    /// The bin of the `HubPort` an id names, or why it is not one of this hub's.
    resolve: &'a dyn Fn(&str) -> Result<gst::Bin, RpcError>,
}

impl Ports<'_> {
    /// Every port.
    fn all(&self) -> impl Iterator<Item = &Arc<PortPads>> {
        self.map.values()
    }

    /// The port the `HubPort` id in argument `name` names. kurento-client 7.3 sends a port
    /// made by `createHubPort` as the object itself (`{"id": ..., "_events": ...}`, as it
    /// fails its own `instanceof MediaObject` test), so an object's `id` names it too.
    fn arg(&self, args: &Map<String, Json>, name: &str) -> Result<Arc<PortPads>, RpcError> {
        let id = match args.get(name) {
            Some(Json::Object(object)) => string_param(object, "id").map_err(|_| {
                RpcError::invalid_params(format!("parameter {name} must be a HubPort id"))
            })?,
            _ => string_param(args, name)?,
        };
        let bin = (self.resolve)(id)?;
        self.all()
            .find(|port| port.bin == bin)
            .cloned()
            .ok_or_else(|| RpcError::connect_error(format!("{id} has left its hub")))
    }
}

/// A hub: its bin and state, shared with its ports' probes and releases.
struct Hub(Arc<Shared>);

struct Shared {
    bin: gst::Bin,
    state: Mutex<State>,
}

struct State {
    /// The next port's number.
    next: u32,
    ports: BTreeMap<u32, Arc<PortPads>>,
    router: Box<dyn Router>,
}

/// Refuses every port id: for the router calls that name none.
fn no_ids(id: &str) -> Result<gst::Bin, RpcError> {
    Err(RpcError::internal(format!("{id} is not looked up here")))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn leave(&self, number: u32) {
        let mut state = self.lock();
        let port = state.ports.remove(&number);
        state.router.leave(number);
        if let Some(port) = port {
            port.remove_outputs(&self.bin);
        }
    }

    fn video_caps(&self, number: u32, size: (i32, i32)) {
        let mut state = self.lock();
        if state.ports.contains_key(&number) {
            state.router.video_caps(number, size);
        }
    }
}

impl HubBehaviour for Hub {
    fn add_port(&self, name: &str) -> Result<ElementMedia, RpcError> {
        let unexpected = |err: anyhow::Error| RpcError::unexpected(format!("{err:#}"));
        let number = {
            let mut state = self.0.lock();
            state.next += 1;
            state.next
        };
        let pipeline = self
            .0
            .bin
            .parent()
            .and_downcast::<gst::Bin>()
            .ok_or_else(|| RpcError::object_not_found("the hub was released meanwhile"))?;
        let (mut media, pads) = port::build(name, number, &self.0.bin).map_err(unexpected)?;
        if let Err(err) = pipeline.add(&media.bin) {
            pads.remove_outputs(&self.0.bin);
            return Err(RpcError::unexpected(format!("cannot add the port: {err}")));
        }
        if let Err(err) = media.bin.sync_state_with_parent() {
            tracing::warn!(%err, "a new hub port did not start with its pipeline");
        }
        let pads = Arc::new(pads);
        watch_video_size(&pads, Arc::downgrade(&self.0));
        let joined = {
            let mut state = self.0.lock();
            let State { ports, router, .. } = &mut *state;
            let others = Ports {
                map: ports,
                resolve: &no_ids,
            };
            let joined = router.join(&pads, &others);
            if joined.is_ok() {
                ports.insert(number, Arc::clone(&pads));
            }
            joined
        };
        if let Err(err) = joined {
            self.0.lock().router.leave(number);
            pads.remove_outputs(&self.0.bin);
            if let Err(error) = media.bin.set_state(gst::State::Null) {
                tracing::warn!(%error, "a refused hub port did not stop");
            }
            let _removed = pipeline.remove(&media.bin);
            return Err(unexpected(err));
        }
        let hub = Arc::downgrade(&self.0);
        media.behaviour = Some(Box::new(port::HubPort {
            leave: Box::new(move || {
                if let Some(hub) = hub.upgrade() {
                    hub.leave(number);
                }
            }),
        }));
        Ok(media)
    }

    fn operation(
        &self,
        operation: &str,
        args: &Map<String, Json>,
        port: &dyn Fn(&str) -> Result<gst::Bin, RpcError>,
    ) -> Option<Result<Json, RpcError>> {
        let mut state = self.0.lock();
        let State { ports, router, .. } = &mut *state;
        let ports = Ports {
            map: ports,
            resolve: port,
        };
        router.operation(operation, args, &ports)
    }
}

/// Tells the hub the size of the video entering `port`, each time its caps come.
fn watch_video_size(port: &PortPads, hub: Weak<Shared>) {
    let Some(pad) = port.input_sink(super::super::objects::MediaKind::Video) else {
        return;
    };
    let number = port.number;
    pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        let size = match info.event().map(|event| event.view()) {
            Some(gst::EventView::Caps(caps)) => caps
                .caps()
                .structure(0)
                .and_then(|s| Some((s.get::<i32>("width").ok()?, s.get::<i32>("height").ok()?))),
            _ => None,
        };
        if let (Some(size), Some(hub)) = (size, hub.upgrade()) {
            hub.video_caps(number, size);
        }
        gst::PadProbeReturn::Ok
    });
}

/// A number argument (`relativeX`, a `float` on KMS).
fn number_arg(args: &Map<String, Json>, name: &str) -> Result<f64, RpcError> {
    match args.get(name) {
        Some(Json::Number(value)) => value
            .as_f64()
            .ok_or_else(|| RpcError::invalid_params(format!("parameter {name} must be a number"))),
        Some(_) => Err(RpcError::invalid_params(format!(
            "parameter {name} must be a number"
        ))),
        None => Err(RpcError::invalid_params(format!(
            "missing parameter {name}"
        ))),
    }
}

/// A z-order argument: an `int` on KMS, here at least 0 (lower is further back).
fn z_order_arg(args: &Map<String, Json>, name: &str) -> Result<u32, RpcError> {
    match args.get(name) {
        Some(Json::Number(value)) if value.is_i64() || value.is_u64() => value
            .as_u64()
            .and_then(|z| u32::try_from(z).ok())
            .ok_or_else(|| {
                RpcError::illegal_param(format!("{name} must be 0 or more, not {value}"))
            }),
        Some(_) => Err(RpcError::invalid_params(format!(
            "parameter {name} must be an integer"
        ))),
        None => Err(RpcError::invalid_params(format!(
            "missing parameter {name}"
        ))),
    }
}
