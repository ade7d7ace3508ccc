// Builds the demo web app that `filmstrip serve --demos` serves: installs this package's
// npm dependencies (once per package-lock.json) into <target>/demos-js, then writes
// <target>/demos: the pages and style sheet, each page's script bundled by esbuild (with
// @viz-js/viz, Graphviz in WebAssembly, for the pipeline view), the browser bundle of
// kurento-client and kurento-utils made by tests/browser/build.js (the project's one way to
// make it), and the overlay images drawn by overlays.js.
//
// Usage: node host/demos/build.js [OUT_DIR]   (target is $CARGO_TARGET_DIR or ./target)
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const bundleKurento = require('../../tests/browser/build.js');
const { writeOverlays } = require('./overlays.js');

const root = path.resolve(__dirname, '../..');
const target = path.resolve(process.env.CARGO_TARGET_DIR || path.join(root, 'target'));
const out = path.resolve(process.argv[2] || path.join(target, 'demos'));
const PAGES = ['index', 'mirror', 'faces', 'plates', 'filters', 'record'];

/** `npm ci` into <target>/demos-js unless it already holds this package-lock.json. */
function install() {
  const dir = path.join(target, 'demos-js');
  const files = ['package.json', 'package-lock.json'];
  const wanted = files.map((file) => fs.readFileSync(path.join(__dirname, file), 'utf8')).join('');
  const stamp = path.join(dir, 'installed-from');
  const modules = path.join(dir, 'node_modules');
  if (fs.existsSync(modules) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return modules;
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) fs.copyFileSync(path.join(__dirname, file), path.join(dir, file));
  const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (npm.error || npm.status !== 0) {
    throw new Error(`npm ci in ${dir} failed${npm.error ? `: ${npm.error.message}` : ''} (Node.js 18+ and npm are needed)`);
  }
  fs.writeFileSync(stamp, wanted);
  return modules;
}

async function main() {
  const modules = install();
  const esbuild = require(path.join(modules, 'esbuild'));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  await bundleKurento(modules, path.join(out, 'kurento-browser.js'));
  await esbuild.build({
    entryPoints: PAGES.map((page) => path.join(__dirname, 'src', `${page}.js`)),
    bundle: true,
    platform: 'browser',
    // ES modules, so that what pages share (Graphviz above all, 1.5 MB) is one cached chunk.
    format: 'esm',
    splitting: true,
    chunkNames: 'shared/[name]-[hash]',
    target: 'chrome120',
    outdir: out,
    nodePaths: [modules],
    logLevel: 'warning',
  });
  for (const file of fs.readdirSync(path.join(__dirname, 'site'))) {
    fs.copyFileSync(path.join(__dirname, 'site', file), path.join(out, file));
  }
  writeOverlays(path.join(out, 'overlays'));
  console.error(`demos: built ${out}`);
}

main().catch((error) => {
  console.error(`demos: ${error.message}`);
  process.exit(1);
});
