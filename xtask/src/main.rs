//! Workspace tasks: `cargo xtask test` (the whole suite) and `cargo xtask demo` (the main job).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <test|demo>
  test   build every crate and module, then run the whole test suite
  demo   build in release, list the bundled modules, run a generated clip through them";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("test") => test(),
        Some("demo") => demo(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs `program args` in the workspace root, failing with the command line on a non-zero exit.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn has_nextest() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The module `.so` files and the `filmstrip` binary must exist before the end-to-end tests
/// run, so build the workspace first; test binaries then reuse the same target directory.
fn test() -> Result<(), String> {
    let cargo = cargo();
    run(&cargo, &["build", "--workspace"])?;
    if has_nextest() {
        run(&cargo, &["nextest", "run", "--workspace", "--no-fail-fast"])?;
    } else {
        run(&cargo, &["test", "--workspace", "--no-fail-fast"])?;
    }
    run(&cargo, &["test", "--workspace", "--doc"])
}

fn demo() -> Result<(), String> {
    let cargo = cargo();
    run(&cargo, &["build", "--workspace", "--release"])?;
    let root = workspace_root();
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
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
