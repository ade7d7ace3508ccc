// Drives `filmstrip serve` with the official kurento-client in strict mode through the
// packages `filmstrip js-client` writes for Kurento's example modules (chroma, crowddetector,
// pointerdetector), and the kurento-client built-ins ZBarFilter and ImageOverlayFilter; run by
// tests/tests/kurento_examples.rs, which checks the lines printed here.
//
// Usage: node examples.js CONFIG_JSON (server URL, packages, QR clip, overlay image). Every
// step prints one JSON line {"step": ..., ...}; a failure prints {"step": "failed", ...}.
'use strict';

const kurentoClient = require('kurento-client');
const { failure, report, run } = require('./steps');

const config = JSON.parse(process.argv[2]);
const TIMEOUT_MS = 60000;

/** Whether `object` is an instance of the class the package registered as `name`. */
function generated(object, name) {
  return object.constructor === kurentoClient.register.classes[name];
}

/** A complex type of a registered package, built as Kurento's tutorials build them. */
function complex(name, fields) {
  return kurentoClient.getComplexType(name)(fields);
}

const WINDOW = { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 };

async function chroma(pipeline) {
  // Created as Kurento's chroma tutorial does: the generated class checks the constructor
  // parameters and sends them in constructorParams.
  const window = complex('chroma.WindowParam', WINDOW);
  const filter = await pipeline.create('ChromaFilter', { window, backgroundImage: config.image });
  const checks = {
    badWindow: await failure(() => pipeline.create('ChromaFilter', { window: { width: 'wide' } })),
    missingWindow: await failure(() => pipeline.create('ChromaFilter', { backgroundImage: config.image })),
    missingImageCreate: await failure(() =>
      pipeline.create('ChromaFilter', { window, backgroundImage: '/nonexistent/background.png' })),
    missingImage: await failure(() => filter.setBackground('/nonexistent/background.png')),
  };
  await filter.setBackground(config.image);
  await filter.unsetBackground();
  report('chroma', { id: filter.id, generatedClass: generated(filter, 'chroma.ChromaFilter'), checks });
  await filter.release();
}

async function pointerDetector(pipeline) {
  const fields = { id: 'button', upperRightX: 200, upperRightY: 80, width: 60, height: 60 };
  const windowParam = (extra) =>
    complex('pointerdetector.PointerDetectorWindowMediaParam', Object.assign({}, fields, extra));
  const calibrationRegion = complex('pointerdetector.WindowParam', WINDOW);
  const filter = await pipeline.create('PointerDetectorFilter', {
    calibrationRegion,
    windows: [windowParam({})],
  });
  await filter.addWindow(windowParam({ image: config.image, imageTransparency: 0.5 }));
  await filter.trackColorFromCalibrationRegion();
  const checks = {
    missingId: await failure(() => filter.addWindow({ width: 5, height: 5, upperRightX: 0, upperRightY: 0 })),
    emptyId: await failure(() => filter.addWindow(windowParam({ id: '' }))),
    missingRegion: await failure(() => pipeline.create('PointerDetectorFilter', { windows: [] })),
    emptyIdCreate: await failure(() =>
      pipeline.create('PointerDetectorFilter', { calibrationRegion, windows: [windowParam({ id: '' })] })),
  };
  await filter.removeWindow('button');
  await filter.clearWindows();
  report('pointerdetector', {
    id: filter.id,
    generatedClass: generated(filter, 'pointerdetector.PointerDetectorFilter'),
    checks,
  });
  await filter.release();
}

async function crowdDetector(pipeline) {
  const point = (x, y) => complex('crowddetector.RelativePoint', { x, y });
  const roi = (id) => complex('crowddetector.RegionOfInterest', {
    id,
    points: [point(0, 0), point(0.5, 0), point(0.5, 1), point(0, 1)],
    regionOfInterestConfig: complex('crowddetector.RegionOfInterestConfig',
      { occupancyLevelMin: 20, sendOpticalFlowEvent: true }),
  });
  const rois = [roi('door')];
  const filter = await pipeline.create('CrowdDetectorFilter', { rois });
  await filter.setProcessingWidth(160);
  const checks = {
    badId: await failure(() => pipeline.create('CrowdDetectorFilter', { rois: [roi('1door')] })),
    missingRois: await failure(() => pipeline.create('CrowdDetectorFilter', {})),
  };
  report('crowddetector', {
    id: filter.id,
    generatedClass: generated(filter, 'crowddetector.CrowdDetectorFilter'),
    processingWidth: await filter.getProcessingWidth(),
    checks,
  });
  await filter.release();
}

/** The built-in classes: a QR clip through ZBarFilter and ImageOverlayFilter. */
async function builtIns(pipeline) {
  const player = await pipeline.create('PlayerEndpoint', { uri: config.qrClip });
  const zbar = await pipeline.create('ZBarFilter');
  // kurento-client 7.3 cannot call addImage or removeImage: its serializer replaces any
  // operationParams holding an `id` field by that id (tested over raw JSON-RPC instead).
  const overlay = await pipeline.create('ImageOverlayFilter');
  await player.connect(zbar);
  await zbar.connect(overlay);
  const found = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CodeFound')), TIMEOUT_MS);
    zbar.once('CodeFound', (event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
  await player.play();
  const event = await found;
  report('zbar', { zbarId: zbar.id, overlayId: overlay.id, codeType: event.codeType, value: event.value });
  await player.release();
}

async function main() {
  for (const dir of config.packages) kurentoClient.register(require(dir));
  const client = await kurentoClient(config.url, { strict: true });
  const pipeline = await client.create('MediaPipeline');
  await chroma(pipeline);
  await pointerDetector(pipeline);
  await crowdDetector(pipeline);
  await builtIns(pipeline);
  await pipeline.release();
}

run(main, 3 * TIMEOUT_MS);
