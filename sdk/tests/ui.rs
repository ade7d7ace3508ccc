//! Compile-time behaviour of the macros: what users get wrong must fail to build with an error
//! at their own token, and every supported shape of filter must build.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}

/// `ui/pass/readme_filter.rs` is the README's example: keep the two the same, so the example a
/// newcomer copies is one that compiles.
#[test]
fn readme_example_is_the_compiled_one() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/ui/pass/readme_filter.rs"
    ))
    .unwrap();
    let code = example
        .split_once("\n\n")
        .and_then(|(_, rest)| rest.strip_suffix("\nfn main() {}\n"))
        .expect("doc line, code, then main");
    assert!(
        readme.contains(code),
        "README.md's filter example differs from {code}"
    );
}
