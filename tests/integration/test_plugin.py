# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The plugin protocol, version 1, seen from well-behaved plugins: the
handshake, the plugin's process, the snapshot, the server reports and
the log stream, the filters and the requests (netd/plugin.c and
master/plugin.c are its two sides).  The plugins are the example
(examples/plugins/example.py), which records every line netd sends it,
and plugins/driver.py, which the tests steer.  Everything goes over
loopback; the lines are checked byte for byte."""

import os
import pwd
import re
import signal
import time
import unittest

from harness import IS_ROOT, proc_stat, unprivileged_ids
from fakes import EXT_HDR, HDR, LINE, PLAIN_HDR, v4_entry_bytes
from plugintest import TIME, TOKEN, PluginTest, fields, version
from wsfakes import WSGameServer


def esc(data):
    """Bytes as a field of the protocol (the reference escape)."""
    return "".join(chr(b) if 0x20 <= b <= 0x7e and b not in b"|\\"
                   else "\\%03o" % b for b in data)


def add_line(s, event="server-add", label="", protocols="69", **over):
    """The regex of a server-add or server-update line for the fake
    server s, with the fields of the infoResponse it answers with (over
    replaces some, as in FakeServer.answer())."""
    k = dict(s.keys)
    k.update((key, str(v)) for key, v in over.items())
    return (r"report\|1\|%s\|%s\|%s\|udp\|%s\|%s\|%s\|%s\|\d+\|\d+"
            r"\|%s\|%s\|%s\|%s" % (
                TIME, event, re.escape(s.addr_str), re.escape(label),
                re.escape(protocols), k["clients"], k["sv_maxclients"],
                re.escape(esc(k.get("game", "").encode())),
                re.escape(esc(k.get("gamename", "").encode())),
                re.escape(esc(k.get("mapname", "").encode())),
                re.escape(esc(k.get("hostname", "").encode()))))


def remove_line(s, reason, transport="udp"):
    return r"report\|1\|%s\|server-remove\|%s\|%s\|%s" % (
        TIME, re.escape(s.addr_str), transport, reason)


class HandshakeTest(PluginTest):

    def test_config_lines_initialize_snapshot(self):
        """The six config lines, exactly; initialize only once the plugin
        said register|ready (driver.py waits 0.4 s before it does, and
        reads meanwhile), then the empty snapshot."""
        m = self.pmaster()
        drv = m.driver("drv", "report|server", ready_delay=0.4)
        m.example("plain")
        m.example("admin", admin=True)
        m.start()
        v = version()
        lines = drv.wait(r"report\|1\|%s\|snapshot-end" % TIME)
        lines = drv.lines()
        self.assertRegex(lines[0], r"^start\|\d+$")
        self.assertEqual(lines[1:9], [
            "config|1|tremmasterd|" + v,
            "config|1|protocol|1",
            "config|1|name|driver.py",
            "config|1|admin|no",
            "config|1|filter-timeout|1000",
            "config|1|ready",
            "> register|report|server",
            "> register|ready",
        ], m.tail())
        self.assertEqual(lines[9], "config|1|initialize", lines)
        self.assertRegex(lines[10], r"^report\|1\|%s\|snapshot-end$" % TIME)
        self.assertEqual(len(lines), 11, lines)
        # TIME is the wall clock.
        t = float(fields(lines[10])[2])
        self.assertLess(abs(t - time.time()), 30, lines[10])

        # The example twice: names made unique, admin yes for the
        # --plugin-admin one; the counters it asks for at initialize.
        for rec, name, admin in (("plain", "example.py", "no"),
                                 ("admin", "example.py-2", "yes")):
            r = m.recorder(rec)
            r.wait(r"response\|1\|t1\|ok\|.*")
            got = r.lines()
            self.assertEqual(got[:6], [
                "config|1|tremmasterd|" + v, "config|1|protocol|1",
                "config|1|name|" + name, "config|1|admin|" + admin,
                "config|1|filter-timeout|1000", "config|1|ready"], got)
            self.assertEqual(got[6], "config|1|initialize", got)
            self.assertRegex(got[7], r"^report\|1\|%s\|snapshot-end$" % TIME)
            self.assertEqual(got[8], "table|0")
            self.assertEqual(got[9], "response|1|t1|ok|servers=0|udp=0|ws=0|"
                             "plugins=3|filtered=0|filter-timeouts=0|"
                             "filter-skipped=0|filter-late=0|reports-lost=0|"
                             "added=0|plugins-ended=0|heartbeats=0|"
                             "flatlines=0|getservers=0|getserversext=0|"
                             "getmotd=0|gamestats=0|inforesponses=0|bad=0|"
                             "refused-servers=0|refused-challenges=0|"
                             "throttled=0|over-budget=0|refused-gamestats=0|"
                             "stats-dropped=0|challenges=0|ws-connections=0|"
                             "ws-accepted=0", got)
        m.d.wait_for_log(LINE + r"netd: plugin example\.py-2: registered "
                         r"server reports$")
        m.d.wait_for_log(LINE + r"netd: plugin driver\.py: registered "
                         r"server reports$")


    def test_plugin_process(self):
        """The plugin runs as the -u user in a session of its own, in the
        data directory, with the socket on standard input and output, a
        pipe on standard error and the daemon's environment, with the
        user's HOME and its two variables."""
        m = self.pmaster()
        m.d.env_extra = {"TREMMASTERD_TEST_MARK": "from the rc script"}
        drv = m.driver("drv")
        m.start()
        drv.wait(r"config\|1\|initialize")
        pid = m.plugin_pid(drv.path)
        info = m.d.proc_info(pid)
        uid, gid = unprivileged_ids()
        self.assertEqual(info["uid"], [uid] * 4, info)
        self.assertEqual(info["gid"], [gid] * 4, info)
        if IS_ROOT:
            self.assertEqual(info["groups"], [gid], info)
        self.assertEqual(proc_stat(pid)[3], pid, "not a session leader")
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), m.d.datadir)
        fds = [os.readlink("/proc/%d/fd/%d" % (pid, i)) for i in (0, 1, 2)]
        self.assertRegex(fds[0], r"^socket:\[\d+\]$")
        self.assertEqual(fds[0], fds[1])
        self.assertRegex(fds[2], r"^pipe:\[\d+\]$")
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = dict(kv.split("=", 1) for kv in
                       f.read().decode().split("\0") if kv)
        # The daemon's environment (what the rc script exported), with
        # the user's HOME and the plugin's two.
        self.assertEqual(env["TREMMASTERD_TEST_MARK"], "from the rc script")
        self.assertEqual(env["TREMMASTERD_PLUGIN"], "driver.py")
        self.assertEqual(env["TREMMASTERD_DATADIR"], m.d.datadir)
        self.assertEqual(env["PATH"], os.environ["PATH"])
        if IS_ROOT:
            self.assertEqual(env["HOME"], pwd.getpwuid(uid).pw_dir)


class ReportTest(PluginTest):

    def test_snapshot_after_restart(self):
        """A plugin started again gets the whole table as server-add
        lines before snapshot-end; request snapshot gives it again."""
        m = self.pmaster()
        s = self.server(m, "127.0.0.31")
        f = self.server(m, "127.0.0.32")
        m.d.write_file("featured.txt", "Featured Group\n  %s\n" % f.addr_str)
        ex = m.recorder("ex")
        m.example("ex")
        drv = m.driver("drv", control="ctl")
        m.start()
        ex.wait(r"table\|0")
        t0 = int(time.time())
        s.register()
        f.register()
        c = self.client(m)
        c.wait_listed([s, f])
        ex.wait(add_line(s))
        ex.wait(add_line(f, label="Featured Group"))
        t1 = int(time.time())

        pid = m.plugin_pid(ex.path)
        m.d.wait_for_log(LINE + r"master: plugin example\.py: started \S+, "
                         r"pid %d$" % pid)
        m.signal_plugin(pid, signal.SIGKILL)
        m.d.wait_for_log(LINE + r"master: plugin example\.py: terminated by "
                         r"signal 9; starting it again in 1 s$")
        new = m.plugin_pid(ex.path, other_than=[pid])
        m.d.wait_for_log(LINE + r"master: plugin example\.py: started \S+, "
                         r"pid %d$" % new)
        ex.wait(r"table\|2")
        got = ex.instance()
        self.assertEqual(len(ex.starts()), 2, ex.lines())
        self.assertEqual(got[:7], [
            "config|1|tremmasterd|" + version(), "config|1|protocol|1",
            "config|1|name|example.py", "config|1|admin|no",
            "config|1|filter-timeout|1000", "config|1|ready",
            "config|1|initialize"], got)
        # In the table's order: by address.
        self.assertRegex(got[7], "^" + add_line(s) + "$")
        self.assertRegex(got[8], "^" + add_line(f, label="Featured Group") +
                         "$")
        self.assertRegex(got[9], r"^report\|1\|%s\|snapshot-end$" % TIME)
        self.assertEqual(got[10], "table|2")
        for line in got[7:9]:
            fl = fields(line)
            self.assertEqual(len(fl), 16, line)
            first, last = int(fl[10]), int(fl[11])
            self.assertTrue(t0 <= first <= last <= t1 + 1, line)

        # request snapshot: the same lines, then the response.
        drv.wait(r"config\|1\|initialize")
        self.assertEqual(drv.matching(r"report\|.*"), [], drv.lines())
        self.assertEqual(drv.request("snap.1", "snapshot"), ["ok"])
        lines = drv.lines()
        i = lines.index("> request|snap.1|snapshot")
        self.assertEqual(len(lines), i + 5, lines)
        self.assertRegex(lines[i + 1], "^" + add_line(s) + "$")
        self.assertRegex(lines[i + 2], "^" + add_line(
            f, label="Featured Group") + "$")
        self.assertRegex(lines[i + 3], r"^report\|1\|%s\|snapshot-end$" %
                         TIME)
        self.assertEqual(lines[i + 4], "response|1|snap.1|ok")
        self.assertEqual(fields(lines[i + 1])[10], fields(got[7])[10])

    def test_add_and_update(self):
        """server-add when a server is verified, with the fields of its
        infoResponse; server-update when its answer changes any of them,
        nothing when the answer is the same."""
        m = self.pmaster()
        ex = m.recorder("ex")
        m.example("ex")
        m.start()
        ex.wait(r"table\|0")
        s = self.server(m, "127.0.0.33")
        s.register()
        ex.wait(add_line(s))
        s.register()                            # the same answer
        # A new hostname alone is news, escaped as it arrived and cut at
        # netd's bound (128 bytes).
        name = "Renamed|\x01" + "x" * 200
        s.register(hostname=name)
        s.register(clients=0, protocol="69,70", hostname=name)  # empty
        s.register(clients=8, protocol="69,70", hostname=name)  # full
        short = name[:128]
        ex.wait(add_line(s, "server-update", protocols="69,70", clients=8,
                         hostname=short))
        reports = ex.matching(r"report\|.*")
        self.assertEqual(len(reports), 5, reports)
        self.assertRegex(reports[0], r"snapshot-end$")
        self.assertRegex(reports[1], "^" + add_line(s) + "$")
        self.assertRegex(reports[2], "^" + add_line(s, "server-update",
                                                    hostname=short) + "$")
        self.assertIn("Renamed\\174\\001xxx", reports[2])
        self.assertRegex(reports[3], "^" + add_line(
            s, "server-update", protocols="69,70", clients=0,
            hostname=short) + "$")
        self.assertRegex(reports[4], "^" + add_line(
            s, "server-update", protocols="69,70", clients=8,
            hostname=short) + "$")
        # FIRST stays, LAST moves on.
        first = {fields(r)[10] for r in reports[1:]}
        self.assertEqual(len(first), 1, reports)
        self.assertLessEqual(int(fields(reports[1])[11]),
                             int(fields(reports[4])[11]))
        c = self.client(m)
        self.assertPlain(c, [s], b"70 full")
        self.assertPlain(c, [], b"70")

    def test_remove_timeout(self):
        m = self.pmaster(["--server-timeout", "2"])
        ex = m.recorder("ex")
        m.example("ex")
        m.start()
        ex.wait(r"table\|0")
        s = self.server(m, "127.0.0.34")
        keep = self.server(m, "127.0.0.35")
        s.register()
        t0 = time.monotonic()
        ex.wait(add_line(s))
        ex.wait(remove_line(s, "timeout"), timeout=6)
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 0.9, ex.lines())
        self.assertLessEqual(took, 4.5, ex.lines())
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.34:%d removed: "
                         r"timed out$" % s.port)
        # Once only, and nothing about a server that is still there.
        keep.register()
        ex.wait(add_line(keep))
        self.assertEqual(len(ex.matching(r".*server-remove.*")), 1,
                         ex.lines())

    def test_remove_ignored(self):
        m = self.pmaster(verbose=1)
        ex = m.recorder("ex")
        m.example("ex")
        m.start()
        ex.wait(r"table\|0")
        s = self.server(m, "127.0.0.36")
        keep = self.server(m, "127.0.0.37")
        s.register()
        keep.register()
        ex.wait(add_line(keep))
        m.d.write_file("ignore.txt", "127.0.0.36\n")
        m.d.signal(signal.SIGHUP)
        ex.wait(remove_line(s, "ignored"))
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.36:%d removed: "
                         r"address in ignore\.txt$" % s.port)
        c = self.client(m)
        self.assertPlain(c, [keep])
        self.assertEqual(ex.matching(r".*server-remove.*"),
                         ex.matching(remove_line(s, "ignored")))

    def test_remove_flatline(self):
        """A flatline is believed only when the challenges after it go
        unanswered; for a WebSocket server whose connection is gone, at
        the first probe that finds it gone (5 s after the flatline)."""
        m = self.pmaster(ws=True)
        ex = m.recorder("ex")
        m.example("ex")
        m.start()
        ex.wait(r"table\|0")
        g = WSGameServer(self, m, "127.0.0.38", port=30720)
        g.register()
        ex.wait(r"report\|1\|%s\|server-add\|127\.0\.0\.38:30720\|ws\|\|69\|"
                r".*" % TIME)
        g.heartbeat(b"Tremulousdead")
        g.expect_getinfo()                      # the first probe
        t0 = time.monotonic()
        g.ws.close()
        ex.wait(r"report\|1\|%s\|server-remove\|127\.0\.0\.38:30720\|ws\|"
                r"flatline" % TIME, timeout=9)
        self.assertGreaterEqual(time.monotonic() - t0, 3.5, ex.lines())
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.38:30720 removed: "
                         r"flatline, and its WebSocket connection is gone$")


class LogTest(PluginTest):

    def test_levels_and_escapes(self):
        """report|1|T|log|netd|LEVEL|MESSAGE at the level asked for and
        the more important ones, whatever the daemon's own -v; MESSAGE is
        the line the daemon logs, escaped."""
        m = self.pmaster(verbose=1)             # the daemon logs verbose
        lp = m.recorder("print")
        m.example("print", "--log", "print")
        ld = m.recorder("debug")
        m.example("debug", "--log", "debug")
        quiet = m.recorder("none")
        m.example("none")
        m.start()
        for r in (lp, ld, quiet):
            r.wait(r"table\|0")
        m.d.signal(signal.SIGHUP)
        data = r"report\|1\|%s\|log\|netd\|print\|data files: 0 featured " \
            r"servers .*" % TIME
        lp.wait(data)
        ld.wait(data)
        s = self.server(m, "127.0.0.39")
        s.register()
        verified = r"report\|1\|%s\|log\|netd\|verbose\|server " \
            r"127\.0\.0\.39:%d verified: protocol 69" % (TIME, s.port)
        ld.wait(verified)
        # debug: the line is made for the plugin though -v does not log it.
        hb = r"report\|1\|%s\|log\|netd\|debug\|127\.0\.0\.39:%d: " \
            r"heartbeat, sending a challenge" % (TIME, s.port)
        ld.wait(hb)
        self.assertNotIn("heartbeat, sending a challenge", m.d.log())

        # A protocol word with |, \ and a control byte, as netd logs it
        # (log_vis) and as the plugin gets it (escaped again).
        c = self.client(m)
        c.ask(HDR + b"getservers 6|9\\\x01 empty")
        daemon = m.d.wait_for_log(LINE + r"netd: (127\.0\.0\.1:%d: "
                                  r"getservers for protocol 6\|9.*)$" %
                                  c.addr[1]).group(1)
        self.assertEqual(daemon, "127.0.0.1:%d: getservers for protocol "
                         "6|9\\\\\\001: 1 packet" % c.addr[1])
        got = ld.wait(r"report\|1\|%s\|log\|netd\|verbose\|.*getservers for "
                      r"protocol 6.*" % TIME)[0]
        f = fields(got)
        self.assertEqual(len(f), 7, got)
        self.assertEqual(f[6], esc(daemon.encode()), got)
        self.assertIn("6\\1749\\134\\134\\134001", f[6])

        # print takes nothing less important; no --log, no log lines.
        self.assertEqual(lp.matching(r".*\|log\|netd\|(verbose|debug)\|.*"),
                         [], lp.lines())
        self.assertEqual(quiet.matching(r".*\|log\|.*"), [], quiet.lines())
        for line in lp.matching(r"report\|1\|[^|]*\|log\|.*") + \
                ld.matching(r"report\|1\|[^|]*\|log\|.*"):
            self.assertRegex(line, r"^report\|1\|%s\|log\|(master|netd|"
                             r"logd)\|(always|error|print|verbose|debug)"
                             r"\|[^|]*$" % TIME)



def cmd_esc(data):
    """esc(), with spaces escaped too: a plugin command is split at
    spaces."""
    return esc(data).replace(" ", "\\040")


class FilterTest(PluginTest):

    def test_getservers_proceed_and_answer(self):
        """The example answers getservers from 127.0.0.9 with its own
        bytes, exactly; everyone else gets the real list."""
        answer = HDR + b"getserversResponse\\" + bytes([10, 1, 2, 3, 4, 210]) \
            + b"\\EOT\x00\x00\x00|"
        m = self.pmaster()
        ex = m.recorder("ex")
        m.example("ex", "--answer-from", "127.0.0.9", "--answer-bytes",
                  cmd_esc(answer))
        m.start()
        ex.wait(r"table\|0")
        s = self.server(m, "127.0.0.40")
        s.register()
        ex.wait(add_line(s))
        c = self.client(m)
        entry = v4_entry_bytes("127.0.0.40", s.port)
        self.assertEqual(c.ask(HDR + b"getservers 69 empty full"),
                         [PLAIN_HDR + entry + b"\\"], m.tail())
        self.assertEqual(c.ask(HDR + b"getserversExt Tremulous 69"),
                         [EXT_HDR + b"\x001\x001\x00" + entry + b"\\"],
                         m.tail())
        other = self.client(m, "127.0.0.9")
        self.assertEqual(other.ask(HDR + b"getservers 69 empty full"),
                         [answer], m.tail())
        self.assertEqual(other.ask(HDR + b"getserversExt Tremulous 69"),
                         [answer], m.tail())
        # What the plugin was asked: the whole datagram, escaped.
        got = ex.matching(r"filter\|.*")
        self.assertEqual(len(got), 4, got)
        want = [("127.0.0.1", c.addr[1], b"getservers 69 empty full"),
                ("127.0.0.1", c.addr[1], b"getserversExt Tremulous 69"),
                ("127.0.0.9", other.addr[1], b"getservers 69 empty full"),
                ("127.0.0.9", other.addr[1], b"getserversExt Tremulous 69")]
        for line, (host, port, data) in zip(got, want):
            self.assertRegex(line, r"^filter\|1\|%s\|getservers\|%s\|%s:%d\|"
                             r"udp\|%s$" % (TIME, TOKEN, re.escape(host),
                                            port, re.escape(esc(HDR + data))))
        tokens = [fields(line)[4] for line in got]
        self.assertEqual(len(set(tokens)), 4, tokens)
        # No heartbeat filter registered: heartbeats are not shown.
        self.assertEqual(ex.matching(r"filter\|1\|[^|]*\|heartbeat\|.*"), [])

    def test_heartbeat_drop(self):
        m = self.pmaster()
        ex = m.recorder("ex")
        m.example("ex", "--drop-game", "DarkPlaces")
        m.start()
        ex.wait(r"table\|0")
        dp = self.server(m, "127.0.0.41")
        tr = self.server(m, "127.0.0.42")
        dp.heartbeat(b"DarkPlaces")
        tr.heartbeat(b"Tremulous")
        tr.answer(tr.expect_getinfo())
        got = ex.wait(r"filter\|1\|%s\|heartbeat\|%s\|.*" % (TIME, TOKEN),
                      count=2)
        self.assertRegex(got[0], r"\|127\.0\.0\.41:%d\|udp\|\\377\\377\\377"
                         r"\\377heartbeat DarkPlaces\\012$" % dp.port)
        self.assertRegex(got[1], r"\|127\.0\.0\.42:%d\|udp\|\\377\\377\\377"
                         r"\\377heartbeat Tremulous\\012$" % tr.port)
        dp.expect_nothing(0.5)
        c = self.client(m)
        c.wait_listed([tr])
        self.assertPlain(c, [tr])

    def test_heartbeat_rewrite(self):
        """A heartbeat rewritten to another heartbeat is challenged."""
        m = self.pmaster()
        drv = m.driver("drv", "filter|heartbeat", verdict="rewrite|" +
                       cmd_esc(HDR + b"heartbeat Tremulous\n"))
        m.start()
        drv.wait(r"config\|1\|initialize")
        s = self.server(m, "127.0.0.43")
        s.heartbeat(b"Something\x00else")
        s.answer(s.expect_getinfo())
        self.client(m).wait_listed([s])
        drv.wait(r"filter\|1\|%s\|heartbeat\|%s\|127\.0\.0\.43:%d\|udp\|"
                 r"\\377\\377\\377\\377heartbeat Something\\000else\\012" %
                 (TIME, TOKEN, s.port))
        self.assertNotRegex(m.d.log(), "protocol error")

    def test_heartbeat_rewrite_not_a_heartbeat(self):
        """Rewriting a heartbeat into anything else ends the plugin
        (protocol error); the heartbeat goes on, and is challenged."""
        m = self.pmaster()
        drv = m.driver("drv", "filter|heartbeat", verdict="rewrite|" +
                       cmd_esc(HDR + b"getservers 69"))
        m.start()
        drv.wait(r"config\|1\|initialize")
        pid = m.plugin_pid(drv.path)
        s = self.server(m, "127.0.0.44")
        s.heartbeat()
        s.expect_getinfo()
        m.d.wait_for_log(LINE + r"netd: plugin driver\.py: protocol error: "
                         r"filter-result\|%s\|rewrite\|\\\\377\\\\377"
                         r"\\\\377\\\\377getservers\\\\04069$" % TOKEN)
        m.d.wait_for_log(LINE + r"master: plugin driver\.py: ended by netd "
                         r"\(protocol error: filter-result.*\)$")
        m.d.wait_for_log(LINE + r"master: plugin driver\.py: .*; starting "
                         r"it again in 1 s$")
        m.plugin_pid(drv.path, other_than=[pid])
        drv.wait(r"config\|1\|initialize", count=2)

    def test_getservers_deadline(self):
        """A filter that never answers holds a list request for the
        filter timeout (1 s), no longer; a result after that is late,
        counted and ignored."""
        m = self.pmaster()
        drv = m.driver("drv", "filter|getservers", control="ctl")
        m.start()
        drv.wait(r"config\|1\|initialize")
        s = self.server(m, "127.0.0.45")
        s.register()
        c = self.client(m)
        entry = v4_entry_bytes("127.0.0.45", s.port)
        t0 = time.monotonic()
        got = c.ask(HDR + b"getservers 69 empty full", first=4)
        took = time.monotonic() - t0
        self.assertEqual(got, [PLAIN_HDR + entry + b"\\"], m.tail())
        self.assertGreaterEqual(took, 0.9, m.tail())
        self.assertLessEqual(took, 2.5, m.tail())
        line = drv.wait(r"filter\|1\|%s\|getservers\|%s\|127\.0\.0\.1:%d\|"
                        r"udp\|.*" % (TIME, TOKEN, c.addr[1]))[0]
        n = drv.counters("c1")
        self.assertEqual(n["filtered"], 1, n)
        self.assertEqual(n["filter-timeouts"], 1, n)
        self.assertEqual(n["filter-late"], 0, n)
        drv.send("filter-result|%s|drop" % fields(line)[4])
        n = drv.counters("c2")
        self.assertEqual(n["filter-late"], 1, n)
        self.assertEqual(n["plugins-ended"], 0, n)
        c.expect_silence(wait=0.3)

    def test_two_filters_in_order(self):
        """driver.py, first on the command line, rewrites the tag to
        Banned; the example after it drops Banned: no challenge."""
        m = self.pmaster()
        drv = m.driver("drv", "filter|heartbeat", verdict="rewrite|" +
                       cmd_esc(HDR + b"heartbeat Banned\n"))
        ex = m.recorder("ex")
        m.example("ex", "--drop-game", "Banned")
        m.start()
        ex.wait(r"table\|0")
        drv.wait(r"config\|1\|initialize")
        s = self.server(m, "127.0.0.46")
        s.heartbeat()
        got = ex.wait(r"filter\|1\|%s\|heartbeat\|.*" % TIME)[0]
        self.assertTrue(got.endswith("|127.0.0.46:%d|udp|\\377\\377\\377"
                                     "\\377heartbeat Banned\\012" % s.port),
                        got)
        first = drv.wait(r"filter\|1\|%s\|heartbeat\|.*" % TIME)[0]
        self.assertTrue(first.endswith("heartbeat Tremulous\\012"), first)
        # Each plugin is asked with a token of its own.
        self.assertNotEqual(fields(first)[4], fields(got)[4])
        s.expect_nothing(0.5)

    def test_two_filters_other_order(self):
        """The example first sees Tremulous and lets it through; then
        driver.py rewrites it to Banned, which no one drops: challenged."""
        m = self.pmaster()
        ex = m.recorder("ex")
        m.example("ex", "--drop-game", "Banned")
        drv = m.driver("drv", "filter|heartbeat", verdict="rewrite|" +
                       cmd_esc(HDR + b"heartbeat Banned\n"))
        m.start()
        ex.wait(r"table\|0")
        drv.wait(r"config\|1\|initialize")
        s = self.server(m, "127.0.0.47")
        s.heartbeat()
        s.answer(s.expect_getinfo())
        self.client(m).wait_listed([s])
        got = ex.wait(r"filter\|1\|%s\|heartbeat\|.*" % TIME)[0]
        self.assertTrue(got.endswith("heartbeat Tremulous\\012"), got)
        later = drv.wait(r"filter\|1\|%s\|heartbeat\|.*" % TIME)[0]
        self.assertTrue(later.endswith("heartbeat Tremulous\\012"), later)


class AddServerTest(PluginTest):

    def test_add_server(self):
        """add-server challenges an address as its heartbeat would: one
        that answers is listed (with its label, in a group of its own in
        getserversExt), one that does not is never listed; bad and
        ignored addresses are refused."""
        m = self.pmaster(files={"ignore.txt": "127.0.0.55\n"})
        a = self.server(m, "127.0.0.51")
        b = self.server(m, "127.0.0.52")
        mute = self.server(m, "127.0.0.53")
        ign = self.server(m, "127.0.0.55")
        ex = m.recorder("ex")
        m.example("ex", "--add", a.addr_str, "--add", b.addr_str + ",My-Group",
                  "--add", mute.addr_str, "--add", "nonsense",
                  "--add", "127.0.0.54:0", "--add", ign.addr_str)
        m.start()
        got = ex.wait(r"response\|1\|t\d\|.*", count=7)
        self.assertEqual(got[:6], [
            "response|1|t1|ok", "response|1|t2|ok", "response|1|t3|ok",
            "response|1|t4|error|bad address",
            "response|1|t5|error|bad address",
            "response|1|t6|error|address in ignore.txt"], got)
        self.assertRegex(got[6], r"^response\|1\|t7\|ok\|servers=0\|.*\|"
                         r"added=3\|plugins-ended=0\|heartbeats=0\|.*$")
        m.d.wait_for_log(LINE + r"master: plugin example\.py: request t4: "
                         r"bad address$")
        for s in (a, b):
            s.answer(s.expect_getinfo())
        mute.expect_getinfo()
        ign.expect_nothing(0.2)
        c = self.client(m)
        c.wait_listed([a, b])
        self.assertPlain(c, [a, b])
        ea = v4_entry_bytes("127.0.0.51", a.port)
        eb = v4_entry_bytes("127.0.0.52", b.port)
        self.assertEqual(c.ask(HDR + b"getserversExt Tremulous 69"), [
            EXT_HDR + b"\x001\x002\x00" + ea + b"\\",
            EXT_HDR + b"\x002\x002\x00My-Group" + eb + b"\\"], m.tail())
        ex.wait(add_line(a))
        ex.wait(add_line(b, label="My-Group"))
        self.assertEqual(ex.matching(r".*127\.0\.0\.53.*"), [])
        self.assertNotRegex(m.d.log(), r"server 127\.0\.0\.53:\d+ verified")


if __name__ == "__main__":
    unittest.main()
