# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""What an attacker who reads the code gets from spoofed UDP traffic:
heartbeats that make no state, challenges limited per destination, a
throttle that other addresses cannot flush, one budget for the bytes of
all answers, answers for made-up protocols that push nothing out of the
cache, and gamestat records only from listed servers.

Sources are addresses of 127.0.0.0/8, each a socket bound to it: on
loopback that is what a spoofed source looks like to the daemon.
"""

import os
import re
import signal
import socket
import time
import unittest

from fakes import HDR, UDPTest, drain, recv_all


def bound(addr, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    return s


def spray(addrs, data, dest, ports_each=1):
    """One datagram from each address (and from ports_each ports of it)
    to dest; the sockets are closed again."""
    for a in addrs:
        for _ in range(ports_each):
            s = bound(a)
            try:
                s.sendto(data, dest)
            finally:
                s.close()


def addrs_in(second_octet, n):
    """n addresses 127.<second_octet>.x.y, none of them 127.0.0.x."""
    return ["127.%d.%d.%d" % (second_octet, 1 + i // 250, 1 + i % 250)
            for i in range(n)]


def settle(c, timeout=10.0):
    """Wait until netd has read every datagram sent before: a sprayed
    burst can fill the socket's receive buffer of a slow (sanitizer)
    build under load, and a datagram sent into a full buffer is lost
    in the kernel before netd ever sees it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c.ask(HDR + b"getservers 69 empty full", first=0.5):
            return
    raise AssertionError("netd did not answer within %.0f s" % timeout)


def getinfos(sock, wait=0.5):
    return [d for d, _ in recv_all(sock, first=wait, quiet=0.3)
            if d.startswith(HDR + b"getinfo ")]


class StatelessChallengeTest(UDPTest):

    def test_silent_heartbeats_take_no_room(self):
        """Heartbeats that are never answered use up neither -n nor
        --max-per-ip, and never reach serverlist.txt."""
        m = self.master(["-n", "2", "--max-per-ip", "1"], verbose=1,
                        check_alive=False)
        c = self.client(m)
        # 600 silent sources, twice over, more than -n ten times.
        silent = addrs_in(31, 300)
        for _ in range(2):
            spray(silent, HDR + b"heartbeat Tremulous\n",
                  ("127.0.0.1", m.port))
        # The real servers' own address heartbeats silently from other
        # ports first (within the challenge limit of that address).
        spray(["127.0.0.5"], HDR + b"heartbeat Tremulous\n",
              ("127.0.0.1", m.port), ports_each=6)
        settle(c)
        a = self.server(m, "127.0.0.5")
        b = self.server(m, "127.0.0.6")
        a.register()
        b.register()
        c.wait_listed([a, b])
        self.assertPlain(c, [a, b])
        m.d.signal(signal.SIGTERM)
        self.assertEqual(m.d.wait(), 0, m.tail())
        with open(m.d.path("serverlist.txt")) as f:
            saved = sorted(f.read().splitlines())
        self.assertEqual(saved, sorted([a.addr_str, b.addr_str]))

    def test_challenges_limited_per_destination(self):
        """Spoofed heartbeats for one address and port get it at most
        --challenge-burst getinfos, then one a second; a listed server
        there has a budget of its own."""
        m = self.master(["--challenge-burst", "5"], verbose=2)
        c = self.client(m)
        victim = bound("127.0.0.5")
        self.addCleanup(victim.close)
        vport = victim.getsockname()[1]
        # Heartbeats "from" the victim's port, sent by someone else: the
        # getinfos go to the victim.
        for _ in range(30):
            victim.sendto(HDR + b"heartbeat Tremulous\n",
                          ("127.0.0.1", m.port))
        got = getinfos(victim)
        self.assertEqual(len(got), 5, m.tail())
        m.d.wait_for_log(r"127\.0\.0\.5:%d: heartbeat not challenged: too "
                         r"many" % vport, 3)
        # Every one of them is a good challenge: the victim answering any
        # is listed.
        s = self.server(m, "127.0.0.5")
        s.sock.close()
        s.sock = victim
        s.port = vport
        s.answer(got[0][len(HDR + b"getinfo "):].decode())
        c.wait_listed([s])
        # Listed, it has its own bucket: challenged though its address
        # and port have none left.
        time.sleep(0.2)
        drain(victim)
        s.heartbeat()
        self.assertEqual(len(getinfos(victim)), 1, m.tail())

    def test_other_ports_cannot_starve_a_server(self):
        """Heartbeats "from" other ports of a server's address spend
        nothing of its own: it is still challenged and listed."""
        m = self.master(verbose=1)
        c = self.client(m)
        spray(["127.0.0.5"], HDR + b"heartbeat Tremulous\n",
              ("127.0.0.1", m.port), ports_each=200)
        settle(c)
        s = self.server(m, "127.0.0.5")
        s.register()
        c.wait_listed([s])

    def test_challenge_limit_off(self):
        m = self.master(["--challenge-burst", "0"], verbose=1)
        victim = bound("127.0.0.5")
        self.addCleanup(victim.close)
        for _ in range(30):
            victim.sendto(HDR + b"heartbeat Tremulous\n",
                          ("127.0.0.1", m.port))
        self.assertEqual(len(getinfos(victim)), 30, m.tail())


class ThrottleFlushTest(UDPTest):

    def test_other_addresses_cannot_refill_a_bucket(self):
        """24,000 requests from other addresses leave a spent bucket
        spent: buckets are replaced only when full again."""
        m = self.master(verbose=1, throttle=True)      # burst 10, 1/s
        c = self.client(m)
        req = HDR + b"getservers 69 empty full"
        for _ in range(12):
            c.send(req)
        self.assertEqual(len(c.recv_all(first=1.0, quiet=0.3)), 10,
                         m.tail())
        t0 = time.monotonic()
        spray(addrs_in(40, 24000), req, ("127.0.0.1", m.port))
        spent = time.monotonic() - t0
        drain(c.sock)
        # The victim regained about one token a second meanwhile, never
        # a fresh burst of 10.
        for _ in range(12):
            c.send(req)
        n = len(c.recv_all(first=1.0, quiet=0.3))
        self.assertLessEqual(n, int(spent) + 2, "%d answers after %.1f s "
                             "of other addresses\n%s" % (n, spent, m.tail()))
        self.assertTrue(m.alive(), m.tail())


class AnswerBudgetTest(UDPTest):

    def test_budget_caps_reflected_bytes(self):
        """With the throttle off, --answer-budget still caps the bytes of
        list answers to all sources together."""
        m = self.master(["--answer-budget", "1"], verbose=2)   # 1 KiB/s
        c = self.client(m)
        servers = [self.server(m, "127.0.0.%d" % (10 + i)) for i in range(8)]
        for s in servers:
            s.register()
        c.wait_listed(servers)
        time.sleep(1.1)                 # a full budget again
        req = HDR + b"getservers 69 empty full"
        answer = len(c.ask(req)[0])
        time.sleep(1.1)
        sources = [bound(a) for a in addrs_in(50, 100)]
        for s in sources:
            self.addCleanup(s.close)
        t0 = time.monotonic()
        for s in sources:
            s.sendto(req, ("127.0.0.1", m.port))
        total = 0
        for s in sources:
            total += sum(len(d) for d, _ in recv_all(s, first=0.02,
                                                      quiet=0.02))
        spent = time.monotonic() - t0
        self.assertLessEqual(total, 1024 * (1 + spent) + answer,
                             "%d bytes in %.1f s\n%s" % (total, spent,
                                                          m.tail()))
        self.assertGreater(total, 0)
        m.d.wait_for_log(r"list answer over the answer budget", 2)

    def test_no_budget(self):
        m = self.master(["--answer-budget", "0"], verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.10")
        s.register()
        c.wait_listed([s])
        for _ in range(200):
            c.send(HDR + b"getservers 69 empty full")
        self.assertEqual(len(c.recv_all(first=1.0, quiet=0.3)), 200)


class ListCacheTest(UDPTest):

    def test_made_up_protocols_share_one_answer(self):
        """Requests for protocols no server announces get the one empty
        answer and never push a real answer out of the cache."""
        m = self.master(verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.register()
        c.wait_listed([s])
        built = r"getservers for protocol 69 encoded"
        n0 = m.d.count(built)
        for rnd in range(3):
            for p in range(40):
                word = b"%d" % (1000 + p)
                got = c.ask(HDR + b"getservers " + word + b" empty full",
                            quiet=0.05)
                self.assertEqual(got, [HDR + b"getserversResponse\\"],
                                 m.tail())
            self.assertPlain(c, [s])
        self.assertEqual(m.d.count(built), n0, m.tail())
        self.assertEqual(m.d.count(r"for protocol 10\d\d encoded"), 0,
                         m.tail())


class ListCacheVariantsTest(UDPTest):

    def test_variants_of_known_protocols_stay_cached(self):
        """Cycling every variant of three real protocol words (flags,
        families) encodes each once: they all fit in the cache."""
        m = self.master(verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5", protocol="69,70,71")
        s.register()
        c.wait_listed([s])
        reqs = []
        for p in (b"69", b"70", b"71"):
            for flags in (b"", b" empty", b" full", b" empty full"):
                reqs.append(b"getservers " + p + flags)
                for fam in (b"", b" ipv4", b" ipv6"):
                    reqs.append(b"getserversExt Tremulous " + p + fam +
                                flags)
        self.assertEqual(len(reqs), 48)
        for rnd in range(3):
            for r in reqs:
                self.assertEqual(len(c.ask(HDR + r, quiet=0.05)), 1,
                                 m.tail())
            if rnd == 0:
                n = m.d.count(r" encoded: ")
        self.assertEqual(m.d.count(r" encoded: "), n, m.tail())
        self.assertLessEqual(n, 48, m.tail())


class AnswerCreditTest(UDPTest):

    def test_listed_server_answers_as_often_as_challenged(self):
        """A stream of answers to one challenge cannot flip a listed
        server's flags, and with them every kept list."""
        m = self.master(verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        ch = s.register()
        c.wait_listed([s])
        for i in range(20):
            s.answer(ch, clients=i % 2)
        m.d.wait_for_log(r"127\.0\.0\.5:%d: infoResponse not asked for, "
                         r"ignored" % s.port, 3, count=20)
        self.assertPlain(c, [s], b"69")
        # Challenged again, its answer counts.
        s.register(clients=0)
        deadline = time.monotonic() + 2
        while c.plain_set(b"69") and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertPlain(c, [], b"69")


class GamestatTest(UDPTest):

    def test_gamestat_only_from_listed_servers(self):
        """gamestat from addresses that never answered a challenge stores
        nothing; a listed server has a budget (5, then one a minute)."""
        m = self.master(["-d", "none"], verbose=2, throttle=True)
        # Fifty at a time, so that a slow (sanitizer) build drops none.
        spoofed = addrs_in(60, 300)
        for i in range(0, 300, 50):
            spray(spoofed[i:i + 50], HDR + b"gamestat spoofed record",
                  ("127.0.0.1", m.port))
            m.d.wait_for_log(r"gamestat from an unlisted address", 10,
                             count=i + 50)
        s = self.server(m, "127.0.0.5")
        s.register()
        self.client(m).wait_listed([s])
        for i in range(8):
            s.send(HDR + b"gamestat record %d" % i)
        m.d.wait_for_log(r"gamestat over the server's budget", 3, count=3)
        m.d.wait_for_log(r"logd: game 127\.0\.0\.5:%d at \d+: record 4$" %
                         s.port, 3)
        self.assertEqual(m.d.count(r"logd: game "), 5, m.tail())
        self.assertEqual(m.d.count(r"logd: game .*spoofed"), 0, m.tail())


if __name__ == "__main__":
    unittest.main()
