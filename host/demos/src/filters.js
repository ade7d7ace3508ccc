// Any filter: any filter class the server has loaded, camera in, filtered video out; its
// properties as form controls built from its descriptor, its events in a live log.
import { $, describe, frame, log, showError } from './common.js';
import { Call, filterButtons } from './call.js';
import { fillClassPicker, filterClasses, propertyControls } from './controls.js';
import { PipelineView } from './pipeline.js';

frame();
const view = new PipelineView();
const call = new Call($('localVideo'), $('remoteVideo'));
let classes = [];
let controls = null;

const chosen = () => classes.find((cls) => cls.name === $('class').value);

function showClass() {
  const cls = chosen();
  $('class-doc').textContent = cls ? cls.doc : '';
  controls = cls ? propertyControls($('properties'), cls, (error) => showError(describe(error))) : null;
}

function event(cls, type, data) {
  const item = document.createElement('li');
  const { source, tags, timestamp, timestampMillis, type: _, ...rest } = data;
  item.textContent = `${new Date().toLocaleTimeString()} ${cls} ${type} ${JSON.stringify(rest)}`;
  $('events').prepend(item);
}

async function load() {
  try {
    classes = await filterClasses();
    const preferred = new URLSearchParams(location.search).get('class') || 'PixelateFilter';
    fillClassPicker($('class'), classes, preferred);
    showClass();
    $('start').disabled = false;
  } catch (error) {
    showError(describe(error));
  }
}

$('class').onchange = showClass;
filterButtons({
  call,
  view,
  // The properties go with `create`, as Kurento's clients send them.
  create: async (pipeline) => {
    $('class').disabled = true;
    const cls = chosen();
    const filter = await pipeline.create(cls.name, controls.values());
    for (const type of cls.events) filter.on(type, (data) => event(cls.name, type, data));
    controls.bind(filter);
    log(`${cls.name} created with ${JSON.stringify(controls.values())}`);
    return [cls.name, filter];
  },
  stopped: () => {
    if (controls) controls.bind(null);
    $('class').disabled = false;
  },
});
window.demo = { call, view, ready: load() };
