// Record: camera → WebRtcEndpoint → a chosen filter → back, and the filter → RecorderEndpoint
// (WebM); Stop finalises the file (stopAndWait) and plays it back in the page through
// PlayerEndpoint → a receive-only WebRtcEndpoint.
import { $, clearError, describe, frame, log, showError } from './common.js';
import { Call, reportErrors } from './call.js';
import { fillClassPicker, filterClasses } from './controls.js';
import { PipelineView } from './pipeline.js';

frame();
const view = new PipelineView();
const call = new Call($('localVideo'), $('remoteVideo'));
const playback = new Call(null, $('playbackVideo'));
let recorder = null;
let uri = null;

function status(text) {
  $('status').textContent = text;
  log(text);
}

async function start() {
  clearError();
  $('start').disabled = true;
  await playback.stop().catch(() => {});
  try {
    const className = $('class').value;
    let filter = null;
    uri = `file:///tmp/filmstrip-demo-${Date.now()}.webm`;
    await call.start({
      build: async (pipeline) => {
        filter = await pipeline.create(className);
        recorder = await pipeline.create('RecorderEndpoint', { uri, mediaProfile: 'WEBM' });
        reportErrors(recorder, 'The recorder');
        return [filter];
      },
    });
    await filter.connect(recorder);
    await recorder.record();
    status(`Recording ${className}'s output to ${uri}`);
    await view.attach(
      call.pipeline,
      [['WebRtcEndpoint', call.webRtc], [className, filter], ['RecorderEndpoint', recorder]],
      call.peer.peerConnection,
    );
    $('stop').disabled = false;
  } catch (error) {
    showError(describe(error));
    await call.stop().catch(() => {});
    $('start').disabled = false;
  }
}

/** Stops recording, hangs up, and plays the file back. */
async function stop() {
  $('stop').disabled = true;
  try {
    await recorder.stopAndWait();
    status(`Recorded ${uri}`);
    view.detach();
    await call.stop();
    let player = null;
    await playback.start({
      receiveOnly: true,
      build: async (pipeline) => {
        player = await pipeline.create('PlayerEndpoint', { uri });
        reportErrors(player, 'The player');
        player.on('EndOfStream', () => status('Playback ended'));
        return [player];
      },
    });
    await player.play();
    status('Playing the recording back');
    await view.attach(playback.pipeline, [['PlayerEndpoint', player], ['WebRtcEndpoint', playback.webRtc]], playback.peer.peerConnection);
  } catch (error) {
    showError(describe(error));
  } finally {
    recorder = null;
    $('start').disabled = false;
  }
}

async function load() {
  try {
    fillClassPicker($('class'), await filterClasses(), 'EdgeDetectFilter');
    $('start').disabled = false;
  } catch (error) {
    showError(describe(error));
  }
}

$('start').onclick = start;
$('stop').onclick = stop;
window.demo = { call, playback, view, ready: load() };
