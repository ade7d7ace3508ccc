// The direct path: the canvas camera sent from one RTCPeerConnection to another in the same
// page, loopback ICE, no STUN. What the server-side scenarios add is measured against this.
'use strict';

/** Runs the direct scenario; resolves with its result object (see driver.js). */
window.runScenario = async function (params) {
  const result = { scenario: 'direct', errors: [], steps: [] };
  const videoInput = document.getElementById('videoInput');
  const videoOutput = document.getElementById('videoOutput');
  const image = await Measure.loadImage('/astronaut.png');
  const camera = Measure.canvasCamera(image, 30, Boolean(params.noise));
  videoInput.srcObject = camera.stream;

  const config = { iceServers: [] };
  const sender = new RTCPeerConnection(config);
  const receiver = new RTCPeerConnection(config);
  const candidates = { sender: [], receiver: [] };
  sender.onicecandidate = (e) => {
    if (!e.candidate) return;
    candidates.sender.push(e.candidate.candidate);
    receiver.addIceCandidate(e.candidate).catch((err) => result.errors.push(`receiver addIceCandidate: ${err}`));
  };
  receiver.onicecandidate = (e) => {
    if (!e.candidate) return;
    candidates.receiver.push(e.candidate.candidate);
    sender.addIceCandidate(e.candidate).catch((err) => result.errors.push(`sender addIceCandidate: ${err}`));
  };
  receiver.ontrack = (e) => {
    if (videoOutput.srcObject !== e.streams[0]) videoOutput.srcObject = e.streams[0];
  };
  camera.stream.getTracks().forEach((track) => sender.addTrack(track, camera.stream));

  const offer = await sender.createOffer();
  await sender.setLocalDescription(offer);
  await receiver.setRemoteDescription(offer);
  const answer = await receiver.createAnswer();
  await receiver.setLocalDescription(answer);
  await sender.setRemoteDescription(answer);
  result.steps.push('negotiated');

  result.remotePlayingMs = await Measure.playing(videoOutput, 10000);
  if (result.remotePlayingMs === null) {
    result.errors.push('the received video did not play within 10 s');
  } else {
    result.picture = await Measure.pictureMatch(videoInput, videoOutput);
    result.audio = { remote: await Measure.audioEnergy(videoOutput.srcObject, 1000) };
    result.latency = await Measure.latency(videoOutput, camera, params.latencyMs || 10000);
    result.stats = await Measure.statsWithBitrate(receiver);
  }
  result.candidates = candidates;
  await window.takeScreenshot();
  camera.stop();
  sender.close();
  receiver.close();
  return result;
};
