// Drives an RtpEndpoint of `filmstrip serve` with the official kurento-client in strict mode;
// run by tests/tests/rtp_endpoint.rs, which checks the lines printed here.
//
// Usage: node rtp.js CONFIG_JSON, where the config names the server URL, a plain RTP offer
// and an SRTP master key. Every step prints one JSON line {"step": ..., ...}; any failure
// prints {"step": "failed", "error": ...} and exits 1.
'use strict';

const kurentoClient = require('kurento-client');
const { report, run } = require('./steps');

const config = JSON.parse(process.argv[2]);

async function main() {
  const client = await kurentoClient(config.url, { strict: true });
  const manager = await client.getServerManager();
  const pipeline = await client.create('MediaPipeline');

  const plain = await pipeline.create('RtpEndpoint');
  const answer = await plain.processOffer(config.offer);
  report('answered', {
    id: plain.id,
    answer,
    local: await plain.getLocalSessionDescriptor(),
    remote: await plain.getRemoteSessionDescriptor(),
    connectionState: await plain.getConnectionState(),
    maxVideoSendBandwidth: await plain.getMaxVideoSendBandwidth(),
  });
  // kurento-client's own SdpEndpoint reports errors to a callback (its promise resolves).
  const refused = await new Promise((resolve) => {
    plain.processOffer(config.offer, (error) => resolve(error && { code: error.code }));
  });
  report('second-offer', { refused });

  const SDES = kurentoClient.getComplexType('SDES');
  const secure = await pipeline.create('RtpEndpoint', {
    crypto: new SDES({ crypto: 'AES_128_CM_HMAC_SHA1_80', keyBase64: config.keyBase64 }),
  });
  report('offered', { offer: await secure.generateOffer() });

  await pipeline.release();
  const pipelines = await manager.getPipelines();
  report('released', { pipelines: pipelines.map((p) => p.id) });
  client.close();
}

run(main, 60000);
