// Bundles kurento-client and kurento-utils (CommonJS npm packages) for the browser, as
// Kurento's own bower bundles were made with browserify, but with esbuild. The one way the
// project makes that bundle: the browser tests run this file, and the demo pages' build
// (host/demos/build.js) calls `bundleKurento`.
//
// Usage: node build.js <node_modules> <out.js>
'use strict';

const path = require('path');

/**
 * Writes the bundle (`window.kurentoClient`, `window.kurentoUtils`) to `outfile`, with the
 * packages and esbuild installed in `modules`; resolves once written.
 */
function bundleKurento(modules, outfile) {
  // The packages live in the target directory, not next to this script.
  const esbuild = require(path.join(path.resolve(modules), 'esbuild'));
  return esbuild.build({
    entryPoints: [path.join(__dirname, 'kurento-entry.js')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    outfile,
    nodePaths: [modules],
    // Node built-ins the packages require, replaced by the polyfills browserify used.
    alias: {
      stream: 'stream-browserify',
      domain: 'domain-browser',
    },
    inject: [path.join(__dirname, 'node-globals.js')],
    define: { global: 'globalThis' },
    logLevel: 'warning',
  });
}

module.exports = bundleKurento;

if (require.main === module) {
  const [modules, outfile] = process.argv.slice(2);
  if (!modules || !outfile) {
    console.error('usage: node build.js <node_modules> <out.js>');
    process.exit(2);
  }
  bundleKurento(modules, outfile).catch(() => process.exit(1));
}
