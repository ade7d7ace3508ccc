use filmstrip::prelude::*;

#[filmstrip::filter(class = "Delay")]
pub struct Delay {
    #[property]
    delay: std::time::Duration,
}

#[filmstrip::methods]
impl Delay {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
