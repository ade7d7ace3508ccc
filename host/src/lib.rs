//! The Filmstrip host: finds module libraries, loads them through the stable ABI and runs
//! video files through their filters.
//!
//! The `filmstrip` binary is a thin command line over this library.

pub mod filter_spec;
pub mod install;
pub mod js_client;
pub mod kmd;
mod module_file;
pub mod output;
pub mod registry;
pub mod run;
pub mod search_path;
pub mod serve;

pub use registry::{LoadedModule, Refusal, Registry};
