//! Zero-copy OpenCV views (feature `opencv`): drawing in place reaches the frame, and
//! replacing the view's `Mat` is an error rather than silently lost output.

use filmstrip::PixelFormat;
use filmstrip::opencv::core::{CV_8UC4, Mat, Rect, Scalar};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use serde_json::json;

/// Draws a filled 2x2 square at the origin, or (with `replace`) assigns a new Mat to the view.
#[filmstrip::filter(class = "Stamp", formats(Bgrx, Gray8))]
pub struct Stamp {
    #[property(default = false)]
    replace: bool,
    /// Mean of the picture before drawing, from the read-only view.
    mean: f64,
}

#[filmstrip::methods]
impl Stamp {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        self.mean = frame.with_mat(|mat| Ok(filmstrip::opencv::core::mean_def(mat)?[0]))?;
        let replace = self.replace;
        frame.with_mat_mut(|mat| {
            if replace {
                // Same size and type, but new memory: the frame would never see it.
                *mat = Mat::zeros(mat.rows(), mat.cols(), CV_8UC4)?.to_mat()?;
            } else {
                let colour = Scalar::new(1.0, 2.0, 3.0, 4.0);
                imgproc::rectangle(
                    mat,
                    Rect::new(0, 0, 2, 2),
                    colour,
                    imgproc::FILLED,
                    imgproc::LINE_8,
                    0,
                )?;
            }
            Ok(())
        })
    }

    #[method]
    fn get_mean(&self) -> Result<f64> {
        Ok(self.mean)
    }
}

#[test]
fn drawing_into_the_view_changes_the_frame() {
    let mut h = Harness::<Stamp>::new(PixelFormat::Bgrx, 4, 3);
    let stride = h.info().stride()[0] as usize;
    let out = h
        .push(&vec![100u8; h.frame_size()])
        .expect("drawing in place works");
    for y in 0..3 {
        for x in 0..4 {
            let pixel = &out[y * stride + x * 4..y * stride + x * 4 + 4];
            let expected: &[u8] = if x < 2 && y < 2 {
                &[1, 2, 3, 4]
            } else {
                &[100; 4]
            };
            assert_eq!(pixel, expected, "pixel ({x}, {y})");
        }
    }
    assert_eq!(h.invoke("getMean", json!(null)).unwrap(), json!(100.0));
}

#[test]
fn drawing_into_a_gray_view_writes_one_byte_per_pixel() {
    let mut h = Harness::<Stamp>::new(PixelFormat::Gray8, 4, 4);
    let stride = h.info().stride()[0] as usize;
    let out = h
        .push(&vec![9u8; h.frame_size()])
        .expect("drawing in place works");
    assert_eq!(&out[..4], &[1, 1, 9, 9]);
    assert_eq!(&out[stride..stride + 4], &[1, 1, 9, 9]);
    assert_eq!(&out[2 * stride..2 * stride + 4], &[9, 9, 9, 9]);
}

#[test]
fn replacing_the_view_is_an_error() {
    let mut h = Harness::<Stamp>::new(PixelFormat::Bgrx, 4, 3);
    h.invoke("setReplace", json!([true])).unwrap();
    let err = h.push(&vec![100u8; h.frame_size()]).unwrap_err();
    assert!(
        err.message()
            .starts_with("OpenCV reallocated the frame's Mat"),
        "{err}"
    );
    assert!(err.message().contains("never assign a new Mat"), "{err}");
}
