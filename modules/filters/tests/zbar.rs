//! ZBarFilter through the test harness, on generated grey frames: a QR code moving across the
//! picture is reported once with its exact text, again only after it left for over a second;
//! EAN-13 and Code 128 bar codes are read with zbar's names for them.

use barcoders::sym::code128::Code128;
use barcoders::sym::ean13::EAN13;
use filmstrip::PixelFormat;
use filmstrip::testing::Harness;
use filters::ZBar;
use qrcode::{Color, QrCode};
use serde_json::json;

const WIDTH: usize = 320;
const HEIGHT: usize = 240;

/// A white frame.
fn blank(h: &Harness<ZBar>) -> Vec<u8> {
    vec![255u8; h.frame_size()]
}

/// Paints `dark` cells of a `columns`-wide grid black, `scale` pixels per cell, with the top-left
/// corner at `(left, top)` (possibly outside the frame: what falls outside is cut).
fn paint(
    frame: &mut [u8],
    stride: usize,
    (left, top): (i64, i64),
    columns: usize,
    rows: usize,
    scale: usize,
    dark: impl Fn(usize, usize) -> bool,
) {
    for row in 0..rows * scale {
        let y = top + row as i64;
        if !(0..HEIGHT as i64).contains(&y) {
            continue;
        }
        for column in 0..columns * scale {
            let x = left + column as i64;
            if (0..WIDTH as i64).contains(&x) && dark(column / scale, row / scale) {
                frame[y as usize * stride + x as usize] = 0;
            }
        }
    }
}

fn paint_qr(frame: &mut [u8], stride: usize, code: &QrCode, at: (i64, i64)) {
    let (width, colors) = (code.width(), code.to_colors());
    paint(frame, stride, at, width, width, 4, |x, y| {
        colors[y * width + x] == Color::Dark
    });
}

/// A 1D code's bars (1 = dark), 2 pixels per module and 80 rows high, at `(left, top)`.
fn paint_bars(frame: &mut [u8], stride: usize, bars: &[u8], at: (i64, i64)) {
    paint(frame, stride, at, bars.len(), 40, 2, |x, _| bars[x] == 1);
}

fn harness() -> Harness<ZBar> {
    Harness::new(PixelFormat::Gray8, WIDTH as u32, HEIGHT as u32)
}

/// `(codeType, value)` of the events since the last call.
fn found(h: &Harness<ZBar>) -> Vec<(String, String)> {
    h.events()
        .into_iter()
        .map(|event| {
            assert_eq!(event.event_type, "CodeFound");
            assert_eq!(event.source, "ZBarFilter");
            let text = |name: &str| event.fields[name].as_str().unwrap().to_string();
            (text("codeType"), text("value"))
        })
        .collect()
}

#[test]
fn a_qr_code_moving_across_is_found_once_per_appearance() {
    let text = "https://filmstrip.example/tickets/42?seat=7B";
    let code = QrCode::new(text).unwrap();
    let size = code.width() as i64 * 4;
    let mut h = harness();
    let stride = h.info().stride()[0] as usize;
    let mut events = Vec::new();
    // From half out on the left to half out on the right, 6 pixels a frame, 1.4 s in all.
    let mut visible_frames = 0;
    for step in 0..42 {
        let left = -size / 2 + step * (WIDTH as i64 / 42);
        let mut frame = blank(&h);
        paint_qr(&mut frame, stride, &code, (left, 60));
        assert_eq!(h.push(&frame).unwrap(), frame, "frames pass unchanged");
        let now = found(&h);
        if !now.is_empty() && events.is_empty() {
            visible_frames = step;
        }
        events.extend(now);
    }
    assert_eq!(
        events,
        [("QR-Code".to_string(), text.to_string())],
        "one event for one appearance"
    );
    assert!(visible_frames < 15, "found late, on frame {visible_frames}");

    // Gone for 1.1 s, then back: a new appearance.
    for _ in 0..33 {
        h.push(&blank(&h)).unwrap();
    }
    assert!(found(&h).is_empty());
    let mut frame = blank(&h);
    paint_qr(&mut frame, stride, &code, (100, 60));
    for _ in 0..5 {
        h.push(&frame).unwrap();
    }
    assert_eq!(found(&h), [("QR-Code".to_string(), text.to_string())]);
}

#[test]
fn a_code_missing_for_a_few_frames_is_the_same_appearance() {
    let code = QrCode::new("same appearance").unwrap();
    let mut h = harness();
    let stride = h.info().stride()[0] as usize;
    let mut frame = blank(&h);
    paint_qr(&mut frame, stride, &code, (40, 40));
    h.push(&frame).unwrap();
    assert_eq!(found(&h).len(), 1);
    // Half a second without it (a hand over it), then back.
    for _ in 0..15 {
        h.push(&blank(&h)).unwrap();
    }
    h.push(&frame).unwrap();
    assert!(found(&h).is_empty(), "not a new appearance");
}

#[test]
fn ean13_and_code128_bar_codes_are_read() {
    let mut h = harness();
    let stride = h.info().stride()[0] as usize;
    let ean = EAN13::new("590123412345").unwrap().encode();
    let code128 = Code128::new("ƁKms-128").unwrap().encode();
    let mut frame = blank(&h);
    paint_bars(&mut frame, stride, &ean, (60, 20));
    assert!(code128.len() * 2 < WIDTH - 40, "the code fits");
    paint_bars(&mut frame, stride, &code128, (20, 140));
    h.push(&frame).unwrap();
    let mut events = found(&h);
    events.sort();
    assert_eq!(
        events,
        [
            ("CODE-128".to_string(), "Kms-128".to_string()),
            // The twelve digits given and the check digit the encoder added.
            ("EAN-13".to_string(), "5901234123457".to_string()),
        ]
    );
}

#[test]
fn a_picture_without_codes_raises_nothing_and_codes_need_no_method() {
    let mut h = harness();
    let mut frame = blank(&h);
    // Noise-like stripes that are no code.
    for (i, v) in frame.iter_mut().enumerate() {
        *v = ((i * 37) % 251) as u8;
    }
    for _ in 0..3 {
        h.push(&frame).unwrap();
    }
    assert!(found(&h).is_empty());
    let err = h.invoke("scan", json!([])).unwrap_err();
    assert_eq!(err.kind(), filmstrip::ErrorKind::UnknownOperation);
}

#[test]
fn codes_are_read_from_the_luma_plane_of_yuv_frames() {
    let code = QrCode::new("yuv").unwrap();
    for format in [PixelFormat::I420, PixelFormat::Nv12] {
        let mut h = Harness::<ZBar>::new(format, WIDTH as u32, HEIGHT as u32);
        let (offset, stride) = (h.info().offset()[1], h.info().stride()[0] as usize);
        let mut frame = vec![128u8; h.frame_size()];
        frame[..offset].fill(255);
        paint_qr(&mut frame[..offset], stride, &code, (100, 50));
        h.push(&frame).unwrap();
        let events: Vec<(String, String)> = h
            .events()
            .into_iter()
            .map(|e| {
                (
                    e.fields["codeType"].to_string(),
                    e.fields["value"].to_string(),
                )
            })
            .collect();
        assert_eq!(
            events,
            [(r#""QR-Code""#.to_string(), r#""yuv""#.to_string())],
            "{format:?}"
        );
    }
}
