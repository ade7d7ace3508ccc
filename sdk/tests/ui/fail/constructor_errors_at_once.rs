use filmstrip::prelude::*;

#[filmstrip::filter(class = "Blur")]
pub struct Blur {}

#[filmstrip::methods]
impl Blur {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    #[constructor]
    fn create(&self, media_pipeline: String, radius: u32) -> Result<u32> {
        Ok(media_pipeline.len() as u32 + radius)
    }

    #[constructor(radius)]
    #[method]
    fn build(self, mediaPipeline: String) {
        let _ = mediaPipeline;
    }
}

fn main() {}
