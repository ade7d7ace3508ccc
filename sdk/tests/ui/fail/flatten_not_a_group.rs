use filmstrip::prelude::*;

#[derive(Default)]
pub struct Plain {
    pub size: u32,
}

#[filmstrip::filter(class = "Blur")]
pub struct Blur {
    #[property(flatten)]
    plain: Plain,
}

#[filmstrip::methods]
impl Blur {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
