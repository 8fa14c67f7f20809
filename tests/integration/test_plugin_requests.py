# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Plugins: the flatline and processes requests and the counters of
traffic (tremmasterd-plugins(7)), against the real daemon over loopback
with fake game servers."""

import os
import re
import time
import unittest

from fakes import HDR, LINE
from harness import wait_until
from plugintest import TIME, PluginTest
from ws_client import frame


class FlatlineTest(PluginTest):

    def test_flatline_request(self):
        """A listed server is probed as after its own flatline, and goes
        with the reason flatline when it does not answer; the errors."""
        m = self.pmaster(["--challenge-timeout", "1"])
        drv = m.driver("drv", "report|server", control="ctl")
        m.start()
        drv.wait(r"report\|1\|%s\|snapshot-end" % TIME)
        s = self.server(m, "127.0.0.61")
        s.register()
        drv.wait(r"report\|1\|%s\|server-add\|%s\|udp\|.*" % (
            TIME, re.escape(s.addr_str)))
        self.assertEqual(drv.request("e1", "flatline", "nonsense"),
                         ["error", "bad address"])
        self.assertEqual(drv.request("e2", "flatline", "127.0.0.61:0"),
                         ["error", "bad address"])
        self.assertEqual(drv.request("e3", "flatline", "127.0.0.62:30720"),
                         ["error", "not listed"])
        self.assertEqual(drv.request("e4", "flatline",
                                     "127.0.0.61:%d" % (s.port ^ 1)),
                         ["error", "not listed"])

        t0 = time.monotonic()
        self.assertEqual(drv.request("f1", "flatline", s.addr_str), ["ok"])
        s.expect_getinfo()                      # the first probe
        m.d.wait_for_log(LINE + r"netd: %s: flatline from plugin driver\.py, "
                         r"challenging it$" % re.escape(s.addr_str), 2)
        # A probe runs: ok again, and no second one starts.
        self.assertEqual(drv.request("f2", "flatline", s.addr_str), ["ok"])
        self.assertEqual(m.d.count(r"flatline from plugin driver\.py"), 1)
        drv.wait(r"report\|1\|%s\|server-remove\|%s\|udp\|flatline" % (
            TIME, re.escape(s.addr_str)), timeout=25)
        self.assertGreaterEqual(time.monotonic() - t0, 14, drv.lines())
        self.assertEqual(drv.request("f3", "flatline", s.addr_str),
                         ["error", "not listed"])

    def test_flatline_busy(self):
        """flatline shares add-server's rate: a burst past it is busy."""
        m = self.pmaster()
        drv = m.driver("drv", control="ctl")
        m.start()
        drv.wait(r"config\|1\|initialize")
        n = 10000
        drv.send(*("request|b%d|flatline|127.0.0.63:30720" % i
                   for i in range(n)))
        drv.wait(r"response\|1\|b%d\|.*" % (n - 1), timeout=30)
        got = drv.matching(r"response\|1\|b\d+\|.*")
        self.assertEqual(len(got), n)
        busy = [line for line in got if line.endswith("|error|busy")]
        self.assertGreater(len(busy), 0)
        self.assertEqual(len(busy) + len([line for line in got if
                                          line.endswith("|not listed")]), n)


class CountersTest(PluginTest):

    def test_traffic_counters(self):
        """Each kind of message moves its counter, UDP and WebSocket
        together, and so do the drops and the challenges."""
        m = self.pmaster(["-n", "1", "--throttle-burst", "2"], ws=True,
                         throttle=True)
        drv = m.driver("drv", control="ctl")
        m.start()
        drv.wait(r"config\|1\|initialize")
        c0 = drv.counters("c0")
        self.assertEqual(c0["ws-connections"], 0, c0)
        self.assertEqual(c0["ws-accepted"], 0, c0)

        s = self.server(m, "127.0.0.64")
        s.register()                    # a heartbeat, an infoResponse
        m.d.wait_for_log(r"netd: server 127\.0\.0\.64:%d verified" % s.port,
                         3)
        other = self.server(m, "127.0.0.65")
        other.register()                # refused: -n 1
        for _ in range(6):              # past the server's own bucket
            s.heartbeat()
        s.heartbeat(b"Tremulousdead")
        c = self.client(m)
        for _ in range(3):              # the third is throttled
            c.send(HDR + b"getservers 69 empty full")
        c2 = self.client(m, "127.0.0.66")
        c2.send(HDR + b"getserversExt Tremulous 69")
        c3 = self.client(m, "127.0.0.67")
        c3.send(HDR + b"getmotd\\challenge\\5\\version\\1.1\\renderer\\GL")
        s.send(HDR + b"gamestat some data")
        c3.send(HDR + b"gamestat from no server")
        c3.send(b"no header at all")
        c3.send(HDR + b"nosuchcommand")
        ws = m.ws(source="127.0.0.68")
        ws.send_raw(frame(2, HDR + b"getservers 69"))

        def moved():
            n = drv.counters("c%d" % time.monotonic_ns())
            return n if n["getservers"] - c0["getservers"] >= 4 and \
                n["bad"] - c0["bad"] >= 2 else None
        c1 = wait_until(moved, 5, 0.2)
        self.assertTrue(c1, m.tail())
        d = {k: c1[k] - c0[k] for k in c1}
        self.assertGreaterEqual(d["heartbeats"], 8, d)
        self.assertEqual(d["flatlines"], 1, d)
        self.assertEqual(d["getservers"], 4, d)       # 3 UDP, 1 WebSocket
        self.assertEqual(d["getserversext"], 1, d)
        self.assertEqual(d["getmotd"], 1, d)
        self.assertEqual(d["gamestats"], 2, d)
        self.assertEqual(d["inforesponses"], 2, d)
        self.assertEqual(d["bad"], 2, d)
        self.assertGreaterEqual(d["refused-servers"], 1, d)
        self.assertGreaterEqual(d["refused-challenges"], 1, d)
        self.assertGreaterEqual(d["throttled"], 1, d)
        self.assertEqual(d["refused-gamestats"], 1, d)
        self.assertEqual(d["over-budget"], 0, d)
        self.assertEqual(d["stats-dropped"], 0, d)
        # register() twice, four heartbeats in the bucket, the probe.
        self.assertGreaterEqual(d["challenges"], 7, d)
        self.assertEqual(c1["ws-connections"], 1, c1)
        self.assertEqual(c1["ws-accepted"], 1, c1)
        # The old fields keep their place, the new come after them.
        f = drv.request("c9", "counters")
        self.assertEqual([x.split("=")[0] for x in f[1:]], [
            "servers", "udp", "ws", "plugins", "filtered", "filter-timeouts",
            "filter-skipped", "filter-late", "reports-lost", "added",
            "plugins-ended", "heartbeats", "flatlines", "getservers",
            "getserversext", "getmotd", "gamestats", "inforesponses", "bad",
            "refused-servers", "refused-challenges", "throttled",
            "over-budget", "refused-gamestats", "stats-dropped",
            "challenges", "ws-connections", "ws-accepted"])


class ProcessesTest(PluginTest):

    def test_processes(self):
        """Every process of the daemon with its PID and resident memory,
        in order: the parent, netd, logd, the plugins."""
        m = self.pmaster()
        drv = m.driver("drv", control="ctl")
        other = m.driver("other")
        m.start()
        drv.wait(r"config\|1\|initialize")
        other.wait(r"config\|1\|initialize")
        f = drv.request("p1", "processes")
        self.assertEqual(f[0], "ok", f)
        got = []
        for x in f[1:]:
            name, _, v = x.rpartition("=")
            pid, rss = v.split(":")
            got.append((name, int(pid), int(rss)))
        self.assertEqual([g[0] for g in got], [
            "master", "netd", "logd", "plugin.driver.py",
            "plugin.driver.py-2"], f)
        self.assertEqual([g[1] for g in got], [
            m.d.pid, m.child("netd"), m.child("logd"), m.plugin_pid(drv.path),
            m.plugin_pid(other.path)], f)
        for name, pid, rss in got:
            self.assertGreater(rss, 100 * 1024, (name, rss))
            with open("/proc/%d/statm" % pid) as fp:
                now = int(fp.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            # The same order of size as the kernel says now.
            self.assertLess(abs(now - rss), max(now, rss), (name, rss, now))
        self.assertTrue(m.alive())


if __name__ == "__main__":
    unittest.main()
