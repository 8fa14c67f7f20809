# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""What a WebSocket peer can make netd hold (issue 10, item 1): a ping
flood from a peer that never reads, a message of thousands of tiny
fragments, control frames that break RFC 6455 5.5, and connections kept
open by pings alone.  netd's memory is read from /proc/<pid>/status; the
deadlines of minutes are reached by moving netd's monotonic clock with
clockshift.c, preloaded into the run."""

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import harness
from fakes import EMPTY_EXT, EMPTY_PLAIN, HDR, UDPTest
from ws_client import (CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, OP_BINARY,
                       OP_CLOSE, OP_CONT, OP_PING, OP_PONG, Closed, frame,
                       parse_close)
from wsfakes import WSMaster

GETSERVERS = HDR + b"getservers 69 empty full"
GETSERVERSEXT = HDR + b"getserversExt Tremulous 69 empty full"

IDLE_TIMEOUT = 600              # WS_IDLE_TIMEOUT in netd/ws.c
STALL_TIMEOUT = 30              # WS_STALL_TIMEOUT
MAX_FRAMES = 16                 # WS_MAX_FRAMES
RSS_SLACK = 4 * 1024            # KiB netd may grow by under a flood

HERE = os.path.dirname(os.path.abspath(__file__))


def vm_rss(pid):
    """Resident set of a process, KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def ping_flood(sock, total, limit, payload=b""):
    """Send up to total bytes of masked pings of payload on sock, never
    reading, for at most limit seconds, stopping when the socket stays
    unwritable for a second: the bytes sent."""
    one = frame(OP_PING, payload, mask_key=b"\x01\x02\x03\x04")
    chunk = one * (65536 // len(one))
    sock.setblocking(False)
    sent = 0
    end = time.monotonic() + limit
    try:
        while sent < total and time.monotonic() < end:
            _, w, _ = select.select([], [sock], [], 1.0)
            if not w:
                break
            try:
                sent += sock.send(chunk[:min(len(chunk), total - sent)])
            except BlockingIOError:
                continue
            except OSError:
                break
    finally:
        sock.setblocking(True)
    return sent


class WSLimitCase(UDPTest):

    MASTER = WSMaster

    def master(self, args=(), env=None, **kw):
        """A started WSMaster with env added to its environment.  In the
        sanitizer build, ASan's quarantine of freed memory is turned off:
        it would hold every buffer freed during a flood and show as
        netd's RSS."""
        m = WSMaster(self, args, **kw)
        extra = dict(env or {})
        if harness.sanitize():
            base = harness.daemon_env(not harness.IS_ROOT).get(
                "ASAN_OPTIONS", "")
            extra["ASAN_OPTIONS"] = ":".join(
                o for o in base.split(":") + ["quarantine_size_mb=0"] if o)
        m.d.env_extra = extra
        m.start()
        self.addCleanup(self._check_alive, m)
        return m

    def netd_rss(self, m):
        return vm_rss(m.d.child_by_title("netd"))

    def assert_served(self, m, what):
        """Another client is answered at once."""
        c = m.ws(source="127.0.0.2", timeout=3)
        try:
            got = c.ask(GETSERVERSEXT, first=2.0, quiet=0.1)
        except (OSError, Closed) as e:
            self.fail("%s: a client was not served: %s\n%s" % (what, e,
                                                                m.tail()))
        self.assertEqual(got, [EMPTY_EXT], "%s\n%s" % (what, m.tail()))
        c.close()

    def closes_of(self, c, what, m, timeout=3):
        """The close codes c got before the connection ended; no data."""
        frames = c.wait_closed(timeout)
        self.assertEqual(c.buf, b"", "%s: the connection ended inside a "
                         "frame: %r after %r" % (what, c.buf, frames))
        data = [(op, p) for op, p in frames if op not in (OP_CLOSE,
                                                           OP_PONG)]
        self.assertEqual(data, [], "%s: answered\n%s" % (what, m.tail()))
        return [parse_close(p)[0] for op, p in frames if op == OP_CLOSE]


class FloodTest(WSLimitCase):

    def test_ping_flood_without_reading(self):
        """8 MiB of pings from a peer that never reads its pongs: netd
        stops reading it, stays within a few MiB, and serves others."""
        m = self.master()
        before = self.netd_rss(m)
        c = m.ws(rcvbuf=4096)
        sent = ping_flood(c.sock, 8 << 20, 15.0)
        self.assertTrue(m.alive(), m.tail())
        self.assert_served(m, "during a ping flood")
        time.sleep(0.5)
        grown = self.netd_rss(m) - before
        print("\n  ping flood: %d KiB sent, netd RSS %d KiB -> %+d KiB" %
              (sent >> 10, before, grown))
        self.assertLess(grown, RSS_SLACK, "netd grew by %d KiB for %d KiB "
                        "of pings\n%s" % (grown, sent >> 10, m.tail()))
        # The flooding connection is still served once it reads.
        self.assertTrue(c.is_open(0.2), m.tail())

    def test_fragment_flood(self):
        """48 connections, each a message begun and continued by thousands
        of one-byte frames: each is closed with 1009 after WS_MAX_FRAMES
        frames, netd does not grow, and others are served."""
        m = self.master()
        before = self.netd_rss(m)
        flood = frame(OP_BINARY, b"\xff", fin=False) + b"".join(
            frame(OP_CONT, b"\xff", fin=False) for _ in range(4000))
        conns = []
        for _ in range(48):
            c = m.ws(source="127.0.0.9")
            try:
                c.send_raw(flood)
            except OSError:
                pass
            conns.append(c)
        time.sleep(0.5)
        grown = self.netd_rss(m) - before
        self.assertTrue(m.alive(), m.tail())
        self.assert_served(m, "during a fragment flood")
        print("\n  fragment flood: %d KiB sent, netd RSS %d KiB -> %+d KiB"
              % (48 * len(flood) >> 10, before, grown))
        self.assertLess(grown, RSS_SLACK, "netd grew by %d KiB for 48 "
                        "fragment floods\n%s" % (grown, m.tail()))
        for c in conns:
            self.assertEqual(self.closes_of(c, "fragment flood", m),
                             [CLOSE_TOO_BIG], m.tail())

    def test_frames_of_a_message(self):
        """WS_MAX_FRAMES frames make a message; one more is refused."""
        m = self.master()
        c = m.ws()
        c.send_fragments(GETSERVERS, [1] * MAX_FRAMES)
        self.assertEqual(c.recv_all(quiet=0.2), [(OP_BINARY, EMPTY_PLAIN)],
                         m.tail())
        c.send_fragments(GETSERVERS, [1] * (MAX_FRAMES + 1))
        self.assertEqual(self.closes_of(c, "17 frames", m), [CLOSE_TOO_BIG],
                         m.tail())


class ControlFrameTest(WSLimitCase):

    def check_1002(self, m, raw, what):
        c = m.ws()
        c.ping(b"first")
        c.send_raw(raw)
        frames = c.wait_closed(3)
        self.assertEqual(c.buf, b"", "%s: cut inside a frame" % what)
        self.assertEqual(frames, [(OP_PONG, b"first"), (OP_CLOSE, struct.pack(
            "!H", CLOSE_PROTOCOL_ERROR))], "%s\n%s" % (what, m.tail()))

    def test_bad_control_frames(self):
        """RFC 6455 5.5: a control frame over 125 bytes or fragmented is
        answered with close 1002 (after what was queued before it), not
        a bare TCP close; likewise a length not in its shortest form
        (5.2)."""
        m = self.master()
        self.check_1002(m, frame(OP_PING, b"p" * 126), "126-byte ping")
        self.check_1002(m, frame(OP_PONG, b"p" * 200), "200-byte pong")
        self.check_1002(m, frame(OP_PING, b"abc", fin=False),
                        "fragmented ping")
        self.check_1002(m, frame(OP_CLOSE, b"\x03\xe8", fin=False),
                        "fragmented close")
        # 16-bit length 10, 64-bit length 200.
        key = b"\x00\x00\x00\x00"
        self.check_1002(m, struct.pack("!BBH", 0x82, 0xFE, 10) + key +
                        GETSERVERS[:10], "16-bit length of 10")
        self.check_1002(m, struct.pack("!BBQ", 0x82, 0xFF, 200) + key +
                        b"x" * 200, "64-bit length of 200")
        # A ping of 125 bytes is fine.
        c = m.ws()
        c.ping(b"q" * 125)
        self.assertEqual(c.recv_message(2), (OP_PONG, b"q" * 125))
        self.assert_served(m, "after bad control frames")


def build_clockshift(test):
    """Build clockshift.c into a temporary directory: the library."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("cc")
    if cc is None:
        raise unittest.SkipTest("no C compiler for clockshift.c")
    d = tempfile.mkdtemp(prefix="tremmasterd-clockshift-")
    test.addCleanup(shutil.rmtree, d, True)
    os.chmod(d, 0o755)
    lib = os.path.join(d, "clockshift.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", lib,
                    os.path.join(HERE, "clockshift.c"), "-ldl"],
                   check=True, timeout=60)
    return d, lib


class ClockTest(WSLimitCase):
    """Runs whose monotonic clock the test moves forward."""

    def clock_master(self, **kw):
        d, lib = build_clockshift(self)
        self.shift_path = os.path.join(d, "shift")
        self.shifted = 0
        with open(self.shift_path, "wb") as f:
            f.write(struct.pack("=q", 0))
        return self.master(env={"LD_PRELOAD": lib,
                                "CLOCKSHIFT_FILE": self.shift_path}, **kw)

    def shift(self, seconds):
        """Move the daemon's monotonic clocks seconds forward."""
        self.shifted += seconds
        with open(self.shift_path, "r+b") as f:
            f.write(struct.pack("=q", self.shifted))

    def test_pings_do_not_keep_a_connection(self):
        """Pings do not reset the idle deadline; data messages do."""
        m = self.clock_master()
        pings, data = m.ws(), m.ws()
        for c in (pings, data):
            c.ping(b"hi")
            self.assertEqual(c.recv_message(2), (OP_PONG, b"hi"))
        self.shift(IDLE_TIMEOUT // 2)
        for c in (pings, data):
            c.ping(b"half")
            self.assertEqual(c.recv_message(2), (OP_PONG, b"half"),
                             m.tail())
        self.assertEqual(data.ask(GETSERVERS), [EMPTY_PLAIN], m.tail())
        # 10 s past the first deadline: only pings kept "pings" busy.
        self.shift(IDLE_TIMEOUT // 2 + 10)
        for c in (pings, data):
            try:
                c.ping(b"late")
            except OSError:
                pass
        self.assertEqual(self.closes_of(pings, "pings only", m), [],
                         m.tail())
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:%d disconnected: idle "
                         r"timeout$" % pings.local[1], 3)
        self.assertEqual(data.recv_message(2), (OP_PONG, b"late"),
                         m.tail())
        self.assertTrue(data.is_open(0.2), m.tail())
        # Its own deadline, from its last data message, pings or not.
        self.shift(IDLE_TIMEOUT // 2 + 10)
        try:
            data.ping(b"later")
        except OSError:
            pass
        self.closes_of(data, "after its deadline", m)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:%d disconnected: idle "
                         r"timeout$" % data.local[1], 3)

    def test_peer_that_does_not_read(self):
        """A peer whose queue stays full is dropped after
        WS_STALL_TIMEOUT seconds."""
        m = self.clock_master()
        c = m.ws(rcvbuf=4096)
        port = c.local[1]
        # Pongs of 125 bytes: enough of them fill the kernel's buffers,
        # then our queue.
        ping_flood(c.sock, 24 << 20, 15.0, b"p" * 125)
        time.sleep(0.5)
        self.assert_served(m, "flood")
        self.assertEqual(m.d.count(r"disconnected: peer does not read$"),
                         0, m.tail())
        self.shift(STALL_TIMEOUT + 1)
        # Another client wakes netd up.
        self.assert_served(m, "after the stall deadline")
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:%d disconnected: peer does "
                         r"not read$" % port, 3)


if __name__ == "__main__":
    unittest.main()
