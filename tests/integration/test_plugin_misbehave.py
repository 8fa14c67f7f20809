# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Plugins that misbehave, and the daemon that must not care: a plugin
that crashes, one that never reads, one that breaks the protocol, a
command that cannot run, and the shutdown of plugins that stop and of
one that will not.  The plugins are the small ones in plugins/."""

import os
import re
import shutil
import time
import unittest

from harness import IS_ROOT, NEED_ROOT, free_ports, run_cmd
from fakes import HDR, LINE, register_many
from plugintest import PLUGINS, PluginTest, version


class CrashTest(PluginTest):

    def test_crash_restarted(self):
        """A plugin that exits is logged and started again after 1 s,
        then 2 s, each time with a new PID and a new handshake; the
        daemon goes on serving lists."""
        m = self.pmaster()
        rec = m.recorder("crash")
        m.plugin("crash.py", rec.path)
        m.start()
        c = self.client(m)
        s = self.server(m, "127.0.0.60")
        s.register()
        c.wait_listed([s])
        m.d.wait_for_log(LINE + r"master: plugin crash\.py: crashing on "
                         r"purpose$")
        m.d.wait_for_log(LINE + r"master: plugin crash\.py: exited with "
                         r"status 1; starting it again in 1 s$")
        m.d.wait_for_log(LINE + r"master: plugin crash\.py: exited with "
                         r"status 1; starting it again in 2 s$", timeout=5)
        pids = [int(x) for x in re.findall(
            r"master: plugin crash\.py: started \S+, pid (\d+)$",
            m.d.log(), re.M)]
        self.assertGreaterEqual(len(pids), 2, m.tail())
        self.assertEqual(len(set(pids)), len(pids), pids)
        rec.wait(r"start\|%d" % pids[1])
        # Each instance has the whole handshake.
        v = version()
        for n in (0, 1):
            got = rec.instance(n)
            self.assertEqual(got, [
                "start|%d" % pids[n], "config|1|tremmasterd|" + v,
                "config|1|protocol|1", "config|1|name|crash.py",
                "config|1|admin|no", "config|1|filter-timeout|1000",
                "config|1|ready"], got)
        self.assertTrue(m.alive(), m.tail())
        self.assertPlain(c, [s])
        s2 = self.server(m, "127.0.0.61")
        s2.register()
        c.wait_listed([s, s2])


class NoReadTest(PluginTest):

    def test_plugin_that_never_reads(self):
        """A plugin that asks for every report and reads none costs netd
        nothing: lists are answered at once, reports past its queue are
        lost and counted, and another plugin loses nothing."""
        m = self.pmaster()
        nr = m.recorder("noread")
        m.plugin("noread.py", nr.path)
        drv = m.driver("drv", "report|server", control="ctl")
        m.start()
        nr.wait(r"start\|\d+")
        drv.wait(r"config\|1\|initialize")
        m.d.wait_for_log(LINE + r"netd: plugin noread\.py: registered server "
                         r"reports log$")
        nr_pid = m.plugin_pid(nr.path)

        # Debug lines for it: two for every packet, with 100 bytes that
        # each take 7 in a log report; until netd drops its reports.
        junk = HDR + b"\xff" * 96
        c = self.client(m)
        lost = 0
        deadline = time.monotonic() + 20
        n = 0
        while time.monotonic() < deadline:
            for _ in range(10):
                for _ in range(100):
                    c.send(junk)
                time.sleep(0.002)
            n += 1
            lost = drv.counters("c%d" % n)["reports-lost"]
            if lost > 0:
                break
        self.assertGreater(lost, 0, m.tail())

        # Servers register and lists come at once meanwhile.
        servers = [self.server(m, "127.0.1.%d" % (i + 1)) for i in range(40)]
        for _ in range(3):
            for _ in range(200):
                c.send(junk)
        register_many(self, m, servers)
        c.wait_listed(servers)
        for _ in range(5):
            t0 = time.monotonic()
            got = c.plain_set()
            self.assertLess(time.monotonic() - t0, 0.5, m.tail())
            self.assertEqual(got, {s.entry for s in servers})
        n2 = drv.counters("after")
        self.assertGreater(n2["reports-lost"], lost, n2)
        self.assertEqual(n2["servers"], 40, n2)
        self.assertEqual(n2["plugins-ended"], 0, n2)
        # The well-behaved plugin got every server.
        for s in servers:
            drv.wait(r"report\|1\|[^|]*\|server-add\|%s\|udp\|.*" %
                     re.escape(s.addr_str))
        self.assertEqual(drv.matching(r"report\|1\|[^|]*\|lost\|.*"), [])
        # Never ended for not reading.
        self.assertEqual(m.plugin_pids(nr.path), [nr_pid])
        self.assertNotRegex(m.d.log(), r"plugin noread\.py: (protocol|ended)")


class MalformedTest(PluginTest):

    # mode, what netd logs after "protocol error: "
    CASES = [
        ("stream", r"report\|1\|server-add"),
        ("long", r"a line longer than 16384 bytes"),
        ("escape", r"filter-result\|0123456789abcdef\|rewrite\|\\\\9zz"),
        ("early", r"request\|t1\|counters"),
        ("again", r"register\|report\|server"),
        ("control", r"request\|t1\|count\\ters"),
    ]

    def test_protocol_errors(self):
        """Each bad line ends its plugin with "protocol error" in the log
        and the parent starts it again; the daemon goes on."""
        m = self.pmaster()
        recs = []
        for mode, _ in self.CASES:
            rec = m.recorder("bad-" + mode)
            m.plugin("malformed.py", mode, rec.path)
            recs.append(rec)
        drv = m.driver("drv", control="ctl")
        m.start()
        names = ["malformed.py"] + ["malformed.py-%d" % i
                                    for i in range(2, len(self.CASES) + 1)]
        for name, (mode, why), rec in zip(names, self.CASES, recs):
            n = re.escape(name)
            m.d.wait_for_log(LINE + r"netd: plugin %s: protocol error: %s$"
                             % (n, why))
            m.d.wait_for_log(LINE + r"master: plugin %s: ended by netd "
                             r"\(protocol error: %s\)$" % (n, why))
            m.d.wait_for_log(LINE + r"master: plugin %s: .*; starting it "
                             r"again in 1 s$" % n)
            rec.wait(r"start\|\d+", count=2)
            m.d.wait_for_log(LINE + r"netd: plugin %s: protocol error: %s$"
                             % (n, why), count=2)
        drv.wait(r"config\|1\|initialize")
        n = drv.counters("c1")
        self.assertGreaterEqual(n["plugins-ended"], 2 * len(self.CASES), n)
        c = self.client(m)
        s = self.server(m, "127.0.0.62")
        s.register()
        c.wait_listed([s])
        self.assertTrue(m.alive(), m.tail())


class CommandTest(PluginTest):

    def refused(self, cmd, why, opt="--plugin"):
        """tremmasterd exits 1 at once, saying why on standard error."""
        p, cp = free_ports(2)
        t0 = time.monotonic()
        rc, out, err = run_cmd(["-l", "127.0.0.1", "-p", p, "-P", cp, opt,
                                cmd])
        self.assertLess(time.monotonic() - t0, 3, err)
        self.assertEqual(rc, 1, (cmd, out, err))
        self.assertEqual(err, "tremmasterd: %s: %s\n" % (opt, why), cmd)
        self.assertEqual(out, "")

    def test_commands_that_cannot_run(self):
        m = self.pmaster()
        d = m.pdir
        text = os.path.join(d, "text.py")
        with open(text, "w") as f:
            f.write("#!/usr/bin/env python3\n")
        os.chmod(text, 0o644)
        nointerp = os.path.join(d, "nointerp.py")
        with open(nointerp, "w") as f:
            f.write("#!/nonexistent/python3\n")
        os.chmod(nointerp, 0o755)
        user = " by user nobody" if IS_ROOT else ""
        self.refused("/nonexistent/plugin.py --x",
                     "/nonexistent/plugin.py: No such file or directory")
        self.refused("no-such-tremmasterd-plugin",
                     "no-such-tremmasterd-plugin: command not found")
        self.refused(text + " --x", "%s: not executable%s" % (text, user))
        self.refused(nointerp, "/nonexistent/python3: No such file or "
                     "directory")
        self.refused(d, "%s: not a regular file" % d, "--plugin-admin")
        self.refused("   ", "empty command")

    @unittest.skipUnless(IS_ROOT, "needs root (-u nobody)")
    def test_command_in_a_directory_nobody_cannot_search(self):
        """A plugin the -u user cannot reach is refused at start-up too,
        not started again and again."""
        m = self.pmaster()
        hidden = m.d.make_dir("tremmasterd-hidden-")
        os.chmod(hidden, 0o700)
        path = os.path.join(hidden, "crash.py")
        shutil.copyfile(os.path.join(PLUGINS, "crash.py"), path)
        os.chmod(path, 0o755)
        self.refused(path + " x", "%s: not executable by user nobody "
                     "(%s is not searchable)" % (path, hidden))


    def test_relative_command_data_directory_elsewhere(self):
        """A relative command runs the file the start-up check found,
        from the directory the daemon started in, though the plugin's
        working directory is the data directory (-j)."""
        m = self.pmaster()
        jail = m.d.make_dir("tremmasterd-jail-")
        os.chmod(jail, 0o755)
        here = m.d.datadir                      # the daemon's cwd
        shutil.copyfile(os.path.join(PLUGINS, "crash.py"),
                        os.path.join(here, "crash.py"))
        os.chmod(os.path.join(here, "crash.py"), 0o755)
        rec = m.recorder("crash")
        m.d.args += ["-j", jail]
        m.add("./crash.py " + rec.path)
        m.start()
        rec.wait(r"config\|1\|ready")
        m.d.wait_for_log(LINE + r"master: plugin crash\.py: started %s/\./"
                         r"crash\.py, pid \d+$" % re.escape(here))
        self.assertNotRegex(m.d.log(), r"cannot execute", m.tail())

    @unittest.skipUnless(IS_ROOT, "needs root (-u nobody)")
    def test_data_directory_nobody_cannot_enter(self):
        """The plugin starts in the data directory, entered before the
        switch to the -u user as netd and logd enter their chroots: a
        directory of root's that the user cannot enter does not stop it."""
        if not IS_ROOT:
            self.skipTest(NEED_ROOT)
        m = self.pmaster()
        rec = m.recorder("crash")
        m.plugin("crash.py", rec.path)
        os.chmod(m.d.datadir, 0o700)
        m.start()
        # It ran: the handshake reached it, and it exited as it does.
        rec.wait(r"config\|1\|ready")
        m.d.wait_for_log(LINE + r"master: plugin crash\.py: exited with "
                         r"status 1; starting it again in 1 s$")
        self.assertNotRegex(m.d.log(), r"cannot (execute|enter)", m.tail())


class ShutdownTest(PluginTest):

    def test_shutdown(self):
        """SIGTERM: the plugins read end of file, the example writes its
        cleanup line, everything exits and the daemon exits 0."""
        m = self.pmaster()
        ex = m.recorder("ex")
        m.example("ex")
        drv = m.driver("drv", "report|server")
        m.start()
        ex.wait(r"table\|0")
        drv.wait(r"config\|1\|initialize")
        s = self.server(m, "127.0.0.63")
        s.register()
        ex.wait(r"report\|1\|[^|]*\|server-add\|.*")
        pids = m.plugin_pids()
        self.assertEqual(len(pids), 2, m.tail())
        took = m.stop_and_check(self, grace=3)
        self.assertEqual(ex.lines()[-1], "eof|1", ex.lines())
        self.assertEqual(drv.lines()[-1], "eof", drv.lines())
        self.assertLess(took, 2.5, m.tail())
        self.assertNotRegex(m.d.log(), r"sending SIGTERM|SIGKILL")

    def test_shutdown_stubborn_plugin(self):
        """A plugin that ignores end of file and SIGTERM gets SIGTERM 2 s
        after end of file and SIGKILL 2 s later; the daemon exits 0 well
        within its own grace (10 s)."""
        m = self.pmaster()
        rec = m.recorder("stubborn")
        m.plugin("stubborn.py", rec.path)
        m.start()
        rec.wait(r"start\|\d+")
        m.d.wait_for_log(LINE + r"netd: plugin stubborn\.py: registered$")
        pid = m.plugin_pid(rec.path)
        took = m.stop_and_check(self, grace=8)
        self.assertGreaterEqual(took, 3.5, m.tail())
        self.assertEqual(rec.lines()[-1], "eof")
        log = m.d.log()
        self.assertRegex(log, LINE + r"master: plugin stubborn\.py: still "
                         r"running 2 s after end of file, sending SIGTERM$")
        self.assertRegex(log, LINE + r"master: plugin stubborn\.py: still "
                         r"running 4 s after end of file, sending SIGKILL$")
        self.assertRegex(log, LINE + r"master: plugin stubborn\.py: "
                         r"terminated by signal 9$")
        self.assertNotIn(pid, m.strays())


if __name__ == "__main__":
    unittest.main()
