#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (c) 2026 The tremmasterd authors
// A real browser as a WebSocket client for the tremmasterd tests: Debian's
// Chromium (/usr/bin/chromium), driven by playwright-core.
//
// usage: node browser_test.js PORT [--wss] [--request TEXT] [--quiet MS]
//                             [--timeout MS]
//
// Starts headless Chromium with a fresh, empty profile (removed at exit),
// opens an empty page and runs, in the page, new WebSocket('ws://127.0.0.1:
// PORT') with binaryType 'arraybuffer'; sends \xff\xff\xff\xff + TEXT
// (default "getserversExt Tremulous 69 empty full") as a Uint8Array and
// collects every binary reply until QUIET ms pass without one (default
// 500).  The replies come back to Node as hex and are printed one per
// line.  Everything is bounded by TIMEOUT ms (default 30000).  Exit
// status: 0 when at least one message came, 2 when none did, 1 on an
// error.
//
// The empty page comes from a one-page HTTP server on 127.0.0.1 started
// here, not from about:blank or data: - Chromium's Local Network Access
// checks block a WebSocket to a loopback address from those
// (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS), as they would from a
// public site; a page on the master's own address space may connect.

'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const o = {
    port: null, wss: false,
    request: 'getserversExt Tremulous 69 empty full',
    quiet: 500, timeout: 30000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--wss') o.wss = true;
    else if (a === '--request') o.request = argv[++i];
    else if (a === '--quiet') o.quiet = Number(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (o.port === null && /^\d+$/.test(a)) o.port = Number(a);
    else {
      process.stderr.write(`browser_test: unknown argument ${a}\n`);
      process.exit(1);
    }
  }
  if (o.port === null) {
    process.stderr.write('usage: node browser_test.js PORT [--wss] ' +
      '[--request TEXT] [--quiet MS] [--timeout MS]\n');
    process.exit(1);
  }
  return o;
}

// Runs in the page: one WebSocket, one request, the replies as hex.
async function inPage({ url, request, quiet, timeout }) {
  return new Promise((resolve) => {
    const replies = [];
    const events = [];
    let quietTimer = null;
    let done = false;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const hex = (buf) => Array.from(new Uint8Array(buf),
      (b) => b.toString(16).padStart(2, '0')).join('');
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      if (quietTimer) clearTimeout(quietTimer);
      events.push(why);
      try { ws.close(1000); } catch (e) { /* closing anyway */ }
      resolve({ replies, events });
    };
    const overall = setTimeout(() => finish('timeout'), timeout);
    ws.onopen = () => {
      events.push('open');
      const bytes = new Uint8Array(4 + request.length);
      bytes.set([0xff, 0xff, 0xff, 0xff]);
      for (let i = 0; i < request.length; i++) {
        bytes[4 + i] = request.charCodeAt(i) & 0xff;
      }
      ws.send(bytes);
      quietTimer = setTimeout(() => finish('no reply'),
        Math.max(quiet, 3000));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        events.push('text message');
        return;
      }
      replies.push(hex(ev.data));
      if (quietTimer) clearTimeout(quietTimer);
      quietTimer = setTimeout(() => finish('quiet'), quiet);
    };
    ws.onerror = () => events.push('error');
    ws.onclose = (ev) => finish(`closed ${ev.code}`);
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const url = `${o.wss ? 'wss' : 'ws'}://127.0.0.1:${o.port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(),
    'tremmasterd-chromium-'));
  let context = null;
  // Whatever hangs, the process ends.
  const killer = setTimeout(() => {
    process.stderr.write(`browser_test: gave up after ${o.timeout} ms\n`);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }, o.timeout + 5000);
  killer.unref();
  let status = 1;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store' });
    res.end('<!doctype html><title>tremmasterd WebSocket test</title>\n');
  });
  let pageUrl = null;
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    pageUrl = `http://127.0.0.1:${server.address().port}/`;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ignoreHTTPSErrors: true,
      timeout: o.timeout,
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(o.timeout);
    page.on('console', (m) => process.stderr.write(
      `browser_test: console: ${m.text()}\n`));
    await page.goto(pageUrl);
    const ua = await page.evaluate(() => navigator.userAgent);
    process.stderr.write(`browser_test: ${ua}\n`);
    const r = await page.evaluate(inPage, {
      url, request: o.request, quiet: o.quiet,
      timeout: Math.max(1000, o.timeout - 5000),
    });
    process.stderr.write(`browser_test: events ${r.events.join(', ')}\n`);
    for (const h of r.replies) process.stdout.write(h + '\n');
    status = r.replies.length > 0 ? 0 : 2;
  } catch (e) {
    process.stderr.write(`browser_test: ${e.stack || e}\n`);
    status = 1;
  } finally {
    if (context) {
      await context.close().catch(() => {});
    }
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
    clearTimeout(killer);
  }
  process.exit(status);
}

main();
