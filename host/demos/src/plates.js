// Plate reader: the camera, or a video file chosen on the page (the browser sends it as a
// stream), → WebRtcEndpoint → PlateDetectorFilter (show-debug-info) → back; every
// PlateDetected joins a list; the width slider calls setPlateWidthPercentage.
import { $, describe, frame, invoke, log, registerFilter, showError } from './common.js';
import { Call, filterButtons } from './call.js';
import { PipelineView } from './pipeline.js';

frame();
registerFilter('PlateDetectorFilter', ['PlateDetected']);
const view = new PipelineView();
const call = new Call($('localVideo'), $('remoteVideo'));
let detector = null;
let fileVideo = null;

/** The chosen video file playing in a hidden element, as a stream to send; null for the camera. */
async function fileStream() {
  if (!$('sourceFile').checked) return null;
  const file = $('file').files[0];
  if (!file) throw new Error('Choose a video file first, or pick the camera.');
  fileVideo = document.createElement('video');
  fileVideo.src = URL.createObjectURL(file);
  fileVideo.loop = true;
  fileVideo.muted = true;
  await fileVideo.play();
  return fileVideo.captureStream();
}

async function setWidth() {
  const value = Number($('plateWidth').value);
  $('plateWidthValue').textContent = `${Math.round(value * 100)}%`;
  if (detector) {
    await invoke(detector, 'setPlateWidthPercentage', { plateWidthPercentage: value });
    log(`setPlateWidthPercentage(${value})`);
  }
}

function plateFound(event) {
  const item = document.createElement('li');
  const time = new Date().toLocaleTimeString();
  item.innerHTML = '<time></time> <strong class="plate"></strong> <span class="confidence"></span>';
  item.querySelector('time').textContent = time;
  item.querySelector('.plate').textContent = event.plate;
  item.querySelector('.confidence').textContent = `${Math.round(event.confidence * 100)}% confidence`;
  $('plates').prepend(item);
  log(`PlateDetected ${event.plate}`);
}

$('plateWidth').oninput = () => {
  $('plateWidthValue').textContent = `${Math.round(Number($('plateWidth').value) * 100)}%`;
};
$('plateWidth').onchange = () => setWidth().catch((error) => showError(describe(error)));
$('file').onchange = () => {
  $('sourceFile').checked = true;
};
filterButtons({
  call,
  view,
  stream: fileStream,
  create: async (pipeline) => {
    detector = await pipeline.create('PlateDetectorFilter');
    detector.on('PlateDetected', plateFound);
    await invoke(detector, 'setShowDebugInfo', { showDebugInfo: true });
    await setWidth();
    return ['PlateDetectorFilter', detector];
  },
  stopped: () => {
    detector = null;
    if (fileVideo) {
      fileVideo.pause();
      URL.revokeObjectURL(fileVideo.src);
      fileVideo = null;
    }
  },
});
window.demo = { call, view };
