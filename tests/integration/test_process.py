# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The process tree: children, titles, users, chroots, listening sockets."""

import errno
import os
import shutil
import tempfile
import unittest

import harness
from harness import (Daemon, HAVE_IPV6, IS_ROOT, NEED_IPV6, NEED_ROOT,
                     daemon_args, free_ports, run_cmd)


class ProcessTreeTest(unittest.TestCase):

    def start(self, args, **kw):
        return Daemon(self, args, **kw).start().wait_started()

    def children_by_title(self, d):
        """{"netd": pid, "logd": pid}, checking there are exactly two."""
        kids = d.children()
        titles = {p: harness.cmdline(p) or "" for p in kids}
        self.assertEqual(len(kids), 2, "children: %s\n%s" % (titles,
                                                              d.tail()))
        out = {}
        for p, t in titles.items():
            for name in ("netd", "logd"):
                if t.startswith("tremmasterd: " + name):
                    out[name] = p
        self.assertEqual(sorted(out), ["logd", "netd"],
                         "titles: %s\n%s" % (titles, d.tail()))
        return out

    def test_two_children_with_titles(self):
        port, cport, ws = free_ports(3)
        args = daemon_args(port, cport, ws=ws)
        d = self.start(args)
        self.children_by_title(d)
        self.assertEqual(harness.cmdline(d.pid), " ".join(d.cmd),
                         "the parent's command line changed\n" + d.tail())
        self.assertTrue(d.running(), d.tail())

    def check_dropped(self, d, pid, root):
        uid, gid = harness.nobody()
        info = d.proc_info(pid)
        msg = "%s\n%s" % (info, d.tail())
        self.assertEqual(info["uid"], [uid] * 4, msg)
        self.assertEqual(info["gid"], [gid] * 4, msg)
        self.assertTrue(set(info["groups"]) <= {gid},
                        "supplementary groups kept: " + msg)
        self.assertEqual(info["root"], root, msg)

    def check_parent_root(self, d):
        info = d.proc_info(d.pid)
        msg = "%s\n%s" % (info, d.tail())
        self.assertEqual(info["uid"], [0] * 4, msg)
        self.assertEqual(info["root"], "/", msg)

    @unittest.skipUnless(IS_ROOT, NEED_ROOT)
    def test_root_user_and_jail(self):
        port, cport = free_ports(2)
        d = Daemon(self, [])
        jail = d.make_dir("tremmasterd-jail-")
        os.chmod(jail, 0o755)
        d.args = daemon_args(port, cport) + ["-u", "nobody", "-j", jail]
        d.start().wait_started()
        kids = self.children_by_title(d)
        for name in ("netd", "logd"):
            self.check_dropped(d, kids[name], os.path.realpath(jail))
        self.check_parent_root(d)

    @unittest.skipUnless(IS_ROOT, NEED_ROOT)
    def test_root_default_roots(self):
        port, cport = free_ports(2)
        d = self.start(daemon_args(port, cport))
        kids = self.children_by_title(d)
        self.check_dropped(d, kids["netd"], "/var/empty")
        self.check_dropped(d, kids["logd"], d.datadir)
        self.check_parent_root(d)

    @unittest.skipUnless(IS_ROOT, NEED_ROOT)
    def test_world_writable_jail(self):
        port, cport = free_ports(2)
        jail = tempfile.mkdtemp(prefix="tremmasterd-jail-")
        self.addCleanup(shutil.rmtree, jail, True)
        os.chmod(jail, 0o777)
        args = daemon_args(port, cport) + ["-j", jail]
        rc, out, err = run_cmd(args)
        info = "exit %s\n%s\n%s" % (rc, out, err)
        self.assertEqual(rc, 1, info)
        self.assertIn("writable", out + err, info)
        self.assertNotRegex(out, r"(netd|logd):", info)
        self.assertTrue(harness.port_is_free(port), info)

    def test_started_without_root(self):
        harness.skip_unless_nobody_can_run(self)
        port, cport = free_ports(2)
        d = self.start(daemon_args(port, cport), unprivileged=True)
        uid, gid = harness.unprivileged_ids()
        kids = self.children_by_title(d)
        for pid in [d.pid] + list(kids.values()):
            info = d.proc_info(pid)
            msg = "%s\n%s" % (info, d.tail())
            self.assertEqual(info["uid"], [uid] * 4, msg)
            self.assertEqual(info["gid"], [gid] * 4, msg)
            self.assertEqual(info["root"], "/", msg)
        self.assertEqual(d.count(r"not started as root"), 1, d.tail())
        self.assertRegex(d.log(), r"(?m)^\S+ \S+ master: [^\n]*not started "
                         r"as root", d.tail())


class ListenTest(unittest.TestCase):

    def assert_bound(self, d, addr, port, proto="udp"):
        e = harness.bind_errno(addr, port, proto)
        self.assertEqual(e, errno.EADDRINUSE,
                         "%s %s:%d: expected in use, bind gave %s\n%s" % (
                             proto, addr, port, os.strerror(e) if e else
                             "success", d.tail()))

    def assert_free(self, d, addr, port, proto="udp"):
        e = harness.bind_errno(addr, port, proto)
        self.assertEqual(e, 0, "%s %s:%d: expected free, bind gave %s\n%s" % (
            proto, addr, port, os.strerror(e) if e else "success", d.tail()))

    def test_all_ports_bound(self):
        p1, p2, p3, p4 = free_ports(4)
        args = ["-v", "-v", "-l", "127.0.0.1"]
        if HAVE_IPV6:
            args += ["-L", "::1"]
        args += ["-p", p1, "-p", p2, "-P", p3, "-W", p4]
        d = Daemon(self, args).start().wait_started()
        for _, addr in harness.loopback_addrs():
            for p in (p1, p2, p3):
                self.assert_bound(d, addr, p, "udp")
            self.assert_bound(d, addr, p4, "tcp")

    def test_netd_holds_the_sockets(self):
        p1, p2, p3, p4 = free_ports(4)
        args = ["-v", "-v", "-l", "127.0.0.1"]
        if HAVE_IPV6:
            args += ["-L", "::1"]
        args += ["-p", p1, "-p", p2, "-P", p3, "-W", p4]
        d = Daemon(self, args).start().wait_started()
        d.wait_for_log(r"^\S+ \S+ netd: started$")
        netd = d.child_by_title("netd")
        logd = d.child_by_title("logd")
        addrs = [a for _, a in harness.loopback_addrs()]
        nfam = len(addrs)
        expected = set()
        for p in (p1, p2, p3):
            inodes = harness.port_socket_inodes(p, ("udp", "udp6"), addrs)
            self.assertEqual(len(inodes), nfam, "udp port %d: %s\n%s" % (
                p, inodes, d.tail()))
            expected |= inodes
        inodes = harness.port_socket_inodes(p4, ("tcp", "tcp6"), addrs)
        self.assertEqual(len(inodes), nfam, "tcp port %d: %s\n%s" % (
            p4, inodes, d.tail()))
        expected |= inodes
        held = {
            "parent": harness.fd_socket_inodes(d.pid),
            "netd": harness.fd_socket_inodes(netd),
            "logd": harness.fd_socket_inodes(logd),
        }
        msg = "listening %s, held %s\n%s" % (expected, held, d.tail())
        self.assertEqual(expected - held["netd"], set(),
                         "netd lacks sockets: " + msg)
        self.assertEqual(expected & held["parent"], set(),
                         "the parent still holds sockets: " + msg)
        self.assertEqual(expected & held["logd"], set(),
                         "logd holds sockets: " + msg)

    @unittest.skipUnless(HAVE_IPV6, NEED_IPV6)
    def test_ipv4_only(self):
        p1, p2, p3 = free_ports(3)
        args = ["-v", "-v", "-4", "-l", "127.0.0.1", "-p", p1, "-P", p2,
                "-W", p3]
        d = Daemon(self, args).start().wait_started()
        for p in (p1, p2):
            self.assert_bound(d, "127.0.0.1", p, "udp")
            self.assert_free(d, "::1", p, "udp")
        self.assert_bound(d, "127.0.0.1", p3, "tcp")
        self.assert_free(d, "::1", p3, "tcp")

    @unittest.skipUnless(HAVE_IPV6, NEED_IPV6)
    def test_ipv6_only(self):
        p1, p2, p3 = free_ports(3)
        args = ["-v", "-v", "-6", "-L", "::1", "-p", p1, "-P", p2, "-W", p3]
        d = Daemon(self, args).start().wait_started()
        for p in (p1, p2):
            self.assert_bound(d, "::1", p, "udp")
            self.assert_free(d, "127.0.0.1", p, "udp")
        self.assert_bound(d, "::1", p3, "tcp")
        self.assert_free(d, "127.0.0.1", p3, "tcp")

    def test_listen_address(self):
        p1, p2 = free_ports(2)
        args = ["-v", "-v", "-4", "-l", "127.0.0.1", "-p", p1, "-P", p2]
        d = Daemon(self, args).start().wait_started()
        self.assert_bound(d, "127.0.0.1", p1, "udp")
        self.assert_bound(d, "127.0.0.1", p2, "udp")
        self.assert_free(d, "127.0.0.2", p1, "udp")
        self.assert_free(d, "127.0.0.2", p2, "udp")


if __name__ == "__main__":
    unittest.main()
