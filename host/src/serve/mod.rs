//! `filmstrip serve`: the Kurento protocol (JSON-RPC 2.0 over WebSocket) on top of the
//! loaded modules.
//!
//! One thread per connection reads with a short timeout so that it can also write the
//! session's event notifications, which bus threads queue in the connection's outbox.

mod classes;
mod complex;
mod create;
mod endpoints;
mod flow;
mod objects;
pub mod rpc;
mod server;
mod session;

pub use endpoints::WebRtcDefaults;
pub use server::{MANAGER_ID, Server};

use crate::Registry;
use anyhow::{Context, Result};
use server::Connection;
use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Error as WsError, Message};

/// Largest message answered; bigger ones get an error reply and the connection stays open.
pub const MAX_MESSAGE: usize = 1 << 20;
/// Largest message read at all; bigger ones close the connection.
const MAX_READ: usize = 16 << 20;
/// How long a read waits before the connection thread looks at its outbox.
const POLL: Duration = Duration::from_millis(20);

/// Where to listen.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind, e.g. `127.0.0.1`.
    pub bind: String,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// The WebSocket path without its leading slash, e.g. `kurento`.
    pub path: String,
    /// How long a session whose connections all closed keeps its objects, waiting for the
    /// client to reconnect with `connect {sessionId}`.
    pub session_grace: Duration,
    /// The settings new WebRtcEndpoints start with.
    pub webrtc: WebRtcDefaults,
}

/// Serves until the process ends; `announce` gets the URL once the socket listens.
pub fn serve(registry: Registry, options: &Options, announce: &mut dyn Write) -> Result<()> {
    let listener = TcpListener::bind((options.bind.as_str(), options.port))
        .with_context(|| format!("cannot listen on {}:{}", options.bind, options.port))?;
    let address = listener.local_addr()?;
    let path = options.path.trim_matches('/').to_string();
    writeln!(announce, "listening on ws://{address}/{path}")?;
    announce.flush()?;
    let server = Server::new(registry, options.session_grace, options.webrtc.clone());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (server, path) = (Arc::clone(&server), path.clone());
        let _ = std::thread::Builder::new()
            .name("filmstrip-connection".into())
            .spawn(move || connection(&server, stream, &path));
    }
    Ok(())
}

// tungstenite's handshake callback dictates its large error type.
#[allow(clippy::result_large_err)]
fn connection(server: &Arc<Server>, stream: TcpStream, path: &str) {
    let _ = stream.set_nodelay(true);
    // A client that never finishes its handshake only holds its own thread, and not forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
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
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_READ))
        .max_frame_size(Some(MAX_READ));
    let Ok(mut socket) = tungstenite::accept_hdr_with_config(stream, check_path, Some(config))
    else {
        return;
    };
    let _ = socket.get_ref().set_read_timeout(Some(POLL));
    let (outbox, notifications) = mpsc::channel();
    let mut conn = Connection::new(outbox);
    converse(server, &mut socket, &mut conn, &notifications);
    server.disconnected(&conn);
}

/// Answers requests and forwards notifications until the connection closes.
fn converse(
    server: &Arc<Server>,
    socket: &mut tungstenite::WebSocket<TcpStream>,
    conn: &mut Connection,
    notifications: &mpsc::Receiver<String>,
) {
    loop {
        while let Ok(notification) = notifications.try_recv() {
            if socket.send(Message::text(notification)).is_err() {
                return;
            }
        }
        let text = match socket.read() {
            Ok(Message::Text(text)) => text.to_string(),
            Ok(Message::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(_) => continue,
            Err(WsError::Io(err))
                if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                // Pongs and a pending close go out here.
                let _ = socket.flush();
                continue;
            }
            Err(_) => return,
        };
        let reply = if text.len() > MAX_MESSAGE {
            let error = rpc::RpcError::invalid_request(format!(
                "message of {} bytes exceeds the limit of {MAX_MESSAGE}",
                text.len()
            ));
            Some(rpc::error_response(&serde_json::Value::Null, &error).to_string())
        } else {
            server.handle_text(&text, conn)
        };
        if let Some(reply) = reply
            && socket.send(Message::text(reply)).is_err()
        {
            return;
        }
    }
}
