use filmstrip::prelude::*;

#[filmstrip::filter(class = "Crop")]
pub struct Crop {
    size: (u32, u32),
}

#[filmstrip::methods]
impl Crop {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    #[method]
    fn set_size(&mut self, (width, height): (u32, u32)) -> Result<()> {
        self.size = (width, height);
        Ok(())
    }
}

fn main() {}
