//! Client sessions and the ids the server hands out.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{SystemTime, UNIX_EPOCH};

/// How many answered requests a session remembers, to replay an answer to a retried request.
const REMEMBERED_REPLIES: usize = 64;

/// One client session: it outlives its WebSocket connections, so a client can reconnect.
#[derive(Default)]
pub struct Session {
    /// The outboxes of the connections bound to the session, by connection number, the
    /// latest last: notifications go to the latest.
    outboxes: Vec<(u64, Sender<String>)>,
    /// Counts the times the session lost its last connection, so that a release scheduled
    /// then can tell whether the session was taken up again meanwhile.
    detachments: u64,
    /// Recent replies: the request id, the request's method and parameters, the reply.
    replies: VecDeque<(String, String, String)>,
}

impl Session {
    /// Queues `text` for the session's latest connection; without one it is dropped.
    pub fn notify(&self, text: &str) {
        if let Some((_, outbox)) = self.outboxes.last() {
            let _ = outbox.send(text.to_string());
        }
    }

    /// Binds connection `number` to the session, as its latest.
    pub fn attach(&mut self, number: u64, outbox: &Sender<String>) {
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

    /// The reply given to the same request (same id, method and parameters), if remembered.
    pub fn replay(&self, id: &str, request: &str) -> Option<String> {
        self.replies
            .iter()
            .find(|(known, asked, _)| known == id && asked == request)
            .map(|(_, _, reply)| reply.clone())
    }

    /// Remembers `reply` to `request`, forgetting the oldest beyond [`REMEMBERED_REPLIES`].
    pub fn remember(&mut self, id: String, request: String, reply: String) {
        if self.replies.len() == REMEMBERED_REPLIES {
            self.replies.pop_front();
        }
        self.replies.push_back((id, request, reply));
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

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_detach_after_their_last_connection_and_replay_identical_requests() {
        let (outbox, inbox) = std::sync::mpsc::channel();
        let mut session = Session::default();
        session.attach(1, &outbox);
        session.attach(2, &outbox);
        assert_eq!(session.detach(1), None, "connection 2 remains");
        let count = session.detach(2).expect("the last connection left");
        assert!(session.still_detached(count));
        session.notify("lost");
        assert!(inbox.try_recv().is_err(), "nobody to notify");
        session.attach(3, &outbox);
        assert!(!session.still_detached(count));
        session.notify("found");
        assert_eq!(inbox.try_recv().unwrap(), "found");

        session.remember("1".into(), "ping{}".into(), "pong".into());
        assert_eq!(session.replay("1", "ping{}").as_deref(), Some("pong"));
        assert_eq!(
            session.replay("1", "create{}"),
            None,
            "same id, other request"
        );
        for id in 2..=REMEMBERED_REPLIES + 1 {
            session.remember(id.to_string(), "ping{}".into(), "pong".into());
        }
        assert_eq!(session.replay("1", "ping{}"), None, "forgotten");
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
