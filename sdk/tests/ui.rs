//! Compile-time behaviour of the macros: what users get wrong must fail to build with an error
//! at their own token. (What must build is in `tests/expansion/`, ordinary tests.)

#[test]
fn ui() {
    // Only failing cases: trybuild then type-checks them all in one `cargo check`, without
    // building the SDK's dependencies a second time.
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
}

/// `expansion/readme_filter.rs` is the README's example: keep the two the same, so the example
/// a newcomer copies is one that compiles.
#[test]
fn readme_example_is_the_compiled_one() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/expansion/readme_filter.rs"
    ))
    .unwrap();
    let code = example
        .split_once("\n\n")
        .and_then(|(_, rest)| rest.strip_suffix("\n#[test]\nfn the_readme_filter_compiles() {}\n"))
        .expect("doc line, code, then the test");
    assert!(
        readme.contains(code),
        "README.md's filter example differs from {code}"
    );
}
