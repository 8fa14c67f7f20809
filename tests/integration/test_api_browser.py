# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The REST API's status page (GET / with Accept: text/html) in a real
browser.  The daemon runs with --api-port and three fake game servers
registered over UDP; headless Chromium, driven by playwright-core
(tests/ws/status_page.js), loads the page with JavaScript off, checks the
rows of the table in the DOM (name without its colour codes, map,
"N / M" players), that there is no script and nothing wider than the
window (a desktop's and a phone's), and saves full-page screenshots.
tesseract then reads the desktop one: the master's title, and a server's
name and map on one line, must be in it.  The screenshots are copied to
the paths printed in the output ($TREMMASTERD_SHOT_DIR, default
tremmasterd-shots in the temporary directory) for a human to look at.

tools/install-deps.sh installs Node.js, Chromium, tests/ws/node_modules and
tesseract-ocr; without the first three the test is skipped, without
tesseract only its OCR part is."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness
from harness import free_ports, wait_until
from fakes import LINE, FakeServer, Master
from test_ws_real import INSTALL, RealClientCase, run_node

TITLE = "Tremulous master server"
BROWSER_TIMEOUT = 45            # one run of status_page.js, in seconds
OCR_TIMEOUT = 30                # one run of tesseract
HTTP_TIMEOUT = 5                # one request of ours to the API
LIST_WAIT = 5                   # the API's copy of the table, in seconds

# (address, infoResponse values, the name the page shows)
SERVERS = [
    ("127.0.0.2", dict(hostname="^1Red^7Base & <Friends>", mapname="atcs",
                       clients=5, maxclients=12), "RedBase & <Friends>"),
    ("127.0.0.3", dict(hostname="^3Golden ^5Arena", mapname="niveus",
                       clients=0, maxclients=16), "Golden Arena"),
    ("127.0.0.4", dict(hostname="Plain Old Server", mapname="karith",
                       clients=9, maxclients=10), "Plain Old Server"),
]


def words(text):
    """The words of text, lower case: runs of letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def shot_dir():
    d = os.environ.get("TREMMASTERD_SHOT_DIR") or os.path.join(
        tempfile.gettempdir(), "tremmasterd-shots")
    os.makedirs(d, exist_ok=True)
    return d


class APIBrowserTest(RealClientCase):

    def get(self, url, accept=None):
        req = urllib.request.Request(url)
        if accept is not None:
            req.add_header("Accept", accept)
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()

    def master_with_servers(self):
        """A daemon with the API on its own port and SERVERS registered
        and in the API's copy of the table; returns (master, the fake
        servers, base URL)."""
        ports = free_ports(3)
        m = Master(self, ["--api-port", ports[2]], ports=ports[:2]).start()
        m.d.wait_for_log(LINE + r"netd: plugin api: registered ", 5)
        servers = []
        for addr, info, _ in SERVERS:
            s = FakeServer(self, m, addr, **info)
            s.register()
            servers.append(s)
        base = "http://127.0.0.1:%d" % ports[2]
        last = [None]

        def listed():
            try:
                _, _, body = self.get(base + "/api/servers")
            except OSError as e:
                last[0] = repr(e)
                return False
            last[0] = body[:2000]
            return json.loads(body).get("count") == len(SERVERS)
        if not wait_until(listed, LIST_WAIT, 0.1):
            self.fail("/api/servers did not list %d servers within %d s: "
                      "%s\n%s" % (len(SERVERS), LIST_WAIT, last[0],
                                  m.tail()))
        return m, servers, base

    def test_status_page_in_chromium(self):
        self.need_browser()
        m, servers, base = self.master_with_servers()

        # The bytes first: escaped, colour codes gone, no script.
        status, ctype, body = self.get(base + "/", "text/html")
        html = body.decode("utf-8")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/html"), ctype)
        self.assertIn(">RedBase &amp; &lt;Friends&gt;</td>", html)
        self.assertNotIn("^1", html)
        self.assertNotIn("<script", html.lower())

        tmp = tempfile.mkdtemp(prefix="tremmasterd-browser-")
        self.addCleanup(shutil.rmtree, tmp, True)
        expect = os.path.join(tmp, "expect.json")
        shot = os.path.join(tmp, "status.png")
        with open(expect, "w") as f:
            json.dump({"title": TITLE, "servers": [
                {"name": name, "map": info["mapname"],
                 "players": "%d / %d" % (info["clients"],
                                         info["maxclients"])}
                for _, info, name in SERVERS]}, f)
        t = time.monotonic()
        rc, out, err = run_node(self, "status_page.js",
                                [base + "/", expect, shot],
                                BROWSER_TIMEOUT)
        took = time.monotonic() - t

        # Keep the screenshots, whatever the checks say.
        kept = None
        build = os.path.basename(os.path.dirname(harness.binary()))
        for src, what in ((shot, ""), (shot[:-4] + "-narrow.png",
                                       "-narrow")):
            if not os.path.isfile(src):
                continue
            dst = os.path.join(shot_dir(), "api-status-%s%s.png" % (
                build, what))
            shutil.copyfile(src, dst)
            print("    screenshot of the status page%s: %s" % (
                " (narrow window)" if what else "", dst), flush=True)
            if not what:
                kept = dst
        info = "status_page.js: exit %s (%.1f s)\nstdout:\n%s\nstderr:\n" \
            "%s\n%s" % (rc, took, out, err[-3000:], m.tail())
        self.assertEqual(rc, 0, info)
        self.assertIsNotNone(kept, "no screenshot\n" + info)
        seen = json.loads(out.splitlines()[-1])
        self.assertEqual(seen["scripts"], 0, info)
        self.assertEqual(len(seen["rows"]), len(SERVERS), info)
        # The other cells, as status_page.js found them (it checked the
        # first three): address, game, protocols, transport, label.
        rows = {r[0]: r for r in seen["rows"]}
        for s, (_, _, name) in zip(servers, SERVERS):
            self.assertEqual(rows[name][3:8], [
                s.addr_str, "base", "69", "UDP", "default"], info)
            self.assertRegex(rows[name][8], r"^\d+s ago$", info)
        self.assertEqual((seen["servers"], seen["players"],
                          seen["health"]), (str(len(SERVERS)), str(sum(
                              i["clients"] for _, i, _ in SERVERS)),
                              "serving"), info)
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", shot)

        with self.subTest("ocr"):
            self.ocr(shot)

    def ocr(self, shot):
        """The master's title and one server's name and map must be in
        what tesseract reads from the screenshot."""
        tess = shutil.which("tesseract")
        if tess is None:
            self.skipTest("OCR of the screenshot skipped: tesseract is not "
                          "installed (Debian package tesseract-ocr) " +
                          INSTALL)
        try:
            p = subprocess.run([tess, shot, "stdout"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=OCR_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("tesseract did not end within %d s" % OCR_TIMEOUT)
        text = p.stdout.decode("utf-8", "replace")
        info = "tesseract: exit %d\nstderr:\n%s\ntext:\n%s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-2000:], text)
        self.assertEqual(p.returncode, 0, info)
        lines = [" %s " % " ".join(words(line))
                 for line in text.splitlines()]
        self.assertTrue(any(" %s " % " ".join(words(TITLE)) in line
                            for line in lines),
                        "the title %r is not in the OCR text\n%s" % (
                            TITLE, info))
        found = [name for _, s, name in SERVERS
                 if any(" %s " % " ".join(words(name)) in line and
                        " %s " % s["mapname"] in line for line in lines)]
        self.assertTrue(found, "no server's name and its map are on a line "
                        "of the OCR text\n" + info)


if __name__ == "__main__":
    unittest.main()
