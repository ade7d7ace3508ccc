//! `Dispatcher(mediaPipeline)`: `connect(source, sink)` makes port `sink` give out what
//! enters port `source`, audio and video; a port nobody routes to gives out nothing.

use super::super::super::objects::MediaKind;
use super::super::super::rpc::RpcError;
use super::link::Link;
use super::port::PortPads;
use super::{Ports, Router};
use anyhow::Result;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What each port gives out: the source port's number and the links, by sink port.
#[derive(Default)]
pub struct Dispatcher {
    routes: BTreeMap<u32, (u32, Vec<Link>)>,
}

/// Links what enters `from` to what `to` gives out, audio and video.
pub fn route(from: &PortPads, to: &PortPads) -> Result<Vec<Link>> {
    MediaKind::ALL
        .into_iter()
        .map(|kind| Link::new(&from.input(kind)?, to.output(kind)))
        .collect()
}

/// A routing failure as KMS reports it.
pub fn cannot_route(err: anyhow::Error) -> RpcError {
    RpcError::connect_error(format!("cannot connect the ports: {err:#}"))
}

impl Router for Dispatcher {
    fn join(&mut self, _port: &Arc<PortPads>, _others: &Ports) -> Result<()> {
        Ok(())
    }

    fn leave(&mut self, number: u32) {
        self.routes.remove(&number);
        self.routes.retain(|_, (source, _)| *source != number);
    }

    /// `connect(source, sink)`.
    fn operation(
        &mut self,
        operation: &str,
        args: &Map<String, Json>,
        ports: &Ports,
    ) -> Option<Result<Json, RpcError>> {
        if operation != "connect" {
            return None;
        }
        let connected = ports.arg(args, "source").and_then(|source| {
            let sink = ports.arg(args, "sink")?;
            // The sink's output takes one feed: the old route goes before the new one.
            self.routes.remove(&sink.number);
            let links = route(&source, &sink).map_err(cannot_route)?;
            self.routes.insert(sink.number, (source.number, links));
            Ok(Json::Null)
        });
        Some(connected)
    }
}
