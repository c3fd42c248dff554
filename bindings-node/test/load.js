'use strict';
// The one place the suite loads the module under test, so the same test files run against
// every JS target: the Node addon (default) or the WASM build (COMPCODE_TARGET=wasm).
const path = require('node:path');

const target = process.env.COMPCODE_TARGET === 'wasm' ? 'wasm' : 'node';
/** The package directory of the target (its index.d.ts is checked by types.test.js). */
const dir = target === 'wasm' ? path.resolve(__dirname, '../../bindings-wasm/pkg') : path.resolve(__dirname, '..');

module.exports = { compcode: require(dir), dir, target };
