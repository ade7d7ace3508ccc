// Kurento's browser tutorials against `filmstrip serve`, with exactly their calls
// (kurento-utils WebRtcPeer, kurentoClient(ws_uri), create MediaPipeline and WebRtcEndpoint,
// buffered candidates sent as addIceCandidate before processOffer, processOffer and
// gatherCandidates unawaited), then measured. Scenarios, chosen by `params.scenario`:
//   loopback         camera -> WebRtcEndpoint -> itself (hello world)
//   bandwidth        loopback with the noisy canvas camera, maxVideoSendBandwidth lowered mid-call
//   mirror           camera -> WebRtcEndpoint -> FaceOverlayFilter -> same WebRtcEndpoint
//   record           camera -> WebRtcEndpoint -> RecorderEndpoint (WEBM)
//   player-offer     PlayerEndpoint -> WebRtcEndpoint (server generateOffer) -> browser answer
//   player-recvonly  PlayerEndpoint -> WebRtcEndpoint <- browser recvonly offer
//   close-tab        loopback left running for the driver, which closes the tab mid-call
// `params.canvas` replaces the fake camera with the frame-counter canvas camera and
// `params.latencyMs` then measures glass-to-glass latency; `params.holdMs` (loopback, mirror)
// holds the call that long once media is steady and reports the decoded frame rate and the
// server's CPU (the benchmark).
'use strict';

const videoInput = document.getElementById('videoInput');
const videoOutput = document.getElementById('videoOutput');

/** Appends a line to the page's console, as the tutorials do. */
function log(text) {
  const item = document.createElement('li');
  item.textContent = text;
  document.querySelector('#console ul').appendChild(item);
}

/** One line for a kurento-client or browser error, with the Kurento error code if any. */
function describe(error) {
  if (!error) return 'unknown error';
  const code = error.code !== undefined ? ` (code ${error.code})` : '';
  const message = error.message || (typeof error === 'string' ? error : JSON.stringify(error));
  let hint = '';
  if (error.code === 40108 && /WebRtcEndpoint/.test(message)) {
    hint = ' [the server does not implement WebRtcEndpoint]';
  }
  return `${message}${code}${hint}`;
}

/** What every scenario reports: calls in order, events seen, errors. */
function newResult(scenario) {
  return { scenario, errors: [], steps: [], calls: [], events: {}, sdp: {} };
}

/** Records every event of the 7.x names on `webRtc`; a refused subscription is an error. */
function watchEvents(webRtc, result) {
  const names = [
    'IceGatheringDone',
    'IceComponentStateChanged',
    'NewCandidatePairSelected',
    'ConnectionStateChanged',
    'MediaStateChanged',
    'MediaFlowInStateChanged',
    'MediaFlowOutStateChanged',
  ];
  for (const name of names) {
    webRtc.on(name, (event) => {
      (result.events[name] = result.events[name] || []).push(
        event.newState || event.state || (event.candidatePair ? 'pair' : 'event'),
      );
    });
  }
}

/** Resolves once `pc` has gathered its candidates, or after `timeoutMs`. */
function gathered(pc, timeoutMs) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/**
 * The tutorials' setIceCandidateCallbacks: the browser's candidates (those buffered by
 * kurento-utils first) go to the endpoint, the endpoint's IceCandidateFound to the browser.
 */
function setIceCandidateCallbacks(webRtcPeer, webRtc, result, onError) {
  webRtcPeer.on('icecandidate', (candidate) => {
    result.calls.push('addIceCandidate');
    candidate = kurentoClient.getComplexType('IceCandidate')(candidate);
    webRtc.addIceCandidate(candidate, onError('addIceCandidate'));
  });
  webRtc.on('IceCandidateFound', (event) => {
    (result.events.IceCandidateFound = result.events.IceCandidateFound || []).push(event.candidate.candidate);
    webRtcPeer.addIceCandidate(event.candidate, onError('browser addIceCandidate'));
  });
}

/**
 * The send-and-receive tutorials (hello world, magic mirror, recording): the camera offer,
 * a pipeline with one WebRtcEndpoint, and `connect(client, pipeline, webRtc, done)` to wire
 * it. Resolves once the answer is processed and the wiring done.
 */
function startSendrecv(params, result, camera, connect) {
  return new Promise((resolve, reject) => {
    const session = {};
    let pending = 2; // the answer processed, the elements connected
    const finish = () => {
      if (--pending === 0) resolve(session);
    };
    const onError = (where) => (error) => {
      if (error) {
        result.errors.push(`${where}: ${describe(error)}`);
        reject(new Error(`${where}: ${describe(error)}`));
      }
    };

    const options = {
      localVideo: videoInput,
      remoteVideo: videoOutput,
      configuration: { iceServers: params.ice_servers },
    };
    if (camera) {
      options.videoStream = camera.stream;
    }
    session.webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (error) {
      if (error) return onError('WebRtcPeerSendrecv')(error);
      this.generateOffer(onOffer);
    });

    function onOffer(error, sdpOffer) {
      if (error) return onError('generateOffer')(error);
      result.sdp.offer = sdpOffer;
      // The tutorials race the browser's gathering against the pipeline's creation; on a
      // loaded machine the pipeline may win, and then no candidate precedes processOffer.
      // Waiting for gathering (at most 2 s) makes "candidates before processOffer" certain.
      gathered(session.webRtcPeer.peerConnection, 2000).then(() => connectToServer(sdpOffer));
    }

    function connectToServer(sdpOffer) {
      kurentoClient(params.ws_uri, (error, client) => {
        if (error) return onError('kurentoClient')(error);
        session.client = client;
        client.create('MediaPipeline', (error, pipeline) => {
          if (error) return onError('create MediaPipeline')(error);
          log('Got MediaPipeline');
          result.steps.push('MediaPipeline created');
          session.pipeline = pipeline;
          pipeline.create('WebRtcEndpoint', (error, webRtc) => {
            if (error) return onError('create WebRtcEndpoint')(error);
            result.steps.push('WebRtcEndpoint created');
            session.webRtc = webRtc;
            watchEvents(webRtc, result);
            setIceCandidateCallbacks(session.webRtcPeer, webRtc, result, onError);

            result.calls.push('processOffer');
            webRtc.processOffer(sdpOffer, (error, sdpAnswer) => {
              if (error) return onError('processOffer')(error);
              log('SDP answer obtained. Processing...');
              result.steps.push('answer received');
              result.sdp.answer = sdpAnswer;
              session.webRtcPeer.processAnswer(sdpAnswer, (error) => {
                if (error) return onError('processAnswer')(error);
                result.steps.push('answer processed');
                finish();
              });
            });
            result.calls.push('gatherCandidates');
            webRtc.gatherCandidates(onError('gatherCandidates'));

            connect(client, pipeline, webRtc, (error) => {
              if (error) return onError('connect')(error);
              result.steps.push('connected');
              finish();
            });
          });
        });
      });
    }
  });
}

/** Releases what a scenario made; errors here are reported, not thrown. */
async function stop(session, result) {
  try {
    await window.takeScreenshot();
    if (session.webRtcPeer) session.webRtcPeer.dispose();
    if (session.pipeline) await session.pipeline.release();
    if (session.client) session.client.close();
  } catch (error) {
    result.errors.push(`release: ${describe(error)}`);
  }
}

/**
 * Waits up to 10 s for the remote video to play; when it does not, reports what the browser
 * got, to tell "nothing arrived" from "arrived but not decoded".
 */
async function remotePlays(result, session) {
  const pc = session.webRtcPeer.peerConnection;
  result.remotePlayingMs = await Measure.playing(videoOutput, 10000);
  if (result.remotePlayingMs !== null) return true;
  result.stats = await Measure.stats(pc);
  result.errors.push(
    `the remote video did not play within 10 s (ICE ${pc.iceConnectionState}, ` +
      `connection ${pc.connectionState}, video received ${JSON.stringify(result.stats.video)})`,
  );
  return false;
}

/** Measures the remote audio, the latency when the canvas camera runs, and the statistics. */
async function measureMedia(result, session, params, camera) {
  if (params.holdMs) {
    // The first seconds ramp up (key frames, bitrate): hold from when they are over.
    await Measure.sleep(params.settleMs || 3000);
    result.hold = await Measure.hold(session.webRtcPeer.peerConnection, params.holdMs);
  }
  // Firefox in a machine without a sound device never starts an AudioContext: there the
  // received audio is judged by getStats alone (`params.noWebAudio`).
  result.audio = params.noWebAudio
    ? null
    : {
        remote: await Measure.audioEnergy(videoOutput.srcObject, 2000),
        local: videoInput.srcObject ? await Measure.audioEnergy(videoInput.srcObject, 500) : null,
      };
  if (camera && params.latencyMs) {
    result.latency = await Measure.latency(videoOutput, camera, params.latencyMs);
  }
  result.stats = await Measure.statsWithBitrate(session.webRtcPeer.peerConnection);
}

/** Both of the above, for the scenarios with nothing else to check first. */
async function measureRemote(result, session, params, camera) {
  if (!(await remotePlays(result, session))) return false;
  await measureMedia(result, session, params, camera);
  return true;
}

/** The canvas camera when `params.canvas` asks for it, drawing the astronaut picture. */
async function maybeCanvasCamera(params) {
  if (!params.canvas) return null;
  return Measure.canvasCamera(await Measure.loadImage('/astronaut.png'), 30, Boolean(params.noise));
}

async function loopback(params, result) {
  const camera = await maybeCanvasCamera(params);
  let session = {};
  try {
    session = await startSendrecv(params, result, camera, (client, pipeline, webRtc, done) => {
      webRtc.connect(webRtc, done);
    });
    if (await measureRemote(result, session, params, camera)) {
      result.picture = await Measure.pictureMatch(videoInput, videoOutput);
    }
    // The media path, to tell whether the video was decoded and encoded again.
    result.dot = await session.pipeline.getGstreamerDot();
  } finally {
    if (camera) camera.stop();
    await stop(session, result);
  }
}

/**
 * Loopback, then `setMaxVideoSendBandwidth(params.limitKbps)` mid-call: the video bitrate the
 * browser receives, before and after (the noisy canvas camera keeps the encoder busy).
 */
async function bandwidth(params, result) {
  const camera = Measure.canvasCamera(await Measure.loadImage('/astronaut.png'), 30, true);
  let session = {};
  try {
    session = await startSendrecv(params, result, camera, (client, pipeline, webRtc, done) => {
      webRtc.connect(webRtc, done);
    });
    if (!(await remotePlays(result, session))) return;
    const pc = session.webRtcPeer.peerConnection;
    // Let the bitrate ramp up first.
    await Measure.sleep(params.rampMs || 5000);
    const before = await Measure.statsWithBitrate(pc, 3000);
    await session.webRtc.setMaxVideoSendBandwidth(params.limitKbps);
    // The received bitrate second by second after the change, to see when it settles.
    const series = [];
    let last = await Measure.stats(pc);
    for (let second = 0; second < (params.watchMs || 10000) / 1000; second++) {
      await Measure.sleep(1000);
      const now = await Measure.stats(pc);
      series.push(((now.video.bytesReceived - last.video.bytesReceived) * 8) / 1000);
      last = now;
    }
    // The end of the first second from which on every second is within 20% of the limit.
    let settled = null;
    for (let i = series.length - 1; i >= 0; i--) {
      if (Math.abs(series[i] - params.limitKbps) > 0.2 * params.limitKbps) break;
      settled = (i + 1) * 1000;
    }
    const after = last;
    result.bandwidth = {
      limitKbps: params.limitKbps,
      beforeKbps: before.videoBitrate / 1000,
      afterKbps: series.slice(-3).reduce((a, b) => a + b, 0) / 3,
      seriesKbps: series,
      settledAfterMs: settled,
    };
    result.stats = after;
  } finally {
    camera.stop();
    await stop(session, result);
  }
}

async function mirror(params, result) {
  const camera = await maybeCanvasCamera(params);
  let session = {};
  try {
    session = await startSendrecv(params, result, camera, (client, pipeline, webRtc, done) => {
      pipeline.create('FaceOverlayFilter', (error, filter) => {
        if (error) return done(error);
        result.steps.push('FaceOverlayFilter created');
        filter.setOverlayedImage(params.hat_uri, -0.35, -1.2, 1.6, 1.6, (error) => {
          if (error) return done(error);
          log('Set overlay image');
          result.steps.push('overlay image set');
          // The tutorial calls client.connect(webRtc, filter, webRtc), which sends both
          // connects at once (async.each). kurento-client 7.3 loses the second one: its
          // disguise() getters all return the last property (a `var` captured in a loop), so
          // the filter it chains through has no id and the callback never comes. Send the
          // same two requests back to back ourselves.
          let pending = 2;
          const connected = (error) => {
            if (error) return done(error);
            if (--pending > 0) return;
            log('WebRtcEndpoint --> filter --> WebRtcEndpoint');
            done();
          };
          webRtc.connect(filter, connected);
          filter.connect(webRtc, connected);
        });
      });
    });
    if (!(await remotePlays(result, session))) return;
    // The hat must show in the remote picture within 5 s of it playing.
    const start = performance.now();
    let remote = Measure.colours(videoOutput);
    while (remote.green < 0.005 && performance.now() - start < 5000) {
      await Measure.sleep(100);
      remote = Measure.colours(videoOutput);
    }
    result.overlay = {
      firstGreenMs: remote.green >= 0.005 ? performance.now() - start : null,
      remote,
      local: Measure.colours(videoInput),
    };
    // The local picture never gets the hat: check it a few more times.
    for (let i = 0; i < 10; i++) {
      await Measure.sleep(100);
      const local = Measure.colours(videoInput);
      if (local.green > result.overlay.local.green) result.overlay.local = local;
    }
    await measureMedia(result, session, params, camera);
  } finally {
    if (camera) camera.stop();
    await stop(session, result);
  }
}

async function record(params, result) {
  let session = {};
  let recorder = null;
  try {
    session = await startSendrecv(params, result, null, (client, pipeline, webRtc, done) => {
      pipeline.create('RecorderEndpoint', { uri: params.recording_uri, mediaProfile: 'WEBM' }, (error, created) => {
        if (error) return done(error);
        result.steps.push('RecorderEndpoint created');
        recorder = created;
        webRtc.connect(recorder, done);
      });
    });
    // Record once the browser sends: its ICE connection is up.
    const pc = session.webRtcPeer.peerConnection;
    const start = performance.now();
    while (!['connected', 'completed'].includes(pc.iceConnectionState) && performance.now() - start < 10000) {
      await Measure.sleep(50);
    }
    result.iceConnectionState = pc.iceConnectionState;
    if (!['connected', 'completed'].includes(pc.iceConnectionState)) {
      result.errors.push(`ICE did not connect within 10 s (${pc.iceConnectionState})`);
      return;
    }
    await recorder.record();
    const recordStart = performance.now();
    await Measure.sleep(params.recordMs || 5000);
    // The time recorded ends when stop is asked for; finalising the file comes after.
    const recordedMs = performance.now() - recordStart;
    await recorder.stopAndWait();
    result.recorder = { recordedMs, stopMs: performance.now() - recordStart - recordedMs };
    result.stats = await Measure.stats(pc);
    result.dot = await session.pipeline.getGstreamerDot();
  } finally {
    await stop(session, result);
  }
}

/** PlayerEndpoint -> WebRtcEndpoint; the server offers, the browser's own RTCPeerConnection answers. */
async function playerOffer(params, result) {
  const session = {};
  try {
    const pc = new RTCPeerConnection({ iceServers: params.ice_servers });
    // measureRemote reads stats through a kurento-utils-shaped object.
    session.webRtcPeer = { peerConnection: pc, dispose: () => pc.close() };
    pc.ontrack = (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (!videoOutput.srcObject) videoOutput.srcObject = stream;
      else if (videoOutput.srcObject !== stream) videoOutput.srcObject.addTrack(event.track);
    };
    session.client = await kurentoClient(params.ws_uri);
    session.pipeline = await session.client.create('MediaPipeline');
    const player = await session.pipeline.create('PlayerEndpoint', { uri: params.clip_uri });
    let webRtc;
    try {
      webRtc = await session.pipeline.create('WebRtcEndpoint');
    } catch (error) {
      throw new Error(`create WebRtcEndpoint: ${describe(error)}`);
    }
    watchEvents(webRtc, result);
    await player.connect(webRtc);
    webRtc.on('IceCandidateFound', (event) => {
      (result.events.IceCandidateFound = result.events.IceCandidateFound || []).push(event.candidate.candidate);
      pc.addIceCandidate(event.candidate).catch((error) => result.errors.push(`browser addIceCandidate: ${error}`));
    });
    pc.onicecandidate = (event) => {
      if (!event.candidate) return;
      result.calls.push('addIceCandidate');
      const candidate = kurentoClient.getComplexType('IceCandidate')(event.candidate.toJSON());
      webRtc.addIceCandidate(candidate).catch((error) => result.errors.push(`addIceCandidate: ${describe(error)}`));
    };
    result.calls.push('generateOffer');
    const offer = await webRtc.generateOffer();
    result.sdp.offer = offer;
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    result.sdp.answer = answer.sdp;
    result.calls.push('processAnswer');
    await webRtc.processAnswer(answer.sdp);
    result.calls.push('gatherCandidates');
    await webRtc.gatherCandidates();
    await player.play();
    await measurePlayer(result, session, params);
  } catch (error) {
    result.errors.push(error.message || describe(error));
  } finally {
    await stop(session, result);
  }
}

/** PlayerEndpoint -> WebRtcEndpoint with the tutorial player's calls: a recvonly browser offer. */
async function playerRecvonly(params, result) {
  let session = {};
  try {
    session = await new Promise((resolve, reject) => {
      const session = {};
      const onError = (where) => (error) => {
        if (error) reject(new Error(`${where}: ${describe(error)}`));
      };
      const options = { remoteVideo: videoOutput, configuration: { iceServers: params.ice_servers } };
      session.webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (error) {
        if (error) return onError('WebRtcPeerRecvonly')(error);
        this.generateOffer(onOffer);
      });
      function onOffer(error, sdpOffer) {
        if (error) return onError('generateOffer')(error);
        result.sdp.offer = sdpOffer;
        kurentoClient(params.ws_uri, (error, client) => {
          if (error) return onError('kurentoClient')(error);
          session.client = client;
          client.create('MediaPipeline', (error, pipeline) => {
            if (error) return onError('create MediaPipeline')(error);
            session.pipeline = pipeline;
            pipeline.create('PlayerEndpoint', { uri: params.clip_uri }, (error, player) => {
              if (error) return onError('create PlayerEndpoint')(error);
              pipeline.create('WebRtcEndpoint', (error, webRtc) => {
                if (error) return onError('create WebRtcEndpoint')(error);
                watchEvents(webRtc, result);
                setIceCandidateCallbacks(session.webRtcPeer, webRtc, result, onError);
                result.calls.push('processOffer');
                webRtc.processOffer(sdpOffer, (error, sdpAnswer) => {
                  if (error) return onError('processOffer')(error);
                  result.sdp.answer = sdpAnswer;
                  session.webRtcPeer.processAnswer(sdpAnswer, onError('processAnswer'));
                });
                result.calls.push('gatherCandidates');
                webRtc.gatherCandidates(onError('gatherCandidates'));
                player.connect(webRtc, (error) => {
                  if (error) return onError('connect')(error);
                  player.play((error) => {
                    if (error) return onError('play')(error);
                    resolve(session);
                  });
                });
              });
            });
          });
        });
      }
    });
    await measurePlayer(result, session, params);
  } catch (error) {
    result.errors.push(error.message);
  } finally {
    await stop(session, result);
  }
}

/**
 * Loopback left running: once the remote video plays, the call's ids go to the driver,
 * which watches the endpoint from its own connection and then closes this tab mid-call.
 */
async function closeTab(params, result) {
  const session = await startSendrecv(params, result, null, (client, pipeline, webRtc, done) => {
    webRtc.connect(webRtc, done);
  });
  if (!(await remotePlays(result, session))) {
    await stop(session, result);
    return;
  }
  result.ids = { pipeline: session.pipeline.id, webRtc: session.webRtc.id };
  // For the driver, while the call runs on.
  window.callStats = () => Measure.stats(session.webRtcPeer.peerConnection);
}

/** The player scenarios' measures: playing, the clip's colour bars, frames decoded. */
async function measurePlayer(result, session, params) {
  if (!(await measureRemote(result, session, params, null))) return;
  result.bars = Measure.rowColours(videoOutput, 7);
  result.remoteSize = [videoOutput.videoWidth, videoOutput.videoHeight];
}

/** The harness itself: kurento-client in the page creates and releases a pipeline. */
async function client(params, result) {
  const client = await kurentoClient(params.ws_uri);
  const pipeline = await client.create('MediaPipeline');
  log('Got MediaPipeline');
  const passThrough = await pipeline.create('PassThrough');
  result.created = [pipeline.id, passThrough.id];
  await pipeline.release();
  client.close();
}

const SCENARIOS = {
  client,
  loopback,
  bandwidth,
  mirror,
  record,
  'player-offer': playerOffer,
  'player-recvonly': playerRecvonly,
  'close-tab': closeTab,
};

/** Runs `params.scenario`; resolves with its result object (see driver.js). */
window.runScenario = async function (params) {
  const result = newResult(params.scenario);
  // The driver reads this when the scenario does not finish in time.
  window.currentResult = result;
  const scenario = SCENARIOS[params.scenario];
  if (!scenario) {
    result.errors.push(`unknown scenario ${params.scenario}`);
    return result;
  }
  try {
    await scenario(params, result);
  } catch (error) {
    const message = error.message || describe(error);
    if (!result.errors.includes(message)) result.errors.push(message);
  }
  result.log = [...document.querySelectorAll('#console li')].map((li) => li.textContent);
  return result;
};
