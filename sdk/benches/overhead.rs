//! Per-frame cost of the SDK's element around a filter that does nothing, next to GStreamer's
//! `identity` and a hand-written gst-plugins-rs-style `VideoFilter` doing nothing.
//!
//! Each element runs in a `gst_check::Harness`. Every iteration pushes the buffer the previous
//! one pulled, so the buffer stays uniquely owned and writable: an element that copies frames
//! would show it in the timing, and `assert_no_copy` checks the SDK element does not.
//!
//! Run with `cargo bench -p filmstrip --bench overhead`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use filmstrip::gst::prelude::*;
use filmstrip::prelude::*;
use filmstrip::{Filter, gst, gst_video};
use std::time::Duration;

/// An SDK filter that edits frames (`&mut Frame`) and does nothing.
#[filmstrip::filter(class = "BenchNoop", formats(Bgrx))]
pub struct Noop {}

#[filmstrip::methods]
impl Noop {
    fn transform_frame(&mut self, _frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

/// The same element written by hand, the way gst-plugins-rs writes video filters.
mod handwritten {
    use filmstrip::glib;
    use filmstrip::{gst, gst_base, gst_video};
    use gst::subclass::prelude::*;
    use gst_base::subclass::prelude::*;
    use gst_video::subclass::prelude::*;
    use std::sync::LazyLock;

    #[derive(Default)]
    pub struct Imp;

    #[glib::object_subclass]
    impl ObjectSubclass for Imp {
        const NAME: &'static str = "BenchHandwrittenNoop";
        type Type = Element;
        type ParentType = gst_video::VideoFilter;
    }

    glib::wrapper! {
        pub struct Element(ObjectSubclass<Imp>)
            @extends gst_video::VideoFilter, gst_base::BaseTransform, gst::Element, gst::Object;
    }

    impl ObjectImpl for Imp {}
    impl GstObjectImpl for Imp {}

    impl ElementImpl for Imp {
        fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
            static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
                gst::subclass::ElementMetadata::new(
                    "Noop",
                    "Filter/Effect/Video",
                    "Does nothing",
                    "bench",
                )
            });
            Some(&METADATA)
        }

        fn pad_templates() -> &'static [gst::PadTemplate] {
            static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
                let caps = gst_video::VideoCapsBuilder::new()
                    .format(gst_video::VideoFormat::Bgrx)
                    .build();
                vec![
                    gst::PadTemplate::new(
                        "src",
                        gst::PadDirection::Src,
                        gst::PadPresence::Always,
                        &caps,
                    )
                    .unwrap(),
                    gst::PadTemplate::new(
                        "sink",
                        gst::PadDirection::Sink,
                        gst::PadPresence::Always,
                        &caps,
                    )
                    .unwrap(),
                ]
            });
            TEMPLATES.as_ref()
        }
    }

    impl BaseTransformImpl for Imp {
        const MODE: gst_base::subclass::BaseTransformMode =
            gst_base::subclass::BaseTransformMode::AlwaysInPlace;
        const PASSTHROUGH_ON_SAME_CAPS: bool = false;
        const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;
    }

    impl VideoFilterImpl for Imp {
        fn transform_frame_ip(
            &self,
            _frame: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
        ) -> Result<gst::FlowSuccess, gst::FlowError> {
            Ok(gst::FlowSuccess::Ok)
        }
    }
}

/// Makes a fresh element of one kind.
type MakeElement = fn() -> gst::Element;

const SIZES: [(u32, u32, &str); 2] = [(320, 240, "320x240"), (1920, 1080, "1920x1080")];

fn sdk_element() -> gst::Element {
    gst::glib::Object::with_type(Noop::element_type())
        .downcast()
        .unwrap()
}

fn identity_element() -> gst::Element {
    gst::ElementFactory::make("identity").build().unwrap()
}

fn handwritten_element() -> gst::Element {
    gst::glib::Object::new::<handwritten::Element>().upcast()
}

/// A harness around `element` fed `width`x`height` BGRx, and a first, writable buffer.
fn harness(element: &gst::Element, width: u32, height: u32) -> (gst_check::Harness, gst::Buffer) {
    let mut h = gst_check::Harness::with_element(element, Some("sink"), Some("src"));
    let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::Bgrx, width, height)
        .fps(gst::Fraction::new(30, 1))
        .build()
        .unwrap();
    h.set_src_caps(info.to_caps().unwrap());
    let buffer = gst::Buffer::with_size(info.size()).unwrap();
    (h, buffer)
}

fn data_ptr(buffer: &gst::Buffer) -> *const u8 {
    buffer.map_readable().unwrap().as_ptr()
}

/// Outside the timing: the element hands back the very memory it was given, so no frame copy.
fn assert_no_copy(name: &str, element: &gst::Element) {
    for (width, height, _) in SIZES {
        let (mut h, buffer) = harness(element, width, height);
        let before = data_ptr(&buffer);
        let out = h.push_and_pull(buffer).unwrap();
        assert_eq!(
            data_ptr(&out),
            before,
            "{name} copied a {width}x{height} frame"
        );
        // A second round trip, as the timed loop does, keeps the same memory too.
        let out = h.push_and_pull(out).unwrap();
        assert_eq!(
            data_ptr(&out),
            before,
            "{name} copied a {width}x{height} frame"
        );
    }
}

fn overhead(c: &mut Criterion) {
    gst::init().unwrap();
    let elements: [(&str, MakeElement); 3] = [
        ("filmstrip", sdk_element),
        ("identity", identity_element),
        ("handwritten", handwritten_element),
    ];
    assert_no_copy("filmstrip", &sdk_element());
    assert_no_copy("handwritten", &handwritten_element());

    let mut group = c.benchmark_group("per_frame");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(1));
    for (width, height, label) in SIZES {
        for (name, make) in elements {
            let element = make();
            let (mut h, buffer) = harness(&element, width, height);
            let mut buffer = Some(buffer);
            group.bench_function(BenchmarkId::new(name, label), |b| {
                b.iter(|| {
                    let out = h.push_and_pull(buffer.take().unwrap()).unwrap();
                    buffer = Some(out);
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
