//! Events: typed structs a filter emits, delivered as GStreamer element messages.

use crate::descriptor::{ComplexTypeDescriptor, EventDescriptor};
use serde_json::{Map, Value as Json};

/// Name of the element message structure that carries every Filmstrip event.
pub const EVENT_MESSAGE: &str = "filmstrip-event";

/// A typed event. Derive it with `#[derive(filmstrip::Event)]`.
pub trait Event: Send + 'static {
    /// The event name, e.g. `PlateDetected`.
    const NAME: &'static str;
    /// The event's fields by camelCase name.
    fn fields(&self) -> Map<String, Json>;
    /// The descriptor for module files.
    fn descriptor() -> EventDescriptor;
    /// Adds the complex types the fields use to `out`.
    fn complex_types(out: &mut Vec<ComplexTypeDescriptor>);
}

/// Marks the events a filter declared in `#[filmstrip::filter(events(...))]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not declare the event `{E}`",
    label = "this filter cannot emit `{E}`",
    note = "list it in the filter attribute: #[filmstrip::filter(..., events({E}))]"
)]
pub trait Emits<E: Event> {}

/// `F: Emits<E>` stated with the event first, the bound of [`Context::emit`](crate::Context::emit).
///
/// With `F: Emits<E>` as the bound, a filter declaring one event made the compiler infer `E`
/// from that single impl before looking at the argument, so emitting an undeclared event
/// read as "expected `Declared`, found `Other`". With `E` as the self type the bound waits
/// for the argument's type and then fails with [`Emits`]'s message.
#[doc(hidden)]
pub trait EmittedBy<F: ?Sized> {}

impl<E: Event, F: Emits<E> + ?Sized> EmittedBy<F> for E {}

/// An event as it arrives on the bus.
#[derive(Debug, Clone, PartialEq)]
pub struct EmittedEvent {
    /// The event name.
    pub event_type: String,
    /// The Kurento class name of the filter that emitted it.
    pub source: String,
    /// The event's fields.
    pub fields: Map<String, Json>,
}

impl EmittedEvent {
    /// Reads a Filmstrip event out of a bus message; `None` for every other message.
    pub fn from_message(message: &gst::Message) -> Option<Self> {
        let gst::MessageView::Element(element) = message.view() else {
            return None;
        };
        let structure = element.structure()?;
        if structure.name() != EVENT_MESSAGE {
            return None;
        }
        let data: String = structure.get("data").ok()?;
        Some(Self {
            event_type: structure.get("type").ok()?,
            source: structure.get("source").ok()?,
            fields: serde_json::from_str(&data).ok()?,
        })
    }

    pub(crate) fn to_message(&self, element: &gst::Element) -> gst::Message {
        let structure = gst::Structure::builder(EVENT_MESSAGE)
            .field("type", &self.event_type)
            .field("source", &self.source)
            .field("data", Json::Object(self.fields.clone()).to_string())
            .build();
        gst::message::Element::builder(structure)
            .src(element)
            .build()
    }
}
