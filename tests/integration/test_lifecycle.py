# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Shutdown, the saved server list, reload, lost children, syslog and
detaching."""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest

import harness
from harness import (Daemon, IS_ROOT, daemon_args, free_ports, pid_alive,
                     wait_until)

LINE = r"(?m)^\S+ \S+ "         # the time stamp of a log line


class ShutdownTest(unittest.TestCase):

    def check_orderly(self, sig):
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport)).start().wait_started()
        kids = d.children()
        self.assertEqual(len(kids), 2, d.tail())
        d.signal(sig)
        rc = d.wait()
        self.assertEqual(rc, 0, "exit status %s\n%s" % (rc, d.tail()))
        gone = wait_until(lambda: not any(pid_alive(p) for p in kids), 2)
        self.assertTrue(gone, "children %s still alive\n%s" % (kids,
                                                              d.tail()))
        self.assertTrue(os.path.exists(d.path("serverlist.txt")), d.tail())
        self.assertFalse(os.path.exists(d.path("serverlist.txt.tmp")),
                         d.tail())
        log = d.log()
        wrote = re.search(LINE + r"master: wrote 0 servers to "
                          r"serverlist\.txt$", log)
        exiting = re.search(LINE + r"logd: exiting\b", log)
        self.assertIsNotNone(wrote, d.tail())
        self.assertIsNotNone(exiting, d.tail())
        self.assertLess(wrote.start(), exiting.start(),
                        "logd exited before the list was written\n" +
                        d.tail())
        self.assertRegex(log, LINE + r"master: received signal %d" % sig)
        self.assertNotRegex(log, r"lost (child|connection)", d.tail())
        self.assertNotRegex(log, r"fatal in", d.tail())

    def test_sigterm(self):
        self.check_orderly(signal.SIGTERM)

    def test_sigint(self):
        self.check_orderly(signal.SIGINT)

    def test_sigterm_not_root(self):
        harness.skip_unless_nobody_can_run(self)
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport), unprivileged=True)
        d.start().wait_started()
        d.signal(signal.SIGTERM)
        rc = d.wait()
        self.assertEqual(rc, 0, "exit status %s\n%s" % (rc, d.tail()))
        self.assertEqual(d.leftovers(), [], d.tail())
        self.assertTrue(os.path.exists(d.path("serverlist.txt")), d.tail())
        self.assertEqual(harness.sanitizer_reports(d.log()), [], d.tail())


class ServerListTest(unittest.TestCase):

    def test_written_as_the_user(self):
        """Root writes serverlist.txt in a data directory of the -u user
        with the user's ids: the file is the user's, and no right over
        another user's directory is needed (the Debian unit has no
        CAP_DAC_OVERRIDE; tests/package/test_deb.py runs it so)."""
        if not IS_ROOT:
            self.skipTest(harness.NEED_ROOT)
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport))
        d.args += ["-u", "nobody", "-j", d.datadir]
        os.chown(d.datadir, *harness.nobody())
        d.start().wait_started()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        st = os.stat(d.path("serverlist.txt"))
        self.assertEqual((st.st_uid, st.st_gid), harness.nobody(), d.tail())
        self.assertEqual(os.geteuid(), 0)

    def test_round_trip(self):
        port, cport = free_ports(2)
        content = "127.0.0.1:30720\n[::1]:30721\n"
        d = Daemon(self, daemon_args(port, cport),
                   files={"serverlist.txt": content})
        d.start().wait_started()
        d.wait_for_log(LINE + r"netd: 2 saved servers$")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        self.assertRegex(d.log(), LINE + r"master: wrote 2 servers to "
                         r"serverlist\.txt$", d.tail())
        self.assertEqual(d.read_file("serverlist.txt"), content, d.tail())
        self.assertFalse(os.path.exists(d.path("serverlist.txt.tmp")),
                         d.tail())

    def test_read_to_a_bound(self):
        """A serverlist.txt of a terabyte (sparse: one server, then NUL
        bytes) is read for at most 1048576 lines, of at most 1023 bytes
        each: the start goes on with the server read, within a second
        or two rather than the hours a terabyte takes."""
        port, cport = free_ports(2)
        d = Daemon(self, ["--check"] + daemon_args(port, cport),
                   files={"serverlist.txt": "127.0.0.1:30720\n"})
        os.truncate(d.path("serverlist.txt"), 1 << 40)
        rc, out, err = harness.run_cmd(d.args, cwd=d.datadir, timeout=120)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out + err, r"serverlist\.txt: more than 1048576 "
                         r"lines, the rest not read", out + err)
        self.assertIn("1 saved servers", out, out + err)

    def test_garbage_line_skipped(self):
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport), files={
            "serverlist.txt":
                "127.0.0.1:30720\ngarbage\n[::1]:30721\n"})
        d.start().wait_started()
        d.wait_for_log(LINE + r"master: \S*serverlist\.txt:2: not an "
                       r"address, skipped$")
        d.wait_for_log(LINE + r"netd: 2 saved servers$")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        self.assertEqual(d.read_file("serverlist.txt"),
                         "127.0.0.1:30720\n[::1]:30721\n", d.tail())


class ReloadTest(unittest.TestCase):

    DATA = LINE + r"netd: data files: "

    def hup_fails(self, d, filename):
        """SIGHUP with an invalid file: the error names filename, then
        "reload failed"; netd gets nothing; the daemon runs on.  (The
        parent also reloads ignore.txt and motd.txt by itself when they
        change, so only what follows our SIGHUP is looked at.)"""
        before = d.count(self.DATA)
        nhup = d.count(LINE + r"master: received SIGHUP") + 1
        d.signal(signal.SIGHUP)

        def after_hup():
            lines = d.log().splitlines()
            hups = [i for i, ln in enumerate(lines)
                    if " master: received SIGHUP" in ln]
            if len(hups) < nhup:
                return None
            for j in range(hups[nhup - 1] + 1, len(lines)):
                if " master: reload failed" in lines[j]:
                    return lines[hups[nhup - 1]:j + 1]
            return None
        seg = wait_until(after_hup, harness.START_TIMEOUT)
        self.assertTrue(seg, "no \"reload failed\" after SIGHUP\n" +
                        d.tail())
        self.assertTrue(any(" master: " in ln and filename in ln
                            for ln in seg),
                        "no error naming %s before \"reload failed\"\n%s"
                        % (filename, d.tail()))
        time.sleep(0.3)
        self.assertEqual(d.count(self.DATA), before,
                         "netd got data files after a failed reload\n" +
                         d.tail())
        self.assertTrue(d.running(), d.tail())
        kids = d.children()
        self.assertEqual(len(kids), 2, d.tail())

    def test_sighup(self):
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport),
                   files={"motd.txt": "first\n"})
        d.start().wait_started()
        d.wait_for_log(self.DATA + r"0 featured servers in 0 groups, "
                       r"0 ignore entries, motd of 5 bytes$")
        kids = sorted(d.children())

        d.write_file("motd.txt", "second motd\n")
        d.signal(signal.SIGHUP)
        d.wait_for_log(self.DATA + r".* motd of 11 bytes$")
        d.wait_for_log(LINE + r"master: reloaded data files: 0 featured "
                       r"servers, 0 ignore entries, motd of 11 bytes$")

        d.write_file("motd.txt", "bad \\ motd\n")
        self.hup_fails(d, "motd.txt")

        d.write_file("motd.txt", "third\n")
        d.write_file("ignore.txt", "not-an-address\n")
        self.hup_fails(d, "ignore.txt:1")

        d.write_file("ignore.txt", "10.0.0.0/8\n192.168.1.1 # a host\n")
        d.write_file("featured.txt",
                     "Official\n  127.0.0.1:30720\n  [::1]:30721\n")
        d.signal(signal.SIGHUP)
        d.wait_for_log(self.DATA + r"2 featured servers in 1 groups, "
                       r"2 ignore entries, motd of 5 bytes$")
        d.wait_for_log(LINE + r"master: reloaded data files: 2 featured "
                       r"servers, 2 ignore entries, motd of 5 bytes$")
        self.assertGreaterEqual(
            d.count(LINE + r"master: reloaded data files"), 2, d.tail())
        self.assertEqual(sorted(d.children()), kids, d.tail())

        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())


class LostChildTest(unittest.TestCase):

    def start(self):
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport)).start().wait_started()
        return d

    def check_exit(self, d, lost_regex):
        rc = d.wait()
        self.assertEqual(rc, 1, "exit status %s\n%s" % (rc, d.tail()))
        self.assertRegex(d.log(), LINE + r"master: " + lost_regex, d.tail())
        gone = wait_until(lambda: not d.leftovers(), 2)
        self.assertTrue(gone, "processes left: %s\n%s" % (d.leftovers(),
                                                          d.tail()))

    def test_netd_killed(self):
        d = self.start()
        netd = d.child_by_title("netd")
        os.kill(netd, signal.SIGKILL)
        self.check_exit(d, r"lost child: netd terminated; signal 9$")

    def test_logd_killed(self):
        d = self.start()
        logd = d.child_by_title("logd")
        os.kill(logd, signal.SIGKILL)
        self.check_exit(d, r"lost child: logd terminated; signal 9$")
        self.assertRegex(d.log(), LINE + r"master: wrote 0 servers to "
                         r"serverlist\.txt$", d.tail())
        self.assertTrue(os.path.exists(d.path("serverlist.txt")), d.tail())

    def test_netd_terminated(self):
        d = self.start()
        netd = d.child_by_title("netd")
        os.kill(netd, signal.SIGTERM)
        self.check_exit(d, r"lost (child: |connection to )netd")

    def test_parent_killed(self):
        d = self.start()
        kids = d.children()
        self.assertEqual(len(kids), 2, d.tail())
        d.signal(signal.SIGKILL)
        self.assertEqual(d.wait(), -signal.SIGKILL, d.tail())
        gone = wait_until(lambda: not any(pid_alive(p) for p in kids), 5)
        self.assertTrue(gone, "orphans %s\n%s" % (
            [(p, harness.cmdline(p)) for p in kids if pid_alive(p)],
            d.tail()))


class DaemonizeTest(unittest.TestCase):

    def find_daemon(self, cmd):
        """The detached daemon: the exact command line (with its unique
        port), and a session leader (daemon(3) calls setsid)."""
        for p in harness.all_pids():
            if harness.cmdline(p) != cmd:
                continue
            st = harness.proc_stat(p)
            if st is not None and st[3] == p and pid_alive(p):
                return p
        return None

    def test_daemon(self):
        port, cport = free_ports(2)
        datadir = os.path.realpath(tempfile.mkdtemp(
            prefix="tremmasterd-data-"))
        logdir = tempfile.mkdtemp(prefix="tremmasterd-log-")
        self.addCleanup(shutil.rmtree, datadir, True)
        self.addCleanup(shutil.rmtree, logdir, True)
        args = daemon_args(port, cport, verbose=0) + ["--daemon"]
        cmd = " ".join([harness.binary()] + [str(a) for a in args])
        found = {}

        def kill_found():
            # By PID: the daemon, its children, anything in its session.
            pids = set(found.values())
            if "daemon" in found:
                pids.update(harness.session_members(found["daemon"]))
            harness.kill_pids([p for p in pids if pid_alive(p)])
        self.addCleanup(kill_found)

        t0 = time.monotonic()
        rc, out, err = harness.run_cmd(
            args, cwd=datadir, leak_check=not IS_ROOT,
            env_extra=harness.sanitizer_log_env(logdir, not IS_ROOT))
        self.assertEqual(rc, 0, "exit %s\n%s\n%s" % (rc, out, err))
        self.assertLess(time.monotonic() - t0, 5, "did not detach at once")

        pid = wait_until(lambda: self.find_daemon(cmd), 5)
        self.assertIsNotNone(pid, "no detached process with command line "
                             "%r" % cmd)
        found["daemon"] = pid
        # Orphans go to init, or to the nearest subreaper above us.
        ppid = harness.proc_stat(pid)[0]
        self.assertTrue(ppid == 1 or ppid in harness.ancestors(os.getpid()),
                        "the daemon's parent %d is neither init nor a "
                        "subreaper above us" % ppid)
        ok = wait_until(lambda: len(harness.children_of(pid)) == 2 and all(
            (harness.cmdline(c) or "").startswith("tremmasterd:")
            for c in harness.children_of(pid)), harness.START_TIMEOUT)
        kids = harness.children_of(pid)
        for i, c in enumerate(kids):
            found["child%d" % i] = c
        self.assertTrue(ok, "children: %s" % [(c, harness.cmdline(c))
                                              for c in kids])
        self.assertNotEqual(harness.bind_errno("127.0.0.1", port), 0,
                            "port %d not bound" % port)

        os.kill(pid, signal.SIGTERM)
        gone = wait_until(lambda: not any(pid_alive(p) for p in
                                          [pid] + kids), harness.STOP_TIMEOUT)
        self.assertTrue(gone, "still alive: %s" % [
            p for p in [pid] + kids if pid_alive(p)])
        self.assertTrue(os.path.exists(os.path.join(datadir,
                                                    "serverlist.txt")))
        reports = harness.sanitizer_log_files(logdir)
        self.assertEqual(harness.sanitizer_reports(reports), [], reports)


if __name__ == "__main__":
    unittest.main()
