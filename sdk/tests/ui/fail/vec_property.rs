use filmstrip::prelude::*;

#[filmstrip::filter(class = "Lut")]
pub struct Lut {
    #[property]
    table: Vec<u8>,
}

#[filmstrip::methods]
impl Lut {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
