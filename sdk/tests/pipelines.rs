//! Filters in real pipelines: a panic or an error in one element becomes that pipeline's
//! error message, while other pipelines in the same process run on.

use filmstrip::gst;
use filmstrip::gst::prelude::*;
use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{ErrorKind, PixelFormat};
use serde_json::{Value, json};
use std::sync::Once;

/// Panics on frame `panic_at`.
#[filmstrip::filter(class = "Fragile", factory = "test-fragile", formats(Bgrx, I420))]
pub struct Fragile {
    #[property(default = u64::MAX)]
    panic_at: u64,
}

#[filmstrip::methods]
impl Fragile {
    fn transform_frame(&mut self, _frame: &mut Frame, ctx: &mut Context<Self>) -> Result<()> {
        if ctx.frame_number() == self.panic_at {
            panic!("frame {} broke me", ctx.frame_number());
        }
        Ok(())
    }
}

/// Returns an error on frame `fail_at`.
#[filmstrip::filter(class = "Picky", factory = "test-picky", formats(Gray8))]
pub struct Picky {
    #[property(default = u64::MAX)]
    fail_at: u64,
}

#[filmstrip::methods]
impl Picky {
    fn transform_frame(&mut self, _frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        if ctx.frame_number() == self.fail_at {
            return Err(Error::new(format!(
                "frame {} is not welcome",
                ctx.frame_number()
            )));
        }
        Ok(())
    }
}

fn setup() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        gst::init().unwrap();
        filmstrip::element::register::<Fragile>(None).unwrap();
        filmstrip::element::register::<Picky>(None).unwrap();
    });
}

fn pipeline(description: &str) -> gst::Pipeline {
    gst::parse::launch(description)
        .expect("valid pipeline")
        .downcast()
        .expect("a pipeline")
}

/// How a pipeline ended.
#[derive(Debug)]
enum End {
    Eos,
    Error { message: String, source: String },
}

/// Waits for EOS or an error on `pipeline`'s bus, then stops it.
fn run_to_end(pipeline: &gst::Pipeline) -> End {
    let bus = pipeline.bus().unwrap();
    let message = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(60),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .expect("the pipeline ends within a minute");
    let end = match message.view() {
        gst::MessageView::Eos(_) => End::Eos,
        gst::MessageView::Error(err) => End::Error {
            message: err.error().to_string(),
            source: err.src().map(|s| s.name().to_string()).unwrap_or_default(),
        },
        _ => unreachable!("filtered"),
    };
    pipeline.set_state(gst::State::Null).unwrap();
    end
}

#[test]
fn a_panic_fails_its_own_pipeline_and_spares_the_others() {
    setup();
    let doomed = pipeline(
        "videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48 ! videoconvert \
         ! test-fragile name=f panic-at=3 ! fakesink",
    );
    let healthy = pipeline(
        "videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48 ! videoconvert \
         ! test-fragile name=f panic-at=1000 ! fakesink",
    );
    // Both run at once, in the same process.
    healthy.set_state(gst::State::Playing).unwrap();
    doomed.set_state(gst::State::Playing).unwrap();
    let doomed_filter = doomed.by_name("f").unwrap();

    match run_to_end(&doomed) {
        End::Error { message, source } => {
            assert!(message.contains("panicked"), "{message}");
            assert!(message.contains("frame 3 broke me"), "{message}");
            assert!(message.contains("Fragile"), "{message}");
            assert_eq!(source, "f");
        }
        End::Eos => panic!("the panicking pipeline reached EOS"),
    }
    assert!(
        matches!(run_to_end(&healthy), End::Eos),
        "the other pipeline finishes"
    );

    // The panicked element stays out of service instead of running on broken state.
    let core = <Fragile as filmstrip::Filter>::core(&doomed_filter).unwrap();
    let err = core
        .invoke(&doomed_filter, "getPanicAt", &Value::Null)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panicked);
    assert_eq!(
        err.message(),
        "Fragile panicked earlier and is out of service"
    );
}

#[test]
fn a_new_element_of_a_panicked_filter_works() {
    setup();
    let first =
        pipeline("videotestsrc num-buffers=5 ! videoconvert ! test-fragile panic-at=0 ! fakesink");
    first.set_state(gst::State::Playing).unwrap();
    assert!(matches!(run_to_end(&first), End::Error { .. }));
    let second = pipeline("videotestsrc num-buffers=5 ! videoconvert ! test-fragile ! fakesink");
    second.set_state(gst::State::Playing).unwrap();
    assert!(matches!(run_to_end(&second), End::Eos));
}

#[test]
fn an_error_returned_by_a_filter_becomes_the_pipeline_error() {
    setup();
    let p =
        pipeline("videotestsrc num-buffers=10 ! videoconvert ! test-picky fail-at=4 ! fakesink");
    p.set_state(gst::State::Playing).unwrap();
    match run_to_end(&p) {
        End::Error { message, .. } => assert_eq!(message, "frame 4 is not welcome"),
        End::Eos => panic!("the failing pipeline reached EOS"),
    }
}

#[test]
fn the_harness_reports_errors_and_panics_as_push_errors() {
    let mut h = Harness::<Picky>::new(PixelFormat::Gray8, 4, 4);
    h.invoke("setFailAt", json!([1])).unwrap();
    h.push(&[0; 16]).expect("frame 0 passes");
    let err = h.push(&[0; 16]).unwrap_err();
    assert_eq!(err.message(), "frame 1 is not welcome");

    let mut h = Harness::<Fragile>::new(PixelFormat::Bgrx, 4, 4);
    h.element().set_property("panic-at", 0u64);
    let err = h.push(&[0; 64]).unwrap_err();
    assert_eq!(err.message(), "Fragile panicked: frame 0 broke me");
    let err = h.invoke("getPanicAt", Value::Null).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panicked);
}

#[test]
fn the_element_is_known_to_gstreamer_by_its_factory_name() {
    setup();
    let factory = gst::ElementFactory::find("test-fragile").expect("registered");
    assert_eq!(
        factory.metadata(gst::ELEMENT_METADATA_LONGNAME),
        Some("Fragile")
    );
    assert_eq!(
        factory.metadata(gst::ELEMENT_METADATA_KLASS),
        Some("Filter/Effect/Video")
    );
    let picky = gst::ElementFactory::find("test-picky").expect("registered");
    assert_eq!(
        picky.metadata(gst::ELEMENT_METADATA_KLASS),
        Some("Filter/Analyzer/Video")
    );
}
