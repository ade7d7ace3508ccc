//! A colour range learnt from a region of a synthetic picture, and the mask it gives.

use filmstrip::opencv::core::{CV_8UC3, Mat, Rect, Scalar};
use filmstrip::opencv::prelude::*;
use hsvkey::{ColorRange, Histogram};

/// A 40x20 BGR picture: green on the left half, orange on the right, a black bottom row.
fn picture() -> Mat {
    let mut picture = Mat::new_rows_cols_with_default(20, 40, CV_8UC3, Scalar::all(0.0)).unwrap();
    for y in 0..19 {
        for x in 0..40 {
            let bgr = if x < 20 {
                [40, 220, 30]
            } else {
                [20, 140, 240]
            };
            *picture
                .at_2d_mut::<filmstrip::opencv::core::Vec3b>(y, x)
                .unwrap() = bgr.into();
        }
    }
    picture
}

#[test]
fn a_region_gives_its_colour_range_and_the_mask_covers_that_colour_only() {
    let (mut bgr, mut hsv) = (Mat::default(), Mat::default());
    hsvkey::to_hsv(&picture(), &mut bgr, &mut hsv).unwrap();
    let mut histogram = Histogram::default();
    // The left half, the black row included: too dark to count.
    histogram.add(&hsv, Rect::new(0, 0, 20, 20)).unwrap();
    let range = histogram.range(0.05, 3).unwrap();
    // BGR (40, 220, 30) is hue 62 (OpenCV's 0..180) and saturation 255 * 190 / 220 = 220.
    assert_eq!(
        range,
        ColorRange {
            hue: (59, 65),
            saturation: (217, 223)
        }
    );
    let mut mask = Mat::default();
    range.mask(&hsv, &mut mask).unwrap();
    for y in 0..20 {
        for x in 0..40 {
            let expected = if x < 20 && y < 19 { 255 } else { 0 };
            assert_eq!(*mask.at_2d::<u8>(y, x).unwrap(), expected, "({x}, {y})");
        }
    }
}

#[test]
fn nothing_counted_gives_no_range() {
    let (mut bgr, mut hsv) = (Mat::default(), Mat::default());
    hsvkey::to_hsv(&picture(), &mut bgr, &mut hsv).unwrap();
    let mut histogram = Histogram::default();
    assert_eq!(histogram.range(0.05, 3), None);
    // Outside the picture, and the black row alone: nothing bright enough.
    histogram.add(&hsv, Rect::new(100, 100, 5, 5)).unwrap();
    histogram.add(&hsv, Rect::new(0, 19, 40, 1)).unwrap();
    assert_eq!(histogram.range(0.05, 3), None);
}
