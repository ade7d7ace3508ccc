use filmstrip::prelude::*;

#[derive(Event)]
pub struct MotionDetected {
    pub area: f64,
}

#[derive(Event)]
pub struct SceneChanged {
    pub score: f64,
}

#[filmstrip::filter(class = "Motion", events(MotionDetected))]
pub struct Motion {}

#[filmstrip::methods]
impl Motion {
    fn transform_frame(&mut self, _frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        ctx.emit(MotionDetected { area: 0.5 });
        ctx.emit(SceneChanged { score: 1.0 });
        Ok(())
    }
}

fn main() {}
