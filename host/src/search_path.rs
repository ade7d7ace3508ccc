//! Where modules are looked for.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Environment variable holding the module directories when `--modules-path` is not given.
pub const ENV_VAR: &str = "FILMSTRIP_MODULES_PATH";

/// The directories to load modules from, in order.
///
/// `option` (from `--modules-path`) wins over [`ENV_VAR`]; both are colon-separated lists.
/// Without either, modules are looked for next to the running executable, because that is
/// where `cargo build` leaves the module libraries of the workspace.
pub fn module_dirs(option: Option<&str>) -> Result<Vec<PathBuf>> {
    let listed = option
        .map(str::to_owned)
        .or_else(|| std::env::var(ENV_VAR).ok());
    if let Some(list) = listed {
        return Ok(split(&list));
    }
    let exe = std::env::current_exe().context("cannot locate the running executable")?;
    Ok(exe.parent().map(PathBuf::from).into_iter().collect())
}

/// Libraries of the SDK itself that cargo leaves next to the modules it builds: the
/// proc-macro library of a workspace build. They are no modules, and no user put them there.
const SDK_LIBRARIES: &[&str] = &["libfilmstrip_macros.so"];

/// Whether `path` is one of the SDK's own libraries, passed over without a word when modules
/// are looked for (any other library that is no module is still refused, and listed).
pub fn is_sdk_library(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| SDK_LIBRARIES.contains(&name))
}

fn split(list: &str) -> Vec<PathBuf> {
    list.split(':')
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_entries_are_skipped() {
        assert_eq!(split("a::b:"), [PathBuf::from("a"), PathBuf::from("b")]);
    }

    #[test]
    fn only_the_sdks_own_libraries_are_passed_over() {
        assert!(is_sdk_library(Path::new(
            "target/release/libfilmstrip_macros.so"
        )));
        assert!(!is_sdk_library(Path::new("target/release/libpixelate.so")));
        assert!(!is_sdk_library(Path::new(
            "/usr/lib/libfilmstrip_macros.so.1"
        )));
    }

    #[test]
    fn the_module_scan_skips_the_macros_library_and_keeps_foreign_ones() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["libfilmstrip_macros.so", "libforeign.so", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"not a module").unwrap();
        }
        let found = crate::registry::libraries_in(dir.path()).unwrap();
        assert_eq!(found, [dir.path().join("libforeign.so")]);
    }
}
