//! The HTTP endpoint server: the port (`--http-port`) where clients POST media to
//! HttpPostEndpoints, as KMS's own one on 9091.
//!
//! One thread per connection, at most `--max-connections` of them. A request head must come
//! within [`HEAD_WAIT`] and fit in [`MAX_HEAD`]; a body may take as long as it needs, but not
//! pause longer than [`BODY_WAIT`]. Bodies come with a `Content-Length` or chunked, raw or
//! as the first file of a `multipart/form-data` form (what a browser's upload form sends);
//! their first bytes must be a media stream GStreamer recognises. Answers: 200 once the
//! body is in, 404 for a URL no endpoint has, 405 for another method (`OPTIONS` gets the
//! CORS headers browsers ask for), 406 without a `Content-Type` or with another multipart
//! kind (as KMS), 409 while another POST feeds the endpoint, 410 once its stream ended, 411
//! without a length, 415 for a body that is no media stream, 400 for a malformed request,
//! 503 while stopping or beyond the connection limit.

use super::endpoints::{self, Refusal, Stuck};
use super::server::Server;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// How long a new connection may take to send its request head.
const HEAD_WAIT: Duration = Duration::from_secs(10);
/// How long a body may pause before its connection counts as lost.
const BODY_WAIT: Duration = Duration::from_secs(10);
/// Largest request head, and largest head of a form's part.
const MAX_HEAD: usize = 16 << 10;
/// How many bytes of a body are read at a time, and looked at to recognise the stream.
const BLOCK: usize = 64 << 10;

/// Serves `listener` until the process ends, at most `limit` connections at once.
pub fn serve(listener: TcpListener, server: Arc<Server>, limit: usize, write_timeout: Duration) {
    let open = Arc::new(AtomicUsize::new(0));
    let spawned = std::thread::Builder::new()
        .name("filmstrip-http-accept".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(stream) => stream,
                    Err(error) => {
                        warn!(%error, "cannot accept an HTTP connection");
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                };
                if server.stopping() || open.load(Ordering::Acquire) >= limit {
                    debug!("refusing an HTTP connection: stopping or at the connection limit");
                    answer(&stream, 503, "the server is busy or stopping");
                    continue;
                }
                let count = Arc::clone(&open);
                count.fetch_add(1, Ordering::AcqRel);
                let spawned = std::thread::Builder::new()
                    .name("filmstrip-http".into())
                    .spawn(move || {
                        let peer = stream
                            .peer_addr()
                            .map(|a| a.to_string())
                            .unwrap_or_default();
                        let span = tracing::info_span!("http", %peer);
                        let _entered = span.enter();
                        if let Err(error) = connection(stream, write_timeout) {
                            debug!(%error, "HTTP connection ended");
                        }
                        count.fetch_sub(1, Ordering::AcqRel);
                    });
                if let Err(error) = spawned {
                    warn!(%error, "cannot start an HTTP connection thread: connection dropped");
                    open.fetch_sub(1, Ordering::AcqRel);
                }
            }
        });
    if let Err(error) = spawned {
        warn!(%error, "cannot start the HTTP endpoint server: HttpPostEndpoints get no media");
    }
}

/// A request head: method, path and the headers this server reads.
#[derive(Debug, Default, PartialEq)]
struct Head {
    method: String,
    path: String,
    content_type: Option<String>,
    content_length: Option<u64>,
    chunked: bool,
    expects_continue: bool,
}

fn connection(stream: TcpStream, write_timeout: Duration) -> io::Result<()> {
    stream.set_write_timeout(Some(write_timeout))?;
    let timed = Timed {
        stream: stream.try_clone()?,
        deadline: Some(Instant::now() + HEAD_WAIT),
    };
    let mut reader = BufReader::with_capacity(BLOCK, timed);
    let head = match read_head(&mut reader) {
        Ok(head) => head,
        Err(error) if error.kind() == ErrorKind::InvalidData => {
            return answer_error(&stream, 400, &error.to_string());
        }
        Err(error) => return Err(error),
    };
    // The body may take as long as it needs, pausing at most BODY_WAIT at a time.
    reader.get_mut().deadline = None;
    debug!(method = head.method, path = head.path, "HTTP request");
    if head.method == "OPTIONS" {
        return write_answer(&stream, 200, "");
    }
    if head.method != "POST" {
        return answer_error(&stream, 405, "only POST uploads media here");
    }
    let Some(intake) = endpoints::intake(&head.path) else {
        return answer_error(&stream, 404, "no HttpPostEndpoint has this URL");
    };
    let Some(content_type) = head.content_type.as_deref() else {
        return answer_error(&stream, 406, "a Content-Type header is needed");
    };
    let boundary = match multipart_boundary(content_type) {
        Ok(boundary) => boundary,
        Err(reason) => return answer_error(&stream, 406, &reason),
    };
    let body: Box<dyn Read> = if head.chunked {
        Box::new(Chunked::new(reader))
    } else if let Some(length) = head.content_length {
        Box::new(Limited {
            inner: reader,
            left: length,
        })
    } else {
        return answer_error(&stream, 411, "a Content-Length or chunked body is needed");
    };
    let mut body: Box<dyn Read> = match boundary {
        Some(boundary) => Box::new(FormFile::new(body, &boundary)),
        None => body,
    };
    let starts = match intake.begin() {
        Ok(starts) => starts,
        Err(refusal) => {
            let reason = match refusal {
                Refusal::Busy => (409, "another upload to this endpoint is in progress"),
                Refusal::Ended => (410, "this endpoint's stream has ended"),
            };
            return answer_error(&stream, reason.0, reason.1);
        }
    };
    if head.expects_continue {
        (&stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    match feed(&intake, &mut body, starts) {
        Ok(()) => {
            intake.finish();
            info!(path = head.path, "an upload ended");
            write_answer(&stream, 200, "")
        }
        Err(Fed::Lost(error)) => {
            info!(path = head.path, %error, "an upload's connection was lost");
            intake.interrupt();
            Ok(())
        }
        Err(Fed::Malformed(reason)) => {
            warn!(path = head.path, reason, "a malformed upload");
            intake.interrupt();
            answer_error(&stream, 400, &reason)
        }
        Err(Fed::NotMedia(reason)) => {
            warn!(
                path = head.path,
                reason, "an upload that is no media stream"
            );
            intake.fail(&reason);
            answer_error(&stream, 415, &reason)
        }
        Err(Fed::Stuck(Stuck::Stalled)) => {
            let reason = "the uploaded media cannot be decoded any further";
            warn!(path = head.path, reason);
            intake.fail(reason);
            answer_error(&stream, 415, reason)
        }
        Err(Fed::Stuck(Stuck::Gone)) => answer_error(&stream, 410, "the endpoint was released"),
    }
}

/// Why a body was not fed to its end.
enum Fed {
    /// The connection broke or went quiet.
    Lost(io::Error),
    /// The body's framing (chunks, form) is broken.
    Malformed(String),
    /// The first bytes are no media stream.
    NotMedia(String),
    /// The endpoint stopped taking it.
    Stuck(Stuck),
}

/// Feeds `body` to `intake`; when it `starts` the stream, once its first bytes are
/// recognised as a media stream.
fn feed(intake: &endpoints::Intake, body: &mut dyn Read, starts: bool) -> Result<(), Fed> {
    let mut block = vec![0u8; BLOCK];
    let mut first = starts;
    loop {
        let mut filled = 0;
        let mut failure = None;
        // The first block is read whole (or the body), so that its type can be found.
        while filled < block.len() {
            match body.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) if error.kind() == ErrorKind::InvalidData => {
                    failure = Some(Fed::Malformed(error.to_string()));
                    break;
                }
                Err(error) => {
                    failure = Some(Fed::Lost(error));
                    break;
                }
            }
            if !first {
                break;
            }
        }
        if first && filled > 0 {
            check_media(&block[..filled]).map_err(Fed::NotMedia)?;
            first = false;
        }
        // What came before a failure is kept: a later POST may carry on after it.
        if filled > 0 {
            intake.push(&block[..filled]).map_err(Fed::Stuck)?;
        }
        match failure {
            Some(failure) => return Err(failure),
            None if filled == 0 => return Ok(()),
            None => {}
        }
    }
}

/// Whether `start`, a body's first bytes, is a stream GStreamer can demux or decode.
fn check_media(start: &[u8]) -> Result<(), String> {
    let found = gst_base::functions::type_find_helper_for_data(None::<&gst::Object>, start);
    let media = found.as_ref().ok().and_then(|(caps, _)| {
        let name = caps.structure(0)?.name().to_string();
        let known =
            name.starts_with("video/") || name.starts_with("audio/") || name == "application/ogg";
        known.then_some(name)
    });
    match (media, found) {
        (Some(_), _) => Ok(()),
        (None, Ok((caps, _))) => Err(format!(
            "the uploaded body is no media stream (it looks like {})",
            caps.structure(0)
                .map_or("nothing known", |s| s.name().as_str())
        )),
        (None, Err(_)) => Err("the uploaded body is no media stream GStreamer knows".into()),
    }
}

/// Reads a request head from `reader`; `InvalidData` for a malformed or oversized one.
fn read_head(reader: &mut impl BufRead) -> io::Result<Head> {
    let mut head = Head::default();
    let mut total = 0;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let read = reader
            .by_ref()
            .take((MAX_HEAD - total) as u64 + 1)
            .read_until(b'\n', &mut line)?;
        total += read;
        if read == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        if total > MAX_HEAD || !line.ends_with(b"\n") {
            return Err(invalid(format!("a request head over {MAX_HEAD} bytes")));
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        if first {
            let mut words = line.split_whitespace();
            head.method = words.next().unwrap_or_default().to_string();
            let target = words.next().unwrap_or_default();
            head.path = target.split('?').next().unwrap_or_default().to_string();
            if head.method.is_empty() || !head.path.starts_with('/') {
                return Err(invalid(format!("a malformed request line: {line}")));
            }
            first = false;
            continue;
        }
        if line.is_empty() {
            return Ok(head);
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid(format!("a malformed header: {line}")));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => head.content_type = Some(value.to_string()),
            "content-length" => {
                let length = value
                    .parse()
                    .map_err(|_| invalid(format!("a bad Content-Length: {value}")))?;
                head.content_length = Some(length);
            }
            "transfer-encoding" => {
                head.chunked = value.to_ascii_lowercase().ends_with("chunked");
            }
            "expect" => head.expects_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message)
}

/// The boundary of a `multipart/form-data` content type, `None` for a plain body, or why
/// the type is refused.
fn multipart_boundary(content_type: &str) -> Result<Option<String>, String> {
    let mut parts = content_type.split(';');
    let kind = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if !kind.starts_with("multipart/") {
        return Ok(None);
    }
    if kind != "multipart/form-data" {
        return Err(format!(
            "{kind} is not taken: send the media itself or a form"
        ));
    }
    parts
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| Some(value.trim().trim_matches('"').to_string()))
        .filter(|boundary| {
            boundary
                .as_ref()
                .is_some_and(|b| !b.is_empty() && b.len() <= 70)
        })
        .ok_or_else(|| "a multipart/form-data body needs a boundary".to_string())
}

/// The connection's reads: none may wait longer than [`BODY_WAIT`], and none past the
/// deadline, if any (the request head's), however slowly the bytes trickle in.
struct Timed {
    stream: TcpStream,
    deadline: Option<Instant>,
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wait = match self.deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => BODY_WAIT,
        };
        if wait.is_zero() {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "the request head took too long",
            ));
        }
        self.stream.set_read_timeout(Some(wait.min(BODY_WAIT)))?;
        self.stream.read(buf)
    }
}

/// A body of a known length; a connection closed before its end is an error, not its end.
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let wanted = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        self.left -= read as u64;
        Ok(read)
    }
}

/// A chunked body (RFC 9112 7.1), decoded; its trailer is read and dropped.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` before a size line.
    left: Option<u64>,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            left: None,
            done: false,
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        self.inner
            .by_ref()
            .take(1024)
            .read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(if line.is_empty() {
                ErrorKind::UnexpectedEof.into()
            } else {
                invalid("a chunk line over 1 KiB".into())
            });
        }
        Ok(String::from_utf8_lossy(&line).trim_end().to_string())
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let left = match self.left {
            Some(left) => left,
            None => {
                let line = self.line()?;
                let size = line.split(';').next().unwrap_or_default().trim();
                let size = u64::from_str_radix(size, 16)
                    .map_err(|_| invalid(format!("a bad chunk size: {line}")))?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    self.done = true;
                    return Ok(0);
                }
                size
            }
        };
        let wanted = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let left = left - read as u64;
        self.left = Some(left);
        if left == 0 {
            if !self.line()?.is_empty() {
                return Err(invalid("a chunk longer than its size".into()));
            }
            self.left = None;
        }
        Ok(read)
    }
}

/// The content of the first file of a `multipart/form-data` body (the first part whose
/// `Content-Disposition` names a `filename`), as KMS takes it; other parts are skipped.
struct FormFile<R> {
    inner: R,
    /// `\r\n--boundary`: what ends a part.
    delimiter: Vec<u8>,
    /// Bytes read but not yet given out or dropped.
    pending: Vec<u8>,
    state: Form,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Form {
    /// Before the first delimiter line.
    Preamble,
    /// Inside a part's head.
    PartHead,
    /// Inside a part: the file's when `true`.
    Content(bool),
    /// The file has ended.
    Done,
}

impl<R: Read> FormFile<R> {
    fn new(inner: R, boundary: &str) -> Self {
        // The body may start with the delimiter line itself, without its leading CRLF.
        Self {
            inner,
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            pending: b"\r\n".to_vec(),
            state: Form::Preamble,
        }
    }

    /// Reads more of the body; `false` at its end.
    fn more(&mut self) -> io::Result<bool> {
        let mut block = [0u8; 16 << 10];
        let read = self.inner.read(&mut block)?;
        self.pending.extend_from_slice(&block[..read]);
        Ok(read > 0)
    }

    fn find(&self, needle: &[u8]) -> Option<usize> {
        self.pending.windows(needle.len()).position(|w| w == needle)
    }
}

impl<R: Read> Read for FormFile<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let truncated = || invalid("the form ends before its closing boundary".into());
        loop {
            match self.state {
                Form::Done => return Ok(0),
                Form::Preamble => match self.find(&self.delimiter) {
                    Some(at) => {
                        self.pending.drain(..at + self.delimiter.len());
                        self.state = Form::PartHead;
                    }
                    None => {
                        let keep = self.pending.len().min(self.delimiter.len());
                        self.pending.drain(..self.pending.len() - keep);
                        if !self.more()? {
                            return Err(truncated());
                        }
                    }
                },
                // The closing delimiter, and no file before it.
                Form::PartHead if self.pending.starts_with(b"--") => {
                    return Err(invalid("the form holds no file".into()));
                }
                Form::PartHead => match self.find(b"\r\n\r\n") {
                    Some(at) => {
                        let head = String::from_utf8_lossy(&self.pending[..at]).to_string();
                        let file = head.lines().any(|line| {
                            let line = line.to_ascii_lowercase();
                            line.starts_with("content-disposition:") && line.contains("filename")
                        });
                        self.pending.drain(..at + 4);
                        self.state = Form::Content(file);
                    }
                    None if self.pending.len() > MAX_HEAD => {
                        return Err(invalid(format!("a form part head over {MAX_HEAD} bytes")));
                    }
                    None => {
                        if !self.more()? {
                            return Err(truncated());
                        }
                    }
                },
                Form::Content(file) => {
                    if let Some(at) = self.find(&self.delimiter) {
                        if file {
                            let given = at.min(buf.len());
                            buf[..given].copy_from_slice(&self.pending[..given]);
                            self.pending.drain(..given);
                            if given == at {
                                self.state = Form::Done;
                            }
                            return Ok(given);
                        }
                        self.pending.drain(..at + self.delimiter.len());
                        self.state = Form::PartHead;
                        continue;
                    }
                    // All but what could be the start of a delimiter is content.
                    let safe = self.pending.len().saturating_sub(self.delimiter.len());
                    if safe > 0 {
                        if !file {
                            self.pending.drain(..safe);
                            continue;
                        }
                        let given = safe.min(buf.len());
                        buf[..given].copy_from_slice(&self.pending[..given]);
                        self.pending.drain(..given);
                        return Ok(given);
                    }
                    if !self.more()? {
                        return Err(truncated());
                    }
                }
            }
        }
    }
}

/// Writes a response with `body` and the CORS headers browsers need to POST from a page.
fn write_answer(mut stream: &TcpStream, status: u16, body: &str) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        415 => "Unsupported Media Type",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nAllow: POST, OPTIONS\r\n\
         Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Headers: Content-Type\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// Answers `status` with `reason` as a line of text, and reads what the client still sends
/// for a moment, so that closing does not reset the connection before the answer arrives.
fn answer_error(stream: &TcpStream, status: u16, reason: &str) -> io::Result<()> {
    write_answer(stream, status, &format!("{reason}\n"))?;
    stream.shutdown(std::net::Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut sink = [0u8; 4096];
    let mut reader = stream;
    let mut drained = 0;
    while drained < (1 << 20) {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(read) => drained += read,
        }
    }
    Ok(())
}

/// Answers without reading the request (refusals by the accepting thread).
fn answer(stream: &TcpStream, status: u16, reason: &str) {
    if let Err(error) = write_answer(stream, status, &format!("{reason}\n")) {
        debug!(%error, status, "cannot answer an HTTP request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut reader: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_bodies_are_decoded_and_broken_ones_refused() {
        let body = b"5;x=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: a\r\n\r\nnext".as_slice();
        assert_eq!(read_all(Chunked::new(body)).unwrap(), b"hello, world");
        let broken = b"zz\r\nhello\r\n".as_slice();
        assert_eq!(
            read_all(Chunked::new(broken)).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        let short = b"10\r\nhello".as_slice();
        assert_eq!(
            read_all(Chunked::new(short)).unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
    }

    #[test]
    fn the_first_file_of_a_form_is_its_content() {
        let form = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA clip\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"c.webm\"\r\n\
            Content-Type: video/webm\r\n\r\n\x1aE\xdf\xa3\r\n--Xy not yet\r\n--XyZ--\r\n";
        // Read one byte at a time too, so that delimiters straddle reads.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let expected = b"\x1aE\xdf\xa3\r\n--Xy not yet".to_vec();
        assert_eq!(
            read_all(FormFile::new(form.as_slice(), "XyZ")).unwrap(),
            expected
        );
        assert_eq!(
            read_all(FormFile::new(Trickle(form), "XyZ")).unwrap(),
            expected
        );
        let no_file =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--XyZ--\r\n";
        assert!(read_all(FormFile::new(no_file.as_slice(), "XyZ")).is_err());
    }

    #[test]
    fn heads_are_parsed_within_bounds() {
        let mut raw = b"POST /abc?x=1 HTTP/1.1\r\nHost: h\r\ncontent-type: video/webm\r\n\
            Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\nbody"
            .as_slice();
        let head = read_head(&mut raw).unwrap();
        assert_eq!((head.method.as_str(), head.path.as_str()), ("POST", "/abc"));
        assert_eq!(head.content_type.as_deref(), Some("video/webm"));
        assert!(head.chunked && head.expects_continue);
        assert_eq!(raw, b"body");
        let huge = format!("POST / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(
            read_head(&mut huge.as_bytes()).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"ab\"").unwrap(),
            Some("ab".into())
        );
        assert!(multipart_boundary("multipart/mixed; boundary=ab").is_err());
        assert!(multipart_boundary("multipart/form-data").is_err());
        assert_eq!(multipart_boundary("video/mp4").unwrap(), None);
    }
}
