# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Fakes for the tests of the puppet plugin (test_puppet.py): game servers
that answer every getinfo, whichever master sends it, stand-ins for other
masters (over UDP only, over WebSocket only, the old JavaScript master),
the packets of their lists, and a tremmasterd whose puppet is its third
child.

Loopback only: game servers live on 127.0.0.2 and above (never on the
address of a remote master, which the plugin skips), fake masters on
127.0.0.1 or 127.0.0.3.  Every thread stops, and every socket is closed,
in a test cleanup; every wait is bounded.  Host names in lists are
"localhost" or numeric, so that no name ever goes to a name server.
"""

import random
import re
import selectors
import socket
import struct
import threading
import time

from harness import cmdline, wait_until
from fakes import EXT_HDR, HDR, PLAIN_HDR, Master, UDPTest, bound_udp
from ws_client import OP_BINARY, accept_for, frame

WEB_HDR = HDR + b"getserverswebResponse"
PROTOCOL = "71"                 # --puppet-protocol's default
PER_PACKET = 256
FETCH_TIMEOUT = 10              # FETCH_TIMEOUT in puppet/puppet.c
QUIET = 1.0                     # FETCH_QUIET_MS in puppet/fetch.c

LINE = r"^\S+ \S+ "
PUPPET = LINE + r"master: puppet: "

# The line of one remote master at the end of a sync (puppet.c sync_end).
SYNC_RE = re.compile(
    PUPPET + r"sync (?P<n>\d+), (?P<remote>\S+) over (?P<conn>\w+): "
    r"(?P<entries>\d+) entries, (?P<added>\d+) added, skipped "
    r"(?P<label>\d+) puppet label, (?P<master>\d+) master address, "
    r"(?P<tracked>\d+) tracked, (?P<dup>\d+) duplicate, "
    r"(?:(?P<unusable>\d+) unusable, )?"
    r"(?:(?P<over>\d+) over --puppet-max-servers, )?(?P<failed>\d+) "
    r"failed(?:; (?P<why>.*))? \((?P<secs>[\d.]+) s\)$", re.M)
SYNC_INTS = ("n", "entries", "added", "label", "master", "tracked", "dup",
             "unusable", "over", "failed")


def v4(host, port, sep=b"\\"):
    """An IPv4 entry: sep + 4 address bytes + 2 port bytes."""
    return sep + socket.inet_aton(host) + struct.pack(">H", port)


def v6(host, port):
    return b"/" + socket.inet_pton(socket.AF_INET6, host) + \
        struct.pack(">H", port)


def entry_bytes(e):
    host, port = e
    return v6(host, port) if ":" in host else v4(host, port)


def plain_packets(entries, per=PER_PACKET):
    """A getserversResponse as tremmasterd sends it: 256 a packet, each
    ending with a lone backslash; one empty packet for no entry."""
    entries = list(entries)
    chunks = [entries[i:i + per] for i in range(0, len(entries), per)] or \
        [[]]
    return [PLAIN_HDR + b"".join(v4(h, p) for h, p in c) + b"\\"
            for c in chunks]


def ext_packets(groups, per=PER_PACKET):
    """A getserversExtResponse: groups is [(label, entries)], each split
    in packets of per entries, each packet with the header
    \\0<index>\\0<total>\\0<label>."""
    parts = []
    for label, entries in groups:
        entries = list(entries)
        for i in range(0, max(len(entries), 1), per):
            parts.append((label, entries[i:i + per]))
    n = len(parts)
    return [EXT_HDR + b"\x00%d\x00%d\x00" % (i + 1, n) +
            label.encode("latin-1") +
            b"".join(entry_bytes(e) for e in entries) + b"\\"
            for i, (label, entries) in enumerate(parts)]


def js_packet(entries):
    """The old JavaScript master's answer over a WebSocket: no header,
    host names, each port two bytes big-endian, then \\EOT\\0."""
    return WEB_HDR + b"".join(
        b"\\" + host.encode("ascii") + b":" + struct.pack(">H", port)
        for host, port in entries) + b"\\EOT\x00"


# ---------------------------------------------------------------------------
# Game servers

class GameServer:
    """One fake game server: a UDP socket on a loopback address.  While
    alive, it answers every getinfo (from any master) with an
    infoResponse echoing the challenge to the datagram's source, and
    heartbeats every master in hb_to."""

    def __init__(self, sock, protocol, alive, hostname):
        self.sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self.protocol = protocol
        self.alive = alive
        self.hostname = hostname
        self.hb_to = []         # (host, port) of masters heartbeated
        self.hb_next = 0.0
        self.getinfos = []      # (source, monotonic time)

    @property
    def entry(self):
        return (self.host, self.port)

    @property
    def addr_str(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    def info(self, challenge):
        body = "\\game\\base\\pure\\1\\sv_maxclients\\8\\clients\\3" \
            "\\mapname\\atcs\\hostname\\%s\\protocol\\%s\\challenge\\%s" % (
                self.hostname, self.protocol, challenge)
        return HDR + b"infoResponse\n" + body.encode("latin-1")

    def heartbeat(self, master_port, master_host="127.0.0.1"):
        self.sock.sendto(HDR + b"heartbeat Tremulous\n",
                         (master_host, master_port))

    def getinfo_sources(self):
        return {src for src, _ in list(self.getinfos)}


class ServerPool:
    """Game servers answered by one thread (a selector over every
    socket): enough for hundreds of servers."""

    def __init__(self, test, hb_every=2.0):
        self.test = test
        self.hb_every = hb_every
        self.servers = []
        self.pending = []       # added, not yet in the selector
        self.lock = threading.Lock()
        self.sel = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.thread = None
        test.addCleanup(self.stop)

    def add(self, host, port=0, alive=True, protocol=PROTOCOL,
            hostname="Puppet test"):
        # Closed by stop(), after the thread: not by a cleanup of its own.
        sock = bound_udp(host, port)
        sock.setblocking(False)
        s = GameServer(sock, protocol, alive, hostname)
        with self.lock:
            self.servers.append(s)
            self.pending.append(s)
        return s

    def spread(self, n, first_net=1, per_ip=20, alive=True):
        """n servers, per_ip on each of 127.0.<net>.1, .2, ..."""
        out = []
        for i in range(n):
            ip = "127.0.%d.%d" % (first_net + i // (per_ip * 250),
                                  1 + (i // per_ip) % 250)
            out.append(self.add(ip, alive=alive))
        return out

    def heartbeats(self, s, master_port, master_host="127.0.0.1"):
        """s heartbeats the master now and every hb_every seconds while
        alive."""
        with self.lock:
            s.hb_to.append((master_host, master_port))
            s.hb_next = 0.0

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        prefix = HDR + b"getinfo "
        while not self.stopping.is_set():
            with self.lock:
                for s in self.pending:
                    self.sel.register(s.sock, selectors.EVENT_READ, s)
                self.pending = []
                servers = list(self.servers)
            events = self.sel.select(0.05) if servers else []
            if not servers:
                time.sleep(0.05)
            now = time.monotonic()
            for key, _ in events:
                s = key.data
                for _ in range(64):
                    try:
                        data, src = s.sock.recvfrom(65535)
                    except OSError:
                        break
                    if not data.startswith(prefix):
                        continue
                    s.getinfos.append(((src[0], src[1]), now))
                    if s.alive:
                        try:
                            s.sock.sendto(s.info(data[len(prefix):]
                                                 .decode("latin-1")), src)
                        except OSError:
                            pass
            for s in servers:
                if s.alive and s.hb_to and now >= s.hb_next:
                    s.hb_next = now + self.hb_every
                    for dst in list(s.hb_to):
                        try:
                            s.heartbeat(dst[1], dst[0])
                        except OSError:
                            pass

    def stop(self):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)
            self.thread = None
        self.sel.close()
        for s in self.servers:
            s.sock.close()


# ---------------------------------------------------------------------------
# Fake remote masters

class UDPRemote:
    """A master over UDP only (nothing listens on TCP at its port).  Every
    getservers or getserversExt is recorded and answered with the
    datagrams answer(request, n) returns (n counts the requests from 1;
    None or [] is silence)."""

    def __init__(self, test, answer, host="127.0.0.1", port=0):
        self.test = test
        self.answer = answer
        self.sock = bound_udp(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.requests = []      # (data, source, monotonic time)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        test.addCleanup(self.stop)

    def _run(self):
        self.sock.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data.startswith(HDR + b"getservers"):
                continue
            self.requests.append((data, src, time.monotonic()))
            for pkt in self.answer(data, len(self.requests)) or []:
                try:
                    self.sock.sendto(pkt, src)
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


class WSRemote:
    """A master over WebSocket only (nothing listens on UDP at its port):
    the HTTP upgrade, then the request as one masked message, answered
    with the messages answer(request, n, path) returns, as unmasked
    binary frames.  The connection then stays open until the client
    closes it (or keep seconds pass)."""

    def __init__(self, test, answer, host="127.0.0.1", port=0, keep=15.0):
        self.test = test
        self.answer = answer
        self.keep = keep
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.lsock = socket.socket(family, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(16)
        self.host, self.port = self.lsock.getsockname()[:2]
        self.requests = []      # (path, headers, opcode, payload, source)
        self.errors = []
        self.conns = []
        self.stopping = threading.Event()
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        test.addCleanup(self.stop)

    def _accept(self):
        self.lsock.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                c, src = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(c)
            t = threading.Thread(target=self._serve, args=(c, src),
                                 daemon=True)
            t.start()
            self.threads.append(t)

    def _recv_exact(self, c, n, deadline):
        buf = b""
        while len(buf) < n:
            if self.stopping.is_set() or time.monotonic() > deadline:
                return None
            try:
                d = c.recv(n - len(buf))
            except socket.timeout:
                continue
            if not d:
                return None
            buf += d
        return buf

    def _frame(self, c, deadline):
        """(opcode, payload) of one client frame, which must be masked."""
        h = self._recv_exact(c, 2, deadline)
        if h is None:
            return None
        op, n = h[0] & 0x0F, h[1] & 0x7F
        if not h[1] & 0x80:
            self.errors.append("unmasked frame from the client")
        if n == 126:
            n = struct.unpack("!H", self._recv_exact(c, 2, deadline))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._recv_exact(c, 8, deadline))[0]
        key = self._recv_exact(c, 4, deadline) if h[1] & 0x80 else b"\0" * 4
        payload = self._recv_exact(c, n, deadline) if n else b""
        if key is None or payload is None:
            return None
        return op, bytes(b ^ key[i & 3] for i, b in enumerate(payload))

    def _serve(self, c, src):
        c.settimeout(0.1)
        deadline = time.monotonic() + self.keep
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                if self.stopping.is_set() or time.monotonic() > deadline:
                    return
                try:
                    d = c.recv(4096)
                except socket.timeout:
                    continue
                if not d:
                    return
                head += d
            head, _, rest = head.partition(b"\r\n\r\n")
            if rest:
                self.errors.append("bytes after the upgrade request: %r" %
                                   rest[:40])
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = (lines[0].split(" ") + ["", "", ""])[:3]
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            key = headers.get("sec-websocket-key", "")
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: %s\r\n\r\n" %
                       accept_for(key)).encode("latin-1"))
            f = self._frame(c, deadline)
            if f is None:
                return
            self.requests.append((path, headers, f[0], f[1], src))
            for msg in self.answer(f[1], len(self.requests), path) or []:
                c.sendall(frame(OP_BINARY, msg, mask=False))
            # Held open: the client decides when the list is over.
            while not self.stopping.is_set() and \
                    time.monotonic() < deadline:
                try:
                    if not c.recv(4096):
                        return
                except socket.timeout:
                    continue
        except OSError:
            return
        finally:
            c.close()

    def stop(self):
        self.stopping.set()
        self.lsock.close()
        for t in self.threads:
            t.join(5)
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def list_answer(packets):
    """An answer function giving the same packets to every request."""
    return lambda req, n, *rest: packets


def garbage(n=300, seed=None):
    """Random bytes that are no list (not even the four 0xff), and hold
    no entry separator (\\ or /): no address can come out of them, so
    the plugin never challenges one off loopback."""
    r = random.Random(seed)
    pool = [b for b in range(256) if b not in (0x5C, 0x2F)]
    return bytes([0x00]) + bytes(r.choice(pool) for _ in range(n))


# ---------------------------------------------------------------------------
# The daemon

class PuppetMaster(Master):
    """A fakes.Master whose puppet plugin runs (puppet=True, the default)
    as its third child; --verbose 3 (the sync lines) unless verbose says
    otherwise (4 for the debug lines)."""

    def __init__(self, test, args=(), verbose=3, puppet=True,
                 wait_puppet=True, **kw):
        self.puppet = puppet
        self.wait_puppet = wait_puppet
        super().__init__(test, ["--verbose", str(verbose)] +
                         [str(a) for a in args], verbose=0, **kw)

    def start(self):
        super().start()
        if self.puppet and self.wait_puppet:
            if not wait_until(lambda: self.child("puppet"), 5):
                self.test.fail("no puppet child\n" + self.story())
        return self

    def child(self, name):
        for p in self.d.children():
            if (cmdline(p) or "").startswith("tremmasterd: " + name):
                return p
        return None

    def alive(self):
        """The parent, netd, logd and (if expected) the puppet run, and
        nothing else."""
        if not self.d.running():
            return False
        kids = self.d.children()
        want = ["logd", "netd"] + (["puppet"] if self.puppet else [])
        names = sorted((cmdline(p) or "").split(" ")[1] if
                       (cmdline(p) or "").startswith("tremmasterd: ")
                       else "?" for p in kids)
        return names == sorted(want)

    def story(self, n=60):
        """The last n lines of the log about the puppet and servers."""
        lines = [line for line in self.d.log().splitlines()
                 if re.search(r"puppet|verified|removed|lost|fatal", line)]
        return "--- %s ---\n%s" % (" ".join(self.d.args),
                                   "\n".join(lines[-n:]))

    def syncs(self, remote=None):
        """The sync lines so far, as dicts (ints where they are numbers),
        of one remote ("host:port") or all."""
        out = []
        for m in SYNC_RE.finditer(self.d.log()):
            d = m.groupdict()
            for k in SYNC_INTS:
                d[k] = int(d[k] or 0)
            d["secs"] = float(d["secs"])
            d["line"] = m.group(0)
            if remote is None or d["remote"] == remote:
                out.append(d)
        return out

    def wait_syncs(self, n, remote=None, timeout=15.0):
        """Wait for n sync lines (of remote); returns them."""
        if not wait_until(lambda: len(self.syncs(remote)) >= n, timeout,
                          0.05):
            self.test.fail("%d sync lines of %s not in the log within "
                           "%.0f s\n%s" % (n, remote or "any remote",
                                           timeout, self.tail(80)))
        return self.syncs(remote)


class PuppetTest(UDPTest):
    """Helpers of test_puppet.py."""

    MASTER = PuppetMaster

    def pool(self, hb_every=2.0):
        return ServerPool(self, hb_every).start()

    def udp_remote(self, answer, host="127.0.0.1", port=0):
        return UDPRemote(self, answer, host, port)

    def ws_remote(self, answer, host="127.0.0.1", port=0, keep=15.0):
        return WSRemote(self, answer, host, port, keep)
