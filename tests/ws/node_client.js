#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (c) 2026 The tremmasterd authors
// A real WebSocket client for the tremmasterd tests: the `ws` package.
//
// usage: node node_client.js PORT [--wss] [--host H] [--request TEXT]
//                            [--quiet MS] [--timeout MS]
//
// Connects to ws://HOST:PORT (wss:// with --wss, certificate not
// checked), sends one binary message: the 4-byte header \xff\xff\xff\xff
// followed by TEXT (default "getserversExt Tremulous 69 empty full"), and
// prints every binary message received, in hex, one per line.  It exits
// QUIET ms after the last message (default 500), or TIMEOUT ms after the
// start (default 10000) whatever happens.  Exit status: 0 when at least
// one message came, 2 when none did, 1 on an error.

'use strict';

const WebSocket = require('ws');

function parseArgs(argv) {
  const o = {
    port: null, host: '127.0.0.1', wss: false,
    request: 'getserversExt Tremulous 69 empty full',
    quiet: 500, timeout: 10000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--wss') o.wss = true;
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--request') o.request = argv[++i];
    else if (a === '--quiet') o.quiet = Number(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (o.port === null && /^\d+$/.test(a)) o.port = Number(a);
    else {
      process.stderr.write(`node_client: unknown argument ${a}\n`);
      process.exit(1);
    }
  }
  if (o.port === null) {
    process.stderr.write('usage: node node_client.js PORT [--wss] ' +
      '[--host H] [--request TEXT] [--quiet MS] [--timeout MS]\n');
    process.exit(1);
  }
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.wss ? 'wss' : 'ws'}://${host}:${o.port}/`;
  let count = 0;
  let quietTimer = null;
  let done = false;

  const ws = new WebSocket(url, {
    rejectUnauthorized: false,
    handshakeTimeout: Math.min(o.timeout, 5000),
  });
  ws.binaryType = 'nodebuffer';

  function finish(status, why) {
    if (done) return;
    done = true;
    clearTimeout(overall);
    if (quietTimer) clearTimeout(quietTimer);
    if (why) process.stderr.write(`node_client: ${why}\n`);
    try {
      ws.terminate();
    } catch (e) {
      // already gone
    }
    process.exitCode = status;
    // Nothing else may keep the process alive.
    setTimeout(() => process.exit(status), 100).unref();
  }

  const overall = setTimeout(() => {
    finish(count > 0 ? 0 : 2, `timeout after ${o.timeout} ms, ` +
      `${count} message(s)`);
  }, o.timeout);

  ws.on('open', () => {
    const req = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.from(o.request, 'latin1')]);
    ws.send(req, { binary: true });
    quietTimer = setTimeout(() => finish(2, 'no reply'),
      Math.max(o.quiet, 3000));
  });

  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      process.stderr.write('node_client: text message ignored\n');
      return;
    }
    count++;
    process.stdout.write(Buffer.from(data).toString('hex') + '\n');
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = setTimeout(() => finish(0), o.quiet);
  });

  ws.on('error', (e) => finish(1, `error: ${e.message}`));
  ws.on('close', (code) => {
    if (!done) finish(count > 0 ? 0 : 1, `closed by the server (${code})`);
  });
}

main();
