//! A filter using every kind of property, an enum, a struct, an event and methods with
//! `Vec` and `Option` parameters, as a user would write it.

use filmstrip::prelude::*;

/// How to draw.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Outlines only.
    #[default]
    Outline,
    /// Filled shapes.
    FilledBox,
}

/// A rectangle in pixels.
#[derive(ComplexType, Debug, Clone, PartialEq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub label: Option<String>,
}

/// Raised when the boxes change.
#[derive(Event, Debug, Clone)]
pub struct BoxesChanged {
    /// The boxes now drawn.
    pub boxes: Vec<Rect>,
    pub style: Style,
}

/// Draws boxes.
#[filmstrip::filter(
    class = "BoxDrawer",
    factory = "box-drawer",
    formats(Bgrx, I420),
    events(BoxesChanged)
)]
pub struct BoxDrawer {
    /// Draw at all.
    #[property(default = true)]
    enabled: bool,
    #[property(default = -1, min = -1, max = 100)]
    thickness: i32,
    #[property(default = 7, max = 1000)]
    max_boxes: u32,
    #[property(default = 0)]
    offset_ns: i64,
    #[property(default = 42, min = 1)]
    seed: u64,
    #[property(default = 0.5, min = 0.0, max = 1.0)]
    opacity: f32,
    #[property(default = 2.5)]
    scale: f64,
    #[property(default = "boxes")]
    r#label: String,
    #[property]
    style: Style,
    boxes: Vec<Rect>,
}

#[filmstrip::methods]
impl BoxDrawer {
    fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> Result<()> {
        if self.enabled && frame.n_planes() > 0 && ctx.frame_number() == 0 {
            ctx.emit(BoxesChanged {
                boxes: self.boxes.clone(),
                style: self.style,
            });
        }
        Ok(())
    }

    /// Replaces the boxes; `style` keeps the current one when left out.
    #[method]
    fn set_boxes(&mut self, boxes: Vec<Rect>, style: Option<Style>) -> Result<u32> {
        self.boxes = boxes;
        if let Some(style) = style {
            self.style = style;
        }
        Ok(self.boxes.len() as u32)
    }

    #[method(name = "listBoxes")]
    fn boxes(&self) -> Result<Vec<Rect>> {
        Ok(self.boxes.clone())
    }

    #[method]
    fn scale_all(&mut self, factors: Vec<f64>, _tags: Option<Vec<String>>) -> Result<()> {
        let _ = factors;
        Ok(())
    }
}

filmstrip::module! { name = "boxes", filters(BoxDrawer) }

#[test]
fn every_kind_of_property_method_and_event_builds() {
    use filmstrip::{Filter, FilterMethods, PropertyGroup};
    assert_eq!(BoxDrawer::FACTORY, "box-drawer");
    assert_eq!(BoxDrawer::PROPERTIES.len(), 9);
    const { assert!(!<BoxDrawer as FilterMethods>::ANALYSIS_ONLY) };
    let descriptor = filmstrip::class_descriptor::<BoxDrawer>();
    assert_eq!(descriptor.events, ["BoxesChanged"]);
    let names: Vec<_> = descriptor.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["setBoxes", "listBoxes", "scaleAll"]);

    // What gst-inspect-1.0 shows of the plugin comes from this crate's own Cargo metadata.
    filmstrip::gst::init().unwrap();
    plugin_register_static().unwrap();
    let plugin = filmstrip::gst::Registry::get()
        .find_plugin(env!("CARGO_CRATE_NAME"))
        .unwrap();
    assert_eq!(plugin.source(), env!("CARGO_PKG_NAME"));
    let package = concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION"));
    assert_eq!(plugin.package(), package);
    assert_eq!(plugin.origin(), env!("CARGO_PKG_REPOSITORY"));
}
