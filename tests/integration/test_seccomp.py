# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Linux: netd, logd, the puppet and the api plugins run under their
seccomp filters (issue 10, item 9; issue 13, item 5).

The kernel shows a filter as "Seccomp: 2" in /proc/PID/status; the parent
has none.  --no-seccomp leaves both children without one.  Whether each
filter holds every call its process makes is shown by the rest of the
suite, which runs with the filters on; tests/unit/test_sandbox.c shows
that a forbidden call kills a child with SIGSYS.
"""

import os
import signal
import sys
import unittest

import harness
from harness import Daemon, daemon_args, free_ports, wait_until

LINE = r"(?m)^\S+ \S+ "         # the time stamp of a log line
LINUX = sys.platform.startswith("linux")


def seccomp_mode(pid):
    """The Seccomp field of /proc/pid/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Seccomp:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


@unittest.skipUnless(LINUX, "seccomp is Linux only")
class SeccompTest(unittest.TestCase):

    def start(self, extra=(), **kw):
        port, cport, ws = free_ports(3)
        d = Daemon(self, daemon_args(port, cport, ws=ws) + list(extra),
                   **kw)
        return d.start().wait_started()

    def kids(self, d):
        return {name: d.child_by_title(name) for name in ("netd", "logd")}

    def assert_modes(self, d, kids, mode):
        for name, pid in kids.items():
            ok = wait_until(lambda: seccomp_mode(pid) == mode, 5)
            self.assertTrue(ok, "%s: Seccomp %s, not %s\n%s" % (
                name, seccomp_mode(pid), mode, d.tail()))
        self.assertEqual(seccomp_mode(d.pid), "0",
                         "the parent has a filter\n" + d.tail())

    def stop_cleanly(self, d):
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        self.assertNotRegex(d.log(), "lost child", d.tail())

    def test_filters_on(self):
        d = self.start()
        kids = self.kids(d)
        # netd installs its filter at STARTUP, logd before its loop.
        for name in kids:
            d.wait_for_log(LINE + name + r": seccomp filter of \d+ calls "
                           r"installed$")
        self.assert_modes(d, kids, "2")
        d.wait_for_log(LINE + r"netd: 0 saved servers challenged$")
        self.assertTrue(d.running(), d.tail())
        self.stop_cleanly(d)

    def test_no_seccomp(self):
        d = self.start(["--no-seccomp"])
        kids = self.kids(d)
        d.wait_for_log(LINE + r"netd: 0 saved servers challenged$")
        for name in kids:
            d.wait_for_log(LINE + name + r": no seccomp filter "
                           r"\(--no-seccomp\)$")
        self.assert_modes(d, kids, "0")
        self.assertNotRegex(d.log(), "seccomp filter of", d.tail())
        self.stop_cleanly(d)

    def test_unprivileged(self):
        # As nobody nothing is chrooted, and in the sanitizer build the
        # leak check runs at exit, under the filter.
        harness.skip_unless_nobody_can_run(self)
        d = self.start(unprivileged=True)
        self.assert_modes(d, self.kids(d), "2")
        self.stop_cleanly(d)

    def puppet_args(self):
        # A remote master that never answers: the plugin runs, idle.
        (remote,) = free_ports(1)
        return ["--puppet-master", "127.0.0.1", "--puppet-port",
                str(remote), "--puppet-interval", "3600"]

    def test_puppet_filter_chroot_user(self):
        d = self.start(self.puppet_args())
        d.wait_for_log(LINE + r"master: puppet: seccomp filter of \d+ "
                       r"calls installed$")
        pid = d.child_by_title("puppet")
        self.assert_modes(d, {"puppet": pid}, "2")
        if harness.IS_ROOT:
            with open("/proc/%d/status" % pid) as f:
                uid = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
            self.assertEqual({int(u) for u in uid}, {harness.nobody()[0]},
                             d.tail())
            self.assertEqual(os.readlink("/proc/%d/root" % pid),
                             "/var/empty", d.tail())
        self.assertEqual(os.readlink("/proc/%d/fd/0" % pid)[:7], "socket:")
        self.stop_cleanly(d)

    def test_puppet_no_seccomp(self):
        d = self.start(self.puppet_args() + ["--no-seccomp"])
        d.wait_for_log(LINE + r"master: puppet: no seccomp filter "
                       r"\(--no-seccomp\)$")
        self.assert_modes(d, {"puppet": d.child_by_title("puppet")}, "0")
        self.stop_cleanly(d)

    def test_api_filter_chroot_user(self):
        """The REST API plugin: its filter, chrooted to /var/empty as
        nobody when started as root, its listening socket from the
        parent; --no-seccomp leaves it without."""
        (api,) = free_ports(1)
        d = self.start(["--api-port", str(api), "--api-keys", "k"])
        d.wait_for_log(LINE + r"master: api: seccomp filter of \d+ calls "
                       r"installed$")
        pid = d.child_by_title("api")
        self.assert_modes(d, {"api": pid}, "2")
        if harness.IS_ROOT:
            info = harness.proc_info(pid)
            self.assertEqual(set(info["uid"]), {harness.nobody()[0]},
                             d.tail())
            self.assertEqual(set(info["gid"]), {harness.nobody()[1]},
                             d.tail())
            self.assertTrue(set(info["groups"]) <= {harness.nobody()[1]},
                            d.tail())
            self.assertEqual(info["root"], "/var/empty", d.tail())
        self.assertEqual(os.readlink("/proc/%d/fd/0" % pid)[:7], "socket:")
        self.assertTrue(harness.port_socket_inodes(
            api, ("tcp",), ["127.0.0.1"]) & harness.fd_socket_inodes(pid),
            "the api plugin does not hold its listening socket")
        self.stop_cleanly(d)
        d = self.start(["--api-port", str(api), "--no-seccomp"])
        d.wait_for_log(LINE + r"master: api: no seccomp filter "
                       r"\(--no-seccomp\)$")
        self.assert_modes(d, {"api": d.child_by_title("api")}, "0")
        self.stop_cleanly(d)

    def test_sigsys_is_a_lost_child(self):
        # A seccomp kill ends the child as SIGSYS does; the parent
        # reports it like any lost child and exits 1.
        d = self.start()
        netd = d.child_by_title("netd")
        self.assert_modes(d, self.kids(d), "2")
        os.kill(netd, signal.SIGSYS)
        rc = d.wait()
        self.assertEqual(rc, 1, "exit status %s\n%s" % (rc, d.tail()))
        self.assertRegex(d.log(), LINE + r"master: lost child: netd "
                         r"terminated; signal %d$" % signal.SIGSYS, d.tail())
        gone = wait_until(lambda: not d.leftovers(), 2)
        self.assertTrue(gone, "processes left: %s\n%s" % (d.leftovers(),
                                                          d.tail()))


if __name__ == "__main__":
    unittest.main()
