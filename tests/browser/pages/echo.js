// The benchmark's reference call: the page's own RTCPeerConnection sends the camera to the
// webrtcbin echo (tests/examples/webrtc_echo.rs), which decodes it and encodes it back.
// Signalling is one message each way over `params.ws_uri`, every candidate in the SDP.
// `params.offerOnly` stops after gathering and returns the offer (the memory benchmark's
// real Chrome offer); `params.canvas` and `latencyMs`, `holdMs` as in kurento.js.
'use strict';

/** Resolves once `pc` has gathered all its candidates, or after `ms`. */
function gathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/**
 * Sends `offer` over a new WebSocket to `url` (`forward`: the echo sends the frames back as
 * they came instead of decoding and encoding them); resolves with the answer and the socket.
 */
function signal(url, offer, forward) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onerror = () => reject(new Error(`WebSocket ${url} failed`));
    socket.onopen = () => socket.send(JSON.stringify({ offer, forward }));
    socket.onmessage = (event) => resolve({ answer: JSON.parse(event.data).answer, socket });
  });
}

window.runScenario = async function (params) {
  const result = { scenario: params.scenario, errors: [], steps: [] };
  window.currentResult = result;
  const videoInput = document.getElementById('videoInput');
  const videoOutput = document.getElementById('videoOutput');
  let camera = null;
  let stream;
  if (params.canvas) {
    camera = Measure.canvasCamera(await Measure.loadImage('/astronaut.png'), 30, Boolean(params.noise));
    stream = camera.stream;
  } else {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  }
  videoInput.srcObject = stream;
  const pc = new RTCPeerConnection({ iceServers: [] });
  stream.getTracks().forEach((track) => pc.addTrack(track, stream));
  pc.ontrack = (event) => {
    const remote = event.streams[0] || new MediaStream([event.track]);
    if (!videoOutput.srcObject) videoOutput.srcObject = remote;
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 5000);
  result.offer = pc.localDescription.sdp;
  let socket = null;
  try {
    if (params.offerOnly) return result;
    const signalled = await signal(params.ws_uri, pc.localDescription.sdp, Boolean(params.forward));
    socket = signalled.socket;
    result.answer = signalled.answer;
    await pc.setRemoteDescription({ type: 'answer', sdp: signalled.answer });
    result.steps.push('negotiated');
    result.remotePlayingMs = await Measure.playing(videoOutput, 10000);
    if (result.remotePlayingMs === null) {
      result.errors.push(`the echoed video did not play within 10 s (ICE ${pc.iceConnectionState})`);
      return result;
    }
    if (params.holdMs) {
      await Measure.sleep(params.settleMs || 3000);
      result.hold = await Measure.hold(pc, params.holdMs);
    }
    if (camera && params.latencyMs) {
      result.latency = await Measure.latency(videoOutput, camera, params.latencyMs);
    }
    result.stats = await Measure.stats(pc);
  } finally {
    if (camera) camera.stop();
    stream.getTracks().forEach((track) => track.stop());
    pc.close();
    if (socket) socket.close();
  }
  return result;
};
