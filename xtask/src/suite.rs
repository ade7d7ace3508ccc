//! `cargo xtask test` and `cargo xtask demo`, the two commands README.md promises.

use crate::util::{cargo, run, run_with, workspace_root};
use anyhow::{Context, Result, bail};
use std::process::Command;

/// Whether `cargo <subcommand>` is installed.
fn has_cargo(subcommand: &str) -> bool {
    Command::new(cargo())
        .args([subcommand, "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Tells the end-to-end tests that everything they run is built (see `tests/src/lib.rs`).
const PREBUILT: (&str, &str) = ("FILMSTRIP_TESTS_PREBUILT", "1");

/// The CI gate, cheapest and most likely to fail first: formatting; the build the end-to-end
/// tests run; lints; docs; dependency licences, sources and advisories; then every test, in
/// parallel under nextest, and the doc tests.
pub fn test() -> Result<()> {
    let cargo = cargo();
    run(&cargo, &["fmt", "--all", "--check"])?;
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
    run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "--deny",
            "warnings",
        ],
    )?;
    // Libraries only: the host's `filmstrip` binary and the SDK's `filmstrip` library would
    // write the same doc directory (cargo#6313), and binaries have no API to document.
    run_with(
        &cargo,
        &["doc", "--no-deps", "--workspace", "--lib"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    deny(&cargo)?;
    if has_cargo("nextest") {
        run_with(
            &cargo,
            &["nextest", "run", "--workspace", "--no-fail-fast"],
            &[PREBUILT],
        )?;
    } else {
        run_with(
            &cargo,
            &["test", "--workspace", "--no-fail-fast"],
            &[PREBUILT],
        )?;
    }
    run_with(&cargo, &["test", "--workspace", "--doc"], &[PREBUILT])
}

/// `cargo deny`: licences, duplicate versions and sources from `deny.toml`, then advisories
/// when RustSec's database (on GitHub, not crates.io) can be fetched; without it the run
/// says that advisories were not checked rather than failing.
fn deny(cargo: &str) -> Result<()> {
    if !has_cargo("deny") {
        bail!("cargo-deny is missing: `cargo install --locked cargo-deny` (.ci/run does)");
    }
    run(cargo, &["deny", "check", "bans", "licenses", "sources"])?;
    if run(cargo, &["deny", "fetch", "db"]).is_ok() {
        run(cargo, &["deny", "check", "--disable-fetch", "advisories"])
    } else {
        eprintln!("xtask: RustSec's advisory database is unreachable: advisories NOT checked");
        Ok(())
    }
}

/// The main job: release build and the demo pages, the bundled modules listed, a test clip
/// through two filters, a generated street scene through the plate reader, then
/// `filmstrip serve --demos` on the default Kurento address, with the pages' URL printed,
/// until interrupted.
pub fn demo() -> Result<()> {
    crate::demos::release_build()?;
    crate::demos::build_pages()?;
    let root = workspace_root();
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let path = |name: &str| out_dir.join(name).to_str().expect("UTF-8 path").to_string();
    let filmstrip = root.join("target/release/filmstrip");
    let filmstrip = filmstrip.to_str().expect("UTF-8 path");
    run(filmstrip, &["list"])?;

    let (input, output) = (path("input.mp4"), path("output.webm"));
    gst_launch(&format!(
        "videotestsrc pattern=smpte horizontal-speed=3 num-buffers=150 \
         ! video/x-raw,width=640,height=480,framerate=30/1 ! x264enc speed-preset=ultrafast \
         ! mp4mux ! filesink location={input}"
    ))?;
    let edges = ["--filter", "EdgeDetectFilter,threshold=60"];
    let overlay = ["--invoke", r#"setMode=["OVERLAY"]"#];
    let pixelate = ["--filter", "PixelateFilter,blockSize=8"];
    let mut args = vec!["run", "--input", &input];
    args.extend(edges.into_iter().chain(overlay).chain(pixelate));
    args.extend(["--output", &output]);
    run(filmstrip, &args)?;
    eprintln!("xtask: wrote {output}");

    let (scenes, plates) = (path("plates"), path("plates.mp4"));
    run(
        root.join("target/release/plategen")
            .to_str()
            .expect("UTF-8 path"),
        &[&scenes, "1"],
    )?;
    gst_launch(&format!(
        "filesrc location={scenes}/plate-00.png ! pngdec ! videoconvert \
         ! imagefreeze num-buffers=60 ! video/x-raw,framerate=30/1 ! videoconvert \
         ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location={plates}"
    ))?;
    let detect = "--filter PlateDetectorFilter --output null";
    let mut args = vec!["run", "--input", &plates];
    args.extend(detect.split_whitespace());
    run(filmstrip, &args)?;

    eprintln!(
        "xtask: the live demos will be at http://127.0.0.1:8888/ (magic mirror: \
         http://127.0.0.1:8888/mirror.html); Ctrl-C stops the server"
    );
    let address = "serve --bind 127.0.0.1 --port 8888 --path kurento --demos";
    run(filmstrip, &address.split_whitespace().collect::<Vec<_>>())
}

/// Runs a `gst-launch-1.0` pipeline description (paths must not contain spaces).
fn gst_launch(description: &str) -> Result<()> {
    let mut args = vec!["-q"];
    args.extend(description.split_whitespace());
    run("gst-launch-1.0", &args)
}
