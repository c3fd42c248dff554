'use strict';
// Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or $CHROMIUM) driven by
// playwright-core, which downloads no browser of its own. The flags keep Chromium off the
// network (this machine's network is closed: background services would only fail) and let it
// run as root.
const fs = require('node:fs');
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

function available() {
  return fs.existsSync(EXECUTABLE);
}

async function launch() {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS, timeout: 60000 });
}

/** A new page that fails the test on any uncaught page error; console messages are kept. */
async function newPage(browser, options = {}) {
  const page = await browser.newPage(options);
  page.consoleMessages = [];
  page.pageErrors = [];
  page.on('console', (m) => page.consoleMessages.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => page.pageErrors.push(e));
  page.setDefaultTimeout(20000);
  return page;
}

module.exports = { EXECUTABLE, available, launch, newPage };
