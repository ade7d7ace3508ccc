// Measurements the browser test pages take of what they send and receive: picture
// difference, audio energy, overlay pixels, a frame counter drawn into a canvas camera and
// read back for glass-to-glass latency, and WebRTC statistics. Loaded by every page as
// `window.Measure`.
'use strict';

(function () {
  const WIDTH = 640;
  const HEIGHT = 480;
  // The frame counter: BITS blocks of the number on one row, their complement on the next,
  // at the bottom of the picture (the magic mirror's hat goes above the face, at the top).
  const BITS = 16;
  const BLOCK = WIDTH / BITS;
  const COUNTER_TOP = HEIGHT - 2 * BLOCK;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A 2D context on a new canvas of the given size, read back often. */
  function context(width, height) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    return canvas.getContext('2d', { willReadFrequently: true });
  }

  /** Milliseconds until `video` plays (currentTime > 0), or null after `limitMs`. */
  async function playing(video, limitMs) {
    const start = performance.now();
    while (performance.now() - start < limitMs) {
      if (video.currentTime > 0 && video.videoWidth > 0) return performance.now() - start;
      await sleep(50);
    }
    return null;
  }

  /** BT.601 luma of `video`'s current picture, downscaled to `width`x`height`. */
  function luma(video, width = 64, height = 48) {
    const ctx = context(width, height);
    ctx.drawImage(video, 0, 0, width, height);
    const { data } = ctx.getImageData(0, 0, width, height);
    const out = new Float32Array(width * height);
    for (let i = 0; i < out.length; i++) {
      out[i] = 0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2];
    }
    return out;
  }

  /** Mean absolute difference of two luma pictures of the same size. */
  function difference(a, b) {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    return sum / a.length;
  }

  /** Standard deviation of a luma picture: near 0 for a flat (black, grey) one. */
  function spread(a) {
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    return Math.sqrt(a.reduce((s, v) => s + (v - mean) * (v - mean), 0) / a.length);
  }

  /**
   * The picture difference between the sent and received videos, at their best match over
   * `ms`: the received picture lags, so the smallest difference of several samples is taken.
   */
  async function pictureMatch(sent, received, ms = 2000) {
    let best = Infinity;
    let sentSpread = 0;
    let receivedSpread = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      const a = luma(sent);
      const b = luma(received);
      const diff = difference(a, b);
      if (diff < best) {
        best = diff;
        sentSpread = spread(a);
        receivedSpread = spread(b);
      }
      await sleep(100);
    }
    return { difference: best, sentSpread, receivedSpread };
  }

  /**
   * Saturated green and red pixels of `video`'s picture, with the bounding box of the green
   * ones as shares of the picture size ([left, top, right, bottom]).
   */
  function colours(video) {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return { green: 0, red: 0, greenBox: null, width, height };
    const ctx = context(width, height);
    ctx.drawImage(video, 0, 0);
    const { data } = ctx.getImageData(0, 0, width, height);
    let green = 0;
    let red = 0;
    let box = [width, height, -1, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (g > 150 && r < 100 && b < 100) {
          green++;
          box = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)];
        } else if (r > 150 && g < 90 && b < 90) {
          red++;
        }
      }
    }
    const greenBox = green
      ? [box[0] / width, box[1] / height, (box[2] + 1) / width, (box[3] + 1) / height]
      : null;
    return { green: green / (width * height), red: red / (width * height), greenBox, width, height };
  }

  /** Colour samples across the middle row of `video`'s upper half, `count` of them. */
  function rowColours(video, count = 7) {
    const ctx = context(WIDTH, HEIGHT);
    ctx.drawImage(video, 0, 0, WIDTH, HEIGHT);
    const samples = [];
    for (let i = 0; i < count; i++) {
      const x = Math.floor(((i + 0.5) * WIDTH) / count);
      const { data } = ctx.getImageData(x - 4, HEIGHT / 3 - 4, 8, 8);
      const mean = [0, 1, 2].map((c) => {
        let sum = 0;
        for (let p = 0; p < 64; p++) sum += data[4 * p + c];
        return Math.round(sum / 64);
      });
      samples.push(mean);
    }
    return samples;
  }

  /**
   * Loudness of `stream`'s audio over `ms`: the largest and mean RMS of WebAudio analyser
   * windows (0 for silence, about 0.1 and more for Chromium's fake microphone beep).
   */
  async function audioEnergy(stream, ms = 2000) {
    if (!stream || stream.getAudioTracks().length === 0) return { tracks: 0, maxRms: 0, meanRms: 0 };
    const audio = new AudioContext();
    await audio.resume();
    const source = audio.createMediaStreamSource(stream);
    const analyser = audio.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let max = 0;
    let sum = 0;
    let windows = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      analyser.getFloatTimeDomainData(samples);
      const rms = Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length);
      max = Math.max(max, rms);
      sum += rms;
      windows++;
      await sleep(40);
    }
    source.disconnect();
    await audio.close();
    return { tracks: stream.getAudioTracks().length, maxRms: max, meanRms: sum / windows };
  }

  /**
   * A camera made of a 640x480 canvas: `image` letterboxed, with a frame counter at the
   * bottom as big black and white blocks (so that it survives VP8), redrawn at `fps`; with
   * `noise`, random blocks across the middle.
   * `sentAt` maps each counter to the time it was drawn; `stop()` ends the drawing. An
   * oscillator gives the stream an audio track, as a microphone would.
   */
  function canvasCamera(image, fps = 30, noise = false) {
    const ctx = context(WIDTH, HEIGHT);
    const sentAt = new Map();
    let frame = 0;
    const draw = () => {
      frame = (frame + 1) & 0xffff;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, WIDTH, HEIGHT);
      if (image) {
        const side = Math.min(HEIGHT, (image.width * HEIGHT) / image.height);
        ctx.drawImage(image, (WIDTH - side) / 2, 0, side, HEIGHT);
      }
      // Random grey blocks across the middle: a picture no encoder can make cheap, so that
      // the bitrate is set by the bandwidth limits rather than by the content.
      if (noise) {
        for (let y = HEIGHT / 3; y < (2 * HEIGHT) / 3; y += 16) {
          for (let x = 0; x < WIDTH; x += 16) {
            const v = Math.floor(Math.random() * 256);
            ctx.fillStyle = `rgb(${v},${v},${v})`;
            ctx.fillRect(x, y, 16, 16);
          }
        }
      }
      for (let bit = 0; bit < BITS; bit++) {
        const one = (frame >> (BITS - 1 - bit)) & 1;
        ctx.fillStyle = one ? '#fff' : '#000';
        ctx.fillRect(bit * BLOCK, COUNTER_TOP, BLOCK, BLOCK);
        ctx.fillStyle = one ? '#000' : '#fff';
        ctx.fillRect(bit * BLOCK, COUNTER_TOP + BLOCK, BLOCK, BLOCK);
      }
      sentAt.set(frame, performance.now());
    };
    draw();
    const timer = setInterval(draw, 1000 / fps);
    const stream = ctx.canvas.captureStream(fps);
    const audio = new AudioContext();
    const oscillator = audio.createOscillator();
    oscillator.frequency.value = 440;
    const microphone = audio.createMediaStreamDestination();
    oscillator.connect(microphone);
    oscillator.start();
    stream.addTrack(microphone.stream.getAudioTracks()[0]);
    return {
      stream,
      sentAt,
      stop() {
        clearInterval(timer);
        oscillator.stop();
        audio.close();
      },
    };
  }

  /** The frame counter [`canvasCamera`] drew into `video`'s current picture, or null. */
  function readCounter(video, ctx) {
    ctx.drawImage(video, 0, 0, WIDTH, HEIGHT);
    const { data } = ctx.getImageData(0, COUNTER_TOP, WIDTH, 2 * BLOCK);
    // Mean luma of the middle half of a block: edges blur in the codec.
    const block = (bit, row) => {
      let sum = 0;
      let n = 0;
      for (let y = row * BLOCK + BLOCK / 4; y < (row + 1) * BLOCK - BLOCK / 4; y += 2) {
        for (let x = bit * BLOCK + BLOCK / 4; x < (bit + 1) * BLOCK - BLOCK / 4; x += 2) {
          const i = 4 * (y * WIDTH + x);
          sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
          n++;
        }
      }
      return sum / n;
    };
    let value = 0;
    for (let bit = 0; bit < BITS; bit++) {
      const top = block(bit, 0);
      const bottom = block(bit, 1);
      // The two rows must disagree clearly, or this is not a counter (or a blended frame).
      if (Math.abs(top - bottom) < 64) return null;
      value = (value << 1) | (top > bottom ? 1 : 0);
    }
    return value;
  }

  /**
   * Glass-to-glass latency over `ms`: for every picture `video` presents, the time since the
   * camera drew the counter it shows. Returns percentiles in milliseconds and how many
   * pictures were read.
   */
  async function latency(video, camera, ms = 10000) {
    const ctx = context(WIDTH, HEIGHT);
    const delays = [];
    let unreadable = 0;
    let lastCounter = null;
    await new Promise((resolve) => {
      const start = performance.now();
      const onFrame = () => {
        // The callback's own timestamp is the frame's start, which can be older than the
        // picture drawVideo reads: take the time of the read.
        const now = performance.now();
        const counter = readCounter(video, ctx);
        if (counter === null) {
          unreadable++;
        } else if (counter !== lastCounter && camera.sentAt.has(counter)) {
          delays.push(now - camera.sentAt.get(counter));
          lastCounter = counter;
        }
        if (performance.now() - start < ms) video.requestVideoFrameCallback(onFrame);
        else resolve();
      };
      video.requestVideoFrameCallback(onFrame);
    });
    delays.sort((a, b) => a - b);
    const at = (q) => (delays.length ? delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] : null);
    return { frames: delays.length, unreadable, p50: at(0.5), p95: at(0.95), min: at(0), max: at(1) };
  }

  /** The numbers of `pc.getStats()` the tests check, inbound and on the selected pair. */
  async function stats(pc) {
    const report = await pc.getStats();
    const out = { video: null, audio: null, outboundVideo: null, pair: null };
    const byId = new Map();
    report.forEach((entry) => byId.set(entry.id, entry));
    report.forEach((entry) => {
      if (entry.type === 'inbound-rtp' && (entry.kind === 'video' || entry.kind === 'audio')) {
        out[entry.kind] = {
          bytesReceived: entry.bytesReceived,
          packetsReceived: entry.packetsReceived,
          packetsLost: entry.packetsLost,
          framesDecoded: entry.framesDecoded,
          framesReceived: entry.framesReceived,
          frameWidth: entry.frameWidth,
          frameHeight: entry.frameHeight,
          framesPerSecond: entry.framesPerSecond,
          totalAudioEnergy: entry.totalAudioEnergy,
          codec: byId.get(entry.codecId) ? byId.get(entry.codecId).mimeType : null,
        };
      }
      if (entry.type === 'outbound-rtp' && entry.kind === 'video') {
        out.outboundVideo = { bytesSent: entry.bytesSent, framesEncoded: entry.framesEncoded };
      }
      if (entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded') {
        const local = byId.get(entry.localCandidateId) || {};
        const remote = byId.get(entry.remoteCandidateId) || {};
        out.pair = {
          local: `${local.address}:${local.port} ${local.protocol} ${local.candidateType}`,
          remote: `${remote.address}:${remote.port} ${remote.protocol} ${remote.candidateType}`,
        };
      }
    });
    return out;
  }

  /** [`stats`] twice, `ms` apart, with the received video bitrate in between (bits/s). */
  async function statsWithBitrate(pc, ms = 2000) {
    const first = await stats(pc);
    await sleep(ms);
    const second = await stats(pc);
    const bytes = (s) => (s.video ? s.video.bytesReceived || 0 : 0);
    second.videoBitrate = ((bytes(second) - bytes(first)) * 8 * 1000) / ms;
    return second;
  }

  /**
   * Holds a running call for `ms` of steady media: the frames per second the page decoded
   * meanwhile and, when the driver exposes `serverCpu` (the server's CPU clock ticks and the
   * time), the share of one core the server used.
   */
  async function hold(pc, ms) {
    const cpu = window.serverCpu ? () => window.serverCpu() : async () => null;
    const before = await stats(pc);
    const cpuBefore = await cpu();
    await sleep(ms);
    const after = await stats(pc);
    const cpuAfter = await cpu();
    const frames = (s) => (s.video ? s.video.framesDecoded || 0 : 0);
    const out = { ms, fps: ((frames(after) - frames(before)) * 1000) / ms };
    if (cpuBefore && cpuAfter) {
      // Clock ticks are hundredths of a second on Linux.
      out.serverCores = (cpuAfter.ticks - cpuBefore.ticks) / 100 / ((cpuAfter.ms - cpuBefore.ms) / 1000);
    }
    return out;
  }

  /** Loads an image from `url`. */
  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error(`cannot load ${url}`));
      image.src = url;
    });
  }

  window.Measure = {
    sleep,
    playing,
    luma,
    difference,
    spread,
    pictureMatch,
    colours,
    rowColours,
    audioEnergy,
    canvasCamera,
    readCounter,
    latency,
    stats,
    statsWithBitrate,
    hold,
    loadImage,
  };
})();
