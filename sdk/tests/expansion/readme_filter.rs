//! The filter README.md shows, word for word: the front door must compile.

use filmstrip::prelude::*;

/// Darkens the picture.
#[filmstrip::filter(class = "DimFilter", formats(Bgrx, Gray8))]
pub struct Dim {
    /// Share of the original brightness to keep.
    #[property(default = 0.5, min = 0.0, max = 1.0)]
    keep: f64,
}

#[filmstrip::methods]
impl Dim {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        for row in frame.plane_mut(0).rows_mut() {
            row.iter_mut()
                .for_each(|v| *v = (*v as f64 * self.keep) as u8);
        }
        Ok(())
    }
}

filmstrip::module! { name = "dim", filters(Dim) }

#[test]
fn the_readme_filter_compiles() {}
