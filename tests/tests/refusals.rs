//! Files on the module path that are not usable modules are refused with one line each,
//! and never keep the good modules beside them from loading.

use filmstrip_tests::{
    build_mismatch_module, filmstrip, mismatch_target_dir, module_library,
    modules_dir_with_pixelate, other_sdk_version, run_built, write_mismatch_workspace,
};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

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

#[test]
fn install_refuses_a_module_built_against_another_sdk_version() {
    let version = other_sdk_version();
    let sources = tempfile::tempdir().unwrap();
    write_mismatch_workspace(sources.path(), &version);
    // Built first, where the refusal test above builds it, so install only reuses it.
    build_mismatch_module(sources.path());

    // An older file of the same name must survive the refused install untouched.
    let dir = modules_dir_with_pixelate();
    let existing = dir.path().join("libmismatch.so");
    std::fs::copy(module_library("pixelate"), &existing).unwrap();
    let before = std::fs::read(&existing).unwrap();

    let crate_dir = sources.path().join("mismatch");
    let source = crate_dir.to_str().unwrap();
    let target = mismatch_target_dir();
    let outcome = run_built(
        "filmstrip",
        &[
            "--modules-path",
            dir.path().to_str().unwrap(),
            "install",
            source,
            "--debug",
        ],
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    assert!(!outcome.success);
    assert_eq!(
        outcome.stderr.lines().last().unwrap(),
        format!(
            "filmstrip: cannot install {source}: built against Filmstrip SDK {version}, incompatible with this host's SDK {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(std::fs::read(&existing).unwrap(), before);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["libmismatch.so", "libpixelate.so"],
        "no partial file left"
    );
}
