//! Frames per second on one core: ZBarFilter against GStreamer's own `zbar` element
//! (gstreamer1.0-plugins-bad, the same zbar library), on the same I420 frames of a QR code
//! moving across a 640x480 and a 1280x720 picture, measured side by side in one run.
//!
//! Each element sits in a `gst_check::Harness` that pushes a buffer and pulls the result in
//! the calling thread; only push and pull are timed, alternating between the two elements
//! frame by frame, and the median frame time is reported. The events column shows both read the
//! code: ZBarFilter raises one `CodeFound` for the one appearance, `zbar` posts a message on
//! every frame it reads it in.
//!
//! `cargo bench -p filters --bench zbar`; prints a Markdown table.

use filmstrip::PixelFormat;
use filmstrip::gst;
use filmstrip::gst::prelude::*;
use filmstrip::testing::Harness;
use filters::ZBar;
use qrcode::{Color, QrCode};
use std::time::{Duration, Instant};

const FRAMES: usize = 150;

/// I420 frames: white luma with a QR code (4 pixels a module) moving left to right, grey chroma.
fn frames(width: usize, height: usize) -> Vec<Vec<u8>> {
    let code = QrCode::new("https://filmstrip.example/bench").unwrap();
    let (modules, colors) = (code.width(), code.to_colors());
    let side = modules * 4;
    let luma = width * height;
    let chroma = width.div_ceil(2) * height.div_ceil(2);
    (0..FRAMES)
        .map(|i| {
            let mut frame = vec![255u8; luma];
            frame.extend(std::iter::repeat_n(128u8, 2 * chroma));
            let left = i * (width - side) / FRAMES;
            let top = (height - side) / 2;
            for y in 0..side {
                for x in 0..side {
                    if colors[(y / 4) * modules + x / 4] == Color::Dark {
                        frame[(top + y) * width + left + x] = 0;
                    }
                }
            }
            frame
        })
        .collect()
}

/// How long `push` takes on one buffer.
fn time(push: &mut impl FnMut(gst::Buffer), frame: &[u8]) -> Duration {
    let buffer = gst::Buffer::from_mut_slice(frame.to_vec());
    let start = Instant::now();
    push(buffer);
    start.elapsed()
}

/// The median of `times`, in milliseconds.
fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    gst::init().unwrap();
    println!("| size | element | median ms/frame | fps | events | time vs zbar |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (width, height) in [(640, 480), (1280, 720)] {
        let frames = frames(width, height);

        let mut ours = Harness::<ZBar>::new(PixelFormat::I420, width as u32, height as u32);
        let mut push_ours = |buffer| {
            ours.push_buffer(buffer).unwrap();
        };
        let mut peer = gst_check::Harness::new_parse("zbar cache=false");
        let bus = gst::Bus::new();
        peer.element().unwrap().set_bus(Some(&bus));
        let caps = gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", width as i32)
            .field("height", height as i32)
            .field("framerate", gst::Fraction::new(30, 1))
            .build();
        peer.set_src_caps(caps);
        let mut pts = 0;
        let mut push_peer = |mut buffer: gst::Buffer| {
            buffer
                .make_mut()
                .set_pts(gst::ClockTime::from_mseconds(pts * 33));
            pts += 1;
            peer.push(buffer).unwrap();
            peer.pull().unwrap();
        };
        // Alternating frame by frame, so that load from elsewhere hits both alike.
        let (mut ours_times, mut peer_times) = (Vec::new(), Vec::new());
        for frame in &frames {
            ours_times.push(time(&mut push_ours, frame));
            peer_times.push(time(&mut push_peer, frame));
        }
        let ours_codes = ours.events().len();
        let peer_codes = std::iter::from_fn(|| bus.pop_filtered(&[gst::MessageType::Element]))
            .filter(|message| message.structure().is_some_and(|s| s.name() == "barcode"))
            .count();
        let (ours_ms, peer_ms) = (median_ms(ours_times), median_ms(peer_times));
        for (name, per_frame, codes) in [
            ("ZBarFilter", ours_ms, ours_codes),
            ("zbar (GStreamer)", peer_ms, peer_codes),
        ] {
            println!(
                "| {width}x{height} | {name} | {per_frame:.2} | {:.0} | {codes} | {:.2} |",
                1000.0 / per_frame,
                per_frame / peer_ms
            );
        }
    }
}
