//! European plates drawn flat at 1 px per mm (520 x 112): Spanish, UK, German and Croatian
//! formats with the blue EU band, random registrations, fonts and colours.

use crate::rng::Rng;
use crate::text::{Fonts, TextBox, draw_text, text_width};
use opencv::core::{CV_8UC3, Mat, Point, Rect, Scalar};
use opencv::imgproc;

/// Width of a flat plate in pixels.
pub const PLATE_WIDTH: i32 = 520;
/// Height of a flat plate in pixels.
pub const PLATE_HEIGHT: i32 = 112;
/// Width of the blue EU band.
const BAND: i32 = 46;

/// A plate format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlateFormat {
    /// Spanish since 2000: `1234 BCD`, consonants only, band "E".
    Spanish,
    /// British since 2001: `AB12 CDE`, white front or yellow rear, band "UK" or "GB".
    Uk,
    /// German: city `B`, letters `MW`, digits `1234`, with the inspection stickers between
    /// city and letters; band "D".
    German,
    /// Croatian: city `RK`, the red and white chequered shield, digits and letters joined by
    /// a dash, `RK 755-AJ`; band "HR". Most of the real photographs the detector is measured
    /// on are Croatian or Slovak plates of this shape, which the first three formats did not
    /// show: an emblem between the groups and a dash among the characters.
    Croatian,
}

impl PlateFormat {
    /// Every format, in a fixed order.
    pub const ALL: [PlateFormat; 4] = [
        PlateFormat::Spanish,
        PlateFormat::Uk,
        PlateFormat::German,
        PlateFormat::Croatian,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            PlateFormat::Spanish => "Spanish",
            PlateFormat::Uk => "UK",
            PlateFormat::German => "German",
            PlateFormat::Croatian => "Croatian",
        }
    }
}

/// Spanish plates use consonants only (no vowels, Ñ or Q).
const SPANISH_LETTERS: &[u8] = b"BCDFGHJKLMNPRSTVWXYZ";
/// UK plates leave out I and Q, which read like 1 and O.
const UK_LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUVWXYZ";
/// Some real German city codes.
const GERMAN_CITIES: &[&str] = &[
    "B", "M", "K", "F", "S", "HH", "HB", "DO", "KA", "MZ", "BN", "DU", "WI", "HRO", "LDS", "GÖ",
];
/// Some real Croatian city codes.
const CROATIAN_CITIES: &[&str] = &["ZG", "RI", "ST", "OS", "PU", "ZD", "VŽ", "KA", "SB", "DU"];
/// Croatian letters after the dash (the plates also use Č, Ć, Đ, Š, Ž, left out here).
const CROATIAN_LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPRSTUVZ";
/// German plates leave out vowels with umlauts in the letters after the stickers.
const GERMAN_LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// One registration: the text as printed, in groups, and the groups' joined form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The printed groups, e.g. `["1234", "BCD"]` or `["B", "MW", "1234"]`.
    pub groups: Vec<String>,
    /// Format of the plate.
    pub format: PlateFormat,
}

impl Registration {
    /// Upper-case letters and digits without spaces: the form the filter reports.
    pub fn text(&self) -> String {
        self.groups.concat()
    }
}

fn letters(rng: &mut Rng, alphabet: &[u8], n: usize) -> String {
    (0..n).map(|_| char::from(*rng.pick(alphabet))).collect()
}

fn digits(rng: &mut Rng, n: usize, leading_zero: bool) -> String {
    (0..n)
        .map(|i| {
            let low = if i == 0 && !leading_zero { 1 } else { 0 };
            char::from(b'0' + rng.below(low, 10) as u8)
        })
        .collect()
}

/// A random registration of `format`.
pub fn registration(rng: &mut Rng, format: PlateFormat) -> Registration {
    let groups = match format {
        PlateFormat::Spanish => vec![digits(rng, 4, true), letters(rng, SPANISH_LETTERS, 3)],
        PlateFormat::Uk => vec![
            format!("{}{}", letters(rng, UK_LETTERS, 2), digits(rng, 2, true)),
            letters(rng, UK_LETTERS, 3),
        ],
        PlateFormat::German => {
            // Umlauts are not in the OCR alphabet; real plates write GÖ, so leave those out.
            let cities: Vec<&&str> = GERMAN_CITIES.iter().filter(|c| c.is_ascii()).collect();
            let city = rng.pick(&cities).to_string();
            let n_letters = rng.below(1, 3) as usize;
            // Five to eight characters in all: shorter ones are rare special series.
            let fixed = city.len() + n_letters;
            let n_digits = rng.below(
                5usize.saturating_sub(fixed).max(1) as i32,
                (8 - fixed).min(4) as i32 + 1,
            ) as usize;
            vec![
                city,
                letters(rng, GERMAN_LETTERS, n_letters),
                digits(rng, n_digits, false),
            ]
        }
        PlateFormat::Croatian => {
            let cities: Vec<&&str> = CROATIAN_CITIES.iter().filter(|c| c.is_ascii()).collect();
            let n_digits = rng.below(3, 5) as usize;
            let n_letters = rng.below(1, 3) as usize;
            vec![
                rng.pick(&cities).to_string(),
                digits(rng, n_digits, true),
                letters(rng, CROATIAN_LETTERS, n_letters),
            ]
        }
    };
    Registration { groups, format }
}

/// A flat plate picture with `registration`, BGR, [`PLATE_WIDTH`] x [`PLATE_HEIGHT`].
pub fn draw_plate(rng: &mut Rng, fonts: &Fonts, registration: &Registration) -> Mat {
    let format = registration.format;
    let paper = match format {
        PlateFormat::Uk if rng.chance(0.5) => {
            Scalar::new(rng.range(0.0, 40.0), rng.range(190.0, 220.0), 250.0, 0.0)
        }
        _ => {
            let white = rng.range(215.0, 255.0);
            Scalar::new(white - rng.range(0.0, 15.0), white, white, 0.0)
        }
    };
    let ink = {
        let dark = rng.range(0.0, 45.0);
        Scalar::new(dark + rng.range(0.0, 25.0), dark, dark, 0.0)
    };
    let mut plate = Mat::new_rows_cols_with_default(PLATE_HEIGHT, PLATE_WIDTH, CV_8UC3, paper)
        .expect("plate image");
    let whole = Rect::new(2, 2, PLATE_WIDTH - 4, PLATE_HEIGHT - 4);
    imgproc::rectangle(&mut plate, whole, ink, 3, imgproc::LINE_AA, 0).expect("border");

    // The EU band: blue, a ring of yellow stars, the country's letters in white.
    let blue = Scalar::new(rng.range(140.0, 180.0), rng.range(40.0, 70.0), 0.0, 0.0);
    let band = Rect::new(5, 5, BAND - 5, PLATE_HEIGHT - 10);
    imgproc::rectangle(&mut plate, band, blue, -1, imgproc::LINE_8, 0).expect("band");
    let centre = (f64::from(5 + BAND) / 2.0, 32.0);
    for star in 0..12 {
        let angle = f64::from(star) * std::f64::consts::TAU / 12.0;
        let at = Point::new(
            (centre.0 + 13.0 * angle.cos()).round() as i32,
            (centre.1 + 13.0 * angle.sin()).round() as i32,
        );
        let yellow = Scalar::new(0.0, 204.0, 255.0, 0.0);
        imgproc::circle(&mut plate, at, 2, yellow, -1, imgproc::LINE_AA, 0).expect("star");
    }
    let country = match format {
        PlateFormat::Spanish => "E",
        PlateFormat::Uk => *rng.pick(&["UK", "GB"]),
        PlateFormat::German => "D",
        PlateFormat::Croatian => "HR",
    };
    let font = rng.pick(&fonts.plate);
    let band_text = TextBox {
        x: 0.0,
        baseline: 0.0,
        cap_height: 24.0,
        max_width: Some(f64::from(BAND - 12)),
        spacing: 0.0,
    };
    let width = text_width(font, country, &band_text);
    let band_text = TextBox {
        x: f64::from(5 + BAND) / 2.0 - width / 2.0,
        baseline: f64::from(PLATE_HEIGHT) - 16.0,
        ..band_text
    };
    draw_text(&mut plate, font, country, &band_text, Scalar::all(255.0));

    // The registration: one font for the whole plate, groups separated by a space, and
    // German plates' two stacked round stickers after the city.
    let font = rng.pick(&fonts.plate);
    let cap_height = rng.range(66.0, 78.0);
    let left = f64::from(BAND + 10);
    let room = f64::from(PLATE_WIDTH - 16) - left;
    let natural = TextBox {
        x: 0.0,
        baseline: f64::from(PLATE_HEIGHT) / 2.0 + cap_height / 2.0,
        cap_height,
        max_width: None,
        spacing: rng.range(0.02, 0.1),
    };
    let (parts, stickers) = match format {
        PlateFormat::German => (
            vec![
                registration.groups[0].clone(),
                registration.groups[1..].join(" "),
            ],
            cap_height * 0.6,
        ),
        PlateFormat::Croatian => (
            vec![
                registration.groups[0].clone(),
                registration.groups[1..].join("-"),
            ],
            cap_height * 0.75,
        ),
        _ => (vec![registration.groups.join(" ")], 0.0),
    };
    let widths: Vec<f64> = parts
        .iter()
        .map(|p| text_width(font, p, &natural))
        .collect();
    let total = widths.iter().sum::<f64>() + stickers;
    let squeeze = (room / total).min(1.0);
    let mut x = left + (room - total * squeeze) / 2.0;
    for (n, (part, width)) in parts.iter().zip(&widths).enumerate() {
        if n > 0 && format == PlateFormat::Croatian {
            // The shield: red and white squares, five by five, a little shorter than the
            // characters.
            let side = cap_height * 0.55 * squeeze;
            let cell = side / 5.0;
            let left_x = x + (stickers * squeeze - side) / 2.0;
            let top_y = f64::from(PLATE_HEIGHT) / 2.0 - side / 2.0;
            for row in 0..5 {
                for col in 0..5 {
                    let colour = if (row + col) % 2 == 0 {
                        Scalar::new(40.0, 30.0, 210.0, 0.0)
                    } else {
                        Scalar::all(250.0)
                    };
                    let square = Rect::new(
                        (left_x + f64::from(col) * cell).round() as i32,
                        (top_y + f64::from(row) * cell).round() as i32,
                        cell.ceil() as i32,
                        cell.ceil() as i32,
                    );
                    imgproc::rectangle(&mut plate, square, colour, -1, imgproc::LINE_8, 0)
                        .expect("shield");
                }
            }
            x += stickers * squeeze;
        } else if n > 0 {
            let r = (cap_height * 0.19).round() as i32;
            let centre = (x + stickers * squeeze / 2.0).round() as i32;
            let mid = PLATE_HEIGHT / 2;
            let colours = [
                Scalar::new(
                    rng.range(0.0, 255.0),
                    rng.range(0.0, 255.0),
                    rng.range(0.0, 255.0),
                    0.0,
                ),
                Scalar::new(90.0, 90.0, 90.0, 0.0),
            ];
            for (dy, colour) in [(-r - 2, colours[0]), (r + 2, colours[1])] {
                let at = Point::new(centre, mid + dy);
                imgproc::circle(&mut plate, at, r, colour, -1, imgproc::LINE_AA, 0)
                    .expect("sticker");
            }
            x += stickers * squeeze;
        }
        let layout = TextBox {
            x,
            max_width: Some(width * squeeze),
            ..natural
        };
        draw_text(&mut plate, font, part, &layout, ink);
        x += width * squeeze;
    }
    plate
}
