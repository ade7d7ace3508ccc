// The magic mirror's overlay images, drawn here from simple shapes and written as RGBA PNGs
// (so the project ships no image it did not make): a red cap, a crown and sunglasses.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 256;
/** Samples per pixel side: edges are anti-aliased by averaging SUPER² samples. */
const SUPER = 4;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG file of `rgba`, SIZE x SIZE, 8-bit RGBA, rows unfiltered. */
function png(rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let y = 0; y < SIZE; y++) {
    rgba.copy(rows, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Paints `colour` ([r, g, b, a]) over `rgba` wherever `inside(x, y)` holds, x and y in 0..1. */
function paint(rgba, inside, colour) {
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      let hits = 0;
      for (let sy = 0; sy < SUPER; sy++) {
        for (let sx = 0; sx < SUPER; sx++) {
          if (inside((px + (sx + 0.5) / SUPER) / SIZE, (py + (sy + 0.5) / SUPER) / SIZE)) hits++;
        }
      }
      if (!hits) continue;
      const alpha = (colour[3] / 255) * (hits / (SUPER * SUPER));
      const at = (py * SIZE + px) * 4;
      const under = rgba[at + 3] / 255;
      const out = alpha + under * (1 - alpha);
      for (let i = 0; i < 3; i++) {
        rgba[at + i] = Math.round((colour[i] * alpha + rgba[at + i] * under * (1 - alpha)) / out);
      }
      rgba[at + 3] = Math.round(out * 255);
    }
  }
}

const ellipse = (cx, cy, rx, ry) => (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const and = (a, b) => (x, y) => a(x, y) && b(x, y);
const or = (...shapes) => (x, y) => shapes.some((shape) => shape(x, y));
const not = (a) => (x, y) => !a(x, y);
/** The triangle with corners a, b, c (each [x, y]). */
const triangle = (a, b, c) => (x, y) => {
  const side = (p, q) => (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
  const [d1, d2, d3] = [side(a, b), side(b, c), side(c, a)];
  return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
};

const RED = [214, 28, 32, 255];
const DARK_RED = [160, 16, 20, 255];
const WHITE = [255, 255, 255, 255];
const GOLD = [240, 186, 36, 255];
const DARK_GOLD = [190, 130, 20, 255];
const BLUE = [40, 90, 220, 255];
const BLACK = [20, 20, 24, 255];
const LENS = [30, 34, 48, 225];

/** Each overlay: a list of [shape, colour] painted in order. */
const OVERLAYS = {
  // A cap: a dome, its brim, and a white badge with an F.
  hat: [
    [and(ellipse(0.5, 0.7, 0.4, 0.52), rect(0, 0, 1, 0.7)), RED],
    [and(ellipse(0.5, 0.72, 0.5, 0.1), not(rect(0, 0, 1, 0.66))), DARK_RED],
    [ellipse(0.5, 0.45, 0.12, 0.12), WHITE],
    [or(rect(0.46, 0.38, 0.49, 0.53), rect(0.46, 0.38, 0.55, 0.41), rect(0.46, 0.44, 0.53, 0.47)), RED],
  ],
  // A crown: a band with three points and jewels.
  crown: [
    [rect(0.1, 0.6, 0.9, 0.85), GOLD],
    [or(triangle([0.1, 0.62], [0.18, 0.2], [0.36, 0.62]), triangle([0.34, 0.62], [0.5, 0.12], [0.66, 0.62]), triangle([0.64, 0.62], [0.82, 0.2], [0.9, 0.62])), GOLD],
    [rect(0.1, 0.82, 0.9, 0.85), DARK_GOLD],
    [or(ellipse(0.18, 0.2, 0.04, 0.04), ellipse(0.5, 0.12, 0.045, 0.045), ellipse(0.82, 0.2, 0.04, 0.04)), GOLD],
    [or(ellipse(0.3, 0.72, 0.05, 0.06), ellipse(0.7, 0.72, 0.05, 0.06)), BLUE],
    [ellipse(0.5, 0.72, 0.06, 0.07), RED],
  ],
  // Sunglasses: two dark lenses in black rims and a bridge.
  glasses: [
    [or(ellipse(0.27, 0.5, 0.22, 0.34), ellipse(0.73, 0.5, 0.22, 0.34), rect(0.45, 0.36, 0.55, 0.44)), BLACK],
    [or(ellipse(0.27, 0.5, 0.18, 0.28), ellipse(0.73, 0.5, 0.18, 0.28)), LENS],
  ],
};

/** Writes `<name>.png` for every overlay into `dir`. */
function writeOverlays(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, layers] of Object.entries(OVERLAYS)) {
    const rgba = Buffer.alloc(SIZE * SIZE * 4);
    for (const [shape, colour] of layers) paint(rgba, shape, colour);
    fs.writeFileSync(path.join(dir, `${name}.png`), png(rgba));
  }
}

module.exports = { writeOverlays };
