'use strict';
// A tiny static file server for the browser tests and the demo: 127.0.0.1 only, a random free
// port, GET/HEAD of files under one folder (nothing outside it), `.wasm` as application/wasm.
// It is bounded: it closes by itself after `lifetimeMs` (default 2 minutes) even if a test
// forgets to, and its timer does not keep Node alive.
//
//   const { serve } = require('./server');
//   const server = await serve(dir);  // server.url = 'http://127.0.0.1:PORT'
//   await server.close();
//
// By hand, to look at the demo: node bindings-wasm/serve.js [port] [minutes].
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/plain; charset=utf-8',
};

function serve(root, { port = 0, lifetimeMs = 120000, log = false } = {}) {
  root = path.resolve(root);
  const server = http.createServer((req, res) => {
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    let file = path.join(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, 'forbidden');
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!rel.endsWith('/')) {
          res.writeHead(301, { location: `${rel}/` });
          return res.end();
        }
        file = path.join(file, 'index.html');
      }
      fs.readFile(file, (err2, data) => {
        if (log) console.log(`${req.method} ${rel} ${err2 ? 404 : 200}`);
        if (err2) return send(404, 'not found');
        send(200, data, TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream');
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const close = () =>
        new Promise((done) => {
          clearTimeout(timer);
          server.closeAllConnections();
          server.close(() => done());
        });
      const timer = setTimeout(close, lifetimeMs);
      timer.unref();
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close, server });
    });
  });
}

module.exports = { serve };

