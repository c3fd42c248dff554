#!/usr/bin/env node
'use strict';
// Serves bindings-wasm/ on 127.0.0.1 to look at the plan preview page by hand (build it first:
// bash scripts/test-wasm.sh), and stops by itself after [minutes]:
//
//   node bindings-wasm/serve.js [port=8765] [minutes=30]     # then open http://127.0.0.1:8765/demo/
const path = require('node:path');
const { serve } = require('./test/server');

const port = Number(process.argv[2] || 8765);
const minutes = Number(process.argv[3] || 30);
serve(path.resolve(__dirname), { port, lifetimeMs: minutes * 60000, log: true }).then(({ url, server }) => {
  server.on('close', () => console.log('stopped'));
  console.log(`serving bindings-wasm/ at ${url}/demo/ for ${minutes} minutes (Ctrl-C stops it sooner)`);
});
