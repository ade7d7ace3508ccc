//! `cargo xtask test` and `cargo xtask demo`, the two commands README.md promises.

use crate::util::{cargo, run, workspace_root};
use anyhow::{Context, Result};
use std::process::Command;

fn has_nextest() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The module `.so` files and the `filmstrip` binary must exist before the end-to-end tests
/// run, so build the workspace first; test binaries then reuse the same target directory.
pub fn test() -> Result<()> {
    let cargo = cargo();
    run(&cargo, &["build", "--workspace"])?;
    // The stock `cargo generate` CLI, from the library xtask already builds, for the test
    // of the template as people outside this repository use it.
    run(
        &cargo,
        &[
            "build",
            "--package",
            "cargo-generate",
            "--bin",
            "cargo-generate",
        ],
    )?;
    if has_nextest() {
        run(&cargo, &["nextest", "run", "--workspace", "--no-fail-fast"])?;
    } else {
        run(&cargo, &["test", "--workspace", "--no-fail-fast"])?;
    }
    run(&cargo, &["test", "--workspace", "--doc"])
}

pub fn demo() -> Result<()> {
    let cargo = cargo();
    run(&cargo, &["build", "--workspace", "--release"])?;
    let root = workspace_root();
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let input = out_dir.join("input.mp4");
    let output = out_dir.join("output.webm");
    let filmstrip = root.join("target/release/filmstrip");
    let filmstrip = filmstrip.to_str().expect("UTF-8 path");
    run(filmstrip, &["list"])?;
    let location = format!("location={}", input.display());
    run(
        "gst-launch-1.0",
        &[
            "-q",
            "videotestsrc",
            "pattern=smpte",
            "horizontal-speed=3",
            "num-buffers=150",
            "!",
            "video/x-raw,width=640,height=480,framerate=30/1",
            "!",
            "x264enc",
            "speed-preset=ultrafast",
            "!",
            "mp4mux",
            "!",
            "filesink",
            &location,
        ],
    )?;
    run(
        filmstrip,
        &[
            "run",
            "--input",
            input.to_str().expect("UTF-8 path"),
            "--filter",
            "EdgeDetectFilter,threshold=60",
            "--invoke",
            r#"setMode=["OVERLAY"]"#,
            "--filter",
            "PixelateFilter,blockSize=8",
            "--output",
            output.to_str().expect("UTF-8 path"),
        ],
    )?;
    eprintln!("xtask: wrote {}", output.display());
    Ok(())
}
