// Drives `filmstrip serve` with the official kurento-client in strict mode; run by
// tests/tests/kurento_client.rs, which checks the lines printed here and the files written.
//
// Usage: node e2e.js CONFIG_JSON, where the config names the server URL, the clips, the
// overlay image, the recording and the generated client packages. Every step prints one JSON
// line {"step": ..., ...}; any failure prints {"step": "failed", "error": ...} and exits 1.
'use strict';

const kurentoClient = require('kurento-client');
const { failure, report, run } = require('./steps');

const config = JSON.parse(process.argv[2]);
const TIMEOUT_MS = 120000;

/** Resolves with the first `event` of `object`, or rejects after `ms`. */
function next(object, event, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    object.once(event, (data) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** Player -> EdgeDetectFilter, from the generated edgedetect package. */
async function edgeDetect(pipeline) {
  const player = await pipeline.create('PlayerEndpoint', { uri: config.ballClip });
  const edges = await pipeline.create('EdgeDetectFilter');
  // Awaiting a kurento-client object yields a copy of it, whose constructor is the class.
  const generated = kurentoClient.register.classes['edgedetect.EdgeDetectFilter'];
  report('edgedetect-created', { id: edges.id, generatedClass: edges.constructor === generated });

  // The generated methods check their arguments before anything reaches the server.
  const checks = {
    badEnum: await failure(() => edges.setMode('SIDEWAYS')),
    badNumber: await failure(() => edges.setThreshold('high')),
    missing: await failure(() => edges.setMode()),
    tooMany: await failure(() => edges.setReportStep(0.1, 0.2)),
    // Past the client's checks, the server's range check answers.
    outOfRange: await failure(() => edges.setThreshold(-5)),
  };
  report('edgedetect-checks', checks);

  await edges.setMode('OVERLAY');
  await edges.setThreshold(40);
  await edges.setReportStep(0.001);
  report('edgedetect-properties', {
    mode: await edges.getMode(),
    threshold: await edges.getThreshold(),
    reportStep: await edges.getReportStep(),
  });

  const densities = [];
  edges.on('EdgeDensityChanged', (event) => densities.push(event.density));
  const ended = next(player, 'EndOfStream', TIMEOUT_MS);
  await player.connect(edges);
  await player.play();
  await ended;
  report('edgedetect-events', { densities });
  await player.release();
  await edges.release();
}

/**
 * Player -> FaceDetectorFilter (generated faceoverlay package) -> FaceOverlayFilter (a
 * built-in of kurento-client) -> RecorderEndpoint.
 */
async function faceOverlay(pipeline) {
  const player = await pipeline.create('PlayerEndpoint', { uri: config.faceClip });
  const detector = await pipeline.create('FaceDetectorFilter');
  await detector.setDetectionPolicy('EVERY_FRAME');
  const overlay = await pipeline.create('FaceOverlayFilter');
  await overlay.setOverlayedImage(config.overlayImage, -0.35, -1.2, 1.6, 1.6);
  const recorder = await pipeline.create('RecorderEndpoint', {
    uri: config.recording,
    mediaProfile: 'WEBM_VIDEO_ONLY',
  });
  let faces = null;
  detector.on('FaceDetected', (event) => {
    if (faces === null) faces = event.faces;
  });
  await player.connect(detector);
  await detector.connect(overlay);
  await overlay.connect(recorder);
  const ended = next(player, 'EndOfStream', TIMEOUT_MS);
  await recorder.record();
  await player.play();
  await ended;
  await recorder.stopAndWait();
  report('faceoverlay-recorded', { faces });
}

/** Player -> PlateDetectorFilter, from the generated platedetector package. */
async function plateDetector(pipeline) {
  const player = await pipeline.create('PlayerEndpoint', { uri: config.plateClip });
  const plates = await pipeline.create('PlateDetectorFilter');
  await plates.setPlateWidthPercentage(config.plateWidth);
  const found = [];
  plates.on('PlateDetected', (event) => found.push(event.plate));
  const ended = next(player, 'EndOfStream', TIMEOUT_MS);
  await player.connect(plates);
  await player.play();
  await ended;
  report('platedetector-events', { plates: found });
}

/**
 * A WebRtcEndpoint answering a real browser offer: processOffer, a candidate of the
 * kurento-client's IceCandidate type, gatherCandidates and the IceCandidateFound events,
 * ICE kept on loopback through networkInterfaces (no remote peer ever answers).
 */
async function webRtc(pipeline) {
  const endpoint = await pipeline.create('WebRtcEndpoint');
  await endpoint.setNetworkInterfaces('lo');
  const candidates = [];
  endpoint.on('IceCandidateFound', (event) => {
    const c = event.candidate;
    candidates.push({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
  });
  const gathered = next(endpoint, 'IceGatheringDone', TIMEOUT_MS);
  const IceCandidate = kurentoClient.getComplexType('IceCandidate');
  // The browser's candidate goes out before the offer, as in the tutorials.
  await endpoint.addIceCandidate(
    IceCandidate({ candidate: config.webrtcCandidate, sdpMid: '0', sdpMLineIndex: 0 }),
  );
  const answer = await endpoint.processOffer(config.webrtcOffer);
  await endpoint.gatherCandidates();
  await gathered;
  report('webrtc', {
    id: endpoint.id,
    answer,
    candidates,
    networkInterfaces: await endpoint.getNetworkInterfaces(),
    mediaState: await endpoint.getMediaState(),
  });
  await endpoint.release();
}

/**
 * An HttpPostEndpoint: created with a constructor parameter, its URL, a format set through
 * the client's VideoCaps and Fraction types, released.
 */
async function httpPost(pipeline) {
  const endpoint = await pipeline.create('HttpPostEndpoint', { disconnectionTimeout: 5 });
  const VideoCaps = kurentoClient.getComplexType('VideoCaps');
  const Fraction = kurentoClient.getComplexType('Fraction');
  await endpoint.setVideoFormat(
    VideoCaps({ codec: 'RAW', framerate: Fraction({ numerator: 15, denominator: 1 }) }),
  );
  report('httpPost', { id: endpoint.id, url: await endpoint.getUrl() });
  await endpoint.release();
}

/**
 * Hubs through the client's own classes: a Composite, a HubPort from createHubPort and one
 * from pipeline.create, the first feeding the second, the hub's children and dot, a
 * DispatcherOneToMany given a port as its source, and the Composite released with its ports.
 * (kurento-client 7.3 never settles getParent or getMediaPipeline on a port from
 * createHubPort, whatever the server answers: the port from pipeline.create is asked.)
 */
async function hubs(pipeline) {
  const composite = await pipeline.create('Composite');
  const first = await composite.createHubPort();
  const second = await pipeline.create('HubPort', { hub: composite });
  await first.connect(second);
  const dispatcher = await pipeline.create('DispatcherOneToMany');
  await dispatcher.setSource(await dispatcher.createHubPort());
  report('hubs', {
    composite: composite.id,
    ports: [first.id, second.id],
    children: (await composite.getChildren()).map((child) => child.id),
    parent: (await second.getParent()).id,
    sinks: (await first.getSinkConnections()).length,
    dot: (await composite.getGstreamerDot()).includes('compositor'),
  });
  const before = await second.getName();
  await composite.release();
  // kurento-client logs the 40101 of a getter and resolves it with undefined.
  report('hubs-released', { before, after: (await second.getName()) ?? null });
  await dispatcher.release();
}

/**
 * Dispatcher and AlphaBlending through the client's own classes: a Dispatcher routing one
 * port to another (and refusing a port of another hub), an AlphaBlending with a master and
 * a placed port.
 */
async function routingHubs(pipeline) {
  const dispatcher = await pipeline.create('Dispatcher');
  const [from, to] = [await dispatcher.createHubPort(), await dispatcher.createHubPort()];
  await dispatcher.connect(from, to);
  const blending = await pipeline.create('AlphaBlending');
  const [master, placed] = [await blending.createHubPort(), await blending.createHubPort()];
  await blending.setMaster(master, 1);
  await blending.setPortProperties(0.5, 0.25, 2, 0.25, 0.5, placed);
  // kurento-client's Dispatcher.connect resolves its promise even on an error, which only its
  // callback gets.
  const foreign = await new Promise((resolve) => {
    dispatcher.connect(from, placed, (error) => resolve(error ? { message: error.message, code: error.code } : null));
  });
  report('routing-hubs', {
    dispatcher: dispatcher.id,
    blending: blending.id,
    ports: [from.id, to.id, master.id, placed.id],
    foreign,
  });
  await dispatcher.release();
  await blending.release();
}

async function main() {
  for (const dir of config.packages) kurentoClient.register(require(dir));
  const client = await kurentoClient(config.url, { strict: true });
  const manager = await client.getServerManager();
  const pipeline = await client.create('MediaPipeline');
  report('pipeline', { id: pipeline.id });

  await edgeDetect(pipeline);
  if (config.recording) await faceOverlay(pipeline);
  if (config.plateClip) await plateDetector(pipeline);
  if (config.webrtcOffer) await webRtc(pipeline);
  await httpPost(pipeline);
  await hubs(pipeline);
  await routingHubs(pipeline);

  await pipeline.release();
  const pipelines = await manager.getPipelines();
  report('released', { pipelines: pipelines.map((p) => p.id) });
  client.close();
}

run(main, 3 * TIMEOUT_MS);
