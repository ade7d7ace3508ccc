use filmstrip::prelude::*;

#[filmstrip::filter(class = "Counter")]
pub struct Counter {
    frames: u64,
}

#[filmstrip::methods]
impl Counter {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        self.frames += 1;
        Ok(())
    }

    #[method]
    fn get_frames(&mut self) -> u64 {
        self.frames
    }
}

fn main() {}
