use filmstrip::prelude::*;

#[filmstrip::filter(class = "Blur")]
pub struct Blur {
    radius: u32,
}

#[filmstrip::methods]
impl Blur {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    #[constructor]
    fn create(&mut self, radius: u32) -> Result<()> {
        self.radius = radius;
        Ok(())
    }

    #[constructor]
    fn create_again(&mut self, radius: Option<u32>) -> Result<()> {
        self.radius = radius.unwrap_or(1);
        Ok(())
    }
}

fn main() {}
