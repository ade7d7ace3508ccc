//! `#[method(slow)]`: while such a call runs, frames pass through untouched instead of waiting.

use filmstrip::element::FRAMES_PROCESSED;
use filmstrip::gst::prelude::*;
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

type GateSlot = OnceLock<Mutex<Option<Gate>>>;

static GATE: GateSlot = OnceLock::new();

/// Installs a gate in `slot`; returns the test's ends: "it started" and "let it finish".
fn install(slot: &GateSlot) -> (Receiver<()>, Sender<()>) {
    let (started, started_rx) = channel();
    let (release_tx, release) = channel();
    slot.get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap()
        .replace(Gate { started, release });
    (started_rx, release_tx)
}

/// Called by a blocking method: says it started, then waits for the test's release.
fn pass(slot: &GateSlot) {
    let gate = slot.get().unwrap().lock().unwrap().take().unwrap();
    gate.started.send(()).unwrap();
    // Bounded, so that a push wrongly waiting for this call fails the test instead of hanging.
    let _ = gate.release.recv_timeout(Duration::from_secs(5));
}

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
        pass(&GATE);
        Ok(())
    }
}

#[test]
fn frames_pass_untouched_while_a_slow_method_runs() {
    let (started_rx, release_tx) = install(&GATE);

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

/// Holds the filter, as an ordinary method, until the test releases it.
#[filmstrip::filter(class = "RaceFilter", formats(Gray8))]
pub struct Race {}

static HOLD: GateSlot = OnceLock::new();
static DOWNLOAD: GateSlot = OnceLock::new();

#[filmstrip::methods]
impl Race {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        frame.plane_mut(0).data_mut().fill(255);
        Ok(())
    }

    /// An ordinary (not slow) method that keeps the filter until released.
    #[method]
    fn hold(&mut self) -> Result<()> {
        pass(&HOLD);
        Ok(())
    }

    /// Stands in for a download.
    #[method(slow)]
    fn download(&mut self) -> Result<()> {
        pass(&DOWNLOAD);
        Ok(())
    }
}

/// The race of issue 15: a frame that arrived while an ordinary call held the filter must not
/// end up waiting for a slow call that takes the filter the moment the ordinary one ends.
///
/// The interleaving is forced: the frame is inside the element (its number is taken) and
/// waiting before the ordinary call returns, and the slow call starts on the very thread
/// that ends the ordinary one. Both threads share one CPU and the frame's thread has the idle
/// scheduling class, so the kernel never lets it run before the calling thread blocks in the
/// slow call: on the SDK before the fix, the frame then always waited out the download.
#[test]
fn a_frame_waiting_for_an_ordinary_call_never_waits_for_a_slow_one_that_follows() {
    let (hold_started_rx, hold_release_tx) = install(&HOLD);
    let (download_started_rx, download_release_tx) = install(&DOWNLOAD);

    // Harnesses stay on their thread: the frame is pushed from its own.
    let (element_tx, element_rx) = channel();
    let (pushed_tx, pushed_rx) = channel();
    let (go_tx, go_rx) = channel::<()>();
    let cpu = first_allowed_cpu();
    let streaming = std::thread::spawn(move || {
        let mut harness = Harness::<Race>::new(PixelFormat::Gray8, 16, 8);
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        element_tx.send((harness.element().clone(), tid)).unwrap();
        go_rx.recv().unwrap();
        let input = vec![7u8; harness.frame_size()];
        pushed_tx.send(harness.push(&input)).unwrap();
    });
    let (element, streaming_tid) = element_rx.recv().unwrap();

    let caller = {
        let element = element.clone();
        std::thread::spawn(move || {
            pin_to(0, cpu);
            let core = Race::core(&element).unwrap();
            core.invoke(&element, "hold", &json!([])).unwrap();
            // Straight on, on this thread: the filter is free and the frame not yet awake.
            core.invoke(&element, "download", &json!([])).unwrap();
        })
    };
    hold_started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("hold started");
    go_tx.send(()).unwrap();
    // The frame has entered the element once its number is taken, and waits once its thread
    // sleeps; only then is its thread moved next to the caller's, below it.
    while element.property::<u64>(FRAMES_PROCESSED) == 0 || !sleeping(streaming_tid) {
        std::thread::sleep(Duration::from_millis(1));
    }
    pin_to(streaming_tid, cpu);
    make_idle(streaming_tid);
    hold_release_tx.send(()).unwrap();
    download_started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("download started");

    // The download runs until released; the frame must be out long before.
    let pushed = pushed_rx.recv_timeout(Duration::from_secs(2));
    download_release_tx.send(()).unwrap();
    caller.join().unwrap();
    let output = pushed
        .expect("the frame waited for the slow call")
        .expect("the frame went through");
    // Either it ran before the download took the filter (painted) or passed untouched.
    assert!(
        output.iter().all(|&v| v == 255) || output.iter().all(|&v| v == 7),
        "a frame is painted whole or not at all"
    );
    streaming.join().unwrap();
}

/// The first CPU this process may run on.
fn first_allowed_cpu() -> usize {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, filled in by the kernel.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(
            libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set),
            0
        );
        (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .expect("some CPU is allowed")
    }
}

/// Whether thread `tid` of this process is asleep (waiting), from `/proc`.
fn sleeping(tid: libc::pid_t) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    // The state follows the parenthesised command name.
    stat.rsplit_once(')')
        .unwrap()
        .1
        .trim_start()
        .starts_with('S')
}

/// Keeps thread `tid` (0: the calling thread) on `cpu`.
fn pin_to(tid: libc::pid_t, cpu: usize) {
    // SAFETY: as above.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(
            libc::sched_setaffinity(tid, size_of::<libc::cpu_set_t>(), &set),
            0,
            "cannot pin a thread to CPU {cpu}"
        );
    }
}

/// Gives thread `tid` the idle scheduling class: it never preempts another thread.
fn make_idle(tid: libc::pid_t) {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain syscall; lowering a thread of one's own needs no privilege.
    let status = unsafe { libc::sched_setscheduler(tid, libc::SCHED_IDLE, &param) };
    assert_eq!(status, 0, "cannot enter SCHED_IDLE");
}
