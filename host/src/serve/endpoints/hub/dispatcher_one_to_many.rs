//! `DispatcherOneToMany(mediaPipeline)`: `setSource(source)` makes every port, the source
//! included, give out what enters the source port; `removeSource()` stops it. Ports made
//! later get the source too; a released source leaves every port without media.

use super::super::super::rpc::RpcError;
use super::dispatcher::{cannot_route, route};
use super::link::Link;
use super::port::PortPads;
use super::{Ports, Router};
use anyhow::Result;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The source port and its links to each port.
#[derive(Default)]
pub struct OneToMany {
    source: Option<Arc<PortPads>>,
    routes: BTreeMap<u32, Vec<Link>>,
}

impl OneToMany {
    fn remove_source(&mut self) {
        self.routes.clear();
        self.source = None;
    }
}

impl Router for OneToMany {
    fn join(&mut self, port: &Arc<PortPads>, _others: &Ports) -> Result<()> {
        if let Some(source) = &self.source {
            self.routes.insert(port.number, route(source, port)?);
        }
        Ok(())
    }

    fn leave(&mut self, number: u32) {
        if self
            .source
            .as_ref()
            .is_some_and(|source| source.number == number)
        {
            self.remove_source();
        } else {
            self.routes.remove(&number);
        }
    }

    /// `setSource(source)`, `removeSource()`.
    fn operation(
        &mut self,
        operation: &str,
        args: &Map<String, Json>,
        ports: &Ports,
    ) -> Option<Result<Json, RpcError>> {
        let done = match operation {
            "setSource" => ports.arg(args, "source").and_then(|source| {
                self.remove_source();
                for port in ports.all() {
                    let links = route(&source, port).map_err(cannot_route)?;
                    self.routes.insert(port.number, links);
                }
                self.source = Some(source);
                Ok(Json::Null)
            }),
            "removeSource" => {
                self.remove_source();
                Ok(Json::Null)
            }
            _ => return None,
        };
        Some(done)
    }
}
