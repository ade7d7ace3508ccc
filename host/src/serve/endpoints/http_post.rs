//! `HttpPostEndpoint(mediaPipeline, disconnectionTimeout=2, useEncodedMedia=false)`: a media
//! stream a client POSTs to the endpoint's URL (`getUrl`), demuxed and decoded into the
//! element's audio and video.
//!
//! The bin is `appsrc ! decodebin`, then the decoding half the player has (with
//! `useEncodedMedia`, `appsrc ! parsebin` and the streams as they are for the elements that
//! take encoded media, decoded for the others: see [`encoded_ports`]), paced on the pipeline clock from the first POST as KMS's own endpoint
//! is. The HTTP side (`serve/http.rs`) finds the endpoint by its URL path in this process's
//! table of [`Intake`]s and feeds the body through [`Intake::push`]; the appsrc holds at
//! most [`QUEUED`] bytes, so a client uploads as fast as the media plays.
//!
//! As on KMS, the body's end ends the stream (`EndOfStream` once the last frame left), and
//! the URL answers for `disconnectionTimeout` seconds more, then 404. A connection lost
//! before the body's end leaves the stream waiting that long for a POST that carries on
//! with the rest; without one, the stream ends there.

use super::super::objects::{
    Behaviour, ElementMedia, MediaKind, Outcome, make, output_tee, post_error, post_event,
};
use super::super::rpc::RpcError;
use super::super::session::new_uuid;
use super::player::{Decoding, start_paced};
use anyhow::Context;
use gst::prelude::*;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The endpoint's own events, its `SessionEndpoint` ones included.
pub const EVENTS: &[&str] = &[
    "EndOfStream",
    "MediaSessionStarted",
    "MediaSessionTerminated",
];

/// KMS's default `disconnectionTimeout`, in seconds.
const DISCONNECTION_TIMEOUT: u64 = 2;

/// Most bytes of a body waiting to be demuxed: the client's upload waits beyond it.
const QUEUED: u64 = 1 << 20;

/// How long the queued bytes may stay untouched before the stream counts as stuck (its
/// decoder failed on a damaged body): the upload is then refused.
const STALL: Duration = Duration::from_secs(5);

/// Where the HTTP side listens, `http://ADDRESS:PORT`, once it does.
static BASE_URL: OnceLock<String> = OnceLock::new();

/// The endpoints that take uploads, by their URL path without its slash.
static INTAKES: Mutex<Option<HashMap<String, Arc<Intake>>>> = Mutex::new(None);

fn intakes() -> MutexGuard<'static, Option<HashMap<String, Arc<Intake>>>> {
    INTAKES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records where the HTTP side listens, which every endpoint's URL starts with.
pub fn set_base_url(url: String) {
    if BASE_URL.set(url).is_err() {
        tracing::warn!("the HTTP endpoint address was set twice; the first one stays");
    }
}

/// The endpoint whose URL path is `path` (with its leading slash), if it takes uploads.
pub fn intake(path: &str) -> Option<Arc<Intake>> {
    let key = path.strip_prefix('/')?;
    intakes().as_ref()?.get(key).cloned()
}

/// Where an endpoint's stream is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    /// No POST yet.
    Waiting,
    /// A POST's body is being read.
    Receiving,
    /// The connection of a POST was lost before its body's end: the next POST carries on.
    Interrupted,
    /// The stream has ended (or the endpoint was released): no more media comes in.
    Ended,
}

/// Why an upload is refused before its body is read.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Another POST is feeding the endpoint.
    Busy,
    /// The stream has ended.
    Ended,
}

/// Why feeding a body stopped.
#[derive(Debug)]
pub enum Stuck {
    /// The endpoint was released, or its stream ended meanwhile.
    Gone,
    /// Nothing was taken from the queue for [`STALL`]: the decoder has failed.
    Stalled,
}

/// One endpoint's side of uploads: its source, its phase and its timers.
pub struct Intake {
    key: String,
    appsrc: gst::Element,
    bin: gst::glib::WeakRef<gst::Bin>,
    /// Pace the output on the pipeline clock.
    clocksyncs: Vec<gst::Element>,
    timeout: Duration,
    /// The phase, and a count of its changes that lets a timer know whether it is stale.
    phase: Mutex<(Phase, u64)>,
}

impl Intake {
    fn lock(&self) -> MutexGuard<'_, (Phase, u64)> {
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, phase: &mut (Phase, u64), next: Phase) {
        phase.0 = next;
        phase.1 += 1;
    }

    /// Claims the endpoint for a POST; the first one starts the stream (and gets `true`),
    /// a later one carries on with it.
    pub fn begin(&self) -> Result<bool, Refusal> {
        let mut phase = self.lock();
        let first = match phase.0 {
            Phase::Receiving => return Err(Refusal::Busy),
            Phase::Ended => return Err(Refusal::Ended),
            Phase::Waiting => true,
            Phase::Interrupted => false,
        };
        self.set(&mut phase, Phase::Receiving);
        drop(phase);
        if first && let Some(bin) = self.bin.upgrade() {
            start_paced(&bin, &self.clocksyncs, gst::ClockTime::ZERO);
            post_event(&bin, "MediaSessionStarted", &Map::new());
        }
        Ok(first)
    }

    /// Queues `bytes` of the body, waiting while the queue is full.
    pub fn push(&self, bytes: &[u8]) -> Result<(), Stuck> {
        let mut level = self.queued();
        let mut since = Instant::now();
        while level >= QUEUED {
            if self.lock().0 != Phase::Receiving {
                return Err(Stuck::Gone);
            }
            if since.elapsed() > STALL {
                return Err(Stuck::Stalled);
            }
            std::thread::sleep(Duration::from_millis(5));
            let now = self.queued();
            if now < level {
                since = Instant::now();
            }
            level = now;
        }
        if self.lock().0 != Phase::Receiving {
            return Err(Stuck::Gone);
        }
        let flow = self.appsrc.emit_by_name::<gst::FlowReturn>(
            "push-buffer",
            &[&gst::Buffer::from_slice(bytes.to_vec())],
        );
        match flow {
            gst::FlowReturn::Ok => Ok(()),
            _ => Err(Stuck::Gone),
        }
    }

    fn queued(&self) -> u64 {
        self.appsrc.property::<u64>("current-level-bytes")
    }

    /// The body has ended: so does the stream, and the URL answers `disconnectionTimeout`
    /// seconds more.
    pub fn finish(self: &Arc<Self>) {
        let mut phase = self.lock();
        if phase.0 != Phase::Receiving {
            return;
        }
        self.set(&mut phase, Phase::Ended);
        drop(phase);
        self.end_of_stream();
        self.expire_later(None);
    }

    /// The connection was lost before the body's end, or the body could not be used: a
    /// POST within `disconnectionTimeout` seconds carries on, else the stream ends.
    pub fn interrupt(self: &Arc<Self>) {
        let mut phase = self.lock();
        if phase.0 != Phase::Receiving {
            return;
        }
        self.set(&mut phase, Phase::Interrupted);
        let generation = phase.1;
        drop(phase);
        self.expire_later(Some(generation));
    }

    /// Ends the stream for good after a body that cannot be decoded, saying why.
    pub fn fail(self: &Arc<Self>, description: &str) {
        let mut phase = self.lock();
        let was = phase.0;
        self.set(&mut phase, Phase::Ended);
        drop(phase);
        if let Some(bin) = self.bin.upgrade() {
            post_error(&bin, description);
        }
        if was != Phase::Ended {
            self.end_of_stream();
            self.expire_later(None);
        }
    }

    fn end_of_stream(&self) {
        let flow = self
            .appsrc
            .emit_by_name::<gst::FlowReturn>("end-of-stream", &[]);
        if flow != gst::FlowReturn::Ok {
            tracing::debug!(?flow, "the uploaded stream could not end: it had stopped");
        }
    }

    /// After `disconnectionTimeout` the URL is gone (`MediaSessionTerminated`); when the
    /// change numbered `interrupted` is still the latest, the interrupted stream ends first.
    fn expire_later(self: &Arc<Self>, interrupted: Option<u64>) {
        let intake = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("filmstrip-http-expiry".into())
            .spawn(move || {
                std::thread::sleep(intake.timeout);
                if let Some(generation) = interrupted {
                    let mut phase = intake.lock();
                    if phase.1 != generation {
                        return;
                    }
                    intake.set(&mut phase, Phase::Ended);
                    drop(phase);
                    intake.end_of_stream();
                }
                intake.unregister();
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start an upload timer: the URL stays until release");
        }
    }

    /// Takes the URL away; `MediaSessionTerminated` once.
    fn unregister(&self) {
        let removed = intakes()
            .as_mut()
            .and_then(|table| table.remove(&self.key))
            .is_some();
        if removed && let Some(bin) = self.bin.upgrade() {
            post_event(&bin, "MediaSessionTerminated", &Map::new());
        }
    }
}

/// An `HttpPostEndpoint`'s own parts.
pub struct HttpPost {
    url: String,
    intake: Arc<Intake>,
}

/// Creates an endpoint from `{disconnectionTimeout?, useEncodedMedia?}` and gives it a URL.
pub fn create(name: &str, params: &Map<String, Json>) -> Result<ElementMedia, RpcError> {
    let base = BASE_URL.get().ok_or_else(|| {
        RpcError::unexpected("the HTTP endpoint server is not listening (see --http-port)")
    })?;
    let timeout = match params.get("disconnectionTimeout") {
        None | Some(Json::Null) => DISCONNECTION_TIMEOUT,
        Some(value) => value.as_u64().filter(|s| *s <= 86_400).ok_or_else(|| {
            RpcError::illegal_param(format!(
                "disconnectionTimeout must be 0 to 86400 seconds, not {value}"
            ))
        })?,
    };
    let encoded = match params.get("useEncodedMedia") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(value)) => *value,
        Some(other) => {
            return Err(RpcError::illegal_param(format!(
                "useEncodedMedia must be a boolean, not {other}"
            )));
        }
    };
    let key = new_uuid();
    let (media, intake) = build(name, &key, Duration::from_secs(timeout), encoded)
        .map_err(|err| RpcError::unexpected(format!("{err:#}")))?;
    intakes()
        .get_or_insert_with(HashMap::new)
        .insert(key.clone(), Arc::clone(&intake));
    let mut media = media;
    media.behaviour = Some(Box::new(HttpPost {
        url: format!("{base}/{key}"),
        intake,
    }));
    Ok(media)
}

fn build(
    name: &str,
    key: &str,
    timeout: Duration,
    encoded: bool,
) -> anyhow::Result<(ElementMedia, Arc<Intake>)> {
    let appsrc = gst::ElementFactory::make("appsrc")
        .property("max-bytes", QUEUED)
        .property("block", false)
        .build()
        .context("GStreamer element appsrc is missing")?;
    let (media, clocksyncs) = if encoded {
        encoded_ports(name, &appsrc)?
    } else {
        let decoder = make("decodebin")?;
        let decoding = Decoding::new(name, std::slice::from_ref(&decoder))?;
        decoding.media.bin.add(&appsrc)?;
        appsrc.link(&decoder)?;
        (decoding.media, decoding.clocksyncs.to_vec())
    };
    let intake = Arc::new(Intake {
        key: key.to_string(),
        appsrc,
        bin: media.bin.downgrade(),
        clocksyncs,
        timeout,
        phase: Mutex::new((Phase::Waiting, 0)),
    });
    Ok((media, intake))
}

/// With `useEncodedMedia`: `appsrc ! parsebin`, each stream paced as it is (`clocksync`)
/// into an encoded tee, which the elements taking encoded media (recorders, WebRtcEndpoints)
/// are fed from without a decode and an encode; a branch of it is decoded into the raw
/// port, for the others. The element and every clocksync to pace.
fn encoded_ports(
    name: &str,
    appsrc: &gst::Element,
) -> anyhow::Result<(ElementMedia, Vec<gst::Element>)> {
    let parser = make("parsebin")?;
    let decoders = [make("decodebin")?, make("decodebin")?];
    let Decoding {
        mut media,
        clocksyncs,
        ..
    } = Decoding::new(name, &decoders)?;
    media.bin.add_many([appsrc, &parser])?;
    appsrc.link(&parser)?;
    let mut paced = clocksyncs.to_vec();
    let mut entries = Vec::new();
    for (kind, decoder) in MediaKind::ALL.into_iter().zip(&decoders) {
        let clock = make("clocksync")?;
        let queue = make("queue")?;
        media.bin.add_many([&clock, &queue])?;
        let tee = output_tee(&media.bin)?;
        gst::Element::link_many([&clock, &tee, &queue, decoder])?;
        media.port_mut(kind).encoded = Some(tee);
        let entry = clock.static_pad("sink").context("clocksync without sink")?;
        entries.push((kind, entry.downgrade()));
        paced.push(clock);
    }
    parser.connect_pad_added(move |_, pad| {
        let kind = pad
            .current_caps()
            .or_else(|| Some(pad.query_caps(None)))
            .and_then(|caps| MediaKind::of_caps(&caps));
        let entry = entries
            .iter()
            .find(|(known, _)| Some(*known) == kind)
            .and_then(|(_, entry)| entry.upgrade());
        // A second stream of a kind is left out, as when decoding.
        if let Some(entry) = entry.filter(|entry| !entry.is_linked())
            && let Err(err) = pad.link(&entry)
        {
            tracing::warn!(?err, "cannot link a parsed stream");
        }
    });
    Ok((media, paced))
}

impl Behaviour for HttpPost {
    /// `getUrl`: empty once the URL was taken away, as on KMS.
    fn operation(
        &self,
        _media: &ElementMedia,
        operation: &str,
        _args: &Map<String, Json>,
    ) -> Option<Result<Outcome, RpcError>> {
        match operation {
            "getUrl" => {
                let registered = intakes()
                    .as_ref()
                    .is_some_and(|table| table.contains_key(&self.intake.key));
                let url = if registered { self.url.as_str() } else { "" };
                Some(Ok(Outcome::Value(json!(url))))
            }
            _ => None,
        }
    }

    /// A released endpoint's URL answers 404 at once, and an upload in progress stops.
    fn finish(&self) {
        let mut phase = self.intake.lock();
        self.intake.set(&mut phase, Phase::Ended);
        drop(phase);
        if let Some(table) = intakes().as_mut() {
            table.remove(&self.intake.key);
        }
    }
}
