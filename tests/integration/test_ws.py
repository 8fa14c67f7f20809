# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""WebSocket clients and game servers (SEED.md "WebSocket Support",
"WebSocket Protocol", "WebSocket Logging", "Client Type Filtering";
PROTOCOL.md sections 1, 2 R7, 4 "Web clients" and 5.7), driven with the
stdlib client in ws_client.py: the upgrade and its refusals, lists and
MOTD over WebSocket, web game servers, frames, protocol errors, the
connection limits and deadlines, the [WS] log lines and wss://."""

import base64
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import harness
from harness import run_cmd, free_ports
from fakes import UDPTest
from fakes import (EMPTY_EXT, EMPTY_PLAIN, EXT_HDR, HDR, LINE, PLAIN_HDR,
                   Client, FakeServer, parse_plain, register_many,
                   udp_socket)
from ws_client import (CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG,
                       OP_BINARY, OP_CLOSE, OP_PONG, OP_TEXT,
                       Closed, WSClient, accept_for, frame, new_key,
                       parse_close, upgrade_request)
from wsfakes import WSGameServer, WSMaster, v4_entry

GETSERVERS = HDR + b"getservers 69 empty full"
GETSERVERSEXT = HDR + b"getserversExt Tremulous 69 empty full"

HANDSHAKE_TIMEOUT = 10          # WS_HANDSHAKE_TIMEOUT in netd/ws.c
MAX_MSG = 4096                  # WS_MAX_MSG
MAX_PER_IP = 64                 # WS_MAX_PER_IP
HTTP_MAX = 4096                 # WS_HTTP_MAX in netd/ws_http.h


def one_ext(*entries):
    """The single Ext packet listing entries (host, port)."""
    return EXT_HDR + b"\x001\x001\x00" + b"".join(
        v4_entry(h, p) for h, p in entries) + b"\\"


def one_plain(*entries):
    return PLAIN_HDR + b"".join(v4_entry(h, p) for h, p in entries) + b"\\"


def vis_preview(data, limit=100):
    """What log_vis() makes of data (VIS_CSTYLE | VIS_OCTAL | VIS_NL |
    VIS_TAB, first limit bytes, "..." when cut) for the bytes the tests
    send: printable ASCII as is, backslash doubled, the rest octal."""
    out = []
    for b in data[:limit]:
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return "".join(out) + ("..." if len(data) > limit else "")


class WSCase(UDPTest):

    MASTER = WSMaster

    def check_round_trips(self, m, c, want=EMPTY_PLAIN, n=15):
        """n getservers round trips on c, each answered with want.  How
        fast is the benchmark's business (bench/), not a test's."""
        for _ in range(n):
            c.send_binary(GETSERVERS)
            self.assertEqual(c.recv_message(2), (OP_BINARY, want), m.tail())

    def check_closed_with(self, c, status, what, m):
        frames = c.wait_closed(3)
        if c.buf:
            self.fail("%s: the connection ended inside a frame: %r after "
                      "%r (a close frame cut short by a reset?)\n%s" % (
                          what, c.buf, frames, m.tail()))
        closes = [p for op, p in frames if op == OP_CLOSE]
        data = [(op, p) for op, p in frames if op != OP_CLOSE]
        self.assertEqual(data, [], "%s: answered\n%s" % (what, m.tail()))
        self.assertLessEqual(len(closes), 1, frames)
        if closes:
            self.assertEqual(parse_close(closes[0])[0], status,
                             "%s: close %r\n%s" % (what, closes[0],
                                                   m.tail()))
        return closes

    def raw(self, m, source=None, timeout=5.0):
        """A connected, not upgraded, client."""
        return m.ws(source=source, handshake=False, timeout=timeout)

    def assert_refused(self, m, request, status, what):
        """request (bytes) is answered with status, then the connection
        is closed; returns the response head's headers."""
        c = self.raw(m)
        try:
            c.send_raw(request)
        except OSError:
            pass
        try:
            st, _, headers, raw = c.read_http_response(3)
        except Closed:
            self.fail("%s: closed without an answer\n%s" % (what, m.tail()))
        self.assertEqual(st, status, "%s: %r\n%s" % (what, raw, m.tail()))
        self.assertNotIn("sec-websocket-accept", headers, what)
        self.assertEqual(c.buf, b"", "%s: bytes after the answer" % what)
        frames = c.wait_closed(3)
        self.assertEqual(frames, [], what)
        return headers, raw

    def register_ws(self, m, addr="127.0.0.5", port=None, **kw):
        """A verified WebSocket game server."""
        if port is None:
            port = free_ports(1)[0]
        s = WSGameServer(self, m, addr, port, **kw)
        s.register()
        m.d.wait_for_log(LINE + r"netd: server %s:%d verified: " %
                         (re.escape(addr), port), 3)
        return s


# ---------------------------------------------------------------------------

class HandshakeTest(WSCase):

    def test_accept_and_subprotocol(self):
        m = self.master()
        # The example of RFC 6455 section 1.3: the whole answer, byte for
        # byte, with no subprotocol offered.
        c = m.ws(handshake=False)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        self.assertEqual(accept_for(key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        st, _, headers, raw = c.handshake(key=key)
        self.assertEqual(raw, b"HTTP/1.1 101 Switching Protocols\r\n"
                         b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
                         b"\r\n\r\n", m.tail())
        self.assertNotIn("sec-websocket-protocol", headers)
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())

        # A random key; two subprotocols offered: the first is echoed.
        c2 = m.ws(handshake=False)
        st, _, headers, raw = c2.handshake(protocols="binary, other")
        self.assertEqual(headers.get("sec-websocket-protocol"), ["binary"],
                         raw)
        self.assertEqual(raw, ("HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: %s\r\n"
                               "Sec-WebSocket-Protocol: binary\r\n\r\n" %
                               accept_for(c2.key)).encode())
        self.assertEqual(c2.ask(GETSERVERSEXT), [EMPTY_EXT], m.tail())

        # Header names and tokens in any case, a key with blanks around.
        c3 = m.ws(handshake=False)
        c3.key = new_key()
        c3.send_raw(("GET /any/path?x=1 HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                     "upgrade: WebSocket\r\nconnection: keep-alive, Upgrade"
                     "\r\nsec-websocket-key:   %s \r\n"
                     "SEC-WEBSOCKET-VERSION: 13\r\n\r\n" % c3.key).encode())
        c3.check_101(c3.read_http_response(3))
        self.assertEqual(c3.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())

    def test_refuse_method(self):
        m = self.master()
        req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                              method="POST")
        headers, raw = self.assert_refused(m, req, 405, "POST")
        self.assertTrue(raw.startswith(b"HTTP/1.1 405 "), raw)
        self.assertEqual(headers.get("allow"), ["GET"], raw)

    def test_refuse_missing_headers(self):
        m = self.master()
        for name in ("Upgrade", "Connection", "Sec-WebSocket-Key"):
            req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                                  omit=(name,))
            self.assert_refused(m, req, 400, "without " + name)
        # Present but without the token.
        req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                              omit=("Upgrade", "Connection"),
                              extra=[("Upgrade", "h2c"),
                                     ("Connection", "keep-alive")])
        self.assert_refused(m, req, 400, "Upgrade: h2c")
        # Two keys.
        req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                              extra=[("Sec-WebSocket-Key", new_key())])
        self.assert_refused(m, req, 400, "two keys")
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ handshake: 400$", 3,
                         count=5)

    def test_refuse_version(self):
        m = self.master()
        for v in ("8", "12", "14"):
            req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                                  version=v)
            headers, raw = self.assert_refused(m, req, 426, "version " + v)
            self.assertEqual(headers.get("sec-websocket-version"), ["13"],
                             raw)
        req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                              omit=("Sec-WebSocket-Version",))
        self.assert_refused(m, req, 426, "no version")

    def test_refuse_bad_key(self):
        m = self.master()
        bad = ["short",
               base64.b64encode(os.urandom(15)).decode(),
               base64.b64encode(os.urandom(17)).decode(),
               base64.b64encode(os.urandom(32)).decode(),
               "!!!!!!!!!!!!!!!!!!!!!!==",
               "dGhlIHNhbXBsZSBub25jZQ",        # padding cut
               ""]
        for key in bad:
            req = upgrade_request("127.0.0.1", m.wsport, key)
            self.assert_refused(m, req, 400, "key %r" % key)

    def test_refuse_too_big(self):
        m = self.master()
        # Headers that fill the 4 KiB buffer with no end in sight.
        req = upgrade_request("127.0.0.1", m.wsport, new_key())[:-2]
        pad = b"X-Pad: " + b"a" * (HTTP_MAX - len(req) - 7)
        head = (req + pad)[:HTTP_MAX]
        self.assertEqual(len(head), HTTP_MAX)
        self.assert_refused(m, head, 431, "4096 bytes without an end")
        # A whole request of more than 4 KiB.
        req = upgrade_request("127.0.0.1", m.wsport, new_key(),
                              extra=[("X-Pad", "b" * 5000)])
        self.assertGreater(len(req), HTTP_MAX)
        self.assert_refused(m, req, 431, "a request of %d bytes" % len(req))
        # A whole request of exactly 4096 bytes is taken.
        c = m.ws(handshake=False)
        c.key = new_key()
        base = upgrade_request("127.0.0.1", m.wsport, c.key,
                               extra=[("X-Pad", "")])
        req = upgrade_request("127.0.0.1", m.wsport, c.key, extra=[
            ("X-Pad", "c" * (HTTP_MAX - len(base)))])
        self.assertEqual(len(req), HTTP_MAX)
        c.send_raw(req)
        c.check_101(c.read_http_response(3))
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ handshake: 431$", 3,
                         count=2)


# ---------------------------------------------------------------------------

class ListTest(WSCase):

    def test_lists_same_bytes_as_udp(self):
        """The same servers, once over UDP and once over WebSocket: the
        lists are byte for byte the same, one binary message per packet,
        several packets and a featured label included."""
        fport = free_ports(1)[0]
        featured = "Web Label\n  127.0.0.21:%d\n" % fport
        m = self.master(["--max-per-ip", "0"], files={
            "featured.txt": featured})
        udp_servers = [FakeServer(self, m, "127.0.0.20") for _ in range(258)]
        udp_servers.append(FakeServer(self, m, "127.0.0.21", fport))
        register_many(self, m, udp_servers)
        # The web twins: one connection per address, every port announced
        # in turn on it, each challenged and answered there.
        web = WSGameServer(self, m, "127.0.0.20")
        web.register_ports([s.port for s in udp_servers[:-1]])
        WSGameServer(self, m, "127.0.0.21", fport).register()
        m.d.wait_for_log(r"server 127\.0\.0\.21:%d verified" % fport, 3,
                         count=2)
        want = {s.entry for s in udp_servers}
        uc = Client(self, m)
        wc = m.ws()
        deadline = time.monotonic() + 5
        while True:
            upkts = uc.ask(GETSERVERS)
            wpkts = wc.ask(GETSERVERS)
            ugot = {e for p in upkts for e in parse_plain(p)}
            wgot = {e for p in wpkts for e in parse_plain(p)}
            if (ugot == want and wgot == want) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(ugot, want, m.tail())
        self.assertEqual(wgot, want, m.tail())
        self.assertEqual(len(wpkts), 2, [len(p) for p in wpkts])
        self.assertEqual(wpkts, upkts, "getservers over WS and UDP differ")

        for req in (GETSERVERSEXT, HDR + b"getserversExt Tremulous 69",
                    HDR + b"getserversExt Tremulous 69 ipv4 full",
                    HDR + b"getservers 69 full",
                    HDR + b"getservers 70 empty full",
                    HDR + b"getserversExt Tremulous 71 empty full"):
            upkts = uc.ask(req)
            wpkts = wc.ask(req)
            self.assertTrue(upkts, req)
            self.assertEqual(wpkts, upkts, "%r over WS and UDP differ\n%s" %
                             (req, m.tail()))
        ext = wc.ask(GETSERVERSEXT)
        self.assertEqual(len(ext), 3, [p[:40] for p in ext])
        self.assertIn(EXT_HDR + b"\x003\x003\x00Web Label" +
                      v4_entry("127.0.0.21", fport) + b"\\", ext)
        self.assertEqual(wc.ask(HDR + b"getservers 70 empty full"),
                         [EMPTY_PLAIN])
        self.assertEqual(wc.ask(HDR + b"getserversExt Tremulous 70"),
                         [EMPTY_EXT])

    def test_getmotd(self):
        text = "Welcome to the web master"
        m = self.master(files={"motd.txt": text + "\n"})
        wc = m.ws()
        want = (HDR + b'motd "\\challenge\\-12345\\motd\\' + text.encode() +
                b'\\"')
        req = HDR + b"getmotd\\challenge\\-12345"
        self.assertEqual(wc.ask(req), [want], m.tail())
        self.assertEqual(Client(self, m).ask(req), [want], m.tail())
        # The 1.1 form, with version and renderer.
        req = (HDR + b"getmotd\\version\\tremulous 1.1.0 linux-i386\\"
               b"renderer\\Mesa\\challenge\\777")
        self.assertEqual(wc.ask(req), [HDR + b'motd "\\challenge\\777\\motd\\'
                                       + text.encode() + b'\\"'], m.tail())


# ---------------------------------------------------------------------------

class GameServerTest(WSCase):

    def test_ws_server_listed_to_ws_clients_only(self):
        m = self.master()
        port = free_ports(1)[0]
        # A UDP socket on the address the web server is listed under: the
        # challenge must not come there.
        trap = udp_socket(self, "127.0.0.5", port)
        s = WSGameServer(self, m, "127.0.0.5", port)
        s.announce()
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.5:\d+ announced port %d$" %
                         port, 3)
        s.heartbeat()
        ch = s.expect_getinfo()
        wc = m.ws()
        uc = Client(self, m)
        self.assertEqual(wc.ask(GETSERVERSEXT), [EMPTY_EXT],
                         "listed before it answered\n" + m.tail())
        s.answer(ch)
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.5:%d verified: "
                         r"protocol 69$" % port, 3)
        self.assertEqual(wc.ask(GETSERVERSEXT),
                         [one_ext(("127.0.0.5", port))], m.tail())
        self.assertEqual(wc.ask(GETSERVERS),
                         [one_plain(("127.0.0.5", port))], m.tail())
        self.assertEqual(uc.ask(GETSERVERSEXT), [EMPTY_EXT], m.tail())
        self.assertEqual(uc.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        trap.settimeout(0.2)
        with self.assertRaises(socket.timeout, msg="a UDP getinfo came"):
            trap.recvfrom(2048)

        # A UDP server: to UDP clients only.
        us = FakeServer(self, m, "127.0.0.6")
        us.register()
        uc.wait_listed([us])
        self.assertEqual(uc.ask(GETSERVERSEXT), [one_ext(us.entry)])
        self.assertEqual(uc.ask(GETSERVERS), [one_plain(us.entry)])
        self.assertEqual(wc.ask(GETSERVERSEXT),
                         [one_ext(("127.0.0.5", port))], m.tail())
        # A second heartbeat: a fresh challenge on the same connection.
        s.heartbeat()
        ch2 = s.expect_getinfo()
        s.answer(ch2)
        self.assertTrue(s.ws.is_open(0.2))
        self.assertEqual(wc.ask(GETSERVERS),
                         [one_plain(("127.0.0.5", port))], m.tail())

    def test_ws_server_without_announcement(self):
        """No port message: listed under its TCP port."""
        m = self.master()
        s = WSGameServer(self, m, "127.0.0.8", 0)
        s.heartbeat()
        s.answer(s.expect_getinfo())
        tport = s.ws.local[1]
        m.d.wait_for_log(r"server 127\.0\.0\.8:%d verified" % tport, 3)
        wc = m.ws()
        self.assertEqual(wc.ask(GETSERVERS),
                         [one_plain(("127.0.0.8", tport))], m.tail())

    def test_inforesponse_from_another_connection(self):
        """The challenge is bound to the connection that heartbeated."""
        m = self.master(verbose=2)
        port = free_ports(1)[0]
        s = WSGameServer(self, m, "127.0.0.5", port)
        s.announce()
        s.heartbeat()
        ch = s.expect_getinfo()
        other = WSGameServer(self, m, "127.0.0.5", port)
        other.announce()
        other.answer(ch)
        m.d.wait_for_log(r"127\.0\.0\.5:%d: \[WS\] infoResponse with a "
                         r"wrong or expired challenge" % port, 3)
        wc = m.ws()
        self.assertEqual(wc.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        # Over UDP to the challenge port it does not count either.
        fake = FakeServer(self, m, "127.0.0.5")
        fake.send(s.info(ch), m.cport)
        self.assertEqual(wc.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        s.answer(ch)
        m.d.wait_for_log(r"server 127\.0\.0\.5:%d verified" % port, 3)
        self.assertEqual(wc.ask(GETSERVERS),
                         [one_plain(("127.0.0.5", port))], m.tail())


# ---------------------------------------------------------------------------

class FrameTest(WSCase):

    def test_text_frames_ignored(self):
        m = self.master()
        c = m.ws()
        # The SEED.md example: a JS string, sent as UTF-8 text.
        c.send_text("\xff\xff\xff\xffgetservers 71 empty full")
        c.send_text("getserversExt Tremulous 69")
        c.send_fragments("\xff\xff\xff\xffgetservers 69".encode(), [3, 5],
                         opcode=OP_TEXT)
        self.assertIsNone(c.recv_frame(0.7), "a text frame was answered")
        self.assertTrue(c.is_open(0.1), "closed after a text frame")
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())

    def test_fragmented_message(self):
        m = self.master()
        c = m.ws()
        c.send_fragments(GETSERVERSEXT, [5, 12])      # 3 frames
        self.assertEqual([(op, p) for op, p in c.recv_all()],
                         [(OP_BINARY, EMPTY_EXT)], m.tail())
        # A ping between the fragments is answered at once; the message
        # still counts.
        c.send_frame(OP_BINARY, GETSERVERS[:6], fin=False)
        c.send_frame(0x0, GETSERVERS[6:10], fin=False)
        c.ping(b"mid")
        c.send_frame(0x0, GETSERVERS[10:], fin=True)
        self.assertEqual(c.recv_all(), [(OP_PONG, b"mid"),
                                        (OP_BINARY, EMPTY_PLAIN)], m.tail())

    def test_ping_pong(self):
        m = self.master()
        c = m.ws()
        for payload in (b"keepalive-42", b"", bytes(range(125))):
            c.ping(payload)
            self.assertEqual(c.recv_message(3), (OP_PONG, payload),
                             m.tail())
        # An unsolicited pong is ignored.
        c.send_frame(OP_PONG, b"x")
        self.assertIsNone(c.recv_frame(0.3))
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())

    def test_round_trips(self):
        """Request after request on one connection, each answered."""
        m = self.master(verbose=0)
        self.check_round_trips(m, m.ws())

    def test_close_handshake(self):
        m = self.master()
        c = m.ws()
        port = c.local[1]
        c.send_close(CLOSE_NORMAL, b"bye")
        frames = c.wait_closed(3)
        self.assertEqual(len(frames), 1, frames)
        op, payload = frames[0]
        self.assertEqual(op, OP_CLOSE, frames)
        self.assertEqual(parse_close(payload)[0], CLOSE_NORMAL, frames)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:%d disconnected" % port, 3)
        # The daemon goes on.
        self.assertEqual(m.ws().ask(GETSERVERS), [EMPTY_PLAIN], m.tail())


class ProtocolErrorTest(WSCase):

    def test_unmasked_frame(self):
        m = self.master()
        c = m.ws()
        c.send_frame(OP_BINARY, GETSERVERS, mask=False)
        self.check_closed_with(c, CLOSE_PROTOCOL_ERROR, "unmasked frame", m)
        # Reserved bits and opcodes.
        c = m.ws()
        c.send_frame(OP_BINARY, GETSERVERS, rsv=4)
        self.check_closed_with(c, CLOSE_PROTOCOL_ERROR, "RSV1 set", m)
        c = m.ws()
        c.send_frame(0x3, GETSERVERS)
        self.check_closed_with(c, CLOSE_PROTOCOL_ERROR, "opcode 3", m)
        # Text that is not UTF-8 (RFC 6455 section 8.1: fail the
        # connection, 1007).
        c = m.ws()
        c.send_frame(OP_TEXT, GETSERVERS)
        self.check_closed_with(c, 1007, "text frame not in UTF-8", m)
        self.assertEqual(m.ws().ask(GETSERVERS), [EMPTY_PLAIN], m.tail())

    def test_message_too_big(self):
        m = self.master()
        c = m.ws()
        c.send_binary(GETSERVERS + b" " * (MAX_MSG + 1 - len(GETSERVERS)))
        closes = self.check_closed_with(c, CLOSE_TOO_BIG, "4097 bytes", m)
        self.assertEqual(len(closes), 1, "no close frame for a message "
                         "over 4096 bytes\n" + m.tail())
        # Only the header of a 1 MiB frame.
        c = m.ws()
        c.send_raw(bytes([0x82, 0xFF]) + struct.pack("!Q", 1 << 20) +
                   b"\x00\x00\x00\x00" + b"\x00" * 100)
        closes = self.check_closed_with(c, CLOSE_TOO_BIG, "1 MiB header", m)
        self.assertEqual(len(closes), 1, m.tail())
        # Fragments that add up to more.
        c = m.ws()
        c.send_fragments(HDR + b"x" * 5996, [2000, 2000])
        closes = self.check_closed_with(c, CLOSE_TOO_BIG, "3 x 2000", m)
        self.assertEqual(len(closes), 1, m.tail())
        # 4096 bytes exactly is taken: no close, and the next request is
        # answered.
        c = m.ws()
        c.send_binary(HDR + b"x" * (MAX_MSG - 4))
        self.assertIsNone(c.recv_frame(0.3), m.tail())
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())


# ---------------------------------------------------------------------------

class LimitTest(WSCase):

    def test_connections_per_address(self):
        m = self.master()
        conns = []
        for i in range(MAX_PER_IP):
            c = m.ws(source="127.0.0.7", handshake=False)
            conns.append(c)
        for c in conns:                 # every one accepted and upgraded
            c.handshake()
        extra = m.ws(source="127.0.0.7", handshake=False)
        try:
            extra.send_raw(upgrade_request("127.0.0.1", m.wsport, new_key()))
        except OSError:
            pass
        try:
            resp = extra.read_http_response(3)
            self.fail("connection %d from one address answered: %r" % (
                MAX_PER_IP + 1, resp[3]))
        except Closed:
            pass
        m.d.wait_for_log(r"\[WS\] connection from 127\.0\.0\.7:%d refused: "
                         r"too many connections from the address" %
                         extra.local[1], 3)
        # Another address is served, and so are the 64.
        other = m.ws(source="127.0.0.8")
        self.assertEqual(other.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        self.assertEqual(conns[0].ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        self.assertEqual(conns[-1].ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        # One closes: room for one more.
        gone = conns.pop()
        gport = gone.local[1]
        gone.close()
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.7:%d disconnected" % gport, 3)
        again = m.ws(source="127.0.0.7")
        self.assertEqual(again.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        last = m.ws(source="127.0.0.7", handshake=False)
        last.send_raw(upgrade_request("127.0.0.1", m.wsport, new_key()))
        with self.assertRaises(Closed):
            last.read_http_response(3)

    def test_limits_are_options(self):
        """--ws-max-per-ip, --ws-max-connections, --ws-max-message,
        --ws-handshake-timeout and --ws-idle-timeout, each at a value of
        its own."""
        m = self.master(["--ws-max-per-ip", "2", "--ws-max-connections",
                         "3", "--ws-max-message", "200",
                         "--ws-handshake-timeout", "1",
                         "--ws-idle-timeout", "3"])
        a = [m.ws(source="127.0.0.7") for _ in range(2)]
        extra = m.ws(source="127.0.0.7", handshake=False)
        with self.assertRaises(Closed):
            extra.send_raw(upgrade_request("127.0.0.1", m.wsport,
                                           new_key()))
            extra.read_http_response(3)
        m.d.wait_for_log(r"\[WS\] connection from 127\.0\.0\.7:%d "
                         r"refused: too many connections from the address" %
                         extra.local[1], 3)
        b = m.ws(source="127.0.0.8")
        fourth = m.ws(source="127.0.0.9", handshake=False)
        m.d.wait_for_log(r"\[WS\] connection from 127\.0\.0\.9:%d "
                         r"refused: too many connections$" %
                         fourth.local[1], 3)
        self.assertEqual(b.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        # 200 bytes are taken, 201 are not.
        a[0].send_binary(HDR + b"x" * 196)
        self.assertIsNone(a[0].recv_frame(0.3), m.tail())
        self.assertEqual(a[0].ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        a[1].send_binary(GETSERVERS + b" " * (201 - len(GETSERVERS)))
        self.check_closed_with(a[1], CLOSE_TOO_BIG, "201 bytes", m)
        # Without a data message for 3 s, a connection is closed.
        t0 = time.monotonic()
        b.wait_closed(8)
        self.assertGreaterEqual(time.monotonic() - t0, 1.5, m.tail())
        for c in a:
            c.close()
        # The upgrade has one second.
        silent = self.raw(m, source="127.0.0.10")
        t0 = time.monotonic()
        with self.assertRaises(Closed):
            silent.read_http_response(5)
        self.assertLess(time.monotonic() - t0, HANDSHAKE_TIMEOUT - 5,
                        m.tail())

    def test_handshake_deadline_and_slowloris(self):
        """A silent client and one that sends a header byte a second are
        both dropped about 10 s after they connected; meanwhile others are
        served at once."""
        m = self.master()
        t0 = time.monotonic()
        silent = self.raw(m)
        slow = self.raw(m)
        req = upgrade_request("127.0.0.1", m.wsport, new_key())
        sent = 0
        served = []
        closed = {}
        next_byte = t0
        next_client = t0 + 1.0
        while time.monotonic() - t0 < HANDSHAKE_TIMEOUT + 3.5 and \
                len(closed) < 2:
            now = time.monotonic()
            if "slow" not in closed and now >= next_byte:
                try:
                    slow.send_raw(req[sent:sent + 1])
                    sent += 1
                except OSError:
                    pass
                next_byte += 1.0
            if now >= next_client and len(served) < 4:
                # A normal client in the middle of it: answered at once.
                a = time.monotonic()
                c = m.ws(timeout=2)
                got = c.ask(GETSERVERS, first=1.0, quiet=0.05)
                served.append((time.monotonic() - a, got))
                c.close()
                next_client += 2.5
            for name, c in (("silent", silent), ("slow", slow)):
                if name in closed:
                    continue
                try:
                    if not c.is_open(0.05):
                        closed[name] = time.monotonic() - t0
                except OSError:
                    closed[name] = time.monotonic() - t0
        self.assertEqual(len(served), 4, served)
        for dt, got in served:
            self.assertEqual(got, [EMPTY_PLAIN], m.tail())
            self.assertLess(dt, 1.0, "a client waited %.2f s" % dt)
        self.assertIn("silent", closed, "silent client still connected "
                      "after %.1f s\n%s" % (HANDSHAKE_TIMEOUT + 3.5,
                                            m.tail()))
        self.assertIn("slow", closed, "slowloris client still connected "
                      "after %.1f s (%d bytes sent)\n%s" % (
                          HANDSHAKE_TIMEOUT + 3.5, sent, m.tail()))
        for name in ("silent", "slow"):
            self.assertGreater(closed[name], HANDSHAKE_TIMEOUT - 1.5,
                               "%s closed too early" % name)
            self.assertLess(closed[name], HANDSHAKE_TIMEOUT + 2.5, name)
        self.assertEqual(silent.buf, b"", "silent client got an answer")
        self.assertEqual(slow.buf, b"", "slow client got an answer")
        m.d.wait_for_log(r"disconnected: handshake timed out$", 2, count=2)

    def test_abrupt_disconnects(self):
        """Connections dropped in every state leak nothing: the daemon
        answers afterwards, and under the sanitizer build (run without
        root, so that LeakSanitizer works) no report comes at exit."""
        unpriv = harness.binary_reachable_by_nobody()
        m = self.master(unprivileged=unpriv)
        plans = [
            ("half a request", lambda c: c.send_raw(
                upgrade_request("127.0.0.1", m.wsport, new_key())[:40])),
            ("half a frame header", lambda c: (
                c.handshake(), c.send_raw(b"\x82"))),
            ("a 64-bit length cut", lambda c: (
                c.handshake(), c.send_raw(b"\x82\xff\x00\x00"))),
            ("half a payload", lambda c: (
                c.handshake(), c.send_raw(frame(OP_BINARY, GETSERVERS)[:12]))),
            ("half a fragmented message", lambda c: (
                c.handshake(), c.send_frame(OP_BINARY, GETSERVERS[:8],
                                            fin=False))),
            ("a request not read", lambda c: (
                c.handshake(), c.send_binary(GETSERVERSEXT))),
            ("a close sent", lambda c: (c.handshake(), c.send_close())),
        ]
        for reset in (False, True):
            for what, plan in plans:
                c = self.raw(m)
                port = c.local[1]
                plan(c)
                if reset:
                    c.abort()
                else:
                    c.close()
                m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:%d disconnected" %
                                 port, 3)
        # Still there, answering.
        c = m.ws()
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        self.assertEqual(Client(self, m).ask(GETSERVERS), [EMPTY_PLAIN])
        self.assertTrue(m.alive(), m.tail())
        c.close()
        m.d.signal(15)
        self.assertEqual(m.d.wait(), 0, m.tail())
        m.d.stop()                      # checks for sanitizer reports


# ---------------------------------------------------------------------------

class LogTest(WSCase):

    def test_ws_log_lines(self):
        m = self.master(verbose=1)
        c = m.ws(handshake=False)
        port = c.local[1]
        peer = r"127\.0\.0\.1:%d" % port
        c.handshake(protocols="binary")
        msg = HDR + b"A" * 300
        c.send_binary(msg)
        log = m.d.wait_for_log(LINE + r"netd: \[WS\] %s: received 304 "
                               r"bytes: (.*)$" % peer, 3)
        preview = log.group(1)
        self.assertTrue(preview.endswith("..."), preview)
        self.assertLessEqual(len(preview) - 3, len(vis_preview(msg[:100])),
                             preview)
        self.assertEqual(preview, "\\377" * 4 + "A" * 96 + "...")
        text = m.d.log()
        for pat in (r"netd: \[WS\] connection from %s$" % peer,
                    r"netd: \[WS\] %s handshake: 101, subprotocol binary$"
                    % peer,
                    r"netd: \[WS\] %s connected$" % peer,
                    r"netd: \[WS\] listening on IPv4 port %d$" % m.wsport):
            self.assertRegex(text, LINE + pat, m.tail())
        # In order.
        order = [re.search(LINE + p % peer, text).start() for p in (
            r"netd: \[WS\] connection from %s$",
            r"netd: \[WS\] %s handshake: 101",
            r"netd: \[WS\] %s connected$",
            r"netd: \[WS\] %s: received 304 bytes")]
        self.assertEqual(order, sorted(order), m.tail())
        # A short message is shown whole, without "...".
        c.send_binary(GETSERVERS)
        line = m.d.wait_for_log(LINE + r"netd: \[WS\] %s: received %d "
                                r"bytes: (.*)$" % (peer, len(GETSERVERS)),
                                3)
        self.assertEqual(line.group(1), vis_preview(GETSERVERS))
        c.send_close()
        c.wait_closed(3)
        m.d.wait_for_log(LINE + r"netd: \[WS\] %s disconnected" % peer, 3)

    def test_ws_log_quiet_by_default(self):
        m = WSMaster(self, verbose=0)
        m.d.start()
        m.d.wait_for_log(r"\[WS\] listening on IPv4 port %d" % m.wsport)
        c = m.ws()
        self.assertEqual(c.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        c.send_close()
        c.wait_closed(3)
        time.sleep(0.2)
        self.assertNotRegex(m.d.log(), r"\[WS\] (connection from|.* "
                            r"handshake|.* connected|.* received)",
                            m.tail())


# ---------------------------------------------------------------------------

def make_cert(test, ec=False):
    """(key, cert, dir) of a fresh self-signed pair (RSA, or ECDSA on
    P-256), or skip."""
    openssl = shutil.which("openssl")
    if openssl is None:
        test.skipTest("openssl is not installed: cannot make a certificate "
                      "for the wss:// tests")
    d = tempfile.mkdtemp(prefix="tremmasterd-tls-")
    test.addCleanup(shutil.rmtree, d, True)
    key = os.path.join(d, "key.pem")
    cert = os.path.join(d, "cert.pem")
    kind = ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if ec else \
        ["rsa:2048"]
    p = subprocess.run([openssl, "req", "-x509", "-newkey"] + kind + [
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                        "-subj", "/CN=localhost"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    if p.returncode != 0:
        test.fail("openssl req failed: %s" % p.stdout.decode("utf-8",
                                                              "replace"))
    return key, cert, d


class WSSTest(WSCase):

    def test_wss_list(self):
        key, cert, _ = make_cert(self)
        m = self.master(tls=(key, cert))
        m.d.wait_for_log(r"\[WS\] listening on IPv4 port %d \(wss\)$" %
                         m.wsport)
        port = free_ports(1)[0]
        s = WSGameServer(self, m, "127.0.0.5", port)
        s.register()
        m.d.wait_for_log(r"server 127\.0\.0\.5:%d verified" % port, 3)
        c = m.ws()
        self.assertEqual(c.sock.version()[:3], "TLS")
        self.assertEqual(c.ask(GETSERVERSEXT),
                         [one_ext(("127.0.0.5", port))], m.tail())
        c.ping(b"tls")
        self.assertEqual(c.recv_message(3), (OP_PONG, b"tls"))
        self.check_round_trips(m, c, one_plain(("127.0.0.5", port)))
        c.send_close()
        frames = c.wait_closed(3)
        self.assertEqual([op for op, _ in frames], [OP_CLOSE])
        # Plain ws:// on a wss:// port gets no upgrade.
        plain = WSClient("127.0.0.1", m.wsport, timeout=3)
        self.addCleanup(plain.close)
        plain.connect()
        plain.send_raw(upgrade_request("127.0.0.1", m.wsport, new_key()))
        got = plain.read_until_eof(3)
        self.assertIsNotNone(got, "plain request on the wss port: still "
                             "open after 3 s\n" + m.tail())
        self.assertNotIn(b"101", got)
        self.assertEqual(m.ws().ask(GETSERVERS),
                         [one_plain(("127.0.0.5", port))], m.tail())

    def test_key_pair_the_user_may_change_warned(self):
        """The parent reads -k/-K as root, following links: in a
        directory the -u user owns, or that its group may write, that
        user could point the names at another key pair root can read.
        A warning says so; a directory of root's alone gets none."""
        if not harness.IS_ROOT:
            self.skipTest(harness.NEED_ROOT)
        uid, gid = harness.nobody()
        warning = (r"master: -k %s: the -u user nobody may change %s: it "
                   r"could have the parent read another key pair$")
        key, cert, d = make_cert(self)
        sub = os.path.join(d, "live")
        os.mkdir(sub, 0o755)
        for name in ("key.pem", "cert.pem"):
            os.rename(os.path.join(d, name), os.path.join(sub, name))
        key, cert = os.path.join(sub, "key.pem"), os.path.join(sub, "cert.pem")
        m = self.master(tls=(key, cert))
        self.assertNotRegex(m.d.log(), r"could have the parent read", m.tail())
        m.d.stop()
        for owner, mode, where in ((uid, 0o700, d), (0, 0o775, sub)):
            os.chown(where, owner, gid if mode & 0o020 else 0)
            os.chmod(where, mode)
            m = self.master(tls=(key, cert))
            m.d.wait_for_log(warning % (re.escape(key), re.escape(where)))
            m.d.wait_for_log(r"master: -K %s: the -u user nobody may " %
                             re.escape(cert))
            self.assertEqual(m.ws().ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
            m.d.stop()
            os.chown(where, 0, 0)
            os.chmod(where, 0o755)

    def test_sighup_reloads_the_key_pair(self):
        """A certificate renewed in place: SIGHUP gives new connections
        the new one, connections made before keep theirs; a pair that
        does not match, or a missing file, is logged and the pair in use
        kept."""
        k1, c1, _ = make_cert(self)
        k2, c2, _ = make_cert(self)
        k3, c3, _ = make_cert(self, ec=True)
        d = tempfile.mkdtemp(prefix="tremmasterd-renew-")
        self.addCleanup(shutil.rmtree, d, True)
        key, cert = os.path.join(d, "privkey.pem"), os.path.join(
            d, "fullchain.pem")
        shutil.copy(k1, key)
        shutil.copy(c1, cert)
        der = {}
        for name, path in (("one", c1), ("two", c2), ("ec", c3)):
            with open(path) as f:
                der[name] = ssl.PEM_cert_to_DER_cert(f.read())

        def served():
            c = m.ws()
            return [n for n, v in der.items()
                    if v == c.sock.getpeercert(binary_form=True)]

        m = self.master(tls=(key, cert))
        m.d.wait_for_log(r"\[WS\] listening on IPv4 port %d \(wss\)$" %
                         m.wsport)
        old = m.ws()
        self.assertEqual(served(), ["one"])
        # The same pair again: nothing to do.
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(r"master: the wss:// key pair has not changed$", 5)
        # The new certificate with the old key: refused, the pair kept.
        shutil.copy(c2, cert)
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(r"master: -k/-K: .*: keeping the key pair in use$",
                         5)
        self.assertEqual(served(), ["one"], m.tail())
        # Both renewed: new connections get the new one.
        shutil.copy(k2, key)
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(r"master: reloaded the wss:// key pair", 5)
        m.d.wait_for_log(r"netd: \[WS\] TLS: new key pair for new "
                         r"connections$", 5)
        self.assertEqual(served(), ["two"], m.tail())
        # The one made before keeps its own, and works.
        self.assertEqual(old.sock.getpeercert(binary_form=True), der["one"])
        self.assertEqual(old.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        old.close()
        # From RSA to ECDSA, as certbot 2 makes them now.
        shutil.copy(k3, key)
        shutil.copy(c3, cert)
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(r"netd: \[WS\] TLS: new key pair for new "
                         r"connections$", 5, count=2)
        self.assertEqual(served(), ["ec"], m.tail())
        # A missing file: logged, the pair in use kept; twice over, so
        # that the context replaced first has gone with its connection.
        os.unlink(key)
        for n in (1, 2):
            m.d.signal(signal.SIGHUP)
            m.d.wait_for_log(r"master: -k: %s: No such file or directory: "
                             r"keeping the wss:// key pair in use$" %
                             re.escape(key), 5, count=n)
        self.assertEqual(served(), ["ec"], m.tail())
        self.assertEqual(m.d.count("terminated by signal"), 0, m.tail())
        self.assertTrue(m.alive(), m.tail())

    def test_key_and_cert_go_together(self):
        key, cert, _ = make_cert(self)
        p, cp, wp = free_ports(3)
        base = ["-l", "127.0.0.1", "-p", p, "-P", cp, "-W", wp]
        rc, out, err = run_cmd(base + ["-k", key])
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(err.startswith("tremmasterd: "), err)
        self.assertRegex(err, r"-k\b.*-K|-K\b.*-k", err)
        self.assertIn("-k", err.split(":")[1], err)
        rc, out, err = run_cmd(base + ["--ws_ssl_cert", cert])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("-K", err.split(":")[1], err)

    def test_key_that_does_not_match(self):
        key, cert, _ = make_cert(self)
        p, cp, wp = free_ports(3)
        base = ["-l", "127.0.0.1", "-p", p, "-P", cp, "-W", wp]
        rc, out, err = run_cmd(base + ["-k", cert, "-K", cert])
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(err.startswith("tremmasterd: -k/-K:"), err)
        # Another key than the certificate's.
        key2, _, _ = make_cert(self)
        rc, out, err = run_cmd(base + ["-k", key2, "-K", cert])
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(err.startswith("tremmasterd: -k/-K:"), err)
        # Nothing was bound: the ports are free again.
        self.assertTrue(harness.port_is_free(wp))

    def test_missing_key_file(self):
        key, cert, d = make_cert(self)
        p, cp, wp = free_ports(3)
        base = ["-l", "127.0.0.1", "-p", p, "-P", cp, "-W", wp]
        missing = os.path.join(d, "nope.pem")
        rc, out, err = run_cmd(base + ["-k", missing, "-K", cert])
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(err.startswith("tremmasterd: -k"), err)
        self.assertIn(missing, err)
        rc, out, err = run_cmd(base + ["-k", key, "-K", missing])
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(err.startswith("tremmasterd: -K"), err)
        empty = os.path.join(d, "empty.pem")
        open(empty, "w").close()
        rc, out, err = run_cmd(base + ["-k", empty, "-K", cert])
        self.assertEqual(rc, 1, out + err)


if __name__ == "__main__":
    unittest.main()
