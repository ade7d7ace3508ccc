//! Compile-time behaviour of the macros: what users get wrong must fail to build with an error
//! at their own token, and every supported shape of filter must build.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
