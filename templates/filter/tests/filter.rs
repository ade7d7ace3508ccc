//! {{class}} through the SDK's test harness: push frames, check the pixels that come out.

use filmstrip::PixelFormat;
use filmstrip::serde_json::json;
use filmstrip::testing::Harness;

use {{crate_name}}::{{struct_name}};
{%- if opencv %}

/// A black 32x32 frame with one white pixel in the middle.
fn dot(h: &Harness<{{struct_name}}>) -> Vec<u8> {
    let stride = h.info().stride()[0] as usize;
    let mut frame = vec![0u8; h.frame_size()];
    frame[16 * stride + 16] = 255;
    frame
}

#[test]
fn a_dot_spreads_to_its_neighbours() {
    let mut h = Harness::<{{struct_name}}>::new(PixelFormat::Gray8, 32, 32);
    let stride = h.info().stride()[0] as usize;
    let output = h.push(&dot(&h)).unwrap();
    let centre = output[16 * stride + 16];
    assert!(centre > 0 && centre < 255, "centre {centre}");
    assert!(output[16 * stride + 17] > 0, "right neighbour");
    assert_eq!(output[0], 0, "far corner");
}

#[test]
fn radius_zero_leaves_the_picture_alone() {
    let mut h = Harness::<{{struct_name}}>::new(PixelFormat::Gray8, 32, 32);
    h.invoke("setRadius", json!([0])).unwrap();
    let input = dot(&h);
    assert_eq!(h.push(&input).unwrap(), input);
}
{%- else %}

/// A 16x8 grey frame (rows need no padding) of varied values.
fn pattern(h: &Harness<{{struct_name}}>) -> Vec<u8> {
    (0..h.frame_size()).map(|i| (i * 7 % 256) as u8).collect()
}

#[test]
fn full_strength_gives_the_negative() {
    let mut h = Harness::<{{struct_name}}>::new(PixelFormat::Gray8, 16, 8);
    let input = pattern(&h);
    let negative: Vec<u8> = input.iter().map(|v| 255 - v).collect();
    assert_eq!(h.push(&input).unwrap(), negative);
}

#[test]
fn strength_zero_leaves_the_picture_alone() {
    let mut h = Harness::<{{struct_name}}>::new(PixelFormat::Gray8, 16, 8);
    h.invoke("setStrength", json!([0.0])).unwrap();
    let input = pattern(&h);
    assert_eq!(h.push(&input).unwrap(), input);
}
{%- endif %}
