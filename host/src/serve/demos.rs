//! `filmstrip serve --demos`: the demo web app (built by `host/demos/build.js`) as static
//! files over plain HTTP on the protocol's own port, so that one address serves the pages
//! and the Kurento WebSocket they talk to; plus `/descriptors.json`, the loaded modules'
//! descriptors with the value ranges that `getKmd` leaves out, from which the "Any filter"
//! page builds its form controls.

use super::Server;
use anyhow::{Result, bail};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Component, Path, PathBuf};
use tracing::debug;

/// What the pages need at the very least: the index, and the browser bundle of
/// kurento-client and kurento-utils that every page loads.
const REQUIRED: [&str; 2] = ["index.html", "kurento-browser.js"];

/// Where `--demos` without a directory looks: `demos` beside the directory of the
/// executable, i.e. `target/demos` for `target/release/filmstrip`, where the build puts them.
pub fn default_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    match exe.parent().and_then(Path::parent) {
        Some(target) => Ok(target.join("demos")),
        None => bail!(
            "cannot tell the demo pages' directory from {}",
            exe.display()
        ),
    }
}

/// Fails with one line saying what to run when `dir` does not hold the built pages.
pub fn check_built(dir: &Path) -> Result<()> {
    if let Some(missing) = REQUIRED.iter().find(|file| !dir.join(file).is_file()) {
        bail!(
            "the demo pages are not built ({} is missing): run `cargo xtask demo`, or \
             `node host/demos/build.js` in the repository, first",
            dir.join(missing).display()
        );
    }
    Ok(())
}

/// Answers a plain `GET target` (the request's path and query) with the file it names under
/// `dir`, `/descriptors.json`, or 404; then closes the connection.
pub fn answer(server: &Server, stream: TcpStream, dir: &Path, target: &str) {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    if path == "/descriptors.json" {
        let descriptors: Vec<_> = server
            .registry
            .modules()
            .iter()
            .map(|module| &module.descriptor)
            .collect();
        let body = serde_json::to_string(&descriptors).unwrap_or_else(|_| "[]".into());
        return super::respond(stream, "200 OK", "application/json", &body);
    }
    match resolve(dir, path) {
        Some(file) => send_file(stream, &file),
        None => not_found(stream, path),
    }
}

/// The file `path` names inside `dir`, if it exists there: `/` and directories give their
/// `index.html`; percent-escapes are decoded; `..`, absolute and otherwise odd segments and
/// symbolic links leading out of `dir` give `None`.
fn resolve(dir: &Path, path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut file = dir.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) if !segment.contains('\\') => file.push(name),
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let (root, file) = (dir.canonicalize().ok()?, file.canonicalize().ok()?);
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// `text` with its `%XX` escapes decoded; `None` for a bad escape, a NUL or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.contains('\0')).then_some(decoded)
}

/// The `Content-Type` of a file, from its extension.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "webm" => "video/webm",
        "mp4" => "video/mp4",
        "wasm" => "application/wasm",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Sends `file` whole, streamed from disk (files may be large recordings).
fn send_file(mut stream: TcpStream, file: &Path) {
    let sent = std::fs::File::open(file).and_then(|mut source| {
        let length = source.metadata()?.len();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {length}\r\n\
             Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
            content_type(file)
        )?;
        std::io::copy(&mut source, &mut stream)
    });
    if let Err(error) = sent {
        debug!(%error, file = %file.display(), "cannot send a demo file");
    }
}

fn not_found(stream: TcpStream, path: &str) {
    debug!(path, "no such demo file");
    super::respond(
        stream,
        "404 Not Found",
        "text/plain; charset=utf-8",
        "not found\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_directory_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("site");
        std::fs::create_dir_all(dir.join("img")).unwrap();
        std::fs::write(dir.join("index.html"), "index").unwrap();
        std::fs::write(dir.join("img/a b.png"), "png").unwrap();
        std::fs::write(root.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret"), dir.join("link")).unwrap();
        let found =
            |path: &str| resolve(&dir, path).map(|file| std::fs::read_to_string(file).unwrap());
        assert_eq!(found("/").as_deref(), Some("index"));
        assert_eq!(found("/index.html").as_deref(), Some("index"));
        assert_eq!(found("/img/a%20b.png").as_deref(), Some("png"));
        assert_eq!(found("//img//a%20b.png").as_deref(), Some("png"));
        for outside in [
            "/../secret",
            "/img/../../secret",
            "/%2e%2e/secret",
            "/img/%2e%2e%2f%2e%2e%2fsecret",
            "/link",
            "/img/%00",
            "/img/%zz",
            "/img/..%5csecret",
            "/missing.html",
            "/img",
        ] {
            assert_eq!(found(outside), None, "{outside}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }

    #[test]
    fn missing_pages_say_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let error = check_built(dir.path()).unwrap_err().to_string();
        assert!(error.contains("cargo xtask demo"), "{error}");
        assert!(!error.contains('\n'), "{error}");
        for file in REQUIRED {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        check_built(dir.path()).unwrap();
    }
}
