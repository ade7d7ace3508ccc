//! `filmstrip serve` sessions across connections: the grace period after a client
//! disconnects, resuming with `connect {sessionId}`, and replayed answers to retried requests.

use filmstrip_tests::Served;
use filmstrip_tests::serve::{Client, MANAGER};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

fn pipelines(client: &mut Client) -> Json {
    client.invoke(MANAGER, "getPipelines", json!({}))
}

/// Polls `getPipelines` until it no longer lists `pipeline`; returns how long that took.
fn released_within(observer: &mut Client, pipeline: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    while pipelines(observer)
        .as_array()
        .unwrap()
        .contains(&json!(pipeline))
    {
        assert!(
            start.elapsed() < limit,
            "{pipeline} still held after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

#[test]
fn a_session_outlives_its_connection_for_the_grace_period_and_resumes_with_connect() {
    let served = Served::start_with(&["--session-grace", "1.5"]);
    let mut observer = served.client();
    observer.ok("ping", json!({}));

    let mut first = served.client();
    let pipeline = first.create("MediaPipeline", None);
    let pass = first.create("PassThrough", Some(&pipeline));
    let other = first.create("PassThrough", Some(&pipeline));
    first.subscribe(&pass, "ElementConnected");
    let session = first.session.clone().unwrap();
    drop(first);

    // Within the grace period a new connection takes the session up, subscriptions included.
    std::thread::sleep(Duration::from_millis(300));
    let mut second = served.client();
    second.ok("connect", json!({"sessionId": session}));
    second.session = Some(session.clone());
    assert!(
        pipelines(&mut second)
            .as_array()
            .unwrap()
            .contains(&json!(pipeline))
    );
    second.invoke(&pass, "connect", json!({"sink": other}));
    let event = second.event("ElementConnected", Duration::from_secs(10));
    assert_eq!(event["params"]["value"]["data"]["sink"], other);
    // A resumed session is not released when the first grace period ends.
    std::thread::sleep(Duration::from_millis(2000));
    assert!(
        pipelines(&mut observer)
            .as_array()
            .unwrap()
            .contains(&json!(pipeline))
    );

    // Once its last connection is gone for the grace period, its objects are released.
    drop(second);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        pipelines(&mut observer)
            .as_array()
            .unwrap()
            .contains(&json!(pipeline)),
        "released before the grace period ended"
    );
    let waited = released_within(&mut observer, &pipeline, Duration::from_secs(10));
    assert!(waited < Duration::from_secs(5), "released after {waited:?}");
    let mut late = served.client();
    assert_eq!(
        late.error_code("connect", json!({"sessionId": session})),
        40007
    );
    // The observer's own session is untouched.
    assert_eq!(observer.ok("ping", json!({}))["value"], "pong");
}

#[test]
fn an_id_reused_after_its_answer_is_a_new_request() {
    let served = Served::start();
    let mut client = served.client();
    client.ok("ping", json!({}));
    let session = client.session.clone().unwrap();
    let create = json!({"jsonrpc": "2.0", "id": 77, "method": "create",
        "params": {"type": "MediaPipeline", "sessionId": session}});
    client.send_text(create.to_string());
    let first = client.response(&json!(77));
    // The answer was delivered on a connection that stayed open: no retry, a second
    // pipeline. (Replays after a lost connection are tested in serve_ops.)
    client.send_text(create.to_string());
    let second = client.response(&json!(77));
    assert_ne!(first["result"]["value"], second["result"]["value"]);
    let listed = pipelines(&mut client);
    for created in [&first, &second] {
        assert!(
            listed
                .as_array()
                .unwrap()
                .contains(&created["result"]["value"])
        );
    }
    // A repeated release succeeds as the first one did, as KMS answers.
    let release = json!({"jsonrpc": "2.0", "id": 78, "method": "release",
        "params": {"object": first["result"]["value"], "sessionId": session}});
    for _ in 0..2 {
        client.send_text(release.to_string());
        assert!(client.response(&json!(78))["result"].is_object());
    }
    assert_eq!(pipelines(&mut client), json!([second["result"]["value"]]));
}

#[test]
fn the_grace_period_is_checked_on_the_command_line() {
    let outcome = filmstrip_tests::filmstrip(&["serve", "--session-grace=-1"]);
    assert!(!outcome.success);
    assert!(
        outcome.stderr.contains("--session-grace"),
        "{}",
        outcome.stderr
    );
}
