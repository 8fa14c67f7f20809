# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""UDP odds and ends: replies from the socket the request came in on, the
per-address throttle, hostile input, and the statistics records logd
gets from getmotd and gamestat."""

import os
import random
import re
import signal
import time
import unittest

from harness import HAVE_IPV6
from fakes import (EMPTY_PLAIN, HDR, LINE, UDPTest, drain, recv_one,
                   udp_socket)


class ReplySocketTest(UDPTest):

    def test_reply_from_request_port(self):
        m = self.master(verbose=1, nports=2, files={"motd.txt": "hello\n"})
        p1, p2 = m.ports
        # The start-up line names the ports.
        self.assertEqual(m.d.count(r"master: tremmasterd \S+ started: data "
                                   r"directory \S+, request ports %d %d, "
                                   r"challenge port %d, WebSocket ports "
                                   r"none$" % (p1, p2, m.cport)), 1,
                         m.tail())
        clients = [("127.0.0.1", udp_socket(self, "127.0.0.1"))]
        if HAVE_IPV6:
            clients.append(("::1", udp_socket(self, "::1")))
        for host, sock in clients:
            for port in (p2, p1, p2):
                for req in (HDR + b"getservers 69 empty full",
                            HDR + b"getmotd\\challenge\\7"):
                    drain(sock)
                    sock.sendto(req, (host, port))
                    r = recv_one(sock, 3)
                    self.assertIsNotNone(r, "no reply to %r sent to [%s]:%d"
                                         "\n%s" % (req, host, port,
                                                   m.tail()))
                    self.assertEqual(r[1], (host, port),
                                     "reply to a request sent to "
                                     "port %d came from %s" % (port,
                                                               r[1]))
                    self.assertTrue(r[0].startswith(HDR), r[0])


class StatusTest(UDPTest):

    def test_sigusr1_logs_a_line_per_process(self):
        """SIGUSR1 to the parent: its status line, netd's (servers by
        transport and state, WebSocket connections, requests and drops
        since start) and logd's (records stored); netd and logd ignore
        the signal sent to them directly."""
        m = self.master(verbose=1, files={"motd.txt": "hi\n"},
                        check_alive=False)
        a = self.server(m, "127.0.0.5")
        a.register()
        c = self.client(m)
        c.wait_listed([a])
        for pid in (m.d.child_by_title("netd"), m.d.child_by_title("logd")):
            os.kill(pid, signal.SIGUSR1)
        m.d.signal(signal.SIGUSR1)
        m.d.wait_for_log(LINE + r"master: status: up \d+ s, data directory "
                         r"\S+, 0 featured servers, 0 ignore entries, motd "
                         r"of 2 bytes; plugins: none$", 3)
        line = m.d.wait_for_log(
            LINE + r"netd: status: 1 servers \(1 UDP, 0 WebSocket; "
            r"(\d+) empty, (\d+) playing, (\d+) full\), 0 WebSocket "
            r"connections \(0 taken since start\); since start: (\d+) "
            r"heartbeats, (\d+) getservers, .* (\d+) challenges sent; "
            r"dropped: 0 servers, .*$", 3)
        empty, playing, full, hb, gs, ch = (int(x) for x in line.groups())
        self.assertEqual(empty + playing + full, 1)
        self.assertGreaterEqual(hb, 1)
        self.assertGreaterEqual(gs, 1)
        self.assertGreaterEqual(ch, 1)
        m.d.wait_for_log(LINE + r"logd: status: database \S+, \d+ client "
                         r"and \d+ game records received, \d+ stored, \d+ "
                         r"refused, \d+ dropped \(full\)$", 3)
        self.assertTrue(m.alive(), m.tail())
        m.d.signal(signal.SIGTERM)
        self.assertEqual(m.d.wait(), 0, m.tail())


class ThrottleTest(UDPTest):

    def burst(self, c, n=30):
        drain(c.sock)
        for _ in range(n):
            c.send(HDR + b"getservers 69 empty full")
        got = c.recv_all(first=2.0, quiet=0.3)
        for data, _ in got:
            self.assertEqual(data, EMPTY_PLAIN)
        return len(got)

    def test_default_throttle(self):
        m = self.master(verbose=2, throttle=True)      # burst 10, rate 1/s
        c = self.client(m)
        n = self.burst(c)
        self.assertGreaterEqual(n, 10, m.tail())
        self.assertLessEqual(n, 12, "%d of 30 requests answered\n%s" % (
            n, m.tail()))
        m.d.wait_for_log(r"127\.0\.0\.1:%d: list request throttled" %
                         c.addr[1], 2)
        # Another address has a bucket of its own.
        other = self.client(m, "127.0.0.2")
        self.assertEqual(other.ask(HDR + b"getservers 69"), [EMPTY_PLAIN],
                         m.tail())
        # The bucket refills.
        time.sleep(2.0)
        self.assertEqual(c.ask(HDR + b"getservers 69"), [EMPTY_PLAIN],
                         m.tail())

    def test_throttle_off(self):
        m = self.master(verbose=1)                     # --throttle-burst 0
        c = self.client(m)
        self.assertEqual(self.burst(c), 30, m.tail())


class HostileInputTest(UDPTest):

    SEED = 20261125
    COUNT = 2000

    def garbage(self, rng):
        """(packet, kind) pairs: random and malformed datagrams."""
        cmds = [b"getservers 69 empty full", b"getserversExt Tremulous 69 "
                b"ipv6 empty full", b"getmotd\\challenge\\-1\\version\\v"
                b"\\renderer\\r", b"heartbeat Tremulous\n",
                b"heartbeat Tremulousdead\n", b"gamestat data",
                b"infoResponse\n\\hostname\\h\\challenge\\c\\protocol\\69"
                b"\\clients\\1\\sv_maxclients\\8", b"port"]

        def rbytes(n):
            return bytes(rng.getrandbits(8) for _ in range(n))
        out = []
        for i in range(self.COUNT):
            k = i % 12
            if k == 0:
                out.append((rbytes(rng.randrange(0, 300)), "random"))
            elif k == 1:
                out.append((HDR + rbytes(rng.randrange(0, 300)),
                            "header+random"))
            elif k == 2:
                cmd = rng.choice(cmds)
                out.append((HDR + cmd[:rng.randrange(0, len(cmd) + 1)],
                            "truncated"))
            elif k == 3:
                cmd = rng.choice(cmds)
                out.append((HDR + cmd + rbytes(rng.randrange(0, 200)),
                            "command+random"))
            elif k == 4:
                cmd = rng.choice(cmds)
                out.append((HDR + cmd + b"\\" * rng.randrange(1, 50) +
                            b"\x00" * rng.randrange(0, 20), "backslashes"))
            elif k == 5:
                out.append((HDR + b"getmotd\\challenge\\1\x002\\version\\"
                            b"\x00\x00x\\renderer\\" +
                            bytes(rng.randrange(0, 3) for _ in range(40)),
                            "NUL getmotd"))
            elif k == 6:
                hi = bytes(rng.randrange(0x80, 0x100) for _ in range(60))
                out.append((HDR + b"getmotd\\challenge\\" + hi[:5] +
                            b"\\version\\" + hi + b"\\renderer\\" + hi,
                            "non-ASCII getmotd"))
            elif k == 7:
                out.append((HDR + b"gamestat " +
                            rbytes(rng.randrange(0, 2030)), "gamestat"))
            elif k == 8:
                n = rng.choice((2047, 2048, 2049, 4000, 9000))
                out.append((HDR + b"getservers 69 " +
                            b"x" * (n - 18), "size %d" % n))
            elif k == 9:
                out.append((HDR + b"getservers " +
                            b" ".join(rbytes(rng.randrange(1, 12))
                                      for _ in range(rng.randrange(1, 30))),
                            "getservers random tokens"))
            elif k == 10:
                out.append((HDR + b"getmotd" + b"\\challenge\\" +
                            b"9" * rng.randrange(0, 300), "long challenge"))
            else:
                out.append((HDR + rng.choice(cmds) + b"\n\x00\xff" +
                            rbytes(rng.randrange(0, 64)), "tail"))
        return out

    def long_inforesponses(self, rng, server, ch):
        """Very long infoResponses from a registered server, to the
        challenge port; the server stays listed for protocol 69."""
        out = []
        hostname = "H" * 1500
        out.append(server.info(ch, hostname=hostname))
        many = "".join("\\k%d\\%s" % (i, "v" * 8) for i in range(150))
        out.append(server.info(ch, mapname="m" + many))
        out.append(server.info(ch, protocol="69," + ",".join(
            str(i) for i in range(400))))
        out.append(server.info(ch, protocol="69,," + "9" * 300))
        out.append(server.info("x" * 300))
        out.append(server.info(ch, clients="1" * 900,
                               sv_maxclients="1" * 900))
        out.append(HDR + b"infoResponse\n" + b"\\" * 2000)
        out.append(HDR + b"infoResponse\n" +
                   b"\\hostname\\\xff\xfe\x00\x01" * 100)
        out.append(server.info(ch) + b"\\" + bytes(range(256)) * 6)
        out.append(HDR + b"infoResponse " + b"x" * 4000)
        out.append(HDR + b"infoResponse" + bytes(
            rng.getrandbits(8) for _ in range(2000)))
        return [p[:rng.choice((2048, 2048, 4096))] for p in out]

    def test_hostile_input(self):
        m = self.master(["--challenge-timeout", "30"], verbose=2,
                        files={"motd.txt": "hello\n"})
        kids = sorted(m.d.children())
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        ch = s.register()
        c.wait_listed([s])
        rng = random.Random(self.SEED)
        senders = [udp_socket(self, "127.0.0.%d" % (40 + i))
                   for i in range(8)]
        targets = [("127.0.0.1", p) for p in m.ports + [m.cport]]
        if HAVE_IPV6:
            senders6 = [udp_socket(self, "::1") for _ in range(2)]
            targets6 = [("::1", p) for p in m.ports + [m.cport]]
        sent = 0
        for i, (pkt, kind) in enumerate(self.garbage(rng)):
            if HAVE_IPV6 and i % 5 == 0:
                sock = rng.choice(senders6)
                dest = rng.choice(targets6)
            else:
                sock = rng.choice(senders)
                dest = rng.choice(targets)
            try:
                sock.sendto(pkt, dest)
                sent += 1
            except OSError as e:
                self.fail("sending %s (%d bytes): %s" % (kind, len(pkt), e))
            if i % 100 == 99:
                time.sleep(0.02)
                for x in senders + (senders6 if HAVE_IPV6 else []):
                    drain(x)
        for pkt in self.long_inforesponses(rng, s, ch):
            s.sock.sendto(pkt, ("127.0.0.1", m.cport))
            sent += 1
        time.sleep(0.5)
        self.assertGreaterEqual(sent, self.COUNT)
        # netd saw them (-v -v logs every datagram it reads).
        seen = m.d.count(r"netd: (127\.0\.0\.4\d|\[::1\]):\d+: ")
        self.assertGreaterEqual(seen, self.COUNT // 2, m.tail())
        self.assertGreater(m.d.count(r"netd: dropped a datagram over"), 0,
                           m.tail())

        self.assertTrue(m.d.running(), m.tail())
        self.assertEqual(sorted(m.d.children()), kids,
                         "a child died or was replaced\n" + m.tail())
        # Still a correct master.
        t = self.server(m, "127.0.0.6")
        t.register()
        c.wait_listed([s, t])
        self.assertPlain(c, [s, t])
        self.assertExt(c, [s, t])
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\3"),
                         [HDR + b'motd "\\challenge\\3\\motd\\hello\\"'])
        self.assertNotRegex(m.d.log(), r"fatal|lost child|lost connection",
                            m.tail())
        self.assertTrue(m.alive(), m.tail())


class StatsRecordTest(UDPTest):

    def test_client_and_game_records(self):
        m = self.master(["-d", "none"], verbose=2,
                        files={"motd.txt": "hi\n"})
        c = self.client(m)
        version = b"tremulous 1.1.0 linux-i386 Mar 31 2006"
        renderer = b"Mesa DRI Intel(R) HD Graphics 4000"
        got = c.ask(HDR + b"getmotd\\challenge\\-12345\\renderer\\" +
                    renderer + b"\\version\\" + version)
        self.assertEqual(got, [HDR + b'motd "\\challenge\\-12345\\motd\\'
                               b'hi\\"'])
        m.d.wait_for_log(LINE + r'logd: client 127\.0\.0\.1:%d: version '
                         r'"%s", renderer "%s"$' % (
                             c.addr[1], re.escape(version.decode()),
                             re.escape(renderer.decode())), 3)
        # Without renderer and version: no record (and still the motd).
        got = c.ask(HDR + b"getmotd\\challenge\\1")
        self.assertEqual(len(got), 1)
        m.d.wait_for_log(r"netd: 127\.0\.0\.1:%d: client not logged: "
                         r"missing info key" % c.addr[1], 3)
        self.assertEqual(m.d.count(r"logd: client "), 1, m.tail())

        # gamestat: the data without its leading blanks.  (logd's log
        # line shows the first 100 bytes.)  Only from a listed server.
        s = self.server(m, "127.0.0.5")
        s.send(HDR + b"gamestat before it is listed")
        m.d.wait_for_log(r"netd: 127\.0\.0\.5:%d: gamestat from an "
                         r"unlisted address" % s.port, 3)
        s.register()
        c.wait_listed([s])
        short = b'tremulous 1.1.0 TAG T:H A:0.5 H:1.0 M:atcs D:6000'
        data = (b'tremulous 1.1.0 TAG T:A A:1.5 H:0.5 M:atcs D:600000 '
                b'SD:0 AS:2 AS2T:100 AS3T:200 HS:1 HS2T:300 HS3T:0 CL:1 '
                b'"Player" A 10 50 5')
        before = int(time.time())
        s.send(HDR + b"gamestat " + short)
        s.send(HDR + b"gamestat \t  " + data)
        game = LINE + r"logd: game 127\.0\.0\.5:%d at (\d+): " % s.port
        match = m.d.wait_for_log(game + re.escape(short.decode()) + "$", 3)
        t = int(match.group(1))
        self.assertTrue(before - 2 <= t <= time.time() + 2, match.group(0))
        m.d.wait_for_log(game + re.escape(data[:60].decode()), 3)
        s.expect_nothing(0.2)


if __name__ == "__main__":
    unittest.main()
