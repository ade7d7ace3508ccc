use filmstrip::prelude::*;

#[filmstrip::filter(class = "NoTransform")]
pub struct NoTransform {}

#[filmstrip::methods]
impl NoTransform {
    #[method]
    fn reset(&mut self) -> Result<()> {
        Ok(())
    }
}

fn main() {}
