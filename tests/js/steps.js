// What the kurento-client scripts of this folder share: the JSON step lines the Rust tests
// read (tests/src/kurento_js.rs), errors taken as values, and running `main` under a watchdog.
'use strict';

/** Prints `{"step": step, ...fields}` as one line. */
function report(step, fields) {
  console.log(JSON.stringify(Object.assign({ step }, fields)));
}

/** The error `call` throws or rejects with, as {name, message, code}; null if it succeeds. */
async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { name: error.name, message: error.message, code: error.code };
  }
}

/**
 * Runs `main`, then reports `done` and exits 0; on an error, or when it takes longer than
 * `ms`, reports `failed` with the reason and exits 1.
 */
function run(main, ms) {
  const watchdog = setTimeout(() => {
    report('failed', { error: `timed out after ${ms} ms` });
    process.exit(1);
  }, ms);
  main().then(
    () => {
      clearTimeout(watchdog);
      report('done', {});
      process.exit(0);
    },
    (error) => {
      report('failed', { error: String((error && error.stack) || error) });
      process.exit(1);
    },
  );
}

module.exports = { report, failure, run };
