//! A WebSocket client that speaks the Kurento protocol to a [`Served`] `filmstrip serve`.

use crate::Served;
use serde_json::{Value as Json, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// The fixed id of the server manager.
pub const MANAGER: &str = "manager_ServerManager";

impl Served {
    /// A new connection.
    pub fn client(&self) -> Client {
        Client::connect(&self.url)
    }

    /// A new connection and a MediaPipeline it created: where most tests of media start.
    pub fn client_with_pipeline(&self) -> (Client, String) {
        let mut client = self.client();
        let pipeline = client.create("MediaPipeline", None);
        (client, pipeline)
    }

    /// A new connection, a MediaPipeline it created and a PlayerEndpoint of `clip` in it, not
    /// yet playing: where tests of what the server does to played media start.
    pub fn client_with_player(&self, clip: &Path) -> (Client, String, String) {
        let (mut client, pipeline) = self.client_with_pipeline();
        let player = client.player(&pipeline, clip);
        (client, pipeline, player)
    }

    /// The `host:port` the server listens on.
    pub fn address(&self) -> String {
        let rest = self.url.strip_prefix("ws://").expect("a ws:// URL");
        rest.split('/').next().unwrap().to_string()
    }

    /// Sends the signal `name` (`TERM`, `INT`...) to the server.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {name} failed");
    }

    /// The server's exit status once it exits, or `None` if it runs on past `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("waitpid works") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// `GET path` over plain HTTP: the status code and the body.
    pub fn http_get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {response:?}"));
        (status, body.to_string())
    }

    /// The value of the sample `series` (a name with its labels, as written) in `/metrics`.
    pub fn metric(&self, series: &str) -> f64 {
        let (status, body) = self.http_get("/metrics");
        assert_eq!(status, 200, "{body}");
        body.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in /metrics:\n{body}"))
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// The server's user and system CPU time so far, in clock ticks (1/100 s).
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name, which may hold spaces; utime and stime are the
        // 12th and 13th of them.
        let rest = &stat[stat.rfind(')').unwrap() + 1..];
        let fields: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .map(|field| field.parse().unwrap())
            .collect();
        fields.iter().sum()
    }
}

/// A WebSocket client that numbers its requests and keeps notifications aside.
pub struct Client {
    /// The socket, for raw messages.
    pub socket: WebSocket<TcpStream>,
    /// The id of the latest request.
    pub next_id: u64,
    /// The session id once the server gave one; sent with every request.
    pub session: Option<String>,
    /// Notifications received while waiting for responses.
    pub notifications: Vec<Json>,
}

impl Client {
    /// Connects to `url`.
    pub fn connect(url: &str) -> Self {
        let address = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap();
        let stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        // Requests are small: send each at once rather than wait for more to coalesce.
        stream.set_nodelay(true).unwrap();
        let (socket, _) = tungstenite::client(url, stream).expect("handshake");
        Self {
            socket,
            next_id: 0,
            session: None,
            notifications: Vec::new(),
        }
    }

    /// Sends one text message as is.
    pub fn send_text(&mut self, text: String) {
        self.socket.send(Message::text(text)).unwrap();
    }

    /// The next message, parsed.
    pub fn receive(&mut self) -> Json {
        loop {
            match self.socket.read().expect("a message") {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(_) => panic!("the server closed the connection"),
                _ => continue,
            }
        }
    }

    /// The response to the request with `id`, keeping notifications that arrive first.
    pub fn response(&mut self, id: &Json) -> Json {
        loop {
            let message = self.receive();
            if message.get("method").is_some() {
                self.notifications.push(message);
            } else {
                assert_eq!(&message["id"], id, "response to another request: {message}");
                return message;
            }
        }
    }

    /// Sends a request (with the session id once known) and returns the whole response.
    pub fn call(&mut self, method: &str, mut params: Json) -> Json {
        self.next_id += 1;
        let id = json!(self.next_id);
        if let (Some(session), Some(map)) = (&self.session, params.as_object_mut()) {
            map.entry("sessionId").or_insert(json!(session));
        }
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_text(request.to_string());
        let response = self.response(&id);
        if let Some(session) = response.pointer("/result/sessionId").and_then(Json::as_str) {
            self.session = Some(session.to_string());
        }
        response
    }

    /// The `result` of a request that must succeed.
    pub fn ok(&mut self, method: &str, params: Json) -> Json {
        let response = self.call(method, params);
        assert!(
            response.get("result").is_some(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The error code of a request that must fail.
    pub fn error_code(&mut self, method: &str, params: Json) -> i64 {
        let response = self.call(method, params);
        response
            .pointer("/error/code")
            .and_then(Json::as_i64)
            .unwrap_or_else(|| panic!("{method} should fail: {response}"))
    }

    /// Subscribes to `event_type` of `object`; returns the subscription id.
    pub fn subscribe(&mut self, object: &str, event_type: &str) -> String {
        let params = json!({"object": object, "type": event_type});
        let value = self.ok("subscribe", params)["value"].clone();
        value.as_str().expect("a subscription id").to_string()
    }

    /// The `value` of an `invoke` that must succeed.
    pub fn invoke(&mut self, object: &str, operation: &str, params: Json) -> Json {
        self.ok(
            "invoke",
            json!({"object": object, "operation": operation, "operationParams": params}),
        )["value"]
            .clone()
    }

    /// The error code of an `invoke` that must fail.
    pub fn invoke_error(&mut self, object: &str, operation: &str, params: Json) -> i64 {
        self.error_code(
            "invoke",
            json!({"object": object, "operation": operation, "operationParams": params}),
        )
    }

    /// Creates `type_name` (in `pipeline`) and returns its id.
    pub fn create(&mut self, type_name: &str, pipeline: Option<&str>) -> String {
        let constructor = pipeline.map_or(json!({}), |p| json!({"mediaPipeline": p}));
        self.create_with(type_name, constructor)
    }

    /// Creates `type_name` with these `constructorParams` and returns its id.
    pub fn create_with(&mut self, type_name: &str, constructor: Json) -> String {
        let params = json!({"type": type_name, "constructorParams": constructor});
        let value = self.ok("create", params)["value"].clone();
        value.as_str().expect("an object id").to_string()
    }

    /// Creates a RecorderEndpoint in `pipeline` writing to the file `path`, with `options`
    /// (`mediaProfile`, `stopOnEndOfStream`) added to its constructor parameters.
    pub fn recorder(&mut self, pipeline: &str, path: &Path, options: Json) -> String {
        let mut constructor = json!({"mediaPipeline": pipeline,
                                     "uri": format!("file://{}", path.display())});
        if let (Some(all), Json::Object(options)) = (constructor.as_object_mut(), options) {
            all.extend(options);
        }
        self.create_with("RecorderEndpoint", constructor)
    }

    /// Creates a PlayerEndpoint in `pipeline` playing the file `clip`.
    pub fn player(&mut self, pipeline: &str, clip: &Path) -> String {
        let uri = format!("file://{}", clip.display());
        self.create_with(
            "PlayerEndpoint",
            json!({"mediaPipeline": pipeline, "uri": uri}),
        )
    }

    /// Waits for an `onEvent` of `event_type`, up to `timeout`.
    pub fn event(&mut self, event_type: &str, timeout: Duration) -> Json {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(index) = self
                .notifications
                .iter()
                .position(|n| n.pointer("/params/value/type") == Some(&json!(event_type)))
            {
                return self.notifications.remove(index);
            }
            assert!(Instant::now() < deadline, "no {event_type} event in time");
            let message = self.receive();
            assert_eq!(message["method"], "onEvent", "unexpected message {message}");
            self.notifications.push(message);
        }
    }

    /// The next message if one arrives before `deadline`; `None` once it passes. Notifications
    /// are returned like any message, not kept.
    pub fn receive_until(&mut self, deadline: Instant) -> Option<Json> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            // A read timeout bounds the wait; tungstenite keeps a partly read frame.
            self.socket.get_ref().set_read_timeout(Some(left)).unwrap();
            let read = self.socket.read();
            self.socket
                .get_ref()
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            match read {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Message::Close(_)) => panic!("the server closed the connection"),
                Ok(_) => continue,
                Err(tungstenite::Error::Io(err))
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(err) => panic!("reading from the server: {err}"),
            }
        }
    }

    /// Keeps every notification that arrives within `duration`.
    pub fn drain(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while let Some(message) = self.receive_until(deadline) {
            assert_eq!(message["method"], "onEvent", "unexpected message {message}");
            self.notifications.push(message);
        }
    }

    /// The `data` of the first kept or arriving `onEvent` for which `wanted` holds, taken
    /// from the kept notifications; `None` if none comes within `timeout`.
    pub fn event_where(
        &mut self,
        timeout: Duration,
        wanted: impl Fn(&Json) -> bool,
    ) -> Option<Json> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(index) = self
                .notifications
                .iter()
                .position(|n| wanted(&n["params"]["value"]["data"]))
            {
                let found = self.notifications.remove(index);
                return Some(found["params"]["value"]["data"].clone());
            }
            let message = self.receive_until(deadline)?;
            assert_eq!(message["method"], "onEvent", "unexpected message {message}");
            self.notifications.push(message);
        }
    }

    /// Takes out the `data` of every kept notification of `event_type`.
    pub fn take_events(&mut self, event_type: &str) -> Vec<Json> {
        let (taken, kept) = std::mem::take(&mut self.notifications)
            .into_iter()
            .partition(|n| n.pointer("/params/value/type") == Some(&json!(event_type)));
        self.notifications = kept;
        taken
            .into_iter()
            .map(|n| n["params"]["value"]["data"].clone())
            .collect()
    }
}

/// Checks a BaseRtpEndpoint's `maxVideoSendBandwidth`: KMS's default of 500 kbps first, then
/// a value set read back.
pub fn assert_max_video_send_bandwidth(client: &mut Client, endpoint: &str) {
    assert_eq!(
        client.invoke(endpoint, "getMaxVideoSendBandwidth", json!({})),
        500,
        "KMS's default"
    );
    client.invoke(
        endpoint,
        "setMaxVideoSendBandwidth",
        json!({"maxVideoSendBandwidth": 300}),
    );
    assert_eq!(
        client.invoke(endpoint, "getMaxVideoSendBandwidth", json!({})),
        300
    );
}

/// Whether `id` is the id of an object of the built-in Kurento class `class` (`Composite`,
/// `WebRtcEndpoint`): ids end in `_kurento.<class>`, as KMS's do.
pub fn is_kurento_object(id: &Json, class: &str) -> bool {
    let suffix = format!("_kurento.{class}");
    id.as_str().is_some_and(|id| id.ends_with(&suffix))
}
