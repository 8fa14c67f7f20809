# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Helpers for the plugin tests (test_plugin*.py): a tremmasterd started
with plugins, the record files the plugins write, and the plugins' PIDs.

The plugins are the example (examples/plugins/example.py) and the small
ones in tests/integration/plugins/.  Each run copies those it uses into a
temporary directory of its own (mode 0755), so that the -u user (nobody,
when the tests run as root) can execute them wherever the tree is; what
they write goes to another one, mode 0777.  The daemon's data directory,
the plugins' working directory, is made searchable for the same reason.

A plugin runs in a session of its own (setsid), so Daemon.leftovers()
does not see it: every process whose command line holds the run's plugin
directory is looked for by PID instead, and killed by PID in a cleanup
that runs after the daemon is stopped.
"""

import os
import re
import shutil
import signal
import stat
import time

from harness import (IS_ROOT, all_pids, children_of, cmdline, free_ports,
                     kill_pids, pid_alive, run_cmd,
                     skip_unless_nobody_can_run, wait_until)
from fakes import Master, UDPTest
from ws_client import WSClient

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(REPO, "examples", "plugins", "example.py")
PLUGINS = os.path.join(HERE, "plugins")

TIME = r"\d{10}\.\d{6}"         # TIME of a line from netd
TOKEN = r"[0-9a-f]{16}"         # TOKEN of a filter line
RECORD_WAIT = 5.0               # how long a line may take to be recorded
RESTART_WAIT = 5.0              # a plugin started again (1 s, then 2 s)


def version():
    """The binary's VERSION, as tremmasterd -V prints it."""
    rc, out, _ = run_cmd(["-V"])
    assert rc == 0 and out.startswith("tremmasterd "), out
    return out.split()[1]


class PluginMaster(Master):
    """A fakes.Master with plugins.  Build it, add plugins (plugin(),
    example()), then start() it.  Its plugins run from self.pdir and
    write to self.rdir."""

    def __init__(self, test, args=(), verbose=1, ws=False, **kw):
        # Registered first, so run last: after the daemon is stopped.
        test.addCleanup(self.kill_plugins)
        self.pdir = None
        self.wsport = None
        args = [str(a) for a in args]
        if ws:
            ports = free_ports(3)
            self.wsport = ports.pop()
            kw["ports"] = ports
            args += ["-W", str(self.wsport)]
        super().__init__(test, args, verbose=verbose, **kw)
        self.pdir = self.d.make_dir("tremmasterd-plugins-")
        self.rdir = self.d.make_dir("tremmasterd-record-")
        os.chmod(self.pdir, 0o755)
        os.chmod(self.rdir, 0o777)
        os.chmod(self.d.datadir, 0o755)
        self.seen = set()

    # -- set-up, before start()

    def install(self, src):
        """Copy the plugin src into the run's plugin directory; returns
        the copy's path."""
        dst = os.path.join(self.pdir, os.path.basename(src))
        if not os.path.exists(dst):
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o755)
        return dst

    def record(self, name):
        """The path of a record file in the run's record directory."""
        return os.path.join(self.rdir, name)

    def recorder(self, name, control=None):
        """The Recorder of the record file name."""
        return Recorder(self, name, control)

    def fifo(self, name):
        """A FIFO in the record directory, open to every user."""
        path = self.record(name)
        os.mkfifo(path)
        os.chmod(path, 0o666)
        return path

    def add(self, command, admin=False):
        """--plugin command (--plugin-admin with admin)."""
        assert not self.d.running(), "plugins are added before start()"
        self.d.args += ["--plugin-admin" if admin else "--plugin", command]

    def plugin(self, name, *args, admin=False):
        """Add tests/integration/plugins/name with args; returns the
        command."""
        cmd = " ".join([self.install(os.path.join(PLUGINS, name))] +
                       [str(a) for a in args])
        self.add(cmd, admin)
        return cmd

    def example(self, record, *args, admin=False):
        """Add the example plugin, recording to self.record(record)."""
        cmd = " ".join([self.install(EXAMPLE), "--record",
                        self.record(record)] + [str(a) for a in args])
        self.add(cmd, admin)
        return cmd

    def driver(self, record, *register, control=None, verdict=None,
               ready_delay=None, admin=False):
        """Add plugins/driver.py recording to self.record(record),
        registering each of register (with --plugin-admin if admin);
        returns a Recorder for it, and with control (a FIFO name) a way
        to send it lines."""
        args = ["--record", self.record(record)]
        for r in register:
            args += ["--register", r]
        if control is not None:
            args += ["--control", self.fifo(control)]
        if verdict is not None:
            args += ["--verdict", verdict]
        if ready_delay is not None:
            args += ["--ready-delay", str(ready_delay)]
        self.plugin("driver.py", *args, admin=admin)
        return Recorder(self, record, control)

    # -- running

    def start(self):
        """Start and wait for netd and logd, as Master.start() does; the
        plugins' children do not count as the daemon's."""
        d = self.d
        d.start()
        d.wait_for_log(r"^\S+ \S+ netd: data files: ")
        if not wait_until(lambda: self.child("netd") and self.child("logd"),
                          5):
            self.test.fail("netd and logd did not appear\n" + d.tail())
        if self.wsport is not None:
            d.wait_for_log(r"\[WS\] listening on IPv4 port %d" % self.wsport)
        return self

    def ws(self, source=None, host="127.0.0.1"):
        """An upgraded WebSocket connection to wsport (for
        wsfakes.WSGameServer), closed by a cleanup."""
        c = WSClient(host, self.wsport, source=source)
        self.test.addCleanup(c.close)
        c.connect()
        c.handshake()
        return c

    def child(self, name):
        for p in children_of(self.d.pid):
            if (cmdline(p) or "").startswith("tremmasterd: " + name):
                return p
        return None

    def alive(self):
        """The parent, netd and logd run (plugins do not count)."""
        return self.d.running() and self.child("netd") is not None and \
            self.child("logd") is not None

    def plugin_pids(self, needle=""):
        """The PIDs of the daemon's running plugins whose command line
        holds needle (e.g. a record file's path)."""
        out = []
        for p in children_of(self.d.pid):
            c = cmdline(p) or ""
            if self.pdir in c and needle in c:
                out.append(p)
        self.seen.update(out)
        return out

    def plugin_pid(self, needle, timeout=RESTART_WAIT, other_than=()):
        """The PID of the one plugin whose command line holds needle,
        once it runs (and is none of other_than)."""
        got = wait_until(lambda: [p for p in self.plugin_pids(needle)
                                  if p not in other_than], timeout)
        if len(got) != 1:
            self.test.fail("plugin %r: PIDs %s (not %s)\n%s" % (
                needle, got, list(other_than), self.tail()))
        return got[0]

    def signal_plugin(self, pid, sig):
        """Send sig to pid, a plugin of this run."""
        self.test.assertIn(pid, self.plugin_pids(), self.tail())
        os.kill(pid, sig)

    def strays(self):
        """Live processes started from the run's plugin directory."""
        if self.pdir is None:
            return []
        out = []
        for p in all_pids():
            if p == os.getpid():
                continue
            c = cmdline(p)
            if c and self.pdir in c and pid_alive(p):
                out.append(p)
        return out

    def kill_plugins(self):
        """Cleanup: any plugin left is killed, by PID."""
        left = self.strays()
        if left:
            kill_pids(left, signal.SIGKILL)
            wait_until(lambda: not self.strays(), 5)

    def stop_and_check(self, test, grace=8.0):
        """SIGTERM the daemon; it must exit 0 within grace seconds and
        leave no process behind, plugins included.  Returns the seconds
        it took."""
        t0 = time.monotonic()
        self.d.signal(signal.SIGTERM)
        rc = self.d.wait(grace + 2)
        took = time.monotonic() - t0
        test.assertEqual(rc, 0, self.tail())
        test.assertLessEqual(took, grace, self.tail())
        test.assertEqual(self.d.leftovers(), [], self.tail())
        test.assertTrue(wait_until(lambda: not self.strays(), 2),
                        "plugins left: %s\n%s" % (
                            [(p, cmdline(p)) for p in self.strays()],
                            self.tail()))
        return took


class Recorder:
    """The record file of a plugin (the example's --record, or driver's),
    and the FIFO it takes lines on."""

    def __init__(self, m, name, control=None):
        self.m = m
        self.path = m.record(name)
        self.control = m.record(control) if control else None

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read().decode("ascii", "replace")
        except FileNotFoundError:
            return []
        # A line being written is not a line yet.
        return data.split("\n")[:-1]

    def starts(self):
        """The indices of the lines that begin an instance of the plugin:
        "start|PID" (the plugins of plugins/), or the first config line
        (the example, which writes no line of its own first)."""
        lines = self.lines()
        s = [i for i, line in enumerate(lines) if line.startswith("start|")]
        return s or [i for i, line in enumerate(lines)
                     if line.startswith("config|1|tremmasterd|")]

    def instance(self, n=-1):
        """The lines of the plugin's nth instance (default: the last)."""
        lines = self.lines()
        s = self.starts() or [0]
        i = range(len(s))[n]
        return lines[s[i]:s[i + 1] if i + 1 < len(s) else len(lines)]

    def wait(self, regex, timeout=RECORD_WAIT, count=1, after=0):
        """Wait until regex (full line) matched count lines, from line
        index after on; returns the matching lines."""
        r = re.compile(regex)
        got = []

        def found():
            got[:] = [line for line in self.lines()[after:]
                      if r.fullmatch(line)]
            return len(got) >= count
        if not wait_until(found, timeout, 0.02):
            self.m.test.fail("%r (x%d) not in %s after %.1f s:\n%s\n%s" % (
                regex, count, self.path, timeout,
                "\n".join(self.lines()[-30:]), self.m.tail()))
        return got

    def matching(self, regex, after=0):
        r = re.compile(regex)
        return [line for line in self.lines()[after:] if r.fullmatch(line)]

    def send(self, *lines):
        """Lines for the driver to send to netd, all of them however many:
        the write waits while the driver reads the FIFO."""
        data = "".join(line + "\n" for line in lines).encode()
        fd = os.open(self.control, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.set_blocking(fd, True)
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)

    def request(self, token, *fields, timeout=RECORD_WAIT):
        """Send request|token|fields... and return the response line's
        fields after response|1|token|."""
        self.send("|".join(("request", token) + fields))
        line = self.wait(r"response\|1\|%s\|.*" % re.escape(token),
                         timeout)[-1]
        return line.split("|")[3:]

    def counters(self, token):
        """request|token|counters, as a dict of ints."""
        f = self.request(token, "counters")
        self.m.test.assertEqual(f[0], "ok", f)
        return {k: int(v) for k, v in (x.split("=") for x in f[1:])}


def fields(line):
    """A line from netd split at |."""
    return line.split("|")


class PluginTest(UDPTest):
    MASTER = PluginMaster

    def setUp(self):
        skip_unless_nobody_can_run(self)
        skip_unless_plugins_can_run(self)

    def pmaster(self, args=(), verbose=1, **kw):
        """A PluginMaster, not started: add plugins, then start()."""
        m = PluginMaster(self, args, verbose=verbose, **kw)
        self.addCleanup(self._check_alive, m)
        return m

    def _check_alive(self, m):
        # Not started, or stopped (or waited for) by the test itself.
        if m.d._stopped or m.d.proc is None or m.d.returncode is not None:
            return
        if not m.alive():
            raise AssertionError("the daemon or a child died\n" + m.tail())


def skip_unless_plugins_can_run(test):
    """Skip when, as root, nobody could not run python3 (the plugins'
    interpreter)."""
    if not IS_ROOT:
        return
    py = shutil.which("python3")
    if py is None:
        test.skipTest("no python3 in PATH")
    st = os.stat(os.path.realpath(py))
    if not st.st_mode & stat.S_IXOTH:
        test.skipTest("nobody cannot execute %s" % py)
