//! What filters see of frames and what they give back: zero-copy reading, in-place writing,
//! plane layouts of planar formats, and events.

use filmstrip::gst;
use filmstrip::gst::prelude::*;
use filmstrip::prelude::*;
use filmstrip::testing::Harness;
use filmstrip::{Filter, FilterMethods, PixelFormat};
use serde_json::{Value, json};

/// Sums the bytes of plane 0 without touching them.
#[filmstrip::filter(class = "Summer", formats(Gray8, Bgrx))]
pub struct Summer {
    sums: Vec<u64>,
}

#[filmstrip::methods]
impl Summer {
    fn transform_frame(&mut self, frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let plane = frame.plane(0);
        self.sums
            .push(plane.rows().flatten().map(|&v| u64::from(v)).sum());
        Ok(())
    }

    #[method]
    fn get_sums(&self) -> Result<Vec<u64>> {
        Ok(self.sums.clone())
    }
}

/// Writes `value` into every sample of plane `plane` (within the visible width).
#[filmstrip::filter(class = "Painter", formats(Gray8, Bgrx, I420, Nv12))]
pub struct Painter {
    #[property(default = 0)]
    plane: u32,
    #[property(default = 255, max = 255)]
    value: u32,
}

#[filmstrip::methods]
impl Painter {
    fn transform_frame(&mut self, frame: &mut Frame, _ctx: &mut Context<Self>) -> Result<()> {
        let mut plane = frame.plane_mut(self.plane as usize);
        for row in plane.rows_mut() {
            row.fill(self.value as u8);
        }
        Ok(())
    }
}

/// Records each plane's layout: `[width, height, bytes_per_pixel, stride, data length]`.
#[filmstrip::filter(class = "Surveyor", formats(I420, Nv12, Bgrx, Gray8))]
pub struct Surveyor {
    layout: Vec<Vec<u64>>,
    format: String,
}

#[filmstrip::methods]
impl Surveyor {
    fn transform_frame(&mut self, frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        self.format = frame.format().name().to_string();
        self.layout = (0..frame.n_planes())
            .map(|i| {
                let p = frame.plane(i);
                [
                    p.width(),
                    p.height(),
                    p.bytes_per_pixel(),
                    p.stride(),
                    p.data().len(),
                ]
                .map(|n| n as u64)
                .to_vec()
            })
            .collect();
        Ok(())
    }

    #[method]
    fn get_layout(&self) -> Result<Vec<Vec<u64>>> {
        Ok(self.layout.clone())
    }

    #[method]
    fn get_format(&self) -> Result<String> {
        Ok(self.format.clone())
    }
}

/// One frame went by.
#[derive(Event, Debug, Clone)]
pub struct FrameSeen {
    /// Frames before this one.
    pub frame_number: u64,
    /// Presentation time in nanoseconds.
    pub pts_ns: Option<u64>,
    /// First byte of the picture.
    pub first_byte: u32,
}

/// Emits `FrameSeen` for every `every`th frame.
#[filmstrip::filter(class = "Reporter", formats(Gray8), events(FrameSeen))]
pub struct Reporter {
    #[property(default = 1, min = 1)]
    every: u64,
}

#[filmstrip::methods]
impl Reporter {
    fn transform_frame(&mut self, frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        if ctx.frame_number() % self.every == 0 {
            ctx.emit(FrameSeen {
                frame_number: ctx.frame_number(),
                pts_ns: frame.pts().map(|t| t.as_nanos() as u64),
                first_byte: u32::from(frame.plane(0).row(0)[0]),
            });
        }
        Ok(())
    }
}

/// Address of a buffer's pixels, to tell whether two buffers share memory.
fn data_ptr(buffer: &gst::Buffer) -> *const u8 {
    buffer.map_readable().expect("readable buffer").as_ptr()
}

#[test]
fn analysis_only_filters_read_frames_without_copying_them() {
    const { assert!(<Summer as FilterMethods>::ANALYSIS_ONLY) };
    let mut h = Harness::<Summer>::new(PixelFormat::Gray8, 16, 4);
    let pixels: Vec<u8> = (0..64).collect();
    let input = gst::Buffer::from_slice(pixels.clone());
    let input_ptr = data_ptr(&input);
    let output = h.push_buffer(input).expect("frame passes");
    assert_eq!(
        data_ptr(&output),
        input_ptr,
        "the output buffer is the input's memory"
    );
    assert_eq!(output.map_readable().unwrap().as_slice(), pixels.as_slice());
    let expected: u64 = (0..64u64).sum();
    assert_eq!(h.invoke("getSums", Value::Null).unwrap(), json!([expected]));
}

#[test]
fn analysis_only_filters_do_not_copy_shared_buffers_either() {
    // A buffer someone else still holds is not writable; a writing filter would need a copy.
    let mut h = Harness::<Summer>::new(PixelFormat::Gray8, 16, 4);
    let input = gst::Buffer::from_slice(vec![1u8; 64]);
    let kept = input.clone();
    let output = h.push_buffer(input).expect("frame passes");
    assert_eq!(data_ptr(&output), data_ptr(&kept));
    assert_eq!(h.invoke("getSums", Value::Null).unwrap(), json!([64]));
}

#[test]
fn writing_filters_change_the_pixels_in_place() {
    const { assert!(!<Painter as FilterMethods>::ANALYSIS_ONLY) };
    let mut h = Harness::<Painter>::new(PixelFormat::Gray8, 16, 4);
    h.element().set_property("value", 9u32);
    // `from_slice` memory is read-only and would be copied on write; pools hand out writable memory.
    let input = gst::Buffer::from_mut_slice(vec![0u8; 64]);
    let input_ptr = data_ptr(&input);
    let output = h.push_buffer(input).expect("frame passes");
    assert_eq!(
        data_ptr(&output),
        input_ptr,
        "a uniquely owned buffer is edited in place"
    );
    assert!(output.map_readable().unwrap().iter().all(|&v| v == 9));
}

#[test]
fn writing_filters_copy_a_shared_buffer_and_leave_the_original_alone() {
    let mut h = Harness::<Painter>::new(PixelFormat::Gray8, 16, 4);
    let input = gst::Buffer::from_slice(vec![0u8; 64]);
    let kept = input.clone();
    let output = h.push_buffer(input).expect("frame passes");
    assert!(output.map_readable().unwrap().iter().all(|&v| v == 255));
    assert!(kept.map_readable().unwrap().iter().all(|&v| v == 0));
}

#[test]
fn writing_filters_write_only_the_visible_part_of_bgrx_rows() {
    let mut h = Harness::<Painter>::new(PixelFormat::Bgrx, 5, 3);
    let info = h.info().clone();
    let out = h.push(&vec![0u8; h.frame_size()]).unwrap();
    let stride = info.stride()[0] as usize;
    for y in 0..3 {
        let row = &out[y * stride..(y + 1) * stride];
        assert!(row[..20].iter().all(|&v| v == 255), "row {y} visible part");
        assert!(row[20..].iter().all(|&v| v == 0), "row {y} padding");
    }
}

/// The layout the filter saw for a `width`x`height` frame of `format`.
fn survey(format: PixelFormat, width: u32, height: u32) -> (Value, layout::Info) {
    let mut h = Harness::<Surveyor>::new(format, width, height);
    h.push(&vec![0u8; h.frame_size()]).unwrap();
    assert_eq!(
        h.invoke("getFormat", Value::Null).unwrap(),
        json!(format.name())
    );
    (
        h.invoke("getLayout", Value::Null).unwrap(),
        layout::Info::of(h.info()),
    )
}

/// Strides and offsets GStreamer uses, to compare the filter's view with.
mod layout {
    pub struct Info {
        pub strides: Vec<u64>,
        pub offsets: Vec<u64>,
        pub size: u64,
    }

    impl Info {
        pub fn of(info: &filmstrip::gst_video::VideoInfo) -> Self {
            let n = info.n_planes() as usize;
            Self {
                strides: info.stride()[..n].iter().map(|&s| s as u64).collect(),
                offsets: info.offset()[..n].iter().map(|&o| o as u64).collect(),
                size: info.size() as u64,
            }
        }

        /// Bytes from plane `i`'s start to the next plane (or the end of the frame).
        pub fn plane_len(&self, i: usize) -> u64 {
            self.offsets.get(i + 1).copied().unwrap_or(self.size) - self.offsets[i]
        }
    }
}

#[test]
fn i420_frames_have_a_full_luma_plane_and_two_half_chroma_planes() {
    for (w, h) in [(64u32, 48u32), (33, 25)] {
        let (layout, info) = survey(PixelFormat::I420, w, h);
        let (cw, ch) = (u64::from(w.div_ceil(2)), u64::from(h.div_ceil(2)));
        let expected: Vec<Vec<u64>> = vec![
            vec![w.into(), h.into(), 1, info.strides[0], 0],
            vec![cw, ch, 1, info.strides[1], 0],
            vec![cw, ch, 1, info.strides[2], 0],
        ];
        let layout: Vec<Vec<u64>> = serde_json::from_value(layout).unwrap();
        assert_eq!(layout.len(), 3, "{w}x{h}");
        for (i, (got, want)) in layout.iter().zip(&expected).enumerate() {
            assert_eq!(got[..4], want[..4], "{w}x{h} plane {i}");
            assert!(
                got[3] >= got[0] * got[2],
                "{w}x{h} plane {i}: stride holds a row"
            );
            // The mapped plane covers its rows; only the last may lack padding.
            let rows = got[1];
            assert!(
                got[4] >= (rows - 1) * got[3] + got[0] * got[2],
                "{w}x{h} plane {i} too short"
            );
            assert!(
                got[4] <= info.plane_len(i),
                "{w}x{h} plane {i} longer than the plane"
            );
        }
    }
}

#[test]
fn nv12_frames_have_a_full_luma_plane_and_an_interleaved_half_chroma_plane() {
    for (w, h) in [(64u32, 48u32), (33, 25)] {
        let (layout, info) = survey(PixelFormat::Nv12, w, h);
        let layout: Vec<Vec<u64>> = serde_json::from_value(layout).unwrap();
        let (cw, ch) = (u64::from(w.div_ceil(2)), u64::from(h.div_ceil(2)));
        assert_eq!(layout.len(), 2, "{w}x{h}");
        assert_eq!(
            layout[0][..4],
            [w.into(), h.into(), 1, info.strides[0]],
            "{w}x{h} Y"
        );
        assert_eq!(layout[1][..4], [cw, ch, 2, info.strides[1]], "{w}x{h} UV");
        for (i, plane) in layout.iter().enumerate() {
            assert!(
                plane[4] >= (plane[1] - 1) * plane[3] + plane[0] * plane[2],
                "{w}x{h} plane {i}"
            );
        }
    }
}

#[test]
fn packed_frames_have_one_plane() {
    let (layout, info) = survey(PixelFormat::Bgrx, 10, 6);
    assert_eq!(layout, json!([[10, 6, 4, info.strides[0], info.size]]));
    let (layout, _) = survey(PixelFormat::Gray8, 10, 6);
    let layout: Vec<Vec<u64>> = serde_json::from_value(layout).unwrap();
    assert_eq!(layout[0][..3], [10, 6, 1]);
}

/// The bytes of plane `plane` of an output frame, visible samples only, row by row.
fn plane_bytes(
    frame: &[u8],
    info: &filmstrip::gst_video::VideoInfo,
    plane: usize,
    width: usize,
    height: usize,
) -> Vec<u8> {
    let (offset, stride) = (info.offset()[plane], info.stride()[plane] as usize);
    (0..height)
        .flat_map(|y| {
            frame[offset + y * stride..offset + y * stride + width]
                .iter()
                .copied()
        })
        .collect()
}

#[test]
fn writing_a_chroma_plane_changes_only_that_plane() {
    let (w, h) = (32usize, 16usize);
    let mut harness = Harness::<Painter>::new(PixelFormat::I420, w as u32, h as u32);
    harness.invoke("setPlane", json!([2])).unwrap();
    harness.invoke("setValue", json!([200])).unwrap();
    let info = harness.info().clone();
    let out = harness.push(&vec![16u8; harness.frame_size()]).unwrap();
    assert!(
        plane_bytes(&out, &info, 0, w, h).iter().all(|&v| v == 16),
        "Y untouched"
    );
    assert!(
        plane_bytes(&out, &info, 1, w / 2, h / 2)
            .iter()
            .all(|&v| v == 16),
        "U untouched"
    );
    assert!(
        plane_bytes(&out, &info, 2, w / 2, h / 2)
            .iter()
            .all(|&v| v == 200),
        "V written"
    );

    let mut harness = Harness::<Painter>::new(PixelFormat::Nv12, w as u32, h as u32);
    harness.invoke("setPlane", json!([1])).unwrap();
    let info = harness.info().clone();
    let out = harness.push(&vec![16u8; harness.frame_size()]).unwrap();
    assert!(
        plane_bytes(&out, &info, 0, w, h).iter().all(|&v| v == 16),
        "Y untouched"
    );
    assert!(
        plane_bytes(&out, &info, 1, w, h / 2)
            .iter()
            .all(|&v| v == 255),
        "UV written"
    );
}

#[test]
fn events_arrive_with_their_fields_in_order() {
    let mut h = Harness::<Reporter>::new(PixelFormat::Gray8, 4, 4);
    h.invoke("setEvery", json!([2])).unwrap();
    for first in [10u8, 11, 12, 13, 14] {
        h.push(&[first; 16]).unwrap();
    }
    let events = h.events();
    assert_eq!(events.len(), 3, "frames 0, 2 and 4: {events:?}");
    let frame_ns = 1_000_000_000u64 / 30;
    for (event, n) in events.iter().zip([0u64, 2, 4]) {
        assert_eq!(event.event_type, "FrameSeen");
        assert_eq!(event.source, "Reporter");
        assert_eq!(
            Value::Object(event.fields.clone()),
            json!({
                "frameNumber": n,
                "ptsNs": frame_ns * n,
                "firstByte": 10 + n,
            })
        );
    }
    assert!(h.events().is_empty(), "events() drains the queue");
    assert_eq!(Reporter::CLASS, "Reporter");
}
