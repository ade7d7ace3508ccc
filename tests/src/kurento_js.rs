//! The official JavaScript `kurento-client` driven by the scripts in `tests/js`, with the
//! client packages `filmstrip js-client` writes for Filmstrip's modules.

use crate::{filmstrip, npm_modules, workspace_root};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes the client package of `module` into `dir` with the real `filmstrip js-client`
/// command; returns its directory.
pub fn client_package(module: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("kurento-module-{module}"));
    filmstrip(&["js-client", module, "--out", out.to_str().unwrap()]).assert_success();
    assert!(
        out.join("lib/index.js").is_file(),
        "no package in {}",
        out.display()
    );
    out
}

/// The `file://` URI of `path`, as a Kurento client sends it.
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The report of a script: one JSON line per step it took.
pub struct Steps(Vec<Json>);

impl Steps {
    /// The report line of step `name`; panics with the whole report when there is none.
    pub fn step(&self, name: &str) -> &Json {
        self.0
            .iter()
            .find(|line| line["step"] == name)
            .unwrap_or_else(|| panic!("no {name} step in {:#?}", self.0))
    }
}

/// Runs `tests/js/<script>` under Node with `config` as its argument, kurento-client
/// installed from `tests/js`'s lock file; panics with its output unless it succeeds.
pub fn run_script(script: &str, config: &Json) -> Steps {
    let modules = npm_modules("js", "kurento-client-js");
    let output = Command::new("node")
        .arg(workspace_root().join("tests/js").join(script))
        .arg(config.to_string())
        // The generated packages require kurento-client, which lives in the cache.
        .env("NODE_PATH", &modules)
        .output()
        .unwrap_or_else(|err| panic!("cannot run node ({err}): this test needs Node.js 18+"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node {script} failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Steps(
        stdout
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect(),
    )
}
