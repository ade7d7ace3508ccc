//! Where `filmstrip run` sends the filtered video.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// The destination of the filtered video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// VP8 in WebM.
    Webm(PathBuf),
    /// H.264 in MP4.
    Mp4(PathBuf),
    /// H.264 in Matroska.
    Mkv(PathBuf),
    /// Nowhere: decode and filter only, e.g. to collect events.
    Null,
}

impl Output {
    /// Picks the output from `--output`: `null` or a file whose extension names the format.
    pub fn parse(text: &str) -> Result<Self> {
        if text == "null" {
            return Ok(Self::Null);
        }
        let path = PathBuf::from(text);
        let extension = path
            .extension()
            .and_then(|ext| ext.to_str())
            .map(str::to_ascii_lowercase);
        Ok(match extension.as_deref() {
            Some("webm") => Self::Webm(path),
            Some("mp4") => Self::Mp4(path),
            Some("mkv") => Self::Mkv(path),
            _ => bail!("unsupported output {text}: use a .webm, .mp4 or .mkv file, or null"),
        })
    }

    /// The elements that encode and write raw video, first element first.
    pub fn elements(&self) -> Result<Vec<gst::Element>> {
        let make = |factory: &str| gst::ElementFactory::make(factory).build();
        let x264 = || {
            gst::ElementFactory::make("x264enc")
                .property_from_str("speed-preset", "ultrafast")
                .property_from_str("tune", "zerolatency")
                .build()
        };
        // Left free, x264enc takes 4:4:4 input and makes High 4:4:4 video few players decode.
        let i420 = || {
            let caps = gst::Caps::builder("video/x-raw")
                .field("format", "I420")
                .build();
            gst::ElementFactory::make("capsfilter")
                .property("caps", caps)
                .build()
        };
        let elements = match self {
            Self::Webm(path) => vec![
                gst::ElementFactory::make("vp8enc")
                    .property("deadline", 1i64)
                    .build()?,
                make("webmmux")?,
                file_sink(path)?,
            ],
            Self::Mp4(path) => vec![
                i420()?,
                x264()?,
                make("h264parse")?,
                make("mp4mux")?,
                file_sink(path)?,
            ],
            Self::Mkv(path) => vec![
                i420()?,
                x264()?,
                make("h264parse")?,
                make("matroskamux")?,
                file_sink(path)?,
            ],
            Self::Null => vec![
                gst::ElementFactory::make("fakesink")
                    .property("sync", false)
                    .build()?,
            ],
        };
        Ok(elements)
    }
}

fn file_sink(path: &Path) -> Result<gst::Element> {
    Ok(gst::ElementFactory::make("filesink")
        .property("location", path)
        .build()?)
}
