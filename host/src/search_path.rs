//! Where modules are looked for.

use anyhow::{Context, Result};
use std::path::PathBuf;

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
}
