//! Running commands from the workspace root, and what cargo knows of the workspace.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, where every task runs.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The cargo that runs this task, so that toolchain overrides carry over.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Runs `program args` in the workspace root, failing with the command line on a non-zero exit.
pub fn run(program: &str, args: &[&str]) -> Result<()> {
    run_in(&workspace_root(), program, args)
}

/// Runs `program args` in the workspace root with extra environment variables.
pub fn run_with(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    run_in_with(&workspace_root(), program, args, envs)
}

/// Runs `program args` in `dir`, failing with the command line on a non-zero exit.
pub fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    run_in_with(dir, program, args, &[])
}

fn run_in_with(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    let shown: Vec<String> = envs.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
    eprintln!("xtask: {}{program} {}", shown.concat(), args.join(" "));
    let mut command = Command::new(program);
    without_cargo_run_variables(&mut command);
    let status = command
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Leaves out of `command`'s environment the variables `cargo run` gave this task
/// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...): build scripts such as ring's rerun when
/// those change, so a cargo build with them would redo ring and all that depends on it
/// (minutes), and again on the next plain `cargo build`.
fn without_cargo_run_variables(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let from_cargo_run = name.starts_with("CARGO_PKG_")
            || matches!(
                name.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if from_cargo_run {
            command.env_remove(name.as_ref());
        }
    }
}

/// `cargo metadata` of the workspace (no dependencies), run as cargo would run it here, so
/// that `CARGO_TARGET_DIR` and cargo configuration count.
fn metadata_command() -> Command {
    let mut command = Command::new(cargo());
    command
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(workspace_root());
    command
}

fn read_metadata(command: &mut Command) -> Result<serde_json::Value> {
    let output = command.output().context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// The workspace's packages, as `cargo metadata` describes them.
pub fn workspace_packages() -> Result<Vec<serde_json::Value>> {
    let mut metadata = read_metadata(&mut metadata_command())?;
    match metadata["packages"].take() {
        serde_json::Value::Array(packages) => Ok(packages),
        _ => bail!("cargo metadata lists no packages"),
    }
}

/// Where cargo puts build output: `target/` unless `CARGO_TARGET_DIR` (or cargo
/// configuration) says otherwise. Every task that runs or copies what cargo built uses it.
pub fn target_dir() -> Result<PathBuf> {
    target_dir_of(&mut metadata_command())
}

fn target_dir_of(command: &mut Command) -> Result<PathBuf> {
    match &read_metadata(command)?["target_directory"] {
        serde_json::Value::String(dir) => Ok(PathBuf::from(dir)),
        _ => bail!("cargo metadata names no target directory"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_is_cargos() {
        assert_eq!(
            target_dir_of(metadata_command().env_remove("CARGO_TARGET_DIR")).unwrap(),
            workspace_root().join("target")
        );
        let elsewhere = std::env::temp_dir().join("filmstrip-shared-target");
        let mut command = metadata_command();
        command.env("CARGO_TARGET_DIR", &elsewhere);
        assert_eq!(target_dir_of(&mut command).unwrap(), elsewhere);
    }
}
