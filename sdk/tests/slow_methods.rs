//! `#[method(slow)]`: while such a call runs, frames pass through untouched instead of waiting.

use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{Filter, FilterMethods, PixelFormat};
use serde_json::json;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The test's handshake with the blocked method: "started", then "you may finish".
struct Gate {
    started: Sender<()>,
    release: Receiver<()>,
}

static GATE: OnceLock<Mutex<Option<Gate>>> = OnceLock::new();

/// Paints every pixel white; its `download` blocks until the test releases it.
#[filmstrip::filter(class = "SlowFilter", formats(Gray8))]
pub struct Slow {}

#[filmstrip::methods]
impl Slow {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        frame.plane_mut(0).data_mut().fill(255);
        Ok(())
    }

    /// Stands in for a network download.
    #[method(slow)]
    fn download(&mut self) -> Result<()> {
        let gate = GATE.get().unwrap().lock().unwrap().take().unwrap();
        gate.started.send(()).unwrap();
        // Bounded, so that a push wrongly waiting for this call fails the test instead of hanging.
        let _ = gate.release.recv_timeout(Duration::from_secs(5));
        Ok(())
    }
}

#[test]
fn frames_pass_untouched_while_a_slow_method_runs() {
    let (started_tx, started_rx) = channel();
    let (release_tx, release_rx) = channel();
    GATE.get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap()
        .replace(Gate {
            started: started_tx,
            release: release_rx,
        });

    let mut harness = Harness::<Slow>::new(PixelFormat::Gray8, 16, 8);
    let element = harness.element().clone();
    let call = std::thread::spawn(move || {
        Slow::core(&element)
            .unwrap()
            .invoke(&element, "download", &json!([]))
    });
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the method started");

    // The method holds the filter: this push must neither block nor paint.
    let input = vec![7u8; harness.frame_size()];
    let untouched = harness.push(&input).unwrap();
    assert_eq!(
        untouched, input,
        "frames flow through unchanged during a slow call"
    );

    release_tx.send(()).unwrap();
    call.join().unwrap().unwrap();
    let painted = harness.push(&input).unwrap();
    assert!(
        painted.iter().all(|&v| v == 255),
        "the filter runs again once the call ended"
    );
    assert!(Slow::is_slow("download") && !Slow::is_slow("getNothing"));
}
