#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (c) 2026 The tremmasterd authors
// The REST API's status page (GET /, Accept: text/html) in a real browser:
// Debian's Chromium (/usr/bin/chromium), driven by playwright-core.
//
// usage: node status_page.js URL EXPECT.json SHOT.png [--timeout MS]
//                            [--width PX] [--narrow PX] [--scale N]
//
// EXPECT.json holds {"servers": [{"name": ..., "map": ..., "players":
// "N / M"}, ...], "title": ...}.  Starts headless Chromium with a fresh,
// empty profile (removed at exit) and JavaScript turned off, as a reader
// without it would see the page, loads URL and checks in the DOM:
//   - the title and the <h1> are EXPECT's title;
//   - there is no <script> element;
//   - #servers, #players and #health are there;
//   - every server of EXPECT has a row of the table with exactly its
//     name, map and players in the first three cells, and there is no
//     other row;
//   - nothing is wider than the window (no horizontal scroll bar), in a
//     window WIDTH px wide (default 1280) and in one NARROW px wide (a
//     phone's, default 390).
// The full-page screenshots, taken at SCALE device pixels a CSS pixel
// (default 2, for the OCR that reads them), go to SHOT.png and, for the
// narrow window, SHOT-narrow.png.  Prints what it found as one line of
// JSON on standard output and each problem on standard error.
// Exit status: 0 when every check passed, 2 when one failed (the
// screenshot is saved anyway), 1 on an error.  Everything is bounded by
// TIMEOUT ms (default 30000).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const o = { url: null, expect: null, shot: null, timeout: 30000,
    width: 1280, narrow: 390, scale: 2 };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--width') o.width = Number(argv[++i]);
    else if (a === '--narrow') o.narrow = Number(argv[++i]);
    else if (a === '--scale') o.scale = Number(argv[++i]);
    else pos.push(a);
  }
  if (pos.length !== 3 || !(o.timeout > 0) || !(o.width > 0) ||
      !(o.narrow > 0) || !(o.scale > 0)) {
    process.stderr.write('usage: node status_page.js URL EXPECT.json ' +
      'SHOT.png [--timeout MS] [--width PX] [--narrow PX] [--scale N]\n');
    process.exit(1);
  }
  [o.url, o.expect, o.shot] = pos;
  return o;
}

// Runs in the page (evaluate works with the page's JavaScript off).
function readPage() {
  const text = (e) => (e ? e.textContent.trim() : null);
  const rows = Array.from(document.querySelectorAll('table tbody tr'),
    (tr) => Array.from(tr.cells, (td) => td.textContent.trim()));
  const head = Array.from(document.querySelectorAll('table thead th'),
    (th) => th.textContent.trim());
  const doc = document.documentElement;
  return {
    title: document.title,
    h1: text(document.querySelector('h1')),
    scripts: document.getElementsByTagName('script').length,
    servers: text(document.getElementById('servers')),
    players: text(document.getElementById('players')),
    health: text(document.getElementById('health')),
    head,
    rows,
    scrollWidth: doc.scrollWidth,
    clientWidth: doc.clientWidth,
  };
}

function check(want, got) {
  const bad = [];
  if (got.title !== want.title) {
    bad.push(`title is ${JSON.stringify(got.title)}, not ` +
      JSON.stringify(want.title));
  }
  if (got.h1 !== want.title) {
    bad.push(`h1 is ${JSON.stringify(got.h1)}, not ` +
      JSON.stringify(want.title));
  }
  if (got.scripts !== 0) bad.push(`${got.scripts} script element(s)`);
  for (const id of ['servers', 'players', 'health']) {
    if (got[id] === null) bad.push(`no element with id "${id}"`);
  }
  if (got.servers !== String(want.servers.length)) {
    bad.push(`#servers says ${JSON.stringify(got.servers)}, not ` +
      `${want.servers.length}`);
  }
  const cols = ['Server', 'Map', 'Players'];
  if (JSON.stringify(got.head.slice(0, 3)) !== JSON.stringify(cols)) {
    bad.push(`the first columns are ${JSON.stringify(got.head)}`);
  }
  const left = got.rows.slice();
  for (const s of want.servers) {
    const i = left.findIndex((r) => r[0] === s.name);
    if (i < 0) {
      bad.push(`no row for ${JSON.stringify(s.name)}`);
      continue;
    }
    const r = left.splice(i, 1)[0];
    if (r[1] !== s.map || r[2] !== s.players) {
      bad.push(`row of ${JSON.stringify(s.name)} is ${JSON.stringify(r)}, ` +
        `not map ${JSON.stringify(s.map)}, players ` +
        JSON.stringify(s.players));
    }
  }
  for (const r of left) bad.push(`unexpected row ${JSON.stringify(r)}`);
  if (got.scrollWidth > got.clientWidth) {
    bad.push(`the page is ${got.scrollWidth} px wide in a window of ` +
      `${got.clientWidth} px`);
  }
  return bad;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const want = JSON.parse(fs.readFileSync(o.expect, 'utf8'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(),
    'tremmasterd-chromium-'));
  let context = null;
  // Whatever hangs, the process ends.
  const killer = setTimeout(() => {
    process.stderr.write(`status_page: gave up after ${o.timeout} ms\n`);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }, o.timeout + 5000);
  killer.unref();
  let status = 1;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      javaScriptEnabled: false,
      viewport: { width: o.width, height: 720 },
      deviceScaleFactor: o.scale,
      timeout: o.timeout,
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(o.timeout);
    page.on('console', (m) => process.stderr.write(
      `status_page: console: ${m.text()}\n`));
    const resp = await page.goto(o.url, { waitUntil: 'load' });
    const type = resp ? resp.headers()['content-type'] || '' : '';
    const seen = await page.evaluate(readPage);
    seen.status = resp ? resp.status() : null;
    seen.contentType = type;
    const bad = check(want, seen);
    if (seen.status !== 200) bad.push(`status ${seen.status}`);
    if (!type.startsWith('text/html')) bad.push(`Content-Type ${type}`);
    await page.screenshot({ path: o.shot, fullPage: true });
    await page.setViewportSize({ width: o.narrow, height: 720 });
    const narrow = await page.evaluate(readPage);
    seen.narrow = { scrollWidth: narrow.scrollWidth,
      clientWidth: narrow.clientWidth };
    if (narrow.scrollWidth > narrow.clientWidth) {
      bad.push(`the page is ${narrow.scrollWidth} px wide in a narrow ` +
        `window of ${narrow.clientWidth} px`);
    }
    await page.screenshot({ path: o.shot.replace(/(\.png)?$/, '-narrow.png'),
      fullPage: true });
    process.stdout.write(JSON.stringify(seen) + '\n');
    for (const b of bad) process.stderr.write(`status_page: ${b}\n`);
    status = bad.length === 0 ? 0 : 2;
  } catch (e) {
    process.stderr.write(`status_page: ${e.stack || e}\n`);
    status = 1;
  } finally {
    if (context) {
      await context.close().catch(() => {});
    }
    fs.rmSync(profile, { recursive: true, force: true });
    clearTimeout(killer);
  }
  process.exit(status);
}

main();
