use filmstrip::prelude::*;

#[filmstrip::filter(class = "Blur")]
pub struct Blur {}

#[filmstrip::methods]
impl Blur {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    #[method(fast)]
    fn sharpen(&mut self, (a, b): (u32, u32)) -> Result<()> {
        let _ = (a, b);
        Ok(())
    }

    #[method]
    fn soften(self) {}
}

fn main() {}
