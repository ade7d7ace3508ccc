use filmstrip::prelude::*;

#[filmstrip::filter(class = "Tint", colour = "x")]
pub struct Tint {
    #[property(default = 0.5)]
    amount: f64,
}

#[filmstrip::methods]
impl Tint {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let _ = self.amount;
        Ok(())
    }
}

fn main() {}
