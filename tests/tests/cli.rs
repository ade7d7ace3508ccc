//! `filmstrip list`, `describe`, and the one-line errors of `run`.

use filmstrip_tests::{filmstrip, make_clip, module_library, profile_dir};
use serde_json::{Value as Json, json};

#[test]
fn list_finds_the_bundled_modules_next_to_the_binary() {
    let listed = filmstrip(&["list", "--json"]).assert_success().json();
    let entries = listed.as_array().expect("an array");
    let class = |name: &str| entries.iter().find(|entry| entry["class"] == name).cloned();
    let version = env!("CARGO_PKG_VERSION");
    let expect = |class_name: &str, factory: &str, module: &str| {
        json!({
            "class": class_name,
            "factory": factory,
            "module": module,
            "version": version,
            "path": module_library(module).to_str().unwrap(),
        })
    };
    assert_eq!(
        class("EdgeDetectFilter"),
        Some(expect("EdgeDetectFilter", "edgedetectfilter", "edgedetect"))
    );
    assert_eq!(
        class("PixelateFilter"),
        Some(expect("PixelateFilter", "pixelatefilter", "pixelate"))
    );
}

#[test]
fn list_text_has_one_line_per_class() {
    let outcome = filmstrip(&["list"]);
    outcome.assert_success();
    let line = outcome
        .stdout
        .lines()
        .find(|line| line.starts_with("PixelateFilter"))
        .expect("a PixelateFilter line");
    let columns: Vec<&str> = line.split_whitespace().collect();
    let path = module_library("pixelate");
    assert_eq!(
        columns,
        [
            "PixelateFilter",
            "pixelatefilter",
            "pixelate",
            env!("CARGO_PKG_VERSION"),
            path.to_str().unwrap()
        ]
    );
}

#[test]
fn modules_path_option_and_environment_choose_the_directories() {
    let empty = tempfile::tempdir().unwrap();
    let listed = filmstrip(&[
        "--modules-path",
        empty.path().to_str().unwrap(),
        "list",
        "--json",
    ])
    .assert_success()
    .json();
    assert_eq!(listed, json!([]));
    let output = std::process::Command::new(profile_dir().join("filmstrip"))
        .args(["list", "--json"])
        .env("FILMSTRIP_MODULES_PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Json>(&output.stdout).unwrap(),
        json!([])
    );
}

#[test]
fn describe_prints_the_class_descriptor() {
    for name in ["EdgeDetectFilter", "edgedetect.EdgeDetectFilter"] {
        let class = filmstrip(&["describe", name]).assert_success().json();
        assert_eq!(class["name"], "EdgeDetectFilter");
        let names = |key: &str| -> Vec<String> {
            class[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert!(
            names("properties").contains(&"threshold".to_string()),
            "{class}"
        );
        assert!(names("methods").contains(&"setMode".to_string()), "{class}");
        assert_eq!(class["filmstrip"]["factory"], "edgedetectfilter");
    }
}

/// Every object key in `value`, recursively.
fn keys(value: &Json, found: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            for (key, value) in map {
                found.push(key.clone());
                keys(value, found);
            }
        }
        Json::Array(items) => items.iter().for_each(|item| keys(item, found)),
        _ => {}
    }
}

#[test]
fn describe_kmd_prints_the_module_in_kurentos_format() {
    let by_name = filmstrip(&["describe", "--kmd", "edgedetect"])
        .assert_success()
        .json();
    let library = module_library("edgedetect");
    let by_file = filmstrip(&["describe", "--kmd", library.to_str().unwrap()])
        .assert_success()
        .json();
    assert_eq!(by_name, by_file);
    let kmd = by_name;
    assert_eq!(kmd["name"], "edgedetect");
    assert_eq!(kmd["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(kmd["kurentoVersion"], "^7.0.0");
    assert_eq!(kmd["imports"][0]["name"], "core");
    assert_eq!(
        kmd["code"]["api"]["js"]["nodeName"],
        "kurento-module-edgedetect"
    );
    assert!(kmd["code"]["api"]["java"]["packageName"].is_string());
    assert!(kmd["code"]["implementation"]["cppNamespace"].is_string());

    let class = &kmd["remoteClasses"][0];
    assert_eq!(class["name"], "EdgeDetectFilter");
    assert_eq!(class["extends"], "Filter");
    assert_eq!(
        class["constructor"]["params"][0],
        json!({ "name": "mediaPipeline", "doc": "the parent MediaPipeline", "type": "MediaPipeline" })
    );
    assert_eq!(
        class["properties"][0],
        json!({ "name": "threshold", "doc": "Lower Canny threshold; the upper one is twice it. Lower values find more edges.", "type": "double", "defaultValue": 80.0 })
    );
    assert!(
        class["methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|method| method["name"] == "setMode" && method["params"][0]["type"] == "EdgeMode")
    );
    assert_eq!(class["events"], json!(["EdgeDensityChanged"]));
    assert_eq!(kmd["events"][0]["name"], "EdgeDensityChanged");
    assert_eq!(kmd["events"][0]["extends"], "Media");
    assert_eq!(kmd["events"][0]["properties"][0]["name"], "density");
    assert_eq!(
        kmd["complexTypes"][0],
        json!({ "name": "EdgeMode", "typeFormat": "ENUM", "doc": "What the filter draws.", "values": ["EDGES", "OVERLAY"] })
    );

    let mut found = Vec::new();
    keys(&kmd, &mut found);
    for filmstrip_only in ["filmstrip", "minimum", "maximum"] {
        assert!(
            !found.iter().any(|key| key == filmstrip_only),
            "{filmstrip_only} left in {kmd:#}"
        );
    }
}

#[test]
fn describe_kmd_of_an_unknown_module_names_the_known_ones() {
    let outcome = filmstrip(&["describe", "--kmd", "nosuchmodule"]);
    assert!(!outcome.success);
    assert!(
        outcome
            .stderr
            .starts_with("filmstrip: unknown module nosuchmodule; known: "),
        "{}",
        outcome.stderr
    );
}

#[test]
fn describe_names_the_known_classes_when_the_class_is_unknown() {
    let outcome = filmstrip(&["describe", "pixelate.EdgeDetectFilter"]);
    assert_eq!(outcome.code, Some(1));
    assert!(
        outcome
            .stderr
            .starts_with("filmstrip: unknown class pixelate.EdgeDetectFilter; known: "),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("EdgeDetectFilter") && outcome.stderr.contains("PixelateFilter")
    );
    assert_eq!(outcome.stderr.lines().count(), 1);
}

/// Runs `filmstrip run` on a real clip with `filters` and returns its stderr, asserting exit code 1.
fn failed_run(filters: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let mut args = vec!["run", "--input", clip.to_str().unwrap()];
    args.extend(filters);
    args.extend(["--output", "null"]);
    let outcome = filmstrip(&args);
    assert_eq!(outcome.code, Some(1), "stderr: {}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    outcome.stderr
}

#[test]
fn missing_input_file() {
    let outcome = filmstrip(&[
        "run",
        "--input",
        "/nonexistent/clip.mp4",
        "--output",
        "null",
    ]);
    assert_eq!(outcome.code, Some(1));
    assert_eq!(
        outcome.stderr,
        "filmstrip: input file not found: /nonexistent/clip.mp4\n"
    );
}

#[test]
fn unknown_class() {
    let stderr = failed_run(&["--filter", "NoSuchFilter"]);
    assert!(
        stderr.starts_with("filmstrip: unknown class NoSuchFilter; known: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn unknown_property() {
    let stderr = failed_run(&["--filter", "EdgeDetectFilter,foo=1"]);
    assert_eq!(
        stderr,
        "filmstrip: EdgeDetectFilter has no property foo (properties: threshold, reportStep)\n"
    );
}

#[test]
fn out_of_range_property_value() {
    let stderr = failed_run(&["--filter", "EdgeDetectFilter,threshold=-5"]);
    assert_eq!(
        stderr,
        "filmstrip: invalid value for threshold: threshold: -5 is out of range [0, 1000]\n"
    );
}

#[test]
fn invalid_invocation() {
    let stderr = failed_run(&[
        "--filter",
        "EdgeDetectFilter",
        "--invoke",
        r#"setMode=["NOPE"]"#,
    ]);
    assert_eq!(
        stderr,
        "filmstrip: EdgeDetectFilter.setMode failed: setMode: parameter mode: \"NOPE\" is not a EdgeMode; expected one of EDGES, OVERLAY\n"
    );
}

#[test]
fn invocation_before_any_filter() {
    let stderr = failed_run(&[
        "--invoke",
        r#"setMode=["OVERLAY"]"#,
        "--filter",
        "EdgeDetectFilter",
    ]);
    assert_eq!(
        stderr,
        "filmstrip: --invoke setMode=[\"OVERLAY\"] comes before any --filter; it applies to the filter given before it\n"
    );
}

#[test]
fn unsupported_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let outcome = filmstrip(&[
        "run",
        "--input",
        clip.to_str().unwrap(),
        "--output",
        "out.avi",
    ]);
    assert_eq!(outcome.code, Some(1));
    assert_eq!(
        outcome.stderr,
        "filmstrip: unsupported output out.avi: use a .webm, .mp4 or .mkv file, or null\n"
    );
}
