//! Push frames through a filter without a host (feature `testing`).
//!
//! ```ignore
//! use filmstrip::{PixelFormat, testing::Harness};
//!
//! let mut h = Harness::<Pixelate>::new(PixelFormat::Gray8, 64, 48);
//! h.invoke("setBlockSize", serde_json::json!([8])).unwrap();
//! let out = h.push(&vec![0u8; h.frame_size()]).unwrap();
//! assert_eq!(out.len(), h.frame_size());
//! ```

use crate::event::EmittedEvent;
use crate::{Error, Filter, PixelFormat, Result};
use gst::prelude::*;
use serde_json::Value as Json;
use std::marker::PhantomData;

/// One filter element between a test source and a test sink.
pub struct Harness<F: Filter> {
    harness: gst_check::Harness,
    element: gst::Element,
    bus: gst::Bus,
    info: gst_video::VideoInfo,
    pushed: u64,
    _filter: PhantomData<F>,
}

impl<F: Filter> Harness<F> {
    /// A harness feeding `width`x`height` frames of `format` at 30 fps.
    ///
    /// Panics if GStreamer cannot start or the format is not one the filter accepts.
    pub fn new(format: PixelFormat, width: u32, height: u32) -> Self {
        gst::init().expect("GStreamer initialises");
        assert!(
            F::FORMATS.contains(&format),
            "{} does not accept {}",
            F::CLASS,
            format.name()
        );
        let element: gst::Element = gst::glib::Object::with_type(F::element_type())
            .downcast()
            .expect("filters are elements");
        let bus = gst::Bus::new();
        element.set_bus(Some(&bus));
        let mut harness = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
        let info = gst_video::VideoInfo::builder(format.to_video_format(), width, height)
            .fps(gst::Fraction::new(30, 1))
            .build()
            .expect("valid video info");
        harness.set_src_caps(info.to_caps().expect("caps from info"));
        Self {
            harness,
            element,
            bus,
            info,
            pushed: 0,
            _filter: PhantomData,
        }
    }

    /// The element under test, e.g. to set GObject properties.
    pub fn element(&self) -> &gst::Element {
        &self.element
    }

    /// The layout of the frames: strides and plane offsets.
    pub fn info(&self) -> &gst_video::VideoInfo {
        &self.info
    }

    /// Bytes in one frame of this harness's format and size.
    pub fn frame_size(&self) -> usize {
        self.info.size()
    }

    /// Calls a method or property getter/setter by its Kurento name.
    pub fn invoke(&self, operation: &str, params: Json) -> Result<Json> {
        F::core(&self.element)
            .expect("the harness element is an F")
            .invoke(&self.element, operation, &params)
    }

    /// Runs the filter's `#[constructor]` with Kurento's constructor parameters after
    /// `mediaPipeline`, as a JSON object by name (`{"window": {..}}`), as a host does when it
    /// creates the element; call it before the first frame.
    pub fn construct(&self, params: Json) -> Result<()> {
        self.invoke(crate::abi::CONSTRUCTOR, params).map(drop)
    }

    /// Pushes one frame laid out as [`Self::info`] says and returns the output frame's bytes.
    ///
    /// On failure the error is the message the element posted (filter error or panic).
    pub fn push(&mut self, frame: &[u8]) -> Result<Vec<u8>> {
        assert_eq!(
            frame.len(),
            self.frame_size(),
            "frame size for {:?}",
            self.info
        );
        // Writable memory, as buffer pools hand out: `from_slice` memory is read-only, so
        // writing filters would get a copy and tests would not see what pipelines do.
        let buffer = self.push_buffer(gst::Buffer::from_mut_slice(frame.to_vec()))?;
        let map = buffer.map_readable().expect("output buffers are readable");
        Ok(map.to_vec())
    }

    /// Pushes one buffer and returns the output buffer itself, e.g. to check it was not copied.
    pub fn push_buffer(&mut self, mut buffer: gst::Buffer) -> Result<gst::Buffer> {
        let frame_duration = gst::ClockTime::from_nseconds(1_000_000_000 / 30);
        {
            let buffer = buffer.make_mut();
            buffer.set_pts(frame_duration * self.pushed);
            buffer.set_duration(frame_duration);
        }
        self.pushed += 1;
        if self.harness.push(buffer).is_err() {
            return Err(self
                .error()
                .unwrap_or_else(|| Error::new("push failed with no error message")));
        }
        self.harness
            .pull()
            .map_err(|e| Error::new(format!("no output buffer: {e}")))
    }

    fn error(&self) -> Option<Error> {
        let message = self.bus.pop_filtered(&[gst::MessageType::Error])?;
        let gst::MessageView::Error(err) = message.view() else {
            return None;
        };
        Some(Error::new(err.error().to_string()))
    }

    /// The events emitted since the last call, oldest first.
    pub fn events(&self) -> Vec<EmittedEvent> {
        std::iter::from_fn(|| self.bus.pop_filtered(&[gst::MessageType::Element]))
            .filter_map(|m| EmittedEvent::from_message(&m))
            .collect()
    }
}
