//! Writes sample frames of the synthetic plate scenes as PNG files, for looking at them.
//!
//! `cargo run -p plategen -- [DIR] [SEED]` writes `DIR/plate-NN.png` (the middle frame of
//! a shot of each format, in turn), `DIR/plate-NN-crop.png` (its plate) and `DIR/empty-NN.png`; `DIR` defaults to
//! `target/plategen`.

use opencv::core::{Rect, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;
use plategen::{Generator, PlateFormat};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "target/plategen".to_string());
    let seed = match args.next() {
        Some(seed) => seed
            .parse()
            .map_err(|e| format!("bad seed {seed:?}: {e}"))?,
        None => 1,
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
    let mut generator = Generator::new(seed, 1280, 720)?;
    let write = |name: String, frame: &opencv::core::Mat| -> Result<(), String> {
        let path = format!("{dir}/{name}");
        imgcodecs::imwrite(&path, frame, &Vector::new())
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        Ok(())
    };
    for n in 0..6 {
        let format = PlateFormat::ALL[n % PlateFormat::ALL.len()];
        let shot = generator.plate_shot(format, 15);
        println!(
            "plate-{n:02}.png: {} {}",
            format.name(),
            shot.registration.text()
        );
        write(format!("plate-{n:02}.png"), &shot.frames[7])?;
        // The plate and its surroundings at full size.
        let frame = &shot.frames[7];
        let whole = Rect::new(0, 0, frame.cols(), frame.rows());
        let b = shot.boxes[7];
        let around = Rect::new(
            b.x - b.width / 4,
            b.y - b.height,
            b.width * 3 / 2,
            b.height * 3,
        ) & whole;
        let crop = frame.roi(around).map_err(|e| e.to_string())?;
        write(
            format!("plate-{n:02}-crop.png"),
            &crop.try_clone().map_err(|e| e.to_string())?,
        )?;
    }
    for n in 0..2 {
        write(format!("empty-{n:02}.png"), &generator.empty_shot(1)[0])?;
    }
    Ok(())
}
