// Drives the demo pages of `filmstrip serve --demos` in headless Chromium, as a person would
// (load, press Start, move a control, press Stop), and measures what each page shows; prints
// one JSON line. Run by tests/tests/demos.rs inside a network namespace holding only `lo`.
//
// Usage: NODE_PATH=<node_modules> node demos.js '<config JSON>'
// config: {
//   filmstrip: path of the filmstrip binary,
//   demos:     the built pages (target/demos),
//   camera:    the Y4M file Chromium's fake camera plays,
//   workdir:   a directory for the browser profile,
//   artefacts: where each page's screenshot goes (<page>.png),
//   readme:    optional directory for the README's small screenshots,
//   faceBox:   the face in the camera's picture, [left, top, right, bottom] fractions (mirror),
//   plateFile: a video the plate reader is given as a file, after the camera (plates),
//   pages:     the pages to check, in order, in one browser: "index", "mirror", "faces",
//              "filters", "record", "plates", "camera-denied" (the magic mirror refused the
//              camera), "server-gone" (the magic mirror once the server stopped: last),
// }
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromiumLaunch } = require('./chromium');
const puppeteer = require('puppeteer-core');

const config = JSON.parse(process.argv[2] || '{}');
const output = { pages: {}, errors: [] };

/** Starts `filmstrip serve --port 0 --demos DIR`; resolves with the process and its origin. */
function startServer(log) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.FILMSTRIP_MODULES_PATH;
    const args = ['serve', '--port', '0', '--demos', config.demos];
    const child = spawn(config.filmstrip, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', (err) => reject(new Error(`cannot start ${config.filmstrip}: ${err.message}`)));
    child.stderr.on('data', (chunk) => log.push(chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const url = /^demo pages at (http:\/\/\S+)\/$/.exec(line.trim());
      if (url) resolve({ child, origin: url[1] });
    });
    child.on('exit', (code) => reject(new Error(`filmstrip serve exited with ${code}: ${log.join('')}`)));
  });
}

/** SIGTERM, as an operator stops it; SIGKILL if it has not stopped 15 s later. */
function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function launchOptions(profile) {
  return chromiumLaunch(profile, config.camera);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` in the page until it returns something truthy; that value, or null after `ms`. */
async function until(page, fn, ms, arg) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > end) return null;
    await sleep(100);
  }
}

/** Clicks Start and returns the ms until the remote video plays, or null after 10 s. */
async function startAndPlay(page, video = 'remoteVideo') {
  await page.waitForSelector('#start:not([disabled])', { timeout: 20000 });
  const clicked = Date.now();
  await page.click('#start');
  const played = await until(
    page,
    (id) => {
      const v = document.getElementById(id);
      return v.currentTime > 0 && !v.paused && v.videoWidth > 0;
    },
    10000,
    video,
  );
  return played ? Date.now() - clicked : null;
}

// Page-side measures, evaluated in the page.

/**
 * Pixels of a video's current picture in `region` ([left, top, right, bottom] fractions)
 * matching a colour test, as a share of the region, and their bounding box.
 */
function colourShare(id, test, region = [0, 0, 1, 1]) {
  const video = document.getElementById(id);
  const { videoWidth: width, videoHeight: height } = video;
  if (!width) return null;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const data = context.getImageData(0, 0, width, height).data;
  const matches = new Function('r', 'g', 'b', `return ${test};`);
  let count = 0;
  let box = [1, 1, 0, 0];
  const [x0, y0, x1, y1] = [region[0] * width, region[1] * height, region[2] * width, region[3] * height].map(Math.round);
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
      const i = (y * width + x) * 4;
      if (!matches(data[i], data[i + 1], data[i + 2])) continue;
      count++;
      box = [Math.min(box[0], x / width), Math.min(box[1], y / height), Math.max(box[2], (x + 1) / width), Math.max(box[3], (y + 1) / height)];
    }
  }
  return { share: count / Math.max(1, (x1 - x0) * (y1 - y0)), box: count ? box : null, width, height };
}

/** The canvas's pure green pixels (the drawn face boxes) as a box in fractions of the video picture. */
function drawnBoxes() {
  const canvas = document.getElementById('boxes');
  const video = document.getElementById('remoteVideo');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let box = null;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const i = (y * canvas.width + x) * 4;
      if (data[i + 3] > 200 && data[i + 1] > 200 && data[i] < 60 && data[i + 2] < 60) {
        box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)] : [x, y, x + 1, y + 1];
      }
    }
  }
  if (!box) return null;
  // The picture's place on the canvas (the video keeps its aspect ratio).
  const scale = Math.min(canvas.width / video.videoWidth, canvas.height / video.videoHeight);
  const left = (canvas.width - video.videoWidth * scale) / 2;
  const top = (canvas.height - video.videoHeight * scale) / 2;
  const w = video.videoWidth * scale;
  const h = video.videoHeight * scale;
  return [(box[0] - left) / w, (box[1] - top) / h, (box[2] - left) / w, (box[3] - top) / h];
}

/**
 * Mean length of runs of equal luma (±2) along rows of the picture's middle (the camera's
 * picture is letterboxed in black): the pixelation's block size.
 */
function runLength(id) {
  const video = document.getElementById(id);
  const { videoWidth: width, videoHeight: height } = video;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const data = context.getImageData(0, 0, width, height).data;
  let runs = 0;
  const [x0, x1] = [Math.round(width * 0.2), Math.round(width * 0.8)];
  for (let y = 0; y < height; y += 4) {
    let last = -10;
    for (let x = x0; x < x1; x++) {
      const i = (y * width + x) * 4;
      const luma = (data[i] * 3 + data[i + 1] * 6 + data[i + 2]) / 10;
      if (Math.abs(luma - last) > 2) runs++;
      last = luma;
    }
  }
  return ((x1 - x0) * Math.ceil(height / 4)) / runs;
}

/** Mean and spread of a video's luma: a black or frozen-grey picture has almost no spread. */
function lumaSpread(id) {
  const video = document.getElementById(id);
  const { videoWidth: width, videoHeight: height } = video;
  if (!width) return null;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const data = context.getImageData(0, 0, width, height).data;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    const luma = (data[i] * 3 + data[i + 1] * 6 + data[i + 2]) / 10;
    sum += luma;
    squares += luma * luma;
  }
  const n = data.length / 4;
  return { mean: sum / n, deviation: Math.sqrt(squares / n - (sum / n) ** 2) };
}

/**
 * Waits for the pipeline view's SVG and its statistics; the SVG's text, the Kurento classes
 * of the elements the view shows, and its statistics rows.
 */
async function pipelineView(page) {
  const drawn = await page
    .waitForSelector('#pipeline-graph svg', { timeout: 20000 })
    .then(() => true)
    .catch(() => false);
  await until(page, () => document.querySelectorAll('#stats tbody tr').length > 0, 5000);
  return page.evaluate((drawn) => ({
    drawn,
    svgText: drawn ? document.querySelector('#pipeline-graph svg').textContent : '',
    elements: window.demo.view.elements.map(([name]) => name),
    stats: [...document.querySelectorAll('#stats tbody tr')].map((row) => row.textContent),
  }), drawn);
}

/**
 * The page's screenshot as a test artefact, and, if asked, a small one for the README of the
 * part of the page from the top of `first` to the bottom of `last` (selectors).
 */
async function screenshots(page, name, first, last = first, size = {}) {
  await page.screenshot({ path: path.join(config.artefacts, `${name}.png`), fullPage: true });
  if (config.readme && first) {
    const [top, bottom] = [await (await page.$(first)).boundingBox(), await (await page.$(last)).boundingBox()];
    const x = Math.min(top.x, bottom.x);
    const width = size.width || Math.max(top.x + top.width, bottom.x + bottom.width) - x;
    const height = size.height ? bottom.y - top.y + size.height : bottom.y + bottom.height - top.y;
    const clip = { x, y: top.y, width, height, scale: Math.min(1, 480 / width) };
    await page.screenshot({ path: path.join(config.readme, `${name}.png`), clip });
  }
}

/** Shows the pipeline graph at its own size, scrolled to the box titled `title`. */
async function zoomGraphTo(page, title) {
  await page.evaluate((title) => {
    document.getElementById('fit-graph').click();
    const graph = document.getElementById('pipeline-graph');
    const label = [...graph.querySelectorAll('text')].find((text) => text.textContent === title);
    const [box, outer] = [label.getBoundingClientRect(), graph.getBoundingClientRect()];
    graph.scrollLeft += box.left - outer.left - 200;
    graph.scrollTop += box.top - outer.top - 40;
  }, title);
}

/** The measures above, defined in the page as `window.measure`. */
const MEASURES = `${[colourShare, drawnBoxes, runLength, lumaSpread].join('\n')}
window.measure = { colourShare, drawnBoxes, runLength, lumaSpread };`;

const CHECKS = {
  async index(page, result) {
    result.links = await page.$$eval('.demos a', (links) => links.map((a) => a.getAttribute('href')));
  },

  async mirror(page, result) {
    result.playingMs = await startAndPlay(page);
    // The hat appears once the filter has found the face and loaded the image.
    // Red (the cap) above the face, and over the head down to the chin (the moved cap).
    const [left, top, right, bottom] = config.faceBox;
    const width = right - left;
    const above = [left - width / 2, 0, right + width / 2, top];
    const head = [left - width / 2, 0, right + width / 2, bottom];
    const red = (region) => `(id) => window.measure.colourShare(id, 'r > 150 && g < 90 && b < 90', ${JSON.stringify(region)})`;
    result.remote = await until(page, (f) => {
      const measured = eval(f)('remoteVideo');
      return measured && measured.share > 0.05 ? measured : null;
    }, 8000, red(above));
    result.local = await page.evaluate((f) => eval(f)('localVideo'), red(above));
    result.remoteHead = await page.evaluate((f) => eval(f)('remoteVideo'), red(head));
    result.pipeline = await pipelineView(page);
    await screenshots(page, 'mirror', '.videos');
    // The Y offset slider moves the hat down onto the face.
    await page.$eval('#offsetY', (slider) => {
      slider.value = '0';
      slider.dispatchEvent(new Event('change'));
    });
    result.moved = await until(page, ([f, above]) => {
      const measured = eval(f)('remoteVideo');
      return measured && measured.box && measured.box[1] > above + 0.1 ? measured : null;
    }, 5000, [red(head), result.remoteHead && result.remoteHead.box ? result.remoteHead.box[1] : 0]);
    await zoomGraphTo(page, 'FaceOverlayFilter');
    await screenshots(page, 'pipeline', '#stats', '#pipeline-graph', { width: 680, height: 360 });
    await page.click('#stop');
  },

  async faces(page, result) {
    result.playingMs = await startAndPlay(page);
    result.faces = await until(page, () => window.demo.faces().length && window.demo.faces(), 10000);
    result.video = await page.evaluate(() => [document.getElementById('remoteVideo').videoWidth, document.getElementById('remoteVideo').videoHeight]);
    result.drawn = await page.evaluate(() => window.measure.drawnBoxes());
    result.pipeline = await pipelineView(page);
    await screenshots(page, 'faces', null);
    await page.click('#stop');
  },

  async filters(page, result) {
    await page.evaluate(() => window.demo.ready);
    result.classes = await page.$$eval('#class option', (options) => options.map((o) => o.value));
    await page.select('#class', 'PixelateFilter');
    result.controls = await page.$$eval('#properties input, #properties select', (inputs) =>
      inputs.map((input) => ({ id: input.id, type: input.type, min: input.min, max: input.max, value: input.value })),
    );
    result.playingMs = await startAndPlay(page);
    await sleep(2000);
    const runs = () => window.measure.runLength('remoteVideo');
    result.runBefore = await page.evaluate(runs);
    await page.$eval('#property-blockSize', (slider) => {
      slider.value = '64';
      slider.dispatchEvent(new Event('change'));
    });
    await sleep(2500);
    result.runAfter = await page.evaluate(runs);
    result.pipeline = await pipelineView(page);
    await screenshots(page, 'filters', null);
    await page.click('#stop');
    // Another class, whose events reach the log.
    await page.waitForSelector('#start:not([disabled])');
    await page.select('#class', 'EdgeDetectFilter');
    result.edgesPlayingMs = await startAndPlay(page);
    await until(page, () => document.querySelectorAll('#events li').length > 0, 10000);
    result.events = await page.$$eval('#events li', (items) => items.map((item) => item.textContent));
    await page.click('#stop');
  },

  async record(page, result) {
    await page.evaluate(() => window.demo.ready);
    result.playingMs = await startAndPlay(page);
    result.recording = await until(page, () => /Recording/.test(document.getElementById('status').textContent), 5000);
    await sleep(3000);
    await page.click('#stop');
    const clicked = Date.now();
    const played = await until(page, () => {
      const v = document.getElementById('playbackVideo');
      return v.currentTime > 0.5 && v.videoWidth > 0;
    }, 15000);
    result.playbackMs = played ? Date.now() - clicked : null;
    result.playback = await page.evaluate(() => window.measure.lumaSpread('playbackVideo'));
    result.status = await page.$eval('#status', (s) => s.textContent);
    result.pipeline = await pipelineView(page);
    await screenshots(page, 'record', null);
  },

  async plates(page, result) {
    result.playingMs = await startAndPlay(page);
    await until(page, () => document.querySelectorAll('#plates li').length > 0, 30000);
    result.plates = await page.$$eval('#plates li', (items) =>
      items.map((item) => ({
        time: item.querySelector('time').textContent,
        plate: item.querySelector('.plate').textContent,
        confidence: item.querySelector('.confidence').textContent,
      })),
    );
    result.pipeline = await pipelineView(page);
    await screenshots(page, 'plates', '.videos', '#plates');
    await page.click('#stop');
    if (!config.plateFile) return;
    // The same scene as a video file chosen on the page, which the browser sends instead.
    await page.waitForSelector('#start:not([disabled])');
    await (await page.$('#file')).uploadFile(config.plateFile);
    result.fileChosen = await page.$eval('#sourceFile', (radio) => radio.checked);
    result.filePlayingMs = await startAndPlay(page);
    const before = result.plates.length;
    await until(page, (n) => document.querySelectorAll('#plates li').length > n, 30000, before);
    result.filePlates = await page.$$eval('#plates li .plate', (items) => items.map((item) => item.textContent));
    result.filePlates = result.filePlates.slice(0, result.filePlates.length - before);
    await page.click('#stop');
  },

  async 'camera-denied'(page, result) {
    // What the browser answers when the person refuses its camera prompt (the fake-media
    // flags grant every request, so the refusal is the page's getUserMedia failing so).
    await page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await page.click('#start');
    result.error = await until(page, () => {
      const banner = document.getElementById('error');
      return !banner.hidden && banner.textContent;
    }, 10000);
  },

  async 'server-gone'(page, result, server) {
    await stopServer(server.child);
    await page.click('#start');
    result.error = await until(page, () => {
      const banner = document.getElementById('error');
      return !banner.hidden && banner.textContent;
    }, 15000);
    await screenshots(page, 'server-gone', null);
  },
};

const FILES = { 'camera-denied': 'mirror', 'server-gone': 'mirror' };

async function main() {
  output.interfaces = Object.keys(os.networkInterfaces());
  const serverLog = [];
  let server = null;
  let browser = null;
  const profile = fs.mkdtempSync(path.join(config.workdir || os.tmpdir(), 'chromium-profile-'));
  fs.mkdirSync(config.artefacts, { recursive: true });
  if (config.readme) fs.mkdirSync(config.readme, { recursive: true });
  try {
    server = await startServer(serverLog);
    browser = await puppeteer.launch(launchOptions(profile));
    for (const name of config.pages) {
      const result = { console: [], errors: [] };
      output.pages[name] = result;
      const page = await browser.newPage();
      await page.setViewport({ width: 1040, height: 900 });
      page.on('console', (msg) => {
        if (msg.type() === 'error') result.errors.push(`console: ${msg.text()}`.slice(0, 400));
        else result.console.push(`${msg.type()}: ${msg.text()}`.slice(0, 200));
      });
      page.on('pageerror', (err) => result.errors.push(`page error: ${err.message}`));
      try {
        await page.goto(`${server.origin}/${FILES[name] || name}.html`, { waitUntil: 'load' });
        await page.evaluate(MEASURES);
        await CHECKS[name](page, result, server);
        result.banner = await page.$eval('#error', (banner) => (banner.hidden ? null : banner.textContent));
      } catch (err) {
        result.errors.push(`driver: ${err.message}`);
        await page.screenshot({ path: path.join(config.artefacts, `${name}-failed.png`), fullPage: true }).catch(() => {});
      }
      await page.close();
    }
  } catch (err) {
    output.errors.push(`driver: ${err.message}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await stopServer(server.child);
    fs.rmSync(profile, { recursive: true, force: true });
    output.serverLog = serverLog.join('').slice(-4000);
  }
}

/** Prints the result and exits once it is written (a pipe may not take it at once). */
function finish(code) {
  process.stdout.write(`${JSON.stringify(output)}\n`, () => process.exit(code));
}

main().then(
  () => finish(0),
  (err) => {
    output.errors.push(`driver: ${err.stack}`);
    finish(1);
  },
);
