//! Helpers for the end-to-end tests: finding the built `filmstrip` binary and module
//! libraries, running the binary, and making and decoding video clips.
//!
//! What the tests run is built on first use, once per test run ([`profile_dir`]), so plain
//! `cargo test` works on a clean checkout; `cargo xtask test` builds it beforehand.

pub mod browser;
pub mod decode;
pub mod kurento_js;
pub mod serve;

pub use decode::{AUDIO_RATE, decode, f32_samples, rms};
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Width of the clips the tests make.
pub const WIDTH: usize = 320;
/// Height of the clips the tests make.
pub const HEIGHT: usize = 240;
/// Frames in the clips the tests make.
pub const FRAMES: usize = 30;

/// Set by `cargo xtask test`, which builds everything the tests run before running them.
pub const PREBUILT: &str = "FILMSTRIP_TESTS_PREBUILT";

/// The cargo profile directory the tests were built into, e.g. `target/debug`, holding the
/// `filmstrip` and `xtask` binaries, the module libraries and the stock `cargo-generate` CLI.
pub fn profile_dir() -> PathBuf {
    // Test binaries live in `target/<profile>/deps`.
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary inside target/<profile>/deps")
        .to_path_buf();
    ensure_built(&dir);
    dir
}

/// Builds what the tests run into `dir` unless [`PREBUILT`] says it is there: once per test
/// process, and once per test run when a stamp shows another test binary of the same run
/// (same parent process: cargo test or nextest) built it.
fn ensure_built(dir: &Path) {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        if std::env::var_os(PREBUILT).is_some() {
            return;
        }
        let stamp = dir.join(".filmstrip-tests-built");
        let run = test_run();
        if std::fs::read_to_string(&stamp).is_ok_and(|built| built == run) {
            return;
        }
        let release = dir.file_name().is_some_and(|name| name == "release");
        let builds: [&[&str]; 2] = [
            &["build", "--workspace"],
            // The stock CLI, for the test of the template as people outside the repository use it.
            &[
                "build",
                "--package",
                "cargo-generate",
                "--bin",
                "cargo-generate",
            ],
        ];
        for args in builds {
            let status = Command::new(cargo())
                .args(args)
                .args(release.then_some("--release"))
                .current_dir(workspace_root())
                .env("CARGO_TARGET_DIR", dir.parent().expect("target directory"))
                .status()
                .expect("cargo starts");
            assert!(status.success(), "cargo {} failed", args.join(" "));
        }
        std::fs::write(&stamp, run).expect("stamp written");
    });
}

/// This test run: the parent process (cargo test, nextest) and its start time.
fn test_run() -> String {
    let field = |stat: &str, index: usize| -> String {
        // Fields follow the parenthesised command name, which may contain spaces.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        after
            .split_whitespace()
            .nth(index)
            .unwrap_or("")
            .to_string()
    };
    let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the name: state (0), ppid (1), ..., starttime (19).
    let parent = field(&own, 1);
    let parent_stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).unwrap_or_default();
    format!("{parent} {}", field(&parent_stat, 19))
}

/// The workspace root, for sources the tests copy.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ inside the workspace")
        .to_path_buf()
}

/// A temporary module directory holding a copy of the real pixelate module, the known-good
/// neighbour of the modules a test adds.
pub fn modules_dir_with_pixelate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        module_library("pixelate"),
        dir.path().join("libpixelate.so"),
    )
    .expect("copy of libpixelate.so");
    dir
}

/// A module library built next to the binary, e.g. `module_library("pixelate")`.
pub fn module_library(crate_name: &str) -> PathBuf {
    let path = profile_dir().join(format!("lib{crate_name}.so"));
    assert!(path.is_file(), "{} is missing", path.display());
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

    /// The events of type `kind` that `filmstrip run` printed, one JSON object per line;
    /// panics on a line that is not JSON.
    pub fn events(&self, kind: &str) -> Vec<Json> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str::<Json>(line)
                    .unwrap_or_else(|err| panic!("event line {line:?} is not JSON: {err}"))
            })
            .filter(|event| event["type"] == kind)
            .collect()
    }

    /// Panics with both outputs unless the run succeeded.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.success,
            "command failed ({:?}):\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs the built `filmstrip` binary with `args`, ignoring any module path of the environment.
pub fn filmstrip(args: &[&str]) -> Outcome {
    run_built("filmstrip", args, &[])
}

/// Runs `filmstrip run --input <input> --filter <filter> --output <output>`: one filter
/// between a file (or URI) and an output file (or `null`, for the events alone).
pub fn filmstrip_run(input: &str, filter: &str, output: &str) -> Outcome {
    filmstrip(&[
        "run", "--input", input, "--filter", filter, "--output", output,
    ])
}

/// Runs a binary of the workspace (`filmstrip`, `xtask`) with `args` and extra environment
/// variables, ignoring any module path of the environment.
pub fn run_built(name: &str, args: &[&str], envs: &[(&str, &str)]) -> Outcome {
    let binary = profile_dir().join(name);
    assert!(binary.is_file(), "{} is missing", binary.display());
    let output = Command::new(&binary)
        .args(args)
        .env_remove("FILMSTRIP_MODULES_PATH")
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|err| panic!("{name} starts: {err}"));
    Outcome {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The target directory shared by the crates the tests build outside the workspace, kept
/// between runs so that reruns only rebuild those crates.
pub fn outside_target_dir() -> PathBuf {
    profile_dir().parent().unwrap().join("outside")
}

/// Runs `gst-launch-1.0` with a pipeline description, panicking with its output on failure.
pub fn gst_launch(pipeline: &str) {
    // A pipeline that stalls fails here, naming itself, rather than at nextest's timeout.
    const LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    let mut child = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gst-launch-1.0 starts");
    // Read on the side, so that a chatty pipeline never blocks on a full pipe.
    let mut pipe = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("gst-launch-1.0 runs") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gst-launch-1.0 {pipeline} did not finish in {LIMIT:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stderr = stderr.join().unwrap_or_default();
    assert!(
        status.success(),
        "gst-launch-1.0 {pipeline} failed:\n{stderr}"
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

/// Writes a `seconds` long WebM of SMPTE colour bars (VP8, `width`x`height` at 30 fps) with a
/// 440 Hz tone (Opus, 48 kHz stereo) to `dir/bars.webm`: what players send to browsers.
pub fn bars_clip(dir: &Path, (width, height): (usize, usize), seconds: u32) -> PathBuf {
    let clip = dir.join("bars.webm");
    // 480-sample buffers at 48 kHz: 100 a second.
    gst_launch(&format!(
        "videotestsrc pattern=smpte num-buffers={} \
         ! video/x-raw,width={width},height={height},framerate=30/1 ! vp8enc deadline=1 \
         ! webmmux name=mux ! filesink location={} \
         audiotestsrc wave=sine freq=440 samplesperbuffer=480 num-buffers={} \
         ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! mux.",
        seconds * 30,
        clip.display(),
        seconds * 100,
    ));
    clip
}

/// Decodes a [`WIDTH`]x[`HEIGHT`] video file into its frames' luma planes.
pub fn decode_luma(video: &Path) -> Vec<Vec<u8>> {
    decode_luma_sized(video, WIDTH, HEIGHT)
}

/// Decodes a `width`x`height` video file (`width` a multiple of 4) into its frames' luma
/// planes.
pub fn decode_luma_sized(video: &Path, width: usize, height: usize) -> Vec<Vec<u8>> {
    decode(video).luma(width, height)
}

/// Decodes the sound of a media file into [`AUDIO_RATE`] mono samples (full scale 1.0).
pub fn decode_audio(path: &Path) -> Vec<f32> {
    decode(path).samples()
}

/// A [`FRAMES`]-frame [`WIDTH`]x[`HEIGHT`] H.264 clip of the still astronaut photo (one
/// face), letterboxed, made with GStreamer from the PNG.
pub fn astronaut_clip(dir: &Path) -> PathBuf {
    let photo = workspace_root().join("modules/faceoverlay/tests/data/astronaut.png");
    let clip = dir.join("astronaut.mp4");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers={FRAMES} \
         ! video/x-raw,framerate=30/1 ! videoscale add-borders=true \
         ! video/x-raw,width={WIDTH},height={HEIGHT},pixel-aspect-ratio=1/1 ! videoconvert \
         ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location={}",
        photo.display(),
        clip.display()
    ));
    clip
}

/// An opaque green 64x64 PNG, made with GStreamer: luma 145 once drawn into a video.
pub fn green_png(dir: &Path) -> PathBuf {
    let png = dir.join("green.png");
    gst_launch(&format!(
        "videotestsrc pattern=solid-color foreground-color=0xff00ff00 num-buffers=1 \
         ! video/x-raw,width=64,height=64 ! videoconvert ! pngenc ! filesink location={}",
        png.display()
    ));
    png
}

/// Asserts that from frame `from` on, `output` shows the [`green_png`] hat drawn at
/// `(-0.35, -1.2, 1.6, 1.6)` of the face box `[x, y, width, height]`, and that the rest of the
/// picture matches the still `input` (whose frames are all alike, so frame counts may differ).
pub fn assert_green_hat(input: &[Vec<u8>], output: &[Vec<u8>], face: [f64; 4], from: usize) {
    let [x, y, w, h] = face;
    assert!(w > 30.0 && w < 70.0, "a {w} px face");
    // The hat's box, cut at the top of the frame; its middle part for comparing pixels.
    let left = (x - 0.35 * w).max(0.0);
    let right = (x + 1.25 * w).min(WIDTH as f64);
    let top = (y - 1.2 * h).max(0.0);
    let bottom = (y + 0.4 * h).min(HEIGHT as f64);
    assert!(bottom - top > 10.0, "the hat is visible");
    let hat = |fx: usize, fy: usize| {
        let (fx, fy) = (fx as f64, fy as f64);
        fx > left + 3.0 && fx < right - 3.0 && fy > top + 3.0 && fy < bottom - 3.0
    };
    let away = |fx: usize, fy: usize| {
        let (fx, fy) = (fx as f64, fy as f64);
        fx < left - 8.0 || fx > right + 8.0 || fy > bottom + 8.0
    };
    assert!(output.len() > from, "{} frames came out", output.len());
    // Opaque green is luma 145 in BT.601 limited range.
    for (i, after) in output.iter().enumerate().skip(from) {
        let before = &input[i.min(input.len() - 1)];
        let (mut hat_sum, mut hat_n, mut away_diff, mut away_n) = (0.0, 0.0, 0.0, 0.0);
        for fy in 0..HEIGHT {
            for fx in 0..WIDTH {
                let at = fy * WIDTH + fx;
                if hat(fx, fy) {
                    hat_sum += after[at] as f64;
                    hat_n += 1.0;
                } else if away(fx, fy) {
                    away_diff += (after[at] as f64 - before[at] as f64).abs();
                    away_n += 1.0;
                }
            }
        }
        let hat_luma = hat_sum / hat_n;
        assert!(
            (hat_luma - 145.0).abs() < 12.0,
            "frame {i}: hat luma {hat_luma}"
        );
        let away_diff = away_diff / away_n;
        assert!(
            away_diff < 4.0,
            "frame {i}: the rest changed by {away_diff}"
        );
    }
}

/// A `filmstrip serve` process on a free loopback port, killed on drop.
pub struct Served {
    child: Child,
    /// The WebSocket URL it announced, `ws://127.0.0.1:PORT/kurento`.
    pub url: String,
}

impl Served {
    /// Starts the built binary with `--port 0` and the modules built next to it.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`Served::start`], with more `filmstrip serve` arguments.
    pub fn start_with(args: &[&str]) -> Self {
        let mut command = Command::new(profile_dir().join("filmstrip"));
        command
            .args(["serve", "--port", "0"])
            .args(args)
            .stderr(Stdio::inherit());
        Self::launch(command)
    }

    /// Runs `command`, which must start `filmstrip serve --port 0` (possibly through
    /// `sh -c 'exec ...'`), and waits for its announcement.
    pub fn launch(mut command: Command) -> Self {
        let mut child = command
            .env_remove("FILMSTRIP_MODULES_PATH")
            .stdout(Stdio::piped())
            .spawn()
            .expect("filmstrip serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        assert!(url.ends_with("/kurento"), "{url}");
        Self { child, url }
    }

    /// The server's process id, to read its `/proc` entries.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The mean absolute difference between two luma planes of one size.
pub fn luma_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "planes of different sizes");
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.len() as f64
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

/// The cargo running the tests.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// The next minor SDK version, which this host's SDK must refuse.
pub fn other_sdk_version() -> String {
    let mut parts = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|part| part.parse::<u64>().unwrap());
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    format!("{major}.{}.0", minor + 1)
}

const MISMATCH_MODULE: &str = r#"
use filmstrip::prelude::*;

/// Leaves frames alone.
#[filmstrip::filter(class = "MismatchFilter")]
pub struct Mismatch {
    /// Unused.
    #[property(default = 1, min = 0, max = 10)]
    level: u32,
}

#[filmstrip::methods]
impl Mismatch {
    fn transform_frame(&mut self, _frame: &Frame, _ctx: &mut Context<Self>) -> Result<()> {
        Ok(())
    }
}

filmstrip::module! { name = "mismatch", filters(Mismatch) }
"#;

const MISMATCH_MANIFEST: &str = r#"[package]
name = "mismatch"
description = "A module built against another SDK version"
version = "0.1.0"
edition.workspace = true
license.workspace = true

[lib]
crate-type = ["cdylib"]

[dependencies]
filmstrip.workspace = true
"#;

/// Copies directory `from` to `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the workspace with the SDK at `version` and a one-filter module on top of it.
pub fn write_mismatch_workspace(root: &Path, version: &str) {
    let workspace = workspace_root();
    copy_tree(&workspace.join("sdk"), &root.join("sdk"));
    copy_tree(&workspace.join("macros"), &root.join("macros"));
    std::fs::write(root.join("README.md"), "").unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), root.join("Cargo.lock")).unwrap();

    // Keep the real workspace's package settings, dependencies and profiles; replace its
    // member list and let `filmstrip` resolve to the copy whatever its version.
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    let shared = &manifest[manifest
        .find("[workspace.package]")
        .expect("workspace package table")..];
    let shared: Vec<String> = shared
        .lines()
        .map(|line| {
            if line.starts_with("filmstrip = ") {
                r#"filmstrip = { path = "sdk" }"#.to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    let header = "[workspace]\nresolver = \"3\"\nmembers = [\"sdk\", \"macros\", \"mismatch\"]\n\n";
    std::fs::write(
        root.join("Cargo.toml"),
        header.to_string() + &shared.join("\n"),
    )
    .unwrap();

    let sdk_manifest = std::fs::read_to_string(root.join("sdk/Cargo.toml")).unwrap();
    assert!(
        sdk_manifest.contains("version.workspace = true"),
        "the SDK manifest changed shape"
    );
    let sdk_manifest = sdk_manifest.replacen(
        "version.workspace = true",
        &format!("version = \"{version}\""),
        1,
    );
    std::fs::write(root.join("sdk/Cargo.toml"), sdk_manifest).unwrap();

    std::fs::create_dir_all(root.join("mismatch/src")).unwrap();
    std::fs::write(root.join("mismatch/Cargo.toml"), MISMATCH_MANIFEST).unwrap();
    std::fs::write(root.join("mismatch/src/lib.rs"), MISMATCH_MODULE).unwrap();
}

/// The target directory of the mismatch module, kept between runs.
pub fn mismatch_target_dir() -> PathBuf {
    profile_dir().parent().unwrap().join("abi-mismatch")
}

/// Builds the mismatch module and returns its library. The target directory persists in the
/// workspace's target directory so that reruns only rebuild the copied crates.
pub fn build_mismatch_module(root: &Path) -> PathBuf {
    let target = mismatch_target_dir();
    let cargo = cargo();
    let build = |offline: bool| {
        let mut command = Command::new(&cargo);
        command
            .args(["build", "--quiet", "--package", "mismatch"])
            .current_dir(root)
            .env("CARGO_TARGET_DIR", &target);
        if offline {
            command.arg("--offline");
        }
        command.output().expect("cargo starts")
    };
    let output = Some(build(true))
        .filter(|output| output.status.success())
        .unwrap_or_else(|| build(false));
    assert!(
        output.status.success(),
        "building the mismatch module failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug/libmismatch.so")
}

/// Writes a 30-frame 1280x720 H.264 clip of a synthetic street scene with one Spanish plate
/// (from the built `plategen` tool, seed `seed`) to `dir/plate.mp4`; returns the clip and
/// the plate's text as PlateDetectorFilter reports it.
pub fn plate_clip(dir: &Path, seed: u64) -> (PathBuf, String) {
    let frames = dir.join("frames");
    let seed = seed.to_string();
    let outcome = run_built(
        "plategen",
        &[frames.to_str().expect("UTF-8 path"), &seed],
        &[],
    );
    outcome.assert_success();
    // `plate-00.png: Spanish 1234BCD`
    let plate = outcome
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("plate-00.png: Spanish "))
        .unwrap_or_else(|| panic!("no Spanish plate-00.png in {}", outcome.stdout))
        .to_string();
    let clip = dir.join("plate.mp4");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers={FRAMES} \
         ! video/x-raw,framerate=30/1 ! videoconvert ! video/x-raw,format=I420 \
         ! x264enc ! mp4mux ! filesink location={}",
        frames.join("plate-00.png").display(),
        clip.display()
    ));
    (clip, plate)
}

/// The npm files that decide what an npm package directory installs.
const NPM_FILES: [&str; 2] = ["package.json", "package-lock.json"];

/// Holds an exclusive lock on `target/<name>.lock` until dropped, so that test processes
/// (nextest runs each test in its own) take turns at a shared resource.
pub struct TargetLock {
    _file: std::fs::File,
}

/// Locks `target/<name>.lock`, waiting for any other holder.
pub fn target_lock(name: &str) -> TargetLock {
    let path = profile_dir().parent().unwrap().join(format!("{name}.lock"));
    let file = std::fs::File::create(&path)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", path.display()));
    file.lock()
        .unwrap_or_else(|err| panic!("cannot lock {}: {err}", path.display()));
    TargetLock { _file: file }
}

/// Runs `program args` in `dir`, panicking with a clear message when it is not installed.
pub fn run_node_tool(program: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run {program} ({err}): this test needs Node.js 18+ and npm \
                 (Debian: apt-get install nodejs npm)"
            )
        })
}

/// The `node_modules` directory of the npm package in `tests/<package>`, installed with
/// `npm ci` into `target/<cache>` on first use and again only when the package's
/// `package.json` or `package-lock.json` change. Install scripts are skipped: kurento-client's
/// own is missing from its package, and nothing the tests use needs one.
pub fn npm_modules(package: &str, cache: &str) -> PathBuf {
    let source = workspace_root().join("tests").join(package);
    let cache = profile_dir().parent().unwrap().join(cache);
    let wanted: String = NPM_FILES
        .iter()
        .map(|file| std::fs::read_to_string(source.join(file)).unwrap())
        .collect();
    let stamp = cache.join("installed-from");
    let modules = cache.join("node_modules");
    std::fs::create_dir_all(&cache).unwrap();
    let _lock = target_lock(&format!(
        "{}-npm",
        cache.file_name().unwrap().to_string_lossy()
    ));
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && modules.is_dir()
    {
        return modules;
    }
    for file in NPM_FILES {
        std::fs::copy(source.join(file), cache.join(file)).unwrap();
    }
    let install = run_node_tool(
        "npm",
        &["ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        &cache,
    );
    assert!(
        install.status.success(),
        "npm ci in {} failed:\n{}",
        cache.display(),
        String::from_utf8_lossy(&install.stderr)
    );
    std::fs::write(&stamp, wanted).unwrap();
    modules
}

/// The environment variable that marks a test run again inside [`in_loopback_namespace`].
const NAMESPACE_MARK: &str = "FILMSTRIP_TEST_IN_LOOPBACK_NAMESPACE";

/// The network interfaces this process sees, from `/proc/self/net/dev` (which, unlike
/// `/sys/class/net`, follows the process's own network namespace).
pub fn network_interfaces() -> Vec<String> {
    let table = std::fs::read_to_string("/proc/self/net/dev").expect("/proc/self/net/dev");
    table
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next())
        .map(|name| name.trim().to_string())
        .collect()
}

/// Runs the test `name` of this test binary again in a private network namespace whose only
/// interface is `lo` (`unshare -n`, as root), so that the server it starts, its ICE candidates
/// and its connectivity checks cannot reach any other address. Returns `true` inside, where
/// the caller runs its body; outside it waits for the inner run, panics with its output if it
/// failed, and returns `false`.
pub fn in_loopback_namespace(name: &str) -> bool {
    if std::env::var_os(NAMESPACE_MARK).is_some() {
        assert_eq!(
            network_interfaces(),
            ["lo"],
            "the namespace has other interfaces"
        );
        return true;
    }
    let exe = std::env::current_exe().expect("test executable path");
    let output = Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(NAMESPACE_MARK, "1")
        .output()
        .unwrap_or_else(|err| panic!("cannot run unshare ({err}): needs util-linux and root"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} failed in its loopback namespace ({}); unshare -n needs root:\n\
         stdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    // Its measurements, for --nocapture runs.
    eprint!("{stderr}");
    false
}
