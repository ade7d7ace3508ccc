//! A group of properties shared by two filters with `#[property(flatten)]`: descriptor,
//! GObject properties and Kurento getters and setters as if declared in each filter.

use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{PixelFormat, PropertyGroup};

/// How faces are searched for.
#[filmstrip::properties]
#[derive(Debug, Clone)]
pub struct Search {
    /// Width of the picture searched.
    #[property(default = 320, min = 64, max = 3840)]
    search_width: u32,
    /// Search in one frame in this many.
    #[property(default = 3, min = 1)]
    search_every: u32,
}

/// Marks faces.
#[filmstrip::filter(class = "MarkFilter", formats(Gray8))]
pub struct Mark {
    /// Brightness of the mark.
    #[property(default = 255)]
    level: u32,
    #[property(flatten)]
    search: Search,
    #[property(default = true)]
    enabled: bool,
}

/// Counts faces.
#[filmstrip::filter(class = "CountFilter", formats(Gray8))]
pub struct Count {
    #[property(flatten)]
    search: Search,
}

#[filmstrip::methods]
impl Mark {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let value = (self.search.search_width / 10) as u8;
        frame.plane_mut(0).data_mut().fill(value);
        Ok(())
    }
}

#[filmstrip::methods]
impl Count {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

#[test]
fn a_flattened_group_acts_as_declared_inline() {
    let names: Vec<_> = Mark::PROPERTIES.iter().map(|p| p.name).collect();
    assert_eq!(names, ["level", "searchWidth", "searchEvery", "enabled"]);
    let counted: Vec<_> = Count::PROPERTIES.iter().map(|p| p.gobject).collect();
    assert_eq!(counted, ["search-width", "search-every"]);

    let descriptor = filmstrip::class_descriptor::<Mark>();
    let width = &descriptor.properties[1];
    assert_eq!(width.name, "searchWidth");
    assert_eq!(width.doc, "Width of the picture searched.");
    assert_eq!(width.default_value, Some(filmstrip::serde_json::json!(320)));
    assert_eq!(width.minimum, Some(filmstrip::serde_json::json!(64)));

    let mut harness = Harness::<Mark>::new(PixelFormat::Gray8, 8, 4);
    assert_eq!(
        harness
            .invoke("getSearchWidth", filmstrip::serde_json::json!([]))
            .unwrap(),
        320
    );
    harness
        .invoke("setSearchWidth", filmstrip::serde_json::json!([640]))
        .unwrap();
    let out = harness.push(&vec![0; harness.frame_size()]).unwrap();
    assert!(
        out.iter().all(|&v| v == 64),
        "the filter sees the group's value"
    );
    let err = harness
        .invoke("setSearchEvery", filmstrip::serde_json::json!([0]))
        .unwrap_err();
    assert_eq!(err.message(), "searchEvery: 0 is out of range [1, ..]");

    use filmstrip::gst::prelude::*;
    let element = harness.element();
    assert_eq!(element.property::<u32>("search-width"), 640);
    element.set_property("search-every", 5u32);
    assert_eq!(
        harness
            .invoke("getSearchEvery", filmstrip::serde_json::json!([]))
            .unwrap(),
        5
    );
    assert!(element.property::<bool>("enabled"));
}
