//! Images that filters draw over the video: loading from a path, `file://` or `http(s)://`
//! URI (downloads cached), and alpha blending into frames with clipping at the borders.

use filmstrip::opencv::core::{Mat, Rect, Size, Vector};
use filmstrip::opencv::prelude::*;
use filmstrip::opencv::{imgcodecs, imgproc};
use filmstrip::{Error, Frame, Result};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest image accepted, downloaded or read from a file.
pub const MAX_IMAGE_BYTES: u64 = 16 << 20;
/// How long a download may take in all, connecting included.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Downloaded images kept, so elements sharing a URI download it once.
const CACHE_ENTRIES: usize = 16;

/// Decoded downloads by URI, most recently used last.
type Cache = Vec<(String, Arc<Mat>)>;
static CACHE: Mutex<Cache> = Mutex::new(Vec::new());

/// Draws `image` (8-bit BGRA, as [`load`] gives) scaled into `placement` of a BGR, BGRx or
/// BGRA frame, alpha-blended; the parts outside the frame are cut.
pub fn draw(frame: &mut Frame, image: &Mat, placement: Rect) -> Result<()> {
    let visible = placement & Rect::new(0, 0, frame.width() as i32, frame.height() as i32);
    if visible.width <= 0 || visible.height <= 0 {
        return Ok(());
    }
    let (image_w, image_h) = (image.cols(), image.rows());
    // Only the part of the image that lands in the frame is scaled: a box far larger
    // than the frame costs no more than one that fits.
    let sx = f64::from(image_w) / f64::from(placement.width);
    let sy = f64::from(image_h) / f64::from(placement.height);
    let x0 = ((f64::from(visible.x - placement.x) * sx).floor() as i32).clamp(0, image_w - 1);
    let y0 = ((f64::from(visible.y - placement.y) * sy).floor() as i32).clamp(0, image_h - 1);
    let x1 = ((f64::from(visible.x + visible.width - placement.x) * sx).ceil() as i32)
        .clamp(x0 + 1, image_w);
    let y1 = ((f64::from(visible.y + visible.height - placement.y) * sy).ceil() as i32)
        .clamp(y0 + 1, image_h);
    let source = image.roi(Rect::new(x0, y0, x1 - x0, y1 - y0))?;
    let shrinking = x1 - x0 > visible.width;
    let mut scaled = Mat::default();
    imgproc::resize(
        &source,
        &mut scaled,
        Size::new(visible.width, visible.height),
        0.0,
        0.0,
        if shrinking {
            imgproc::INTER_AREA
        } else {
            imgproc::INTER_LINEAR
        },
    )?;
    let pixels = scaled.data_bytes()?;
    let row_len = visible.width as usize * 4;
    let mut plane = frame.plane_mut(0);
    let bpp = plane.bytes_per_pixel();
    for (row, y) in (visible.y..visible.y + visible.height).enumerate() {
        let over = &pixels[row * row_len..(row + 1) * row_len];
        let start = visible.x as usize * bpp;
        let dst = &mut plane.row_mut(y as usize)[start..start + visible.width as usize * bpp];
        for (dst, src) in dst.chunks_exact_mut(bpp).zip(over.chunks_exact(4)) {
            blend_pixel(dst, src);
        }
    }
    Ok(())
}

/// Blends one BGRA pixel over the first three bytes of `dst`, rounding to nearest; a frame's
/// own alpha byte is left alone.
pub fn blend_pixel(dst: &mut [u8], src: &[u8]) {
    let alpha = u32::from(src[3]);
    for (d, s) in dst.iter_mut().zip(&src[..3]) {
        *d = ((u32::from(*s) * alpha + u32::from(*d) * (255 - alpha) + 127) / 255) as u8;
    }
}

/// Loads the image at `uri`: a local path, a `file://` URI or an `http(s)://` URL.
///
/// Grey, BGR and BGRA images (PNG, JPEG and whatever else OpenCV decodes) come back as BGRA.
/// A malformed URI is [`ErrorKind::InvalidParam`](filmstrip::ErrorKind::InvalidParam);
/// anything failing to load is [`ErrorKind::Failed`](filmstrip::ErrorKind::Failed).
pub fn load(uri: &str) -> Result<Arc<Mat>> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(Error::invalid_param("the image URI is empty"));
    }
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return cached_download(uri);
    }
    let path = if let Some(rest) = lower.strip_prefix("file://") {
        // `file:///a/b` and `file://localhost/a/b` name the local file `/a/b`.
        let rest = &uri[uri.len() - rest.len()..];
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        if !path.starts_with('/') {
            return Err(Error::invalid_param(format!(
                "{uri:?} is not a local file URI: expected file:///path"
            )));
        }
        percent_decode(path)
            .ok_or_else(|| Error::invalid_param(format!("{uri:?} has a bad %-escape")))?
    } else if let Some((scheme, _)) = uri.split_once("://") {
        return Err(Error::invalid_param(format!(
            "unsupported URI scheme {scheme:?} in {uri:?}: use a path, file://, http:// or https://"
        )));
    } else {
        uri.to_string()
    };
    let file = std::fs::File::open(&path)
        .map_err(|e| Error::new(format!("cannot open the image {path}: {e}")))?;
    let bytes = read_limited(file).map_err(|e| Error::new(format!("cannot read {path}: {e}")))?;
    decode(&bytes, uri).map(Arc::new)
}

fn cached_download(uri: &str) -> Result<Arc<Mat>> {
    let cache = || CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let hit = {
        let mut cache = cache();
        let at = cache.iter().position(|(key, _)| key == uri);
        at.map(|at| {
            let entry = cache.remove(at);
            let image = entry.1.clone();
            cache.push(entry);
            image
        })
    };
    if let Some(image) = hit {
        return Ok(image);
    }
    // Not holding the lock while downloading: other elements' loads go on meanwhile.
    let image = Arc::new(decode(&download(uri)?, uri)?);
    let mut cache = cache();
    if cache.len() >= CACHE_ENTRIES {
        cache.remove(0);
    }
    cache.push((uri.to_string(), image.clone()));
    Ok(image)
}

fn download(uri: &str) -> Result<Vec<u8>> {
    let failed = |e: &dyn std::fmt::Display| Error::new(format!("cannot download {uri}: {e}"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(DOWNLOAD_TIMEOUT))
        .build()
        .into();
    let response = agent.get(uri).call().map_err(|e| failed(&e))?;
    let reader = response.into_body().into_reader();
    read_limited(reader).map_err(|e| failed(&e))
}

/// Reads at most [`MAX_IMAGE_BYTES`], failing rather than truncating a larger input.
fn read_limited(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than the {} MiB limit",
            MAX_IMAGE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Decodes an image file's bytes into 8-bit BGRA.
fn decode(bytes: &[u8], uri: &str) -> Result<Mat> {
    let invalid = || Error::new(format!("{uri} is not an image OpenCV can decode"));
    let buffer = Vector::<u8>::from_slice(bytes);
    // A corrupt file makes imdecode fail or return an empty Mat, depending on the codec.
    let decoded =
        imgcodecs::imdecode(&buffer, imgcodecs::IMREAD_UNCHANGED).map_err(|_| invalid())?;
    if decoded.empty() {
        return Err(invalid());
    }
    let mut eight_bit = Mat::default();
    // 16-bit PNGs are scaled down to 8 bits; 8-bit images are copied as they are.
    let depth_scale = if decoded.depth() == filmstrip::opencv::core::CV_16U {
        1.0 / 257.0
    } else {
        1.0
    };
    decoded.convert_to(
        &mut eight_bit,
        filmstrip::opencv::core::CV_8U,
        depth_scale,
        0.0,
    )?;
    let code = match eight_bit.channels() {
        1 => imgproc::COLOR_GRAY2BGRA,
        3 => imgproc::COLOR_BGR2BGRA,
        4 => return Ok(eight_bit),
        n => {
            return Err(Error::new(format!(
                "{uri} has {n} channels; expected 1, 3 or 4"
            )));
        }
    };
    let mut bgra = Mat::default();
    imgproc::cvt_color_def(&eight_bit, &mut bgra, code)?;
    Ok(bgra)
}

/// Undoes `%XX` escapes; `None` for a bad escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}
