//! `filmstrip serve`: the Kurento protocol over WebSocket, spoken by a real client socket to
//! the real binary.

use filmstrip_tests::Served;
use filmstrip_tests::make_clip;
use filmstrip_tests::serve::{Client, MANAGER};
use serde_json::{Value as Json, json};
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::Message;

#[test]
fn sessions_ping_and_protocol_errors() {
    let served = Served::start();
    let mut client = served.client();
    let pong = client.ok("ping", json!({"interval": 5000}));
    assert_eq!(pong["value"], "pong");
    let session = pong["sessionId"].as_str().unwrap().to_string();
    assert_eq!(session.len(), 36, "a UUID: {session}");
    // Later requests carry the session, or reuse the connection's.
    assert_eq!(client.ok("ping", json!({}))["sessionId"], session);
    client.session = None;
    assert_eq!(client.ok("ping", json!({}))["sessionId"], session);
    let sessions = client.invoke(MANAGER, "getSessions", json!({}));
    assert!(sessions.as_array().unwrap().contains(&json!(session)));

    assert_eq!(
        client.error_code("ping", json!({"sessionId": "nope"})),
        40007
    );
    assert_eq!(client.error_code("frobnicate", json!({})), -32601);
    assert_eq!(client.error_code("create", json!({})), -32602);
    assert_eq!(
        client.error_code("invoke", json!({"object": MANAGER})),
        -32602
    );

    let mut raw = |text: &str| {
        client.send_text(text.to_string());
        client.receive()
    };
    let parse = raw("{not json");
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(parse["id"], Json::Null);
    assert_eq!(raw("[1,2]")["error"]["code"], -32600);
    assert_eq!(raw(r#"{"jsonrpc":"2.0","id":7}"#)["error"]["code"], -32600);
    let wrong = raw(r#"{"jsonrpc":"2.0","id":8,"method":"ping","params":3}"#);
    assert_eq!(
        (wrong["id"].clone(), wrong["error"]["code"].clone()),
        (json!(8), json!(-32602))
    );
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(3 << 19)
    );
    let too_big = raw(&big);
    assert_eq!(too_big["error"]["code"], -32600, "{}", too_big["error"]);
    // Nothing of that broke the connection.
    assert_eq!(client.ok("ping", json!({}))["value"], "pong");
    assert_eq!(client.error_code("ping", json!({"sessionId": 3})), -32602);
}

#[test]
fn other_paths_are_refused_at_the_handshake() {
    let served = Served::start();
    let url = served.url.replace("/kurento", "/other");
    let address = url[5..].split('/').next().unwrap().to_string();
    let stream = TcpStream::connect(address).unwrap();
    match tungstenite::client(url.as_str(), stream) {
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            assert_eq!(response.status(), 404);
        }
        Err(other) => panic!("expected a 404, got {other:?}"),
        Ok(_) => panic!("expected a 404, got a WebSocket"),
    }
    // The server still serves its own path.
    assert_eq!(served.client().ok("ping", json!({}))["value"], "pong");
}

#[test]
fn server_manager_describes_itself_and_the_modules() {
    let served = Served::start();
    let mut client = served.client();
    let described = client.ok("describe", json!({"object": MANAGER}));
    assert_eq!(described["type"], "ServerManager");
    assert_eq!(described["qualifiedType"], "kurento.ServerManager");

    let info = client.invoke(MANAGER, "getInfo", json!({}));
    assert_eq!(info["type"], "KMS");
    assert_eq!(info["capabilities"], json!(["transactions"]));
    let modules = info["modules"].as_array().unwrap();
    let module = |name: &str| {
        modules
            .iter()
            .find(|module| module["name"] == name)
            .unwrap_or_else(|| panic!("module {name} missing from {modules:?}"))
            .clone()
    };
    for name in [
        "core",
        "elements",
        "filters",
        "edgedetect",
        "pixelate",
        "faceoverlay",
    ] {
        let module = module(name);
        assert!(module["version"].is_string() && module["generationTime"].is_string());
    }
    assert_eq!(
        module("core")["factories"],
        json!(["MediaPipeline", "HubPort"])
    );
    assert!(
        module("filters")["factories"]
            .as_array()
            .unwrap()
            .contains(&json!("FaceOverlayFilter"))
    );
    assert_eq!(module("pixelate")["factories"], json!(["PixelateFilter"]));
    assert!(
        module("edgedetect")["factories"]
            .as_array()
            .unwrap()
            .contains(&json!("EdgeDetectFilter"))
    );
    let faceoverlay = module("faceoverlay");
    assert!(
        !faceoverlay["factories"]
            .as_array()
            .unwrap()
            .contains(&json!("FaceOverlayFilter"))
    );

    assert!(
        client
            .invoke(MANAGER, "getCpuCount", json!({}))
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(
        client
            .invoke(MANAGER, "getUsedMemory", json!({}))
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(client.invoke(MANAGER, "getPipelines", json!({})), json!([]));
    let kmd = client.invoke(MANAGER, "getKmd", json!({"moduleName": "pixelate"}));
    let kmd: Json = serde_json::from_str(kmd.as_str().unwrap()).unwrap();
    assert_eq!(kmd["name"], "pixelate");
    assert_eq!(
        client.invoke_error(MANAGER, "getKmd", json!({"moduleName": "nope"})),
        40500
    );
    assert_eq!(client.invoke_error(MANAGER, "getKmd", json!({})), -32602);
    assert_eq!(client.invoke_error(MANAGER, "explode", json!({})), 40105);
    assert_eq!(client.invoke(MANAGER, "getName", json!({})), MANAGER);
    assert_eq!(
        client.error_code("release", json!({"object": MANAGER})),
        40107
    );
    assert_eq!(
        client.error_code("describe", json!({"object": "nope"})),
        40101
    );
}

#[test]
fn pipelines_hold_module_filters_with_kurento_ids_and_properties() {
    let served = Served::start();
    let mut client = served.client();
    client.subscribe(MANAGER, "ObjectCreated");
    client.subscribe(MANAGER, "ObjectDestroyed");
    let pipeline = client.create("MediaPipeline", None);
    let created = client.event("ObjectCreated", Duration::from_secs(5));
    assert_eq!(created["params"]["value"]["object"], MANAGER);
    assert_eq!(created["params"]["value"]["data"]["object"], pipeline);
    assert!(pipeline.ends_with("_kurento.MediaPipeline"), "{pipeline}");
    assert_eq!(
        client.ok("describe", json!({"object": pipeline}))["type"],
        "MediaPipeline"
    );
    let dot = client.invoke(&pipeline, "getGstreamerDot", json!({}));
    assert!(dot.as_str().unwrap().contains("digraph"));

    let pixelate = client.create("PixelateFilter", Some(&pipeline));
    assert!(pixelate.starts_with(&format!("{pipeline}/")), "{pixelate}");
    assert!(pixelate.ends_with("_pixelate.PixelateFilter"), "{pixelate}");
    let qualified = client.create("pixelate.PixelateFilter", Some(&pipeline));
    let face = client.create("kurento.FaceOverlayFilter", Some(&pipeline));
    assert!(face.ends_with("_kurento.FaceOverlayFilter"), "{face}");
    let described = client.ok("describe", json!({"object": face}));
    assert_eq!(described["qualifiedType"], "kurento.FaceOverlayFilter");
    assert_eq!(described["hierarchy"][0], "kurento.Filter");
    let described = client.ok("describe", json!({"object": pixelate}));
    assert_eq!(described["qualifiedType"], "pixelate.PixelateFilter");

    client.invoke(&pixelate, "setBlockSize", json!({"blockSize": 8}));
    assert_eq!(client.invoke(&pixelate, "getBlockSize", json!({})), 8);
    assert_eq!(
        client.invoke_error(&pixelate, "setBlockSize", json!({"blockSize": 1})),
        40107
    );
    assert_eq!(
        client.invoke_error(&pixelate, "setBlockSize", json!({"blockSize": "big"})),
        40107
    );
    assert_eq!(client.invoke_error(&pixelate, "explode", json!({})), 40105);
    assert_eq!(client.invoke(&pixelate, "getBlockSize", json!({})), 8);

    // Module methods, with the module's own one-line error.
    let region = json!({"x": 0.0, "y": 0.0, "width": 0.5, "height": 0.5});
    assert_eq!(client.invoke(&pixelate, "setRegion", region), Json::Null);
    let bad_region = json!({"x": 0.0, "y": 0.0, "width": 2.0, "height": 0.5});
    let response = client.call(
        "invoke",
        json!({"object": pixelate, "operation": "setRegion", "operationParams": bad_region}),
    );
    assert_eq!(response["error"]["code"], 40107);
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("setRegion") && !message.contains('\n'),
        "{message}"
    );
    assert_eq!(
        client.invoke(&pixelate, "clearRegion", json!({})),
        Json::Null
    );

    // MediaObject basics.
    assert_eq!(client.invoke(&pixelate, "getName", json!({})), pixelate);
    client.invoke(&pixelate, "setName", json!({"name": "pix"}));
    assert_eq!(client.invoke(&pixelate, "getName", json!({})), "pix");
    client.invoke(&pixelate, "addTag", json!({"key": "k", "value": "v"}));
    assert_eq!(client.invoke(&pixelate, "getTag", json!({"key": "k"})), "v");
    assert_eq!(
        client.invoke(&pixelate, "getTags", json!({})),
        json!([{"key": "k", "value": "v"}])
    );
    client.invoke(&pixelate, "removeTag", json!({"key": "k"}));
    assert_eq!(client.invoke(&pixelate, "getTags", json!({})), json!([]));
    assert_eq!(
        client.invoke_error(&pixelate, "getTag", json!({"key": "k"})),
        40107
    );
    assert_eq!(client.invoke(&pixelate, "getParent", json!({})), pipeline);
    assert_eq!(
        client.invoke(&pixelate, "getMediaPipeline", json!({})),
        pipeline
    );
    assert_eq!(
        client.invoke(&pipeline, "getMediaPipeline", json!({})),
        pipeline
    );
    assert!(
        client
            .invoke(&pixelate, "getCreationTime", json!({}))
            .as_u64()
            .unwrap()
            > 1_600_000_000
    );
    assert_eq!(
        client.invoke(&pipeline, "getChildren", json!({})),
        json!([pixelate, qualified, face])
    );

    // Connections between elements.
    client.subscribe(&pixelate, "ElementConnected");
    client.subscribe(&pixelate, "ElementDisconnected");
    client.invoke(&pixelate, "connect", json!({"sink": qualified}));
    let connected = client.event("ElementConnected", Duration::from_secs(5));
    let data = &connected["params"]["value"]["data"];
    assert_eq!(
        (&data["source"], &data["sink"]),
        (&json!(pixelate), &json!(qualified))
    );
    assert_eq!(data["mediaType"], "VIDEO");
    assert_eq!(
        client.invoke(&qualified, "getSourceConnections", json!({}))[0]["source"],
        pixelate
    );
    assert_eq!(
        client.invoke(&pixelate, "getSinkConnections", json!({}))[0]["sink"],
        qualified
    );
    assert_eq!(
        client.invoke_error(&pixelate, "connect", json!({"sink": MANAGER})),
        40107
    );
    assert_eq!(
        client.invoke_error(&pixelate, "connect", json!({"sink": "nope"})),
        40101
    );
    client.invoke(&pixelate, "disconnect", json!({"sink": qualified}));
    let disconnected = client.event("ElementDisconnected", Duration::from_secs(5));
    assert_eq!(disconnected["params"]["value"]["data"]["sink"], qualified);
    assert_eq!(
        client.invoke(&pixelate, "getSinkConnections", json!({})),
        json!([])
    );
    assert_eq!(
        client.invoke_error(&pixelate, "disconnect", json!({"sink": qualified})),
        40107
    );
    client.invoke(&pixelate, "connect", json!({"sink": qualified}));

    // Unknown types and bad constructor parameters.
    assert_eq!(
        client.error_code("create", json!({"type": "NoSuchFilter"})),
        40108
    );
    let not_kurento =
        json!({"type": "kurento.PixelateFilter", "constructorParams": {"mediaPipeline": pipeline}});
    assert_eq!(client.error_code("create", not_kurento), 40108);
    let face_module = json!({"type": "filters.FaceOverlayFilter", "constructorParams": {"mediaPipeline": pipeline}});
    let other_face = client.ok("create", face_module)["value"].clone();
    client.ok("release", json!({"object": other_face}));
    assert_eq!(
        client.error_code("create", json!({"type": "ServerManager"})),
        40100
    );
    assert_eq!(
        client.error_code("create", json!({"type": "PixelateFilter"})),
        -32602
    );
    let elsewhere =
        json!({"type": "PixelateFilter", "constructorParams": {"mediaPipeline": "gone"}});
    assert_eq!(client.error_code("create", elsewhere), 40101);
    let in_filter =
        json!({"type": "PixelateFilter", "constructorParams": {"mediaPipeline": pixelate}});
    assert_eq!(client.error_code("create", in_filter), 40107);

    // Release: an element, then the pipeline with the rest.
    client.ok("release", json!({"object": qualified}));
    assert_eq!(client.invoke_error(&qualified, "getName", json!({})), 40101);
    assert_eq!(
        client.invoke(&pixelate, "getSinkConnections", json!({})),
        json!([])
    );
    assert_eq!(
        client.invoke(&pipeline, "getChildren", json!({})),
        json!([pixelate, face])
    );
    assert_eq!(
        client.invoke(MANAGER, "getPipelines", json!({})),
        json!([pipeline])
    );
    client.ok("release", json!({"object": pipeline}));
    assert_eq!(client.invoke(MANAGER, "getPipelines", json!({})), json!([]));
    assert_eq!(
        client.invoke_error(&pixelate, "getBlockSize", json!({})),
        40101
    );
    let destroyed: Vec<Json> = client
        .take_events("ObjectDestroyed")
        .into_iter()
        .map(|data| data["objectId"].clone())
        .collect();
    for id in [&qualified, &pixelate, &face, &pipeline] {
        assert!(destroyed.contains(&json!(id)), "{id} not in {destroyed:?}");
    }
    // Released already: as on KMS, releasing it again succeeds.
    client.ok("release", json!({"object": pipeline}));
}

#[test]
fn transactions_run_in_order_with_newrefs() {
    let served = Served::start();
    let mut client = served.client();
    client.ok("ping", json!({}));
    let operations = json!([
        {"id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
        {"id": 1, "method": "create", "params": {"type": "PixelateFilter",
            "constructorParams": {"mediaPipeline": "newref:0"}}},
        {"id": 2, "method": "invoke", "params": {"object": "newref:1",
            "operation": "setBlockSize", "operationParams": {"blockSize": 32}}},
        {"id": 3, "method": "invoke", "params": {"object": "newref:1", "operation": "explode"}},
        {"id": 4, "method": "invoke", "params": {"object": "newref:9", "operation": "getName"}},
    ]);
    let result = client.ok("transaction", json!({"operations": operations}));
    let responses = result["value"].as_array().unwrap();
    assert_eq!(responses.len(), 5);
    let pipeline = responses[0]["result"]["value"].as_str().unwrap();
    let filter = responses[1]["result"]["value"].as_str().unwrap();
    assert!(filter.starts_with(pipeline));
    assert_eq!(responses[2]["result"]["value"], Json::Null);
    assert_eq!(responses[3]["error"]["code"], 40105);
    assert_eq!(responses[4]["error"]["code"], -32602);
    assert_eq!(client.invoke(filter, "getBlockSize", json!({})), 32);
    assert_eq!(client.error_code("transaction", json!({})), -32602);
}

#[test]
fn sessions_close_and_reconnect() {
    let served = Served::start();
    let mut first = served.client();
    let pipeline = first.create("MediaPipeline", None);
    let session = first.session.clone().unwrap();

    // A new connection resumes the session with `connect`.
    let mut second = served.client();
    let connected = second.ok("connect", json!({"sessionId": session}));
    assert_eq!(connected["sessionId"], session);
    assert!(connected["serverId"].is_string());
    assert_eq!(
        second.error_code("connect", json!({"sessionId": "gone"})),
        40007
    );
    second.session = Some(session.clone());
    assert_eq!(
        second.invoke(MANAGER, "getPipelines", json!({})),
        json!([pipeline])
    );

    second.ok("closeSession", json!({}));
    assert_eq!(first.error_code("ping", json!({})), 40007);
    first.session = None;
    assert_eq!(first.invoke(MANAGER, "getPipelines", json!({})), json!([]));
}

#[test]
fn subscriptions_deliver_module_events_from_played_media() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    assert!(player.ends_with("_kurento.PlayerEndpoint"), "{player}");
    let pass = client.create("PassThrough", Some(&pipeline));
    let edges = client.create("EdgeDetectFilter", Some(&pipeline));
    let pixelate = client.create("PixelateFilter", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": pass}));
    client.invoke(&pass, "connect", json!({"sink": edges}));
    assert_eq!(
        client.invoke_error(&edges, "connect", json!({"sink": player})),
        40107
    );

    assert_eq!(
        client.error_code("subscribe", json!({"object": edges, "type": "Nope"})),
        40106
    );
    assert_eq!(
        client.error_code("subscribe", json!({"object": "x", "type": "Error"})),
        40101
    );
    let unused = client.subscribe(&pixelate, "Error");
    client.ok(
        "unsubscribe",
        json!({"object": pixelate, "subscription": unused}),
    );
    // Again: nothing to remove is no error, as on KMS.
    client.ok("unsubscribe", json!({"subscription": unused}));
    client.subscribe(&edges, "EdgeDensityChanged");
    client.subscribe(&player, "EndOfStream");

    client.invoke(&player, "play", json!({}));
    let event = client.event("EdgeDensityChanged", Duration::from_secs(60));
    let value = &event["params"]["value"];
    assert_eq!(event["jsonrpc"], "2.0");
    assert_eq!(value["object"], edges);
    assert_eq!(value["type"], "EdgeDensityChanged");
    let data = &value["data"];
    assert_eq!(data["source"], edges);
    assert_eq!(data["type"], "EdgeDensityChanged");
    assert_eq!(data["tags"], json!([]));
    assert!(data["density"].is_f64(), "{data}");
    let millis: u128 = data["timestampMillis"].as_str().unwrap().parse().unwrap();
    assert!(millis > 1_600_000_000_000);

    let end = client.event("EndOfStream", Duration::from_secs(60));
    assert_eq!(end["params"]["value"]["object"], player);
    assert_eq!(end["params"]["value"]["data"]["source"], player);

    client.invoke(&player, "stop", json!({}));
    client.ok("release", json!({"object": pipeline}));
    assert_eq!(client.invoke(MANAGER, "getPipelines", json!({})), json!([]));
}

#[test]
fn notifications_get_no_reply_and_garbage_stalls_nobody() {
    use std::io::Write;
    let served = Served::start();
    // A raw TCP client sending garbage and then nothing holds only its own thread.
    let address = served.url[5..].split('/').next().unwrap().to_string();
    let mut garbage = TcpStream::connect(&address).unwrap();
    garbage.write_all(b"\x00\xffGET nonsense\r\n").unwrap();
    let _idle = TcpStream::connect(&address).unwrap();

    let mut client = served.client();
    client.send_text(r#"{"jsonrpc":"2.0","method":"ping"}"#.to_string());
    client
        .socket
        .send(Message::binary(vec![0xff, 0xfe]))
        .unwrap();
    assert_eq!(client.receive()["error"]["code"], -32700);
    // The notification got no answer: the next message is this request's response.
    let pong = client.ok("ping", json!({}));
    assert_eq!(pong["value"], "pong");
    assert_eq!(served.client().ok("ping", json!({}))["value"], "pong");
}

#[test]
fn players_report_errors_and_replay_after_stop() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let create_player = |client: &mut Client, uri: String| {
        let params = json!({"type": "PlayerEndpoint",
            "constructorParams": {"mediaPipeline": pipeline, "uri": uri}});
        client.ok("create", params)["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let player_params = |uri: &str| json!({"type": "PlayerEndpoint", "constructorParams": {"mediaPipeline": pipeline, "uri": uri}});
    assert_eq!(
        client.error_code("create", player_params("no/clip.mp4")),
        40600
    );
    assert_eq!(
        client.error_code("create", player_params("gopher://h/c")),
        40107
    );

    let missing = create_player(
        &mut client,
        format!("file://{}/missing.mp4", dir.path().display()),
    );
    client.subscribe(&missing, "Error");
    client.subscribe(&pipeline, "Error");
    client.invoke(&missing, "play", json!({}));
    let error = client.event("Error", Duration::from_secs(30));
    let objects = [
        error["params"]["value"]["object"].clone(),
        client.event("Error", Duration::from_secs(30))["params"]["value"]["object"].clone(),
    ];
    assert!(
        objects.contains(&json!(missing)) && objects.contains(&json!(pipeline)),
        "{objects:?}"
    );
    assert!(error["params"]["value"]["data"]["description"].is_string());
    client.ok("release", json!({"object": missing}));

    let player = create_player(&mut client, format!("file://{}", clip.display()));
    let pixelate = client.create("PixelateFilter", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": pixelate}));
    assert_eq!(client.invoke_error(&pixelate, "play", json!({})), 40105);
    client.subscribe(&player, "EndOfStream");
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", Duration::from_secs(60));
    client.invoke(&player, "stop", json!({}));
    client.invoke(&player, "pause", json!({}));
    client.invoke(&player, "play", json!({}));
    client.event("EndOfStream", Duration::from_secs(60));
    client.ok("release", json!({"object": pipeline}));
    assert_eq!(client.invoke(MANAGER, "getPipelines", json!({})), json!([]));
}

#[test]
fn create_applies_properties_and_the_manager_measures_cpu() {
    let served = Served::start();
    let (mut client, pipeline) = served.client_with_pipeline();
    let params = json!({"type": "PixelateFilter", "constructorParams": {"mediaPipeline": pipeline},
        "properties": {"name": "pix", "tags": [{"key": "k", "value": "v"}], "blockSize": 16}});
    let pixelate = client.ok("create", params)["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(client.invoke(&pixelate, "getName", json!({})), "pix");
    assert_eq!(
        client.invoke(&pixelate, "getTags", json!({})),
        json!([{"key": "k", "value": "v"}])
    );
    assert_eq!(client.invoke(&pixelate, "getBlockSize", json!({})), 16);
    let bad = json!({"type": "PixelateFilter", "constructorParams": {"mediaPipeline": pipeline},
        "properties": {"blockSize": 1}});
    assert_eq!(client.error_code("create", bad), 40107);
    let unknown = json!({"type": "PixelateFilter", "constructorParams": {"mediaPipeline": pipeline},
        "properties": {"colour": "red"}});
    assert_eq!(client.error_code("create", unknown), 40107);
    // A refused property leaves no half-made object behind.
    assert_eq!(
        client.invoke(&pipeline, "getChildren", json!({})),
        json!([pixelate])
    );

    let cpu = client.invoke(MANAGER, "getUsedCpu", json!({"interval": 200}));
    let cpu = cpu.as_f64().unwrap();
    assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    assert_eq!(
        client.invoke_error(MANAGER, "getUsedCpu", json!({"interval": "soon"})),
        40107
    );
}

#[test]
fn struct_values_in_module_events_carry_complex_type_tags() {
    let dir = tempfile::tempdir().unwrap();
    let clip = filmstrip_tests::astronaut_clip(dir.path());
    let served = Served::start();
    let (mut client, pipeline, player) = served.client_with_player(&clip);
    let detector = client.create("FaceDetectorFilter", Some(&pipeline));
    client.invoke(&player, "connect", json!({"sink": detector}));
    client.subscribe(&detector, "FaceDetected");
    client.invoke(&player, "play", json!({}));
    let event = client.event("FaceDetected", Duration::from_secs(60));
    let faces = event["params"]["value"]["data"]["faces"]
        .as_array()
        .unwrap();
    let face = faces.first().expect("the astronaut's face");
    assert_eq!(face["__type__"], "Face", "{face}");
    assert_eq!(face["__module__"], "faceoverlay");
    assert!(face["width"].as_i64().unwrap() > 0);
    client.ok("release", json!({"object": pipeline}));
}
