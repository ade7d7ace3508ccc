// One call between the page and the server: the browser's WebRtcPeer (kurento-utils) and a
// pipeline with a WebRtcEndpoint, in Kurento's tutorial order (offer, pipeline, endpoint,
// candidates both ways, processOffer, gatherCandidates, connections, answer).
/* global kurentoClient, kurentoUtils */
import { $, clearError, connect, describe, iceServers, log, showError } from './common.js';

/** kurento-utils' callback API as a promise. */
function peer(kind, options) {
  return new Promise((resolve, reject) => {
    const created = kurentoUtils.WebRtcPeer[kind](options, (error) => (error ? reject(error) : resolve(created)));
  });
}

/** Resolves once `pc` gathered its candidates, or after `ms` (loopback takes a few ms). */
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

/** Shows an element's `Error` events as readable messages. */
export function reportErrors(object, what) {
  object.on('Error', (error) => {
    showError(`${what} failed: ${error.description || JSON.stringify(error)}`);
  });
}

export class Call {
  /**
   * `local` and `remote` are the page's video elements (`local` may be null for a call
   * that only receives).
   */
  constructor(local, remote) {
    this.local = local;
    this.remote = remote;
    this.client = null;
    this.pipeline = null;
    this.webRtc = null;
    this.peer = null;
  }

  /**
   * Starts the call. `build(pipeline, webRtc)` creates the page's elements and resolves with
   * them in order: sending, the browser's media goes webRtc → first → ... → last → webRtc
   * (an empty list is a loopback); receiving only (`receiveOnly`), first → webRtc.
   * `stream`, if given, is sent instead of the camera (e.g. a video file playing).
   */
  async start({ build, stream = null, receiveOnly = false, client = null }) {
    const options = {
      remoteVideo: this.remote,
      configuration: { iceServers: iceServers() },
      mediaConstraints: { audio: true, video: { width: 640, height: 480, frameRate: 30 } },
    };
    if (this.local && !receiveOnly) options.localVideo = this.local;
    if (stream) options.videoStream = stream;
    this.peer = await peer(receiveOnly ? 'WebRtcPeerRecvonly' : 'WebRtcPeerSendrecv', options);
    const offer = await new Promise((resolve, reject) =>
      this.peer.generateOffer((error, sdp) => (error ? reject(error) : resolve(sdp))),
    );
    await gathered(this.peer.peerConnection, 1000);
    this.ownClient = !client;
    this.client = client || (await connect());
    this.pipeline = await this.client.create('MediaPipeline');
    reportErrors(this.pipeline, 'The pipeline');
    log('Got MediaPipeline');
    this.webRtc = await this.pipeline.create('WebRtcEndpoint');
    reportErrors(this.webRtc, 'The WebRtcEndpoint');
    this.peer.on('icecandidate', (candidate) => {
      this.webRtc.addIceCandidate(kurentoClient.getComplexType('IceCandidate')(candidate)).catch((error) =>
        showError(`addIceCandidate: ${describe(error)}`),
      );
    });
    this.webRtc.on('IceCandidateFound', (event) => {
      this.peer.addIceCandidate(event.candidate, (error) => error && showError(`ICE: ${describe(error)}`));
    });
    this.elements = await build(this.pipeline, this.webRtc);
    const answer = await this.webRtc.processOffer(offer);
    log('SDP answer obtained. Processing...');
    await this.webRtc.gatherCandidates();
    if (receiveOnly) {
      await this.elements[0].connect(this.webRtc);
    } else {
      let previous = this.webRtc;
      for (const element of [...this.elements, this.webRtc]) {
        await previous.connect(element);
        previous = element;
      }
    }
    log(`${['WebRtcEndpoint', ...this.elements.map((e) => e.constructor.name)].join(' → ')} connected`);
    await new Promise((resolve, reject) =>
      this.peer.processAnswer(answer, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Hangs up and releases the pipeline; safe to call twice or after a failed start. */
  async stop() {
    const { peer: webRtcPeer, pipeline, client } = this;
    this.peer = this.pipeline = this.webRtc = null;
    if (webRtcPeer) webRtcPeer.dispose();
    if (this.remote) this.remote.srcObject = null;
    if (this.local) this.local.srcObject = null;
    try {
      if (pipeline) await pipeline.release();
    } finally {
      if (client && this.ownClient) client.close();
      this.client = null;
    }
  }
}

/**
 * The Start and Stop buttons of a page whose call goes through one filter: the camera (or
 * what `stream()` resolves with) → WebRtcEndpoint → filter → back, with `view` (a
 * PipelineView) attached while it runs. `create(pipeline)` makes the filter and resolves with
 * `[className, filter]`; `stopped()` resets the page's own state. A failure is shown on the
 * page and ends the call.
 */
export function filterButtons({ call, view, create, stream = async () => null, stopped = () => {} }) {
  async function stop() {
    $('stop').disabled = true;
    stopped();
    view.detach();
    await call.stop().catch((error) => showError(describe(error)));
    $('start').disabled = false;
  }

  async function start() {
    clearError();
    $('start').disabled = true;
    try {
      let name = null;
      let filter = null;
      await call.start({
        stream: await stream(),
        build: async (pipeline) => {
          [name, filter] = await create(pipeline);
          return [filter];
        },
      });
      await view.attach(call.pipeline, [['WebRtcEndpoint', call.webRtc], [name, filter]], call.peer.peerConnection);
      $('stop').disabled = false;
    } catch (error) {
      showError(describe(error));
      await stop();
    }
  }

  $('start').onclick = start;
  $('stop').onclick = stop;
}

/** Resolves with the ms until `video` plays (its time advances), or null after `ms`. */
export function playing(video, ms) {
  const start = performance.now();
  return new Promise((resolve) => {
    const check = () => {
      if (video.currentTime > 0 && !video.paused && video.videoWidth > 0) return resolve(performance.now() - start);
      if (performance.now() - start > ms) return resolve(null);
      setTimeout(check, 50);
    };
    check();
  });
}
