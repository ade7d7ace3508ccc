use filmstrip::opencv::core::{CV_8UC1, Mat, Scalar, count_non_zero};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;

/// What the filter draws.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeMode {
    /// White edges on black.
    #[default]
    Edges,
    /// The picture with its edges drawn in red.
    Overlay,
}

/// The share of edge pixels in the picture moved by at least `reportStep`.
#[derive(Event, Debug, Clone)]
pub struct EdgeDensityChanged {
    /// Edge pixels per pixel, 0..1.
    pub density: f64,
}

/// Finds edges with the Canny detector and shows them alone or over the picture.
#[filmstrip::filter(
    class = "EdgeDetectFilter",
    formats(Bgr, Bgrx, Bgra, Gray8),
    events(EdgeDensityChanged)
)]
pub struct EdgeDetect {
    /// Lower Canny threshold; the upper one is twice it. Lower values find more edges.
    #[property(default = 80.0, min = 0.0, max = 1000.0)]
    threshold: f64,
    /// Smallest change of edge density that raises `EdgeDensityChanged`.
    #[property(default = 0.05, min = 0.0, max = 1.0)]
    report_step: f64,
    mode: EdgeMode,
    last_density: Option<f64>,
    gray: Mat,
    edges: Mat,
}

#[filmstrip::methods]
impl EdgeDetect {
    fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> Result<()> {
        let (threshold, mode) = (self.threshold, self.mode);
        let (gray, edges) = (&mut self.gray, &mut self.edges);
        let density = frame.with_mat_mut(|picture| {
            let to_gray = match picture.channels() {
                1 => None,
                3 => Some(imgproc::COLOR_BGR2GRAY),
                _ => Some(imgproc::COLOR_BGRA2GRAY),
            };
            let source: &Mat = match to_gray {
                Some(code) => {
                    imgproc::cvt_color_def(picture, gray, code)?;
                    gray
                }
                None => picture,
            };
            imgproc::canny_def(source, edges, threshold, threshold * 2.0)?;
            let density =
                f64::from(count_non_zero(edges)?) / (edges.rows() * edges.cols()).max(1) as f64;
            match mode {
                EdgeMode::Edges => {
                    picture.set_to_def(&Scalar::all(0.0))?;
                    picture.set_to(&Scalar::all(255.0), edges)?;
                }
                EdgeMode::Overlay => {
                    picture.set_to(&Scalar::new(0.0, 0.0, 255.0, 255.0), edges)?;
                }
            }
            debug_assert_eq!(edges.typ(), CV_8UC1);
            Ok(density)
        })?;
        if self
            .last_density
            .is_none_or(|last| (density - last).abs() >= self.report_step)
        {
            self.last_density = Some(density);
            ctx.emit(EdgeDensityChanged { density });
        }
        Ok(())
    }

    /// Switches between edges alone and edges over the picture.
    #[method]
    fn set_mode(&mut self, mode: EdgeMode) -> Result<()> {
        self.mode = mode;
        Ok(())
    }

    /// What the filter draws now.
    #[method]
    fn get_mode(&mut self) -> Result<EdgeMode> {
        Ok(self.mode)
    }
}
