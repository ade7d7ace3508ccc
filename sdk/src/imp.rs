//! The GStreamer element behind every filter: one generic core, and a small macro that gives
//! each filter its own GObject type around it. Not public API: the generated code reaches it
//! through `__private`; hosts see [`crate::element`].

use crate::filter::{Filter, Invoked, has_property, invoke};
use crate::{Context, Error, ErrorKind, Frame, Result};
use gst::glib;
use gst::prelude::*;
use gst_base::prelude::*;
use gst_video::{VideoFrameExt, VideoFrameRef};
use serde_json::Value as Json;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Read-only GObject property of every Filmstrip element: frames that went through it.
///
/// Hosts read it with `element.property::<u64>(FRAMES_PROCESSED)` after checking
/// `find_property`: elements of modules built by an SDK from before the statistics lack it,
/// and GObject looks properties up by name, so such modules still load (no ABI change).
pub const FRAMES_PROCESSED: &str = "frames-processed";

/// Read-only GObject property of every Filmstrip element: nanoseconds spent on its frames
/// in all, from a frame's arrival in the element to its departure (the filter's lock and
/// `transform_frame` included). Divided by [`FRAMES_PROCESSED`] it is the element's mean
/// processing latency.
pub const PROCESSING_NS: &str = "processing-ns";

/// How long a frame may take before it is logged as slow when its frame rate is unknown
/// (a variable-rate stream): the interval of 30 frames per second.
const DEFAULT_FRAME_BUDGET: Duration = Duration::from_nanos(33_333_333);

/// State of one element: the user's filter and what the element tracks around it.
pub struct Core<F> {
    filter: Mutex<F>,
    /// Whose turn it is with `filter`: taken before its lock, see [`Turn`].
    turn: Turn,
    /// Frames that entered the element; also the next frame's number.
    frames: AtomicU64,
    /// Time spent on those frames, in nanoseconds. Atomics rather than a lock: the streaming
    /// thread must never wait for a host reading statistics.
    processing_ns: AtomicU64,
    panicked: AtomicBool,
    /// The constructor ran (or was refused): it runs once.
    constructed: AtomicBool,
    /// This filter's debug category, named after its factory (`GST_DEBUG=pixelatefilter:5`).
    category: gst::DebugCategory,
}

impl<F: Filter> Default for Core<F> {
    fn default() -> Self {
        Self {
            filter: Mutex::new(F::default()),
            frames: AtomicU64::new(0),
            processing_ns: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            constructed: AtomicBool::new(false),
            turn: Turn::default(),
            // GStreamer hands back the existing category when the name is taken, so every
            // element of one filter shares one.
            category: gst::DebugCategory::new(
                F::FACTORY,
                gst::DebugColorFlags::empty(),
                Some(&format!("Filmstrip filter {}", F::CLASS)),
            ),
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Who is using the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// A frame: waits for ordinary calls, passes through untouched while a slow call runs.
    Frame,
    /// A method, a property getter or setter, a GObject property.
    Call,
    /// A `#[method(slow)]`: frames do not wait for it.
    SlowCall,
}

/// Turns at the filter, decided under one lock so that a frame learns that a slow call holds
/// the filter in the same step as it would take the filter.
///
/// With a separate "slow call under way" flag, a frame could read "none" just before a slow
/// call took the filter's lock, and then wait out the whole call (a download) blocked on it.
#[derive(Default)]
struct Turn {
    holder: Mutex<Option<Access>>,
    released: Condvar,
}

impl Turn {
    /// Waits until the filter is free and takes it; `None` for a frame when a slow call holds
    /// it, now or when the frame's wait ends.
    fn take(&self, access: Access) -> Option<TurnGuard<'_>> {
        // Nothing panics while holding this lock, but a poisoned one is still consistent.
        let mut holder = self.holder.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match *holder {
                None => {
                    *holder = Some(access);
                    return Some(TurnGuard(self));
                }
                Some(Access::SlowCall) if access == Access::Frame => return None,
                Some(_) => {
                    holder = self
                        .released
                        .wait(holder)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }
}

/// A turn at the filter, given back when dropped.
struct TurnGuard<'a>(&'a Turn);

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        *self.0.holder.lock().unwrap_or_else(PoisonError::into_inner) = None;
        // Frames and calls wait on the same condition; each rechecks what it may do.
        self.0.released.notify_all();
    }
}

/// The filter, locked during a turn. The lock is never contended: turns already exclude
/// each other; it only makes the access safe.
struct Locked<'a, F> {
    // Fields drop in order: the filter's lock goes before the turn is handed on.
    filter: MutexGuard<'a, F>,
    _turn: TurnGuard<'a>,
}

impl<F: Filter> Core<F> {
    /// Takes a turn and locks the filter; `None` for a frame while a slow call runs.
    fn hold(&self, access: Access) -> Option<Locked<'_, F>> {
        let turn = self.turn.take(access)?;
        // A poisoned lock means a panic we reported; its data is still sound.
        let filter = self.filter.lock().unwrap_or_else(PoisonError::into_inner);
        Some(Locked {
            filter,
            _turn: turn,
        })
    }

    /// [`Self::hold`], refused once the filter has panicked.
    fn lock(&self, access: Access) -> Result<Option<Locked<'_, F>>> {
        if self.panicked.load(Ordering::Acquire) {
            return Err(Error::with_kind(
                ErrorKind::Panicked,
                format!("{} panicked earlier and is out of service", F::CLASS),
            ));
        }
        Ok(self.hold(access))
    }

    fn run_guarded<R>(
        &self,
        mut locked: Locked<'_, F>,
        f: impl FnOnce(&mut F) -> Result<R>,
    ) -> Result<R> {
        match catch_unwind(AssertUnwindSafe(|| f(&mut locked.filter))) {
            Ok(result) => result,
            Err(payload) => {
                self.panicked.store(true, Ordering::Release);
                Err(Error::with_kind(
                    ErrorKind::Panicked,
                    format!("{} panicked: {}", F::CLASS, panic_message(&*payload)),
                ))
            }
        }
    }

    /// The filter's GObject properties, then the element's read-only statistics
    /// ([`FRAMES_PROCESSED`], [`PROCESSING_NS`]).
    pub fn param_specs() -> Vec<glib::ParamSpec> {
        const {
            assert!(
                !has_property(F::PROPERTIES, FRAMES_PROCESSED)
                    && !has_property(F::PROPERTIES, PROCESSING_NS),
                "a filter property cannot be named `framesProcessed` or `processingNs`: \
                 every element has read-only statistics of those names"
            );
        }
        let mut specs = F::param_specs();
        specs.extend([
            glib::ParamSpecUInt64::builder(FRAMES_PROCESSED)
                .nick("Frames processed")
                .blurb("Frames that went through the element")
                .read_only()
                .build(),
            glib::ParamSpecUInt64::builder(PROCESSING_NS)
                .nick("Processing time")
                .blurb("Nanoseconds the element spent on its frames in all")
                .read_only()
                .build(),
        ]);
        specs
    }

    /// Frames that went through the element, and the nanoseconds spent on them in all.
    ///
    /// Read without the filter's lock, so a slow `transform_frame` never delays it.
    pub fn statistics(&self) -> (u64, u64) {
        (
            self.frames.load(Ordering::Relaxed),
            self.processing_ns.load(Ordering::Relaxed),
        )
    }

    /// GObject `property` for 1-based property `id`.
    pub fn property(&self, id: usize) -> glib::Value {
        // The statistics follow the filter's own properties (see `param_specs`).
        match id.checked_sub(F::PROPERTIES.len()) {
            Some(1) => self.frames.load(Ordering::Relaxed).to_value(),
            Some(2) => self.processing_ns.load(Ordering::Relaxed).to_value(),
            _ => {
                let locked = self.hold(Access::Call).expect("calls always get a turn");
                locked.filter.property_value(id - 1)
            }
        }
    }

    /// GObject `set_property` for 1-based property `id`.
    pub fn set_property(&self, id: usize, value: &glib::Value) {
        let mut locked = self.hold(Access::Call).expect("calls always get a turn");
        locked.filter.set_property_value(id - 1, value);
    }

    /// Called once the element exists.
    pub fn constructed(&self, element: &gst_base::BaseTransform) {
        // Analysis-only filters never write, so buffers need not be writable (no copy).
        element.set_passthrough(F::ANALYSIS_ONLY);
    }

    /// Runs an operation by name: the constructor (once), a method, or a property getter or
    /// setter.
    pub fn invoke(&self, element: &gst::Element, op: &str, params: &Json) -> Result<Json> {
        if op == crate::abi::CONSTRUCTOR && self.constructed.swap(true, Ordering::AcqRel) {
            return Err(Error::with_kind(
                ErrorKind::UnknownOperation,
                format!(
                    "{} has no operation {op:?}: its constructor ran when it was created",
                    F::CLASS
                ),
            ));
        }
        let access = if F::is_slow(op) {
            Access::SlowCall
        } else {
            Access::Call
        };
        let locked = self.lock(access)?.expect("calls always get a turn");
        let outcome = self.run_guarded(locked, |filter| invoke(filter, op, params));
        let Invoked {
            value,
            property_set,
        } = outcome?;
        if let Some(index) = property_set {
            element.notify(F::PROPERTIES[index].gobject);
        }
        Ok(value)
    }

    /// [`Self::run`], timed: the time counts into [`PROCESSING_NS`], and a frame that takes
    /// longer than `budget` (its frame interval) is logged at DEBUG.
    fn process(
        &self,
        element: &gst::Element,
        frame: Option<Frame<'_>>,
        budget: Duration,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let start = Instant::now();
        let number = self.frames.fetch_add(1, Ordering::Relaxed);
        let outcome = self.run(element, frame, number);
        let elapsed = start.elapsed();
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.processing_ns.fetch_add(nanos, Ordering::Relaxed);
        if elapsed > budget {
            gst::debug!(
                self.category,
                obj = element,
                "frame {number} took {elapsed:?}, more than its {budget:?} interval"
            );
        }
        outcome
    }

    fn run(
        &self,
        element: &gst::Element,
        frame: Option<Frame<'_>>,
        number: u64,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let Some(mut frame) = frame else {
            gst::element_error!(
                element,
                gst::CoreError::Negotiation,
                ("{}: unsupported frame format", F::CLASS)
            );
            return Err(gst::FlowError::NotNegotiated);
        };
        // While a slow method (a download, say) holds the filter, the video keeps flowing.
        let outcome = match self.lock(Access::Frame) {
            Ok(Some(filter)) => self.run_guarded(filter, |filter| {
                let mut ctx = Context::new(element, F::CLASS, number);
                filter.process(&mut frame, &mut ctx)
            }),
            Ok(None) => Ok(()),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) => Ok(gst::FlowSuccess::Ok),
            Err(err) => {
                // A panic is a bug in the module; an `Err` is the filter failing on this stream.
                if err.kind() == ErrorKind::Panicked {
                    gst::element_error!(
                        element,
                        gst::LibraryError::Failed,
                        ("{}", err.message()),
                        ["frame {number}"]
                    );
                } else {
                    gst::element_error!(
                        element,
                        gst::StreamError::Failed,
                        ("{}", err.message()),
                        ["frame {number}"]
                    );
                }
                Err(gst::FlowError::Error)
            }
        }
    }

    /// `transform_frame_ip` of a filter that edits frames.
    pub fn transform_writable(
        &self,
        element: &gst::Element,
        frame: &mut VideoFrameRef<&mut gst::BufferRef>,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let budget = frame_budget(frame.info());
        self.process(element, Frame::writable(frame), budget)
    }

    /// `transform_frame_ip_passthrough` of an analysis-only filter.
    pub fn transform_readable(
        &self,
        element: &gst::Element,
        frame: &VideoFrameRef<&gst::BufferRef>,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let budget = frame_budget(frame.info());
        self.process(element, Frame::readable(frame), budget)
    }

    /// Element metadata shown by `gst-inspect-1.0`.
    pub fn metadata() -> gst::subclass::ElementMetadata {
        let classification = if F::ANALYSIS_ONLY {
            "Filter/Analyzer/Video"
        } else {
            "Filter/Effect/Video"
        };
        let summary = F::DOC.lines().next().unwrap_or(F::CLASS);
        gst::subclass::ElementMetadata::new(F::CLASS, classification, summary, "Filmstrip module")
    }

    /// The always-present sink and src pads, with the filter's formats.
    pub fn pad_templates() -> Vec<gst::PadTemplate> {
        let caps = gst_video::VideoCapsBuilder::new()
            .format_list(F::FORMATS.iter().map(|f| f.to_video_format()))
            .build();
        [gst::PadDirection::Src, gst::PadDirection::Sink]
            .into_iter()
            .map(|direction| {
                let name = if direction == gst::PadDirection::Src {
                    "src"
                } else {
                    "sink"
                };
                gst::PadTemplate::new(name, direction, gst::PadPresence::Always, &caps)
                    .expect("valid pad template")
            })
            .collect()
    }
}

/// The interval between frames of `info`'s stream, or [`DEFAULT_FRAME_BUDGET`] when its
/// rate is variable or unknown.
fn frame_budget(info: &gst_video::VideoInfo) -> Duration {
    let fps = info.fps();
    match (u64::try_from(fps.numer()), u64::try_from(fps.denom())) {
        (Ok(numer), Ok(denom)) if numer > 0 => {
            Duration::from_nanos(1_000_000_000u64.saturating_mul(denom) / numer)
        }
        _ => DEFAULT_FRAME_BUDGET,
    }
}

/// Registers `F`'s element factory with `plugin` (or with the application when `None`).
pub fn register<F: Filter>(
    plugin: Option<&gst::Plugin>,
) -> std::result::Result<(), glib::BoolError> {
    gst::Element::register(plugin, F::FACTORY, gst::Rank::NONE, F::element_type())
}

/// Defines the GObject type of one filter. Used by `#[filmstrip::filter]`; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __element {
    ($module:ident, $filter:ty, $type_name:expr) => {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        pub mod $module {
            use $crate::__private::*;
            use $crate::glib;

            #[derive(Default)]
            pub struct Imp {
                pub core: $crate::__private::Core<$filter>,
            }

            #[glib::object_subclass]
            impl ObjectSubclass for Imp {
                const NAME: &'static str = $type_name;
                type Type = Element;
                type ParentType = $crate::gst_video::VideoFilter;
            }

            glib::wrapper! {
                pub struct Element(ObjectSubclass<Imp>)
                    @extends $crate::gst_video::VideoFilter, $crate::gst_base::BaseTransform,
                        $crate::gst::Element, $crate::gst::Object;
            }

            impl ObjectImpl for Imp {
                fn properties() -> &'static [glib::ParamSpec] {
                    static SPECS: ::std::sync::OnceLock<::std::vec::Vec<glib::ParamSpec>> =
                        ::std::sync::OnceLock::new();
                    SPECS.get_or_init($crate::__private::Core::<$filter>::param_specs)
                }

                fn set_property(&self, id: usize, value: &glib::Value, _: &glib::ParamSpec) {
                    self.core.set_property(id, value)
                }

                fn property(&self, id: usize, _: &glib::ParamSpec) -> glib::Value {
                    self.core.property(id)
                }

                fn constructed(&self) {
                    self.parent_constructed();
                    self.core.constructed(self.obj().upcast_ref());
                }
            }

            impl GstObjectImpl for Imp {}

            impl ElementImpl for Imp {
                fn metadata() -> Option<&'static $crate::gst::subclass::ElementMetadata> {
                    static METADATA: ::std::sync::OnceLock<$crate::gst::subclass::ElementMetadata> =
                        ::std::sync::OnceLock::new();
                    Some(METADATA.get_or_init($crate::__private::Core::<$filter>::metadata))
                }

                fn pad_templates() -> &'static [$crate::gst::PadTemplate] {
                    static TEMPLATES: ::std::sync::OnceLock<
                        ::std::vec::Vec<$crate::gst::PadTemplate>,
                    > = ::std::sync::OnceLock::new();
                    TEMPLATES.get_or_init($crate::__private::Core::<$filter>::pad_templates)
                }
            }

            impl BaseTransformImpl for Imp {
                const MODE: $crate::gst_base::subclass::BaseTransformMode =
                    $crate::gst_base::subclass::BaseTransformMode::AlwaysInPlace;
                const PASSTHROUGH_ON_SAME_CAPS: bool = false;
                const TRANSFORM_IP_ON_PASSTHROUGH: bool = true;
            }

            impl VideoFilterImpl for Imp {
                fn transform_frame_ip(
                    &self,
                    frame: &mut $crate::gst_video::VideoFrameRef<&mut $crate::gst::BufferRef>,
                ) -> ::std::result::Result<$crate::gst::FlowSuccess, $crate::gst::FlowError>
                {
                    self.core.transform_writable(self.obj().upcast_ref(), frame)
                }

                fn transform_frame_ip_passthrough(
                    &self,
                    frame: &$crate::gst_video::VideoFrameRef<&$crate::gst::BufferRef>,
                ) -> ::std::result::Result<$crate::gst::FlowSuccess, $crate::gst::FlowError>
                {
                    self.core.transform_readable(self.obj().upcast_ref(), frame)
                }
            }

            /// The core of `element` if it is an element of this filter.
            pub fn core(
                element: &$crate::gst::Element,
            ) -> Option<&$crate::__private::Core<$filter>> {
                element.downcast_ref::<Element>().map(|e| &e.imp().core)
            }
        }
    };
}
