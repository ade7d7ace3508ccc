//! Class descriptors carry the `.kmd.json` shape Kurento tooling reads.

use filmstrip::descriptor::ModuleDescriptor;
use filmstrip::prelude::*;
use filmstrip::{Filter, FilterMethods, class_descriptor};
use serde_json::json;

/// How loud.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Quiet.
    #[default]
    Low,
    /// Loud.
    VeryHigh,
}

/// A box in the picture.
#[derive(ComplexType, Debug, Clone, PartialEq)]
pub struct Area {
    /// Left edge in pixels.
    pub x: i32,
    /// Width in pixels.
    pub width_px: i32,
}

/// Something was seen.
#[derive(Event, Debug, Clone)]
pub struct Seen {
    /// Where.
    pub areas: Vec<Area>,
}

/// Stands in for a Kurento built-in.
#[filmstrip::filter(
    class = "StandInFilter",
    kurento_module = "filters",
    formats(Gray8),
    events(Seen)
)]
pub struct StandIn {
    /// Expected width as a share of the frame.
    #[property(default = 0.25, min = 0.01, max = 1.0)]
    width_share: f32,
}

#[filmstrip::methods]
impl StandIn {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    /// Kurento's constructor parameters.
    #[constructor]
    fn create(
        &mut self,
        /// Where to look.
        area: Area,
        /// How loud; low when left out.
        level: Option<Level>,
    ) -> Result<()> {
        self.width_share = area.width_px as f32 * f32::from(level.unwrap_or_default() as u8);
        Ok(())
    }

    /// Sets how loud, and where.
    #[method]
    fn set_level(
        &mut self,
        level: Level,
        /// Where; everywhere when left out.
        area: Option<Area>,
    ) -> Result<i64> {
        Ok(i64::from(area.map_or(0, |a| a.x)) + level as i64)
    }
}

#[test]
fn class_descriptor_has_the_kmd_shape() {
    let class = serde_json::to_value(class_descriptor::<StandIn>()).unwrap();
    assert_eq!(class["name"], "StandInFilter");
    assert_eq!(class["extends"], "Filter");
    assert_eq!(class["doc"], "Stands in for a Kurento built-in.");
    let constructor = &class["constructor"];
    assert_eq!(constructor["doc"], "Kurento's constructor parameters.");
    assert_eq!(
        constructor["params"],
        json!([
            {"name": "mediaPipeline", "doc": "the parent MediaPipeline", "type": "MediaPipeline"},
            {"name": "area", "doc": "Where to look.", "type": "Area"},
            {"name": "level", "doc": "How loud; low when left out.", "type": "Level", "optional": true},
        ])
    );
    let property = &class["properties"][0];
    assert_eq!(property["name"], "widthShare");
    assert_eq!(property["type"], "float");
    assert_eq!(property["defaultValue"], json!(0.25f32));
    assert_eq!(property["minimum"], json!(0.01f32));
    assert_eq!(property["maximum"], json!(1.0f32));
    let method = &class["methods"][0];
    assert_eq!(method["name"], "setLevel");
    assert_eq!(method["doc"], "Sets how loud, and where.");
    assert_eq!(
        method["params"][0],
        json!({"name": "level", "doc": "", "type": "Level"})
    );
    assert_eq!(method["params"][1]["optional"], true);
    assert_eq!(
        method["params"][1]["doc"],
        "Where; everywhere when left out."
    );
    assert_eq!(method["return"]["type"], "int64");
    assert_eq!(class["events"], json!(["Seen"]));
    assert_eq!(class["filmstrip"]["factory"], "standinfilter");
    assert_eq!(class["filmstrip"]["formats"], json!(["GRAY8"]));
    assert_eq!(class["filmstrip"]["analysisOnly"], true);
    assert_eq!(class["filmstrip"]["kurentoModule"], "filters");
}

#[test]
fn events_and_complex_types_are_described_once() {
    let events = StandIn::event_descriptors();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].extends, "Media");
    assert_eq!(events[0].properties[0].type_name, "Area[]");
    let mut types = Vec::new();
    <StandIn as Filter>::complex_types(&mut types);
    <StandIn as FilterMethods>::complex_types(&mut types);
    let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["Area", "Level"],
        "Area appears in the event and the method, once"
    );
    let level = types.iter().find(|t| t.name == "Level").unwrap();
    assert_eq!(level.type_format, "ENUM");
    assert_eq!(level.values, ["LOW", "VERY_HIGH"]);
    let area = types.iter().find(|t| t.name == "Area").unwrap();
    assert_eq!(area.type_format, "REGISTER");
    assert_eq!(area.properties[1].name, "widthPx");
}

#[test]
fn a_class_override_decides_its_kurento_module() {
    let mut module = ModuleDescriptor {
        name: "faces".into(),
        version: "1.0.0".into(),
        kurento_version: "^7.0.0".into(),
        doc: String::new(),
        code: json!({}),
        remote_classes: vec![class_descriptor::<StandIn>()],
        complex_types: Vec::new(),
        events: Vec::new(),
    };
    assert_eq!(module.module_of(&module.remote_classes[0]), "filters");
    module.remote_classes[0].filmstrip.kurento_module = None;
    assert_eq!(module.module_of(&module.remote_classes[0]), "faces");
}
