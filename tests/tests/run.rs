//! `filmstrip run` end to end: real clips through the bundled filters into real files.

use filmstrip_tests::{FRAMES, busy_block_share, decode_luma, filmstrip, filmstrip_run, make_clip};

#[test]
fn edges_then_pixelate_into_webm_emits_events_and_pixelates() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let out = dir.path().join("out.webm");
    let outcome = filmstrip(&[
        "run",
        "--input",
        clip.to_str().unwrap(),
        "--filter",
        "EdgeDetectFilter,threshold=50",
        "--invoke",
        r#"setMode=["OVERLAY"]"#,
        "--filter",
        "PixelateFilter,blockSize=8",
        "--output",
        out.to_str().unwrap(),
    ]);
    outcome.assert_success();
    assert_eq!(outcome.stderr, "");

    let density_events = outcome.events("EdgeDensityChanged");
    assert!(
        !density_events.is_empty(),
        "no EdgeDensityChanged event in {:?}",
        outcome.stdout
    );
    for event in density_events {
        assert_eq!(event["source"], "EdgeDetectFilter");
        let density = event["density"].as_f64().expect("numeric density");
        assert!(
            (0.0..=1.0).contains(&density),
            "density {density} outside 0..1"
        );
        let millis: u64 = event["timestampMillis"]
            .as_str()
            .expect("string timestamp")
            .parse()
            .expect("digits");
        assert!(
            millis > 1_600_000_000_000,
            "timestamp {millis} is not wall-clock milliseconds"
        );
    }

    let input = decode_luma(&clip);
    let output = decode_luma(&out);
    assert_eq!(input.len(), FRAMES);
    assert!(
        (FRAMES - 2..=FRAMES).contains(&output.len()),
        "{} frames came out of {FRAMES}",
        output.len()
    );
    // The ball's outline crosses many 8x8 squares of the input; pixelated, every square is
    // flat but for VP8's coding noise.
    let (before, after) = (
        busy_block_share(&input, 8, 48),
        busy_block_share(&output, 8, 48),
    );
    assert!(
        before > 0.01,
        "the input clip has too little detail to test with ({before})"
    );
    assert!(
        after < before / 10.0,
        "output not pixelated: {after} of its 8x8 squares vary, {before} in the input"
    );
}

#[test]
fn mp4_output_keeps_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let out = dir.path().join("out.mp4");
    let outcome = filmstrip_run(
        clip.to_str().unwrap(),
        "pixelate.PixelateFilter,block-size=16",
        out.to_str().unwrap(),
    );
    outcome.assert_success();
    let output = decode_luma(&out);
    assert_eq!(output.len(), FRAMES);
    assert!(
        busy_block_share(&output, 16, 48) < busy_block_share(&decode_luma(&clip), 16, 48) / 10.0
    );
}

#[test]
fn null_output_only_reports_events() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let uri = format!("file://{}", clip.display());
    let outcome = filmstrip_run(&uri, "EdgeDetectFilter,report_step=0", "null");
    outcome.assert_success();
    // With reportStep 0 every frame reports its density.
    let lines = outcome
        .stdout
        .lines()
        .filter(|line| line.contains("EdgeDensityChanged"))
        .count();
    assert_eq!(lines, FRAMES, "{}", outcome.stdout);
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "null output wrote files");
}
