# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Real WebSocket clients against tremmasterd: Node.js with the `ws`
package (tests/ws/node_client.js) and headless Chromium driven by
playwright-core (tests/ws/browser_test.js).  Each asks for the server list
and must get the exact bytes a web client expects.  tools/install-deps.sh
installs Node.js, Chromium and tests/ws/node_modules; without them these
tests are skipped, saying what is missing."""

import os
import re
import shutil
import subprocess
import time
import unittest

import harness
from harness import free_ports, kill_pids, session_members, wait_until
from fakes import (EMPTY_EXT, FakeServer, HDR, LINE, PLAIN_HDR, Client)
from wsfakes import WSGameServer, WSMaster, v4_entry

WS_DIR = os.path.join(os.path.dirname(harness.HERE), "ws")
NODE_MODULES = os.path.join(WS_DIR, "node_modules")
CHROMIUM = "/usr/bin/chromium"
NODE_TIMEOUT = 20               # one run of node_client.js, in seconds
BROWSER_TIMEOUT = 60            # one run of browser_test.js

INSTALL = "(sh tools/install-deps.sh installs it)"


def run_node(test, script, args, timeout):
    """Run node script args in its own session; returns (exit status,
    stdout, stderr).  Every process it left (a browser) is killed by PID;
    a run over timeout fails the test."""
    cmd = [shutil.which("node"), os.path.join(WS_DIR, script)] + \
        [str(a) for a in args]
    p = subprocess.Popen(cmd, cwd=WS_DIR, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)

    def reap():
        left = session_members(p.pid)
        if left:
            kill_pids(left)
            wait_until(lambda: not session_members(p.pid), 5)
    test.addCleanup(reap)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_pids(session_members(p.pid) + [p.pid])
        out, err = p.communicate(timeout=5)
        test.fail("%s did not end within %d s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(cmd), timeout, out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace")[-3000:]))
    reap()
    return (p.returncode, out.decode("ascii", "replace"),
            err.decode("utf-8", "replace"))


def hex_lines(out):
    """The messages a client printed, as bytes."""
    return [bytes.fromhex(line) for line in out.split()
            if re.fullmatch(r"[0-9a-f]*", line)]


class RealClientCase(unittest.TestCase):

    def need_node(self):
        if shutil.which("node") is None:
            self.skipTest("node (Node.js) is not installed " + INSTALL)
        if not os.path.isfile(os.path.join(NODE_MODULES, "ws",
                                           "package.json")):
            self.skipTest("tests/ws/node_modules/ws is missing: npm ci in "
                          "tests/ws " + INSTALL)

    def need_browser(self):
        self.need_node()
        if not os.access(CHROMIUM, os.X_OK):
            self.skipTest("%s is missing (Debian package chromium) %s" % (
                CHROMIUM, INSTALL))
        if not os.path.isfile(os.path.join(NODE_MODULES, "playwright-core",
                                           "package.json")):
            self.skipTest("tests/ws/node_modules/playwright-core is "
                          "missing: npm ci in tests/ws " + INSTALL)

    def master_with_servers(self, tls=None):
        """A daemon with one verified WebSocket server (127.0.0.5, listed
        under its announced port) and one verified UDP server: the list a
        web client gets holds the first only."""
        m = WSMaster(self, tls=tls).start()
        port = free_ports(1)[0]
        ws_server = WSGameServer(self, m, "127.0.0.5", port)
        ws_server.register()
        udp_server = FakeServer(self, m, "127.0.0.6")
        udp_server.register()
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.5:%d verified" %
                         port, 3)
        Client(self, m).wait_listed([udp_server])
        return m, ws_server

    def expect(self, entry):
        ext = EXT_ONE + v4_entry(*entry) + b"\\"
        plain = PLAIN_HDR + v4_entry(*entry) + b"\\"
        return ext, plain

    def check_run(self, m, what, rc, out, err, want):
        info = "%s: exit %s\nstdout:\n%s\nstderr:\n%s\n%s" % (
            what, rc, out, err[-3000:], m.tail())
        self.assertEqual(rc, 0, info)
        self.assertEqual(hex_lines(out), want, info)


EXT_ONE = HDR + b"getserversExtResponse\x001\x001\x00"


class NodeClientTest(RealClientCase):

    def test_node_ws_client(self):
        self.need_node()
        m, s = self.master_with_servers()
        ext, plain = self.expect(s.entry)
        rc, out, err = run_node(self, "node_client.js", [m.wsport],
                                NODE_TIMEOUT)
        self.check_run(m, "getserversExt", rc, out, err, [ext])
        rc, out, err = run_node(self, "node_client.js", [
            m.wsport, "--request", "getservers 69 empty full"], NODE_TIMEOUT)
        self.check_run(m, "getservers", rc, out, err, [plain])
        rc, out, err = run_node(self, "node_client.js", [
            m.wsport, "--request", "getserversExt Tremulous 70"],
            NODE_TIMEOUT)
        self.check_run(m, "getserversExt 70", rc, out, err, [EMPTY_EXT])

    def test_node_wss_client(self):
        self.need_node()
        from test_ws import make_cert
        key, cert, _ = make_cert(self)
        m, s = self.master_with_servers(tls=(key, cert))
        ext, _ = self.expect(s.entry)
        rc, out, err = run_node(self, "node_client.js", [m.wsport, "--wss"],
                                NODE_TIMEOUT)
        self.check_run(m, "wss getserversExt", rc, out, err, [ext])


class BrowserTest(RealClientCase):

    def test_chromium_ws_client(self):
        self.need_browser()
        m, s = self.master_with_servers()
        ext, plain = self.expect(s.entry)
        t = time.monotonic()
        rc, out, err = run_node(self, "browser_test.js", [m.wsport],
                                BROWSER_TIMEOUT)
        self.check_run(m, "Chromium getserversExt (%.1f s)" % (
            time.monotonic() - t), rc, out, err, [ext])
        self.assertRegex(err, r"events open, (quiet|closed)", err)
        # Chromium's own connection, upgraded and closed.
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ handshake: 101$", 3)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ disconnected", 3)

    def test_chromium_wss_client(self):
        self.need_browser()
        from test_ws import make_cert
        key, cert, _ = make_cert(self)
        m, s = self.master_with_servers(tls=(key, cert))
        ext, _ = self.expect(s.entry)
        rc, out, err = run_node(self, "browser_test.js", [m.wsport, "--wss"],
                                BROWSER_TIMEOUT)
        self.check_run(m, "Chromium wss getserversExt", rc, out, err, [ext])


if __name__ == "__main__":
    unittest.main()
