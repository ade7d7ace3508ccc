//! Opening one module library: cheap checks first, then the stable-ABI handshake.
//!
//! Every failure is one line a user can act on; abi_stable's own reports run to hundreds of
//! lines.

use abi_stable::library::{
    LibHeader, LibraryError, ROOT_MODULE_LOADER_NAME, RootModule, lib_header_from_path,
};
use abi_stable::sabi_types::VersionNumber;
use filmstrip::abi::{ModuleRef, SDK_VERSION};
use filmstrip::descriptor::ModuleDescriptor;
use std::path::Path;

const ELF_MAGIC: &[u8] = b"\x7fELF";

/// Loads the module root of the library at `path` and reads its descriptor.
pub(crate) fn open(path: &Path) -> Result<(ModuleRef, ModuleDescriptor), String> {
    // Checked before dlopen so that foreign libraries never get to run their initialisers.
    precheck(path)?;
    let module = lib_header_from_path(path)
        .and_then(|header| {
            check_version(header)?;
            header.init_root_module::<ModuleRef>()
        })
        .map_err(|err| describe(&err))?;
    let json = module.descriptor()().to_string();
    let descriptor = filmstrip::serde_json::from_str(&json)
        .map_err(|err| format!("invalid module descriptor: {err}"))?;
    Ok((module, descriptor))
}

fn precheck(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|err| format!("cannot read: {err}"))?;
    if !bytes.starts_with(ELF_MAGIC) {
        return Err("not a shared library (no ELF header)".to_string());
    }
    let entry = ROOT_MODULE_LOADER_NAME.as_bytes();
    if !bytes.windows(entry.len()).any(|window| window == entry) {
        return Err("not a Filmstrip module (no Filmstrip entry point)".to_string());
    }
    Ok(())
}

/// Refuses modules of another semver-incompatible SDK version, as cargo would.
///
/// abi_stable lets a host load modules of newer 0.x versions, which then fail its layout
/// check with a message that hides the real cause, the version.
fn check_version(header: &LibHeader) -> Result<(), LibraryError> {
    let expected_version = VersionNumber::new(ModuleRef::VERSION_STRINGS)?;
    let actual_version = VersionNumber::new(header.version_strings())?;
    if expected_version.is_loosely_compatible(actual_version) {
        return Ok(());
    }
    Err(LibraryError::IncompatibleVersionNumber {
        library_name: ModuleRef::NAME,
        expected_version,
        actual_version,
    })
}

fn describe(err: &LibraryError) -> String {
    match err {
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => {
            format!(
                "built against Filmstrip SDK {actual_version}, incompatible with this host's SDK {expected_version}"
            )
        }
        LibraryError::AbiInstability(_) => {
            format!(
                "Filmstrip ABI layout differs from this host's (rebuild the module against SDK {SDK_VERSION})"
            )
        }
        other => other
            .to_string()
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("cannot load")
            .trim()
            .to_string(),
    }
}
