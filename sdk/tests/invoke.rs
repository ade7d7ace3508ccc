//! Operations by name (`harness.invoke`): property getters and setters staying in sync with
//! the GObject properties, method parameter binding and its error messages, and the
//! constructor (`harness.construct`).

use filmstrip::gst::glib;
use filmstrip::gst::prelude::*;
use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How hard to work.
#[derive(ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Effort {
    #[default]
    Low,
    HighQuality,
}

/// A filter with one property of each supported kind and a few methods.
#[filmstrip::filter(class = "Knobs", formats(Gray8))]
pub struct Knobs {
    #[property(default = true)]
    enabled: bool,
    #[property(default = 10, min = 0, max = 100)]
    level: i32,
    #[property(default = 3)]
    count: u32,
    #[property(default = -5)]
    offset: i64,
    #[property(default = 7)]
    seed: u64,
    #[property(default = 0.25, min = 0.0, max = 1.0)]
    ratio: f32,
    #[property(default = 1.5)]
    gain: f64,
    #[property(default = "hello")]
    caption: String,
    #[property]
    effort: Effort,
    names: Vec<String>,
}

#[filmstrip::methods]
impl Knobs {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }

    /// `factor * times`.
    #[method]
    fn scale(&mut self, factor: f64, times: u32) -> Result<f64> {
        Ok(factor * f64::from(times))
    }

    /// Stores names, with an optional prefix; returns how many are stored.
    #[method]
    fn set_names(&mut self, names: Vec<String>, prefix: Option<String>) -> Result<u32> {
        let prefix = prefix.unwrap_or_default();
        self.names = names.into_iter().map(|n| format!("{prefix}{n}")).collect();
        Ok(self.names.len() as u32)
    }

    #[method]
    fn get_names(&self) -> Result<Vec<String>> {
        Ok(self.names.clone())
    }

    /// Kurento's constructor: the names to start with, and the level.
    #[constructor]
    fn create(&mut self, names: Vec<String>, level: Option<i32>) -> Result<()> {
        if names.is_empty() {
            return Err(Error::invalid_param("Knobs constructor: no names"));
        }
        self.names = names;
        self.level = level.unwrap_or(self.level);
        Ok(())
    }

    /// Fails on purpose, to check a method's own error reaches the caller unchanged.
    #[method]
    fn refuse(&mut self, reason: String) -> Result<()> {
        Err(Error::new(format!("refused: {reason}")))
    }
}

fn harness() -> Harness<Knobs> {
    Harness::new(PixelFormat::Gray8, 8, 8)
}

fn invoke(h: &Harness<Knobs>, op: &str, params: Value) -> Value {
    h.invoke(op, params).unwrap_or_else(|e| panic!("{op}: {e}"))
}

fn invoke_err(h: &Harness<Knobs>, op: &str, params: Value) -> filmstrip::Error {
    match h.invoke(op, params) {
        Ok(value) => panic!("{op} should fail, returned {value}"),
        Err(e) => e,
    }
}

#[test]
fn getters_return_the_declared_defaults() {
    let h = harness();
    assert_eq!(invoke(&h, "getEnabled", Value::Null), json!(true));
    assert_eq!(invoke(&h, "getLevel", json!([])), json!(10));
    assert_eq!(invoke(&h, "getCount", Value::Null), json!(3));
    assert_eq!(invoke(&h, "getOffset", Value::Null), json!(-5));
    assert_eq!(invoke(&h, "getSeed", Value::Null), json!(7));
    assert_eq!(invoke(&h, "getRatio", Value::Null), json!(0.25));
    assert_eq!(invoke(&h, "getGain", Value::Null), json!(1.5));
    assert_eq!(invoke(&h, "getCaption", Value::Null), json!("hello"));
    assert_eq!(invoke(&h, "getEffort", Value::Null), json!("LOW"));
}

#[test]
fn gobject_properties_have_the_same_defaults() {
    let h = harness();
    let e = h.element();
    assert!(e.property::<bool>("enabled"));
    assert_eq!(e.property::<i32>("level"), 10);
    assert_eq!(e.property::<u32>("count"), 3);
    assert_eq!(e.property::<i64>("offset"), -5);
    assert_eq!(e.property::<u64>("seed"), 7);
    assert_eq!(e.property::<f32>("ratio"), 0.25);
    assert_eq!(e.property::<f64>("gain"), 1.5);
    assert_eq!(e.property::<String>("caption"), "hello");
    let spec = e
        .find_property("level")
        .expect("level is a GObject property");
    let spec = spec
        .downcast::<glib::ParamSpecInt>()
        .expect("i32 is a ParamSpecInt");
    assert_eq!(
        (spec.minimum(), spec.maximum(), spec.default_value()),
        (0, 100, 10)
    );
}

#[test]
fn setters_by_name_show_in_gobject_properties_and_notify() {
    let h = harness();
    let e = h.element();
    let notified = Arc::new(AtomicUsize::new(0));
    let counter = notified.clone();
    e.connect_notify(Some("level"), move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
    });

    assert_eq!(invoke(&h, "setLevel", json!([42])), Value::Null);
    assert_eq!(e.property::<i32>("level"), 42);
    assert_eq!(
        notified.load(Ordering::SeqCst),
        1,
        "setLevel notifies `level`"
    );

    invoke(&h, "setEnabled", json!([false]));
    invoke(&h, "setCount", json!({ "count": 9 }));
    invoke(&h, "setOffset", json!([-1_000_000_000_000i64]));
    invoke(&h, "setSeed", json!([u64::MAX]));
    invoke(&h, "setRatio", json!([0.75]));
    invoke(&h, "setGain", json!([-2.0]));
    invoke(&h, "setCaption", json!(["bye"]));
    invoke(&h, "setEffort", json!(["HIGH_QUALITY"]));
    assert!(!e.property::<bool>("enabled"));
    assert_eq!(e.property::<u32>("count"), 9);
    assert_eq!(e.property::<i64>("offset"), -1_000_000_000_000);
    assert_eq!(e.property::<u64>("seed"), u64::MAX);
    assert_eq!(e.property::<f32>("ratio"), 0.75);
    assert_eq!(e.property::<f64>("gain"), -2.0);
    assert_eq!(e.property::<String>("caption"), "bye");
    let effort = e.property_value("effort");
    let (_, value) = glib::EnumValue::from_value(&effort).expect("effort is a GObject enum");
    assert_eq!(
        (value.name(), value.nick()),
        ("HIGH_QUALITY", "high-quality")
    );
}

#[test]
fn gobject_property_changes_show_in_getters() {
    let h = harness();
    let e = h.element();
    e.set_property("level", 77i32);
    e.set_property("enabled", false);
    e.set_property("seed", 123u64);
    e.set_property("ratio", 0.5f32);
    e.set_property("caption", "from gobject");
    e.set_property_from_str("effort", "high-quality");
    assert_eq!(invoke(&h, "getLevel", Value::Null), json!(77));
    assert_eq!(invoke(&h, "getEnabled", Value::Null), json!(false));
    assert_eq!(invoke(&h, "getSeed", Value::Null), json!(123));
    assert_eq!(invoke(&h, "getRatio", Value::Null), json!(0.5));
    assert_eq!(invoke(&h, "getCaption", Value::Null), json!("from gobject"));
    assert_eq!(invoke(&h, "getEffort", Value::Null), json!("HIGH_QUALITY"));
}

#[test]
fn out_of_range_setters_fail_and_keep_the_old_value() {
    let h = harness();
    let err = invoke_err(&h, "setLevel", json!([101]));
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(err.message(), "level: 101 is out of range [0, 100]");
    let err = invoke_err(&h, "setRatio", json!([-0.5]));
    assert_eq!(err.message(), "ratio: -0.5 is out of range [0, 1]");
    assert_eq!(invoke(&h, "getLevel", Value::Null), json!(10));
    assert_eq!(h.element().property::<f32>("ratio"), 0.25);
}

#[test]
fn setters_reject_values_of_the_wrong_type() {
    let h = harness();
    let err = invoke_err(&h, "setLevel", json!(["high"]));
    assert_eq!(err.kind(), ErrorKind::InvalidParam);
    assert_eq!(
        err.message(),
        r#"setLevel: expected an integer (int), got string "high""#
    );
    let err = invoke_err(&h, "setCount", json!([-1]));
    assert_eq!(err.message(), "setCount: -1 does not fit in u32");
    let err = invoke_err(&h, "setEffort", json!(["medium"]));
    assert_eq!(
        err.message(),
        r#"setEffort: "medium" is not a Effort; expected one of LOW, HIGH_QUALITY"#
    );
    let err = invoke_err(&h, "setEnabled", json!([]));
    assert_eq!(err.message(), "setEnabled: missing parameter enabled");
    let err = invoke_err(&h, "getLevel", json!([1]));
    assert_eq!(err.message(), "getLevel takes 0 parameter(s), got 1");
}

#[test]
fn methods_take_parameters_by_position_or_by_name() {
    let h = harness();
    assert_eq!(invoke(&h, "scale", json!([2.5, 4])), json!(10.0));
    assert_eq!(
        invoke(&h, "scale", json!({ "times": 3, "factor": 2 })),
        json!(6.0)
    );
    // A whole float is accepted where an integer is expected.
    assert_eq!(invoke(&h, "scale", json!([1.0, 2.0])), json!(2.0));
}

#[test]
fn optional_and_list_parameters() {
    let h = harness();
    assert_eq!(invoke(&h, "setNames", json!([["a", "b"]])), json!(2));
    assert_eq!(invoke(&h, "getNames", Value::Null), json!(["a", "b"]));
    assert_eq!(
        invoke(&h, "setNames", json!({ "names": ["c"], "prefix": "x-" })),
        json!(1)
    );
    assert_eq!(invoke(&h, "getNames", Value::Null), json!(["x-c"]));
    assert_eq!(invoke(&h, "setNames", json!([["d"], null])), json!(1));
    assert_eq!(invoke(&h, "getNames", Value::Null), json!(["d"]));
    let err = invoke_err(&h, "setNames", json!([["ok", 3]]));
    assert_eq!(
        err.message(),
        "setNames: parameter names: item 1: expected a string, got number 3"
    );
}

#[test]
fn method_parameter_errors_name_the_operation_and_the_parameter() {
    let h = harness();
    let cases = [
        (
            json!(["x", 1]),
            r#"scale: parameter factor: expected a number (double), got string "x""#,
        ),
        (json!([1.0]), "scale: missing parameter times"),
        (json!({ "factor": 1.0 }), "scale: missing parameter times"),
        (json!([1.0, 2, 3]), "scale takes 2 parameter(s), got 3"),
        (
            json!({ "factor": 1.0, "times": 2, "extra": true }),
            r#"scale has no parameter "extra""#,
        ),
        (
            json!([1.5, 2.5]),
            "scale: parameter times: expected an integer (int), got number 2.5",
        ),
        (
            json!(5),
            "scale: parameters must be a list or an object, got number 5",
        ),
    ];
    for (params, message) in cases {
        let err = invoke_err(&h, "scale", params.clone());
        assert_eq!(err.kind(), ErrorKind::InvalidParam, "{params}");
        assert_eq!(err.message(), message, "{params}");
    }
}

#[test]
fn a_method_error_reaches_the_caller_unchanged() {
    let h = harness();
    let err = invoke_err(&h, "refuse", json!(["no reason"]));
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert_eq!(err.message(), "refused: no reason");
}

#[test]
fn unknown_operations_are_reported_as_such() {
    let h = harness();
    for op in [
        "frobnicate",
        "getNames2",
        "setNothing",
        "transformFrame",
        "get_level",
    ] {
        let err = invoke_err(&h, op, Value::Null);
        assert_eq!(err.kind(), ErrorKind::UnknownOperation, "{op}");
        assert_eq!(err.message(), format!("Knobs has no operation {op:?}"));
    }
}

#[test]
fn enum_properties_are_glib_enums_with_kebab_case_nicks() {
    let h = harness();
    let e = h.element();
    let effort = e.property_value("effort");
    let (class, value) = glib::EnumValue::from_value(&effort).unwrap();
    assert_eq!((value.name(), value.nick()), ("LOW", "low"));
    let nicks: Vec<_> = class.values().iter().map(|v| v.nick()).collect();
    assert_eq!(nicks, ["low", "high-quality"]);
    // What gst-launch-1.0 does with `effort=high-quality`.
    e.set_property_from_str("effort", "high-quality");
    assert_eq!(invoke(&h, "getEffort", Value::Null), json!("HIGH_QUALITY"));
    invoke(&h, "setEffort", json!(["LOW"]));
    let effort = e.property_value("effort");
    assert_eq!(glib::EnumValue::from_value(&effort).unwrap().1.value(), 0);
}

#[test]
fn the_constructor_binds_its_parameters_by_name_once() {
    let h = harness();
    h.construct(json!({"names": ["a", "b"]})).unwrap();
    assert_eq!(invoke(&h, "getNames", Value::Null), json!(["a", "b"]));
    assert_eq!(invoke(&h, "getLevel", Value::Null), json!(10), "left out");
    let err = h.construct(json!({"names": ["c"]})).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownOperation);
    assert_eq!(
        err.message(),
        "Knobs has no operation \"#constructor\": its constructor ran when it was created"
    );
    assert_eq!(invoke(&h, "getNames", Value::Null), json!(["a", "b"]));

    let h = harness();
    h.construct(json!({"names": ["z"], "level": 42})).unwrap();
    assert_eq!(invoke(&h, "getLevel", Value::Null), json!(42));
}

#[test]
fn constructor_errors_name_the_class_and_the_parameter() {
    let refused = |params: Value| harness().construct(params).unwrap_err();
    for (params, message) in [
        (json!({}), "Knobs constructor: missing parameter names"),
        (
            json!({"names": "a"}),
            r#"Knobs constructor: parameter names: expected a list, got string "a""#,
        ),
        (
            json!({"names": ["a"], "color": 1}),
            "Knobs constructor has no parameter \"color\"",
        ),
        (json!({"names": []}), "Knobs constructor: no names"),
    ] {
        let err = refused(params);
        assert_eq!(err.kind(), ErrorKind::InvalidParam, "{message}");
        assert_eq!(err.message(), message);
    }
    // The constructor is not a method: clients reach it only through creation.
    assert_eq!(
        invoke_err(&harness(), "create", json!({"names": ["a"]})).kind(),
        ErrorKind::UnknownOperation
    );
}
