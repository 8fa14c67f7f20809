# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A small RFC 6455 WebSocket client for the tests, Python standard library
only.

It does what a browser does (a random Sec-WebSocket-Key, the check of
Sec-WebSocket-Accept, masked frames) and also what a browser never does,
for the negative tests: unmasked, fragmented, oversized or reserved-bit
frames, raw HTTP requests, half frames.  With tls=True it speaks wss://
over the ssl module, without certificate verification (the tests make a
self-signed certificate).

Every read is bounded by a timeout; nothing here retries for ever.
"""

import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import time

from harness import collect

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_TOO_BIG = 1009

HTTP_MAX = 16384        # largest HTTP response head we read


class Closed(Exception):
    """The peer closed the TCP connection (EOF or reset)."""


def accept_for(key):
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (str)."""
    digest = hashlib.sha1(key.encode("ascii") + GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def new_key():
    """A fresh random key: 16 random bytes in base64."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def upgrade_request(host, port, key, protocols=None, path="/", extra=(),
                    method="GET", version="13", omit=()):
    """The bytes of an upgrade request.  Headers named in omit (any case)
    are left out; extra is a list of (name, value) added at the end."""
    headers = [("Host", "%s:%d" % (host, port)), ("Upgrade", "websocket"),
               ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
               ("Sec-WebSocket-Version", version)]
    if protocols:
        headers.append(("Sec-WebSocket-Protocol", protocols))
    low = {h.lower() for h in omit}
    headers = [(k, v) for k, v in headers if k.lower() not in low]
    headers += list(extra)
    lines = ["%s %s HTTP/1.1" % (method, path)]
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None,
          mask_key=None):
    """One frame.  length overrides the length written in the header (for
    lying or oversized headers); mask=False sends it unmasked, as only a
    server may."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    masked = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    return head + key + masked


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    return struct.pack("!H", code) + reason


def parse_close(payload):
    """(status code or None, reason bytes) of a close frame payload."""
    if len(payload) < 2:
        return None, b""
    return struct.unpack("!H", payload[:2])[0], payload[2:]


def parse_http_head(head):
    """(status code, reason, {lower-case name: [values]}) of a response
    head (bytes up to, not including, the empty line)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise AssertionError("not an HTTP response: %r" % head[:200])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise AssertionError("bad header line %r in %r" % (line, head))
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


class WSClient:
    """One TCP (or TLS) connection to a WebSocket port.

    connect() opens it (from source, an address in 127.0.0.0/8 or ::1, if
    given); handshake() upgrades it; then send_*() and recv_*() exchange
    frames.  close() (also registered as a test cleanup by the callers)
    drops the socket.
    """

    def __init__(self, host, port, tls=False, source=None, timeout=5.0,
                 rcvbuf=None):
        self.host = host
        self.port = port
        self.tls = tls
        self.source = source
        self.timeout = timeout
        self.rcvbuf = rcvbuf    # SO_RCVBUF before connect(), if given
        self.sock = None
        self.buf = b""
        self.key = None
        self.response = None    # (status, reason, headers, raw head)

    # -- connection

    def connect(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            if self.rcvbuf is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                             self.rcvbuf)
            if self.source is not None:
                s.bind((self.source, 0))
            s.connect((self.host, self.port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s = ctx.wrap_socket(s, server_hostname="localhost")
        except BaseException:
            s.close()
            raise
        self.sock = s
        return self

    @property
    def local(self):
        """(address, port) of our end."""
        return self.sock.getsockname()[:2]

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def abort(self):
        """Close with a TCP reset (SO_LINGER 0) instead of a FIN."""
        if self.sock is None:
            return
        raw = self.sock
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _read_some(self, deadline):
        """Append what arrives before deadline to self.buf; False on
        timeout; raises Closed on EOF or reset."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        # Data already decrypted by the TLS layer is not seen by select.
        if not (self.tls and self.sock.pending()):
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
        try:
            data = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError,
                ssl.SSLZeroReturnError):
            raise Closed("connection reset")
        except ssl.SSLError as e:
            raise Closed("TLS error: %s" % e)
        if not data:
            raise Closed("EOF")
        self.buf += data
        return True

    def _need(self, n, deadline):
        """Wait until self.buf holds n bytes; False on timeout."""
        while len(self.buf) < n:
            if not self._read_some(deadline):
                return False
        return True

    # -- HTTP

    def read_http_response(self, timeout=None):
        """Read a response head; returns (status, reason, headers, raw).
        Bytes after the empty line stay in the buffer (frames).  Raises
        Closed if the connection ends first, AssertionError on timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > HTTP_MAX:
                raise AssertionError("HTTP head over %d bytes" % HTTP_MAX)
            if not self._read_some(deadline):
                raise AssertionError("no HTTP response within %.1f s (got "
                                     "%r)" % (timeout or self.timeout,
                                              self.buf[:200]))
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status, reason, headers = parse_http_head(head)
        self.response = (status, reason, headers, head + b"\r\n\r\n")
        return self.response

    def handshake(self, protocols=None, key=None, check=True, path="/",
                  extra=(), timeout=None):
        """Send the upgrade and read the answer.  With check, the answer
        must be 101 with the right Sec-WebSocket-Accept, Upgrade and
        Connection.  Returns (status, reason, headers, raw)."""
        if self.sock is None:
            self.connect()
        self.key = key or new_key()
        self.send_raw(upgrade_request(self.host, self.port, self.key,
                                      protocols, path, extra))
        resp = self.read_http_response(timeout)
        if check:
            self.check_101(resp)
        return resp

    def check_101(self, resp):
        status, reason, headers, raw = resp
        if status != 101:
            raise AssertionError("upgrade answered %d, not 101: %r" %
                                 (status, raw))
        want = accept_for(self.key)
        if headers.get("sec-websocket-accept") != [want]:
            raise AssertionError("Sec-WebSocket-Accept %r, expected %r: %r"
                                 % (headers.get("sec-websocket-accept"),
                                    want, raw))
        up = headers.get("upgrade", [""])
        if len(up) != 1 or up[0].lower() != "websocket":
            raise AssertionError("Upgrade header %r in %r" % (up, raw))
        conn = ",".join(headers.get("connection", [])).lower()
        if "upgrade" not in [t.strip() for t in conn.split(",")]:
            raise AssertionError("Connection header %r in %r" % (conn, raw))

    # -- frames out

    def send_frame(self, opcode, payload=b"", **kw):
        self.send_raw(frame(opcode, payload, **kw))

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_fragments(self, data, parts, opcode=OP_BINARY):
        """data as one message in len(parts) frames; parts are the sizes
        (the last takes the rest)."""
        off = 0
        for i, n in enumerate(parts):
            last = i == len(parts) - 1
            chunk = data[off:] if last else data[off:off + n]
            off += len(chunk)
            self.send_frame(opcode if i == 0 else OP_CONT, chunk, fin=last)

    def ping(self, payload=b""):
        self.send_frame(OP_PING, payload)

    def send_close(self, code=CLOSE_NORMAL, reason=b""):
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    # -- frames in

    def recv_frame(self, timeout=None):
        """The next frame as (fin, rsv, opcode, payload), or None if none
        is whole within timeout.  Server frames must not be masked.
        Raises Closed on EOF."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        if not self._need(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise AssertionError("the server sent a masked frame: %r" %
                                 self.buf[:16])
        n = b1 & 0x7F
        hlen = 2
        if n == 126:
            hlen = 4
            if not self._need(hlen, deadline):
                return None
            n = struct.unpack("!H", self.buf[2:4])[0]
        elif n == 127:
            hlen = 10
            if not self._need(hlen, deadline):
                return None
            n = struct.unpack("!Q", self.buf[2:10])[0]
        if not self._need(hlen + n, deadline):
            return None
        payload = self.buf[hlen:hlen + n]
        self.buf = self.buf[hlen + n:]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload

    def recv_message(self, timeout=None):
        """The next data message (opcode, payload), fragments joined;
        control frames on the way are returned as they come: (opcode,
        payload) too.  None on timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        parts = []
        first_op = None
        while True:
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f is None:
                return None
            fin, _, op, payload = f
            if op >= 0x8:
                return op, payload
            if first_op is None:
                if op == OP_CONT:
                    raise AssertionError("continuation without a start")
                first_op = op
            elif op != OP_CONT:
                raise AssertionError("new data frame inside a fragmented "
                                     "message")
            parts.append(payload)
            if fin:
                return first_op, b"".join(parts)

    def recv_all(self, first=3.0, quiet=0.3, limit=10.0):
        """Every message until quiet seconds pass without one; the first
        may take first seconds.  [(opcode, payload)]."""
        return collect(self.recv_message, first, quiet, limit)

    def ask(self, data, first=3.0, quiet=0.3):
        """Send data as one binary message; every reply must be a binary
        message: their payloads."""
        self.send_binary(data)
        got = self.recv_all(first, quiet)
        for op, payload in got:
            if op != OP_BINARY:
                raise AssertionError("reply of opcode %d (not binary): %r" %
                                     (op, payload[:60]))
        return [p for _, p in got]

    def wait_closed(self, timeout=None):
        """Read and keep frames until the peer closes the connection.
        Returns the frames seen [(opcode, payload)] (a close frame among
        them if one came); raises AssertionError if it stays open."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        frames = []
        while True:
            try:
                f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            except Closed:
                return frames
            if f is None:
                # Bytes that are no whole frame: wait for EOF all the same.
                try:
                    while self._read_some(deadline):
                        pass
                except Closed:
                    return frames
                raise AssertionError("connection still open after %.1f s "
                                     "(frames %r, pending %r)" % (
                                         (self.timeout if timeout is None
                                          else timeout), frames,
                                         self.buf[:40]))
            frames.append((f[2], f[3]))

    def read_until_eof(self, timeout=None):
        """Every byte until the peer closes (what was buffered included),
        or None if it is still open after timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        try:
            while True:
                if not self._read_some(deadline):
                    return None
        except Closed:
            data, self.buf = self.buf, b""
            return data

    def is_open(self, wait=0.2):
        """True if no EOF comes within wait seconds (data is kept)."""
        deadline = time.monotonic() + wait
        try:
            while self._read_some(deadline):
                pass
        except Closed:
            return False
        return True
