//! Workspace tasks: the test suite, the demo, and the module toolchain (scaffold, kmd, publish).

mod demos;
mod kmd;
mod publish;
mod scaffold;
mod suite;
mod util;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Filmstrip workspace tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Builds every crate and module, then runs the whole test suite.
    Test,
    /// Builds in release, lists the bundled modules, runs a generated clip through them,
    /// then serves the live demo pages (`filmstrip serve --demos`) until Ctrl-C.
    Demo,
    /// Regenerates the README's screenshots of the demo pages (runs their browser tests).
    Screenshots,
    /// Creates a new filter module crate from templates/filter.
    Scaffold(scaffold::Options),
    /// Builds a workspace module and writes its Kurento `.kmd.json` descriptor.
    Kmd {
        /// The module crate, e.g. `pixelate`.
        module: String,
        /// Directory to write `<module>.kmd.json` into [default: `kmd` in cargo's target
        /// directory, `target/kmd`].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Publishes workspace crates in dependency order (`cargo publish` for each).
    Publish(publish::Options),
}

fn main() -> ExitCode {
    let result = match Cli::parse().task {
        Task::Test => suite::test(),
        Task::Demo => suite::demo(),
        Task::Screenshots => demos::screenshots(),
        Task::Scaffold(options) => scaffold::scaffold(&options),
        Task::Kmd { module, out } => kmd::kmd(&module, out.as_deref()),
        Task::Publish(options) => publish::publish(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}
