# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Server lists over UDP: the exact bytes of getserversResponse and
getserversExtResponse, packets of 256, featured labels, the reuse of
encoded responses, and qstat as a real client (PROTOCOL.md section 4)."""

import os
import resource
import shutil
import signal
import subprocess
import time
import unittest

from harness import HAVE_IPV6, free_ports
from fakes import (EMPTY_EXT, EMPTY_PLAIN, EXT_HDR, HDR, PLAIN_HDR, Master,
                   UDPTest, parse_plain, register_many, v4_entry_bytes)


class ListTest(UDPTest):

    def want_files(self, n):
        """At least n open files for this test (each fake server holds
        one), or skip it when the hard limit is lower."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY or soft >= n:
            return
        if hard != resource.RLIM_INFINITY and hard < n:
            self.skipTest("RLIMIT_NOFILE %d is too low" % hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE,
                        (soft, hard))

    def register_listed(self, m, c, servers):
        """Register servers, again for those a list lacks, up to three
        rounds: all must be listed."""
        todo = servers
        for _ in range(3):
            register_many(self, m, todo)
            got = c.plain_set()
            todo = [s for s in servers if s.entry not in got]
            if not todo:
                break
        self.assertEqual(todo, [], "%d servers never listed\n%s" % (
            len(todo), m.tail()))

    def test_empty_lists(self):
        m = self.master(verbose=1)
        c = self.client(m)
        for args in (b"69", b"69 empty full", b"71 full", b"68"):
            self.assertEqual(c.ask(HDR + b"getservers " + args),
                             [EMPTY_PLAIN], m.tail())
        self.assertEqual(EMPTY_PLAIN,
                         b"\xff\xff\xff\xffgetserversResponse\\")
        self.assertEqual(EMPTY_EXT,
                         b"\xff\xff\xff\xffgetserversExtResponse\x001\x001"
                         b"\x00\\")
        for args in (b"Tremulous 69", b"Tremulous 71 empty full",
                     b"Tremulous 70 ipv6", b"Tremulous 69 ipv4 full empty"):
            self.assertEqual(c.ask(HDR + b"getserversExt " + args),
                             [EMPTY_EXT], m.tail())
        # qstat's form, with the newline.
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full\n"),
                         [EMPTY_PLAIN], m.tail())

    def test_no_reply(self):
        m = self.master(verbose=2)
        c = self.client(m)
        requests = [b"getserversExt Quake3 69 empty full",
                    b"getserversExt tremulous 69",
                    b"getserversExt Tremulous",
                    b"getserversExt Tremulous  \n",
                    b"getserversExt",
                    b"getservers",
                    b"getservers ",
                    b"getservers\n",
                    b"getservers \x0069"]
        for r in requests:
            c.send(HDR + r)
        m.d.wait_for_log(r"without protocol or for another game, ignored",
                         3, count=len(requests))
        c.expect_silence()
        # The same client does get an answer to a real request.
        self.assertEqual(c.ask(HDR + b"getservers 69"), [EMPTY_PLAIN],
                         m.tail())

    def test_more_than_256_servers(self):
        nservers = 600
        self.want_files(nservers + 200)
        m = self.master(["-n", "0", "--max-per-ip", "0",
                         "--challenge-timeout", "30"], verbose=0)
        c = self.client(m)
        servers = []
        for i in range(nservers // 3):
            addr = "127.1.%d.%d" % (i // 200, i % 200 + 1)
            for _ in range(3):
                servers.append(self.server(m, addr))
        want = {s.entry for s in servers}
        self.assertEqual(len(want), nservers)
        t0 = time.monotonic()
        self.register_listed(m, c, servers)
        elapsed = time.monotonic() - t0

        pkts, entries = c.plain()
        self.assertEqual([len(parse_plain(p)) for p in pkts],
                         [256, 256, 88], "registered in %.1f s" % elapsed)
        self.assertEqual(len(entries), len(set(entries)), "duplicates")
        self.assertEqual(set(entries), want)
        for p in pkts:
            self.assertTrue(p.startswith(PLAIN_HDR + b"\\"))
            self.assertTrue(p.endswith(b"\\"))

        ext = c.ext()
        self.assertEqual([(i, n, label, len(e)) for i, n, label, e in ext],
                         [(1, 3, "", 256), (2, 3, "", 256), (3, 3, "", 88)])
        eentries = [e for p in ext for e in p[3]]
        self.assertEqual(len(eentries), len(set(eentries)), "duplicates")
        self.assertEqual(set(eentries), want)

    def test_featured_labels(self):
        fport = free_ports(1)[0]
        featured = ("# featured servers\n"
                    "Featured One\n"
                    "  127.0.0.11:%d\n"
                    "\n"
                    "Second\n"
                    "  127.0.0.12:%d\n"
                    "  127.0.0.13:%d\n" % (fport, fport, fport))
        m = self.master(verbose=1, files={"featured.txt": featured})
        c = self.client(m)
        one = self.server(m, "127.0.0.11", fport)
        two = self.server(m, "127.0.0.12", fport)
        self.server(m, "127.0.0.13", fport)     # never heartbeats
        plain = [self.server(m, "127.0.0.14"), self.server(m, "127.0.0.15")]
        for s in [one, two] + plain:
            s.register()
        c.wait_listed([one, two] + plain)
        ext = c.ext()
        self.assertEqual([(i, n, label) for i, n, label, _ in ext],
                         [(1, 3, ""), (2, 3, "Featured One"),
                          (3, 3, "Second")], m.tail())
        self.assertEqual(set(ext[0][3]), {s.entry for s in plain})
        self.assertEqual(ext[1][3], [one.entry])
        self.assertEqual(ext[2][3], [two.entry])
        # The exact bytes of a labelled packet.
        pkts = c.ask(HDR + b"getserversExt Tremulous 69 empty full")
        self.assertIn(EXT_HDR + b"\x002\x003\x00Featured One" +
                      v4_entry_bytes("127.0.0.11", fport) + b"\\", pkts)
        self.assertIn(EXT_HDR + b"\x003\x003\x00Second" +
                      v4_entry_bytes("127.0.0.12", fport) + b"\\", pkts)
        # Plain: every group merged in one packet, no label.
        self.assertPlain(c, [one, two] + plain)
        # A group with no matching server gives no packet.
        two.register(clients=0)
        time.sleep(0.2)
        ext = c.ext(b"Tremulous 69")
        self.assertEqual([(i, n, label) for i, n, label, _ in ext],
                         [(1, 2, ""), (2, 2, "Featured One")], m.tail())

    def test_featured_groups_over_256(self):
        """Ext packets of 256 within each group, indices counted across
        the groups; plain packets merge everything."""
        self.want_files(800)
        m = Master(self, ["-n", "0", "--max-per-ip", "0",
                          "--challenge-timeout", "30"], verbose=0)
        servers = [self.server(m, "127.2.%d.%d" % (i // 200, i % 200 + 1))
                   for i in range(600)]
        big, small, rest = servers[:280], servers[280:300], servers[300:]
        featured = "Big Group\n" + "".join(
            "  %s\n" % s.addr_str for s in big) + "Small\n" + "".join(
            "  %s\n" % s.addr_str for s in small)
        m.d.write_file("featured.txt", featured)
        m.start()
        self.addCleanup(self._check_alive, m)
        c = self.client(m)
        self.register_listed(m, c, servers)
        ext = c.ext()
        self.assertEqual([(i, n, label, len(e)) for i, n, label, e in ext],
                         [(1, 5, "", 256), (2, 5, "", 44),
                          (3, 5, "Big Group", 256), (4, 5, "Big Group", 24),
                          (5, 5, "Small", 20)], m.tail())
        groups = {}
        for _, _, label, e in ext:
            groups.setdefault(label, []).extend(e)
        self.assertEqual(set(groups[""]), {s.entry for s in rest})
        self.assertEqual(set(groups["Big Group"]), {s.entry for s in big})
        self.assertEqual(set(groups["Small"]), {s.entry for s in small})
        pkts, entries = c.plain()
        self.assertEqual([len(parse_plain(p)) for p in pkts], [256, 256, 88])
        self.assertEqual(set(entries), {s.entry for s in servers})
        self.assertEqual(len(entries), 600)

    def test_featured_reload_on_sighup(self):
        m = self.master(verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.11")
        s.register()
        c.wait_listed([s])
        self.assertEqual([p[:3] for p in c.ext()], [(1, 1, "")])
        m.d.write_file("featured.txt", "Now Featured\n  %s\n" % s.addr_str)
        m.d.signal(signal.SIGHUP)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            ext = c.ext()
            if ext[0][2] != "":
                break
            time.sleep(0.1)
        self.assertEqual(ext, [(1, 1, "Now Featured", [s.entry])], m.tail())
        self.assertPlain(c, [s])

    def test_featured_address_never_heartbeated(self):
        """An infoResponse from a featured address that never heartbeated
        has no valid challenge: dropped, nothing listed, no crash."""
        fport = free_ports(1)[0]
        m = self.master(verbose=2, files={
            "featured.txt": "Label\n  127.0.0.13:%d\n" % fport})
        c = self.client(m)
        f = self.server(m, "127.0.0.13", fport)
        f.answer("AAAAAAAAAAAA")
        f.send(HDR + b"garbage", m.cport)
        m.d.wait_for_log(r"127\.0\.0\.13:%d: infoResponse with a wrong or "
                         r"expired challenge" % fport, 3)
        m.d.wait_for_log(r"127\.0\.0\.13:%d: unexpected packet on the "
                         r"challenge port" % fport, 3)
        f.expect_nothing(0.2)
        self.assertEqual(c.ask(HDR + b"getserversExt Tremulous 69 empty "
                               b"full"), [EMPTY_EXT], m.tail())
        self.assertNotListed(c)

    def test_request_sizes(self):
        """A 2048-byte request is read whole and answered; bigger ones
        never hurt."""
        m = self.master(verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.register()
        c.wait_listed([s])
        req = HDR + b"getservers 69 empty full"
        padded = req + b" " * (2048 - len(req))
        self.assertEqual(len(padded), 2048)
        self.assertEqual(c.ask(padded), [PLAIN_HDR + v4_entry_bytes(
            "127.0.0.5", s.port) + b"\\"], m.tail())
        # Keywords at the very end of 2048 bytes still count.
        req = HDR + b"getservers 69"
        tail = b" empty full"
        padded = req + b" " * (2048 - len(req) - len(tail)) + tail
        self.assertEqual(len(padded), 2048)
        s.set(clients=0)
        s.register()
        time.sleep(0.2)
        self.assertPlain(c, [], b"69")
        self.assertEqual(c.ask(padded), [PLAIN_HDR + v4_entry_bytes(
            "127.0.0.5", s.port) + b"\\"], m.tail())
        for n in (2049, 4096, 65000):
            c.send(req + b" " * (n - len(req)))
        c.recv_all(first=0.5)
        self.assertPlain(c, [s])

    def test_response_reuse(self):
        m = self.master(["--server-timeout", "3"], verbose=1)
        c = self.client(m)
        s1 = self.server(m, "127.0.0.5")
        s2 = self.server(m, "127.0.0.6")
        s1.register()
        c.wait_listed([s1])
        self.assertPlain(c, [s1])
        self.assertExt(c, [s1])
        self.assertPlain(c, [s1])       # twice: the kept response
        # A new server: the next request has it.
        s2.register()
        c.wait_listed([s2], timeout=1)
        self.assertPlain(c, [s1, s2])
        self.assertExt(c, [s1, s2])
        # A server that becomes empty leaves the lists without "empty".
        self.assertPlain(c, [s1, s2], b"69")
        s2.register(clients=0)
        deadline = time.monotonic() + 2
        while c.plain_set(b"69") != {s1.entry} and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertPlain(c, [s1], b"69")
        self.assertPlain(c, [s1, s2], b"69 empty")
        # s1 stops heartbeating and times out; s2 keeps going, at the
        # pace a listed server's heartbeats are challenged.
        deadline = time.monotonic() + 6
        last = 0
        while time.monotonic() < deadline:
            if time.monotonic() - last >= 2:
                s2.register(clients=0)
                last = time.monotonic()
            if c.plain_set() == {s2.entry}:
                break
            time.sleep(0.3)
        self.assertPlain(c, [s2])
        self.assertExt(c, [s2])
        self.assertPlain(c, [], b"69")

    def test_more_distinct_requests_than_kept_responses(self):
        """netd keeps the encoded answers of the last 32 distinct requests;
        a 33rd distinct request must still get its own answer."""
        m = self.master(verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.register()
        c.wait_listed([s])
        self.assertPlain(c, [s])
        # 40 other requests, all different, none matching s.
        for p in range(100, 120):
            c.send(HDR + b"getserversExt Tremulous %d" % p)
            c.send(HDR + b"getservers %d full" % p)
        got = [d for d, _ in c.recv_all()]
        self.assertEqual(len(got), 40)
        wrong = [d for d in got if d not in (EMPTY_PLAIN, EMPTY_EXT)]
        self.assertEqual(wrong, [], "answers to other requests came back "
                         "(a reused slot of the response cache?)")
        self.assertEqual(sorted(got), sorted([EMPTY_PLAIN] * 20 +
                                             [EMPTY_EXT] * 20))
        # No table change since: each request must still get its answer.
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full"),
                         [PLAIN_HDR + v4_entry_bytes("127.0.0.5", s.port) +
                          b"\\"], m.tail())
        self.assertEqual(c.ask(HDR + b"getserversExt Tremulous 69"),
                         [EXT_HDR + b"\x001\x001\x00" +
                          v4_entry_bytes("127.0.0.5", s.port) + b"\\"],
                         m.tail())
        self.assertEqual(c.ask(HDR + b"getservers 70"), [EMPTY_PLAIN],
                         m.tail())

    def test_batch_outlives_a_reused_response(self):
        """The answers to one recvmmsg batch leave together at its end,
        pointing into the kept responses.  When a later request of the
        batch takes the slot an earlier answer points into, that answer
        must have left first, with its own bytes."""
        m = self.master(verbose=1)
        s = self.server(m, "127.0.0.5", protocol="70")
        s.register()
        first = self.client(m)
        first.wait_listed([s], args=b"70 empty full")
        want = [PLAIN_HDR + v4_entry_bytes("127.0.0.5", s.port) + b"\\"]
        # "70" takes slot A, "99" slot A+1: the next new request takes
        # A+2, and the 31st after it A again.
        self.assertEqual(first.ask(HDR + b"getservers 70 empty full"), want)
        self.assertEqual(first.ask(HDR + b"getservers 99"), [EMPTY_PLAIN])
        clients = [self.client(m) for _ in range(32)]
        netd = m.d.child_by_title("netd")
        # Stopped, netd finds all 32 requests in its socket at once.
        os.kill(netd, signal.SIGSTOP)
        try:
            clients[0].send(HDR + b"getservers 70 empty full")
            for i, c in enumerate(clients[1:]):
                c.send(HDR + b"getservers %d" % (100 + i))
            time.sleep(0.2)
        finally:
            os.kill(netd, signal.SIGCONT)
        self.assertEqual([d for d, _ in clients[0].recv_all()], want,
                         m.tail())
        for c in clients[1:]:
            self.assertEqual([d for d, _ in c.recv_all()], [EMPTY_PLAIN],
                             m.tail())
        self.assertEqual(first.ask(HDR + b"getservers 70 empty full"), want)


class QstatTest(UDPTest):
    """qstat reads plain getserversResponse packets (TREMULOUSM sends
    "getservers 69 empty full\\n", TREMULOUSGPPM "getservers 70 empty
    full\\n").  The fake servers do not answer its status queries: they
    show as TIMEOUT.  qstat's -timeout (a total time) cuts the output off
    before the server queries time out, so retries are shortened
    instead."""

    QSTAT = shutil.which("quakestat") or shutil.which("qstat")

    def qstat(self, kind, m):
        if self.QSTAT is None:
            self.skipTest("quakestat is not installed (Debian package "
                          "qstat)")
        cmd = [self.QSTAT, kind, "127.0.0.1:%d" % m.port, "-raw", ",",
               "-nh", "-retry", "1", "-interval", "0.3", "-mi", "0.5"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, "%s: %s %s" % (
            cmd, out, p.stderr.decode("utf-8", "replace")))
        lines = [ln.split(",") for ln in out.splitlines() if ln.strip()]
        return cmd, out, lines

    def check(self, kind, mtype, stype, protocol, other):
        m = self.master(verbose=1)
        listed = [self.server(m, "127.0.0.5", protocol=protocol),
                  self.server(m, "127.0.0.6", protocol=protocol, clients=0),
                  self.server(m, "127.0.0.7", protocol=protocol, clients=8,
                              maxclients=8)]
        others = [self.server(m, "127.0.0.8", protocol=other)]
        for s in listed + others:
            s.register()
        unverified = self.server(m, "127.0.0.9", protocol=protocol)
        unverified.heartbeat()
        unverified.expect_getinfo()
        if HAVE_IPV6:
            v6 = self.server(m, "::1", protocol=protocol)
            v6.register()
        c = self.client(m)
        c.wait_listed(listed, protocol.encode() + b" empty full")
        cmd, out, lines = self.qstat(kind, m)
        masters = [ln for ln in lines if ln[0] == mtype]
        self.assertEqual(len(masters), 1, "%s\n%s" % (cmd, out))
        self.assertEqual(masters[0][1], "127.0.0.1:%d" % m.port, out)
        self.assertEqual(masters[0][2], str(len(listed)), out)
        got = sorted(ln[1] for ln in lines if ln[0] == stype)
        self.assertEqual(got, sorted(s.addr_str for s in listed),
                         "%s\n%s\n%s" % (cmd, out, m.tail()))
        self.assertEqual(len(lines), 1 + len(listed), out)

    def test_qstat_tremulousm(self):
        self.check("-tremulousm", "TREMULOUSM", "TREMULOUSS", "69", "70")

    def test_qstat_tremulousgppm(self):
        self.check("-tremulousgppm", "TREMULOUSGPPM", "TREMULOUSGPPS", "70",
                   "69")


if __name__ == "__main__":
    unittest.main()
