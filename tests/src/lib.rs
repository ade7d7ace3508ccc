//! Helpers for the end-to-end tests: finding the built `filmstrip` binary and module
//! libraries, running the binary, and making and decoding video clips.
//!
//! The tests expect `cargo build --workspace` to have run, as `cargo xtask test` does.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Width of the clips the tests make.
pub const WIDTH: usize = 320;
/// Height of the clips the tests make.
pub const HEIGHT: usize = 240;
/// Frames in the clips the tests make.
pub const FRAMES: usize = 30;

/// The cargo profile directory the tests were built into, e.g. `target/debug`.
pub fn profile_dir() -> PathBuf {
    // Test binaries live in `target/<profile>/deps`.
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary inside target/<profile>/deps")
        .to_path_buf()
}

/// The workspace root, for sources the tests copy.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ inside the workspace")
        .to_path_buf()
}

/// A module library built next to the binary, e.g. `module_library("pixelate")`.
pub fn module_library(crate_name: &str) -> PathBuf {
    let path = profile_dir().join(format!("lib{crate_name}.so"));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

/// What one `filmstrip` invocation printed and how it ended.
pub struct Outcome {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its exit code.
    pub code: Option<i32>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl Outcome {
    /// Stdout parsed as one JSON document.
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}):\n{}", self.stdout))
    }

    /// Panics with both outputs unless the run succeeded.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.success,
            "filmstrip failed ({:?}):\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs the built `filmstrip` binary with `args`, ignoring any module path of the environment.
pub fn filmstrip(args: &[&str]) -> Outcome {
    let binary = profile_dir().join("filmstrip");
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build --workspace` first",
        binary.display()
    );
    let output = Command::new(&binary)
        .args(args)
        .env_remove("FILMSTRIP_MODULES_PATH")
        .output()
        .expect("filmstrip starts");
    Outcome {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `gst-launch-1.0` with a pipeline description, panicking with its output on failure.
pub fn gst_launch(pipeline: &str) {
    let output = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .output()
        .expect("gst-launch-1.0 starts");
    assert!(
        output.status.success(),
        "gst-launch-1.0 {pipeline} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes a [`FRAMES`]-frame [`WIDTH`]x[`HEIGHT`] H.264 clip of a moving ball to `dir/clip.mp4`.
pub fn make_clip(dir: &Path) -> PathBuf {
    let clip = dir.join("clip.mp4");
    gst_launch(&format!(
        "videotestsrc pattern=ball num-buffers={FRAMES} ! video/x-raw,width={WIDTH},height={HEIGHT},format=I420 \
         ! x264enc ! mp4mux ! filesink location={}",
        clip.display()
    ));
    clip
}

/// Decodes a [`WIDTH`]x[`HEIGHT`] video file into its frames' luma planes.
pub fn decode_luma(video: &Path) -> Vec<Vec<u8>> {
    let raw = video.with_extension("gray");
    gst_launch(&format!(
        "filesrc location={} ! decodebin ! videoconvert ! video/x-raw,format=GRAY8 ! filesink location={}",
        video.display(),
        raw.display()
    ));
    let bytes = std::fs::read(&raw).expect("decoded frames");
    // GRAY8 rows of WIDTH bytes need no padding, as WIDTH is a multiple of 4.
    assert_eq!(
        bytes.len() % (WIDTH * HEIGHT),
        0,
        "decoded size is not a whole number of frames"
    );
    bytes.chunks(WIDTH * HEIGHT).map(<[u8]>::to_vec).collect()
}

/// The share of `block`x`block` squares of `frames` whose brightness varies by more than
/// `tolerance`: near zero for a pixelated picture, whatever its content.
pub fn busy_block_share(frames: &[Vec<u8>], block: usize, tolerance: u8) -> f64 {
    let (mut busy, mut total) = (0usize, 0usize);
    for frame in frames {
        for top in (0..HEIGHT).step_by(block) {
            for left in (0..WIDTH).step_by(block) {
                let pixels = (top..top + block)
                    .flat_map(|y| &frame[y * WIDTH + left..y * WIDTH + left + block]);
                let (min, max) = pixels.fold((u8::MAX, u8::MIN), |(min, max), &v| {
                    (min.min(v), max.max(v))
                });
                busy += usize::from(max - min > tolerance);
                total += 1;
            }
        }
    }
    busy as f64 / total.max(1) as f64
}
