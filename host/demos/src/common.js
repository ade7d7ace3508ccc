// What every demo page shares: the server's address, the page frame (navigation, error
// banner, log), readable error messages, and the connection to the server.
/* global kurentoClient */

const query = new URLSearchParams(location.search);

/** The Kurento WebSocket: `?ws_uri=` or the `/kurento` path of the server that served the page. */
export function wsUri() {
  return query.get('ws_uri') || `ws://${location.host}/kurento`;
}

/** ICE servers for the browser: `?ice_servers=` (JSON), else none (the server is local). */
export function iceServers() {
  return JSON.parse(query.get('ice_servers') || '[]');
}

export const $ = (id) => document.getElementById(id);

const PAGES = [
  ['index.html', 'Demos'],
  ['mirror.html', 'Magic mirror'],
  ['faces.html', 'Face boxes'],
  ['plates.html', 'Plate reader'],
  ['filters.html', 'Any filter'],
  ['record.html', 'Record'],
];

/** Adds the navigation bar, the error banner and the log around the page's own content. */
export function frame() {
  const nav = document.createElement('nav');
  const here = location.pathname.split('/').pop() || 'index.html';
  for (const [href, title] of PAGES) {
    const link = document.createElement('a');
    link.href = href + location.search;
    link.textContent = title;
    if (href === here) link.className = 'here';
    nav.appendChild(link);
  }
  document.body.prepend(nav);
  const banner = document.createElement('div');
  banner.id = 'error';
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  nav.after(banner);
  if (!$('log')) {
    const section = document.createElement('section');
    section.innerHTML = '<h2>Log</h2><ol id="log"></ol>';
    document.body.appendChild(section);
  }
  window.addEventListener('unhandledrejection', (event) => showError(describe(event.reason)));
}

/** Appends a line to the page's log. */
export function log(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').appendChild(item);
  item.scrollIntoView({ block: 'nearest' });
}

/** Shows `text` in the error banner (and the log). */
export function showError(text) {
  const banner = $('error');
  banner.textContent = text;
  banner.hidden = false;
  log(`Error: ${text}`);
}

export function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

/** The message a person reads for an error of the browser, kurento-client or the server. */
export function describe(error) {
  if (!error) return 'Unknown error';
  switch (error.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'The browser was not allowed to use the camera: allow camera access for this page, then press Start again.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found: connect one (or choose a video file where the page offers it), then press Start again.';
    case 'NotReadableError':
    case 'TrackStartError':
      return 'The camera is busy or unreadable (another program may be using it).';
    default:
      break;
  }
  const message = error.message || (typeof error === 'string' ? error : JSON.stringify(error));
  if (message === 'Connection error') return serverGone();
  const code = error.code !== undefined ? ` (Kurento error ${error.code})` : '';
  return `${message}${code}`;
}

function serverGone() {
  return `Cannot reach the Filmstrip server at ${wsUri()}: is \`filmstrip serve --demos\` still running?`;
}

/** Resolves once a WebSocket to the server opens; rejects with a readable error otherwise. */
function reachable(uri, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(uri);
    const fail = () => {
      clearTimeout(timer);
      socket.onopen = socket.onerror = null;
      socket.close();
      reject(new Error(serverGone()));
    };
    const timer = setTimeout(fail, timeoutMs);
    socket.onerror = fail;
    socket.onopen = () => {
      clearTimeout(timer);
      socket.close();
      resolve();
    };
  });
}

/**
 * A kurento-client connected to the server; losing the server later shows an error. The
 * server is tried once first, so that a stopped server is reported at once instead of after
 * kurento-client's reconnection attempts.
 */
export async function connect() {
  await reachable(wsUri(), 5000);
  const client = await kurentoClient(wsUri(), { failAfter: 2 });
  client.on('disconnect', () => showError(serverGone()));
  return client;
}

/** Calls `operation` of a server object by name, for classes kurento-client does not know. */
export function invoke(object, operation, params) {
  return object._invoke(undefined, operation, params || {});
}

/**
 * Makes kurento-client accept `className`, a filter of a Filmstrip module it has no class for,
 * with the events `events`: a `Filter` subclass whose methods are called by name (`invoke`).
 */
export function registerFilter(className, events) {
  if (kurentoClient.register.classes[className]) return;
  const Filter = kurentoClient.register.abstracts.Filter;
  function ModuleFilter() {
    ModuleFilter.super_.call(this);
  }
  ModuleFilter.super_ = Filter;
  ModuleFilter.prototype = Object.create(Filter.prototype, {
    constructor: { value: ModuleFilter, writable: true, configurable: true },
  });
  Object.defineProperty(ModuleFilter, 'name', { value: className });
  ModuleFilter.constructorParams = { mediaPipeline: { type: 'kurento.MediaPipeline', required: true } };
  ModuleFilter.events = Filter.events.concat(events);
  ModuleFilter.check = (key, value) => {
    if (!(value instanceof ModuleFilter)) throw new TypeError(`${key} must be a ${className}`);
  };
  kurentoClient.register(className, ModuleFilter);
}

/** The loaded modules' descriptors (with value ranges), as the server publishes them. */
export async function descriptors() {
  const response = await fetch('descriptors.json');
  if (!response.ok) throw new Error(`descriptors.json: HTTP ${response.status}`);
  return response.json();
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
