# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Plugins: the admin requests of --plugin-admin plugins (the parent
checks them, rewrites the data file, reloads it) and the log stream of
all three processes (tremmasterd-plugins(7))."""

import os
import shutil
import signal
import tempfile
import time
import unittest

from harness import IS_ROOT, free_ports, wait_until
from fakes import EXT_HDR, HDR, Master, UDPTest, recv_all, udp_socket

# A plugin that sends the lines of its script file once it is told the
# daemon is up, and records every line it reads.  "wait" in the script
# waits for the previous request's response before it goes on.
SCRIPTED = r'''#!/usr/bin/env python3
import sys
record, script = sys.argv[1], sys.argv[2]
register = sys.argv[3:]
out = open(record, "a")
todo = [l.rstrip("\n") for l in open(script)]
waiting = None

def go():
    global waiting
    while todo and waiting is None:
        line = todo.pop(0)
        if line == "wait":
            waiting = last
            continue
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        globals()["last"] = line.split("|")[1]

last = None
for line in sys.stdin:
    out.write(line)
    out.flush()
    f = line.rstrip("\n").split("|")
    if f[:3] == ["config", "1", "ready"]:
        for r in register:
            sys.stdout.write("register|" + r + "\n")
        sys.stdout.write("register|ready\n")
        sys.stdout.flush()
    elif f[:3] == ["config", "1", "initialize"]:
        go()
    elif f[0] == "response" and f[2] == waiting:
        waiting = None
        go()
out.write("eof\n")
out.flush()
'''


class PluginDir:
    """A directory the -u user can read and write: the plugin, its script
    and its record."""

    def __init__(self, test):
        self.dir = tempfile.mkdtemp(prefix="tremmasterd-plugin-")
        os.chmod(self.dir, 0o777)
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.plugin = os.path.join(self.dir, "scripted.py")
        with open(self.plugin, "w") as f:
            f.write(SCRIPTED)
        os.chmod(self.plugin, 0o755)

    def command(self, name, lines, register=()):
        rec = os.path.join(self.dir, name + ".rec")
        script = os.path.join(self.dir, name + ".script")
        with open(script, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        open(rec, "w").close()
        os.chmod(rec, 0o666)
        return "%s %s %s %s" % (self.plugin, rec, script,
                                " ".join(register)), rec

    @staticmethod
    def lines(rec):
        with open(rec) as f:
            return [l.rstrip("\n") for l in f]


class AdminTest(UDPTest):

    def start(self, plugins, files=None, unprivileged=False, verbose=1,
              extra=(), wait=True):
        args = list(extra)
        for opt, cmd in plugins:
            args += [opt, cmd]
        m = Master(self, args, verbose=verbose, files=files)
        if unprivileged and IS_ROOT:
            m.d.unprivileged = True
        if wait:
            m.start()
        else:
            m.d.start()
        return m

    def responses(self, rec, n, m, timeout=5):
        """The first n response lines of rec, as {token: fields}."""
        def got():
            return [l for l in PluginDir.lines(rec)
                    if l.startswith("response|")]
        if not wait_until(lambda: len(got()) >= n, timeout):
            self.fail("%d responses expected in %s, got %r\n%s" % (
                n, rec, got(), m.tail()))
        return {l.split("|")[2]: l.split("|")[3:] for l in got()}

    def motd(self, m):
        sock = udp_socket(self, "127.0.0.1")
        sock.sendto(HDR + b"getmotd\\challenge\\5\\version\\tremulous 1.1"
                    b"\\renderer\\OpenGL", ("127.0.0.1", m.port))
        return b"".join(d for d, _ in recv_all(sock))

    def test_admin_requests_change_the_files(self):
        pd = PluginDir(self)
        sport = free_ports(1)[0]
        cmd, rec = pd.command("admin", [
            "request|a1|ignore-add|127.0.0.7",
            "wait",
            "request|a2|motd-set|Hello plugin world",
            "wait",
            "request|a3|featured-set|Group A|127.0.0.8:%d" % sport,
            "wait",
            "request|a4|ignore-remove|10.0.0.0/8",
            "wait",
            "request|a5|ignore-add|not-an-address",
            "wait",
            "request|a6|featured-set|Group B|nosuchhost.invalid:1",
            "wait",
            "request|a7|featured-set|No Such Group|",
            "wait",
            "request|a8|motd-set|back\\134slash",
            "wait",
            "request|a9|reload",
        ])
        files = {"ignore.txt": "# the operator's comment\n"
                 "10.0.0.0/8 192.0.2.1 # two entries\n",
                 "featured.txt": "Old Group\n    127.0.0.9:27960\n"}
        m = self.start([("--plugin-admin", cmd)], files=files)
        r = self.responses(rec, 9, m)
        self.assertEqual(r["a1"], ["ok"], r)
        self.assertEqual(r["a2"], ["ok"], r)
        self.assertEqual(r["a3"], ["ok"], r)
        self.assertEqual(r["a4"], ["ok"], r)
        self.assertEqual(r["a5"], ["error", "not an address or address/bits"],
                         r)
        self.assertEqual(r["a6"][0], "error", r)
        self.assertIn("featured.txt would not load", r["a6"][1])
        self.assertEqual(r["a7"], ["error", "no such group"], r)
        self.assertEqual(r["a8"][0], "error", r)
        self.assertEqual(r["a9"], ["ok"], r)
        # The files: comments kept, entries changed, nothing half-written.
        self.assertEqual(m.d.read_file("ignore.txt"),
                         "# the operator's comment\n"
                         "192.0.2.1 # two entries\n127.0.0.7\n")
        self.assertEqual(m.d.read_file("motd.txt"), "Hello plugin world\n")
        self.assertEqual(m.d.read_file("featured.txt"),
                         "Old Group\n    127.0.0.9:27960\n"
                         "Group A\n    127.0.0.8:%d\n" % sport)
        self.assertFalse([n for n in os.listdir(m.d.datadir)
                          if n.endswith(".tmp")])
        # And on the wire: the motd, the ignored address, the group.
        self.assertIn(b"Hello plugin world", self.motd(m))
        bad = self.server(m, "127.0.0.7")
        bad.heartbeat()
        bad.expect_nothing()
        # A featured group is a label on listed servers.
        self.server(m, "127.0.0.8", port=sport).register()
        m.d.wait_for_log(r"netd: server 127\.0\.0\.8:%d verified" % sport,
                         3)
        c = self.client(m)
        c.send(HDR + b"getserversExt Tremulous 69 empty full")
        answer = b"".join(d for d, _ in c.recv_all())
        self.assertTrue(answer.startswith(EXT_HDR), answer)
        self.assertIn(b"Group A", answer)
        m.d.wait_for_log(r"master: plugin scripted\.py: admin request "
                         r"refused: not an address or address/bits", 2)
        # The reloads went to netd.
        m.d.wait_for_log(r"netd: data files: 2 featured servers in 2 "
                         r"groups, 2 ignore entries, motd of 18 bytes", 2)

    def test_admin_refused_without_plugin_admin(self):
        pd = PluginDir(self)
        cmd, rec = pd.command("plain", [
            "request|b1|ignore-add|127.0.0.7",
            "request|b2|motd-set|no",
            "request|b3|reload",
            "request|b4|shutdown",
            "request|b5|counters",
        ])
        m = self.start([("--plugin", cmd)],
                       files={"motd.txt": "unchanged\n"})
        r = self.responses(rec, 5, m)
        for t in ("b1", "b2", "b3", "b4"):
            self.assertEqual(r[t], ["error", "not an admin plugin"], r)
        self.assertEqual(r["b5"][0], "ok", r)
        self.assertEqual(m.d.read_file("motd.txt"), "unchanged\n")
        self.assertFalse(os.path.exists(m.d.path("ignore.txt")))
        self.assertTrue(m.d.running())

    def test_admin_shutdown(self):
        pd = PluginDir(self)
        cmd, rec = pd.command("stop", ["request|s1|shutdown"])
        m = self.start([("--plugin-admin", cmd)], wait=False)
        self.assertEqual(m.d.wait(), 0, m.tail())
        lines = PluginDir.lines(rec)
        self.assertIn("response|1|s1|ok", lines)
        self.assertEqual(lines[-1], "eof", lines)
        m.d.wait_for_log(r"master: plugin scripted\.py: shutting down", 1)
        self.assertEqual(m.d.leftovers(), [])

    def test_log_stream_of_all_processes(self):
        """At --verbose 1 the daemon itself logs errors only; a plugin
        asking for the debug level gets the lines of master, netd and
        logd anyway, and one asking for error gets none of the others."""
        pd = PluginDir(self)
        debug, rec = pd.command("debug", [], ["report|log|debug"])
        quiet, qrec = pd.command("quiet", [], ["report|log|error"])
        m = self.start([("--plugin", debug), ("--plugin", quiet)],
                       unprivileged=True, verbose=0,
                       extra=("-d", "tdb", "--verbose", "1"), wait=False)
        for r in (rec, qrec):
            if not wait_until(lambda: "config|1|initialize" in
                              PluginDir.lines(r), 5):
                self.fail("%s: no initialize\n%s" % (r, m.tail()))
        m.d.signal(signal.SIGHUP)
        # logd writes a debug line per client record (getmotd).
        self.motd(m)

        def logs(r, proc):
            return [l for l in PluginDir.lines(r)
                    if l.startswith("report|1|") and
                    l.split("|")[3:5] == ["log", proc]]
        ok = wait_until(lambda: logs(rec, "master") and logs(rec, "netd")
                        and logs(rec, "logd"), 5)
        self.assertTrue(ok, "%r\n%s" % (PluginDir.lines(rec), m.tail()))
        self.assertTrue(any(l.endswith("|print|received SIGHUP, reloading "
                                       "data files")
                            for l in logs(rec, "master")),
                        logs(rec, "master"))
        self.assertTrue(any("|debug|client 127.0.0.1:" in l
                            for l in logs(rec, "logd")), logs(rec, "logd"))
        # The daemon's own log, at -v 0, has none of it.
        self.assertNotIn("received SIGHUP", m.d.log())
        time.sleep(0.3)
        self.assertFalse([l for l in PluginDir.lines(qrec)
                          if "|log|" in l and "|error|" not in l and
                          "|always|" not in l], PluginDir.lines(qrec))


class ParentTest(AdminTest):
    """What a plugin can do to the parent, and the lines netd refuses."""

    def script(self, pd, name, text):
        path = os.path.join(pd.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    @staticmethod
    def cpu_ticks(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def test_child_left_behind_on_stderr(self):
        """A plugin that exits and leaves a child holding its standard
        error: the parent closes that pipe when the plugin is reaped, so
        the child's late line is not logged, the parent does not spin on
        the pipe once the child closes it, and restarts leak nothing."""
        pd = PluginDir(self)
        cmd = self.script(pd, "orphan.sh", "#!/bin/sh\n"
                          "( sleep 0.5; echo late >&2 ) &\n"
                          "echo early >&2\nexit 1\n")
        m = self.start([("--plugin", cmd)])
        m.d.wait_for_log(r"master: plugin orphan\.sh: exited with status 1; "
                         r"starting it again in 2 s", 6)
        fds = len(os.listdir("/proc/%d/fd" % m.d.pid))
        t0 = self.cpu_ticks(m.d.pid)
        time.sleep(2.0)
        used = (self.cpu_ticks(m.d.pid) - t0) / os.sysconf("SC_CLK_TCK")
        # A spin takes the whole of the 2 s; an idle parent nearly none.
        self.assertLess(used, 1.0, "the parent used %.2f s of CPU in 2 s\n"
                        "%s" % (used, m.tail()))
        m.d.wait_for_log(r"master: plugin orphan\.sh: exited with status 1; "
                         r"starting it again in 4 s", 6)
        self.assertLessEqual(len(os.listdir("/proc/%d/fd" % m.d.pid)), fds)
        self.assertGreaterEqual(m.d.count(r"plugin orphan\.sh: early$"), 2)
        self.assertEqual(m.d.count(r"plugin orphan\.sh: late$"), 0,
                         m.tail())

    def test_nul_byte_ends_the_plugin(self):
        pd = PluginDir(self)
        cmd = self.script(pd, "nul.py", "#!/usr/bin/env python3\n"
                          "import sys\n"
                          "for line in sys.stdin:\n"
                          "    if line == 'config|1|ready\\n':\n"
                          "        sys.stdout.write('register|ready\\0x\\n')\n"
                          "        sys.stdout.flush()\n")
        m = self.start([("--plugin", cmd)])
        m.d.wait_for_log(r"netd: plugin nul\.py: protocol error: a NUL byte "
                         r"in a line$", 5)
        # Ended: it reads end of file and exits, or SIGTERM comes first.
        m.d.wait_for_log(r"master: plugin nul\.py: (exited with status 0|"
                         r"terminated by signal 15); starting it again in "
                         r"1 s", 5)
        self.assertNotIn("registered", m.d.log())


if __name__ == "__main__":
    unittest.main()
