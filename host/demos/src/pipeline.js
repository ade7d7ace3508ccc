// The pipeline view every page has: the session's pipeline as GStreamer describes it
// (getGstreamerDot) drawn as SVG by Graphviz compiled to WebAssembly (@viz-js/viz), and live
// per-element figures: the server's getStats and media flow, and the browser's own
// statistics of the WebRTC link (frames, frame rate, bitrate).
import { instance } from '@viz-js/viz';
import { describe, showError } from './common.js';

let viz = null;

export class PipelineView {
  constructor() {
    const section = document.createElement('section');
    section.id = 'pipeline-view';
    section.innerHTML = `<h2>Pipeline</h2>
      <p><button id="refresh-pipeline" disabled>Refresh the graph</button>
      <label><input type="checkbox" id="fit-graph" checked> Fit to the page</label>
      <span id="pipeline-status">Start a call to see its pipeline.</span></p>
      <table id="stats"><thead><tr><th>element</th><th>video in</th><th>video out</th>
      <th>processing per frame</th></tr></thead><tbody></tbody></table>
      <table id="link-stats"><thead><tr><th>browser link</th><th>frames</th><th>fps</th>
      <th>kbit/s</th></tr></thead><tbody></tbody></table>
      <div id="pipeline-graph" class="fit"></div>`;
    document.body.appendChild(section);
    this.button = section.querySelector('#refresh-pipeline');
    this.status = section.querySelector('#pipeline-status');
    this.graph = section.querySelector('#pipeline-graph');
    this.button.onclick = () => this.refresh();
    const fit = section.querySelector('#fit-graph');
    fit.onchange = () => this.graph.classList.toggle('fit', fit.checked);
    this.timer = null;
  }

  /** Shows `pipeline`, whose `elements` are [name, object] pairs; `pc` is the browser side. */
  attach(pipeline, elements, pc) {
    this.pipeline = pipeline;
    this.elements = elements;
    this.pc = pc;
    this.last = {};
    this.button.disabled = false;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.stats().catch(() => {}), 1000);
    return this.refresh();
  }

  detach() {
    clearInterval(this.timer);
    for (const body of document.querySelectorAll('#stats tbody, #link-stats tbody')) body.replaceChildren();
    this.pipeline = null;
    this.button.disabled = true;
    this.status.textContent = 'No call.';
  }

  /** Draws the pipeline again from the server's DOT description. */
  async refresh() {
    if (!this.pipeline) return;
    this.status.textContent = 'Drawing...';
    try {
      const dot = await this.labelled(await this.pipeline.getGstreamerDot());
      viz = viz || (await instance());
      const svg = viz.renderSVGElement(dot);
      this.graph.replaceChildren(svg);
      this.status.textContent = `Drawn at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      this.status.textContent = '';
      showError(`Cannot draw the pipeline: ${describe(error)}`);
    }
  }

  /**
   * `dot` with each Kurento element's box titled by its class: an element's own DOT names
   * its GStreamer bin, whose cluster in the pipeline's DOT is then relabelled.
   */
  async labelled(dot) {
    let named = dot.replace(/label="<GstPipeline>\\n/, 'label="MediaPipeline\\n');
    for (const [name, element] of this.elements) {
      const bin = /label="<[^>]+>\\n([^\\"]+)\\n/.exec(await element.getGstreamerDot());
      if (!bin) continue;
      const escaped = bin[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      named = named.replace(new RegExp(`label="[A-Za-z]+\\\\n${escaped}\\\\n`), `label="${name}\\n${bin[1]}\\n`);
    }
    return named;
  }

  async stats() {
    if (!this.pipeline) return;
    const rows = [];
    for (const [name, element] of this.elements) {
      const [flowIn, flowOut, stats] = await Promise.all([
        element.isMediaFlowingIn('VIDEO'),
        element.isMediaFlowingOut('VIDEO'),
        element.getStats('VIDEO'),
      ]);
      const own = Object.values(stats || {})[0] || {};
      const latency = own.inputVideoLatency ? `${(own.inputVideoLatency / 1e6).toFixed(2)} ms` : '—';
      rows.push([name, flowIn ? 'flowing' : 'not flowing', flowOut ? 'flowing' : 'not flowing', latency]);
    }
    fill(document.querySelector('#stats tbody'), rows);
    if (this.pc) fill(document.querySelector('#link-stats tbody'), await this.link());
  }

  /** Frames, frame rate and bitrate of the browser's video streams, sent and received. */
  async link() {
    const report = await this.pc.getStats();
    const rows = [];
    report.forEach((s) => {
      if (s.kind !== 'video' || (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp')) return;
      const inbound = s.type === 'inbound-rtp';
      const bytes = inbound ? s.bytesReceived : s.bytesSent;
      const before = this.last[s.id];
      this.last[s.id] = { bytes, at: s.timestamp };
      const kbps = before ? ((bytes - before.bytes) * 8) / (s.timestamp - before.at) : 0;
      rows.push([
        inbound ? 'received from the server' : 'sent to the server',
        inbound ? s.framesDecoded : s.framesEncoded,
        (s.framesPerSecond || 0).toFixed(0),
        kbps.toFixed(0),
      ]);
    });
    return rows;
  }
}

function fill(body, rows) {
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        td.textContent = cell;
        row.appendChild(td);
      }
      return row;
    }),
  );
}
