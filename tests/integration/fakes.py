# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Fake game servers, a fake client and list parsers for the UDP tests.

Everything here talks to a real tremmasterd (started through
harness.Daemon) over loopback only: fake servers bind their own address
in 127.0.0.0/8 (all of it is local on Linux) or ::1; clients bind
127.0.0.1 (or another loopback address) or ::1.  Every socket is closed
by a cleanup registered on the test case; every wait is bounded.

The wire formats follow /work/shared/PROTOCOL.md:
- S1 getinfo:   HDR "getinfo " + 12 challenge characters, nothing after;
- S2 plain:     HDR "getserversResponse" + ("\\" + 4 + 2 bytes)* + "\\";
- S3 Ext:       HDR "getserversExtResponse\0<i>\0<n>\0<label>" + entries
                (IPv6: "/" + 16 + 2 bytes) + "\\";
- S5 motd:      see netd/proto.c, proto_motd().
"""

import math
import selectors
import socket
import struct
import time
import unittest

from harness import Daemon, HAVE_IPV6, collect, free_ports

HDR = b"\xff\xff\xff\xff"
PLAIN_HDR = HDR + b"getserversResponse"
EXT_HDR = HDR + b"getserversExtResponse"
EMPTY_PLAIN = PLAIN_HDR + b"\\"
EMPTY_EXT = EXT_HDR + b"\x001\x001\x00\\"
MAX_PER_PACKET = 256

CHALLENGE_LEN = 12
CHALLENGE_CHARS = frozenset(c for c in range(0x21, 0x7f)
                            if c not in b'\\;%"/')

NO_REPLY_WAIT = 1.0     # how long "no reply" is waited for
REPLY_WAIT = 3.0        # how long the first datagram of a reply may take
QUIET = 0.1             # a reply is complete after this much silence

LINE = r"(?m)^\S+ \S+ "         # the time stamp of a log line


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def master_host(family):
    """The address the test daemon listens on, for family."""
    return "::1" if family == socket.AF_INET6 else "127.0.0.1"


def bound_udp(addr, port=0):
    """A UDP socket bound to (addr, port); the caller closes it."""
    family = family_of(addr)
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
    except OSError:
        s.close()
        raise
    return s


def udp_socket(test, addr, port=0):
    """A UDP socket bound to (addr, port), closed by a cleanup."""
    s = bound_udp(addr, port)
    test.addCleanup(s.close)
    return s


def recv_one(sock, timeout):
    """One datagram (data, (host, port)) or None after timeout."""
    sock.settimeout(max(timeout, 0.001))
    try:
        data, src = sock.recvfrom(65535)
    except (socket.timeout, BlockingIOError):
        return None
    return data, (src[0], src[1])


def recv_all(sock, first=REPLY_WAIT, quiet=QUIET, limit=10.0):
    """Every datagram until quiet seconds pass without one; the first may
    take up to first seconds.  Never more than limit seconds in all."""
    return collect(lambda t: recv_one(sock, t), first, quiet, limit)


def drain(sock):
    """Throw away whatever is queued on sock."""
    sock.setblocking(False)
    try:
        while True:
            try:
                sock.recvfrom(65535)
            except (BlockingIOError, socket.timeout):
                break
    finally:
        sock.setblocking(True)


def align_second(frac=0.1):
    """Sleep until the fractional part of CLOCK_MONOTONIC (the clock netd
    counts whole seconds on) is frac; returns that monotonic time.  Makes
    the whole-second deadlines of the daemon predictable."""
    now = time.monotonic()
    target = math.floor(now) + frac
    if target < now + 0.02:
        target += 1
    time.sleep(target - now)
    return target


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


# ---------------------------------------------------------------------------
# The daemon

class Master:
    """A tremmasterd on loopback with its own ports: request ports (IPv4
    127.0.0.1 and, when available, ::1) and a challenge port.  Unless
    throttle is true, runs with --throttle-burst 0."""

    def __init__(self, test, args=(), verbose=1, files=None, nports=1,
                 throttle=False, datadir=None, ports=None):
        self.test = test
        if ports is None:
            ports = free_ports(nports + 1)
        self.ports = list(ports[:-1])
        self.cport = ports[-1]
        argv = ["-v"] * verbose + ["-l", "127.0.0.1"]
        if HAVE_IPV6:
            argv += ["-L", "::1"]
        for p in self.ports:
            argv += ["-p", str(p)]
        argv += ["-P", str(self.cport)]
        if not throttle:
            argv += ["--throttle-burst", "0"]
        argv += [str(a) for a in args]
        self.d = Daemon(test, argv, files=files, datadir=datadir)

    @property
    def port(self):
        return self.ports[0]

    def start(self):
        self.d.start().wait_started()
        return self

    def tail(self, n=60):
        return self.d.tail(n)

    def alive(self):
        """The parent and both children run."""
        return self.d.running() and len(self.d.children()) == 2


# ---------------------------------------------------------------------------
# List responses

def _entry(kind, raw):
    if kind == "v4":
        host = socket.inet_ntop(socket.AF_INET, raw[:4])
    else:
        host = socket.inet_ntop(socket.AF_INET6, raw[:16])
    return host, int.from_bytes(raw[-2:], "big")


def parse_entries(body, ext, what):
    """The address entries of a list packet body (what follows the header
    and, for Ext, the label).  Checks the exact layout: entries back to
    back, each "\\"+4+2 (or, in Ext only, "/"+16+2), then one final "\\"
    and nothing else."""
    out = []
    i = 0
    n = len(body)
    while True:
        if i >= n:
            raise AssertionError("%s: no final \\ after the last entry: %r"
                                 % (what, body[-40:]))
        c = body[i:i + 1]
        if c == b"\\" and i == n - 1:
            return out
        if c == b"\\":
            if i + 7 > n - 1:
                raise AssertionError("%s: truncated IPv4 entry at byte %d "
                                     "of %d: %r" % (what, i, n, body[i:]))
            out.append(_entry("v4", body[i + 1:i + 7]))
            i += 7
        elif c == b"/" and ext:
            if i + 19 > n - 1:
                raise AssertionError("%s: truncated IPv6 entry at byte %d "
                                     "of %d: %r" % (what, i, n, body[i:]))
            out.append(_entry("v6", body[i + 1:i + 19]))
            i += 19
        else:
            raise AssertionError("%s: byte %d is %r, not an entry start or "
                                 "the final \\ (packet body %r)" %
                                 (what, i, c, body[:80]))


def parse_plain(pkt):
    """Entries of one getserversResponse packet."""
    if not pkt.startswith(PLAIN_HDR):
        raise AssertionError("not a getserversResponse: %r" % pkt[:60])
    entries = parse_entries(pkt[len(PLAIN_HDR):], False, "getserversResponse")
    if len(entries) > MAX_PER_PACKET:
        raise AssertionError("%d entries in one packet (max %d)" %
                             (len(entries), MAX_PER_PACKET))
    return entries


def parse_ext(pkt):
    """(index, total, label, entries) of one getserversExtResponse."""
    if not pkt.startswith(EXT_HDR + b"\x00"):
        raise AssertionError("not a getserversExtResponse: %r" % pkt[:60])
    rest = pkt[len(EXT_HDR) + 1:]
    parts = rest.split(b"\x00", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise AssertionError("bad Ext header (\\0<i>\\0<n>\\0<label>): %r" %
                             pkt[:80])
    idx, total = int(parts[0]), int(parts[1])
    body = parts[2]
    cut = min([p for p in (body.find(b"\\"), body.find(b"/")) if p >= 0],
              default=-1)
    if cut < 0:
        raise AssertionError("Ext packet without entries or final \\: %r" %
                             pkt[:80])
    label = body[:cut].decode("latin-1")
    entries = parse_entries(body[cut:], True, "getserversExtResponse")
    if len(entries) > MAX_PER_PACKET:
        raise AssertionError("%d entries in one packet (max %d)" %
                             (len(entries), MAX_PER_PACKET))
    return idx, total, label, entries


def check_ext_set(pkts):
    """Parse every Ext packet of one reply and check the sequence: indices
    1..n each once, total n in every packet.  Returns the parsed packets
    sorted by index."""
    parsed = [parse_ext(p) for p in pkts]
    if not parsed:
        raise AssertionError("no Ext packet")
    n = len(parsed)
    idx = sorted(p[0] for p in parsed)
    if idx != list(range(1, n + 1)):
        raise AssertionError("Ext indices %s, expected 1..%d" % (idx, n))
    totals = {p[1] for p in parsed}
    if totals != {n}:
        raise AssertionError("Ext totals %s in %d packets" % (totals, n))
    return sorted(parsed, key=lambda p: p[0])


# ---------------------------------------------------------------------------
# Client

class Client:
    """A game client (or qstat): one UDP socket on a loopback address."""

    def __init__(self, test, master, addr="127.0.0.1", port=0):
        self.test = test
        self.master = master
        self.family = family_of(addr)
        self.sock = udp_socket(test, addr, port)
        self.addr = self.sock.getsockname()[:2]
        self.mhost = master_host(self.family)

    def send(self, data, port=None):
        self.sock.sendto(data, (self.mhost, port or self.master.port))

    def recv_all(self, first=REPLY_WAIT, quiet=QUIET):
        return recv_all(self.sock, first, quiet)

    def ask(self, data, port=None, first=REPLY_WAIT, quiet=QUIET):
        """Send data, return every reply datagram (bytes).  Each must come
        from the port the request went to."""
        drain(self.sock)
        port = port or self.master.port
        self.send(data, port)
        got = self.recv_all(first, quiet)
        for _, src in got:
            if src != (self.mhost, port):
                raise AssertionError("reply from %s, request went to %s" %
                                     (src, (self.mhost, port)))
        return [d for d, _ in got]

    def expect_silence(self, data=None, port=None, wait=NO_REPLY_WAIT):
        """Send data (if any) and check nothing at all comes back."""
        if data is not None:
            drain(self.sock)
            self.send(data, port)
        got = recv_all(self.sock, wait, wait)
        if got:
            raise AssertionError("expected no reply to %r, got %r" %
                                 (data, got[:3]))

    # -- lists

    def plain(self, args=b"69 empty full", port=None):
        """Every packet of a getservers reply: (packets, entries)."""
        pkts = self.ask(HDR + b"getservers " + args, port)
        if not pkts:
            raise AssertionError("no reply to getservers %r\n%s" %
                                 (args, self.master.tail()))
        entries = []
        for p in pkts:
            entries += parse_plain(p)
        return pkts, entries

    def plain_set(self, args=b"69 empty full", port=None):
        """The servers of a getservers reply as a set; no duplicates."""
        _, entries = self.plain(args, port)
        if len(set(entries)) != len(entries):
            raise AssertionError("duplicate entries: %s" % entries)
        return set(entries)

    def ext(self, args=b"Tremulous 69 empty full", port=None):
        """The packets of a getserversExt reply, parsed and checked, sorted
        by index: [(index, total, label, entries)]."""
        pkts = self.ask(HDR + b"getserversExt " + args, port)
        if not pkts:
            raise AssertionError("no reply to getserversExt %r\n%s" %
                                 (args, self.master.tail()))
        return check_ext_set(pkts)

    def ext_set(self, args=b"Tremulous 69 empty full", port=None):
        entries = []
        for p in self.ext(args, port):
            entries += p[3]
        if len(set(entries)) != len(entries):
            raise AssertionError("duplicate entries: %s" % entries)
        return set(entries)

    def wait_listed(self, servers, args=b"69 empty full", timeout=3.0,
                    ext=False):
        """Poll until every server in servers is listed; returns the set."""
        want = {s.entry for s in servers}
        deadline = time.monotonic() + timeout
        while True:
            got = self.ext_set(b"Tremulous " + args) if ext else \
                self.plain_set(args)
            if want <= got or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if not want <= got:
            raise AssertionError("%s not listed within %.1f s (list %s)\n%s"
                                 % (sorted(want - got), timeout, sorted(got),
                                    self.master.tail()))
        return got


# ---------------------------------------------------------------------------
# Fake game server

class FakeServer:
    """A game server on its own loopback address.  It heartbeats to a
    request port of the master and answers getinfo with a stock
    infoResponse (key order of 1.1/1.3 SVC_Info) sent to the challenge
    port, where the getinfo came from."""

    def __init__(self, test, master, addr="127.0.0.2", port=0,
                 hostname="Fake server", protocol="69", clients=3,
                 maxclients=8, mapname="atcs"):
        self.test = test
        self.master = master
        self.family = family_of(addr)
        self.sock = udp_socket(test, addr, port)
        self.host = addr
        self.port = self.sock.getsockname()[1]
        self.mhost = master_host(self.family)
        self.keys = [("game", "base"), ("pure", "1"),
                     ("sv_maxclients", str(maxclients)),
                     ("clients", str(clients)), ("mapname", mapname),
                     ("hostname", hostname), ("protocol", protocol)]

    @property
    def entry(self):
        """As a list entry: (host, port)."""
        return (self.host, self.port)

    @property
    def addr_str(self):
        if self.family == socket.AF_INET6:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    def close(self):
        self.sock.close()

    def send(self, data, port=None):
        self.sock.sendto(data, (self.mhost, port or self.master.port))

    def heartbeat(self, tag=b"Tremulous", port=None):
        self.send(HDR + b"heartbeat " + tag + b"\n", port)

    def recv(self, timeout):
        return recv_one(self.sock, timeout)

    def expect_getinfo(self, timeout=REPLY_WAIT):
        """The next datagram must be a well-formed getinfo from the
        challenge port; returns the challenge (str)."""
        r = self.recv(timeout)
        if r is None:
            raise AssertionError("%s: no getinfo within %.1f s\n%s" % (
                self.addr_str, timeout, self.master.tail()))
        data, src = r
        return check_getinfo(data, src, self.mhost, self.master.cport)

    def expect_nothing(self, wait=NO_REPLY_WAIT):
        r = self.recv(wait)
        if r is not None:
            raise AssertionError("%s: expected nothing, got %r from %s\n%s"
                                 % (self.addr_str, r[0], r[1],
                                    self.master.tail()))

    def info(self, challenge, omit=(), **over):
        """The infoResponse bytes, stock key order, challenge last.
        Keys in omit are left out; keyword arguments replace values."""
        pairs = list(self.keys) + [("challenge", challenge)]
        pairs = [(k, over.get(k, v)) for k, v in pairs if k not in omit]
        body = "".join("\\%s\\%s" % kv for kv in pairs)
        return HDR + b"infoResponse\n" + body.encode("latin-1")

    def answer(self, challenge, port=None, omit=(), **over):
        """Send the infoResponse to the challenge port (or port)."""
        self.send(self.info(challenge, omit, **over),
                  port or self.master.cport)

    def register(self, **over):
        """Heartbeat, take the getinfo, answer it; returns the
        challenge."""
        self.heartbeat()
        c = self.expect_getinfo()
        self.answer(c, **over)
        return c

    def set(self, **kw):
        """Change the values this server answers with from now on."""
        self.keys = [(k, str(kw.get(k, v))) for k, v in self.keys]


def check_getinfo(data, src, mhost, cport):
    """data must be HDR "getinfo " + a 12 character challenge from the
    safe alphabet, no newline, sent from (mhost, cport)."""
    if (src[0], src[1]) != (mhost, cport):
        raise AssertionError("getinfo from %s, not from the challenge port "
                             "%s" % (src, (mhost, cport)))
    prefix = HDR + b"getinfo "
    if not data.startswith(prefix):
        raise AssertionError("not a getinfo: %r" % data)
    c = data[len(prefix):]
    if len(c) != CHALLENGE_LEN:
        raise AssertionError("challenge %r is %d bytes, not %d" % (
            c, len(c), CHALLENGE_LEN))
    bad = [chr(b) for b in c if b not in CHALLENGE_CHARS]
    if bad:
        raise AssertionError("challenge %r holds %r" % (c, bad))
    return c.decode("ascii")


# ---------------------------------------------------------------------------
# Many servers at once

def register_many(test, master, servers, window=48, timeout=30.0):
    """Register every server, with at most window challenges in flight: a
    batch of heartbeats, then the getinfos answered as they arrive (one
    selector for all sockets).  Servers whose getinfo does not come within
    2 s heartbeat again.  Returns when all have answered (the caller
    checks the list: an answer lost on the way is not seen here)."""
    sel = selectors.DefaultSelector()
    test.addCleanup(sel.close)
    for s in servers:
        s.sock.setblocking(False)
        sel.register(s.sock, selectors.EVENT_READ, s)
    pending = list(servers)
    inflight = {}
    answered = set()
    deadline = time.monotonic() + timeout
    try:
        while len(answered) < len(servers):
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(
                    "%d of %d servers registered within %.0f s\n%s" % (
                        len(answered), len(servers), timeout, master.tail()))
            for s, t in list(inflight.items()):
                if now - t > 2.0:
                    del inflight[s]
                    pending.append(s)
            while pending and len(inflight) < window:
                s = pending.pop()
                s.heartbeat()
                inflight[s] = now
            for key, _ in sel.select(0.2):
                s = key.data
                while True:
                    try:
                        data, src = s.sock.recvfrom(65535)
                    except BlockingIOError:
                        break
                    c = check_getinfo(data, src, s.mhost, master.cport)
                    s.answer(c)
                    if s in inflight:
                        del inflight[s]
                        answered.add(s)
    finally:
        for s in servers:
            sel.unregister(s.sock)
            s.sock.setblocking(True)


# ---------------------------------------------------------------------------
# Test case base

def v4_entry_bytes(host, port, sep=b"\\"):
    return sep + socket.inet_aton(host) + struct.pack(">H", port)


def v6_entry_bytes(host, port):
    return b"/" + socket.inet_pton(socket.AF_INET6, host) + \
        struct.pack(">H", port)


class UDPTest(unittest.TestCase):
    """Helpers shared by the test_udp_* and test_ws modules."""

    MASTER = None  # the daemon's wrapper class; Master when left None

    def master(self, args=(), check_alive=True, **kw):
        """A started Master; unless check_alive is false, a cleanup (run
        before the daemon is stopped) checks it is still running with both
        children."""
        m = (self.MASTER or Master)(self, args, **kw).start()
        if check_alive:
            self.addCleanup(self._check_alive, m)
        return m

    def _check_alive(self, m):
        if m.d._stopped:
            return
        if not m.alive():
            raise AssertionError("the daemon or a child died\n" + m.tail())

    def client(self, m, addr="127.0.0.1", port=0):
        return Client(self, m, addr, port)

    def server(self, m, addr="127.0.0.2", port=0, **kw):
        return FakeServer(self, m, addr, port, **kw)

    def assertPlain(self, c, servers, args=b"69 empty full", port=None):
        """getservers args lists exactly servers (one packet)."""
        pkts, entries = c.plain(args, port)
        self.assertEqual(len(pkts), 1, pkts)
        self.assertEqual(len(entries), len(set(entries)), entries)
        self.assertEqual(set(entries), {s.entry for s in servers},
                         "getservers %r\n%s" % (args, c.master.tail()))

    def assertExt(self, c, servers, args=b"Tremulous 69 empty full",
                  port=None):
        """getserversExt args lists exactly servers."""
        got = c.ext_set(args, port)
        self.assertEqual(got, {s.entry for s in servers},
                         "getserversExt %r\n%s" % (args, c.master.tail()))

    def assertNotListed(self, c, args=b"69 empty full"):
        """getservers args gives exactly the empty packet."""
        pkts = c.ask(HDR + b"getservers " + args)
        self.assertEqual(pkts, [EMPTY_PLAIN], c.master.tail())
