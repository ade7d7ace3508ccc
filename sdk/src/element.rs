//! The GStreamer element behind every filter: one generic core, and a small macro that gives
//! each filter its own GObject type around it.

use crate::filter::{Filter, Invoked, invoke};
use crate::{Context, Error, ErrorKind, Frame, Result};
use gst::glib;
use gst::prelude::*;
use gst_base::prelude::*;
use gst_video::VideoFrameRef;
use serde_json::Value as Json;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// State of one element: the user's filter and what the element tracks around it.
pub struct Core<F> {
    filter: Mutex<F>,
    frames: AtomicU64,
    panicked: AtomicBool,
    /// `#[method(slow)]` calls under way: frames pass through untouched instead of waiting.
    slow_calls: AtomicUsize,
}

impl<F: Filter> Default for Core<F> {
    fn default() -> Self {
        Self {
            filter: Mutex::new(F::default()),
            frames: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            slow_calls: AtomicUsize::new(0),
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

impl<F: Filter> Core<F> {
    /// Locks the filter; with `wait` false, `None` when someone else holds it.
    fn lock(&self, wait: bool) -> Result<Option<MutexGuard<'_, F>>> {
        if self.panicked.load(Ordering::Acquire) {
            return Err(Error::with_kind(
                ErrorKind::Panicked,
                format!("{} panicked earlier and is out of service", F::CLASS),
            ));
        }
        // A poisoned lock means a panic we are about to report; its data is still sound.
        let guard = match self.filter.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) if !wait => return Ok(None),
            Err(TryLockError::WouldBlock) => self.filter.lock().unwrap_or_else(|e| e.into_inner()),
        };
        Ok(Some(guard))
    }

    /// Runs `f` on the filter, turning a panic into [`ErrorKind::Panicked`] for good.
    fn guarded<R>(&self, f: impl FnOnce(&mut F) -> Result<R>) -> Result<R> {
        let filter = self.lock(true)?.expect("waiting locks always lock");
        self.run_guarded(filter, f)
    }

    fn run_guarded<R>(
        &self,
        mut filter: MutexGuard<'_, F>,
        f: impl FnOnce(&mut F) -> Result<R>,
    ) -> Result<R> {
        match catch_unwind(AssertUnwindSafe(|| f(&mut filter))) {
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

    /// GObject `property` for 1-based property `id`.
    pub fn property(&self, id: usize) -> glib::Value {
        let filter = self.filter.lock().unwrap_or_else(|e| e.into_inner());
        filter.property_value(id - 1)
    }

    /// GObject `set_property` for 1-based property `id`.
    pub fn set_property(&self, id: usize, value: &glib::Value) {
        let mut filter = self.filter.lock().unwrap_or_else(|e| e.into_inner());
        filter.set_property_value(id - 1, value);
    }

    /// Called once the element exists.
    pub fn constructed(&self, element: &gst_base::BaseTransform) {
        // Analysis-only filters never write, so buffers need not be writable (no copy).
        element.set_passthrough(F::ANALYSIS_ONLY);
    }

    /// Runs an operation by name: a method, or a property getter or setter.
    pub fn invoke(&self, element: &gst::Element, op: &str, params: &Json) -> Result<Json> {
        let slow = F::is_slow(op);
        if slow {
            self.slow_calls.fetch_add(1, Ordering::AcqRel);
        }
        let outcome = self.guarded(|filter| invoke(filter, op, params));
        if slow {
            self.slow_calls.fetch_sub(1, Ordering::AcqRel);
        }
        let Invoked {
            value,
            property_set,
        } = outcome?;
        if let Some(index) = property_set {
            element.notify(F::PROPERTIES[index].gobject);
        }
        Ok(value)
    }

    fn process(
        &self,
        element: &gst::Element,
        frame: Option<Frame<'_>>,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let Some(mut frame) = frame else {
            gst::element_error!(
                element,
                gst::CoreError::Negotiation,
                ("{}: unsupported frame format", F::CLASS)
            );
            return Err(gst::FlowError::NotNegotiated);
        };
        let number = self.frames.fetch_add(1, Ordering::Relaxed);
        // While a slow method (a download, say) holds the filter, the video keeps flowing.
        let wait = self.slow_calls.load(Ordering::Acquire) == 0;
        let outcome = match self.lock(wait) {
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
        self.process(element, Frame::writable(frame))
    }

    /// `transform_frame_ip_passthrough` of an analysis-only filter.
    pub fn transform_readable(
        &self,
        element: &gst::Element,
        frame: &VideoFrameRef<&gst::BufferRef>,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        self.process(element, Frame::readable(frame))
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
                pub core: $crate::element::Core<$filter>,
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
                    SPECS.get_or_init(<$filter as $crate::Filter>::param_specs)
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
                    Some(METADATA.get_or_init($crate::element::Core::<$filter>::metadata))
                }

                fn pad_templates() -> &'static [$crate::gst::PadTemplate] {
                    static TEMPLATES: ::std::sync::OnceLock<
                        ::std::vec::Vec<$crate::gst::PadTemplate>,
                    > = ::std::sync::OnceLock::new();
                    TEMPLATES.get_or_init($crate::element::Core::<$filter>::pad_templates)
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
            pub fn core(element: &$crate::gst::Element) -> Option<&$crate::element::Core<$filter>> {
                element.downcast_ref::<Element>().map(|e| &e.imp().core)
            }
        }
    };
}
