# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The REST API plugin (api/, tremmasterd(8) REST API) against the real
daemon on loopback: every endpoint with curl (the Debian package) and with
Python's http.client, with and without keys; the admin changes on disk and
on the wire; the JSON heartbeat with fake game servers that answer or do
not; /metrics through a strict parser of the Prometheus text format; the
feed as XML; bad bodies, paths, methods and headers; where the keys are
not (any process's arguments or environment); the plugin's sandbox.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET

from harness import (IS_ROOT, HAVE_IPV6, children_of, free_ports,
                     run_cmd, wait_until)
from fakes import (HDR, Master, UDPTest, recv_one, udp_socket)

KEY = "k3y-One_2"
KEY2 = "second.key"
WAIT = 5.0
CURL = shutil.which("curl")


class APIMaster(Master):
    """A Master with the REST API on a free port of its own."""

    def __init__(self, test, args=(), keys=(KEY,), env=None, **kw):
        self.aport = free_ports(1)[0]
        a = ["--api-port", self.aport]
        for k in keys:
            a += ["--api-keys", k]
        super().__init__(test, a + list(args), **kw)
        if env:
            self.d.env_extra = env

    def alive(self):
        # The parent, netd, logd and the API plugin.
        return self.d.running() and len(self.d.children()) >= 3

    def api_pid(self):
        return self.d.child_by_title("api")


class APITest(UDPTest):
    MASTER = APIMaster

    def api(self, args=(), keys=(KEY,), files=None, verbose=1, env=None,
            check_alive=True):
        # The tests poll: no limit unless a test sets one.
        if "--api-rate-limit" not in args:
            args = ["--api-rate-limit", "0"] + list(args)
        m = self.master(args=args, keys=keys, files=files, verbose=verbose,
                        env=env, check_alive=check_alive)
        m.d.wait_for_log(r"netd: plugin api: registered")
        ok = wait_until(lambda: self.status(m, "GET", "/api/info")[0] ==
                        200 and json.loads(self.last)["status"] == "online",
                        WAIT)
        self.assertTrue(ok, m.tail())
        return m

    # -- clients

    def request(self, m, method, path, body=None, headers=None, key=None,
                host="127.0.0.1", source=None):
        """(status, headers dict with lower-case names, body bytes)."""
        c = http.client.HTTPConnection(host, m.aport, timeout=WAIT,
                                       source_address=source)
        h = dict(headers or {})
        if key is not None:
            h["X-API-Key"] = key
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    data)
        finally:
            c.close()

    def status(self, m, method, path, **kw):
        st, _, data = self.request(m, method, path, **kw)
        self.last = data
        return st, data

    def json_ok(self, m, method, path, want=200, **kw):
        st, h, data = self.request(m, method, path, **kw)
        self.assertEqual(st, want, "%s %s: %d %r\n%s" % (
            method, path, st, data, m.tail()))
        self.assertTrue(h["content-type"].startswith("application/json"),
                        h)
        return json.loads(data)

    def error(self, m, method, path, want, error=None, **kw):
        st, h, data = self.request(m, method, path, **kw)
        self.assertEqual(st, want, "%s %s: %d %r" % (method, path, st,
                                                     data))
        o = json.loads(data)
        self.assertEqual(sorted(o), ["error", "message"], o)
        if error is not None:
            self.assertEqual(o["error"], error, o)
        return o

    def curl(self, m, *args):
        if CURL is None:
            self.skipTest("curl is missing (Debian package curl)")
        p = subprocess.run([CURL, "-s", "-S", "-i", "--max-time", "5"] +
                           list(args), capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        code = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return code, hdrs, body

    def url(self, m, path):
        return "http://127.0.0.1:%d%s" % (m.aport, path)

    def listed(self, m, servers, timeout=WAIT):
        def ok():
            o = json.loads(self.request(m, "GET", "/api/servers")[2])
            got = {s["address"] for s in o["servers"]}
            return got == {s.addr_str for s in servers}
        return wait_until(ok, timeout)


class StartupTest(APITest):

    def test_on_line_and_keys_from_everywhere(self):
        kfile = os.path.join(self.master_tmp(), "keys")
        with open(kfile, "w") as f:
            f.write("# the operator's keys\n\n  filekey  \n"
                    "  a-key-of-16-bytes\n")
        m = self.api(args=["--api-keys=eqkey", "--api-key-file", kfile],
                     env={"SLEEPYTEEPEE_API_KEYS": "envkey, ,env2"})
        self.assertTrue(m.d.count(r"REST API on: http://127\.0\.0\.1:%d/, "
                                  r"6 keys \(5 shorter than 16 bytes: "
                                  r"easier to guess\)$" % m.aport),
                        m.tail())
        for k in (KEY, "eqkey", "filekey", "envkey", "env2",
                  "a-key-of-16-bytes"):
            self.json_ok(m, "GET", "/api/stats", key=k)
        self.error(m, "GET", "/api/stats", 401, "Unauthorized",
                   key="filekeyx")
        # In no argument and no environment of any process.
        pids = [m.d.pid] + list(children_of(m.d.pid))
        self.assertGreaterEqual(len(pids), 4)
        for pid in pids:
            for what in ("cmdline", "environ"):
                try:
                    with open("/proc/%d/%s" % (pid, what), "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                for k in (KEY, "eqkey", "filekey", "envkey", "env2"):
                    self.assertNotIn(k.encode(), data,
                                     "%s in /proc/%d/%s" % (k, pid, what))

    def master_tmp(self):
        d = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                         "tremmasterd-api-%d-%d" % (os.getpid(),
                                                    time.monotonic_ns()))
        os.mkdir(d)
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_off_line(self):
        m = Master(self, verbose=1).start()
        m.d.wait_for_log(r"REST API off: no --api-\* option and no "
                         r"SLEEPYTEEPEE_API_KEYS")

    def test_port_in_use_and_bad_keys(self):
        port = free_ports(1)[0]
        s = socket.socket()
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        p, c = free_ports(2)
        base = ["-l", "127.0.0.1", "-p", str(p), "-P", str(c)]
        rc, _, err = run_cmd(base + ["--api-port", str(port)])
        self.assertEqual(rc, 1, err)
        self.assertIn("cannot listen on 127.0.0.1:%d: Address already in "
                      "use" % port, err)
        for bad, why in (("a b", "no space or comma"),
                         ("x" * 257, "longer than 256")):
            rc, _, err = run_cmd(base + ["--api-keys", bad, "--check"])
            self.assertEqual(rc, 1, err)
            self.assertIn(why, err)


class PublicTest(APITest):

    def test_servers_fields_filters_etag(self):
        m = self.api()
        a = self.server(m, "127.0.0.2", hostname="^1Red<b>", clients=0,
                        maxclients=8, mapname="atcs", protocol="71")
        a.register()
        b = self.server(m, "127.0.0.3", hostname="Full", clients=8,
                        maxclients=8, mapname="niveus", protocol="70")
        b.register()
        self.assertTrue(self.listed(m, [a, b]), m.tail())
        o = self.json_ok(m, "GET", "/api/servers")
        self.assertEqual(o["count"], 2)
        s = {x["address"]: x for x in o["servers"]}[a.addr_str]
        self.assertEqual(
            {k: s[k] for k in s if k not in ("first_seen", "last_seen")},
            {"address": a.addr_str, "label": "default", "verified": True,
             "connection_type": "udp", "family": "IPv4", "transport": "udp",
             "hostname": "^1Red<b>", "map": "atcs", "game": "base",
             "gamename": "", "protocols": ["71"], "clients": 0,
             "max_clients": 8})
        self.assertLessEqual(abs(s["first_seen"] - time.time()), 10)
        # curl gets the same list, and / gives it too (Accept: */*).
        code, h, body = self.curl(m, self.url(m, "/"))
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body)["count"], 2)
        self.assertEqual(h["access-control-allow-origin"], "*")
        # Filters.
        for q, want in (("protocol=71", [a]), ("protocol=70", [b]),
                        ("empty=1", [a]), ("empty=0", [b]),
                        ("full=1", [b]), ("full=false", [a]),
                        ("label=default", [a, b]), ("label=Official", [])):
            got = self.json_ok(m, "GET", "/api/servers?" + q)
            self.assertEqual(sorted(x["address"] for x in got["servers"]),
                             sorted(x.addr_str for x in want), q)
        for q in ("protocol=x", "empty=2", "nope=1", "full="):
            self.error(m, "GET", "/api/servers?" + q, 400, "Bad Request")
        # ETag: 304 with no body until the list changes.
        st, h, _ = self.request(m, "GET", "/api/servers")
        etag = h["etag"]
        self.assertTrue(etag.startswith('W/"'), etag)
        self.assertEqual(h["cache-control"], "public, max-age=5")
        st, h2, body = self.request(m, "GET", "/api/servers",
                                    headers={"If-None-Match": etag})
        self.assertEqual((st, body), (304, b""))
        code, _, body = self.curl(m, "-H", "If-None-Match: " + etag,
                                  self.url(m, "/api/servers"))
        self.assertEqual((code, body), (304, b""))
        c = self.server(m, "127.0.0.4")
        c.register()
        self.assertTrue(self.listed(m, [a, b, c]), m.tail())
        st, h3, _ = self.request(m, "GET", "/api/servers",
                                 headers={"If-None-Match": etag})
        self.assertEqual(st, 200)
        self.assertNotEqual(h3["etag"], etag)
        # A browser's preflight, and the page for a browser.
        st, h, _ = self.request(m, "OPTIONS", "/api/servers")
        self.assertEqual(st, 204)
        self.assertIn("X-API-Key", h["access-control-allow-headers"])
        st, h, body = self.request(m, "GET", "/",
                                   headers={"Accept": "text/html"})
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn(b"<td class=\"name\">Red&lt;b&gt;</td>", body)
        self.assertNotIn(b"<script", body)
        # info, motd, the apitest page.
        info = self.json_ok(m, "GET", "/api/info")
        self.assertEqual(info["servers"], {"total": 3, "verified": 3})
        self.assertEqual(info["configuration"]["ports"], [m.port])
        self.assertEqual(info["configuration"]["challenge_port"], m.cport)
        self.assertEqual(self.json_ok(m, "GET", "/api/motd"), {"motd": ""})
        code, h, body = self.curl(m, self.url(m, "/apitest"))
        self.assertEqual(code, 200)
        self.assertIn(b'<script src="/apitest.js">', body)

    def test_rss_is_xml(self):
        m = self.api()
        a = self.server(m, "127.0.0.2", hostname="A&B <c> ^3\xe9t\xe9")
        a.register()
        self.assertTrue(self.listed(m, [a]), m.tail())
        code, h, body = self.curl(m, self.url(m, "/api/servers/rss"))
        self.assertEqual(code, 200)
        self.assertTrue(h["content-type"].startswith("application/rss+xml"))
        root = ET.fromstring(body)
        self.assertEqual((root.tag, root.get("version")), ("rss", "2.0"))
        self.assertEqual(root.findtext("./channel/link"),
                         self.url(m, "/api/servers/rss"))
        items = root.findall("./channel/item")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0].findtext("title"), "A&B <c> \xe9t\xe9")
        self.assertIn(a.addr_str, items[0].findtext("description"))
        self.assertTrue(items[0].findtext("pubDate").endswith(" GMT"))
        self.assertTrue(items[0].findtext("guid").startswith(a.addr_str))

    def test_metrics_strict(self):
        m = self.api()
        a = self.server(m, "127.0.0.2", clients=2, maxclients=8)
        a.register()
        self.assertTrue(self.listed(m, [a]), m.tail())
        c = udp_socket(self, "127.0.0.1")
        for _ in range(3):
            c.sendto(HDR + b"getservers 69 empty full",
                     ("127.0.0.1", m.port))
            self.assertIsNotNone(recv_one(c, 3))
        code, h, body = self.curl(m, self.url(m, "/metrics"))
        self.assertEqual(code, 200)
        self.assertTrue(h["content-type"].startswith("text/plain; "
                                                     "version=0.0.4"))
        fam = parse_prometheus(self, body.decode())
        self.assertEqual(fam["tremmasterd_servers"][1][
            (("state", "playing"), ("transport", "udp"))], 1)
        self.assertEqual(fam["tremmasterd_players"][1][
            (("transport", "udp"),)], 2)
        self.assertGreaterEqual(fam["tremmasterd_messages_total"][1][
            (("kind", "getservers"),)], 3)
        self.assertGreaterEqual(fam["tremmasterd_messages_total"][1][
            (("kind", "heartbeat"),)], 1)
        rss = fam["tremmasterd_process_resident_bytes"][1]
        for p in ("master", "netd", "logd", "plugin.api"):
            self.assertGreater(rss[(("process", p),)], 100 * 1024, p)
        self.assertEqual(fam["tremmasterd_servers"][0], "gauge")
        self.assertEqual(fam["tremmasterd_messages_total"][0], "counter")


NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % NAME)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(test, text):
    """Families {name: (type, {labels tuple: value})}: every sample's
    family has one HELP and one TYPE line before its samples, names and
    labels are valid, values are numbers, no series comes twice."""
    fams = {}
    helps, cur = set(), None
    test.assertTrue(text.endswith("\n"))
    for ln in text[:-1].split("\n"):
        if ln.startswith("# HELP "):
            name = ln.split(" ")[2]
            test.assertRegex(name, "^%s$" % NAME)
            test.assertNotIn(name, helps, "two HELP lines for " + name)
            helps.add(name)
            continue
        if ln.startswith("# TYPE "):
            _, _, name, typ = ln.split(" ")
            test.assertIn(name, helps, "TYPE before HELP: " + name)
            test.assertNotIn(name, fams, "two TYPE lines for " + name)
            test.assertIn(typ, ("counter", "gauge", "untyped"))
            fams[name] = (typ, {})
            cur = name
            continue
        test.assertFalse(ln.startswith("#") or ln == "", repr(ln))
        mo = SAMPLE.match(ln)
        test.assertIsNotNone(mo, "bad sample line %r" % ln)
        name, labels, value = mo.group(1), mo.group(3), mo.group(4)
        test.assertEqual(name, cur, "sample of %s outside its family" % name)
        key = ()
        if labels:
            pairs = LABEL.findall(labels)
            test.assertEqual(",".join('%s="%s"' % p for p in pairs), labels)
            key = tuple(sorted(pairs))
        test.assertNotIn(key, fams[name][1], "duplicate series " + ln)
        fams[name][1][key] = float(value)
    return fams


ADMIN = (("GET", "/api/stats", None), ("GET", "/api/blacklist", None),
         ("POST", "/api/blacklist", {"entry": "10.0.0.0/8"}),
         ("DELETE", "/api/blacklist/1", None),
         ("GET", "/api/featured", None),
         ("PUT", "/api/featured", {"label": "x", "servers": []}),
         ("PUT", "/api/motd", {"motd": "x"}), ("GET", "/api/logs", None),
         ("GET", "/api/plugins", None),
         ("POST", "/api/admin/reload-config", None),
         ("POST", "/api/admin/shutdown", None))


class AuthTest(APITest):

    def test_every_admin_endpoint_needs_a_key(self):
        m = self.api()
        for method, path, body in ADMIN:
            self.error(m, method, path, 401, "Unauthorized", body=body)
        # Five wrong keys a minute; then not even the right one is tried.
        for _ in range(5):
            self.error(m, "GET", "/api/stats", 401, "Unauthorized",
                       key="wrong")
        st, h, _ = self.request(m, "GET", "/api/stats", key="wrong")
        self.assertEqual(st, 429)
        self.assertIn("retry-after", h)
        self.error(m, "GET", "/api/stats", 429, "Too Many Requests",
                   key=KEY)
        log = m.d.log()
        self.assertNotIn("wrong", log.replace("wrong API key", ""))
        self.assertNotIn(KEY, log)

    def test_no_keys_configured(self):
        m = self.api(keys=())
        o = self.error(m, "GET", "/api/stats", 401, "Configuration Error",
                       key="any")
        self.assertIn("No API keys", o["message"])
        self.json_ok(m, "GET", "/api/servers")


class AdminTest(APITest):

    def test_blacklist_on_disk_and_wire(self):
        m = self.api(files={"ignore.txt": "# ours\n10.0.0.0/8\n"})
        a = self.server(m, "127.0.0.2")
        a.register()
        self.assertTrue(self.listed(m, [a]), m.tail())
        o = self.json_ok(m, "GET", "/api/blacklist", key=KEY)
        self.assertEqual(o, {"entries": [{"id": 1, "entry": "10.0.0.0/8"}],
                             "count": 1})
        o = self.json_ok(m, "POST", "/api/blacklist", want=201, key=KEY,
                         body={"entry": "127.0.0.2/32"})
        self.assertEqual(o, {"status": "success",
                             "message": "Blacklist entry added",
                             "entry": "127.0.0.2/32"})
        self.assertEqual(m.d.read_file("ignore.txt"),
                         "# ours\n10.0.0.0/8\n127.0.0.2/32\n")
        # Gone from a real UDP list.
        c = self.client(m)
        self.assertTrue(wait_until(lambda: c.plain()[1] == [], WAIT),
                        m.tail())
        o = self.json_ok(m, "GET", "/api/blacklist", key=KEY)
        self.assertEqual([e["entry"] for e in o["entries"]],
                         ["10.0.0.0/8", "127.0.0.2"])
        o = self.json_ok(m, "DELETE", "/api/blacklist/1", key=KEY)
        self.assertEqual(o["entry"], "10.0.0.0/8")
        self.assertEqual(m.d.read_file("ignore.txt"),
                         "# ours\n127.0.0.2/32\n")
        self.error(m, "DELETE", "/api/blacklist/9", 404, "Not Found",
                   key=KEY)
        self.error(m, "DELETE", "/api/blacklist/x", 400, "Bad Request",
                   key=KEY)
        for bad in ({"entry": "not an address"}, {"entry": "1.2.3.4/99"},
                    {"entry": 5}, {}, {"entry": "1.2.3.4", "x": 1}):
            self.error(m, "POST", "/api/blacklist", 400, "Bad Request",
                       key=KEY, body=bad)

    def test_featured_and_motd(self):
        m = self.api(files={"featured.txt": "Old\n  127.0.0.9:1\n"})
        a = self.server(m, "127.0.0.2")
        a.register()
        o = self.json_ok(m, "PUT", "/api/featured", key=KEY,
                         body={"label": "Official",
                               "servers": [a.addr_str]})
        self.assertEqual(o["servers"], [a.addr_str])
        self.assertEqual(m.d.read_file("featured.txt"),
                         "Old\n  127.0.0.9:1\nOfficial\n    %s\n" % a.addr_str)
        self.assertEqual(self.json_ok(m, "GET", "/api/featured", key=KEY),
                         {"featured_servers": {
                             "Old": ["127.0.0.9:1"],
                             "Official": [a.addr_str]}})
        a.register()
        c = self.client(m)

        def labelled():
            return any(p[2] == "Official" and a.entry in p[3]
                       for p in c.ext())
        self.assertTrue(wait_until(labelled, WAIT), m.tail())
        self.error(m, "PUT", "/api/featured", 400, key=KEY,
                   body={"label": "a/b", "servers": []})
        # The MOTD on disk and in a real getmotd answer.
        o = self.json_ok(m, "PUT", "/api/motd", key=KEY,
                         body={"motd": "Welcome to the API"})
        self.assertEqual(o, {"status": "success", "message": "MOTD updated"})
        self.assertEqual(m.d.read_file("motd.txt").strip(),
                         "Welcome to the API")
        c.send(HDR + b"getmotd\\challenge\\7")
        r = c.recv_all()
        self.assertTrue(r and b"Welcome to the API" in r[0][0], r)
        self.assertEqual(self.json_ok(m, "GET", "/api/motd"),
                         {"motd": "Welcome to the API"})
        self.error(m, "PUT", "/api/motd", 400, key=KEY,
                   body={"motd": 'a "quote"'})

    def test_stats_logs_reload_shutdown(self):
        m = self.api(check_alive=False)
        a = self.server(m, "127.0.0.2")
        a.register()
        self.assertTrue(self.listed(m, [a]), m.tail())
        self.assertEqual(self.json_ok(m, "GET", "/api/stats", key=KEY), {
            "total_servers": 1, "verified_servers": 1,
            "by_label": {"default": {"total": 1, "verified": 1}},
            "by_connection_type": {"udp": 1, "websocket": 0},
            "by_address_family": {"ipv4": 1, "ipv6": 0},
            "featured_groups": 0})
        o = self.json_ok(m, "GET", "/api/logs?limit=5&level=print",
                         key=KEY)
        self.assertLessEqual(o["count"], 5)
        self.assertEqual(o["count"], len(o["entries"]))
        for e in o["entries"]:
            self.assertEqual(sorted(e), ["level", "message", "process",
                                         "timestamp"])
            self.assertEqual(e["level"], "PRINT")
        for q in ("limit=0", "limit=1001", "limit=x", "level=LOUD"):
            self.error(m, "GET", "/api/logs?" + q, 400, key=KEY)
        m.d.write_file("motd.txt", "By hand\n")
        self.json_ok(m, "POST", "/api/admin/reload-config", key=KEY)
        self.assertTrue(wait_until(lambda: json.loads(self.request(
            m, "GET", "/api/motd")[2])["motd"] == "By hand", WAIT))
        plugins = self.json_ok(m, "GET", "/api/plugins", key=KEY)
        self.assertEqual([p["name"] for p in plugins["plugins"]], ["api"])
        o = self.json_ok(m, "POST", "/api/admin/shutdown", key=KEY)
        self.assertEqual(o["message"], "Shutdown initiated")
        self.assertEqual(m.d.wait(10), 0, m.tail())


class HeartbeatTest(APITest):

    def test_json_heartbeat(self):
        m = self.api()
        a = self.server(m, "127.0.0.2")
        o = self.json_ok(m, "POST", "/heartbeat",
                         body={"address": a.addr_str, "protocol": "69"})
        self.assertEqual(o, {"status": "success",
                             "message": "Heartbeat received, challenge sent"})
        a.answer(a.expect_getinfo())
        self.assertTrue(self.listed(m, [a]), m.tail())
        # One that does not answer is never listed.
        b = self.server(m, "127.0.0.3")
        self.json_ok(m, "POST", "/heartbeat",
                     body={"address": b.addr_str, "protocol": 71})
        b.expect_getinfo()
        time.sleep(1)
        self.assertTrue(self.listed(m, [a]))
        self.error(m, "POST", "/heartbeat", 404, "Not Found", key=KEY,
                   body={"address": b.addr_str, "protocol": "69",
                         "dead": True})
        for body, code in (({"protocol": "69"}, 400),
                           ({"address": a.addr_str}, 400),
                           ({"address": "nowhere:1", "protocol": "1"}, 400),
                           ({"address": "0.0.0.0:1", "protocol": "1"}, 403),
                           ({"address": "224.0.0.1:1", "protocol": "1"},
                            403),
                           ({"address": a.addr_str, "protocol": "1",
                             "dead": "yes"}, 400)):
            self.error(m, "POST", "/heartbeat", code, body=body)
        # 10 a minute from one client: 3 were taken above (a, b, b dead;
        # the refused bodies take none).
        n = 0
        while True:
            st, _, _ = self.request(m, "POST", "/heartbeat", body={
                "address": "127.0.0.5:%d" % (1000 + n), "protocol": "69"})
            if st != 200:
                break
            n += 1
            self.assertLess(n, 20)
        self.assertEqual(st, 429)
        self.assertIn(n, (7, 8), "refill of 1 a 6 s")
        # Dead, from another client: refused without a key, and with a
        # wrong one.
        dead = {"address": a.addr_str, "protocol": "69", "dead": True}
        o = self.error(m, "POST", "/heartbeat", 403, "Forbidden",
                       source=("127.0.0.9", 0), body=dead)
        self.assertIn("own address", o["message"])
        self.error(m, "POST", "/heartbeat", 401, "Unauthorized", key="no",
                   source=("127.0.0.9", 0), body=dead)
        self.assertTrue(self.listed(m, [a]))
        # From the server's own address: it is probed, and removed when
        # it stops answering.
        o = self.json_ok(m, "POST", "/heartbeat", source=("127.0.0.2", 0),
                         body=dead)
        self.assertIn("Flatline received", o["message"])
        self.assertTrue(self.listed(m, [], timeout=25), m.tail())


class BadInputTest(APITest):

    def test_bodies_paths_methods_headers(self):
        m = self.api(args=["--api-rate-limit", "0"])
        pid = m.api_pid()
        o = self.error(m, "PUT", "/api/motd", 400, key=KEY, body="{nope")
        self.assertIn("Invalid JSON", o["message"])
        self.error(m, "PUT", "/api/motd", 400, key=KEY, body=["motd"])
        self.error(m, "PUT", "/api/motd", 400, key=KEY,
                   body={"motd": "x", "extra": 1})
        self.error(m, "PUT", "/api/motd", 413, "Payload Too Large", key=KEY,
                   body=json.dumps({"motd": "x" * 20000}))
        # Past evhttp's own bound the connection goes; the API stays.
        try:
            st = self.request(m, "PUT", "/api/motd", key=KEY,
                              body="x" * 70000)[0]
            self.assertNotEqual(st, 200)
        except (OSError, http.client.HTTPException):
            pass
        try:
            st = self.request(m, "GET", "/api/servers",
                              headers={"X-Big": "y" * 9000})[0]
            self.assertGreaterEqual(st, 400)
        except (OSError, http.client.HTTPException):
            pass
        self.error(m, "GET", "/nope", 404, "Not Found")
        self.error(m, "GET", "/api/servers/", 404, "Not Found")
        st, h, data = self.request(m, "DELETE", "/api/servers")
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "GET, HEAD, OPTIONS")
        self.assertEqual(json.loads(data)["error"], "Method Not Allowed")
        self.error(m, "POST", "/heartbeat", 400, body="")
        self.json_ok(m, "GET", "/api/servers")
        self.assertEqual(m.api_pid(), pid, m.tail())
        self.assertEqual(m.d.count("terminated by signal"), 0, m.tail())

    def test_sigusr1_to_the_plugin(self):
        """SIGUSR1 is the parent's (a status line): the API plugin, which
        systemctl kill or a kill of the group reaches too, ignores it."""
        m = self.api()
        pid = m.api_pid()
        os.kill(pid, signal.SIGUSR1)
        m.d.signal(signal.SIGUSR1)
        m.d.wait_for_log(r"master: status: .*plugins: api \(pid %d\)$" %
                         pid, 5)
        self.json_ok(m, "GET", "/api/info")
        self.assertEqual(m.api_pid(), pid, m.tail())

    def test_rate_limit(self):
        m = self.api(args=["--api-rate-limit", "5"])
        # api() asked for /api/info once or more already.
        codes = [self.request(m, "GET", "/api/servers")[0]
                 for _ in range(6)]
        self.assertIn(429, codes)
        st, h, data = self.request(m, "GET", "/api/servers")
        self.assertEqual(st, 429)
        self.assertEqual(h["retry-after"], "13")
        self.assertEqual(json.loads(data)["error"], "Too Many Requests")
        # Per client: another address is answered meanwhile.
        self.json_ok(m, "GET", "/api/servers", source=("127.0.0.2", 0))


@unittest.skipUnless(IS_ROOT, "the sandbox needs root")
class SandboxTest(APITest):

    def test_chroot_user_seccomp(self):
        m = self.api()
        pid = m.api_pid()
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        self.assertRegex(status, r"(?m)^Seccomp:\s+2$")
        uid = int(re.search(r"(?m)^Uid:\s+(\d+)", status).group(1))
        self.assertEqual(uid, 65534)
        self.assertEqual(os.readlink("/proc/%d/root" % pid), "/var/empty")
        # Its descriptors: the channel, the sockets, no file.
        for fd in os.listdir("/proc/%d/fd" % pid):
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            self.assertTrue(t.startswith(("socket:", "pipe:", "anon_inode:",
                                          "/dev/null")), t)


if __name__ == "__main__":
    unittest.main()
