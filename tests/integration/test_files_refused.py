# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""What the parent, which runs as root, refuses to open in the data
directory: a FIFO, a hard link, a directory in place of a data file, at
start-up and at reload, without ever blocking; a planted
serverlist.txt.tmp that would redirect the write; and, for --create-db, a
database name planted as a link by the -u user."""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest

import harness
from harness import (Daemon, IS_ROOT, NEED_ROOT, daemon_args, free_ports,
                     run_cmd, wait_until)
from fakes import HDR, LINE, UDPTest

START_LIMIT = 5         # a refused start exits at once; a wedged one never
TERM_LIMIT = 1.0        # SIGTERM to exit, as issue 10 asks
WATCH_LIMIT = 12.0      # the parent looks at ignore.txt and motd.txt each 5 s
DATA = LINE + r"netd: data files: "


def motd_reply(text, challenge):
    return HDR + ('motd "\\challenge\\%s\\motd\\%s\\"' %
                  (challenge, text)).encode()


def term_limit():
    """The sanitizer build starts and stops more slowly."""
    return TERM_LIMIT * (3 if harness.sanitize() else 1)


class StartupRefusedTest(unittest.TestCase):
    """A data file that is not a regular file with one name stops the
    start with a line naming it (a FIFO used to block the parent in
    open(2) for good)."""

    def datadir(self):
        d = os.path.realpath(tempfile.mkdtemp(prefix="tremmasterd-data-"))
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def refused(self, d, name, why, extra=()):
        port, cport = free_ports(2)
        rc, out, err = run_cmd(daemon_args(port, cport) + list(extra),
                               cwd=d, timeout=START_LIMIT)
        info = "exit %s\nstdout:\n%s\nstderr:\n%s" % (rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertRegex(out + err, r"(?m)%s: %s, refused" % (
            re.escape(os.path.join(d, name)), why), info)
        self.assertNotRegex(out, r"(netd|logd):", info)
        self.assertTrue(harness.port_is_free(port), info)

    def test_fifo_motd(self):
        d = self.datadir()
        os.mkfifo(os.path.join(d, "motd.txt"))
        self.refused(d, "motd.txt", "a FIFO")

    def test_fifo_ignore(self):
        d = self.datadir()
        os.mkfifo(os.path.join(d, "ignore.txt"))
        self.refused(d, "ignore.txt", "a FIFO")

    def test_fifo_serverlist(self):
        d = self.datadir()
        os.mkfifo(os.path.join(d, "serverlist.txt"))
        self.refused(d, "serverlist.txt", "a FIFO")

    def test_directory_featured(self):
        d = self.datadir()
        os.mkdir(os.path.join(d, "featured.txt"))
        self.refused(d, "featured.txt", "a directory")

    def test_hard_link(self):
        """A second name of another file: root would read a file the
        user who planted the link cannot read."""
        d = self.datadir()
        other = self.datadir()
        with open(os.path.join(other, "secret"), "w") as f:
            f.write("10.0.0.1\n")
        os.link(os.path.join(other, "secret"), os.path.join(d, "ignore.txt"))
        self.refused(d, "ignore.txt", r"has 2 hard links")

    def test_fifo_tls_key(self):
        d = self.datadir()
        key = os.path.join(d, "key.pem")
        os.mkfifo(key)
        ws, = free_ports(1)
        port, cport = free_ports(2)
        rc, out, err = run_cmd(daemon_args(port, cport, ws=ws) +
                               ["-k", key, "-K", key], cwd=d,
                               timeout=START_LIMIT)
        info = "exit %s\nstdout:\n%s\nstderr:\n%s" % (rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("%s: a FIFO, refused" % key, out + err, info)
        self.assertRegex(err, r"-k: cannot use ", info)


class ReloadRefusedTest(UDPTest):
    """A FIFO that appears at reload time is refused with a line, the old
    contents stay, and the parent still answers SIGTERM at once."""

    def stop_at_once(self, m):
        m.d.signal(signal.SIGTERM)
        t0 = time.monotonic()
        rc = m.d.wait()
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, m.tail())
        self.assertLess(took, term_limit(),
                        "SIGTERM took %.2f s: the parent was wedged\n%s"
                        % (took, m.tail()))

    def replace_by_fifo(self, m, name):
        os.unlink(m.d.path(name))
        os.mkfifo(m.d.path(name))

    def test_fifo_motd_at_sighup(self):
        m = self.master(verbose=1, files={"motd.txt": "first text\n"},
                        check_alive=False)
        c = self.client(m)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\1"),
                         [motd_reply("first text", "1")], m.tail())
        before = m.d.count(DATA)
        self.replace_by_fifo(m, "motd.txt")
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(LINE + r"master: \S*/motd\.txt: a FIFO, refused",
                         3)
        m.d.wait_for_log(LINE + r"master: reload failed", 3)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\2"),
                         [motd_reply("first text", "2")], m.tail())
        self.assertEqual(m.d.count(DATA), before, m.tail())
        self.stop_at_once(m)

    def test_fifo_motd_at_watch(self):
        m = self.master(verbose=1, files={"motd.txt": "first text\n"},
                        check_alive=False)
        c = self.client(m)
        self.replace_by_fifo(m, "motd.txt")
        m.d.wait_for_log(LINE + r"master: \S*/motd\.txt: a FIFO, refused",
                         WATCH_LIMIT)
        m.d.wait_for_log(LINE + r"master: reload failed", 3)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\3"),
                         [motd_reply("first text", "3")], m.tail())
        self.stop_at_once(m)

    def test_fifo_ignore_at_watch_and_sighup(self):
        m = self.master(verbose=1, files={"ignore.txt": "10.0.0.0/8\n"},
                        check_alive=False)
        m.d.wait_for_log(DATA + r".* 1 ignore entries", 3)
        before = m.d.count(DATA)
        self.replace_by_fifo(m, "ignore.txt")
        m.d.wait_for_log(LINE + r"master: \S*/ignore\.txt: a FIFO, "
                         r"refused", WATCH_LIMIT)
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(LINE + r"master: \S*/ignore\.txt: a FIFO, "
                         r"refused", 3, count=2)
        m.d.wait_for_log(LINE + r"master: reload failed", 3, count=2)
        self.assertEqual(m.d.count(DATA), before, m.tail())
        self.assertTrue(m.alive(), m.tail())
        self.stop_at_once(m)

    def test_hard_link_at_sighup(self):
        m = self.master(verbose=1, files={"motd.txt": "first text\n"},
                        check_alive=False)
        c = self.client(m)
        os.unlink(m.d.path("motd.txt"))
        other = m.d.make_dir("tremmasterd-other-")
        with open(os.path.join(other, "secret"), "w") as f:
            f.write("root only\n")
        os.link(os.path.join(other, "secret"), m.d.path("motd.txt"))
        m.d.signal(signal.SIGHUP)
        m.d.wait_for_log(LINE + r"master: \S*/motd\.txt: has 2 hard links, "
                         r"refused", 3)
        self.assertEqual(c.ask(HDR + b"getmotd\\challenge\\4"),
                         [motd_reply("first text", "4")], m.tail())
        self.stop_at_once(m)


class ServerListTmpTest(unittest.TestCase):
    """serverlist.txt.tmp is made afresh: what stands there is removed,
    never written through."""

    SAVED = "127.0.0.1:30720\ngarbage\n[::1]:30721\n"
    WRITTEN = "127.0.0.1:30720\n[::1]:30721\n"
    VICTIM = "not for the master to write\n"

    def run_with_tmp(self, plant):
        port, cport = free_ports(2)
        d = Daemon(self, daemon_args(port, cport),
                   files={"serverlist.txt": self.SAVED})
        other = d.make_dir("tremmasterd-other-")
        victim = os.path.join(other, "victim")
        with open(victim, "w") as f:
            f.write(self.VICTIM)
        plant(victim, d.path("serverlist.txt.tmp"))
        d.start().wait_started()
        d.wait_for_log(LINE + r"netd: 2 saved servers$")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(), 0, d.tail())
        with open(victim) as f:
            self.assertEqual(f.read(), self.VICTIM, d.tail())
        self.assertEqual(os.stat(victim).st_nlink, 1, d.tail())
        self.assertEqual(d.read_file("serverlist.txt"), self.WRITTEN,
                         d.tail())
        self.assertFalse(os.path.lexists(d.path("serverlist.txt.tmp")),
                         d.tail())
        self.assertRegex(d.log(), LINE + r"master: wrote 2 servers to "
                         r"serverlist\.txt$", d.tail())

    def test_symlink_tmp(self):
        self.run_with_tmp(os.symlink)

    def test_hard_link_tmp(self):
        self.run_with_tmp(os.link)


@unittest.skipUnless(IS_ROOT, NEED_ROOT)
class CreateDbTest(unittest.TestCase):
    """--create-db run by root makes the files as the -u user, and a name
    that user planted as a link reaches nothing."""

    def setUp(self):
        harness.skip_unless_nobody_can_run(self)
        self.uid, self.gid = harness.nobody()
        self.datadir = os.path.realpath(
            tempfile.mkdtemp(prefix="tremmasterd-data-"))
        self.addCleanup(shutil.rmtree, self.datadir, True)
        os.chown(self.datadir, self.uid, self.gid)
        os.chmod(self.datadir, 0o755)
        # Root's own directory, where a planted link points.
        self.victimdir = os.path.realpath(
            tempfile.mkdtemp(prefix="tremmasterd-victim-"))
        self.addCleanup(shutil.rmtree, self.victimdir, True)
        os.chmod(self.victimdir, 0o755)

    def create(self, db, extra=()):
        rc, out, err = run_cmd(["--create-db", "-d", db, "-u", "nobody"] +
                               list(extra), cwd=self.datadir)
        return rc, out, err, "exit %s\nstdout:\n%s\nstderr:\n%s" % (
            rc, out, err)

    def plant(self, name, target):
        """name -> target, a link made by nobody as nobody could."""
        path = os.path.join(self.datadir, name)
        os.symlink(target, path)
        os.lchown(path, self.uid, self.gid)

    def check_created(self, db, names):
        rc, out, err, info = self.create(db)
        self.assertEqual(rc, 0, info)
        self.assertEqual(out.split(), [os.path.join(self.datadir, n)
                                       for n in names], info)
        for n in names:
            st = os.lstat(os.path.join(self.datadir, n))
            self.assertEqual((st.st_uid, st.st_gid), (self.uid, self.gid),
                             info)

    def check_link_refused(self, db, names, planted):
        for n in planted:
            self.plant(n, os.path.join(self.victimdir, n))
        rc, out, err, info = self.create(db)
        self.assertEqual(rc, 1, info)
        self.assertRegex(err, r"%s: a symbolic link, refused" %
                         re.escape(os.path.join(self.datadir, planted[0])),
                         info)
        self.assertEqual(os.listdir(self.victimdir), [], info)
        self.assertEqual(sorted(os.listdir(self.datadir)), sorted(planted),
                         info)
        for n in planted:
            self.assertTrue(os.path.islink(os.path.join(self.datadir, n)),
                            info)

    def test_sqlite_created_by_user(self):
        self.check_created("sqlite", ["stats.db"])

    def test_tdb_created_by_user(self):
        self.check_created("tdb", ["clientStats.tdb", "gameStats.tdb"])

    def test_sqlite_link_refused(self):
        self.check_link_refused("sqlite", ["stats.db"], ["stats.db"])

    def test_tdb_link_refused(self):
        """Only the second file planted: the first is not made either."""
        self.check_link_refused("tdb", ["clientStats.tdb", "gameStats.tdb"],
                                ["gameStats.tdb"])

    def test_existing_root_file_not_chowned(self):
        """A link to an empty file of root's (SQLite would take it for a
        new database): neither written nor given to the user."""
        target = os.path.join(self.victimdir, "precious")
        open(target, "w").close()
        self.plant("stats.db", target)
        rc, out, err, info = self.create("sqlite")
        self.assertEqual(rc, 1, info)
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid, st.st_size), (0, 0, 0),
                         info)

    def test_world_writable_dir_refused(self):
        os.chmod(self.datadir, 0o777)
        rc, out, err, info = self.create("sqlite")
        self.assertEqual(rc, 1, info)
        self.assertIn("must not be writable by others", err, info)
        self.assertEqual(os.listdir(self.datadir), [], info)

    def test_dir_of_another_user_refused(self):
        os.chown(self.datadir, 1, 1)
        rc, out, err, info = self.create("sqlite")
        self.assertEqual(rc, 1, info)
        self.assertIn("must be owned by root or by the -u user", err, info)
        self.assertEqual(os.listdir(self.datadir), [], info)


@unittest.skipUnless(IS_ROOT, NEED_ROOT)
class DataDirCheckTest(unittest.TestCase):
    """Without -j, the working directory gets the checks of -j: logd is
    chrooted there and the parent reads the data files from it."""

    def test_world_writable_cwd_refused(self):
        d = os.path.realpath(tempfile.mkdtemp(prefix="tremmasterd-data-"))
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o777)
        port, cport = free_ports(2)
        rc, out, err = run_cmd(daemon_args(port, cport), cwd=d,
                               timeout=START_LIMIT)
        info = "exit %s\n%s\n%s" % (rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("%s: chroot directory must not be writable by others"
                      % d, err, info)
        self.assertNotRegex(out, r"(netd|logd):", info)
        self.assertTrue(harness.port_is_free(port), info)


if __name__ == "__main__":
    unittest.main()
