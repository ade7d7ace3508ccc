//! Pixelate through the test harness: uniform blocks of `blockSize`, regions, every format,
//! and the errors of its operations.

use filmstrip::PixelFormat;
use filmstrip::gst::prelude::*;
use filmstrip::gst_video::VideoInfo;
use filmstrip::testing::Harness;
use pixelate::Pixelate;
use serde_json::{Value, json};

/// A frame whose every sample differs from its neighbours: `(x * 7 + y * 13 + plane * 50) % 256`.
fn pattern(info: &VideoInfo) -> Vec<u8> {
    let mut frame = vec![0u8; info.size()];
    for plane in 0..info.n_planes() as usize {
        let (w, h) = plane_bytes_size(info, plane);
        let (offset, stride) = (info.offset()[plane], info.stride()[plane] as usize);
        for y in 0..h {
            for x in 0..w {
                frame[offset + y * stride + x] = ((x * 7 + y * 13 + plane * 50) % 256) as u8;
            }
        }
    }
    frame
}

/// Bytes per row (visible part) and rows of `plane`.
fn plane_bytes_size(info: &VideoInfo, plane: usize) -> (usize, usize) {
    let finfo = info.format_info();
    let comp_w = finfo.scale_width(plane as u8, info.width()) as usize;
    let comp_h = finfo.scale_height(plane as u8, info.height()) as usize;
    let bytes_per_sample = match (info.format(), plane) {
        (filmstrip::gst_video::VideoFormat::Bgrx, _) => 4,
        (filmstrip::gst_video::VideoFormat::Nv12, 1) => 2,
        _ => 1,
    };
    (comp_w * bytes_per_sample, comp_h)
}

/// Sample `(x, y)`, channel `c` of `plane` in `frame`, with `bpp` bytes per sample.
fn sample(
    frame: &[u8],
    info: &VideoInfo,
    plane: usize,
    bpp: usize,
    x: usize,
    y: usize,
    c: usize,
) -> u8 {
    frame[info.offset()[plane] + y * info.stride()[plane] as usize + x * bpp + c]
}

/// Asserts each `block`x`block` square of `plane` (aligned to 0, cut to `w`x`h` samples) holds
/// one value per channel, the rounded-down average of the input there.
fn assert_uniform_blocks(
    input: &[u8],
    output: &[u8],
    info: &VideoInfo,
    plane: usize,
    bpp: usize,
    block: usize,
    (w, h): (usize, usize),
) {
    for by in (0..h).step_by(block) {
        for bx in (0..w).step_by(block) {
            for c in 0..bpp {
                let cells: Vec<(usize, usize)> = (by..(by + block).min(h))
                    .flat_map(|y| (bx..(bx + block).min(w)).map(move |x| (x, y)))
                    .collect();
                let sum: u32 = cells
                    .iter()
                    .map(|&(x, y)| u32::from(sample(input, info, plane, bpp, x, y, c)))
                    .sum();
                let average = (sum / cells.len() as u32) as u8;
                for &(x, y) in &cells {
                    assert_eq!(
                        sample(output, info, plane, bpp, x, y, c),
                        average,
                        "{:?} plane {plane} channel {c} at ({x}, {y}), block ({bx}, {by})",
                        info.format()
                    );
                }
            }
        }
    }
}

fn harness(format: PixelFormat, width: u32, height: u32, block: u32) -> Harness<Pixelate> {
    let h = Harness::<Pixelate>::new(format, width, height);
    h.invoke("setBlockSize", json!([block])).unwrap();
    h
}

#[test]
fn gray_blocks_become_the_average_of_their_pixels() {
    let mut h = harness(PixelFormat::Gray8, 32, 24, 8);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_ne!(input, output);
    assert_uniform_blocks(&input, &output, &info, 0, 1, 8, (32, 24));
    // The top-left block of x * 7 + y * 13 over 0..8 squared averages 7 * 3.5 + 13 * 3.5 = 70.
    assert_eq!(output[0], 70);
}

#[test]
fn block_size_changes_the_block_grid() {
    let mut h = harness(PixelFormat::Gray8, 32, 24, 4);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 1, 4, (32, 24));
    // With 4-pixel blocks, pixels 0 and 4 of a row are in different blocks and differ.
    assert_ne!(output[0], output[4]);
}

#[test]
fn blocks_at_the_edges_are_cut_to_the_frame() {
    let mut h = harness(PixelFormat::Gray8, 30, 21, 8);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 1, 8, (30, 21));
}

#[test]
fn bgrx_blocks_are_averaged_per_channel() {
    let mut h = harness(PixelFormat::Bgrx, 32, 16, 8);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 4, 8, (32, 16));
}

#[test]
fn i420_planes_are_pixelated_with_half_blocks_for_chroma() {
    let mut h = harness(PixelFormat::I420, 32, 16, 8);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 1, 8, (32, 16));
    assert_uniform_blocks(&input, &output, &info, 1, 1, 4, (16, 8));
    assert_uniform_blocks(&input, &output, &info, 2, 1, 4, (16, 8));
}

#[test]
fn nv12_chroma_is_averaged_per_u_and_v() {
    let mut h = harness(PixelFormat::Nv12, 32, 16, 8);
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 1, 8, (32, 16));
    assert_uniform_blocks(&input, &output, &info, 1, 2, 4, (16, 8));
}

#[test]
fn a_region_pixelates_only_inside_it() {
    let mut h = harness(PixelFormat::Gray8, 32, 32, 4);
    h.invoke("setRegion", json!([0.5, 0.25, 0.5, 0.5])).unwrap();
    let info = h.info().clone();
    let input = pattern(&info);
    let output = h.push(&input).unwrap();
    let stride = info.stride()[0] as usize;
    let inside = |x: usize, y: usize| (16..32).contains(&x) && (8..24).contains(&y);
    for y in 0..32 {
        for x in 0..32 {
            if !inside(x, y) {
                assert_eq!(
                    output[y * stride + x],
                    input[y * stride + x],
                    "({x}, {y}) is outside the region"
                );
            }
        }
    }
    // Inside, blocks start at the region's corner (16, 8) and are uniform.
    let block_of =
        |x: usize, y: usize| output[(8 + (y - 8) / 4 * 4) * stride + 16 + (x - 16) / 4 * 4];
    for y in 8..24 {
        for x in 16..32 {
            assert_eq!(output[y * stride + x], block_of(x, y), "({x}, {y})");
        }
    }
    assert_ne!(
        output[8 * stride + 16],
        output[8 * stride + 20],
        "distinct blocks differ"
    );

    h.invoke("clearRegion", Value::Null).unwrap();
    let output = h.push(&input).unwrap();
    assert_uniform_blocks(&input, &output, &info, 0, 1, 4, (32, 32));
}

#[test]
fn set_region_rejects_values_outside_zero_to_one() {
    let h = Harness::<Pixelate>::new(PixelFormat::Gray8, 8, 8);
    let message =
        "setRegion: x, y, width and height are fractions in 0..1, width and height above 0";
    for params in [
        json!([-0.1, 0, 0.5, 0.5]),
        json!([0, 0, 1.5, 0.5]),
        json!([0, 0, 0, 0.5]),
        json!([0, 0, 0.5, 0]),
    ] {
        let err = h.invoke("setRegion", params.clone()).unwrap_err();
        assert_eq!(err.kind(), filmstrip::ErrorKind::InvalidParam, "{params}");
        assert_eq!(err.message(), message, "{params}");
    }
    let err = h.invoke("setRegion", json!([0, 0, 0.5])).unwrap_err();
    assert_eq!(err.message(), "setRegion: missing parameter height");
    let err = h
        .invoke(
            "setRegion",
            json!({ "x": 0, "y": 0, "width": "half", "height": 1 }),
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        r#"setRegion: parameter width: expected a number (double), got string "half""#
    );
}

#[test]
fn block_size_has_a_getter_a_setter_and_a_range() {
    let h = Harness::<Pixelate>::new(PixelFormat::Gray8, 8, 8);
    assert_eq!(h.invoke("getBlockSize", Value::Null).unwrap(), json!(16));
    h.invoke("setBlockSize", json!([32])).unwrap();
    assert_eq!(h.invoke("getBlockSize", Value::Null).unwrap(), json!(32));
    assert_eq!(h.element().property::<u32>("block-size"), 32);
    for (value, message) in [
        (1, "blockSize: 1 is out of range [2, 512]"),
        (513, "blockSize: 513 is out of range [2, 512]"),
    ] {
        let err = h.invoke("setBlockSize", json!([value])).unwrap_err();
        assert_eq!(err.kind(), filmstrip::ErrorKind::InvalidParam);
        assert_eq!(err.message(), message);
    }
    assert_eq!(h.invoke("getBlockSize", Value::Null).unwrap(), json!(32));
}
