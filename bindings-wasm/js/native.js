'use strict';
// compcode-wasm: the WebAssembly module behind the same three exports as the Node addon's
// `native.js` (`runJson`, `errorCodes`, `panicForTests`), so that the Node binding's JS layer
// (`bindings-node/index.js`, copied verbatim into this package as `index.js`) runs on it unchanged.
// `bindings-wasm/build.js` puts this file into the package as `native.js` (Node) and into
// `web/index.js` (browsers), where `require('./compcode_wasm.js')` is the wasm-bindgen glue of
// each target.
//
// Every export answers the envelope `{"ok": ...}` / `{"error": {...}}` (JSON text) built by the
// Rust side (src/lib.rs). What this file adds is panic containment: WebAssembly cannot unwind, so
// a Rust panic runs the panic hook (which records the message and prints it with
// console_error_panic_hook) and then traps. A trap, or anything else thrown from inside the
// module, is caught here: the message is read, the module is re-instantiated (a trapped
// instance's stack and heap are not trusted again) and the answer is the INTERNAL_ERROR envelope
// of the Node addon, made by the fresh instance. The caller sees a CompcodeError; the module
// works on.

const glue = require('./compcode_wasm.js');

/** Calls `fn`; a trap becomes the INTERNAL_ERROR envelope and the module is re-instantiated. */
function contained(fn) {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      let message;
      try {
        message = glue.takePanic(); // recorded by the panic hook, if the trap was a panic
      } catch {
        message = undefined;
      }
      glue.__wbg_reset_state();
      return glue.panicEnvelope(message === undefined ? null : message, String(e && e.message ? e.message : e));
    }
  };
}

/** `runJson(operation, inputJsonText, hostIssues?)`: host issues cross as JSON text. */
const runJson = contained((operation, input, hostIssues) =>
  glue.runJson(operation, input, hostIssues === undefined ? undefined : JSON.stringify(hostIssues)),
);

const errorCodes = contained(() => glue.errorCodes());

const panicForTests = contained((message) => glue.panicForTests(message));

module.exports = { runJson, errorCodes, panicForTests };
