//! Loading overlay images: from a path, `file://` and a loopback `http://` server (downloads
//! cached by URI), into 8-bit BGRA whatever the file's channels; and the refusals.

use filmstrip::ErrorKind;
use filmstrip::opencv::core::{CV_8UC1, CV_8UC3, CV_8UC4, Mat, Scalar, Vector};
use filmstrip::opencv::imgcodecs;
use filmstrip::opencv::prelude::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

fn png(dir: &Path, name: &str, typ: i32, value: Scalar) -> PathBuf {
    let image = Mat::new_rows_cols_with_default(6, 9, typ, value).unwrap();
    let path = dir.join(name);
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &image, &Vector::new()).unwrap());
    path
}

/// The first pixel of a loaded image, which must be 9x6 BGRA.
fn first_pixel(image: &Mat) -> [u8; 4] {
    assert_eq!((image.cols(), image.rows(), image.typ()), (9, 6, CV_8UC4));
    image.data_bytes().unwrap()[..4].try_into().unwrap()
}

#[test]
fn grey_bgr_and_bgra_files_load_as_bgra_from_paths_and_file_uris() {
    let dir = tempfile::tempdir().unwrap();
    let grey = png(dir.path(), "grey.png", CV_8UC1, Scalar::all(77.0));
    let bgr = png(
        dir.path(),
        "bgr.png",
        CV_8UC3,
        Scalar::new(1.0, 2.0, 3.0, 0.0),
    );
    let bgra = png(
        dir.path(),
        "with space.png",
        CV_8UC4,
        Scalar::new(4.0, 5.0, 6.0, 7.0),
    );
    let load = |uri: String| first_pixel(&overlayimage::load(&uri).unwrap());
    assert_eq!(load(grey.display().to_string()), [77, 77, 77, 255]);
    assert_eq!(load(format!("file://{}", bgr.display())), [1, 2, 3, 255]);
    let escaped = format!("file://localhost{}", bgra.display()).replace(' ', "%20");
    assert_eq!(load(escaped), [4, 5, 6, 7]);
}

#[test]
fn http_downloads_are_cached_by_uri() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(png(dir.path(), "a.png", CV_8UC3, Scalar::all(9.0))).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}/a.png", listener.local_addr().unwrap());
    // Serves exactly one request: a second download would find nobody listening.
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            bytes.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&bytes).unwrap();
    });
    assert_eq!(
        first_pixel(&overlayimage::load(&uri).unwrap()),
        [9, 9, 9, 255]
    );
    server.join().unwrap();
    assert_eq!(
        first_pixel(&overlayimage::load(&uri).unwrap()),
        [9, 9, 9, 255]
    );
}

#[test]
fn bad_uris_and_files_are_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, "not a picture").unwrap();
    for (uri, kind, start) in [
        (
            "",
            ErrorKind::InvalidParam,
            "the image URI is empty".to_string(),
        ),
        (
            "ftp://host/a.png",
            ErrorKind::InvalidParam,
            "unsupported URI scheme \"ftp\"".into(),
        ),
        (
            "file://relative/a.png",
            ErrorKind::InvalidParam,
            "\"file://relative/a.png\" is not a local file URI".into(),
        ),
        (
            "/nonexistent/a.png",
            ErrorKind::Failed,
            "cannot open the image /nonexistent/a.png".into(),
        ),
        (
            not_image.to_str().unwrap(),
            ErrorKind::Failed,
            format!("{} is not an image", not_image.display()),
        ),
        (
            "http://127.0.0.1:9/a.png",
            ErrorKind::Failed,
            "cannot download http://127.0.0.1:9/a.png".into(),
        ),
    ] {
        let err = overlayimage::load(uri).unwrap_err();
        assert_eq!(err.kind(), kind, "{uri}");
        assert!(
            err.message().starts_with(&start),
            "{uri}: {}",
            err.message()
        );
    }
}
