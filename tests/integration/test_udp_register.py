# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Registration over UDP: heartbeat, getinfo from the challenge port,
infoResponse, lifetime, flatline, protocols, empty/full, the limits and
IPv6 (PROTOCOL.md sections 2, 3 and 5)."""

import time
import unittest

from harness import HAVE_IPV6, NEED_IPV6
from fakes import (EMPTY_EXT, EMPTY_PLAIN, EXT_HDR, HDR, LINE, PLAIN_HDR,
                   UDPTest, align_second, sleep_until, v4_entry_bytes,
                   v6_entry_bytes)

REQUIRED = ("hostname", "challenge", "protocol", "clients", "sv_maxclients")


def other_challenge(c):
    """A challenge that differs from c in its last character only."""
    return c[:-1] + ("A" if c[-1] != "A" else "B")


class RegisterTest(UDPTest):

    def test_heartbeat_challenge_verified_listed(self):
        m = self.master(verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.heartbeat()
        ch = s.expect_getinfo()         # format and source port checked
        # Challenged but unverified: not listed yet.
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full"),
                         [EMPTY_PLAIN], m.tail())
        s.answer(ch)
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.5:%d verified: "
                         r"protocol 69$" % s.port, 3)
        entry = v4_entry_bytes("127.0.0.5", s.port)
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full"),
                         [PLAIN_HDR + entry + b"\\"], m.tail())
        self.assertEqual(c.ask(HDR + b"getservers 69"),
                         [PLAIN_HDR + entry + b"\\"], m.tail())
        self.assertEqual(c.ask(HDR + b"getserversExt Tremulous 69"),
                         [EXT_HDR + b"\x001\x001\x00" + entry + b"\\"],
                         m.tail())
        # Another server gets a challenge of its own.
        s2 = self.server(m, "127.0.0.6")
        s2.heartbeat()
        self.assertNotEqual(s2.expect_getinfo(), ch)

    def test_heartbeat_forms(self):
        """Any tag is a heartbeat (DarkPlaces, none, no newline), matched
        by prefix; "dead" anywhere makes a flatline."""
        m = self.master(verbose=2)
        c = self.client(m)
        forms = [HDR + b"heartbeat DarkPlaces\n", HDR + b"heartbeat",
                 HDR + b"heartbeat Tremulous", HDR + b"heartbeatX\n",
                 HDR + b"heartbeat Tremulous\n\x00junk\xff"]
        servers = []
        for i, data in enumerate(forms):
            s = self.server(m, "127.0.0.%d" % (40 + i))
            s.send(data)
            servers.append(s)
        for s in servers:
            s.answer(s.expect_getinfo())
        c.wait_listed(servers)
        # A flatline whatever the tag: re-challenged, not dropped.
        s = servers[0]
        s.send(HDR + b"heartbeat DarkPlacesdead\n")
        s.expect_getinfo()
        m.d.wait_for_log(r"127\.0\.0\.40:%d: flatline, challenging it" %
                         s.port, 2)
        self.assertPlain(c, servers)

    def test_inforesponse_forms(self):
        """The infostring starts after the first space, backslash or
        newline after infoResponse; key order is free, extra keys are
        ignored, a repeated key counts with its last value."""
        m = self.master(verbose=1)
        c = self.client(m)
        forms = [
            lambda ch: HDR + b"infoResponse \\hostname\\h\\protocol\\69"
            b"\\clients\\1\\sv_maxclients\\8\\challenge\\" + ch,
            lambda ch: HDR + b"infoResponse\\challenge\\" + ch +
            b"\\sv_maxclients\\8\\clients\\1\\protocol\\69\\hostname\\h",
            lambda ch: HDR + b"infoResponse\n\\gamename\\Tremulous\\voip"
            b"\\opus\\hostname\\^1Colour\\protocol\\69\\clients\\1"
            b"\\sv_maxclients\\8\\challenge\\" + ch + b"\\",
            # clients 8 of 8, then clients 0: the last one counts (empty)
            lambda ch: HDR + b"infoResponse\n\\clients\\8\\hostname\\h"
            b"\\protocol\\69\\sv_maxclients\\8\\challenge\\" + ch +
            b"\\clients\\0",
        ]
        servers = []
        for i, form in enumerate(forms):
            s = self.server(m, "127.0.0.%d" % (50 + i))
            s.heartbeat()
            s.send(form(s.expect_getinfo().encode()), m.cport)
            servers.append(s)
        c.wait_listed(servers)
        self.assertPlain(c, servers[:3], b"69 full")
        self.assertPlain(c, servers, b"69 empty")

    def test_wrong_challenge(self):
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.heartbeat()
        ch = s.expect_getinfo()
        bad = [other_challenge(ch), ch[:6], ch + "x", ch.lower()
               if ch.lower() != ch else ch.upper(), ""]
        for b in bad:
            if b != ch:
                s.answer(b)
        m.d.wait_for_log(r"127\.0\.0\.5:%d: infoResponse (with a wrong "
                         r"or expired challenge|without a required key)" %
                         s.port, 3,
                         count=len([b for b in bad if b != ch]))
        self.assertNotListed(c)
        self.assertNotRegex(m.d.log(), r"verified", m.tail())
        # Ignored, state unchanged: the right answer still counts.
        s.answer(ch)
        c.wait_listed([s])

    def test_missing_key(self):
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        servers = {}
        for i, key in enumerate(REQUIRED):
            s = self.server(m, "127.0.0.%d" % (31 + i))
            s.heartbeat()
            servers[key] = (s, s.expect_getinfo())
        for key, (s, ch) in servers.items():
            s.answer(ch, omit=(key,))
        m.d.wait_for_log(r"infoResponse without a required key", 3,
                         count=len(REQUIRED))
        self.assertNotListed(c)
        self.assertEqual(c.ext_set(), set(), m.tail())
        self.assertNotRegex(m.d.log(), r"verified", m.tail())
        # Only the missing key kept them out: complete answers list them.
        for key, (s, ch) in servers.items():
            s.answer(ch)
        c.wait_listed([s for s, _ in servers.values()])

    def test_inforesponse_on_request_port(self):
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.heartbeat()
        ch = s.expect_getinfo()
        s.answer(ch, port=m.port)
        m.d.wait_for_log(r"127\.0\.0\.5:%d: infoResponse on a request port, "
                         r"ignored" % s.port, 3)
        s.expect_nothing(0.2)
        self.assertNotListed(c)
        s.answer(ch)                    # the right port: accepted
        c.wait_listed([s])

    def test_inforesponse_from_unknown_address(self):
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.heartbeat()
        ch = s.expect_getinfo()
        # Another address that never heartbeated, with the right
        # challenge; and the server's IP from another port.  A challenge
        # belongs to one address and port.
        intruder = self.server(m, "127.0.0.66")
        same_ip = self.server(m, "127.0.0.5")
        intruder.send(s.info(ch), m.cport)
        same_ip.send(s.info(ch), m.cport)
        for x in (intruder, same_ip):
            m.d.wait_for_log(r"%s: infoResponse with a wrong or expired "
                             r"challenge" % x.addr_str.replace(".", r"\."), 3)
        intruder.expect_nothing(0.3)
        same_ip.expect_nothing(0.1)
        self.assertNotListed(c)
        self.assertNotRegex(m.d.log(), r"verified", m.tail())

    def test_inforesponse_after_challenge_timeout(self):
        """A challenge lives between one and two --challenge-timeout."""
        m = self.master(["--challenge-timeout", "1"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        late = self.server(m, "127.0.0.6")
        t0 = align_second(0.1)
        s.heartbeat()
        late.heartbeat()
        ch = s.expect_getinfo()
        lch = late.expect_getinfo()
        # Whole seconds of the monotonic clock: good until t0 + 2 at the
        # earliest (the next period), dead 2 s after t0 at the latest.
        sleep_until(t0 + 1.5)
        s.answer(ch)
        c.wait_listed([s])
        sleep_until(t0 + 2.5)
        late.answer(lch)
        m.d.wait_for_log(r"127\.0\.0\.6:%d: infoResponse with a wrong or "
                         r"expired challenge" % late.port, 3)
        self.assertPlain(c, [s])
        self.assertNotRegex(m.d.log(), r"server 127\.0\.0\.6:%d verified" %
                            late.port, m.tail())

    def test_unsolicited_on_challenge_port(self):
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.register()
        c.wait_listed([s])
        before = c.ask(HDR + b"getservers 69 empty full")
        stranger = self.server(m, "127.0.0.77")
        junk = [HDR + b"getservers 69 empty full",
                HDR + b"heartbeat Tremulous\n",
                HDR + b"getmotd\\challenge\\1", HDR + b"garbage"]
        stranger.send(s.info("AAAAAAAAAAAA"), m.cport)
        for data in junk:
            stranger.send(data, m.cport)
        m.d.wait_for_log(r"127\.0\.0\.77:%d: infoResponse with a wrong or "
                         r"expired challenge" % stranger.port, 3)
        m.d.wait_for_log(r"127\.0\.0\.77:%d: unexpected packet on the "
                         r"challenge port" % stranger.port, 3,
                         count=len(junk))
        # A known server sending anything but an infoResponse there.
        s.heartbeat(port=m.cport)
        m.d.wait_for_log(r"127\.0\.0\.5:%d: unexpected packet on the "
                         r"challenge port" % s.port, 3)
        stranger.expect_nothing()
        s.expect_nothing(0.1)
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full"), before,
                         m.tail())

    def test_repeat_heartbeat_keeps_challenge(self):
        """A new heartbeat never invalidates a challenge already sent; a
        challenge is the server's own."""
        m = self.master(["--challenge-timeout", "5"], verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        other = self.server(m, "127.0.0.5")
        s.heartbeat()
        c1 = s.expect_getinfo()
        s.heartbeat()
        s.expect_getinfo()
        other.heartbeat()
        self.assertNotEqual(other.expect_getinfo(), c1)
        s.answer(c1)
        c.wait_listed([s])
        # Listed, a new heartbeat: the first challenge still counts.
        s.heartbeat()
        s.expect_getinfo()
        s.answer(c1, clients=0)
        deadline = time.monotonic() + 2
        while c.plain_set(b"69") and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertPlain(c, [], b"69")
        self.assertPlain(c, [s], b"69 empty")

    def test_repeat_heartbeat_keeps_life(self):
        m = self.master(["--challenge-timeout", "1", "--server-timeout", "4"],
                        verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        t0 = align_second(0.1)
        s.register()
        c.wait_listed([s], timeout=0.5)
        sleep_until(t0 + 1.0)
        s.heartbeat()                   # not answered
        s.expect_getinfo()
        # A verified server's life is max(its timeout, now + challenge
        # timeout): t0 + 4 s, not t0 + 2 s.
        sleep_until(t0 + 2.5)
        self.assertPlain(c, [s])
        sleep_until(t0 + 3.5)
        self.assertPlain(c, [s])

    def test_server_timeout(self):
        m = self.master(["--server-timeout", "2"], verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.register()
        t_answer = time.monotonic()
        c.wait_listed([s])
        gone = None
        while time.monotonic() < t_answer + 6:
            if s.entry not in c.plain_set():
                gone = time.monotonic() - t_answer
                break
            time.sleep(0.2)
        self.assertIsNotNone(gone, "still listed 6 s after its answer\n" +
                             m.tail())
        self.assertLessEqual(gone, 4.0, m.tail())
        self.assertGreaterEqual(gone, 0.9, m.tail())
        self.assertEqual(c.ext_set(), set(), m.tail())
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.5:%d removed: "
                         r"timed out$" % s.port, 2)

    def register_aligned(self, m, s):
        """Register s just after a whole second, so that a 1 s challenge
        timeout cannot run out between getinfo and answer."""
        align_second(0.1)
        return s.register()

    def test_flatline_answered(self):
        m = self.master(["--challenge-timeout", "1",
                         "--server-timeout", "30"], verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        c1 = self.register_aligned(m, s)
        c.wait_listed([s], timeout=0.5)
        t0 = align_second(0.1)
        s.heartbeat(b"Tremulousdead")
        c2 = s.expect_getinfo()
        self.assertNotEqual(c1, c2)
        # Not believed: re-challenged, still listed.
        self.assertPlain(c, [s])
        m.d.wait_for_log(LINE + r"netd: 127\.0\.0\.5:%d: flatline, "
                         r"challenging it$" % s.port, 2)
        s.answer(c2)
        sleep_until(t0 + 2.6)           # past challenge timeout + 1 s
        self.assertPlain(c, [s])
        self.assertExt(c, [s])

    def test_flatline_unanswered(self):
        """A flatlined server goes only when it leaves several challenges
        over at least 15 s unanswered; answering a late one keeps it."""
        m = self.master(["--challenge-timeout", "1",
                         "--server-timeout", "60"], verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        lossy = self.server(m, "127.0.0.7")
        other = self.server(m, "127.0.0.6")
        for x in (s, lossy, other):
            x.register()
        c.wait_listed([s, lossy, other])
        t0 = time.monotonic()
        s.heartbeat(b"Tremulousdead")
        lossy.heartbeat(b"Tremulousdead")
        # lossy loses the first two probes and answers the third.
        for n in range(3):
            s.expect_getinfo(timeout=7)
            ch = lossy.expect_getinfo(timeout=7)
        lossy.answer(ch)
        self.assertPlain(c, [s, lossy, other])
        s.expect_getinfo(timeout=7)
        self.assertGreaterEqual(time.monotonic() - t0, 14, m.tail())
        gone = None
        while time.monotonic() < t0 + 22:
            if s.entry not in c.plain_set():
                gone = time.monotonic() - t0
                break
            time.sleep(0.2)
        self.assertIsNotNone(gone, "flatlined server that did not answer "
                             "is still listed 22 s later\n" + m.tail())
        self.assertGreaterEqual(gone, 15, m.tail())
        self.assertPlain(c, [lossy, other])
        lossy.expect_nothing(0.2)

    def test_flatline_from_unknown_address(self):
        m = self.master(verbose=2)
        c = self.client(m)
        s = self.server(m, "127.0.0.5")
        s.heartbeat(b"Tremulousdead")
        m.d.wait_for_log(r"127\.0\.0\.5:%d: flatline from an unknown "
                         r"server" % s.port, 3)
        s.expect_nothing()
        self.assertNotListed(c)

    def test_multiple_protocols(self):
        m = self.master(verbose=1)
        c = self.client(m)
        s = self.server(m, "127.0.0.5", protocol="69,70,71")
        s.register()
        m.d.wait_for_log(r"server 127\.0\.0\.5:%d verified: protocol "
                         r"69,70,71$" % s.port, 3)
        for p in (b"69", b"70", b"71"):
            self.assertPlain(c, [s], p + b" empty full")
            self.assertExt(c, [s], b"Tremulous " + p + b" empty full")
        for p in (b"68", b"7", b"69,70,71", b"6"):
            self.assertPlain(c, [], p + b" empty full")
            self.assertExt(c, [], b"Tremulous " + p + b" empty full")

    def test_empty_and_full(self):
        m = self.master(verbose=1)
        c = self.client(m)
        empty = self.server(m, "127.0.0.5", clients=0, maxclients=8)
        full = self.server(m, "127.0.0.6", clients=8, maxclients=8)
        some = self.server(m, "127.0.0.7", clients=3, maxclients=8)
        for s in (empty, full, some):
            s.register()
        c.wait_listed([empty, full, some])
        cases = [(b"69", [some]), (b"69 empty", [some, empty]),
                 (b"69 full", [some, full]),
                 (b"69 empty full", [some, empty, full]),
                 (b"69 full empty", [some, empty, full])]
        for args, want in cases:
            self.assertPlain(c, want, args)
            self.assertExt(c, want, b"Tremulous " + args)

    def test_max_servers(self):
        m = self.master(["-n", "2", "--challenge-timeout", "10"], verbose=2)
        c = self.client(m)
        a = self.server(m, "127.0.0.5")
        b = self.server(m, "127.0.0.6")
        late = self.server(m, "127.0.0.7")
        a.register()
        b.register()
        c.wait_listed([a, b])
        late.heartbeat()
        late.answer(late.expect_getinfo())
        m.d.wait_for_log(r"127\.0\.0\.7:%d: server refused: server "
                         r"limit" % late.port, 3)
        late.expect_nothing()
        # Listed servers are always accepted at the limit.
        a.register()
        b.register()
        self.assertPlain(c, [a, b])

    def test_max_per_ip(self):
        m = self.master(["--max-per-ip", "2"], verbose=2)
        c = self.client(m)
        s1, s2, s3 = [self.server(m, "127.0.0.5") for _ in range(3)]
        s1.register()
        s2.register()
        s3.heartbeat()
        s3.answer(s3.expect_getinfo())
        m.d.wait_for_log(r"127\.0\.0\.5:%d: server refused: servers per "
                         r"address limit" % s3.port, 3)
        s3.expect_nothing()
        other = self.server(m, "127.0.0.6")
        other.register()
        c.wait_listed([s1, s2, other])
        self.assertPlain(c, [s1, s2, other])

    @unittest.skipUnless(HAVE_IPV6, NEED_IPV6)
    def test_ipv6_server(self):
        m = self.master(verbose=1)
        c4 = self.client(m)
        c6 = self.client(m, "::1")
        s6 = self.server(m, "::1")
        s4 = self.server(m, "127.0.0.5")
        s6.heartbeat()
        ch = s6.expect_getinfo()        # from [::1]:challenge port
        s6.answer(ch)
        s4.register()
        m.d.wait_for_log(r"server \[::1\]:%d verified: protocol 69$" %
                         s6.port, 3)
        c4.wait_listed([s4, s6], ext=True)
        e6 = v6_entry_bytes("::1", s6.port)
        e4 = v4_entry_bytes("127.0.0.5", s4.port)
        for c in (c4, c6):
            self.assertEqual(
                c.ask(HDR + b"getserversExt Tremulous 69 ipv6"),
                [EXT_HDR + b"\x001\x001\x00" + e6 + b"\\"], m.tail())
            self.assertEqual(
                c.ask(HDR + b"getserversExt Tremulous 69 ipv4"),
                [EXT_HDR + b"\x001\x001\x00" + e4 + b"\\"], m.tail())
            # ipv4 wins over ipv6
            self.assertEqual(
                c.ask(HDR + b"getserversExt Tremulous 69 ipv6 ipv4"),
                [EXT_HDR + b"\x001\x001\x00" + e4 + b"\\"], m.tail())
            pkts = c.ask(HDR + b"getserversExt Tremulous 69")
            self.assertEqual(len(pkts), 1, pkts)
            self.assertIn(pkts[0], (
                EXT_HDR + b"\x001\x001\x00" + e4 + e6 + b"\\",
                EXT_HDR + b"\x001\x001\x00" + e6 + e4 + b"\\"))
            self.assertEqual(c.ask(HDR + b"getservers 69 empty full"),
                             [PLAIN_HDR + e4 + b"\\"], m.tail())
        self.assertEqual(c4.ask(HDR + b"getserversExt Tremulous 70"),
                         [EMPTY_EXT], m.tail())


if __name__ == "__main__":
    unittest.main()
