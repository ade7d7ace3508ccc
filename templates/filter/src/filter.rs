{%- if opencv -%}
use filmstrip::opencv::core::{Mat, Size};
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use filmstrip::prelude::*;

/// Blurs the picture.
///
/// Replace with your own filter: fields are its state, `#[property]` fields can be set from
/// GStreamer and Kurento clients, `transform_frame` runs on every frame.
#[filmstrip::filter(class = "{{class}}", formats(Bgr, Bgrx, Bgra, Gray8))]
pub struct {{struct_name}} {
    /// Blur radius in pixels; 0 leaves the picture alone.
    #[property(default = 2, min = 0, max = 50)]
    radius: u32,
    /// Reused from frame to frame so that frames cost no allocation.
    blurred: Mat,
}

#[filmstrip::methods]
impl {{struct_name}} {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        if self.radius == 0 {
            return Ok(());
        }
        let side = 2 * self.radius as i32 + 1;
        let blurred = &mut self.blurred;
        // `picture` is the frame's own memory: write into it, never replace it.
        frame.with_mat_mut(|picture| {
            imgproc::gaussian_blur_def(picture, blurred, Size::new(side, side), 0.0)?;
            blurred.copy_to(picture)?;
            Ok(())
        })
    }
}
{%- else -%}
use filmstrip::prelude::*;

/// Mixes the picture with its negative.
///
/// Replace with your own filter: fields are its state, `#[property]` fields can be set from
/// GStreamer and Kurento clients, `transform_frame` runs on every frame.
#[filmstrip::filter(class = "{{class}}", formats(Bgrx, Gray8))]
pub struct {{struct_name}} {
    /// Share of the negative in the output, 0..1.
    #[property(default = 1.0, min = 0.0, max = 1.0)]
    strength: f64,
}

#[filmstrip::methods]
impl {{struct_name}} {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let strength = self.strength;
        for row in frame.plane_mut(0).rows_mut() {
            for v in row {
                let negative = f64::from(255 - *v);
                *v = (f64::from(*v) * (1.0 - strength) + negative * strength).round() as u8;
            }
        }
        Ok(())
    }
}
{%- endif %}
