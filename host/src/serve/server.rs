//! The server: its loaded modules, the store behind one lock, and the life of sessions (grace
//! periods, shutdown). The protocol itself is in `protocol.rs`.

use super::clock::unix_seconds;
use super::endpoints::WebRtcDefaults;
use super::metrics::Census;
use super::objects::{Media, Object};
use super::session::{Outbox, Unconfirmed, new_uuid};
use super::store::{MANAGER_ID, Store, Teardown};
use crate::Registry;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
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
    /// How many of the first `unconfirmed` replies were written out before the latest look.
    written: usize,
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
            written: 0,
        }
    }

    /// Called when the connection is seen open with nothing more to read: the replies
    /// written out before the previous look were delivered as far as the server can tell,
    /// and a request reusing their ids is new. Replies written since may still meet a
    /// connection the client closed right after asking (its close not read yet).
    pub fn confirm(&mut self) {
        self.unconfirmed.drain(..self.written);
        self.written = 0;
    }

    /// Called once the replies sent so far are written out to the socket.
    pub fn written_out(&mut self) {
        self.written = self.unconfirmed.len();
    }

    /// Keeps `reply` until the connection is seen open after sending it.
    pub fn sent(&mut self, reply: Unconfirmed) {
        if self.unconfirmed.len() == UNCONFIRMED_REPLIES {
            self.unconfirmed.pop_front();
            self.written = self.written.saturating_sub(1);
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

    /// Called when `conn` closes: its unconfirmed replies are kept for a retry, and a session
    /// left without connections is released after the grace period unless a client takes it
    /// up again with `connect`.
    pub fn disconnected(self: &Arc<Self>, conn: &mut Connection) {
        if !conn.unconfirmed.is_empty() {
            let mut state = self.lock();
            conn.written = 0;
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
        census.filters = super::stats::filter_totals(state.objects().filter_map(|object| {
            Some((
                object.type_name.as_str(),
                &object.element()?.filter.as_ref()?.1,
            ))
        }));
        census
    }

    /// Unbinds connection `number` from `session`; a session left without connections is
    /// released after the grace period unless a client takes it up again.
    pub fn detach(self: &Arc<Self>, session: &str, number: u64) {
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

    /// The most objects one session may hold.
    pub fn max_objects(&self) -> usize {
        self.max_objects
    }

    /// A GStreamer name for a new element bin, unique in the process.
    pub fn gst_name(&self) -> String {
        format!("filmstrip-{}", self.names.fetch_add(1, Ordering::Relaxed))
    }
}
