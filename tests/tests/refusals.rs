//! Files on the module path that are not usable modules are refused with one line each,
//! and never keep the good modules beside them from loading.

use filmstrip_tests::{filmstrip, module_library, profile_dir, workspace_root};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A module directory holding a copy of the real pixelate module.
fn modules_dir_with_pixelate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        module_library("pixelate"),
        dir.path().join("libpixelate.so"),
    )
    .unwrap();
    dir
}

/// `list --json` over `dir`, asserting the copy of pixelate still loaded; returns the
/// reasons given for each refused file name.
fn refusals(dir: &Path) -> Vec<(String, String)> {
    let listed = filmstrip(&["--modules-path", dir.to_str().unwrap(), "list", "--json"])
        .assert_success()
        .json();
    let entries = listed.as_array().unwrap();
    let pixelate = dir.join("libpixelate.so");
    assert!(
        entries
            .iter()
            .any(|entry| entry["class"] == "PixelateFilter"
                && entry["path"] == pixelate.to_str().unwrap()),
        "pixelate did not load beside the refused files: {listed:#}"
    );
    entries
        .iter()
        .filter(|entry| entry["refused"] == Json::Bool(true))
        .map(|entry| {
            let path = PathBuf::from(entry["path"].as_str().unwrap());
            let reason = entry["reason"].as_str().unwrap().to_string();
            assert_eq!(reason.lines().count(), 1, "reasons are one line: {reason}");
            (
                path.file_name().unwrap().to_str().unwrap().to_string(),
                reason,
            )
        })
        .collect()
}

#[test]
fn corrupt_file_has_no_elf_header() {
    let dir = modules_dir_with_pixelate();
    let noise: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(dir.path().join("libbroken.so"), noise).unwrap();
    assert_eq!(
        refusals(dir.path()),
        [(
            "libbroken.so".to_string(),
            "not a shared library (no ELF header)".to_string()
        )]
    );
}

#[test]
fn foreign_library_is_not_a_module() {
    let dir = modules_dir_with_pixelate();
    std::fs::copy(
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        dir.path().join("libz.so"),
    )
    .unwrap();
    assert_eq!(
        refusals(dir.path()),
        [(
            "libz.so".to_string(),
            "not a Filmstrip module (no Filmstrip entry point)".to_string()
        )]
    );
}

#[test]
fn second_provider_of_a_class_is_refused() {
    let dir = modules_dir_with_pixelate();
    std::fs::copy(
        module_library("pixelate"),
        dir.path().join("libpixelate_copy.so"),
    )
    .unwrap();
    let first = dir.path().join("libpixelate.so");
    let expected = format!(
        "class PixelateFilter already provided by {}",
        first.display()
    );
    assert_eq!(
        refusals(dir.path()),
        [("libpixelate_copy.so".to_string(), expected)]
    );
}

#[test]
fn missing_directory_is_reported() {
    let dir = modules_dir_with_pixelate();
    let missing = dir.path().join("nowhere");
    let path = format!("{}:{}", missing.display(), dir.path().display());
    let listed = filmstrip(&["--modules-path", &path, "list", "--json"])
        .assert_success()
        .json();
    let refused = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["refused"] == true)
        .expect("a refusal");
    assert_eq!(refused["path"], missing.to_str().unwrap());
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .starts_with("cannot read module directory: "),
        "{refused}"
    );
}

/// The next minor SDK version, which this host's SDK must refuse.
fn other_sdk_version() -> String {
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

fn copy_tree(from: &Path, to: &Path) {
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
fn write_mismatch_workspace(root: &Path, version: &str) {
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

/// Builds the mismatch module and returns its library. The target directory persists in the
/// workspace's target directory so that reruns only rebuild the copied crates.
fn build_mismatch_module(root: &Path) -> PathBuf {
    let target = profile_dir().parent().unwrap().join("abi-mismatch");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
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

#[test]
fn module_built_against_another_sdk_version_is_refused() {
    let version = other_sdk_version();
    let sources = tempfile::tempdir().unwrap();
    write_mismatch_workspace(sources.path(), &version);
    let library = build_mismatch_module(sources.path());

    let dir = modules_dir_with_pixelate();
    std::fs::copy(library, dir.path().join("libmismatch.so")).unwrap();
    let expected = format!(
        "built against Filmstrip SDK {version}, incompatible with this host's SDK {}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        refusals(dir.path()),
        [("libmismatch.so".to_string(), expected)]
    );
}
