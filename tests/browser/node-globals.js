// The Node globals kurento-client's dependencies use, injected into the browser bundle.
export { default as process } from 'process';
export { Buffer } from 'buffer';
