//! The demo web app's build for `cargo xtask demo`, and `cargo xtask screenshots`, which
//! regenerates the README's pictures of it.

use crate::util::{cargo, run, workspace_root};
use anyhow::{Context, Result, ensure};
use std::process::Command;

/// Where the README's screenshots live, committed.
const SCREENSHOTS: &str = "host/demos/screenshots";

/// `cargo build --workspace --release`.
pub fn release_build() -> Result<()> {
    run(&cargo(), &["build", "--workspace", "--release"])
}

/// Builds the pages `filmstrip serve --demos` serves into `target/demos` (npm packages
/// installed once per package-lock.json, then esbuild), with the project's build script.
pub fn build_pages() -> Result<()> {
    run("node", &["host/demos/build.js"])
}

/// Runs the demo pages' browser tests (tests/tests/demos.rs), which also write the README's
/// small screenshots of the pages, made from the fake camera, into `host/demos/screenshots`.
pub fn screenshots() -> Result<()> {
    let root = workspace_root();
    let cargo = cargo();
    // The tests use the debug binary, modules and plategen, as `cargo xtask test` builds them.
    run(&cargo, &["build", "--workspace"])?;
    let args = ["test", "-p", "filmstrip-tests", "--test", "demos"];
    eprintln!("xtask: {cargo} {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .env("FILMSTRIP_README_SCREENSHOTS", root.join(SCREENSHOTS))
        .current_dir(&root)
        .status()
        .context("cannot run cargo test")?;
    ensure!(
        status.success(),
        "the demo tests failed: screenshots not all written"
    );
    eprintln!("xtask: wrote the screenshots in {SCREENSHOTS}");
    Ok(())
}
