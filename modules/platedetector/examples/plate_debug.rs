//! Debugging aid: for each photo named (or every photo of tests/data/plates-eu), lists the
//! candidates with what the reader makes of them, and writes the photo with the candidates
//! drawn and each candidate's cleaned strip to `DIR` (default /tmp/plate-debug).
//!
//! `cargo run -p platedetector --example plate_debug -- [--out DIR] [--share 0.25] [NAME...]`

use filmstrip::opencv::core::{Mat, Point, Rect, Scalar, Vector};
use filmstrip::opencv::imgcodecs;
use filmstrip::opencv::imgproc;
use filmstrip::opencv::prelude::*;
use platedetector::candidates::Finder;
use platedetector::reader::Reader;
use platedetector::text::normalise;
use std::path::Path;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = "/tmp/plate-debug".to_string();
    let mut share = 0.25;
    while let Some(i) = args.iter().position(|a| a.starts_with("--")) {
        let value = args.remove(i + 1);
        match args.remove(i).as_str() {
            "--out" => out = value,
            "--share" => share = value.parse().unwrap(),
            other => panic!("unknown option {other}"),
        }
    }
    std::fs::create_dir_all(&out).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plates-eu");
    let mut names: Vec<String> = if args.is_empty() {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "txt").then(|| p.file_stem().unwrap().to_string_lossy().into())
            })
            .collect()
    } else {
        args
    };
    names.sort();
    let (mut finder, mut reader) = (Finder::default(), Reader::default());
    for name in names {
        let line = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        let n = |i: usize| f[i].parse::<i32>().unwrap();
        let truth_box = Rect::new(n(1), n(2), n(3), n(4));
        let truth = normalise(&f[5..].join(""));
        let mut picture =
            imgcodecs::imread(dir.join(f[0]).to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
        // PLATES_SCALE=s scales the photo (and its plate box) first.
        let scale = std::env::var("PLATES_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        let truth_box = match scale {
            Some(s) => {
                let mut scaled = Mat::default();
                let size = filmstrip::opencv::core::Size::new(
                    (f64::from(picture.cols()) * s).round() as i32,
                    (f64::from(picture.rows()) * s).round() as i32,
                );
                imgproc::resize(&picture, &mut scaled, size, 0.0, 0.0, imgproc::INTER_AREA)
                    .unwrap();
                picture = scaled;
                let f = |v: i32| (f64::from(v) * s).round() as i32;
                Rect::new(
                    f(truth_box.x),
                    f(truth_box.y),
                    f(truth_box.width),
                    f(truth_box.height),
                )
            }
            None => truth_box,
        };
        let start = std::time::Instant::now();
        let mut candidates = finder.find(&picture, share).unwrap();
        candidates.extend(finder.find_light(&picture, share).unwrap());
        let find_ms = start.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{name} {}x{} truth {truth} box {}x{} (share {:.2}): {} candidates in {find_ms:.1} ms",
            picture.cols(),
            picture.rows(),
            truth_box.width,
            truth_box.height,
            f64::from(truth_box.width) / f64::from(picture.cols()),
            candidates.len()
        );
        for (k, c) in candidates.iter().enumerate() {
            let on = (c.bounds & truth_box).area() > 0;
            let read = reader.read(&picture, c).unwrap();
            let read2 = reader.read_as(&picture, c, 1).unwrap().map(|r| r.text);
            let read3 = reader.read_as(&picture, c, 2).unwrap().map(|r| r.text);
            println!("     other scales: {read2:?} {read3:?}");
            imgcodecs::imwrite_def(format!("{out}/{name}-{k}-binary.png"), reader.binary())
                .unwrap();
            let strip = reader.clean();
            if !strip.empty() {
                imgcodecs::imwrite_def(format!("{out}/{name}-{k}.png"), strip).unwrap();
            }
            if let Some(r) = &read {
                let alts: Vec<String> = r
                    .symbols
                    .iter()
                    .map(|s| {
                        let gap = if s.word_start { "_" } else { "" };
                        let c: Vec<String> = s
                            .choices
                            .iter()
                            .take(3)
                            .map(|(c, p)| format!("{c}{p:.0}"))
                            .collect();
                        format!("{gap}{}@{}-{}", c.join("/"), s.left, s.right)
                    })
                    .collect();
                println!("     {}", alts.join(" "));
            }
            println!(
                "  {k} {}{} {:?} h {:.1} chars {} -> {:?} => {:?}",
                if on { "ON " } else { "off" },
                if c.light { " light" } else { "" },
                (c.bounds.x, c.bounds.y, c.bounds.width, c.bounds.height),
                c.char_height,
                c.chars,
                read.as_ref().map(|r| (r.text.clone(), r.confidence)),
                read.as_ref().and_then(platedetector::tracker::plate)
            );
            let corners: Vector<Point> = c
                .quad
                .iter()
                .map(|p| Point::new(p.x as i32, p.y as i32))
                .collect();
            let mut outline = Vector::<Vector<Point>>::new();
            outline.push(corners);
            let colour = if on {
                Scalar::new(0.0, 255.0, 0.0, 0.0)
            } else {
                Scalar::new(0.0, 0.0, 255.0, 0.0)
            };
            imgproc::polylines(&mut picture, &outline, true, colour, 1, imgproc::LINE_8, 0)
                .unwrap();
            imgproc::put_text(
                &mut picture,
                &k.to_string(),
                Point::new(c.bounds.x, c.bounds.y - 2),
                imgproc::FONT_HERSHEY_SIMPLEX,
                0.4,
                colour,
                1,
                imgproc::LINE_8,
                false,
            )
            .unwrap();
        }
        imgproc::rectangle(
            &mut picture,
            truth_box,
            Scalar::new(255.0, 0.0, 0.0, 0.0),
            1,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        imgcodecs::imwrite_def(format!("{out}/{name}.png"), &picture).unwrap();
    }
}
