//! `cargo xtask kmd`: a workspace module's Kurento `.kmd.json`, for Kurento's client generators.

use crate::util::{cargo, run, target_dir};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// Builds `module` and the host, then writes `<out>/<module>.kmd.json` (`out` defaults to
/// `kmd` in cargo's target directory) with `filmstrip describe --kmd`, which reads the
/// descriptor from the built module file itself.
pub fn kmd(module: &str, out: Option<&Path>) -> Result<()> {
    run(
        &cargo(),
        &["build", "--package", module, "--package", "filmstrip-host"],
    )?;
    let target = target_dir()?;
    let debug = target.join("debug");
    let library = debug.join(format!("lib{}.so", module.replace('-', "_")));
    let output = Command::new(debug.join("filmstrip"))
        .args(["describe", "--kmd"])
        .arg(&library)
        .output()
        .context("cannot run filmstrip")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let out = match out {
        Some(out) => std::env::current_dir()?.join(out),
        None => target.join("kmd"),
    };
    std::fs::create_dir_all(&out)?;
    let file = out.join(format!("{module}.kmd.json"));
    std::fs::write(&file, &output.stdout)
        .with_context(|| format!("cannot write {}", file.display()))?;
    eprintln!("xtask: wrote {}", file.display());
    Ok(())
}
