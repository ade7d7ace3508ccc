//! `cargo xtask scaffold`: a new filter module crate from `templates/filter`.
//!
//! cargo-generate runs as a library, so no git, network or extra binary is needed; the
//! template stays usable with the stock `cargo generate` CLI outside this repository.

use crate::util::workspace_root;
use anyhow::{Context, Result, bail};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};
use std::path::{Path, PathBuf};

/// What to scaffold.
#[derive(clap::Args)]
pub struct Options {
    /// Crate and module name: lowercase letters, digits and '_', e.g. `plate_detector`.
    name: String,
    /// Make an OpenCV filter working on a zero-copy `Mat` instead of a plain frame filter.
    #[arg(long)]
    opencv: bool,
    /// Directory to create the crate in, as `<DIR>/<name>` [default: the workspace's modules/].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Kurento class name [default: the name in UpperCamelCase + `Filter`].
    #[arg(long, value_name = "ClassName")]
    class: Option<String>,
    /// The `filmstrip` dependency, as the inside of an inline table [default: `workspace =
    /// true` inside this workspace, else `version = "0.1"`].
    #[arg(long, value_name = "SPEC")]
    sdk: Option<String>,
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Refuses names that are not usable as crate, module and GStreamer plugin names at once.
fn check_name(name: &str) -> Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!(
            "invalid module name `{name}`: use lowercase ASCII letters, digits and '_', starting with a letter"
        );
    }
    if KEYWORDS.contains(&name) {
        bail!("invalid module name `{name}`: it is a Rust keyword");
    }
    Ok(())
}

fn check_class(class: &str) -> Result<()> {
    let valid = class.starts_with(|c: char| c.is_ascii_uppercase())
        && class.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid {
        bail!(
            "invalid class name `{class}`: use UpperCamelCase ASCII letters and digits, like PlateDetectorFilter"
        );
    }
    Ok(())
}

/// `version = "MAJOR.MINOR"` of this SDK release: the requirement a crate outside the
/// workspace gets, so that scaffolding follows the SDK's version bumps by itself.
fn sdk_requirement() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let minor = version.rsplit_once('.').map_or(version, |(head, _)| head);
    format!(r#"version = "{minor}""#)
}

/// `plate_detector` -> `PlateDetectorFilter`, as the template's hook derives it.
fn default_class(name: &str) -> String {
    let camel: String = name
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    camel + "Filter"
}

/// Workspace packages and their directories; a new module must not clash with their lib names.
fn workspace_packages() -> Result<Vec<(String, PathBuf)>> {
    let packages = crate::util::workspace_packages()?;
    Ok(packages
        .iter()
        .filter_map(|package| {
            let name = package["name"].as_str()?.to_string();
            let dir = Path::new(package["manifest_path"].as_str()?).parent()?;
            Some((name, dir.to_path_buf()))
        })
        .collect())
}

pub fn scaffold(options: &Options) -> Result<()> {
    let root = workspace_root();
    let name = options.name.as_str();
    check_name(name)?;
    let class = options.class.clone().unwrap_or_else(|| default_class(name));
    check_class(&class)?;
    for (package, dir) in workspace_packages()? {
        if package.replace('-', "_") == name {
            let dir = dir.strip_prefix(&root).unwrap_or(&dir);
            bail!(
                "module name `{name}` is taken by the workspace crate in {}",
                dir.display()
            );
        }
    }
    let parent = match &options.dir {
        Some(dir) => std::env::current_dir()?.join(dir),
        None => root.join("modules"),
    };
    let crate_dir = parent.join(name);
    if crate_dir.exists() {
        bail!("{} already exists", crate_dir.display());
    }
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let parent = parent.canonicalize()?;
    let member = parent
        .strip_prefix(&root)
        .ok()
        .map(|relative| relative.join(name));
    let sdk = options.sdk.clone().unwrap_or_else(|| {
        if member.is_some() {
            "workspace = true".to_string()
        } else {
            sdk_requirement()
        }
    });

    // cargo-generate always works out an author, from the environment, and fails without one
    // (as in containers where $USER is unset); the template does not use it.
    let author_vars = ["CARGO_NAME", "GIT_AUTHOR_NAME", "USER", "USERNAME", "NAME"];
    if !author_vars
        .iter()
        .any(|var| std::env::var_os(var).is_some())
    {
        // SAFETY: xtask has started no other thread that could read the environment.
        unsafe { std::env::set_var("CARGO_NAME", "Filmstrip") };
    }
    let template = root.join("templates/filter");
    let generated = cargo_generate::generate(GenerateArgs {
        template_path: TemplatePath {
            path: Some(template.to_str().context("non-UTF-8 path")?.to_string()),
            ..TemplatePath::default()
        },
        name: Some(name.to_string()),
        // The name is already checked; keep it as given rather than kebab-cased.
        force: true,
        destination: Some(parent),
        silent: true,
        vcs: Some(Vcs::None),
        // Membership is added below, keeping the root manifest's formatting.
        no_workspace: true,
        // The template is rustfmt-clean already (the scaffold tests check `cargo fmt --check`).
        no_fmt: true,
        define: vec![
            format!("opencv={}", options.opencv),
            format!("class={class}"),
            format!("sdk={sdk}"),
        ],
        ..GenerateArgs::default()
    })
    .context("cargo-generate failed")?;

    if let Some(member) = &member {
        add_member(&root.join("Cargo.toml"), member)?;
    }
    let flavour = if options.opencv { "OpenCV" } else { "plain" };
    eprintln!(
        "xtask: created {} ({flavour} filter {class}){}; edit src/filter.rs, see its README.md",
        generated.display(),
        if member.is_some() {
            ", added to the workspace"
        } else {
            ""
        }
    );
    Ok(())
}

/// Appends `member` to `[workspace] members` of the manifest, keeping its formatting.
fn add_member(manifest: &Path, member: &Path) -> Result<()> {
    let text = std::fs::read_to_string(manifest)?;
    let mut document: toml_edit::DocumentMut = text.parse()?;
    let members = document["workspace"]["members"]
        .as_array_mut()
        .context("the workspace manifest has no members array")?;
    let member = member.to_str().context("non-UTF-8 path")?;
    // Each member on its own line, like the ones already there.
    let mut value = toml_edit::Value::from(member);
    value.decor_mut().set_prefix("\n    ");
    members.push_formatted(value);
    members.set_trailing(",\n");
    members.set_trailing_comma(false);
    std::fs::write(manifest, document.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_come_from_the_words_of_the_name() {
        assert_eq!(default_class("plate_detector"), "PlateDetectorFilter");
        assert_eq!(default_class("blur2"), "Blur2Filter");
    }

    #[test]
    fn the_template_hook_defaults_to_this_sdk_release() {
        // Users of plain `cargo generate` get the hook's default, not ours: both must follow
        // the workspace version.
        let hook = crate::util::workspace_root().join("templates/filter/hooks/names.rhai");
        let hook = std::fs::read_to_string(hook).unwrap();
        let escaped = sdk_requirement().replace('"', "\\\"");
        assert!(
            hook.contains(&format!(r#"variable::set("sdk", "{escaped}")"#)),
            "templates/filter/hooks/names.rhai does not default `sdk` to {}",
            sdk_requirement()
        );
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        for name in ["Blur", "2blur", "blur-it", "_blur", ""] {
            assert_eq!(
                check_name(name).unwrap_err().to_string(),
                format!(
                    "invalid module name `{name}`: use lowercase ASCII letters, digits and '_', starting with a letter"
                )
            );
        }
        assert_eq!(
            check_name("match").unwrap_err().to_string(),
            "invalid module name `match`: it is a Rust keyword"
        );
        check_name("plate_detector2").unwrap();
        assert!(check_class("plateFilter").is_err());
        check_class("Plate2Filter").unwrap();
    }

    #[test]
    fn members_are_appended_one_per_line() {
        let dir = std::env::temp_dir().join(format!("xtask-member-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[workspace]\n# kept\nmembers = [\n    \"sdk\",\n    \"xtask\",\n]\n",
        )
        .unwrap();
        add_member(&manifest, Path::new("modules/blur")).unwrap();
        assert_eq!(
            std::fs::read_to_string(&manifest).unwrap(),
            "[workspace]\n# kept\nmembers = [\n    \"sdk\",\n    \"xtask\",\n    \"modules/blur\",\n]\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
