//! `filmstrip install`: builds a module crate and adds its library to the first modules
//! directory, but only once the library has passed the checks `filmstrip list` makes.
//!
//! The library is checked under its final file name in a staging directory beside the
//! destination, then renamed into place, so a failed build or check leaves the modules
//! directory as it was, with no partial file.

use crate::Registry;
use crate::registry::libraries_in;
use anyhow::{Context, Result, bail};
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the module crate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A crate directory on disk.
    Path(PathBuf),
    /// A crate on a registry, at an exact version or the newest one.
    Crate {
        /// The crate name.
        name: String,
        /// The exact version wanted, if any.
        version: Option<String>,
    },
}

impl Source {
    /// `./dir`, `/abs/dir`, `a/b` or an existing directory is a path; `name[@version]` a crate.
    pub fn parse(spec: &str) -> Self {
        if spec.contains('/') || spec.starts_with('.') || Path::new(spec).is_dir() {
            return Self::Path(PathBuf::from(spec));
        }
        let (name, version) = match spec.split_once('@') {
            Some((name, version)) => (name, Some(version.to_string())),
            None => (spec, None),
        };
        Self::Crate {
            name: name.to_string(),
            version,
        }
    }
}

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The registry to take crates from, as named in cargo's configuration; crates.io if none.
    pub registry: Option<String>,
    /// Build with the dev profile instead of release.
    pub debug: bool,
}

/// Builds `source` and installs its module library into `modules_dir`, returning its path.
///
/// `other_dirs` are the rest of the module search path: the new module must not clash with
/// the modules there either.
pub fn install(
    source: &Source,
    options: &Options,
    modules_dir: &Path,
    other_dirs: &[PathBuf],
) -> Result<PathBuf> {
    let (lib_name, library) = match source {
        Source::Path(dir) => build_path(dir, options)?,
        Source::Crate { name, version } => build_crate(name, version.as_deref(), options)?,
    };
    // Cargo leaves a dependency's library under a hashed name; hosts and GStreamer expect
    // `lib<crate>.so`.
    let file_name = format!("lib{lib_name}.so");
    std::fs::create_dir_all(modules_dir)
        .with_context(|| format!("cannot create {}", modules_dir.display()))?;
    let destination = modules_dir.join(&file_name);

    // Same directory, hence same file system: the final rename is atomic.
    let staging = tempfile::Builder::new()
        .prefix(".filmstrip-install-")
        .tempdir_in(modules_dir)
        .with_context(|| format!("cannot write to {}", modules_dir.display()))?;
    // GStreamer derives a plugin's entry point from its file name, so keep the name.
    let staged = staging.path().join(&file_name);
    std::fs::copy(&library, &staged)
        .with_context(|| format!("cannot copy {}", library.display()))?;

    // The module replaces any file of the same name, so that file is not a rival.
    let mut files = Vec::new();
    for dir in std::iter::once(modules_dir).chain(other_dirs.iter().map(PathBuf::as_path)) {
        files.extend(
            libraries_in(dir)
                .unwrap_or_default()
                .into_iter()
                .filter(|file| *file != destination),
        );
    }
    files.push(staged.clone());
    let registry = Registry::load_files(&files);
    if let Some(refusal) = registry.refused().iter().find(|r| r.path == staged) {
        bail!("{}", refusal.reason);
    }
    std::fs::rename(&staged, &destination)
        .with_context(|| format!("cannot move the module to {}", destination.display()))?;
    Ok(destination)
}

/// Builds the crate in `dir`; returns its lib target name and library file.
fn build_path(dir: &Path, options: &Options) -> Result<(String, PathBuf)> {
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("no crate at {}", dir.display()))?;
    let libraries = cargo_build(&manifest, &["--lib"], options)?;
    libraries
        .into_iter()
        .find(|(artifact_manifest, _, _)| *artifact_manifest == manifest)
        .map(|(_, name, library)| (name, library))
        .with_context(|| format!("{} builds no cdylib: not a module crate", dir.display()))
}

/// Builds a throwaway crate depending on the wanted one: cargo builds a dependency's cdylib
/// too, and resolves it from the registry exactly as any user crate would. Returns the
/// wanted crate's lib target name and library file.
fn build_crate(name: &str, version: Option<&str>, options: &Options) -> Result<(String, PathBuf)> {
    let project = tempfile::Builder::new()
        .prefix("filmstrip-install-")
        .tempdir()?;
    let requirement = version.map_or_else(|| "*".to_string(), |v| format!("={v}"));
    let registry = options
        .registry
        .as_ref()
        .map(|r| format!(", registry = {}", Json::from(r.as_str())))
        .unwrap_or_default();
    let manifest = format!(
        r#"[package]
name = "filmstrip-install"
version = "0.0.0"
edition = "2024"
rust-version = "{rust}"
publish = false

[lib]
path = "lib.rs"

[dependencies]
{name} = {{ version = "{requirement}"{registry} }}

[profile.dev]
opt-level = 1

# Its own workspace, wherever the temporary directory is.
[workspace]
"#,
        rust = env!("CARGO_PKG_RUST_VERSION"),
    );
    std::fs::write(project.path().join("Cargo.toml"), manifest)?;
    std::fs::write(project.path().join("lib.rs"), "")?;
    let spec = match version {
        Some(version) => format!("{name}@{version}"),
        None => name.to_string(),
    };
    let wanted = name.replace('-', "_");
    let libraries = cargo_build(
        &project.path().join("Cargo.toml"),
        &cache_target_dir(),
        options,
    )
    .map_err(|err| match err.downcast_ref::<UnknownCrate>() {
        Some(_) => anyhow::anyhow!(
            "unknown crate {spec}: not in {}",
            options
                .registry
                .as_ref()
                .map_or_else(|| "crates.io".to_string(), |r| format!("registry {r}"))
        ),
        None => err,
    })?;
    libraries
        .into_iter()
        .find(|(_, target, _)| *target == wanted)
        .map(|(_, name, library)| (name, library))
        .with_context(|| format!("crate {spec} builds no cdylib: not a module crate"))
}

/// `--target-dir` arguments for registry crates: a cache kept between installs, so that the
/// next install only rebuilds what changed; nothing when `CARGO_TARGET_DIR` chooses already.
fn cache_target_dir() -> Vec<String> {
    if std::env::var_os("CARGO_TARGET_DIR").is_some() {
        return Vec::new();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")));
    cache
        .map(|cache| {
            let dir = cache.join("filmstrip/install-target");
            vec!["--target-dir".to_string(), dir.display().to_string()]
        })
        .unwrap_or_default()
}

/// Cargo could not find the crate on the registry.
#[derive(Debug)]
struct UnknownCrate;

impl std::fmt::Display for UnknownCrate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unknown crate")
    }
}

impl std::error::Error for UnknownCrate {}

/// Runs `cargo build` on `manifest`, echoing cargo's progress, and returns every cdylib built
/// as (manifest path, lib target name, library file).
fn cargo_build(
    manifest: &Path,
    extra: &[impl AsRef<std::ffi::OsStr>],
    options: &Options,
) -> Result<Vec<(PathBuf, String, PathBuf)>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--message-format", "json-render-diagnostics"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !options.debug {
        command.arg("--release");
    }
    let mut child = command.spawn().context("cannot run cargo")?;
    let stderr = child.stderr.take().expect("piped");
    // Cargo's progress goes on to the user while we watch it for a missing crate.
    let watcher = std::thread::spawn(move || {
        let mut unknown = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            unknown |= line.contains("no matching package named");
            eprintln!("{line}");
        }
        unknown
    });
    let mut libraries = Vec::new();
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(library) = cdylib(&line) {
            libraries.push(library);
        }
    }
    let status = child.wait()?;
    let unknown = watcher.join().unwrap_or(false);
    if unknown {
        return Err(UnknownCrate.into());
    }
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    Ok(libraries)
}

/// The cdylib of one line of cargo's JSON output, if it announces one.
fn cdylib(line: &str) -> Option<(PathBuf, String, PathBuf)> {
    let message: Json = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let target = &message["target"];
    let is_cdylib = target["crate_types"]
        .as_array()?
        .iter()
        .any(|kind| kind == "cdylib");
    if !is_cdylib {
        return None;
    }
    let library = message["filenames"]
        .as_array()?
        .iter()
        .filter_map(Json::as_str)
        .find(|file| file.ends_with(".so"))?;
    Some((
        PathBuf::from(message["manifest_path"].as_str()?),
        target["name"].as_str()?.to_string(),
        PathBuf::from(library),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_crate_names_are_told_apart() {
        assert_eq!(
            Source::parse("./blur"),
            Source::Path(PathBuf::from("./blur"))
        );
        assert_eq!(
            Source::parse("modules/blur"),
            Source::Path(PathBuf::from("modules/blur"))
        );
        assert_eq!(
            Source::parse("blur@0.2.1"),
            Source::Crate {
                name: "blur".into(),
                version: Some("0.2.1".into())
            }
        );
        assert_eq!(
            Source::parse("blur-it"),
            Source::Crate {
                name: "blur-it".into(),
                version: None
            }
        );
    }
}
