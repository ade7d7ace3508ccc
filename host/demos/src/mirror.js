// Magic mirror: camera → WebRtcEndpoint → FaceOverlayFilter → back, with a choice of
// overlays drawn by build.js and the overlay's place around the face box as sliders.
import { $, describe, frame, log, showError } from './common.js';
import { Call, filterButtons } from './call.js';
import { PipelineView } from './pipeline.js';

/** Each overlay and where it goes, in face-box widths and heights (Kurento's offsets). */
const OVERLAYS = {
  hat: [-0.35, -1.2, 1.6, 1.6],
  crown: [-0.1, -0.95, 1.2, 0.9],
  glasses: [0.0, 0.2, 1.0, 0.4],
};
const SLIDERS = ['offsetX', 'offsetY', 'width', 'height'];

frame();
const view = new PipelineView();
const call = new Call($('localVideo'), $('remoteVideo'));
let filter = null;

function choose(name) {
  OVERLAYS[name].forEach((value, i) => {
    $(SLIDERS[i]).value = value;
  });
  showValues();
}

function showValues() {
  for (const id of SLIDERS) $(`${id}Value`).textContent = Number($(id).value).toFixed(2);
}

/** setOverlayedImage with the chosen overlay and the sliders' offsets. */
async function apply() {
  if (!filter) return;
  const uri = new URL(`overlays/${$('overlay').value}.png`, location.href).href;
  const [x, y, w, h] = SLIDERS.map((id) => Number($(id).value));
  await filter.setOverlayedImage(uri, x, y, w, h);
  log(`setOverlayedImage(${$('overlay').value}, ${x}, ${y}, ${w}, ${h})`);
}

$('overlay').onchange = () => {
  choose($('overlay').value);
  apply().catch((error) => showError(describe(error)));
};
for (const id of SLIDERS) {
  $(id).oninput = showValues;
  $(id).onchange = () => apply().catch((error) => showError(describe(error)));
}
filterButtons({
  call,
  view,
  create: async (pipeline) => {
    filter = await pipeline.create('FaceOverlayFilter');
    await apply();
    return ['FaceOverlayFilter', filter];
  },
  stopped: () => {
    filter = null;
  },
});
choose('hat');
window.demo = { call, view };
