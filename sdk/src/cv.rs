//! Zero-copy OpenCV views of frames (feature `opencv`).
//!
//! The view is an OpenCV `Mat` header over the mapped frame: no pixels are copied. It lives
//! only for the closure, so it can never outlive the frame. If OpenCV reallocates it (an
//! output of another size or type written into it, or the `Mat` replaced), the frame would
//! silently keep its old pixels; the view detects that and returns an error instead.

use crate::{Error, Frame, PixelFormat, Result};
use opencv::core::{CV_8UC1, CV_8UC3, CV_8UC4, Mat, MatTraitConst};
use std::ffi::c_void;

impl Frame<'_> {
    /// Runs `f` on a read-only `Mat` view of a packed frame (BGR, RGB, 4-byte formats, GRAY8).
    ///
    /// ```no_run
    /// # use filmstrip::{Frame, Result};
    /// # use filmstrip::opencv::core::{mean, no_array};
    /// fn brightness(frame: &Frame) -> Result<f64> {
    ///     frame.with_mat(|mat| Ok(mean(mat, &no_array())?[0]))
    /// }
    /// ```
    pub fn with_mat<R>(&self, f: impl FnOnce(&Mat) -> Result<R>) -> Result<R> {
        let mat = self.mat_view()?;
        f(&mat)
    }

    /// Runs `f` on a writable `Mat` view of a packed frame; the frame shows what `f` draws.
    ///
    /// Returns an error if OpenCV reallocated the view, which would lose the output.
    ///
    /// ```no_run
    /// # use filmstrip::{Frame, Result};
    /// # use filmstrip::opencv::{core::{Point, Scalar}, imgproc};
    /// fn mark(frame: &mut Frame) -> Result<()> {
    ///     frame.with_mat_mut(|mat| {
    ///         imgproc::circle(mat, Point::new(20, 20), 10, Scalar::all(255.0), 2, imgproc::LINE_8, 0)?;
    ///         Ok(())
    ///     })
    /// }
    /// ```
    pub fn with_mat_mut<R>(&mut self, f: impl FnOnce(&mut Mat) -> Result<R>) -> Result<R> {
        // Checks that this frame is writable before exposing its memory for writing.
        let _ = self.plane_mut(0);
        let mut mat = self.mat_view()?;
        let (data, rows, cols, typ) = (mat.data(), mat.rows(), mat.cols(), mat.typ());
        let result = f(&mut mat)?;
        if mat.data() != data || mat.rows() != rows || mat.cols() != cols || mat.typ() != typ {
            return Err(Error::new(
                "OpenCV reallocated the frame's Mat, so the output would be lost: write into it \
                 with results of the same size and type (e.g. `src.copy_to(mat)` or `mat.set_to`), \
                 never assign a new Mat to it",
            ));
        }
        Ok(result)
    }

    fn mat_view(&self) -> Result<Mat> {
        let typ = match self.format() {
            PixelFormat::Bgr | PixelFormat::Rgb => CV_8UC3,
            PixelFormat::Bgrx | PixelFormat::Bgra | PixelFormat::Rgbx | PixelFormat::Rgba => {
                CV_8UC4
            }
            PixelFormat::Gray8 => CV_8UC1,
            other => {
                return Err(Error::new(format!(
                    "a Mat view needs a packed format, got {}; declare packed formats in the filter",
                    other.name()
                )));
            }
        };
        let stride = self.plane(0).stride();
        // SAFETY: the frame's plane 0 is mapped for the lifetime of `self`, holds `height` rows
        // of `stride` bytes, and the Mat does not escape the caller's closure.
        let mat = unsafe {
            Mat::new_rows_cols_with_data_unsafe(
                self.height() as i32,
                self.width() as i32,
                typ,
                self.plane0_ptr().cast::<c_void>(),
                stride,
            )
        }?;
        Ok(mat)
    }
}
