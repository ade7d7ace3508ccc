//! Text drawn with real TrueType fonts from Debian's font packages, rasterised by `ab_glyph`.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use opencv::core::{Mat, Scalar};
use opencv::prelude::*;

/// Narrow and regular bold sans fonts, like the ones plates use, with the package holding
/// each. Fonts whose J descends below the baseline (DejaVu) are left out: no plate font's
/// does.
const PLATE_FONTS: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
        "fonts-liberation",
    ),
    (
        "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
        "fonts-urw-base35",
    ),
    (
        "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
        "fonts-freefont-ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "fonts-liberation",
    ),
];

/// Fonts for the words of the background clutter.
const CLUTTER_FONTS: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "fonts-liberation",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
        "fonts-liberation",
    ),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "fonts-dejavu-core",
    ),
];

/// The fonts the generator draws with.
pub struct Fonts {
    /// Fonts for plate characters.
    pub plate: Vec<FontVec>,
    /// Fonts for text in the background.
    pub clutter: Vec<FontVec>,
}

impl Fonts {
    /// Loads every font, or says which file and package is missing.
    pub fn load() -> Result<Self, String> {
        let load = |list: &[(&str, &str)]| -> Result<Vec<FontVec>, String> {
            list.iter()
                .map(|(path, package)| {
                    let bytes = std::fs::read(path).map_err(|e| {
                        format!("cannot read the font {path} ({e}): install the Debian package {package}")
                    })?;
                    FontVec::try_from_vec(bytes).map_err(|e| format!("{path} is not a font: {e}"))
                })
                .collect()
        };
        Ok(Self {
            plate: load(PLATE_FONTS)?,
            clutter: load(CLUTTER_FONTS)?,
        })
    }
}

/// Where and how big text goes.
#[derive(Debug, Clone, Copy)]
pub struct TextBox {
    /// Left edge of the text.
    pub x: f64,
    /// Baseline.
    pub baseline: f64,
    /// Height of capital letters and digits, in pixels.
    pub cap_height: f64,
    /// Width the text is squeezed into if wider; `None` for the font's own width.
    pub max_width: Option<f64>,
    /// Extra space after each character, in cap heights.
    pub spacing: f64,
}

/// The horizontal and vertical scales for `text` in `font` to fill `layout`, and its width.
fn fit(font: &FontVec, text: &str, layout: &TextBox) -> (PxScale, f64) {
    // The font's capital H at 100 px tells how pixel size maps to cap height.
    let probe = PxScale::from(100.0);
    let h = font.glyph_id('H').with_scale(probe);
    let cap = font
        .outline_glyph(h)
        .map_or(70.0, |g| f64::from(g.px_bounds().height()));
    let size = 100.0 * layout.cap_height / cap;
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let width: f64 = text
        .chars()
        .map(|c| f64::from(scaled.h_advance(font.glyph_id(c))) + layout.spacing * layout.cap_height)
        .sum();
    let squeeze = layout.max_width.map_or(1.0, |max| (max / width).min(1.0));
    (
        PxScale {
            x: (size * squeeze) as f32,
            y: size as f32,
        },
        width * squeeze,
    )
}

/// The width `text` takes in `layout`.
pub fn text_width(font: &FontVec, text: &str, layout: &TextBox) -> f64 {
    fit(font, text, layout).1
}

/// Draws `text` into a BGR `image` in `color`, blending by the glyphs' coverage.
pub fn draw_text(image: &mut Mat, font: &FontVec, text: &str, layout: &TextBox, color: Scalar) {
    let (scale, _) = fit(font, text, layout);
    let scaled = font.as_scaled(scale);
    let spacing = (layout.spacing * layout.cap_height) as f32 * scale.x / scale.y;
    let (cols, rows) = (image.cols(), image.rows());
    let step = cols as usize * 3;
    let data = image.data_bytes_mut().expect("continuous BGR image");
    let mut x = layout.x as f32;
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(x, layout.baseline as f32));
        x += scaled.h_advance(id) + spacing;
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i32 + gx as i32;
            let py = bounds.min.y as i32 + gy as i32;
            if px < 0 || py < 0 || px >= cols || py >= rows {
                return;
            }
            let at = py as usize * step + px as usize * 3;
            let a = f64::from(coverage.clamp(0.0, 1.0));
            for (channel, value) in data[at..at + 3].iter_mut().enumerate() {
                *value = (f64::from(*value) * (1.0 - a) + color[channel] * a).round() as u8;
            }
        });
    }
}
