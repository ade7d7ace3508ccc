// Face boxes: camera → WebRtcEndpoint → FaceDetectorFilter → back; each FaceDetected event's
// boxes are drawn on a canvas over the remote video.
import { $, frame, log, registerFilter } from './common.js';
import { Call, filterButtons } from './call.js';
import { PipelineView } from './pipeline.js';

frame();
registerFilter('FaceDetectorFilter', ['FaceDetected']);
const view = new PipelineView();
const remote = $('remoteVideo');
const canvas = $('boxes');
const call = new Call($('localVideo'), remote);
let faces = [];

/** The rectangle of the canvas where the video's picture shows (the video keeps its aspect). */
function pictureArea() {
  const { videoWidth: w, videoHeight: h } = remote;
  const scale = Math.min(canvas.width / w, canvas.height / h);
  return { scale, left: (canvas.width - w * scale) / 2, top: (canvas.height - h * scale) / 2 };
}

function draw() {
  canvas.width = remote.clientWidth;
  canvas.height = remote.clientHeight;
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!remote.videoWidth) return;
  const { scale, left, top } = pictureArea();
  context.strokeStyle = '#00ff00';
  context.fillStyle = '#ffff00';
  context.lineWidth = 3;
  context.font = '14px sans-serif';
  faces.forEach((face, i) => {
    const [x, y] = [left + face.x * scale, top + face.y * scale];
    context.strokeRect(x, y, face.width * scale, face.height * scale);
    context.fillText(`face ${i + 1}`, x, Math.max(14, y - 4));
  });
}

remote.addEventListener('resize', draw);
window.addEventListener('resize', draw);
filterButtons({
  call,
  view,
  create: async (pipeline) => {
    const detector = await pipeline.create('FaceDetectorFilter');
    detector.on('FaceDetected', (event) => {
      faces = event.faces;
      $('count').textContent = `${faces.length} face${faces.length === 1 ? '' : 's'}`;
      log(`FaceDetected: ${faces.map((f) => `${f.width}x${f.height} at ${f.x},${f.y}`).join('; ') || 'none'}`);
      draw();
    });
    return ['FaceDetectorFilter', detector];
  },
  stopped: () => {
    faces = [];
    draw();
  },
});
window.demo = { call, view, faces: () => faces };
