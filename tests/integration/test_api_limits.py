# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The REST API's bounds against an attacker's traffic (api/conns.c,
tremmasterd(8) REST API): connections from one address, a request that
comes a byte at a time, answers asked for and never read; and HEAD
answers that carry no body, reason phrases that libevent lacks.
"""

import http.client
import json
import os
import random
import socket
import struct
import subprocess
import time

import harness
from harness import wait_until
from test_api import APITest, KEY, WAIT
from test_ws_limits import build_clockshift, vm_rss

ROOT = os.path.dirname(os.path.dirname(harness.HERE))
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
PER_ADDR = 64                   # CONNS_PER_ADDR
DEADLINE = 10.0                 # REQUEST_DEADLINE, seconds
QUEUED_MAX = 32 * 1024 * 1024   # bytes
NSERVERS = 16000


def raw(m, source="127.0.0.1", rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(WAIT)
    s.connect(("127.0.0.1", m.aport))
    return s


def get(path, method="GET", headers=()):
    h = "".join("%s: %s\r\n" % kv for kv in headers)
    return ("%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (method, path, h)
            ).encode()


def read_head(s):
    """The status line and headers (lower-case names) of an answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            raise AssertionError("closed after %r" % data)
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs, rest


def read_answer(s):
    line, hdrs, body = read_head(s)
    n = int(hdrs.get("content-length", "0"))
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            break
        body += d
    return line, hdrs, body


def metric(test, m, name):
    _, _, data = test.request(m, "GET", "/metrics")
    for ln in data.decode().splitlines():
        if ln.startswith(name + " "):
            return float(ln.split()[1])
    raise AssertionError("no %s in /metrics" % name)


def closed_within(s, timeout):
    """True when the peer closes s within timeout seconds."""
    s.settimeout(timeout)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class HeadTest(APITest):

    def test_head_has_length_and_no_body(self):
        m = self.api()
        html = (("Accept", "text/html"),)
        cases = [("/api/servers", ()), ("/api/servers?protocol=69", ()),
                 ("/", html), ("/api/info", ()), ("/api/stats", ()),
                 ("/nope", ()), ("/metrics", ())]
        for path, hdrs in cases:
            with raw(m) as s:
                s.sendall(get(path, "GET", hdrs))
                gline, _, gbody = read_answer(s)
                s.sendall(get(path, "HEAD", hdrs))
                line, h, rest = read_head(s)
                self.assertEqual(line.split()[1], gline.split()[1], path)
                self.assertEqual(rest, b"", path)
                # The counters move between the two; the error names the
                # method.
                if path not in ("/metrics", "/nope"):
                    self.assertEqual(int(h["content-length"]), len(gbody),
                                     path)
                # Nothing follows the head: the next answer is the next
                # request's.
                s.settimeout(0.3)
                with self.assertRaises(socket.timeout, msg=path):
                    s.recv(1)
                s.settimeout(WAIT)
                s.sendall(get("/api/info"))
                line, _, body = read_answer(s)
                self.assertEqual(line, "HTTP/1.1 200 OK", path)
                self.assertEqual(json.loads(body)["status"], "online")
        self.assertTrue(m.alive(), m.tail())

    def test_429_reason_phrase(self):
        m = self.api()
        reasons = []
        for _ in range(7):
            c = http.client.HTTPConnection("127.0.0.1", m.aport,
                                           timeout=WAIT)
            try:
                c.request("GET", "/api/stats", headers={"X-API-Key": "no"})
                r = c.getresponse()
                r.read()
                reasons.append((r.status, r.reason))
            finally:
                c.close()
        self.assertIn((429, "Too Many Requests"), reasons, reasons)
        self.assertIn((401, "Unauthorized"), reasons, reasons)


class ConnectionLimitTest(APITest):

    def test_connections_per_address(self):
        """The 65th connection from an address is shut at once; the
        other addresses, and its first 64 connections, are served."""
        m = self.api()
        held = [raw(m, "127.0.0.2") for _ in range(PER_ADDR)]
        self.addCleanup(lambda: [s.close() for s in held])
        time.sleep(0.3)
        with raw(m, "127.0.0.2") as s:
            self.assertTrue(closed_within(s, WAIT), m.tail())
        # One that asks at once is shut, or answered 503 and closed.
        with raw(m, "127.0.0.2") as s:
            s.sendall(get("/api/info"))
            s.settimeout(WAIT)
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if data:
                self.assertTrue(data.startswith(b"HTTP/1.1 503 "), data)
                self.assertIn(b"connections from one client", data)
                self.assertTrue(closed_within(s, WAIT))
        self.json_ok(m, "GET", "/api/info", source=("127.0.0.3", 0))
        held[0].sendall(get("/api/info"))
        line, _, _ = read_answer(held[0])
        self.assertEqual(line, "HTTP/1.1 200 OK")
        for s in held[:8]:
            s.close()
        del held[:8]
        ok = wait_until(lambda: self.request(
            m, "GET", "/api/info", source=("127.0.0.2", 0))[0] == 200, WAIT)
        self.assertTrue(ok, m.tail())
        self.assertGreaterEqual(
            metric(self, m, "tremmasterd_api_connections_refused_total"), 2)

    def test_request_deadline(self):
        """A request sent a header line a second is cut at the deadline,
        though evhttp's timeout of inactivity never comes; a keep-alive
        client asking every two seconds is not."""
        m = self.api()
        slow = raw(m, "127.0.0.4")
        self.addCleanup(slow.close)
        keep = raw(m, "127.0.0.5")
        self.addCleanup(keep.close)
        t0 = time.monotonic()
        slow.sendall(b"GET /api/info HTTP/1.1\r\n")
        cut = None
        last = 0.0
        while time.monotonic() - t0 < DEADLINE + 8:
            if time.monotonic() - last >= 2:
                keep.sendall(get("/api/info"))
                line, _, _ = read_answer(keep)
                self.assertEqual(line, "HTTP/1.1 200 OK", m.tail())
                last = time.monotonic()
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                cut = time.monotonic() - t0
                break
            if closed_within(slow, 1.0):
                cut = time.monotonic() - t0
                break
        self.assertIsNotNone(cut, "a slow request was never cut\n" +
                             m.tail())
        self.assertGreaterEqual(cut, DEADLINE - 1, m.tail())
        keep.sendall(get("/api/info"))
        self.assertEqual(read_answer(keep)[0], "HTTP/1.1 200 OK")
        self.assertGreaterEqual(
            metric(self, m, "tremmasterd_api_request_deadline_total"), 1)


class QueueTest(APITest):

    def loadgen(self, m, n):
        if not os.access(LOADGEN, os.X_OK):
            b = subprocess.run(["make", "-C", ROOT, "bench"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
            self.assertEqual(b.returncode, 0, b.stdout.decode())
        base = "127.%d.0.1" % random.randint(100, 199)
        p = subprocess.Popen([LOADGEN, "-m", "servers", "-L", "-n", str(n),
                              "-a", base, "-p", str(m.port),
                              "-C", str(m.cport), "-P", "69", "-d", "120",
                              "-s", "60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.addCleanup(lambda: (p.kill(), p.communicate()))
        line = ""
        while "phase=ready" not in line:
            line = p.stdout.readline()
            if not line:
                self.fail("loadgen: %s" % p.stderr.read())
        self.assertIn("verified=1", line, line)
        return p

    def test_answers_never_read_are_bounded(self):
        """Filtered lists asked for by clients that never read: one
        client address gets its share (QUEUED_PER_GROUP), all together
        QUEUED_MAX, then large answers are refused 503 while small ones,
        and the whole list that every client shares, still go; the API's
        memory stays within the bound; an answer that goes out too slowly
        is cut (the clock moved on by clockshift.c); all is well again
        once they go.  The lists are of NSERVERS servers with long
        fields, so that each answer is more than the kernel takes into a
        socket's buffer (4 MiB at most by Linux's default tcp_wmem) and
        stays with the API."""
        d, lib = build_clockshift(self)
        shift_path = os.path.join(d, "shift")
        with open(shift_path, "wb") as f:
            f.write(struct.pack("=q", 0))
        env = {"LD_PRELOAD": lib, "CLOCKSHIFT_FILE": shift_path}
        if harness.sanitize():
            # ASan's quarantine would hold every buffer freed, as RSS.
            base = harness.daemon_env(not harness.IS_ROOT).get(
                "ASAN_OPTIONS", "")
            env["ASAN_OPTIONS"] = ":".join(
                o for o in base.split(":") + ["quarantine_size_mb=0"] if o)
        m = self.api(args=["-n", str(NSERVERS + 100), "--answer-budget",
                           "0", "--challenge-burst", "0"], verbose=0,
                     env=env)
        self.loadgen(m, NSERVERS)
        path = "/api/servers?protocol=69"
        ok = wait_until(lambda: len(json.loads(self.request(
            m, "GET", path)[2])["servers"]) == NSERVERS, 3 * WAIT)
        self.assertTrue(ok, m.tail())
        size = len(self.request(m, "GET", path)[2])
        pid = m.api_pid()
        rss0 = vm_rss(pid)
        flood = []
        self.addCleanup(lambda: [s.close() for s in flood])

        def ask(source, p):
            s = raw(m, source, rcvbuf=2048)
            s.sendall(get(p))
            flood.append(s)
            head = b""
            while len(head) < 12:
                d = s.recv(12 - len(head))
                self.assertTrue(d, "%s: closed" % source)
                head += d
            return int(head.split()[1])

        # One client: its share, then no more.
        self.assertEqual(ask("127.0.1.10", path), 200, m.tail())
        self.assertEqual(ask("127.0.1.10", path), 503, m.tail())
        # Every other client its own, until all are at the bound.
        codes = [ask("127.0.1.%d" % (11 + i), path)
                 for i in range(2 * (QUEUED_MAX // size) + 2)]
        n200 = 1 + codes.count(200)
        print("\n  %d unread answers of %d bytes from %d clients: %d "
              "sent, %d refused" % (len(codes) + 2, size, len(codes) + 1,
                                    n200, codes.count(503) + 1))
        self.assertIn(503, codes, m.tail())
        self.assertLessEqual(n200, QUEUED_MAX // size + 1, codes)
        self.assertEqual(codes[:n200 - 1], [200] * (n200 - 1), codes)
        # The shared list, and small answers, still go to anyone.
        for i in range(3):
            self.assertEqual(ask("127.0.1.10", "/api/servers"), 200)
        st, h, data = self.request(m, "GET", "/api/info")
        self.assertEqual(st, 200)
        st, h, data = self.request(m, "GET", path)
        self.assertEqual(st, 503)
        self.assertEqual(h["retry-after"], "1")
        self.assertEqual(json.loads(data)["error"], "Service Unavailable")
        grew = vm_rss(pid) - rss0
        print("  API RSS %+d KiB" % grew)
        # The bound, the shared list, one answer built and refused, and
        # the allocator's own (ASan's red zones in the sanitizer build).
        self.assertLess(grew * 1024, QUEUED_MAX + 5 * size, m.tail())
        self.assertGreaterEqual(
            metric(self, m, "tremmasterd_api_queue_full_total"),
            codes.count(503) + 2)
        # Answers that go out slower than 16 KiB a second are cut: ten
        # minutes on, every unread one is.
        cut0 = metric(self, m, "tremmasterd_api_request_deadline_total")
        with open(shift_path, "r+b") as f:
            f.write(struct.pack("=q", 600))
        ok = wait_until(lambda: metric(
            self, m, "tremmasterd_api_request_deadline_total") >=
            cut0 + n200, 3 * WAIT)
        self.assertTrue(ok, m.tail())
        ok = wait_until(lambda: self.request(m, "GET", path)[0] == 200,
                        WAIT)
        self.assertTrue(ok, m.tail())
        for s in flood:
            s.close()
        del flood[:]
        self.assertTrue(m.alive(), m.tail())


if __name__ == "__main__":
    import unittest
    unittest.main()
