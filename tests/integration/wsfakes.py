# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A tremmasterd with WebSocket ports, WebSocket clients and a WebSocket
game server (the web build of the game: an emscripten port announcement,
then heartbeat and infoResponse on the same connection), for the test_ws*
modules.  Loopback only; every connection is closed by a test cleanup and
every wait is bounded.
"""

import socket
import struct

from harness import Daemon, HAVE_IPV6, free_ports
from fakes import CHALLENGE_CHARS, CHALLENGE_LEN, HDR
from ws_client import OP_BINARY, WSClient


class WSMaster:
    """tremmasterd on 127.0.0.1 (and ::1) with one UDP request port, a
    challenge port and one WebSocket port (wsport).  Unless throttle is
    true it runs with --throttle-burst 0.  The attributes port, cport and
    tail() make it usable by fakes.Client and fakes.FakeServer."""

    def __init__(self, test, args=(), verbose=1, files=None, throttle=False,
                 unprivileged=False, tls=None):
        self.test = test
        self.port, self.cport, self.wsport = free_ports(3)
        self.ports = [self.port]
        self.tls = tls is not None
        argv = ["-v"] * verbose + ["-l", "127.0.0.1"]
        if HAVE_IPV6:
            argv += ["-L", "::1"]
        argv += ["-p", str(self.port), "-P", str(self.cport),
                 "-W", str(self.wsport)]
        if tls is not None:
            argv += ["-k", tls[0], "-K", tls[1]]
        if not throttle:
            argv += ["--throttle-burst", "0"]
        argv += [str(a) for a in args]
        self.d = Daemon(test, argv, files=files, unprivileged=unprivileged)

    def start(self):
        self.d.start().wait_started()
        self.d.wait_for_log(r"\[WS\] listening on IPv4 port %d" %
                            self.wsport)
        return self

    def tail(self, n=60):
        return self.d.tail(n)

    def alive(self):
        return self.d.running() and len(self.d.children()) == 2

    def ws(self, source=None, host="127.0.0.1", handshake=True, **kw):
        """A WebSocket connection to wsport, upgraded unless handshake is
        false; closed by a cleanup."""
        c = WSClient(host, self.wsport, tls=self.tls, source=source, **kw)
        self.test.addCleanup(c.close)
        c.connect()
        if handshake:
            c.handshake()
        return c


def port_message(port):
    """Emscripten's first message: HDR "port" + the port, big-endian."""
    return HDR + b"port" + struct.pack(">H", port)


class WSGameServer:
    """The web build of a game server: one WebSocket connection from its
    own loopback address; it announces the port it is listed under."""

    def __init__(self, test, master, addr="127.0.0.5", port=30720,
                 hostname="Web server", protocol="69", clients=2,
                 maxclients=8):
        self.test = test
        self.master = master
        self.host = addr
        self.port = port
        self.ws = master.ws(source=addr)
        self.keys = [("game", "base"), ("pure", "1"),
                     ("sv_maxclients", str(maxclients)),
                     ("clients", str(clients)), ("mapname", "atcs"),
                     ("hostname", hostname), ("protocol", protocol)]

    @property
    def entry(self):
        return (self.host, self.port)

    def announce(self, port=None):
        if port is not None:
            self.port = port
        self.ws.send_binary(port_message(self.port))

    def heartbeat(self, tag=b"Tremulous"):
        self.ws.send_binary(HDR + b"heartbeat " + tag + b"\n")

    def expect_getinfo(self, timeout=3.0):
        """The next message must be a binary getinfo with a well-formed
        challenge; returns the challenge (str)."""
        m = self.ws.recv_message(timeout)
        if m is None:
            raise AssertionError("no getinfo over the WebSocket within "
                                 "%.1f s\n%s" % (timeout,
                                                 self.master.tail()))
        op, data = m
        if op != OP_BINARY:
            raise AssertionError("getinfo came as opcode %d: %r" % (op,
                                                                     data))
        prefix = HDR + b"getinfo "
        if not data.startswith(prefix):
            raise AssertionError("not a getinfo: %r" % data)
        c = data[len(prefix):]
        if len(c) != CHALLENGE_LEN or any(b not in CHALLENGE_CHARS
                                          for b in c):
            raise AssertionError("bad challenge %r" % c)
        return c.decode("ascii")

    def info(self, challenge):
        pairs = list(self.keys) + [("challenge", challenge)]
        body = "".join("\\%s\\%s" % kv for kv in pairs)
        return HDR + b"infoResponse\n" + body.encode("latin-1")

    def answer(self, challenge):
        self.ws.send_binary(self.info(challenge))

    def register_ports(self, ports, batch=64):
        """Register this connection under every port of ports, a batch at
        a time, pipelined: announce + heartbeat for each, then the
        getinfos (they come back in order), then announce + answer."""
        for i in range(0, len(ports), batch):
            part = ports[i:i + batch]
            for p in part:
                self.announce(p)
                self.heartbeat()
            challenges = [self.expect_getinfo() for _ in part]
            for p, c in zip(part, challenges):
                self.announce(p)
                self.answer(c)

    def register(self, port=None):
        """Announce (the port), heartbeat, answer the getinfo; returns
        the challenge."""
        self.announce(port)
        self.heartbeat()
        c = self.expect_getinfo()
        self.answer(c)
        return c


def v4_entry(host, port):
    return b"\\" + socket.inet_aton(host) + struct.pack(">H", port)
