//! Client sessions, the outboxes of their connections, and the ids the server hands out.

use super::metrics::metrics;
use rustix::event::{EventfdFlags, eventfd};
use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{SystemTime, UNIX_EPOCH};

/// How many unconfirmed replies a session keeps, to replay one to a retried request.
const REMEMBERED_REPLIES: usize = 64;

/// The notifications waiting for one connection, bounded in bytes: a client that does not
/// read must not make the server hold every event for it.
#[derive(Clone)]
pub struct Outbox {
    sender: Sender<String>,
    shared: Arc<OutboxState>,
}

struct OutboxState {
    /// Signalled on every notification queued: the connection waits on it with its socket.
    waker: OwnedFd,
    /// Bytes queued and not yet taken by the connection.
    queued: AtomicUsize,
    /// The most bytes that may be queued.
    limit: usize,
    /// Set when a notification did not fit: the connection then closes.
    overflowed: AtomicBool,
}

/// The connection's end of its [`Outbox`].
pub struct Inbox {
    receiver: Receiver<String>,
    shared: Arc<OutboxState>,
}

impl Outbox {
    /// An outbox holding at most `limit` bytes, and its receiving end; fails when no
    /// file descriptor is left for its waker.
    pub fn new(limit: usize) -> std::io::Result<(Self, Inbox)> {
        let waker = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(OutboxState {
            waker,
            queued: AtomicUsize::new(0),
            limit,
            overflowed: AtomicBool::new(false),
        });
        let inbox = Inbox {
            receiver,
            shared: Arc::clone(&shared),
        };
        Ok((Self { sender, shared }, inbox))
    }

    /// Wakes the connection.
    fn wake(&self) {
        // A counter already at its maximum has woken the connection anyway.
        if let Err(error) = rustix::io::write(&self.shared.waker, &1u64.to_ne_bytes())
            && error != rustix::io::Errno::AGAIN
        {
            tracing::warn!(%error, "cannot wake a connection for its notification");
        }
    }

    /// Queues `text`; when it does not fit, or the connection is gone, it is dropped (and
    /// counted) and a full outbox marks its connection as too slow.
    pub fn push(&self, text: &str) {
        let state = &self.shared;
        let queued = state.queued.fetch_add(text.len(), Ordering::AcqRel) + text.len();
        if queued > state.limit || state.overflowed.load(Ordering::Acquire) {
            state.queued.fetch_sub(text.len(), Ordering::AcqRel);
            if !state.overflowed.swap(true, Ordering::AcqRel) {
                tracing::warn!(
                    limit = state.limit,
                    "a client does not read its notifications: closing its connection"
                );
            }
            metrics().event_dropped();
            self.wake();
            return;
        }
        if self.sender.send(text.to_string()).is_err() {
            // The connection ended between its detachment and this event.
            state.queued.fetch_sub(text.len(), Ordering::AcqRel);
            metrics().event_dropped();
            return;
        }
        self.wake();
    }
}

impl Inbox {
    /// What becomes readable when a notification is queued, to wait on with the socket.
    pub fn waker(&self) -> BorrowedFd<'_> {
        self.shared.waker.as_fd()
    }

    /// Takes the wake-up signal; the notifications are then read with [`Inbox::next`].
    pub fn clear_wake(&self) {
        let mut counter = [0u8; 8];
        if let Err(error) = rustix::io::read(&self.shared.waker, &mut counter)
            && error != rustix::io::Errno::AGAIN
        {
            tracing::warn!(%error, "cannot read a connection's wake-up signal");
        }
    }

    /// The next queued notification, if any.
    pub fn next(&self) -> Option<String> {
        let text = self.receiver.try_recv().ok()?;
        self.shared.queued.fetch_sub(text.len(), Ordering::AcqRel);
        Some(text)
    }

    /// Whether a notification did not fit: the client is not reading.
    pub fn overflowed(&self) -> bool {
        self.shared.overflowed.load(Ordering::Acquire)
    }
}

/// A successful reply that may not have reached its client: the request (id, method and
/// parameters) and the reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Unconfirmed {
    /// The session the request was made in.
    pub session: String,
    /// The request id, as JSON text.
    pub id: String,
    /// The method and parameters, as text.
    pub request: String,
    /// The reply sent.
    pub reply: String,
}

/// One client session: it outlives its WebSocket connections, so a client can reconnect.
#[derive(Default)]
pub struct Session {
    /// The outboxes of the connections bound to the session, by connection number, the
    /// latest last: notifications go to the latest.
    outboxes: Vec<(u64, Outbox)>,
    /// Counts the times the session lost its last connection, so that a release scheduled
    /// then can tell whether the session was taken up again meanwhile.
    detachments: u64,
    /// Successful replies whose connection closed before it was seen open after answering:
    /// a client that reconnects and retries one gets it again rather than a second effect.
    undelivered: VecDeque<Unconfirmed>,
}

impl Session {
    /// Queues `text` for the session's latest connection; without one it is dropped.
    pub fn notify(&self, text: &str) {
        match self.outboxes.last() {
            Some((_, outbox)) => outbox.push(text),
            None => metrics().event_dropped(),
        }
    }

    /// Binds connection `number` to the session, as its latest.
    pub fn attach(&mut self, number: u64, outbox: &Outbox) {
        if self
            .outboxes
            .last()
            .is_some_and(|(last, _)| *last == number)
        {
            return;
        }
        self.outboxes.retain(|(known, _)| *known != number);
        self.outboxes.push((number, outbox.clone()));
    }

    /// Unbinds connection `number`; when it was the last one, returns the detachment count
    /// that a later release must still find for the session to be released.
    pub fn detach(&mut self, number: u64) -> Option<u64> {
        let before = self.outboxes.len();
        self.outboxes.retain(|(known, _)| *known != number);
        if before == self.outboxes.len() || !self.outboxes.is_empty() {
            return None;
        }
        self.detachments += 1;
        Some(self.detachments)
    }

    /// Whether the session is still detached since detachment `count`.
    pub fn still_detached(&self, count: u64) -> bool {
        self.outboxes.is_empty() && self.detachments == count
    }

    /// Takes the undelivered reply to the same request (same id, method and parameters).
    pub fn replay(&mut self, id: &str, request: &str) -> Option<Unconfirmed> {
        let index = self
            .undelivered
            .iter()
            .position(|known| known.id == id && known.request == request)?;
        self.undelivered.remove(index)
    }

    /// Keeps `reply` for a retry, forgetting the oldest beyond [`REMEMBERED_REPLIES`].
    pub fn remember(&mut self, reply: Unconfirmed) {
        if self.undelivered.len() == REMEMBERED_REPLIES {
            self.undelivered.pop_front();
        }
        self.undelivered.push_back(reply);
    }
}

/// A random UUID (version 4) in its usual text form.
pub fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    let random =
        std::fs::File::open("/dev/urandom").and_then(|mut file| file.read_exact(&mut bytes));
    if random.is_err() {
        // No /dev/urandom: time and a counter are unique enough for ids within one process.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_detach_after_their_last_connection_and_replay_undelivered_requests() {
        let (outbox, inbox) = Outbox::new(1024).unwrap();
        let mut session = Session::default();
        session.attach(1, &outbox);
        session.attach(2, &outbox);
        assert_eq!(session.detach(1), None, "connection 2 remains");
        let count = session.detach(2).expect("the last connection left");
        assert!(session.still_detached(count));
        session.notify("lost");
        assert!(inbox.next().is_none(), "nobody to notify");
        session.attach(3, &outbox);
        assert!(!session.still_detached(count));
        session.notify("found");
        assert_eq!(inbox.next().unwrap(), "found");

        let pong = |id: usize| Unconfirmed {
            session: "s".into(),
            id: id.to_string(),
            request: "ping{}".into(),
            reply: "pong".into(),
        };
        session.remember(pong(1));
        assert_eq!(
            session.replay("1", "create{}"),
            None,
            "same id, other request"
        );
        assert_eq!(session.replay("1", "ping{}"), Some(pong(1)));
        assert_eq!(session.replay("1", "ping{}"), None, "replayed once");
        for id in 1..=REMEMBERED_REPLIES + 1 {
            session.remember(pong(id));
        }
        assert_eq!(session.replay("1", "ping{}"), None, "forgotten");
    }

    #[test]
    fn a_full_outbox_drops_and_flags_its_connection() {
        let (outbox, inbox) = Outbox::new(10).unwrap();
        outbox.push("12345");
        outbox.push("123456");
        assert!(inbox.overflowed(), "11 bytes do not fit in 10");
        outbox.push("1");
        assert_eq!(inbox.next().as_deref(), Some("12345"));
        assert_eq!(inbox.next(), None, "nothing queued after the overflow");
    }

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.matches('-').count(), 4);
    }
}
