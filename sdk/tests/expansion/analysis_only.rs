//! The smallest filter: analysis-only, no properties, every default.

use filmstrip::prelude::*;

#[filmstrip::filter]
pub struct Watcher {
    seen: u64,
}

#[filmstrip::methods]
impl Watcher {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        self.seen += 1;
        Ok(())
    }
}

#[test]
fn analysis_only_filter_builds_and_passes_buffers_through() {
    use filmstrip::{Filter, FilterMethods};
    assert_eq!(Watcher::CLASS, "Watcher");
    assert_eq!(Watcher::FACTORY, "watcher");
    assert_eq!(Watcher::FORMATS, filmstrip::PixelFormat::ALL);
    const { assert!(<Watcher as FilterMethods>::ANALYSIS_ONLY) };
}
