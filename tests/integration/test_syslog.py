# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""--syslog without a syslog daemon on the machine: the test plays the
syslog daemon itself, with a Unix datagram socket bound at /dev/log.

Only as root, only when /dev/log does not exist (a real syslogd is never
touched), and under a lock file so that two runs of the tests in parallel
never fight over /dev/log.  The socket file is removed in a cleanup, even
when the test fails.

netd and logd open the log socket before their chroot (LOG_NDELAY), so
their lines arrive here too.
"""

import errno
import fcntl
import os
import re
import signal
import socket
import stat
import threading
import time
import unittest

import harness
from harness import Daemon, IS_ROOT, daemon_args, free_ports, wait_until

DEV_LOG = "/dev/log"
LOCK_FILE = "/tmp/tremmasterd-tests-dev-log.lock"
LOCK_TIMEOUT = 60
LOG_DAEMON = 3          # facility number (LOG_DAEMON >> 3)
LOG_INFO, LOG_DEBUG, LOG_NOTICE = 6, 7, 5

# glibc: "<PRI>Mmm dd hh:mm:ss tremmasterd[PID]: proc: text"
DGRAM_RE = re.compile(rb"<(\d+)>(\w{3} [ \d]\d \d\d:\d\d:\d\d) "
                      rb"tremmasterd\[(\d+)\]: (master|netd|logd): (.*)",
                      re.S)


class SyslogCollector(threading.Thread):
    """Reads datagrams from the socket until stopped."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.datagrams = []
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.datagrams.append(data)

    def snapshot(self):
        with self.lock:
            return list(self.datagrams)


class DevLogSyslogTest(unittest.TestCase):

    def take_lock(self):
        f = open(LOCK_FILE, "a")
        self.addCleanup(f.close)
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    self.skipTest("another test run holds %s" % LOCK_FILE)
                time.sleep(0.1)
        # Cleanups run last first: this unlock runs after /dev/log is gone.
        self.addCleanup(fcntl.flock, f, fcntl.LOCK_UN)

    def bind_dev_log(self):
        """Our socket at /dev/log, removed in a cleanup."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        made = []

        def remove():
            # Only the socket this test made, never anything else.
            if not made:
                return
            try:
                st = os.lstat(DEV_LOG)
            except OSError:
                return
            if stat.S_ISSOCK(st.st_mode) and st.st_ino == made[0]:
                os.unlink(DEV_LOG)
        self.addCleanup(remove)
        sock.bind(DEV_LOG)
        made.append(os.lstat(DEV_LOG).st_ino)
        # Let the unprivileged children write too, as with a real syslogd.
        os.chmod(DEV_LOG, 0o666)
        sock.settimeout(0.1)
        # glibc blocks when the queue is full: read all the time.
        collector = SyslogCollector(sock)
        self.addCleanup(collector.join, 5)
        self.addCleanup(collector.halt.set)
        collector.start()
        return collector

    def test_syslog_via_dev_log(self):
        if not IS_ROOT:
            self.skipTest("needs root to create %s" % DEV_LOG)
        # The lock first: a parallel run may have its /dev/log right now.
        self.take_lock()
        if os.path.lexists(DEV_LOG):
            self.skipTest("%s exists (a syslog daemon runs: see "
                          "test_lifecycle.SyslogTest; or a test run was "
                          "killed before its cleanup)" % DEV_LOG)
        collector = self.bind_dev_log()

        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport) + ["--syslog",
                                                     "-d", "none"])
        d.start()

        def parsed():
            out = []
            for data in collector.snapshot():
                m = DGRAM_RE.fullmatch(data)
                out.append((data, m))
            return out

        def have(proc, text):
            return any(m is not None and m.group(4) == proc and
                       text in m.group(5) for _, m in parsed())
        ok = wait_until(lambda: have(b"netd", b"data files: ") and
                        have(b"logd", b"link to netd is up") and
                        have(b"logd", b"statistics database: none"),
                        harness.START_TIMEOUT)
        self.assertTrue(ok, "start-up lines did not reach %s:\n%s\n%s" % (
            DEV_LOG, b"\n".join(collector.snapshot()).decode(
                "utf-8", "replace"), d.tail()))
        netd = d.child_by_title("netd")
        logd = d.child_by_title("logd")
        self.assertEqual(harness.bind_errno("127.0.0.1", port) != 0, True,
                         "port not bound\n" + d.tail())

        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        ok = wait_until(lambda: have(b"master", b"exiting"), 5)
        self.assertTrue(ok, "no \"master: exiting\" in syslog:\n%s" %
                        b"\n".join(collector.snapshot()).decode(
                            "utf-8", "replace"))

        entries = parsed()
        bad = [data for data, m in entries if m is None]
        self.assertEqual(bad, [], "datagrams not in the syslog format")
        pids = {b"master": d.pid, b"netd": netd, b"logd": logd}
        seen = set()
        for data, m in entries:
            pri, proc, pid = int(m.group(1)), m.group(4), int(m.group(3))
            self.assertEqual(pri >> 3, LOG_DAEMON,
                             "facility of %r is not LOG_DAEMON" % data)
            self.assertEqual(pid, pids[proc], "PID of %r" % data)
            seen.add(proc)
        self.assertEqual(seen, {b"master", b"netd", b"logd"})

        def severity(proc, text):
            for data, m in entries:
                if m.group(4) == proc and m.group(5).startswith(text):
                    return int(m.group(1)) & 7
            self.fail("no %r line from %s" % (text, proc))
        # PRINT is LOG_NOTICE, DEBUG is LOG_DEBUG.
        self.assertEqual(severity(b"logd", b"statistics database: none"),
                         LOG_NOTICE)
        self.assertEqual(severity(b"logd", b"link to netd is up"), LOG_DEBUG)
        self.assertEqual(severity(b"master", b"received signal 15"),
                         LOG_NOTICE)

        # Once logging went to syslog, nothing more went to standard
        # output: only the master's lines from before the switch (the
        # sockets it bound) may be there, and none of them is in syslog.
        self.assertTrue(have(b"master", b"tremmasterd "), "no start-up "
                        "line from master in syslog")
        texts = {m.group(5) for _, m in entries}
        for line in d.log().splitlines():
            m = re.match(r"\S+ \S+ (master|netd|logd): (.*)$", line)
            if m is None:
                continue
            self.assertEqual(m.group(1), "master",
                             "%s logged to standard output:\n%s" % (
                                 m.group(1), d.tail()))
            self.assertNotIn(m.group(2).encode(), texts,
                             "a line went to standard output and to "
                             "syslog:\n%s" % d.tail())
            self.assertRegex(line, r" master: bound ", "master logged to "
                             "standard output after the switch to syslog"
                             ":\n%s" % d.tail())


if __name__ == "__main__":
    unittest.main()
