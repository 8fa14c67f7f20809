#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (c) 2026 The tremmasterd authors
// A real WebSocket peer for the tremmasterd tests: the `ws` package, as a
// web client or as the web build of a game server.
//
// usage: node node_client.js PORT [--wss] [--local ADDR] [--host H]
//                            [--header NAME:VALUE] [--request TEXT]
//                            [--count N] [--quiet MS] [--timeout MS]
//        node node_client.js PORT [--wss] [--local ADDR] [--host H]
//                            --serve GPORT[,GPORT] [--timeout MS]
//
// Connects to ws://HOST:PORT/ (HOST default 127.0.0.1; wss:// with --wss,
// certificate not checked), from ADDR when given (port chosen by the
// system), with each --header added to the upgrade request.
//
// As a client: sends the binary message \xff\xff\xff\xff + TEXT (default
// "getserversExt Tremulous 69 empty full") N times back to back (default
// 1), and prints every binary message received, in hex, one per line.  It
// exits QUIET ms after the last message (default 500), or TIMEOUT ms after
// the start (default 10000).  Exit status: 0 when at least one message
// came, 2 when none did, 1 on an error (a refused upgrade among them).
//
// As a game server (--serve): for each GPORT in turn sends emscripten's
// port announcement (\xff\xff\xff\xff "port" + GPORT, big-endian) and a
// heartbeat; the master's getinfo challenges come back in that order, and
// each is answered, after announcing its GPORT again, with an
// infoResponse carrying the challenge.  Prints "answered GPORT CHALLENGE"
// for each, then keeps the connection open until standard input ends or
// TIMEOUT ms pass (default 10000).  Exit status: 0 when every GPORT was
// answered and the connection was still open at the end, 1 otherwise.

'use strict';

const WebSocket = require('ws');

const HDR = Buffer.from([0xff, 0xff, 0xff, 0xff]);

function parseArgs(argv) {
  const o = {
    port: null, host: '127.0.0.1', local: null, headers: {}, wss: false,
    request: 'getserversExt Tremulous 69 empty full', count: 1,
    quiet: 500, timeout: 10000, serve: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--wss') o.wss = true;
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--local') o.local = argv[++i];
    else if (a === '--header') {
      const h = argv[++i] || '';
      const colon = h.indexOf(':');
      if (colon <= 0) {
        process.stderr.write(`node_client: bad header ${h}\n`);
        process.exit(1);
      }
      o.headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (a === '--request') o.request = argv[++i];
    else if (a === '--count') o.count = Number(argv[++i]);
    else if (a === '--quiet') o.quiet = Number(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--serve') {
      o.serve = String(argv[++i]).split(',').map(Number);
    } else if (o.port === null && /^\d+$/.test(a)) o.port = Number(a);
    else {
      process.stderr.write(`node_client: unknown argument ${a}\n`);
      process.exit(1);
    }
  }
  if (o.port === null ||
      (o.serve !== null && o.serve.some((p) => !(p > 0 && p < 65536)))) {
    process.stderr.write('usage: node node_client.js PORT [--wss] ' +
      '[--local ADDR] [--host H] [--header NAME:VALUE] [--request TEXT] [--count N] ' +
      '[--quiet MS] [--timeout MS] | --serve GPORT[,GPORT]\n');
    process.exit(1);
  }
  return o;
}

function portMessage(port) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(port);
  return Buffer.concat([HDR, Buffer.from('port', 'latin1'), b]);
}

function infoResponse(challenge) {
  const keys = [['game', 'base'], ['pure', '1'], ['sv_maxclients', '8'],
    ['clients', '2'], ['mapname', 'atcs'], ['hostname', 'Node server'],
    ['protocol', '69'], ['challenge', challenge]];
  const body = keys.map(([k, v]) => `\\${k}\\${v}`).join('');
  return Buffer.concat([HDR, Buffer.from('infoResponse\n' + body,
    'latin1')]);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.wss ? 'wss' : 'ws'}://${host}:${o.port}/`;
  let count = 0;
  let answered = 0;
  let quietTimer = null;
  let done = false;

  const ws = new WebSocket(url, {
    localAddress: o.local || undefined,
    rejectUnauthorized: false,
    headers: o.headers,
    perMessageDeflate: false,
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

  const serving = () => o.serve !== null;
  const overall = setTimeout(() => {
    if (serving()) {
      finish(answered === o.serve.length ? 0 : 1,
        `timeout after ${o.timeout} ms, ${answered} answered`);
    } else {
      finish(count > 0 ? 0 : 2, `timeout after ${o.timeout} ms, ` +
        `${count} message(s)`);
    }
  }, o.timeout);

  if (serving()) {
    process.stdin.on('end', () => finish(answered === o.serve.length ?
      0 : 1, `standard input closed, ${answered} answered`));
    process.stdin.resume();
  }

  ws.on('open', () => {
    if (serving()) {
      for (const p of o.serve) {
        ws.send(portMessage(p), { binary: true });
        ws.send(Buffer.concat([HDR, Buffer.from('heartbeat Tremulous\n',
          'latin1')]), { binary: true });
      }
      return;
    }
    const req = Buffer.concat([HDR, Buffer.from(o.request, 'latin1')]);
    for (let i = 0; i < o.count; i++) ws.send(req, { binary: true });
    quietTimer = setTimeout(() => finish(2, 'no reply'),
      Math.max(o.quiet, 3000));
  });

  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      process.stderr.write('node_client: text message ignored\n');
      return;
    }
    const buf = Buffer.from(data);
    if (serving()) {
      const prefix = Buffer.concat([HDR, Buffer.from('getinfo ',
        'latin1')]);
      if (!buf.subarray(0, prefix.length).equals(prefix) ||
          answered >= o.serve.length) {
        process.stderr.write(`node_client: unexpected ${buf.toString('hex')}\n`);
        return;
      }
      const challenge = buf.subarray(prefix.length).toString('latin1');
      const p = o.serve[answered++];
      ws.send(portMessage(p), { binary: true });
      ws.send(infoResponse(challenge), { binary: true });
      process.stdout.write(`answered ${p} ${challenge}\n`);
      return;
    }
    count++;
    process.stdout.write(buf.toString('hex') + '\n');
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = setTimeout(() => finish(0), o.quiet);
  });

  ws.on('unexpected-response', (req, res) => {
    finish(1, `upgrade refused: ${res.statusCode}`);
  });
  ws.on('error', (e) => finish(1, `error: ${e.message}`));
  ws.on('close', (code) => {
    if (done) return;
    if (serving()) finish(1, `closed by the server (${code})`);
    else finish(count > 0 ? 0 : 1, `closed by the server (${code})`);
  });
}

main();
