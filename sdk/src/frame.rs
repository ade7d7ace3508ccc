//! A video frame as filter code sees it: its format, size and planes, mapped in place.

use gst_video::{VideoFormat, VideoFrameExt, VideoFrameRef};
use std::marker::PhantomData;
use std::time::Duration;

/// Pixel formats a filter can accept. Pipelines convert other formats on the way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// 24-bit blue, green, red (OpenCV's native order).
    Bgr,
    /// 32-bit blue, green, red and an unused byte.
    Bgrx,
    /// 32-bit blue, green, red, alpha.
    Bgra,
    /// 24-bit red, green, blue.
    Rgb,
    /// 32-bit red, green, blue and an unused byte.
    Rgbx,
    /// 32-bit red, green, blue, alpha.
    Rgba,
    /// 8-bit grey.
    Gray8,
    /// Planar YUV 4:2:0: a Y plane, then U and V planes at half size.
    I420,
    /// Semi-planar YUV 4:2:0: a Y plane, then one interleaved UV plane at half size.
    Nv12,
}

impl PixelFormat {
    /// Every supported format.
    pub const ALL: &'static [PixelFormat] = &[
        Self::Bgr,
        Self::Bgrx,
        Self::Bgra,
        Self::Rgb,
        Self::Rgbx,
        Self::Rgba,
        Self::Gray8,
        Self::I420,
        Self::Nv12,
    ];

    /// The GStreamer format.
    pub fn to_video_format(self) -> VideoFormat {
        match self {
            Self::Bgr => VideoFormat::Bgr,
            Self::Bgrx => VideoFormat::Bgrx,
            Self::Bgra => VideoFormat::Bgra,
            Self::Rgb => VideoFormat::Rgb,
            Self::Rgbx => VideoFormat::Rgbx,
            Self::Rgba => VideoFormat::Rgba,
            Self::Gray8 => VideoFormat::Gray8,
            Self::I420 => VideoFormat::I420,
            Self::Nv12 => VideoFormat::Nv12,
        }
    }

    /// The format for a GStreamer format, if supported.
    pub fn from_video_format(format: VideoFormat) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.to_video_format() == format)
    }

    /// GStreamer's name for it (`BGR`, `I420`, ...).
    pub fn name(self) -> &'static str {
        self.to_video_format().to_str().as_str()
    }

    /// Number of planes.
    pub fn n_planes(self) -> usize {
        match self {
            Self::I420 => 3,
            Self::Nv12 => 2,
            _ => 1,
        }
    }

    /// Bytes per pixel (packed formats) or per sample (planes of planar formats).
    fn plane_layout(self, plane: usize, width: usize, height: usize) -> (usize, usize, usize) {
        let half = |n: usize| n.div_ceil(2);
        match (self, plane) {
            (Self::Bgr | Self::Rgb, _) => (width, height, 3),
            (Self::Bgrx | Self::Bgra | Self::Rgbx | Self::Rgba, _) => (width, height, 4),
            (Self::Gray8, _) | (Self::I420 | Self::Nv12, 0) => (width, height, 1),
            (Self::I420, _) => (half(width), half(height), 1),
            (Self::Nv12, _) => (half(width), half(height), 2),
        }
    }
}

#[derive(Clone, Copy)]
struct RawPlane {
    data: *mut u8,
    len: usize,
    stride: usize,
}

/// The planes of a mapped frame, from `plane(i)` giving plane `i`'s start, length and stride.
fn collect_planes(
    n_planes: u32,
    mut plane: impl FnMut(u32) -> Option<(*mut u8, usize, i32)>,
) -> Option<[RawPlane; 3]> {
    let mut planes = [RawPlane {
        data: std::ptr::null_mut(),
        len: 0,
        stride: 0,
    }; 3];
    for (i, slot) in planes.iter_mut().enumerate().take(n_planes as usize) {
        let (data, len, stride) = plane(i as u32)?;
        *slot = RawPlane {
            data,
            len,
            stride: usize::try_from(stride).ok()?,
        };
    }
    Some(planes)
}

/// One mapped video frame.
///
/// Filters that take `&mut Frame` in `transform_frame` edit the picture in place. Filters
/// that take `&Frame` only read it, and GStreamer passes their buffers on without a copy.
pub struct Frame<'a> {
    format: PixelFormat,
    width: usize,
    height: usize,
    pts: Option<Duration>,
    planes: [RawPlane; 3],
    writable: bool,
    _mapped: PhantomData<&'a mut [u8]>,
}

// SAFETY: a Frame only points into a buffer mapped for the lifetime 'a, like a slice would.
unsafe impl Send for Frame<'_> {}

impl<'a> Frame<'a> {
    /// Wraps a frame mapped for writing.
    pub(crate) fn writable(frame: &'a mut VideoFrameRef<&mut gst::BufferRef>) -> Option<Self> {
        let (format, width, height) = (frame.format(), frame.width(), frame.height());
        let pts = frame.buffer().pts();
        let planes = collect_planes(frame.n_planes(), |i| {
            let stride = frame.plane_stride()[i as usize];
            let data = frame.plane_data_mut(i).ok()?;
            Some((data.as_mut_ptr(), data.len(), stride))
        })?;
        Self::new(format, width, height, pts, planes, true)
    }

    /// Wraps a frame mapped for reading only.
    pub(crate) fn readable(frame: &'a VideoFrameRef<&gst::BufferRef>) -> Option<Self> {
        let planes = collect_planes(frame.n_planes(), |i| {
            let data = frame.plane_data(i).ok()?;
            Some((
                data.as_ptr().cast_mut(),
                data.len(),
                frame.plane_stride()[i as usize],
            ))
        })?;
        let pts = frame.buffer().pts();
        Self::new(
            frame.format(),
            frame.width(),
            frame.height(),
            pts,
            planes,
            false,
        )
    }

    fn new(
        format: VideoFormat,
        width: u32,
        height: u32,
        pts: Option<gst::ClockTime>,
        planes: [RawPlane; 3],
        writable: bool,
    ) -> Option<Self> {
        Some(Self {
            format: PixelFormat::from_video_format(format)?,
            width: width as usize,
            height: height as usize,
            pts: pts.map(|t| Duration::from_nanos(t.nseconds())),
            planes,
            writable,
            _mapped: PhantomData,
        })
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Presentation time of the frame in its stream, when known.
    pub fn pts(&self) -> Option<Duration> {
        self.pts
    }

    /// Number of planes: 1 for packed formats and GRAY8, 2 for NV12, 3 for I420.
    pub fn n_planes(&self) -> usize {
        self.format.n_planes()
    }

    fn raw(&self, index: usize) -> RawPlane {
        assert!(
            index < self.n_planes(),
            "plane {index} does not exist in a {} frame",
            self.format.name()
        );
        self.planes[index]
    }

    /// Plane `index`, read-only. Panics if the format has no such plane.
    pub fn plane(&self, index: usize) -> Plane<'_> {
        let raw = self.raw(index);
        let (width, height, bytes_per_pixel) =
            self.format.plane_layout(index, self.width, self.height);
        // SAFETY: `raw` describes a plane mapped for at least the lifetime of `self`.
        let data = unsafe { std::slice::from_raw_parts(raw.data, raw.len) };
        Plane {
            data,
            stride: raw.stride,
            width,
            height,
            bytes_per_pixel,
        }
    }

    /// Plane `index`, writable. Panics if the format has no such plane.
    pub fn plane_mut(&mut self, index: usize) -> PlaneMut<'_> {
        assert!(self.writable, "analysis-only filters get read-only frames");
        let raw = self.raw(index);
        let (width, height, bytes_per_pixel) =
            self.format.plane_layout(index, self.width, self.height);
        // SAFETY: the plane is mapped writable for the lifetime of `self`, borrowed mutably.
        let data = unsafe { std::slice::from_raw_parts_mut(raw.data, raw.len) };
        PlaneMut {
            data,
            stride: raw.stride,
            width,
            height,
            bytes_per_pixel,
        }
    }

    /// Start address of plane 0, for OpenCV views.
    #[cfg(feature = "opencv")]
    pub(crate) fn plane0_ptr(&self) -> *mut u8 {
        self.planes[0].data
    }
}

/// A read-only image plane.
pub struct Plane<'a> {
    data: &'a [u8],
    stride: usize,
    width: usize,
    height: usize,
    bytes_per_pixel: usize,
}

/// A writable image plane.
pub struct PlaneMut<'a> {
    data: &'a mut [u8],
    stride: usize,
    width: usize,
    height: usize,
    bytes_per_pixel: usize,
}

macro_rules! plane_accessors {
    () => {
        /// Width in samples (pixels for packed formats).
        pub fn width(&self) -> usize {
            self.width
        }

        /// Height in rows.
        pub fn height(&self) -> usize {
            self.height
        }

        /// Bytes between the starts of two rows; at least `width * bytes_per_pixel`.
        pub fn stride(&self) -> usize {
            self.stride
        }

        /// Bytes per sample: 3 for BGR, 4 for BGRx, 2 for NV12's UV plane, 1 otherwise.
        pub fn bytes_per_pixel(&self) -> usize {
            self.bytes_per_pixel
        }

        /// Row `y` without its padding. Panics if `y >= height`.
        pub fn row(&self, y: usize) -> &[u8] {
            assert!(y < self.height, "row {y} of {}", self.height);
            let start = y * self.stride;
            &self.data[start..start + self.width * self.bytes_per_pixel]
        }

        /// The plane's rows, top to bottom, without padding.
        pub fn rows(&self) -> impl Iterator<Item = &[u8]> {
            (0..self.height).map(move |y| self.row(y))
        }

        /// The raw bytes, padding included.
        pub fn data(&self) -> &[u8] {
            self.data
        }
    };
}

impl Plane<'_> {
    plane_accessors!();
}

impl PlaneMut<'_> {
    plane_accessors!();

    /// Row `y` without its padding, writable. Panics if `y >= height`.
    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        assert!(y < self.height, "row {y} of {}", self.height);
        let start = y * self.stride;
        &mut self.data[start..start + self.width * self.bytes_per_pixel]
    }

    /// The plane's rows, top to bottom, writable, without padding.
    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut [u8]> {
        let row_len = self.width * self.bytes_per_pixel;
        self.data
            .chunks_mut(self.stride)
            .take(self.height)
            .map(move |row| &mut row[..row_len])
    }

    /// The raw bytes, padding included, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.data
    }
}
