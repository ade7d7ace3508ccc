//! `filmstrip serve`: the Kurento protocol (JSON-RPC 2.0 over WebSocket) on top of the
//! loaded modules.
//!
//! One thread per connection waits in poll(2) on its socket and on its bounded outbox, where
//! bus threads queue the session's event notifications: an event leaves as soon as it is
//! raised, and a request is read as soon as it arrives. A plain HTTP `GET /metrics` or `GET /health` on the same port is answered before
//! any WebSocket handshake. SIGINT and SIGTERM stop the server cleanly; see [`serve`].

mod bus;
mod classes;
mod clock;
mod command;
mod complex;
mod create;
pub mod demos;
mod endpoints;
mod flow;
mod formats;
mod http;
pub mod metrics;
mod objects;
mod protocol;
pub mod rpc;
mod server;
mod session;
mod stats;
mod store;

pub use endpoints::WebRtcDefaults;
pub use server::Server;
pub use store::MANAGER_ID;

use crate::Registry;
use anyhow::{Context, Result};
use metrics::metrics;
use rustix::event::{PollFd, PollFlags};
use server::Connection;
use session::{Inbox, Outbox};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use tracing::{debug, error, info, warn};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Error as WsError, Message, WebSocket};

/// Default of `--max-message-bytes`: larger messages get an error reply and the connection
/// stays open.
pub const MAX_MESSAGE: usize = 1 << 20;
/// Largest message read at all; bigger ones close the connection.
const MAX_READ: usize = 16 << 20;
/// How often an idle connection looks whether the server is stopping.
const IDLE_CHECK: Duration = Duration::from_millis(100);
/// How long a new connection may take to send its HTTP request.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// The first and the longest pause after a failed `accept`, doubling in between: failures
/// such as running out of descriptors last until connections close, and retrying at once
/// would only burn a core.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));
/// How long a stopping server, its sessions released, waits for its connections to close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Where to listen, and the limits that keep one client from harming the others.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind, e.g. `127.0.0.1`.
    pub bind: String,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// TCP port of the HTTP endpoint server (HttpPostEndpoint uploads); 0 picks a free one.
    pub http_port: u16,
    /// The WebSocket path without its leading slash, e.g. `kurento`.
    pub path: String,
    /// How long a session whose connections all closed keeps its objects, waiting for the
    /// client to reconnect with `connect {sessionId}`.
    pub session_grace: Duration,
    /// The settings new WebRtcEndpoints start with.
    pub webrtc: WebRtcDefaults,
    /// Connections served at once; more are refused with HTTP 503.
    pub max_connections: usize,
    /// Largest request answered, in bytes.
    pub max_message: usize,
    /// Deepest nesting of JSON arrays and objects in a request.
    pub max_depth: usize,
    /// Most objects one session may hold.
    pub max_objects_per_session: usize,
    /// Most bytes of notifications queued for one connection; a client that lets more pile
    /// up is disconnected.
    pub max_outbox: usize,
    /// How long writing to a client may block before the client counts as gone.
    pub write_timeout: Duration,
    /// How long a shutdown may take before the process exits anyway, with a failure code.
    pub shutdown_timeout: Duration,
    /// The built demo pages served over plain HTTP on the same port (`--demos`), if any.
    pub demos: Option<std::path::PathBuf>,
}

/// Serves until SIGINT or SIGTERM; `announce` gets the URL once the socket listens.
///
/// On the first signal the server stops accepting, closes every connection with a
/// WebSocket close frame, releases every session (which finalises recordings) and
/// returns; past `shutdown_timeout`, or on a second signal, the process exits at once
/// with status 1.
pub fn serve(registry: Registry, options: &Options, announce: &mut dyn Write) -> Result<()> {
    // Registered before the socket listens, so that no signal finds the default action.
    // signal-hook runs the actions in this order: the exit checks the flag before the first
    // signal sets it, so only a second signal exits at once.
    let signalled = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&signalled))
            .context("cannot handle signals")?;
        signal_hook::flag::register(signal, Arc::clone(&signalled))
            .context("cannot handle signals")?;
    }
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).context("cannot handle signals")?;

    let listener = TcpListener::bind((options.bind.as_str(), options.port))
        .with_context(|| format!("cannot listen on {}:{}", options.bind, options.port))?;
    let address = listener.local_addr()?;
    let path = options.path.trim_matches('/').to_string();
    writeln!(announce, "listening on ws://{address}/{path}")?;
    if options.demos.is_some() {
        writeln!(announce, "demo pages at http://{address}/")?;
    }
    announce.flush()?;
    info!(%address, path, "listening");
    let server = Server::new(
        registry,
        options.session_grace,
        options.max_objects_per_session,
        options.webrtc.clone(),
    );
    let settings = Arc::new(Settings {
        path,
        options: options.clone(),
    });
    listen_http(options, &server);
    let accepting = (Arc::clone(&server), Arc::clone(&settings));
    std::thread::Builder::new()
        .name("filmstrip-accept".into())
        .spawn(move || accept(&listener, &accepting.0, &accepting.1))
        .context("cannot start the accepting thread")?;

    let signal = signals.forever().next().unwrap_or(SIGTERM);
    let started = Instant::now();
    info!(
        signal = signal_name(signal),
        timeout = ?options.shutdown_timeout,
        "stopping: closing connections and releasing every session"
    );
    server.stop();
    let timeout = options.shutdown_timeout;
    let deadline = std::thread::Builder::new()
        .name("filmstrip-deadline".into())
        .spawn(move || {
            std::thread::sleep(timeout);
            error!(?timeout, "the shutdown took too long: exiting anyway");
            std::process::exit(1);
        });
    if let Err(error) = deadline {
        warn!(%error, "cannot start the shutdown timer: the shutdown is not bounded");
    }
    // Recordings end now rather than when the clients are gone, which can take a while.
    server.release_all();
    // Connections notice within their idle check and close; a request in progress may take
    // longer.
    let waiting = Instant::now();
    while metrics().connections() > 0 && waiting.elapsed() < CLOSE_WAIT.min(timeout / 2) {
        std::thread::sleep(IDLE_CHECK / 5);
    }
    info!(elapsed = ?started.elapsed(), "stopped");
    Ok(())
}

/// Starts the HTTP endpoint server on `--http-port` of the same address. A port that cannot
/// be bound is logged and leaves the protocol served: only HttpPostEndpoints are refused then.
fn listen_http(options: &Options, server: &Arc<Server>) {
    let listener = match TcpListener::bind((options.bind.as_str(), options.http_port)) {
        Ok(listener) => listener,
        Err(error) => {
            return error!(
                %error,
                port = options.http_port,
                "cannot listen for HttpPostEndpoint uploads: choose a --http-port"
            );
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => return error!(%error, "the HTTP endpoint server has no address"),
    };
    let url = format!("http://{}", announced(address));
    info!(url, "HTTP endpoint server listening");
    endpoints::set_base_url(url);
    http::serve(
        listener,
        Arc::clone(server),
        options.max_connections,
        options.write_timeout,
    );
}

/// The address clients reach `address` at: itself, or for a wildcard one the first IPv4
/// address of a non-loopback interface (as KMS announces it), else loopback.
fn announced(address: std::net::SocketAddr) -> std::net::SocketAddr {
    if !address.ip().is_unspecified() {
        return address;
    }
    let ip = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .find(|interface| !interface.is_loopback() && interface.ip().is_ipv4())
        .map_or(std::net::Ipv4Addr::LOCALHOST.into(), |interface| {
            interface.ip()
        });
    std::net::SocketAddr::new(ip, address.port())
}

/// What every connection thread needs besides the server.
struct Settings {
    /// The WebSocket path without slashes.
    path: String,
    options: Options,
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "signal",
    }
}

/// Accepts connections until the process ends, each on its own thread.
fn accept(listener: &TcpListener, server: &Arc<Server>, settings: &Arc<Settings>) {
    let mut backoff = Duration::ZERO;
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                backoff = (backoff * 2).clamp(ACCEPT_BACKOFF.0, ACCEPT_BACKOFF.1);
                warn!(%error, retry_in = ?backoff, "cannot accept a connection");
                std::thread::sleep(backoff);
                continue;
            }
        };
        backoff = Duration::ZERO;
        if server.stopping() {
            debug!(%peer, "refusing a connection: the server is stopping");
            continue;
        }
        let limit = settings.options.max_connections;
        if metrics().connections() >= limit as u64 {
            warn!(%peer, limit, "refusing a connection: --max-connections reached");
            metrics().refused_connection();
            // Answered here without reading the request, so that no client can stall the
            // accepting thread; a short write to a fresh socket does not block. A client
            // that already sent its request may see a reset instead of the 503.
            respond(
                stream,
                "503 Service Unavailable",
                "text/plain",
                "too many connections\n",
            );
            continue;
        }
        let open = OpenConnection::new();
        let (server, settings) = (Arc::clone(server), Arc::clone(settings));
        let spawned = std::thread::Builder::new()
            .name("filmstrip-connection".into())
            .spawn(move || {
                let _open = open;
                let span = tracing::info_span!("connection", %peer, number = tracing::field::Empty);
                let _entered = span.enter();
                connection(&server, stream, &settings, &span);
            });
        if let Err(error) = spawned {
            // The stream and its count went with the closure.
            warn!(%peer, %error, "cannot start a connection thread: connection dropped");
        }
    }
}

/// Counts an open connection for as long as it lives, panics included.
struct OpenConnection;

impl OpenConnection {
    fn new() -> Self {
        metrics().connection(true);
        Self
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics().connection(false);
    }
}

/// A plain HTTP request (no WebSocket upgrade) for one of the operator's endpoints.
#[derive(Debug, Clone, PartialEq)]
enum Probe {
    Metrics,
    Health,
    /// A file of the demo pages (`--demos`), by its request target.
    Page(String),
}

// tungstenite's handshake callback dictates its large error type.
#[allow(clippy::result_large_err)]
fn connection(server: &Arc<Server>, stream: TcpStream, settings: &Settings, span: &tracing::Span) {
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%error, "cannot turn Nagle's algorithm off");
    }
    // A client that never finishes its handshake only holds its own thread, and not forever;
    // one that stops reading is given up after the write timeout.
    let timeouts = stream
        .set_read_timeout(Some(HANDSHAKE))
        .and_then(|()| stream.set_write_timeout(Some(settings.options.write_timeout)));
    if let Err(error) = timeouts {
        warn!(%error, "cannot set socket timeouts: connection dropped");
        return;
    }
    let demos = settings.options.demos.as_deref();
    match probe(&stream, demos.is_some()) {
        Ok(Some((probe, length))) => return answer_probe(server, stream, probe, length, demos),
        Ok(None) => {}
        Err(error) => {
            debug!(%error, "connection closed before its request");
            return;
        }
    }
    let path = settings.path.as_str();
    let check_path = |request: &Request, response: Response| {
        if request.uri().path().trim_matches('/') == path {
            Ok(response)
        } else {
            let mut refusal =
                ErrorResponse::new(Some(format!("no WebSocket at {}\n", request.uri().path())));
            *refusal.status_mut() = tungstenite::http::StatusCode::NOT_FOUND;
            Err(refusal)
        }
    };
    let read_limit = MAX_READ.max(settings.options.max_message);
    // A small initial read buffer (tungstenite's default is 128 KiB, most of an idle
    // session's memory); it grows for a large message.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(read_limit))
        .max_frame_size(Some(read_limit));
    let mut socket = match tungstenite::accept_hdr_with_config(stream, check_path, Some(config)) {
        Ok(socket) => socket,
        Err(error) => {
            debug!(%error, "WebSocket handshake refused or failed");
            return;
        }
    };
    // The connection waits in poll(2) on its socket and its outbox's waker, so reads and
    // writes never block: a write that cannot finish waits for the socket at most the
    // write timeout.
    if let Err(error) = socket.get_ref().set_nonblocking(true) {
        warn!(%error, "cannot make the socket non-blocking: connection dropped");
        return;
    }
    let (outbox, inbox) = match Outbox::new(settings.options.max_outbox) {
        Ok(pair) => pair,
        Err(error) => {
            warn!(%error, "cannot make the connection's outbox: connection dropped");
            return;
        }
    };
    let mut conn = Connection::new(outbox);
    span.record("number", conn.number);
    debug!("WebSocket connection open");
    converse(server, &mut socket, &mut conn, &inbox, &settings.options);
    server.disconnected(&mut conn);
    debug!("WebSocket connection closed");
}

/// Answers requests and forwards notifications until the connection closes.
fn converse(
    server: &Arc<Server>,
    socket: &mut WebSocket<TcpStream>,
    conn: &mut Connection,
    inbox: &Inbox,
    options: &Options,
) {
    loop {
        if server.stopping() {
            return close(socket, CloseCode::Away, "the server is shutting down");
        }
        if inbox.overflowed() {
            metrics().slow_client();
            return close(socket, CloseCode::Policy, "too many unread notifications");
        }
        if let Err(error) = deliver(socket, inbox, options.write_timeout) {
            return ended(&error);
        }
        // Every message already received, then wait for more or for a notification.
        loop {
            let text = match socket.read() {
                Ok(Message::Text(text)) => text.to_string(),
                Ok(Message::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                Ok(_) => continue,
                Err(WsError::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
                    // Still open after earlier answers went out: they were not lost with it.
                    conn.confirm();
                    // Answers, pongs and a pending close go out here.
                    if let Err(error) = flush(socket, options.write_timeout) {
                        return ended(&error);
                    }
                    conn.written_out();
                    break;
                }
                Err(error) => return ended(&error),
            };
            let reply = match limit_error(&text, options) {
                Some(error) => {
                    Some(rpc::error_response(&serde_json::Value::Null, &error).to_string())
                }
                None => protocol::handle_text(server, &text, conn),
            };
            if let Some(reply) = reply
                && let Err(error) = send(socket, Message::text(reply), options.write_timeout)
            {
                return ended(&error);
            }
            // What this request raised goes out before the answer to the next one.
            if let Err(error) = deliver(socket, inbox, options.write_timeout) {
                return ended(&error);
            }
            if inbox.overflowed() || server.stopping() {
                break;
            }
        }
        if let Err(error) = wait(socket.get_ref(), Some(inbox.waker()), IDLE_CHECK) {
            warn!(%error, "cannot wait on the connection: closing it");
            return;
        }
    }
}

/// Sends every queued notification.
fn deliver(
    socket: &mut WebSocket<TcpStream>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<(), WsError> {
    inbox.clear_wake();
    while let Some(notification) = inbox.next() {
        send(socket, Message::text(notification), timeout)?;
        metrics().event_sent();
    }
    Ok(())
}

/// Sends `message`, waiting at most `timeout` for a client that does not read.
fn send(
    socket: &mut WebSocket<TcpStream>,
    message: Message,
    timeout: Duration,
) -> Result<(), WsError> {
    match socket.send(message) {
        Err(WsError::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
            // The frame waits in tungstenite's buffer; flushing finishes it.
            flush(socket, timeout)
        }
        other => other,
    }
}

/// Writes out what tungstenite holds, waiting at most `timeout` for the socket to take it.
fn flush(socket: &mut WebSocket<TcpStream>, timeout: Duration) -> Result<(), WsError> {
    let deadline = Instant::now() + timeout;
    loop {
        match socket.flush() {
            Err(WsError::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(WsError::Io(ErrorKind::TimedOut.into()));
                }
                let fds = &mut [PollFd::new(socket.get_ref(), PollFlags::OUT)];
                match rustix::event::poll(fds, Some(&timespec(left))) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(error) => return Err(WsError::Io(error.into())),
                }
            }
            other => return other,
        }
    }
}

/// Waits until `stream` is readable, `waker` is signalled or `timeout` passes.
fn wait(
    stream: &TcpStream,
    waker: Option<BorrowedFd<'_>>,
    timeout: Duration,
) -> std::io::Result<()> {
    let mut fds = vec![PollFd::new(stream, PollFlags::IN)];
    if let Some(waker) = &waker {
        fds.push(PollFd::new(waker, PollFlags::IN));
    }
    match rustix::event::poll(&mut fds, Some(&timespec(timeout))) {
        Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn timespec(duration: Duration) -> rustix::event::Timespec {
    rustix::event::Timespec {
        tv_sec: duration.as_secs() as i64,
        tv_nsec: i64::from(duration.subsec_nanos()),
    }
}

/// The error for a message too large or too deeply nested to be parsed at all.
fn limit_error(text: &str, options: &Options) -> Option<rpc::RpcError> {
    if text.len() > options.max_message {
        return Some(rpc::RpcError::invalid_request(format!(
            "message of {} bytes exceeds the limit of {} (--max-message-bytes)",
            text.len(),
            options.max_message
        )));
    }
    if nests_deeper(text, options.max_depth) {
        return Some(rpc::RpcError::invalid_request(format!(
            "message nests deeper than {} levels (--max-json-depth)",
            options.max_depth
        )));
    }
    None
}

/// Whether `text` nests arrays and objects deeper than `limit`, found by scanning rather
/// than parsing, so that a hostile message costs no recursion.
fn nests_deeper(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Logs why a connection ended: a client that left is routine, one that stopped reading
/// until the write timeout is worth a warning.
fn ended(error: &WsError) {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => debug!("the client closed"),
        WsError::Io(io) if matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            metrics().slow_client();
            warn!("the client stopped reading: disconnected after the write timeout");
        }
        other => debug!(error = %other, "connection ended"),
    }
}

/// Sends a close frame and waits briefly for the client's, so that it learns why.
fn close(socket: &mut WebSocket<TcpStream>, code: CloseCode, reason: &str) {
    info!(reason, "closing the connection");
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    if let Err(error) = socket.close(Some(frame)) {
        return ended(&error);
    }
    let waiting = Instant::now();
    while waiting.elapsed() < Duration::from_millis(200) {
        match socket.read() {
            Ok(_) => {}
            Err(WsError::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
                let left = Duration::from_millis(200).saturating_sub(waiting.elapsed());
                if let Err(error) = wait(socket.get_ref(), None, left) {
                    return debug!(%error, "cannot wait for the client's close");
                }
            }
            Err(error) => return ended(&error),
        }
    }
}

/// Reads the HTTP request head without consuming it. A plain GET of `/metrics` or `/health`
/// (or of any other path when `pages` serves the demo pages) gives its probe and the head's
/// length; anything else (a WebSocket upgrade, another path) is left to the WebSocket
/// handshake, which refuses other paths with 404 as before.
fn probe(stream: &TcpStream, pages: bool) -> std::io::Result<Option<(Probe, usize)>> {
    let mut head = [0u8; 4096];
    let waiting = Instant::now();
    loop {
        let seen = stream.peek(&mut head)?;
        if seen == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        if let Some(end) = head[..seen].windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&head[..end]);
            return Ok(classify(&text, pages).map(|probe| (probe, end + 4)));
        }
        if seen == head.len() || waiting.elapsed() > HANDSHAKE {
            return Ok(None);
        }
        // Only part of the head arrived: peeking again at once would spin.
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The probe a request head asks for, if it is a plain GET of one; with `pages`, a plain GET
/// of any other path asks for a demo page.
fn classify(head: &str, pages: bool) -> Option<Probe> {
    let mut lines = head.lines();
    let mut request = lines.next()?.split_whitespace();
    if request.next()? != "GET" {
        return None;
    }
    let target = request.next()?;
    let path = target.split('?').next().unwrap_or(target);
    let upgrade = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("upgrade")
                && value.to_ascii_lowercase().contains("websocket")
        })
    });
    match path {
        _ if upgrade => None,
        "/metrics" => Some(Probe::Metrics),
        "/health" => Some(Probe::Health),
        _ if pages => Some(Probe::Page(target.to_string())),
        _ => None,
    }
}

fn answer_probe(
    server: &Server,
    mut stream: TcpStream,
    probe: Probe,
    head: usize,
    demos: Option<&std::path::Path>,
) {
    // The head is read before answering: closing with unread bytes would reset the
    // connection and could destroy the answer on its way.
    let mut consumed = vec![0u8; head];
    if let Err(error) = stream.read_exact(&mut consumed) {
        debug!(%error, "connection closed during its request");
        return;
    }
    match probe {
        Probe::Metrics => {
            let body = metrics().render(&server.census());
            respond(stream, "200 OK", "text/plain; version=0.0.4", &body);
        }
        // A stopping server fails its readiness check so that a load balancer stops sending
        // it clients.
        Probe::Health if server.stopping() => {
            respond(
                stream,
                "503 Service Unavailable",
                "text/plain",
                "stopping\n",
            );
        }
        Probe::Health => respond(stream, "200 OK", "text/plain", "ok\n"),
        Probe::Page(target) => match demos {
            Some(dir) => demos::answer(server, stream, dir, &target),
            None => respond(stream, "404 Not Found", "text/plain", "not found\n"),
        },
    }
}

/// Writes a whole HTTP response and closes the connection.
fn respond(mut stream: TcpStream, status: &str, content_type: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = stream.write_all(response.as_bytes()) {
        debug!(%error, status, "cannot answer an HTTP request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_outside_strings() {
        assert!(!nests_deeper(r#"{"a":[[1]]}"#, 3));
        assert!(nests_deeper(r#"{"a":[[[1]]]}"#, 3));
        assert!(!nests_deeper(r#"{"a":"[[[[[[\"[[["}"#, 1));
        assert!(!nests_deeper(&"]".repeat(100), 1), "unbalanced closers");
    }

    #[test]
    fn only_plain_gets_of_the_probe_paths_are_probes() {
        let get =
            |target: &str, extra: &str| format!("GET {target} HTTP/1.1\r\nHost: x\r\n{extra}");
        assert_eq!(classify(&get("/metrics", ""), false), Some(Probe::Metrics));
        assert_eq!(
            classify(&get("/health?full=1", ""), false),
            Some(Probe::Health)
        );
        assert_eq!(classify(&get("/kurento", ""), false), None);
        assert_eq!(
            classify(&get("/health", "Upgrade: WebSocket\r\n"), false),
            None
        );
        assert_eq!(classify("POST /metrics HTTP/1.1", false), None);
        let page = Some(Probe::Page("/a.js?x=1".into()));
        assert_eq!(classify(&get("/a.js?x=1", ""), true), page);
        assert_eq!(
            classify(&get("/kurento", "Upgrade: websocket\r\n"), true),
            None
        );
    }
}
