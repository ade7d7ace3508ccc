//! The browser harness shared by the WebRtcEndpoint tests and benchmarks: the npm package in
//! `tests/browser/`, its kurento-client bundle, the fake camera, and running
//! `tests/browser/driver.js` inside a private network namespace.

use crate::{gst_launch, npm_modules, run_node_tool, target_lock, workspace_root};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm package with the driver, the pages and the bundle's sources.
pub fn browser_dir() -> PathBuf {
    workspace_root().join("tests/browser")
}

/// The installed npm packages of [`browser_dir`], in `target/webrtc-browser-js`.
pub fn browser_modules() -> PathBuf {
    npm_modules("browser", "webrtc-browser-js")
}

/// The browser bundle of kurento-client and kurento-utils, rebuilt by `build.js` (esbuild)
/// when its sources or the installed packages change.
pub fn kurento_bundle(modules: &Path) -> PathBuf {
    let cache = modules.parent().unwrap();
    let bundle = cache.join("kurento-browser.js");
    let stamp = cache.join("bundled-from");
    let sources = [
        "build.js",
        "kurento-entry.js",
        "node-globals.js",
        "package-lock.json",
    ];
    let wanted: String = sources
        .iter()
        .map(|file| std::fs::read_to_string(browser_dir().join(file)).unwrap())
        .collect();
    let _lock = target_lock("webrtc-browser-bundle");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && bundle.is_file()
    {
        return bundle;
    }
    let build = run_node_tool(
        "node",
        &[
            browser_dir().join("build.js").to_str().unwrap(),
            modules.to_str().unwrap(),
            bundle.to_str().unwrap(),
        ],
        cache,
    );
    assert!(
        build.status.success(),
        "bundling kurento-client for the browser failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    std::fs::write(&stamp, wanted).unwrap();
    bundle
}

/// A 640x480 I420 Y4M of the astronaut picture, letterboxed, 30 frames at 30 fps: the fake
/// camera (Chromium loops it), at the size the goals are set for.
pub fn face_camera(dir: &Path) -> PathBuf {
    let photo = workspace_root().join("modules/faceoverlay/tests/data/astronaut.png");
    let camera = dir.join("face.y4m");
    gst_launch(&format!(
        "filesrc location={} ! pngdec ! videoconvert ! imagefreeze num-buffers=30 \
         ! video/x-raw,framerate=30/1 ! videoscale add-borders=true \
         ! video/x-raw,width=640,height=480,pixel-aspect-ratio=1/1 ! videoconvert \
         ! video/x-raw,format=I420 ! y4menc ! filesink location={}",
        photo.display(),
        camera.display()
    ));
    camera
}

/// Runs the driver with `config` in a new network namespace set up by the shell commands
/// `setup` (at least `ip link set lo up`), one scenario at a time (a lock in `target/`), and
/// returns its result after checking that the namespace held exactly `interfaces`.
pub fn drive(config: &Json, modules: &Path, setup: &str, interfaces: &[&str]) -> Json {
    let driver = browser_dir().join("driver.js");
    drive_script(&driver, config, modules, setup, interfaces)
}

/// Runs the Node.js `script` (`driver.js`, or another driver of browsers such as the demos')
/// as [`drive`] runs the driver: given `config`, in its own network namespace, one at a time,
/// with the modules of `modules`; returns the last JSON line it printed, its result.
pub fn drive_script(
    script: &Path,
    config: &Json,
    modules: &Path,
    setup: &str,
    interfaces: &[&str],
) -> Json {
    let scenario = config["scenario"].as_str().unwrap_or("scenario");
    let _turn = target_lock("webrtc-browser");
    let output = Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            &format!("{setup} && exec node \"$0\" \"$1\""),
        ])
        .arg(script)
        .arg(config.to_string())
        .env("NODE_PATH", modules)
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run unshare ({err}): the browser tests need util-linux and root")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let result: Json = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| {
            panic!(
                "the {scenario} {} printed no result ({}); unshare -n needs root:\n\
                 stdout: {stdout}\nstderr: {stderr}",
                script.display(),
                output.status
            )
        });
    assert_eq!(
        result["interfaces"],
        json!(interfaces),
        "the browser was not isolated on loopback"
    );
    result
}

/// The number at JSON `pointer` in a driver's `result`.
pub fn number(result: &Json, pointer: &str) -> f64 {
    result
        .pointer(pointer)
        .and_then(Json::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {result:#}"))
}
