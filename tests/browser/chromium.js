// How the browser tests start Debian's Chromium: headless, a fake camera playing a Y4M file
// and a fake microphone, loopback candidates allowed and not hidden behind mDNS, and none of
// the background traffic (updates, sync, QUIC) a closed network would refuse.
'use strict';

const path = require('path');

/** The executable the tests drive. */
const CHROMIUM = '/usr/bin/chromium';

/** puppeteer's launch options for Chromium with profile dir `profile` and camera `camera`. */
function chromiumLaunch(profile, camera) {
  return {
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${path.resolve(camera)}`,
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-gpu',
      '--disable-quic',
    ],
  };
}

module.exports = { CHROMIUM, chromiumLaunch };
