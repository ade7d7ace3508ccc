//! A recording sent to an `http://` or `https://` URI as it is made: one POST with a chunked
//! body, as KMS's recorder sends it (GStreamer's `curlhttpsink`), `Content-Type` the
//! container's and `Content-Disposition: attachment` naming the URI's last path segment.
//!
//! The muxer's output reaches [`Upload::write`] on its streaming thread and waits in a short
//! queue for the thread that sends it. A server that refuses, cannot be reached, answers
//! with an error, or takes nothing for [`STALL`] ends the upload with an `Error` event on
//! the recorder; what follows is dropped, so the pipeline never waits for it. A
//! `user:password@` in the URI becomes HTTP Basic credentials, as on KMS. `https://`
//! checks the server against Mozilla's roots (webpki-roots), or, when `SSL_CERT_FILE` names
//! a PEM file, against the certificates in it.

use super::super::objects::post_error;
use gst::prelude::*;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many muxer buffers wait for the sending thread.
const QUEUE: usize = 64;
/// How long the server may take nothing before the upload counts as failed.
const STALL: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT: Duration = Duration::from_secs(5);

/// One recording's upload, started by its first bytes.
pub struct Upload {
    uri: String,
    content_type: &'static str,
    bin: gst::glib::WeakRef<gst::Bin>,
    sender: Mutex<Option<SyncSender<Vec<u8>>>>,
    started: AtomicBool,
    failed: Arc<AtomicBool>,
    /// Called once the server has answered (or the upload failed): the recording is done.
    done: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Upload {
    /// An upload of `content_type` to `uri` for the recorder `bin`; `done` runs once it ends.
    pub fn new(
        uri: &str,
        content_type: &'static str,
        bin: &gst::Bin,
        done: Box<dyn FnOnce() + Send>,
    ) -> Arc<Self> {
        Arc::new(Self {
            uri: uri.to_string(),
            content_type,
            bin: bin.downgrade(),
            sender: Mutex::new(None),
            started: AtomicBool::new(false),
            failed: Arc::new(AtomicBool::new(false)),
            done: Mutex::new(Some(done)),
        })
    }

    /// Sends `bytes` on, starting the request with the first ones; dropped once failed.
    pub fn write(self: &Arc<Self>, bytes: &[u8]) {
        self.start();
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(sender) = sender else {
            return;
        };
        let mut bytes = bytes.to_vec();
        let since = Instant::now();
        loop {
            if self.failed.load(Ordering::SeqCst) {
                return;
            }
            match sender.try_send(bytes) {
                Ok(()) => return,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) if since.elapsed() < STALL => {
                    bytes = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TrySendError::Full(_)) => {
                    self.fail(&format!(
                        "the server took nothing for {} s",
                        STALL.as_secs()
                    ));
                    return;
                }
            }
        }
    }

    /// The recording is complete: the body ends, and `done` runs once the server answered.
    pub fn end(self: &Arc<Self>) {
        self.start();
        self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let (sender, receiver) = sync_channel(QUEUE);
        *self.sender.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
        let upload = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("filmstrip-upload".into())
            .spawn(move || {
                if let Err(cause) = upload.send(receiver) {
                    upload.fail(&cause);
                }
                upload.finish();
            });
        if let Err(error) = spawned {
            self.fail(&format!("cannot start the upload thread: {error}"));
            self.finish();
        }
    }

    /// Sends the whole body as it comes; the one-line cause of a failure.
    fn send(&self, receiver: Receiver<Vec<u8>>) -> Result<(), String> {
        let agent = agent()?;
        let name = self
            .uri
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty() && !name.contains(['"', '?']))
            .unwrap_or("recording");
        let body = Queue {
            receiver,
            current: Vec::new(),
            at: 0,
        };
        let (uri, credentials) = credentials(&self.uri);
        let mut request = agent.post(&uri).header("Content-Type", self.content_type);
        if let Some(credentials) = credentials {
            request = request.header("Authorization", format!("Basic {credentials}"));
        }
        let response = request
            .header(
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            )
            .send(ureq::SendBody::from_owned_reader(body))
            .map_err(|error| error.to_string())?;
        tracing::info!(uri = self.uri, status = %response.status(), "a recording was uploaded");
        Ok(())
    }

    fn fail(&self, cause: &str) {
        if self.failed.swap(true, Ordering::SeqCst) {
            return;
        }
        let description = format!("cannot upload the recording to {}: {cause}", self.uri);
        tracing::warn!(description);
        if let Some(bin) = self.bin.upgrade() {
            post_error(&bin, &description);
        }
    }

    fn finish(&self) {
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(done) = done {
            done();
        }
    }
}

/// `uri` without its `user:password@`, and those as HTTP Basic credentials (base64 of the
/// percent-decoded `user:password`), as KMS sends them.
fn credentials(uri: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return (uri.to_string(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (uri.to_string(), None);
    };
    let userinfo = percent_decoded(&rest[..at]);
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some(base64(&userinfo)),
    )
}

/// `text` with its `%XX` escapes decoded.
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = bytes
            .get(at + 1..at + 3)
            .filter(|_| bytes[at] == b'%')
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let value = group.iter().enumerate().fold(0u32, |value, (index, byte)| {
            value | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= group.len() {
                out.push(ALPHABET[(value >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The HTTP client: timeouts on connecting and on every read and write, error statuses as
/// errors, the roots `SSL_CERT_FILE` names when set.
fn agent() -> Result<ureq::Agent, String> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        let pem = std::fs::read(&file)
            .map_err(|error| format!("cannot read SSL_CERT_FILE {}: {error}", file.display()))?;
        let certs = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect::<Vec<_>>();
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT))
        .timeout_recv_response(Some(STALL))
        .timeout_per_write(Some(STALL))
        .tls_config(tls.build())
        .build();
    Ok(config.new_agent())
}

/// The body: what the muxer wrote, until the recording ends.
struct Queue {
    receiver: Receiver<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for Queue {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.receiver.recv() {
                Ok(next) => {
                    self.current = next;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let given = buf.len().min(self.current.len() - self.at);
        buf[..given].copy_from_slice(&self.current[self.at..self.at + given]);
        self.at += given;
        Ok(given)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_uri_for_a_basic_authorization() {
        assert_eq!(base64(b"user:p@ss"), "dXNlcjpwQHNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(
            credentials("https://user:p%40ss@host:8443/a@b.webm"),
            (
                "https://host:8443/a@b.webm".into(),
                Some("dXNlcjpwQHNz".into())
            )
        );
        assert_eq!(
            credentials("http://host/a@b.webm"),
            ("http://host/a@b.webm".into(), None)
        );
    }
}
