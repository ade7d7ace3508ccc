//! `cargo xtask scaffold`: both flavours build with no edits outside the workspace, pass their
//! own tests, are listed by the host right after `cargo build` and install with `filmstrip
//! install`; bad names and existing directories are refused with one clear line.
//!
//! Crates are scaffolded into temporary directories (never into the repository) and depend on
//! the SDK by path; they share one target directory that persists between runs.

use filmstrip_tests::{
    Outcome, cargo, filmstrip, modules_dir_with_pixelate, outside_target_dir, profile_dir,
    run_built, workspace_root,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `cargo xtask scaffold name --dir parent extra...`, with the SDK taken by path.
fn scaffold(parent: &Path, name: &str, extra: &[&str]) -> Outcome {
    let sdk = format!("path = \"{}\"", workspace_root().join("sdk").display());
    let parent = parent.to_str().unwrap();
    let mut args = vec!["scaffold", name, "--dir", parent, "--sdk", &sdk];
    args.extend(extra);
    run_built("xtask", &args, &[])
}

/// Runs cargo in `dir` with the shared outside target directory.
fn cargo_in(dir: &Path, args: &[&str]) {
    let output = Command::new(cargo())
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", outside_target_dir())
        .output()
        .expect("cargo starts");
    assert!(
        output.status.success(),
        "cargo {} in {} failed:\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Asserts `filmstrip list` over `dir` shows `class` from `library`.
fn assert_listed(dir: &Path, class: &str, library: &Path) {
    let listed = filmstrip(&["--modules-path", dir.to_str().unwrap(), "list", "--json"])
        .assert_success()
        .json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["class"] == class && entry["path"] == library.to_str().unwrap()),
        "{class} from {} is not listed: {listed:#}",
        library.display()
    );
}

/// Scaffolds, builds and lists a module; returns its crate directory.
fn scaffold_build_list(parent: &Path, name: &str, class: &str, extra: &[&str]) -> PathBuf {
    let started = Instant::now();
    scaffold(parent, name, extra).assert_success();
    let crate_dir = parent.join(name);
    cargo_in(&crate_dir, &["build"]);
    let debug = outside_target_dir().join("debug");
    assert_listed(&debug, class, &debug.join(format!("lib{name}.so")));
    eprintln!("{name}: scaffold to loaded in {:?}", started.elapsed());
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    assert!(readme.contains("## What to edit") && readme.contains("`src/filter.rs`"));
    cargo_in(&crate_dir, &["test"]);
    cargo_in(&crate_dir, &["fmt", "--check"]);
    crate_dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn plain_filter_builds_tests_loads_and_installs() {
    let parent = tempfile::tempdir().unwrap();
    let crate_dir =
        scaffold_build_list(parent.path(), "scaffold_plain", "ScaffoldPlainFilter", &[]);

    // Installed beside an existing module: checked, then moved into place.
    let modules = modules_dir_with_pixelate();
    let modules_path = modules.path().to_str().unwrap();
    let target = outside_target_dir();
    let env = [("CARGO_TARGET_DIR", target.to_str().unwrap())];
    let source = crate_dir.to_str().unwrap();
    let install = ["--modules-path", modules_path, "install", source, "--debug"];
    run_built("filmstrip", &install, &env).assert_success();
    let installed = modules.path().join("libscaffold_plain.so");
    assert_listed(modules.path(), "ScaffoldPlainFilter", &installed);
    assert_eq!(
        entries(modules.path()),
        ["libpixelate.so", "libscaffold_plain.so"]
    );

    // A failing build leaves the installed module as it was and no partial file.
    let before = std::fs::read(&installed).unwrap();
    let lib_rs = crate_dir.join("src/lib.rs");
    let broken = std::fs::read_to_string(&lib_rs).unwrap() + "\ncompile_error!(\"broken\");\n";
    std::fs::write(&lib_rs, broken).unwrap();
    let failed = run_built("filmstrip", &install, &env);
    assert!(!failed.success);
    assert_eq!(
        failed.stderr.lines().last().unwrap(),
        format!("filmstrip: cannot install {source}: cargo build failed (exit status: 101)")
    );
    assert_eq!(std::fs::read(&installed).unwrap(), before);
    assert_eq!(
        entries(modules.path()),
        ["libpixelate.so", "libscaffold_plain.so"]
    );
}

#[test]
fn opencv_filter_builds_tests_and_loads() {
    let parent = tempfile::tempdir().unwrap();
    let crate_dir = scaffold_build_list(
        parent.path(),
        "scaffold_cv",
        "ScaffoldCvFilter",
        &["--opencv"],
    );
    let filter = std::fs::read_to_string(crate_dir.join("src/filter.rs")).unwrap();
    assert!(filter.contains("with_mat_mut"), "{filter}");
}

/// What people outside this repository run: the stock `cargo generate` CLI, here built from
/// the same cargo-generate library as xtask (`cargo xtask test` builds it).
#[test]
fn stock_cargo_generate_cli_makes_a_module_that_loads() {
    let binary = profile_dir().join("cargo-generate");
    assert!(
        binary.is_file(),
        "{} is missing: `cargo build -p cargo-generate --bin cargo-generate` (cargo xtask test does)",
        binary.display()
    );
    let parent = tempfile::tempdir().unwrap();
    let template = workspace_root().join("templates/filter");
    let sdk = format!("sdk=path = \"{}\"", workspace_root().join("sdk").display());
    let output = Command::new(binary)
        .args(["generate", "--path", template.to_str().unwrap()])
        .args([
            "--name",
            "stock_cli",
            "--silent",
            "--vcs",
            "none",
            "-d",
            &sdk,
        ])
        .current_dir(parent.path())
        // cargo-generate needs an author from the environment, which CI may not set.
        .env("CARGO_NAME", "Filmstrip tests")
        .output()
        .expect("cargo-generate starts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crate_dir = parent.path().join("stock_cli");
    cargo_in(&crate_dir, &["build"]);
    let debug = outside_target_dir().join("debug");
    assert_listed(&debug, "StockCliFilter", &debug.join("libstock_cli.so"));
}

#[test]
fn class_name_can_be_chosen() {
    let parent = tempfile::tempdir().unwrap();
    scaffold(parent.path(), "plates", &["--class", "PlateDetectorFilter"]).assert_success();
    let filter = std::fs::read_to_string(parent.path().join("plates/src/filter.rs")).unwrap();
    assert!(
        filter.contains(r#"class = "PlateDetectorFilter""#),
        "{filter}"
    );
    assert!(filter.contains("pub struct Plates {"), "{filter}");
}

#[test]
fn bad_names_taken_names_and_existing_directories_are_refused() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::create_dir(parent.path().join("existing")).unwrap();
    let existing = parent.path().join("existing");
    let cases: [(&str, &[&str], String); 6] = [
        (
            "Plate",
            &[],
            "invalid module name `Plate`: use lowercase ASCII letters, digits and '_', starting with a letter".into(),
        ),
        (
            "plate-detector",
            &[],
            "invalid module name `plate-detector`: use lowercase ASCII letters, digits and '_', starting with a letter".into(),
        ),
        ("match", &[], "invalid module name `match`: it is a Rust keyword".into()),
        (
            "pixelate",
            &[],
            "module name `pixelate` is taken by the workspace crate in modules/pixelate".into(),
        ),
        (
            "plates",
            &["--class", "plateFilter"],
            "invalid class name `plateFilter`: use UpperCamelCase ASCII letters and digits, like PlateDetectorFilter".into(),
        ),
        ("existing", &[], format!("{} already exists", existing.display())),
    ];
    for (name, extra, message) in cases {
        let outcome = scaffold(parent.path(), name, extra);
        assert!(!outcome.success, "{name} was accepted");
        assert_eq!(outcome.stderr.trim_end(), format!("xtask: {message}"));
    }
    assert_eq!(entries(parent.path()), ["existing"]);
    assert!(entries(&existing).is_empty());
}
