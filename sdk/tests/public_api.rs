//! The SDK's public surface, as rustdoc lists it, against the snapshot in `public-api.txt`:
//! an item that appears or disappears fails this test until the snapshot is updated on
//! purpose (`FILMSTRIP_BLESS=1 cargo test -p filmstrip --test public_api`), so semver-bound
//! additions and removals show in review. Internals under `__private` are hidden from rustdoc
//! and so from the list.

use std::path::Path;
use std::process::Command;

/// `kind path` for each item rustdoc's `all.html` lists, sorted.
fn listed_items(all_html: &str) -> Vec<String> {
    let mut items: Vec<String> = all_html
        .split("<a href=\"")
        .skip(1)
        .filter_map(|link| {
            let (href, rest) = link.split_once("\">")?;
            let (text, _) = rest.split_once("</a>")?;
            // `element/constant.FRAMES_PROCESSED.html` -> `constant`.
            let file = href.rsplit('/').next()?;
            let (kind, _) = file.split_once('.')?;
            let known = [
                "struct",
                "enum",
                "trait",
                "fn",
                "macro",
                "attr",
                "derive",
                "constant",
                "type",
                "static",
                "union",
                "traitalias",
                "primitive",
            ];
            known.contains(&kind).then(|| format!("{kind} {text}"))
        })
        .collect();
    items.sort();
    items.dedup();
    items
}

#[test]
fn public_items_match_the_snapshot() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Beside the test binaries, so that the dependencies' metadata is reused.
    let target = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "doc",
            "--package",
            "filmstrip",
            "--no-deps",
            "--features",
            "testing",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(manifest_dir)
        .status()
        .expect("cargo starts");
    assert!(status.success(), "cargo doc failed");
    let all = std::fs::read_to_string(target.join("doc/filmstrip/all.html")).unwrap();
    let items = listed_items(&all);
    assert!(items.contains(&"struct Frame".to_string()), "{items:?}");
    let actual = items.join("\n") + "\n";
    let snapshot = manifest_dir.join("tests/public-api.txt");
    if std::env::var_os("FILMSTRIP_BLESS").is_some() {
        std::fs::write(&snapshot, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        actual == expected,
        "the public API changed; if on purpose, update {} (FILMSTRIP_BLESS=1):\n{}",
        snapshot.display(),
        diff(&expected, &actual)
    );
}

/// Lines only in `old` (`-`) and only in `new` (`+`).
fn diff(old: &str, new: &str) -> String {
    let removed = old.lines().filter(|l| !new.lines().any(|n| n == *l));
    let added = new.lines().filter(|l| !old.lines().any(|o| o == *l));
    removed
        .map(|l| format!("- {l}"))
        .chain(added.map(|l| format!("+ {l}")))
        .collect::<Vec<_>>()
        .join("\n")
}
