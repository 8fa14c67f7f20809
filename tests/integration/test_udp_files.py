# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The data files seen over UDP: ignore.txt (CIDR, reload without a signal
and on SIGHUP), motd.txt (the exact reply, reload) and serverlist.txt
(saved at exit, every saved server challenged again at start-up)."""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from harness import HAVE_IPV6
from fakes import HDR, LINE, UDPTest

MOTD = "Welcome to the master"
WATCH_LIMIT = 10.0      # ignore.txt and motd.txt edits apply within this
POLL_LIMIT = 12.0       # how long we look


def motd_reply(text, challenge=None):
    """The reply of netd/proto.c proto_motd()."""
    if challenge is None:
        body = "\\motd\\%s\\" % text
    else:
        body = "\\challenge\\%s\\motd\\%s\\" % (challenge, text)
    return HDR + b'motd "' + body.encode() + b'"'


class IgnoreTest(UDPTest):

    def check_ignored(self, m, blocked, allowed):
        """All heartbeat: the allowed servers are challenged and listed,
        the blocked ones get nothing and a DEBUG line each.  Returns the
        client that checked the list."""
        for s in blocked + allowed:
            s.heartbeat()
        for s in allowed:
            s.answer(s.expect_getinfo())
        for s in blocked:
            m.d.wait_for_log(r"%s: ignored \(ignore\.txt\)" %
                             re.escape(s.addr_str), 3)
        for s in blocked:
            s.expect_nothing(0.1)
        c = self.client(m)
        c.wait_listed(allowed)
        self.assertPlain(c, allowed)
        return c

    def test_ignore_list(self):
        ignore = ("# blocked\n"
                  "127.0.0.20\n"
                  "127.0.1.0/24   # a whole /24\n"
                  "  127.0.2.0/25\n")
        if HAVE_IPV6:
            ignore += "::1/128\n"
        m = self.master(verbose=2, files={"ignore.txt": ignore})
        blocked = [self.server(m, a) for a in
                   ("127.0.0.20", "127.0.1.5", "127.0.1.255", "127.0.2.100",
                    "127.0.2.0", "127.0.2.127")]
        allowed = [self.server(m, a) for a in
                   ("127.0.0.21", "127.0.2.200", "127.0.2.128", "127.0.0.2")]
        if HAVE_IPV6:
            blocked.append(self.server(m, "::1"))
        c = self.check_ignored(m, blocked, allowed)
        self.assertExt(c, allowed)

        # Clients at ignored addresses get nothing at all.
        bad_clients = [self.client(m, a) for a in
                       ("127.0.0.20", "127.0.1.77", "127.0.2.1")]
        if HAVE_IPV6:
            bad_clients.append(self.client(m, "::1"))
        for bc in bad_clients:
            bc.send(HDR + b"getservers 69 empty full")
            bc.send(HDR + b"getserversExt Tremulous 69")
        for bc in bad_clients:
            m.d.wait_for_log(r"%s:%d: ignored \(ignore\.txt\)" % (
                re.escape(bc.addr[0] if ":" not in bc.addr[0] else
                          "[%s]" % bc.addr[0]), bc.addr[1]), 3, count=2)
        for bc in bad_clients:
            bc.expect_silence(wait=0.2)
        # Just outside the /25: answered.
        ok = self.client(m, "127.0.2.129")
        self.assertPlain(ok, allowed)

    def test_large_ignore_list(self):
        """An operator's blocklist of 200,000 ranges of every length:
        loaded, and each datagram still checked against all of it."""
        lines = []
        for i in range(200000):
            # 10.0.0.0/8 and 2001:db8::/32 host the bulk, one length each
            # from /8 to /32 and /16 to /128.
            bits = 8 + i % 25
            lines.append("10.%d.%d.%d/%d" % (i >> 16 & 255, i >> 8 & 255,
                                             i & 255, bits)
                         if i % 2 else
                         "2001:db8:%x:%x::/%d" % (i >> 16, i & 0xffff,
                                                  16 + i % 113))
        lines += ["127.0.3.77", "127.0.4.0/24", "127.0.5.128/25"]
        m = self.master(verbose=2, files={"ignore.txt": "\n".join(lines)})
        m.d.wait_for_log(r"200003 ignore entries", 10)
        blocked = [self.server(m, a) for a in
                   ("127.0.3.77", "127.0.4.1", "127.0.5.255", "127.0.5.128")]
        allowed = [self.server(m, a) for a in
                   ("127.0.3.76", "127.0.3.78", "127.0.6.0", "127.0.5.127")]
        self.check_ignored(m, blocked, allowed)

    def test_ignore_edit_without_signal_and_sighup(self):
        m = self.master(verbose=1, files={"ignore.txt": "# nothing yet\n"})
        c = self.client(m)
        s = self.server(m, "127.0.0.21")
        s2 = self.server(m, "127.0.0.22")
        s.register()
        s2.register()
        c.wait_listed([s, s2])
        m.d.write_file("ignore.txt", "# now\n127.0.0.21\n")
        t0 = time.monotonic()
        gone = None
        while time.monotonic() < t0 + POLL_LIMIT:
            if s.entry not in c.plain_set():
                gone = time.monotonic() - t0
                break
            time.sleep(0.2)
        self.assertIsNotNone(gone, "127.0.0.21 still listed %.0f s after "
                             "ignore.txt named it\n%s" % (POLL_LIMIT,
                                                           m.tail()))
        self.assertLessEqual(gone, WATCH_LIMIT, m.tail())
        self.assertPlain(c, [s2])
        s.heartbeat()
        s.expect_nothing(0.5)
        # SIGHUP: at once.
        m.d.write_file("ignore.txt", "127.0.0.21\n127.0.0.22\n")
        t0 = time.monotonic()
        m.d.signal(signal.SIGHUP)
        while time.monotonic() < t0 + 2:
            if s2.entry not in c.plain_set():
                break
            time.sleep(0.05)
        self.assertPlain(c, [])
        self.assertLess(time.monotonic() - t0, 2.0, m.tail())
        m.d.wait_for_log(LINE + r"master: received SIGHUP", 2)

    def test_reload_of_a_long_ignore_list(self):
        # glibc's qsort(3) of more than 1 KiB calls sysinfo(2): a reload
        # of 200 entries must not be killed by netd's seccomp filter.
        m = self.master(verbose=1, files={"ignore.txt": "# empty\n"})
        c = self.client(m)
        s = self.server(m, "127.0.0.21")
        s.register()
        c.wait_listed([s])
        m.d.write_file("ignore.txt", "".join(
            "127.0.%d.%d\n" % (100 + i // 250, 1 + i % 250)
            for i in range(200)) + "127.0.0.21\n")
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(LINE + r"master: received SIGHUP", 2)
        t0 = time.monotonic()
        while time.monotonic() < t0 + 3 and s.entry in c.plain_set():
            time.sleep(0.05)
        self.assertPlain(c, [])
        self.assertTrue(m.alive(), m.tail())


class MotdTest(UDPTest):

    def test_motd_reply(self):
        m = self.master(verbose=1, files={"motd.txt": MOTD + "\n"})
        c = self.client(m)
        want = b'\xff\xff\xff\xffmotd "\\challenge\\-12345\\motd\\' \
            b'Welcome to the master\\"'
        self.assertEqual(motd_reply(MOTD, "-12345"), want)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\-12345"), [want],
                         m.tail())
        # 1.1 clients: version and renderer too.
        self.assertEqual(
            c.ask(HDR + b"getmotd\\challenge\\-12345\\renderer\\Mesa DRI"
                  b"\\version\\tremulous 1.1.0 linux-i386 Mar 31 2006"),
            [want], m.tail())
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\987654321"),
                         [motd_reply(MOTD, "987654321")], m.tail())
        # No challenge key: none in the reply.
        for req in (b"getmotd", b"getmotd\\version\\tremulous 1.1.0",
                    b"getmotd\\renderer\\x\\version\\y"):
            self.assertEqual(c.ask(HDR + req),
                             [b'\xff\xff\xff\xffmotd "\\motd\\Welcome to '
                              b'the master\\"'], m.tail())

    def test_no_motd_file_then_created(self):
        m = self.master(verbose=1)
        c = self.client(m)
        c.expect_silence(HDR + b"getmotd\\challenge\\-12345")
        m.d.write_file("motd.txt", "Fresh motd\n")
        t0 = time.monotonic()
        got = None
        while time.monotonic() < t0 + POLL_LIMIT:
            got = c.ask(HDR + b"getmotd\\challenge\\42", first=0.3)
            if got:
                break
        self.assertEqual(got, [motd_reply("Fresh motd", "42")], m.tail())
        self.assertLessEqual(time.monotonic() - t0, WATCH_LIMIT + 0.5)

    def test_motd_changed_at_run_time(self):
        m = self.master(verbose=1, files={"motd.txt": "first text\n"})
        c = self.client(m)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\1"),
                         [motd_reply("first text", "1")], m.tail())
        m.d.write_file("motd.txt", "second text\n")
        t0 = time.monotonic()
        got = None
        while time.monotonic() < t0 + POLL_LIMIT:
            got = c.ask(HDR + b"getmotd\\challenge\\2")
            if got != [motd_reply("first text", "2")]:
                break
            time.sleep(0.2)
        self.assertEqual(got, [motd_reply("second text", "2")], m.tail())
        self.assertLessEqual(time.monotonic() - t0, WATCH_LIMIT + 0.5)


class ServerListTest(UDPTest):

    def test_saved_and_challenged_again(self):
        datadir = os.path.realpath(tempfile.mkdtemp(
            prefix="tremmasterd-data-"))
        self.addCleanup(shutil.rmtree, datadir, True)
        m = self.master(["--challenge-timeout", "5"], verbose=2,
                        datadir=datadir, check_alive=False)
        c = self.client(m)
        servers = [self.server(m, "127.0.0.5")]
        if HAVE_IPV6:
            servers.append(self.server(m, "::1"))
        for s in servers:
            s.register()
        c.wait_listed(servers, ext=True)
        # Challenged but never verified: not saved, since anyone can send
        # a heartbeat in another's name.
        unverified = self.server(m, "127.0.0.6")
        unverified.heartbeat()
        unverified.expect_getinfo()
        m.d.signal(signal.SIGTERM)
        self.assertEqual(m.d.wait(), 0, m.tail())
        with open(os.path.join(datadir, "serverlist.txt")) as f:
            saved = f.read()
        self.assertEqual(sorted(saved.splitlines()),
                         sorted(s.addr_str for s in servers), saved)
        self.assertTrue(saved.endswith("\n"), repr(saved))
        if HAVE_IPV6:
            self.assertIn("[::1]:%d\n" % servers[1].port, saved)
        self.assertIn("127.0.0.5:%d\n" % servers[0].port, saved)

        with open(os.path.join(datadir, "serverlist.txt"), "a") as f:
            f.write("this is garbage\n")
        nlines = len(saved.splitlines()) + 1
        m2 = self.master(["--challenge-timeout", "5"], verbose=2,
                         datadir=datadir, ports=m.ports + [m.cport])
        m2.d.wait_for_log(LINE + r"master: \S*serverlist\.txt:%d: not an "
                          r"address, skipped$" % nlines, 3)
        m2.d.wait_for_log(LINE + r"netd: %d saved servers$" %
                          len(servers), 3)
        c2 = self.client(m2)
        for s in servers + [unverified]:
            s.master = m2
        challenges = [s.expect_getinfo() for s in servers]
        unverified.expect_nothing(0.2)
        # Challenged, never trusted: nothing listed before the answers.
        self.assertPlain(c2, [])
        self.assertExt(c2, [])
        for s, ch in zip(servers, challenges):
            s.answer(ch)
        c2.wait_listed(servers, ext=True)
        self.assertExt(c2, servers)
        self.assertPlain(c2, servers[:1])


if __name__ == "__main__":
    unittest.main()
