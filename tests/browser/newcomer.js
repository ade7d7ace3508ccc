// How long a newcomer waits: runs `cargo xtask demo` and, with a headless Chromium already
// open (a person's browser is), loads the magic mirror as soon as the demo prints the pages'
// URL, presses Start and waits for the remote video to play; prints when each step happened,
// in seconds from the start of `cargo xtask demo`, as one JSON line. The time a person takes
// to click is not counted.
//
// Port 8888 is the demo's; run it in a namespace of its own so that it takes no port of the
// machine's, e.g. from the repository root:
//   NODE_PATH=target/webrtc-browser-js/node_modules unshare -n sh -c \
//     'ip link set lo up && exec node tests/browser/newcomer.js "$0"' /tmp/face.y4m
// (the Y4M as in tests/browser/README.md; the build must be warm: nothing to fetch).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromiumLaunch } = require('./chromium');
const puppeteer = require('puppeteer-core');

const camera = process.argv[2];
const started = Date.now();
const seconds = () => (Date.now() - started) / 1000;
const steps = {};

async function main() {
  const demo = spawn('cargo', ['xtask', 'demo'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise((resolve, reject) => {
    demo.on('exit', (code) => reject(new Error(`cargo xtask demo exited with ${code}`)));
    for (const stream of [demo.stdout, demo.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (/^xtask: node host\/demos\/build.js/.test(line)) steps.pagesBuildStarted = seconds();
        if (/filmstrip list$/.test(line)) steps.fileDemoStarted = seconds();
        if (/serve --bind/.test(line)) steps.serveStarted = seconds();
        const served = /^demo pages at (http:\S+)$/.exec(line.trim());
        if (served) resolve(served[1]);
      });
    }
  });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'newcomer-'));
  const browser = await puppeteer.launch(chromiumLaunch(profile, camera));
  try {
    const page = await browser.newPage();
    const origin = await url;
    steps.urlPrinted = seconds();
    await page.goto(`${origin}mirror.html`, { waitUntil: 'load' });
    steps.pageLoaded = seconds();
    await page.click('#start');
    await page.waitForFunction(
      () => {
        const v = document.getElementById('remoteVideo');
        return v.currentTime > 0 && !v.paused && v.videoWidth > 0;
      },
      { timeout: 30000, polling: 50 },
    );
    steps.mirrorPlaying = seconds();
  } catch (error) {
    steps.banner = await browser.pages().then(([, page]) => page && page.$eval('#error', (e) => e.textContent)).catch(() => null);
    throw error;
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
    // The demo's process group: cargo, xtask and the server, as Ctrl-C would.
    process.kill(-demo.pid, 'SIGINT');
  }
  process.stdout.write(`${JSON.stringify(steps)}\n`);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ ...steps, error: error.message })}\n`);
  process.exitCode = 1;
});
