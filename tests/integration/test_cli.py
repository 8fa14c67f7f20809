# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Command line: help, version, invalid options, ports in use, --check and
invalid data files at start-up."""

import os
import pwd
import re
import shutil
import tempfile
import unittest

import harness
from harness import IS_ROOT, NEED_ROOT, run_cmd

OPTIONS = ("-4", "-6", "-d", "-j", "-l", "-L", "-n", "-p", "-P", "-q", "-u",
           "-v", "--verbose", "-V", "-w", "-W", "--challenge-timeout",
           "--server-timeout", "--daemon", "--syslog", "--check")


def show(rc, out, err):
    return "exit %s\nstdout:\n%s\nstderr:\n%s" % (rc, harness.tail(out),
                                                  harness.tail(err))


class HelpVersionTest(unittest.TestCase):

    def check_help(self, flag):
        rc, out, err = run_cmd([flag])
        self.assertEqual(rc, 0, show(rc, out, err))
        self.assertIn("usage: tremmasterd", out, show(rc, out, err))
        for opt in OPTIONS:
            self.assertRegex(out, r"(?<![\w-])%s(?![\w-])" % re.escape(opt),
                             "%s missing from %s output\n%s" % (
                                 opt, flag, show(rc, out, err)))
        self.assertEqual(err, "", show(rc, out, err))

    def test_help_long(self):
        self.check_help("--help")

    def test_help_short(self):
        self.check_help("-h")

    def check_version(self, flag):
        rc, out, err = run_cmd([flag])
        self.assertEqual(rc, 0, show(rc, out, err))
        self.assertRegex(out, r"^tremmasterd \d+(\.\d+)+\S*\n$",
                         show(rc, out, err))
        self.assertEqual(err, "", show(rc, out, err))

    def test_version_short(self):
        self.check_version("-V")

    def test_version_long(self):
        self.check_version("--version")


class InvalidOptionTest(unittest.TestCase):
    """Each invalid use: one line on stderr naming the option, exit 1, and
    nothing bound."""

    def setUp(self):
        self.port, self.cport = harness.free_ports(2)

    def assert_invalid(self, args, names, unprivileged=False, cwd=None):
        rc, out, err = run_cmd(args, unprivileged=unprivileged, cwd=cwd)
        info = "%s\n%s" % (args, show(rc, out, err))
        self.assertEqual(rc, 1, info)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "not one line on stderr: " + info)
        self.assertIn(names, lines[0], info)
        self.assertTrue(lines[0].startswith("tremmasterd: "), info)
        self.assertEqual(out, "", "output on stdout: " + info)
        self.assertTrue(harness.port_is_free(self.port),
                        "port %d is not free after %s" % (self.port, info))
        return lines[0]

    def p(self):
        return ["-p", self.port, "-P", self.cport]

    def test_unknown_short_option(self):
        self.assert_invalid(self.p() + ["-x"], "-x")

    def test_unknown_long_option(self):
        self.assert_invalid(self.p() + ["--bogus"], "--bogus")

    def test_port_zero(self):
        self.assert_invalid(["-p", self.port, "-p", "0"], "-p")

    def test_port_too_large(self):
        self.assert_invalid(["-p", self.port, "-p", "65536"], "-p")

    def test_port_not_a_number(self):
        self.assert_invalid(["-p", self.port, "-p", "abc"], "-p")

    def test_challenge_port_zero(self):
        self.assert_invalid(["-p", self.port, "-P", "0"], "-P")

    def test_challenge_port_too_large(self):
        self.assert_invalid(["-p", self.port, "-P", "70000"], "-P")

    def test_verbose_out_of_range(self):
        self.assert_invalid(self.p() + ["--verbose", "5"], "--verbose")

    def test_verbose_not_a_number(self):
        self.assert_invalid(self.p() + ["--verbose", "x"], "--verbose")

    def test_unknown_database(self):
        self.assert_invalid(self.p() + ["-d", "mysql"], "-d")

    def test_ipv4_and_ipv6(self):
        line = self.assert_invalid(self.p() + ["-4", "-6"], "-4")
        self.assertIn("-6", line)

    def test_challenge_port_is_request_port(self):
        self.assert_invalid(["-p", self.port, "-P", self.port], "-P")

    @unittest.skipUnless(IS_ROOT, NEED_ROOT + ": as non-root -u fails "
                         "before the user is looked up")
    def test_unknown_user(self):
        name = "tmd-no-such-user"
        try:
            pwd.getpwnam(name)
            self.skipTest("user %s exists" % name)
        except KeyError:
            pass
        line = self.assert_invalid(self.p() + ["-u", name], "-u")
        self.assertIn(name, line)

    @unittest.skipUnless(IS_ROOT, NEED_ROOT + ": as non-root -j fails "
                         "before the directory is checked")
    def test_jail_missing(self):
        d = tempfile.mkdtemp(prefix="tremmasterd-jail-")
        self.addCleanup(shutil.rmtree, d, True)
        missing = os.path.join(d, "missing")
        line = self.assert_invalid(self.p() + ["-j", missing], "-j")
        self.assertIn(missing, line)

    @unittest.skipUnless(IS_ROOT, NEED_ROOT + ": as non-root -j fails "
                         "before the directory is checked")
    def test_jail_is_a_file(self):
        d = tempfile.mkdtemp(prefix="tremmasterd-jail-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "file")
        with open(path, "w") as f:
            f.write("x\n")
        line = self.assert_invalid(self.p() + ["-j", path], "-j")
        self.assertIn("not a directory", line)

    def test_user_when_not_root(self):
        line = self.assert_invalid(self.p() + ["-u", "nobody"], "-u",
                                   unprivileged=True)
        self.assertIn("root", line)

    def test_jail_when_not_root(self):
        d = tempfile.mkdtemp(prefix="tremmasterd-jail-")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        line = self.assert_invalid(self.p() + ["-j", d], "-j",
                                   unprivileged=True)
        self.assertIn("root", line)

    def test_max_servers_negative(self):
        self.assert_invalid(self.p() + ["-n", "-1"], "-n")

    def test_challenge_timeout_zero(self):
        self.assert_invalid(self.p() + ["--challenge-timeout", "0"],
                            "--challenge-timeout")

    def test_server_timeout_not_a_number(self):
        self.assert_invalid(self.p() + ["--server-timeout", "abc"],
                            "--server-timeout")

    def test_stray_argument(self):
        self.assert_invalid(self.p() + ["foo"], "foo")


class PortInUseTest(unittest.TestCase):

    def run_in_use(self, args, port):
        rc, out, err = run_cmd(args)
        both = out + err
        info = "%s\n%s" % (args, show(rc, out, err))
        self.assertEqual(rc, 1, info)
        self.assertIn("bind", both, info)
        self.assertIn("Address already in use", both, info)
        self.assertRegex(both, r"bind [^\n]*:%d\b" % port, info)
        self.assertNotRegex(both, r"(netd|logd):", info)

    def test_udp_port_in_use(self):
        port, cport = harness.free_ports(2)
        s = harness.hold_port("127.0.0.1", port, "udp")
        self.addCleanup(s.close)
        self.run_in_use(harness.daemon_args(port, cport), port)

    def test_challenge_port_in_use(self):
        port, cport = harness.free_ports(2)
        s = harness.hold_port("127.0.0.1", cport, "udp")
        self.addCleanup(s.close)
        self.run_in_use(harness.daemon_args(port, cport), cport)

    def test_websocket_port_in_use(self):
        port, cport, ws = harness.free_ports(3)
        s = harness.hold_port("127.0.0.1", ws, "tcp")
        self.addCleanup(s.close)
        self.run_in_use(harness.daemon_args(port, cport, ws=ws), ws)


class CheckTest(unittest.TestCase):

    def datadir(self, files):
        d = tempfile.mkdtemp(prefix="tremmasterd-data-")
        self.addCleanup(shutil.rmtree, d, True)
        for name, content in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(content)
        return d

    def test_check_valid(self):
        port, cport = harness.free_ports(2)
        d = self.datadir({
            "featured.txt": "Official\n  127.0.0.1:30720\n  [::1]:30721\n",
            "ignore.txt": "10.0.0.0/8 192.168.1.1 # comment\n",
            "motd.txt": "welcome\n",
            "serverlist.txt": "127.0.0.1:30722\n",
        })
        args = ["--check", "-p", port, "-P", cport]
        rc, out, err = run_cmd(args, cwd=d)
        info = show(rc, out, err)
        self.assertEqual(rc, 0, info)
        self.assertIn("configuration OK", out, info)
        self.assertIn("2 featured servers", out, info)
        self.assertIn("2 ignore entries", out, info)
        self.assertIn("motd of 7 bytes", out, info)
        self.assertIn("1 saved servers", out, info)
        self.assertFalse(os.path.exists(os.path.join(d, "serverlist.txt.tmp")))
        self.assertTrue(harness.port_is_free(port), info)

    def test_check_invalid_ignore(self):
        port, cport = harness.free_ports(2)
        d = self.datadir({"ignore.txt": "not-an-address\n"})
        rc, out, err = run_cmd(["--check", "-p", port, "-P", cport], cwd=d)
        info = show(rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("ignore.txt:1", out + err, info)
        self.assertNotIn("configuration OK", out, info)


class InvalidDataFilesTest(unittest.TestCase):

    def run_with(self, files):
        port, cport = harness.free_ports(2)
        d = tempfile.mkdtemp(prefix="tremmasterd-data-")
        self.addCleanup(shutil.rmtree, d, True)
        for name, content in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(content)
        rc, out, err = run_cmd(harness.daemon_args(port, cport), cwd=d)
        self.assertTrue(harness.port_is_free(port))
        return rc, out, err

    def test_motd_with_backslash(self):
        rc, out, err = self.run_with({"motd.txt": "bad \\ motd\n"})
        info = show(rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("motd.txt", out + err, info)
        self.assertNotRegex(out, r"(netd|logd):", info)

    def test_featured_address_before_label(self):
        rc, out, err = self.run_with({
            "featured.txt": "# featured servers\n  127.0.0.1:30720\n"})
        info = show(rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("featured.txt:2", out + err, info)
        self.assertNotRegex(out, r"(netd|logd):", info)


if __name__ == "__main__":
    unittest.main()
