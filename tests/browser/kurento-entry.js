// Entry point of the browser bundle that build.js makes: the npm packages kurento-client and
// kurento-utils, exposed as the globals Kurento's browser tutorials use.
window.kurentoClient = require('kurento-client');
window.kurentoUtils = require('kurento-utils');
