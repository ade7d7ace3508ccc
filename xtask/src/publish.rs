//! `cargo xtask publish`: `cargo publish` for workspace crates, dependencies first.

use crate::util::{cargo, run_in, workspace_root};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What to publish, and where.
#[derive(clap::Args)]
pub struct Options {
    /// Workspace crates to publish, in any order, e.g. `filmstrip filmstrip-macros pixelate`.
    #[arg(required = true)]
    crates: Vec<String>,
    /// Registry to publish to, as named in cargo's configuration [default: crates.io].
    #[arg(long)]
    registry: Option<String>,
    /// Check and package everything, upload nothing.
    #[arg(long)]
    dry_run: bool,
    /// Skip building each package before uploading it.
    #[arg(long)]
    no_verify: bool,
    /// Publish even with uncommitted changes in the working tree.
    #[arg(long)]
    allow_dirty: bool,
}

pub fn publish(options: &Options) -> Result<()> {
    let graph = path_dependencies()?;
    for name in &options.crates {
        match graph.get(name) {
            None => bail!("unknown workspace crate `{name}`"),
            Some(package) if !package.publishable => {
                bail!("`{name}` is not publishable (publish = false)")
            }
            Some(_) => {}
        }
    }
    let dir = match options.registry.as_deref() {
        Some(registry) if registry != "crates-io" => staging_workspace(registry, &graph)?,
        _ => workspace_root(),
    };
    let order = publish_order(&options.crates, &graph);
    let mut flags = Vec::new();
    if let Some(registry) = &options.registry {
        flags.extend(["--registry", registry.as_str()]);
    }
    for (set, flag) in [
        (options.dry_run, "--dry-run"),
        (options.no_verify, "--no-verify"),
        (options.allow_dirty, "--allow-dirty"),
    ] {
        if set {
            flags.push(flag);
        }
    }
    // A dry run uploads nothing, so crates depending on each other must go in one cargo call,
    // where cargo resolves them against the local packages; a real publish goes one crate at a
    // time, stopping at the first failure with the earlier crates already available.
    let batches: Vec<Vec<&str>> = if options.dry_run {
        vec![order]
    } else {
        order.into_iter().map(|name| vec![name]).collect()
    };
    for batch in batches {
        let mut args = vec!["publish"];
        for name in batch {
            args.extend(["--package", name]);
        }
        args.extend(&flags);
        run_in(&dir, &cargo(), &args)?;
    }
    Ok(())
}

/// A workspace package as far as publishing cares.
struct Package {
    /// Its directory relative to the workspace root.
    dir: PathBuf,
    publishable: bool,
    /// Workspace packages it depends on by path, which must be published before it.
    path_dependencies: Vec<String>,
}

fn path_dependencies() -> Result<BTreeMap<String, Package>> {
    let packages = crate::util::workspace_packages()?;
    let root = workspace_root();
    let mut graph = BTreeMap::new();
    for package in packages {
        let manifest = Path::new(package["manifest_path"].as_str().context("manifest path")?);
        let dir = manifest
            .parent()
            .and_then(|dir| dir.strip_prefix(&root).ok())
            .context("package outside the workspace")?
            .to_path_buf();
        let name = package["name"]
            .as_str()
            .context("package name")?
            .to_string();
        // `publish = false` is an empty registry list in cargo metadata.
        let publishable = package["publish"]
            .as_array()
            .is_none_or(|registries| !registries.is_empty());
        let path_dependencies = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|dep| dep["path"].is_string() && dep["name"] != name.as_str())
            .filter_map(|dep| dep["name"].as_str().map(str::to_string))
            .collect();
        graph.insert(
            name,
            Package {
                dir,
                publishable,
                path_dependencies,
            },
        );
    }
    Ok(graph)
}

/// A copy of the workspace's publishable crates whose internal dependencies name `registry`.
///
/// Cargo looks for a path dependency's published version on crates.io unless the dependency
/// names another registry, and the workspace manifest cannot name every registry a user may
/// publish to.
fn staging_workspace(registry: &str, graph: &BTreeMap<String, Package>) -> Result<PathBuf> {
    let root = workspace_root();
    let staging = crate::util::target_dir()?.join("publish").join(registry);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(&staging)?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let mut document: toml_edit::DocumentMut = manifest.parse()?;
    let publishable: Vec<&Package> = graph.values().filter(|p| p.publishable).collect();
    let members: toml_edit::Array = publishable
        .iter()
        .map(|p| p.dir.to_string_lossy().into_owned())
        .collect();
    document["workspace"]["members"] = toml_edit::value(members);
    let dependencies = document["workspace"]["dependencies"]
        .as_table_like_mut()
        .context("no [workspace.dependencies]")?;
    for (_, dependency) in dependencies.iter_mut() {
        if let Some(table) = dependency.as_table_like_mut()
            && table.contains_key("path")
        {
            table.insert("registry", toml_edit::value(registry));
        }
    }
    std::fs::write(staging.join("Cargo.toml"), document.to_string())?;
    // Cargo.lock keeps the versions the workspace was tested with; README.md is the SDK's.
    for file in ["Cargo.lock", "README.md"] {
        std::fs::copy(root.join(file), staging.join(file))?;
    }
    for package in publishable {
        copy_sources(&root.join(&package.dir), &staging.join(&package.dir))?;
    }
    Ok(staging)
}

/// Copies a package directory, leaving out build output.
fn copy_sources(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            if entry.file_name() != "target" {
                copy_sources(&entry.path(), &target)?;
            }
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// `wanted` with every crate after the wanted crates it depends on, directly or not.
fn publish_order<'a>(wanted: &'a [String], graph: &BTreeMap<String, Package>) -> Vec<&'a str> {
    fn visit<'a>(
        name: &str,
        wanted: &'a [String],
        graph: &BTreeMap<String, Package>,
        order: &mut Vec<&'a str>,
        seen: &mut BTreeSet<String>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        for dep in graph
            .get(name)
            .map(|p| &p.path_dependencies)
            .into_iter()
            .flatten()
        {
            visit(dep, wanted, graph, order, seen);
        }
        if let Some(name) = wanted.iter().find(|w| *w == name) {
            order.push(name);
        }
    }
    let (mut order, mut seen) = (Vec::new(), BTreeSet::new());
    for name in wanted {
        visit(name, wanted, graph, &mut order, &mut seen);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(deps: &[&str]) -> Package {
        Package {
            dir: PathBuf::new(),
            publishable: true,
            path_dependencies: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn dependencies_come_first() {
        let graph = BTreeMap::from([
            ("filmstrip-macros".to_string(), package(&[])),
            ("filmstrip".to_string(), package(&["filmstrip-macros"])),
            ("pixelate".to_string(), package(&["filmstrip"])),
            ("edgedetect".to_string(), package(&["filmstrip"])),
        ]);
        let wanted: Vec<String> = ["pixelate", "filmstrip", "edgedetect", "filmstrip-macros"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            publish_order(&wanted, &graph),
            ["filmstrip-macros", "filmstrip", "pixelate", "edgedetect"]
        );
    }
}
