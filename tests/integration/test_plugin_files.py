# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Plugins: the files report (register|report|files,
tremmasterd-plugins(7)): the motd, the featured addresses and the
ignore.txt entries as netd holds them, at initialize and after every
reload of the data files, in pieces for a large ignore.txt, never lost."""

import ipaddress
import random
import re
import signal
import unittest

from harness import wait_until
from plugintest import TIME, PluginTest

FEATURED = ("Group|One\n"
            "    127.0.0.9:27960\n"
            "    [::1]:27961\n"
            "Friends\n"
            "    127.0.0.10:27962\n")
IGNORE = ("# the operator's list\n"
          "192.0.2.0/24\n"
          "2001:db8::/32 192.0.2.7   # two on a line\n"
          "2001:db8::7\n"
          "10.1.2.3/8\n"
          "2001:db8:1::/128\n")
MOTD = "Welcome to the | master\n"

HEAD = re.compile(r"^report\|1\|%s\|" % TIME)


def report(lines):
    """The lines of files reports among lines, their TIME cut out."""
    return [HEAD.sub("", line) for line in lines
            if HEAD.match(line) and HEAD.sub("", line).split("|")[0] in
            ("files-begin", "motd", "featured", "ignore", "files-end")]


def blocks(lines):
    """The files reports among lines, each a list from files-begin on."""
    out = []
    for line in report(lines):
        if line == "files-begin":
            out.append([])
        out[-1].append(line)
    return out


def canonical(entry):
    """An ignore.txt entry as netd writes it: inet_ntop(3), the host bits
    cleared, no prefix length when it is the address's."""
    net = ipaddress.ip_network(entry, strict=False)
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return str(net)


def expected(motd, extra=()):
    return (["files-begin", "motd|" + motd,
             "featured|Group\\174One|127.0.0.9:27960",
             "featured|Group\\174One|[::1]:27961",
             "featured|Friends|127.0.0.10:27962",
             "ignore|192.0.2.0/24",
             "ignore|2001:db8::/32",
             "ignore|192.0.2.7",
             "ignore|2001:db8::7",
             # The parent clears the host bits: 10.1.2.3/8 is 10.0.0.0/8.
             "ignore|10.0.0.0/8",
             "ignore|2001:db8:1::"] +
            ["ignore|" + e for e in extra] + ["files-end"])


class FilesReportTest(PluginTest):

    def test_initialize_sighup_admin(self):
        """The report after initialize, before the snapshot; again, whole,
        after a SIGHUP and after an admin ignore-add, with what changed;
        nothing for a plugin that did not ask."""
        m = self.pmaster(files={"featured.txt": FEATURED,
                                "ignore.txt": IGNORE, "motd.txt": MOTD})
        drv = m.driver("drv", "report|files", "report|server",
                       control="ctl", admin=True)
        other = m.driver("other", "report|server")
        m.start()
        drv.wait(r"report\|1\|%s\|snapshot-end" % TIME)
        lines = drv.lines()
        i = lines.index("config|1|initialize")
        self.assertEqual(report(lines[i + 1:]),
                         expected("Welcome to the \\174 master"))
        # The report is whole before the snapshot's end.
        self.assertRegex(lines[i + 1], r"^report\|1\|%s\|files-begin$" % TIME)
        self.assertRegex(lines[-1], r"^report\|1\|%s\|snapshot-end$" % TIME)
        self.assertEqual(len(lines), i + 1 + len(expected("")) + 1, lines)

        # SIGHUP: the new motd (empty: no file), the rest as it was.
        n = len(drv.lines())
        m.d.write_file("motd.txt", "")
        m.d.signal(signal.SIGHUP)
        drv.wait(r"report\|1\|%s\|files-end" % TIME, after=n)
        got = blocks(drv.lines()[n:])
        # The watch of motd.txt may reload it once more: whole as well.
        self.assertIn(expected(""), got)
        self.assertEqual(got[0], expected(""), got)

        # An admin ignore-add: the report comes before its response.
        n = len(drv.lines())
        drv.send("request|a1|ignore-add|127.0.0.99")
        drv.wait(r"response\|1\|a1\|ok", after=n)
        got = blocks(drv.lines()[n:])
        self.assertIn(expected("", ["127.0.0.99"]), got)
        lines = drv.lines()[n:]
        self.assertLess(lines.index("> request|a1|ignore-add|127.0.0.99"),
                        [j for j, line in enumerate(lines)
                         if line.endswith("|ignore|127.0.0.99")][0])
        self.assertLess([j for j, line in enumerate(lines)
                         if line.endswith("|files-begin")][-1],
                        lines.index("response|1|a1|ok"))
        self.assertFalse(drv.matching(r"report\|1\|%s\|lost\|.*" % TIME))
        self.assertFalse(report(other.lines()), other.lines())

    def test_large_ignore_in_pieces(self):
        """200,000 entries arrive complete and in the file's order, though
        netd holds them sorted and queues them in pieces; a reload while
        they go starts the report over with files-begin."""
        rnd = random.Random(7)
        entries = []
        for i in range(200000):
            k = rnd.randrange(4)
            a, b, c = rnd.randrange(1, 224), rnd.randrange(256), \
                rnd.randrange(256)
            if k == 0:
                entries.append("%d.%d.%d.%d" % (a, b, c, rnd.randrange(256)))
            elif k == 1:
                entries.append("%d.%d.%d.0/24" % (a, b, c))
            elif k == 2:
                entries.append("2001:%x:%x::%x" % (0xdb8 + (i >> 16),
                                                   i & 0xffff,
                                                   rnd.randrange(1, 9)))
            else:
                entries.append("2001:%x:%x::/48" % (0xdb8 + (i >> 16),
                                                    i & 0xffff))
        m = self.pmaster(files={"ignore.txt": "\n".join(entries) + "\n"})
        drv = m.driver("drv", "report|files", "report|server")
        m.start()
        drv.wait(r"report\|1\|%s\|files-begin" % TIME)
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(r"netd: data files: 0 featured servers in 0 "
                         r"groups, 200000 ignore entries", 20)
        drv.wait(r"report\|1\|%s\|snapshot-end" % TIME, timeout=60)
        # The reload's report is the second, or a third (the watch).
        got = []

        def done():
            got[:] = blocks(drv.lines())
            return len(got) >= 2 and got[-1][-1] == "files-end"
        self.assertTrue(wait_until(done, 60, 0.5), m.tail())
        want = ["files-begin", "motd|"] + \
            ["ignore|" + canonical(e) for e in entries] + ["files-end"]
        # Every report but a cut one is whole; the last one is.
        self.assertGreaterEqual(len(got), 1)
        for b in got[:-1]:
            self.assertEqual(b, want[:len(b)])
        self.assertEqual(len(got[-1]), len(want))
        self.assertEqual(got[-1], want)
        self.assertFalse(drv.matching(r"report\|1\|%s\|lost\|.*" % TIME))
        # The snapshot waited for the report's end.
        lines = [HEAD.sub("", line) for line in drv.lines()]
        self.assertLess(lines.index("files-end"), lines.index("snapshot-end"))


if __name__ == "__main__":
    unittest.main()
