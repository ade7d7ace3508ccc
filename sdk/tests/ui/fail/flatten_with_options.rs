use filmstrip::prelude::*;

/// Settings two filters share.
#[filmstrip::properties]
pub struct Shared {
    #[property(default = 4)]
    size: u32,
}

#[filmstrip::filter(class = "Blur")]
pub struct Blur {
    #[property(flatten, default = 3)]
    shared: Shared,
}

#[filmstrip::methods]
impl Blur {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
