//! What a filter can do besides touching pixels: emit events, know where it is in the stream.

use crate::event::{EmittedBy, EmittedEvent, Event};
use gst::prelude::*;
use std::marker::PhantomData;

/// Passed to `transform_frame` next to the frame.
///
/// ```ignore
/// fn transform_frame(&mut self, frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
///     if ctx.frame_number() % 30 == 0 {
///         ctx.emit(Heartbeat { frame: ctx.frame_number() as i64 });
///     }
///     Ok(())
/// }
/// ```
pub struct Context<'a, F: ?Sized> {
    element: &'a gst::Element,
    class: &'static str,
    frame_number: u64,
    _filter: PhantomData<fn(&F)>,
}

impl<'a, F: ?Sized> Context<'a, F> {
    pub(crate) fn new(element: &'a gst::Element, class: &'static str, frame_number: u64) -> Self {
        Self {
            element,
            class,
            frame_number,
            _filter: PhantomData,
        }
    }

    /// How many frames this element processed before this one.
    pub fn frame_number(&self) -> u64 {
        self.frame_number
    }

    /// Sends `event` to the pipeline's bus, from where hosts deliver it to subscribers.
    ///
    /// Only events listed in the filter's `events(...)` compile.
    pub fn emit<E>(&mut self, event: E)
    where
        E: Event + EmittedBy<F>,
    {
        let emitted = EmittedEvent {
            event_type: E::NAME.to_string(),
            source: self.class.to_string(),
            fields: event.fields(),
        };
        // Posting fails only when the element has no bus yet; nobody could listen then.
        let _ = self.element.post_message(emitted.to_message(self.element));
    }
}
