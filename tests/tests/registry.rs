//! The publishing round trip on a real registry server on loopback (cargo-http-registry, from
//! crates.io): `cargo xtask publish` puts the SDK and the macros on it, a scaffolded filter
//! depending on them by version follows, and `filmstrip install NAME@VERSION` builds that
//! filter in a fresh project outside the workspace and loads it.

use filmstrip_tests::{cargo, filmstrip, modules_dir_with_pixelate, outside_target_dir, run_built};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const REGISTRY: &str = "filmstrip-test";

/// The registry server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server_binary() -> PathBuf {
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin/cargo-http-registry"));
    in_cargo_home
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("cargo-http-registry"))
}

/// Starts the server on a fresh registry in `root` and waits until its index exists.
fn start_server(root: &Path) -> Server {
    let child = Command::new(server_binary())
        .arg(root)
        .spawn()
        .expect("cargo-http-registry is installed: `cargo install --locked cargo-http-registry` (.ci/run does it)");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !root.join("config.json").is_file() {
        assert!(
            Instant::now() < deadline,
            "the registry server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Cargo settings naming the registry; nothing is written to the user's cargo configuration.
fn registry_env(root: &Path) -> Vec<(String, String)> {
    let name = REGISTRY.to_uppercase().replace('-', "_");
    vec![
        (
            format!("CARGO_REGISTRIES_{name}_INDEX"),
            format!("file://{}", root.display()),
        ),
        // The server checks no token, but cargo wants one to publish.
        (format!("CARGO_REGISTRIES_{name}_TOKEN"), "unused".into()),
        (
            "CARGO_TARGET_DIR".into(),
            outside_target_dir().display().to_string(),
        ),
    ]
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn sdk_and_filter_published_to_a_registry_install_and_load() {
    let root = tempfile::tempdir().unwrap();
    let _server = start_server(root.path());
    let env = registry_env(root.path());

    run_built(
        "xtask",
        &[
            "publish",
            "filmstrip",
            "filmstrip-macros",
            "--registry",
            REGISTRY,
            "--no-verify",
            "--allow-dirty",
        ],
        &borrowed(&env),
    )
    .assert_success();

    let sources = tempfile::tempdir().unwrap();
    let sdk = format!(r#"version = "0.2", registry = "{REGISTRY}""#);
    let parent = sources.path().to_str().unwrap();
    run_built(
        "xtask",
        &[
            "scaffold",
            "registry_filter",
            "--dir",
            parent,
            "--sdk",
            &sdk,
        ],
        &[],
    )
    .assert_success();
    let publish = Command::new(cargo())
        .args(["publish", "--registry", REGISTRY, "--no-verify"])
        .current_dir(sources.path().join("registry_filter"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("cargo starts");
    assert!(
        publish.status.success(),
        "publishing the filter failed:\n{}",
        String::from_utf8_lossy(&publish.stderr)
    );

    let modules = modules_dir_with_pixelate();
    let modules_path = modules.path().to_str().unwrap();
    let install = |spec: &str| {
        let args = [
            "--modules-path",
            modules_path,
            "install",
            spec,
            "--registry",
            REGISTRY,
            "--debug",
        ];
        run_built("filmstrip", &args, &borrowed(&env))
    };
    install("registry_filter@0.1.0").assert_success();
    let listed = filmstrip(&["--modules-path", modules_path, "list", "--json"])
        .assert_success()
        .json();
    let installed = modules.path().join("libregistry_filter.so");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["class"] == "RegistryFilterFilter"
                && entry["path"] == installed.to_str().unwrap()),
        "{listed:#}"
    );

    // An unknown crate changes nothing.
    let before = std::fs::read(&installed).unwrap();
    let unknown = install("no_such_filter@0.1.0");
    assert!(!unknown.success);
    assert_eq!(
        unknown.stderr.lines().last().unwrap(),
        format!(
            "filmstrip: cannot install no_such_filter@0.1.0: unknown crate no_such_filter@0.1.0: not in registry {REGISTRY}"
        )
    );
    assert_eq!(std::fs::read(&installed).unwrap(), before);
    assert_eq!(std::fs::read_dir(modules.path()).unwrap().count(), 2);
}

#[test]
fn dry_run_packages_every_crate_in_dependency_order() {
    let target = outside_target_dir();
    let env = [("CARGO_TARGET_DIR", target.to_str().unwrap())];
    let args = [
        "publish",
        "pixelate",
        "edgedetect",
        "faceoverlay",
        "overlayimage",
        "filmstrip",
        "filmstrip-macros",
        "--dry-run",
        "--no-verify",
        "--allow-dirty",
    ];
    let outcome = run_built("xtask", &args, &env);
    outcome.assert_success();
    let uploads: Vec<&str> = outcome
        .stderr
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Uploading "))
        .filter_map(|line| line.split(' ').next())
        .collect();
    assert_eq!(
        uploads[..2],
        ["filmstrip-macros", "filmstrip"],
        "{}",
        outcome.stderr
    );
    assert_eq!(uploads.len(), 6, "{}", outcome.stderr);
    // Cargo warns about each missing piece of crates.io metadata.
    assert!(
        !outcome.stderr.contains("warning: manifest has no"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn unknown_and_unpublishable_crates_are_refused() {
    for (name, message) in [
        ("nope", "xtask: unknown workspace crate `nope`"),
        (
            "filmstrip-tests",
            "xtask: `filmstrip-tests` is not publishable (publish = false)",
        ),
    ] {
        let outcome = run_built("xtask", &["publish", name, "--dry-run"], &[]);
        assert!(!outcome.success);
        assert_eq!(outcome.stderr.trim_end(), message);
    }
}
