// Runs one browser scenario end to end and prints its result as one JSON line.
//
// It starts, all on loopback: `filmstrip serve --port 0` (unless the scenario needs no
// server), a static HTTP server for the pages, the kurento-client bundle and the test's
// files, and headless Chromium (puppeteer-core, Debian's /usr/bin/chromium) with a fake
// camera and microphone; opens the scenario's page and calls its `runScenario(params)`.
// The Rust tests run it inside a private network namespace whose only interface is `lo`.
//
// Usage: NODE_PATH=<node_modules> node driver.js '<config JSON>'
// config: {
//   scenario:  "direct" | "loopback" | "mirror" | "record" | "player-offer" | "player-recvonly"
//              | "close-tab" (loopback, then the driver closes the tab mid-call and watches
//              the endpoint from a connection of its own),
//   filmstrip: path of the filmstrip binary (not needed for "direct"),
//   browser:   "chromium" (default) or "firefox" (Debian's firefox-esr, its own fake media),
//   bundle:    path of the kurento-client + kurento-utils browser bundle (build.js),
//   camera:    path of the Y4M file Chromium's fake camera plays,
//   files:     { "/url-path": "file path", ... } served as well (e.g. "/hat.png"),
//   workdir:   a directory for the browser profile,
//   params:    more parameters for the page,
//   timeoutMs: how long the page may take (default 60000),
//   screenshot: optional path of a PNG of the page taken just before it hangs up,
//   pages:     how many pages run the scenario at once (default 1; more report `pageResults`),
// }
// Benchmark scenarios: "echo" (pages/echo.html against the binary given as `filmstrip`,
// e.g. the webrtcbin echo example, started the same way) and "memory" (a real Chrome offer
// from pages/echo.html, then `params.endpoints` WebRtcEndpoints negotiated with it over
// JSON-RPC and the server's resident memory before and after). Pages may call
// `serverCpu()` for the server's CPU clock ticks (see `Measure.hold`).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromiumLaunch } = require('./chromium');
const puppeteer = require('puppeteer-core');

const FIREFOX = '/usr/bin/firefox-esr';
const PAGES = path.join(__dirname, 'pages');

const config = JSON.parse(process.argv[2] || '{}');
const output = { scenario: config.scenario, errors: [], console: [] };

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Starts `filmstrip serve --port 0`; resolves with the process and its WebSocket URL. */
function startServer(binary, log) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.FILMSTRIP_MODULES_PATH;
    const child = spawn(binary, ['serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', (err) => reject(new Error(`cannot start ${binary}: ${err.message}`)));
    child.stderr.on('data', (chunk) => log.push(chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const url = line.trim().replace(/^listening on /, '');
      if (!url.startsWith('ws://')) reject(new Error(`filmstrip serve printed ${line}`));
      else resolve({ child, url });
    });
    child.on('exit', (code) => reject(new Error(`filmstrip serve exited with ${code}: ${log.join('')}`)));
  });
}

/**
 * Stops the server with SIGTERM, as an operator would, and waits for it; SIGKILL after 15 s
 * (its own shutdown gives connections 10 s), so that no server outlives the driver.
 */
function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output.errors.push('filmstrip serve did not stop within 15 s of SIGTERM');
      child.kill('SIGKILL');
    }, 15000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A static HTTP server on 127.0.0.1: the pages, the bundle and the configured files. */
function startHttp(files) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    let file = files[url.pathname];
    if (!file && /^\/[\w.-]+$/.test(url.pathname)) file = path.join(PAGES, url.pathname);
    fs.readFile(file || '/nonexistent', (err, body) => {
      if (err) {
        output.errors.push(`HTTP 404 ${url.pathname}`);
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A JSON-RPC connection of the driver's own to the server, as a second Kurento client:
 * `call(method, params)` resolves with the result (rejects with the error), `events` holds
 * every `onEvent` with the time it arrived.
 */
function rpcClient(url) {
  const WebSocket = require('ws');
  const socket = new WebSocket(url);
  const pending = new Map();
  const events = [];
  let nextId = 0;
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.method === 'onEvent') {
      events.push({ at: Date.now(), ...message.params.value });
    } else if (pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else resolve(message.result);
    }
  });
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    events,
    async call(method, params) {
      await opened;
      const id = ++nextId;
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close() {
      socket.close();
    },
  };
}

/** Resolves with the first of `events` for which `wanted` holds, or null after `ms`. */
async function firstEvent(events, wanted, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const found = events.find(wanted);
    if (found) return found;
    if (Date.now() >= end) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The close-tab scenario's second half: with the page's call running, subscribes from a
 * connection of the driver's own to the endpoint's state events, keeps the call up for
 * `params.holdMs` (then reports the endpoint's states and the frames the page still decodes),
 * closes the tab, and reports when, after the close, MediaStateChanged and
 * ConnectionStateChanged went DISCONNECTED, that both
 * objects are still described after the tab is gone, and what getPipelines lists before
 * and after releasing the pipeline.
 */
async function closeTabMidCall(page, url, ids) {
  const rpc = rpcClient(url);
  const invoke = (object, operation, operationParams = {}) =>
    rpc.call('invoke', { object, operation, operationParams }).then((r) => r && r.value);
  const report = { ids };
  try {
    const names = ['MediaStateChanged', 'ConnectionStateChanged', 'IceComponentStateChanged'];
    for (const type of names) await rpc.call('subscribe', { object: ids.webRtc, type });
    report.before = {
      mediaState: await invoke(ids.webRtc, 'getMediaState'),
      connectionState: await invoke(ids.webRtc, 'getConnectionState'),
    };
    // `params.holdMs` keeps the call up that long first (its events then have negative times).
    if (config.params.holdMs) {
      await new Promise((resolve) => setTimeout(resolve, config.params.holdMs));
      // What the endpoint says after the hold, and whether the browser still decodes video.
      const frames = () => page.evaluate(() => window.callStats()).then((s) => (s.video ? s.video.framesDecoded : 0));
      const first = await frames();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      report.held = {
        mediaState: await invoke(ids.webRtc, 'getMediaState'),
        connectionState: await invoke(ids.webRtc, 'getConnectionState'),
        framesDecodedInLastSecond: (await frames()) - first,
      };
    }
    const closedAt = Date.now();
    await page.close();
    // The page's session keeps its objects for `filmstrip serve --session-grace` (30 s) after
    // its connection closed: they must be there at once, and until that grace ends.
    report.justClosed = {
      webRtc: (await rpc.call('describe', { object: ids.webRtc })).type,
      pipeline: (await rpc.call('describe', { object: ids.pipeline })).type,
    };
    const waitMs = config.params.disconnectWaitMs || 25000;
    const disconnected = (type) => (e) => e.at >= closedAt && e.type === type && e.data.newState === 'DISCONNECTED';
    const media = await firstEvent(rpc.events, disconnected('MediaStateChanged'), waitMs);
    report.mediaDisconnectedMs = media ? media.at - closedAt : null;
    // The connection state may follow later (ICE consent or DTLS close): it is not waited for.
    const link = await firstEvent(rpc.events, disconnected('ConnectionStateChanged'), 0);
    report.connectionDisconnectedMs = link ? link.at - closedAt : null;
    report.events = rpc.events.map((e) => ({
      ms: e.at - closedAt,
      type: e.type,
      state: e.data.newState || e.data.state,
    }));
    report.after = {
      mediaState: await invoke(ids.webRtc, 'getMediaState'),
      described: {
        webRtc: (await rpc.call('describe', { object: ids.webRtc })).type,
        pipeline: (await rpc.call('describe', { object: ids.pipeline })).type,
      },
      pipelines: await invoke('manager_ServerManager', 'getPipelines'),
    };
    await rpc.call('release', { object: ids.pipeline });
    report.released = {
      pipelines: await invoke('manager_ServerManager', 'getPipelines'),
      describeError: await rpc.call('describe', { object: ids.webRtc }).then(
        () => null,
        (error) => error.code,
      ),
    };
  } catch (error) {
    output.errors.push(`close-tab: ${error.message}`);
  } finally {
    rpc.close();
  }
  return report;
}

/** The CPU clock ticks (user + system) process `pid` has used, and when they were read. */
function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces): utime and stime are the
  // 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), ms: Date.now() };
}

/** The resident memory of process `pid`, in KiB. */
function rssKib(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

/**
 * The memory scenario's second half: `count` WebRtcEndpoints in one pipeline, each given
 * `offer` (processOffer, then gatherCandidates, as the tutorials do), with the server's
 * resident memory before, after and once the pipeline is released. One endpoint is made
 * first so that what the first one alone loads (plugins, libnice) is not counted.
 */
async function endpointMemory(url, pid, offer, count) {
  const rpc = rpcClient(url);
  const report = { count };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));
  try {
    const { value: pipeline } = await rpc.call('create', { type: 'MediaPipeline', constructorParams: {} });
    const endpoint = async () => {
      const { value: id } = await rpc.call('create', {
        type: 'WebRtcEndpoint',
        constructorParams: { mediaPipeline: pipeline },
      });
      await rpc.call('invoke', { object: id, operation: 'processOffer', operationParams: { offer } });
      await rpc.call('invoke', { object: id, operation: 'gatherCandidates', operationParams: {} });
    };
    await endpoint();
    await settle();
    report.beforeKib = rssKib(pid);
    for (let i = 0; i < count; i++) await endpoint();
    await settle();
    report.afterKib = rssKib(pid);
    report.perEndpointKib = (report.afterKib - report.beforeKib) / count;
    await rpc.call('release', { object: pipeline });
    await settle();
    report.releasedKib = rssKib(pid);
  } catch (error) {
    output.errors.push(`memory: ${error.message}`);
  } finally {
    rpc.close();
  }
  return report;
}

/**
 * How to start the browser `config.browser` names: Debian's Chromium (the default) with a
 * fake camera playing `config.camera`, or Debian's Firefox ESR over WebDriver BiDi, whose
 * fake camera and microphone are its own generated ones (it plays no Y4M).
 */
function launchOptions(profile) {
  if (config.browser === 'firefox') {
    return {
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: {
        'media.navigator.streams.fake': true,
        'media.navigator.permission.disabled': true,
        // Remote video and Web Audio play without a user gesture.
        'media.autoplay.default': 0,
        'media.autoplay.block-webaudio': false,
        'media.autoplay.blocking_policy': 0,
        // Loopback candidates, and host addresses rather than mDNS names.
        'media.peerconnection.ice.loopback': true,
        'media.peerconnection.ice.obfuscate_host_addresses': false,
        // No plugin downloads (OpenH264) or other traffic from the isolated browser.
        'media.gmp-manager.updateEnabled': false,
        'app.update.enabled': false,
      },
    };
  }
  return chromiumLaunch(profile, config.camera);
}

/** Rejects after `ms` with `what` in the message. */
function deadline(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms));
}

async function main() {
  // Proof of the isolation the tests ask for: the interfaces this process (and so the
  // server and the browser it starts) can use.
  output.interfaces = Object.keys(os.networkInterfaces());

  const serverLog = [];
  let server = null;
  let http = null;
  let browser = null;
  const profile = fs.mkdtempSync(path.join(config.workdir || os.tmpdir(), 'chromium-profile-'));
  try {
    if (config.scenario !== 'direct') {
      server = await startServer(config.filmstrip, serverLog);
      output.wsUri = server.url;
      output.serverPid = server.child.pid;
    }
    const files = { '/kurento-browser.js': config.bundle, ...(config.files || {}) };
    http = await startHttp(files);
    const origin = `http://127.0.0.1:${http.address().port}`;

    browser = await puppeteer.launch(launchOptions(profile));
    output.browserVersion = await browser.version();
    const runPage = async (index) => {
      const page = await browser.newPage();
      // Room for the two 480x360 videos side by side in the screenshot.
      await page.setViewport({ width: 1000, height: 420 });
      // kurento-utils logs whole SDPs at debug level: keep lines short.
      page.on('console', (msg) => output.console.push(`${msg.type()}: ${msg.text()}`.slice(0, 300)));
      page.on('pageerror', (err) => output.errors.push(`page error: ${err.message}`));

      // The pages call this just before they hang up, while both videos still show.
      await page.exposeFunction('takeScreenshot', async () => {
        if (config.screenshot && index === 0) await page.screenshot({ path: config.screenshot });
      });
      if (server) await page.exposeFunction('serverCpu', () => cpuTicks(server.child.pid));

      const pages = { direct: 'direct.html', echo: 'echo.html', memory: 'echo.html' };
      const pageName = pages[config.scenario] || 'kurento.html';
      await page.goto(`${origin}/${pageName}`, { waitUntil: 'load' });
      const params = {
        scenario: config.scenario,
        ws_uri: output.wsUri,
        hat_uri: `${origin}/hat.png`,
        ice_servers: [],
        ...(config.scenario === 'memory' ? { offerOnly: true } : {}),
        ...(config.params || {}),
      };
      const timeoutMs = config.timeoutMs || 60000;
      let result;
      try {
        result = await Promise.race([
          page.evaluate((p) => window.runScenario(p), params),
          deadline(timeoutMs, `scenario ${config.scenario}`),
        ]);
      } catch (err) {
        // What the page got through before it stalled.
        const partial = await page.evaluate(() => window.currentResult).catch(() => null);
        result = { ...(partial || {}), errors: [...((partial && partial.errors) || []), `driver: ${err.message}`] };
        if (config.screenshot && index === 0) await page.screenshot({ path: config.screenshot }).catch(() => {});
      }
      return { page, result };
    };
    const count = config.pages || 1;
    const runs = await Promise.all(Array.from({ length: count }, (_, index) => runPage(index)));
    const { page } = runs[0];
    let { result } = runs[0];
    if (count > 1) {
      // Every page's numbers, and every page's errors as the scenario's.
      result = {
        pageResults: runs.map((run) => run.result),
        errors: runs.flatMap((run, index) => (run.result.errors || []).map((e) => `page ${index}: ${e}`)),
      };
    }
    if (config.scenario === 'memory' && result.offer && server) {
      result.memory = await endpointMemory(output.wsUri, server.child.pid, result.offer, config.params.endpoints || 20);
    }
    if (config.scenario === 'close-tab' && result.ids) {
      result.closeTab = await closeTabMidCall(page, output.wsUri, result.ids);
    }
    const driverErrors = output.errors;
    const pageErrors = result.errors || [];
    Object.assign(output, result);
    output.errors = [...pageErrors, ...driverErrors.filter((e) => !pageErrors.includes(e))];
  } catch (err) {
    output.errors.push(`driver: ${err.message}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (http) http.close();
    if (server) await stopServer(server.child);
    fs.rmSync(profile, { recursive: true, force: true });
    output.serverLog = serverLog.join('').slice(-4000);
  }
  // Flushed before the process exits: a large result (a pipeline's dot) spans many writes.
  await new Promise((resolve) => process.stdout.write(`${JSON.stringify(output)}\n`, resolve));
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(`${JSON.stringify({ ...output, errors: [...output.errors, `driver: ${err.stack}`] })}\n`);
    process.exit(1);
  },
);
