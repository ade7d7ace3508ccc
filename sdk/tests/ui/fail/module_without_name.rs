use filmstrip::prelude::*;

#[filmstrip::filter(class = "Nothing")]
pub struct Nothing {}

#[filmstrip::methods]
impl Nothing {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

filmstrip::module! { filters(Nothing) }

fn main() {}
