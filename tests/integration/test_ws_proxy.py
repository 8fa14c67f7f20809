# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""WebSocket clients behind a reverse proxy (issue 15, item 1): the
client's address from a --trusted-proxy's PROXY protocol header (v1 and
v2) or X-Forwarded-For / Forwarded header, and the per-address limit and
ignore.txt applied to it; the same headers from an untrusted peer refused
or ignored.  First raw bytes from a test socket, then a real nginx in
front: once as an HTTP proxy_pass with the upgrade headers, once as a
stream proxy with proxy_protocol on.  Loopback only: the proxy is
127.0.0.1, the clients come from other 127/8 addresses."""

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from fakes import EMPTY_EXT, HDR, LINE, UDPTest, parse_ext
from harness import free_ports, kill_pids, session_members, wait_until
from test_ws_real import (BROWSER_TIMEOUT, EXT_ONE, NODE_TIMEOUT,
                          RealClientCase, WS_DIR, hex_lines, run_node)
from ws_client import Closed, WSClient
from wsfakes import WSMaster, v4_entry

GETSERVERSEXT = HDR + b"getserversExt Tremulous 69 empty full"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


def v2_header(src, sport, dst="127.0.0.1", dport=30700, cmd=1, tlvs=b""):
    """A PROXY v2 header for TCP from src:sport, tlvs after the addresses."""
    if ":" in src:
        fam = 0x21
        addrs = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, "::1")
    else:
        fam = 0x11
        addrs = socket.inet_aton(src) + socket.inet_aton(dst)
    body = addrs + struct.pack(">HH", sport, dport) + tlvs
    return V2_SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H",
                                                          len(body)) + body


class ProxyCase(UDPTest):

    MASTER = WSMaster

    def master(self, args=(), files=None):
        m = WSMaster(self, ["-v", "--trusted-proxy", "127.0.0.1"] +
                     list(args), files=files)
        m.start()
        return m

    def conn(self, m, source="127.0.0.1"):
        c = WSClient("127.0.0.1", m.wsport, source=source, timeout=3)
        self.addCleanup(c.close)
        c.connect()
        return c

    def served(self, c, m):
        got = c.ask(GETSERVERSEXT, first=2.0, quiet=0.1)
        self.assertEqual(got, [EMPTY_EXT], m.tail())

    def proxied(self, m, client, port, extra=()):
        """A connection whose PROXY v1 header names client:port, served."""
        c = self.conn(m)
        c.send_raw(b"PROXY TCP4 %s 127.0.0.1 %d 30700\r\n" %
                   (client.encode(), port))
        c.handshake(extra=list(extra))
        self.served(c, m)
        return c

    def refused(self, c, what, m):
        """The connection ends without a 101."""
        try:
            resp = c.handshake(check=False, timeout=3)
        except (Closed, OSError):
            return None
        self.assertNotEqual(resp[0], 101, "%s: upgraded\n%s" % (what,
                                                                m.tail()))
        return resp[0]


class ProxyHeaderTest(ProxyCase):

    def test_v1_names_the_client_and_its_limit(self):
        m = self.master(["--ws-max-per-ip", "2"])
        for i in range(2):
            self.proxied(m, "192.0.2.7", 40000 + i)
            m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+: client "
                             r"192\.0\.2\.7:%d$" % (40000 + i))
        # The third from that client is refused, another client is not.
        c = self.conn(m)
        c.send_raw(b"PROXY TCP4 192.0.2.7 127.0.0.1 40002 30700\r\n")
        self.refused(c, "third from 192.0.2.7", m)
        m.d.wait_for_log(r"192\.0\.2\.7:40002 disconnected: too many "
                         r"connections from the address")
        c = self.conn(m)
        c.send_raw(b"PROXY TCP4 192.0.2.8 127.0.0.1 40003 30700\r\n")
        c.handshake()
        self.served(c, m)

    def test_v2_ipv6_and_local(self):
        m = self.master()
        c = self.conn(m)
        c.send_raw(v2_header("2001:db8::5", 4711))
        c.handshake()
        self.served(c, m)
        m.d.wait_for_log(r"client \[2001:db8::5\]:4711$")
        # LOCAL: the proxy's own connection, under its own address.
        c = self.conn(m)
        c.send_raw(v2_header("192.0.2.1", 1, cmd=0))
        c.handshake()
        self.served(c, m)
        # A header sent in pieces is read to its end and no further.
        c = self.conn(m)
        h = b"PROXY TCP4 192.0.2.44 127.0.0.1 5000 30700\r\n"
        c.send_raw(h[:3])
        time.sleep(0.2)
        c.send_raw(h[3:20])
        time.sleep(0.2)
        c.send_raw(h[20:])
        c.handshake()
        self.served(c, m)
        m.d.wait_for_log(r"client 192\.0\.2\.44:5000$")
        # TLVs (a NOOP one) to the whole 4096 bytes nginx also takes,
        # and one byte more.
        noop = b"\x04" + struct.pack(">H", 4096 - 16 - 12 - 3)
        noop += b"\x00" * (4096 - 16 - 12 - 3)
        h = v2_header("192.0.2.45", 5001, tlvs=noop)
        self.assertEqual(len(h), 4096)
        c = self.conn(m)
        c.send_raw(h)
        c.handshake()
        self.served(c, m)
        m.d.wait_for_log(r"client 192\.0\.2\.45:5001$")
        c = self.conn(m)
        c.send_raw(v2_header("192.0.2.46", 5002, tlvs=noop + b"\x00"))
        self.refused(c, "a header of 4097 bytes", m)

    def test_bad_headers_from_a_proxy(self):
        m = self.master()
        for bad in (b"PROXY TCP4 192.0.2.7 127.0.0.1 99999 1\r\n",
                    b"PROXY TCP5 192.0.2.7 127.0.0.1 1 1\r\n",
                    b"PROXY TCP4 2001:db8::1 127.0.0.1 1 1\r\n",
                    b"PROXY TCP4  192.0.2.7 127.0.0.1 1 1\r\n",
                    b"PROXY " + b"x" * 120,
                    V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,
                    V2_SIG + b"\x21\x11\x00\x04" + b"\x00" * 4,
                    V2_SIG + b"\x21\x11\xff\xff"):
            c = self.conn(m)
            c.send_raw(bad)
            self.refused(c, repr(bad), m)
        n = m.d.count(r"disconnected: bad PROXY protocol header$")
        self.assertEqual(n, 8, m.tail())
        # A proxy's plain request, without a header, is still served.
        c = self.conn(m)
        c.handshake()
        self.served(c, m)

    def test_unknown_then_a_forwarding_header(self):
        """After PROXY UNKNOWN (or v2 LOCAL) the bytes are the client's
        own, through a stream proxy: their X-Forwarded-For is not read."""
        m = self.master(["--ws-max-per-ip", "1"])
        for head in (b"PROXY UNKNOWN\r\n", v2_header("192.0.2.1", 1, cmd=0)):
            c = self.conn(m)
            c.send_raw(head)
            c.handshake(extra=[("X-Forwarded-For", "203.0.113.77")])
            self.served(c, m)
        self.assertEqual(m.d.count(r"client 203\.0\.113\.77"), 0, m.tail())

    def test_inner_trusted_proxy(self):
        """A PROXY header naming another trusted proxy: its connections
        are not limited as one client, and its X-Forwarded-For names the
        client behind it."""
        m = self.master(["--trusted-proxy", "10.0.0.0/8",
                         "--ws-max-per-ip", "1"])
        for i in range(3):
            self.proxied(m, "10.1.1.1", 5000 + i)     # each kept open
        self.proxied(m, "10.1.1.1", 5009,
                     [("X-Forwarded-For", "192.0.2.70, 10.1.1.1")])
        m.d.wait_for_log(r"client 192\.0\.2\.70:5009$")
        self.assertEqual(m.d.count(r"too many connections"), 0, m.tail())

    def test_trust_everyone_warned(self):
        m = self.master(["--trusted-proxy", "::/0"])
        m.d.wait_for_log(r"netd: --trusted-proxy ::/0 trusts every address "
                         r"of its family")
        self.assertEqual(m.d.count(r"--trusted-proxy 127\.0\.0\.1 trusts"),
                         0, m.tail())

    def test_untrusted_peer(self):
        m = self.master(["--ws-max-per-ip", "1"])
        c = self.conn(m, source="127.0.0.2")
        c.send_raw(b"PROXY TCP4 192.0.2.7 127.0.0.1 1 30700\r\n")
        self.assertEqual(self.refused(c, "PROXY from 127.0.0.2", m), 400)
        m.d.wait_for_log(r"127\.0\.0\.2:\d+: PROXY header from an address "
                         r"not in --trusted-proxy")
        # Its X-Forwarded-For is not read: it stays 127.0.0.2.
        c = self.conn(m, source="127.0.0.2")
        c.handshake(extra=[("X-Forwarded-For", "192.0.2.99")])
        self.served(c, m)
        # So a second one is over its limit of one, at accept.
        c2 = self.conn(m, source="127.0.0.2")
        try:
            c2.handshake(extra=[("X-Forwarded-For", "192.0.2.98")],
                         check=False, timeout=3)
            self.fail("a second connection from 127.0.0.2 was answered")
        except (Closed, OSError):
            pass
        m.d.wait_for_log(r"connection from 127\.0\.0\.2:\d+ refused: too "
                         r"many connections from the address")
        self.assertEqual(m.d.count(r"client 192\.0\.2\.9"), 0, m.tail())


class ForwardedHeaderTest(ProxyCase):

    def test_x_forwarded_for(self):
        m = self.master(["--ws-max-per-ip", "1"],
                        files={"ignore.txt": "192.0.2.66\n"})
        c = self.conn(m)
        # What the client wrote is to the left of what the proxy wrote.
        c.handshake(extra=[("X-Forwarded-For", "10.9.9.9, 192.0.2.9")])
        self.served(c, m)
        m.d.wait_for_log(r"client 192\.0\.2\.9:\d+$")
        c = self.conn(m)
        resp = c.handshake(extra=[("X-Forwarded-For", "192.0.2.9")],
                           check=False)
        self.assertEqual(resp[0], 429, m.tail())
        c = self.conn(m)
        resp = c.handshake(extra=[("X-Forwarded-For", "192.0.2.66")],
                           check=False)
        self.assertEqual(resp[0], 403, m.tail())
        # Two fields are one list; trusted entries are walked past.
        c = self.conn(m)
        c.handshake(extra=[("X-Forwarded-For", "[2001:db8::7]:99"),
                           ("X-Forwarded-For", "127.0.0.1")])
        self.served(c, m)
        m.d.wait_for_log(r"client \[2001:db8::7\]:99$")

    def test_forwarded(self):
        m = self.master(["--real-ip-header", "Forwarded"])
        c = self.conn(m)
        c.handshake(extra=[("X-Forwarded-For", "192.0.2.1"),
                           ("Forwarded", 'for=192.0.2.2, for="[2001:db8::'
                            '9]:4711";proto=http;by=127.0.0.1')])
        self.served(c, m)
        m.d.wait_for_log(r"client \[2001:db8::9\]:4711$")
        self.assertEqual(m.d.count(r"client 192\.0\.2\.[12]"), 0, m.tail())
        # A header that names no client is refused: an obfuscated name,
        # an element without for=, for= twice, an unterminated quote.
        for bad in ("for=_hidden", "proto=http", "for=unknown",
                    "proto=http;for=203.0.113.9;for=198.51.100.7",
                    'for="198.51.100.7', "for=198.51.100.7;host",
                    "for=198.51.100.7, for=_hidden"):
            c = self.conn(m)
            resp = c.handshake(extra=[("Forwarded", bad)], check=False,
                               timeout=3)
            self.assertEqual(resp[0], 400, "%s\n%s" % (bad, m.tail()))
        self.assertEqual(m.d.count(r"Forwarded header without a client "
                                   r"address$"), 7, m.tail())

    def test_forwarded_quoted_strings(self):
        """A ',' or ';' inside a quoted string splits nothing: what a
        client wrote into a value the proxy quoted stays in that value,
        and is never a client address, nor a way past ignore.txt."""
        m = self.master(["--real-ip-header", "Forwarded"],
                        files={"ignore.txt": "198.51.100.66\n"})
        c = self.conn(m)
        c.handshake(extra=[("Forwarded", 'for=198.51.100.7;host="x,for='
                            '203.0.113.9"')])
        self.served(c, m)
        m.d.wait_for_log(r"client 198\.51\.100\.7:\d+$")
        c = self.conn(m)
        c.handshake(extra=[("Forwarded", 'host="a;for=b";for=198.51.100.8'
                            ';proto="h\\"ttp"')])
        self.served(c, m)
        m.d.wait_for_log(r"client 198\.51\.100\.8:\d+$")
        c = self.conn(m)
        resp = c.handshake(extra=[("Forwarded", 'host="a;for=b";for='
                                   '198.51.100.66')], check=False, timeout=3)
        self.assertEqual(resp[0], 403, m.tail())
        self.assertEqual(m.d.count(r"client 203\.0\.113\.9"), 0, m.tail())


def nginx_or_skip(test):
    if shutil.which("nginx") is None:
        test.skipTest("nginx is not installed (sh tools/install-deps.sh)")


class NginxCase(ProxyCase):
    """A real nginx on 127.0.0.1 in front of the master's WebSocket
    port; stopped by its PID."""

    def nginx(self, body, stream=False):
        nginx_or_skip(self)
        if stream and not os.path.exists(STREAM_MODULE):
            self.skipTest("libnginx-mod-stream is not installed")
        tmp = tempfile.mkdtemp(prefix="tremmasterd-nginx.")
        self.addCleanup(shutil.rmtree, tmp, True)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            if stream:
                f.write("load_module %s;\n" % STREAM_MODULE)
            f.write("worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log;\nevents { worker_connections "
                    "256; }\n%s\n" % (tmp, tmp, body))
        p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)

        def stop():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.addCleanup(stop)
        self.tmp = tmp
        return p

    def wait_listening(self, port, p, source=None):
        """Wait for nginx to listen on port, probing from source if given
        (in stream mode nginx passes each probe on to the master)."""
        def up():
            try:
                socket.create_connection(
                    ("127.0.0.1", port), 0.5,
                    (source, 0) if source else None).close()
                return True
            except OSError:
                return False
        if not wait_until(up, 10) or p.poll() is not None:
            with open(os.path.join(self.tmp, "error.log")) as f:
                self.fail("nginx did not start: %s" % f.read())

    def via(self, port, source):
        c = WSClient("127.0.0.1", port, source=source, timeout=5)
        self.addCleanup(c.close)
        c.connect()
        return c


class NginxTest(NginxCase):

    def test_http_proxy_pass(self):
        m = self.master(["--ws-max-per-ip", "1"])
        (port,) = free_ports(1)
        p = self.nginx("""http {
    access_log off;
    server {
        listen 127.0.0.1:%d;
        location / {
            proxy_pass http://127.0.0.1:%d;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}""" % (port, m.wsport))
        self.wait_listening(port, p)
        c = self.via(port, "127.0.0.3")
        c.handshake(extra=[("X-Forwarded-For", "192.0.2.1")])
        self.served(c, m)
        m.d.wait_for_log(r"127\.0\.0\.1:\d+: client 127\.0\.0\.3:\d+$")
        # The limit is the client's: a second from 127.0.0.3 is refused,
        # one from 127.0.0.4 is not.
        c2 = self.via(port, "127.0.0.3")
        resp = c2.handshake(check=False)
        self.assertEqual(resp[0], 429, m.tail())
        c3 = self.via(port, "127.0.0.4")
        c3.handshake()
        self.served(c3, m)
        self.served(c, m)

    def test_stream_proxy_protocol(self):
        m = self.master(["--ws-max-per-ip", "1", "--real-ip-header",
                         "none"])
        (port,) = free_ports(1)
        p = self.nginx("""stream {
    server {
        listen 127.0.0.1:%d;
        proxy_pass 127.0.0.1:%d;
        proxy_protocol on;
    }
}""" % (port, m.wsport), stream=True)
        self.wait_listening(port, p)
        c = self.via(port, "127.0.0.3")
        c.handshake(extra=[("X-Forwarded-For", "192.0.2.1")])
        self.served(c, m)
        m.d.wait_for_log(r"client 127\.0\.0\.3:%d$" % c.sock.getsockname()[1])
        c2 = self.via(port, "127.0.0.3")
        self.refused(c2, "second from 127.0.0.3", m)
        c3 = self.via(port, "127.0.0.4")
        c3.handshake()
        self.served(c3, m)
        self.assertEqual(m.d.count(r"client 192\.0\.2\.1"), 0, m.tail())


# nginx connects to the master from this address, the only one the master
# trusts; the clients behind nginx come from other 127/8 addresses, so an
# address the master took from the socket instead of from nginx's header
# shows as 127.0.0.2.
NGINX_SOURCE = "127.0.0.2"
NGINX_SOURCE_RE = NGINX_SOURCE.replace(".", r"\.")
FRONTS = {
    "http": """http {
    access_log off;
    server {
        listen 127.0.0.1:%(port)d;
        location / {
            proxy_pass http://127.0.0.1:%(wsport)d;
            proxy_bind %(source)s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}""",
    "stream": """stream {
    server {
        listen 127.0.0.1:%(port)d;
        proxy_pass 127.0.0.1:%(wsport)d;
        proxy_bind %(source)s;
        proxy_protocol on;
    }
}""",
}
LISTENING_PROBE = "127.0.0.99"  # the source of the probes of front()
SERVE_TIMEOUT = 60              # the longest a node_client.js --serve runs


def re_addr(addr):
    return addr.replace(".", r"\.")


class NginxRealClientTest(NginxCase, RealClientCase):
    """The real clients of test_ws_real behind a real nginx: Node.js's
    `ws` (tests/ws/node_client.js, which can pick its local address and
    play the web build of a game server) and headless Chromium
    (tests/ws/browser_test.js, always from 127.0.0.1).  nginx, once an
    HTTP proxy_pass with the upgrade headers and once a stream proxy with
    proxy_protocol on, connects to the master from 127.0.0.2 (proxy_bind),
    the master's only --trusted-proxy.  The server list, --max-per-ip,
    --ws-max-per-ip and the throttle must all go by the client's address,
    never by nginx's."""

    def front_master(self, mode, args=(), throttle=False):
        argv = ["-v", "--trusted-proxy", NGINX_SOURCE]
        if mode == "stream":
            argv += ["--real-ip-header", "none"]
        m = WSMaster(self, argv + list(args), throttle=throttle).start()
        self.addCleanup(self._check_alive, m)
        m.d.wait_for_log(r"\[WS\] 1 trusted proxy: ", 5)
        return m

    def front(self, mode, m):
        """nginx in front of m in mode ("http" or "stream"); its port."""
        (port,) = free_ports(1)
        p = self.nginx(FRONTS[mode] % {"port": port, "wsport": m.wsport,
                                       "source": NGINX_SOURCE},
                       stream=(mode == "stream"))
        self.wait_listening(port, p, LISTENING_PROBE)
        return port

    def peer(self, port, local, *args):
        """node_client.js as a client of port from local: (status, the
        messages received, stderr)."""
        rc, out, err = run_node(self, "node_client.js", [port, "--local",
                                                       local] + list(args),
                                NODE_TIMEOUT)
        return rc, hex_lines(out), err

    def web_server(self, m, port, local, gports):
        """node_client.js --serve gports from local, through port: the web
        build of a game server, connected until the test ends.  Returns
        once each of gports was answered."""
        cmd = [shutil.which("node"), os.path.join(WS_DIR, "node_client.js"),
               str(port), "--local", local, "--serve",
               ",".join(str(g) for g in gports), "--timeout",
               str(SERVE_TIMEOUT * 1000)]
        p = subprocess.Popen(cmd, cwd=WS_DIR, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)

        def stop():
            p.stdin.close()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
            left = session_members(p.pid)
            kill_pids(left + ([p.pid] if p.poll() is None else []))
            p.wait(5)
            p.stdout.close()
            p.stderr.close()
        self.addCleanup(stop)
        out = b""
        deadline = time.monotonic() + NODE_TIMEOUT
        while out.count(b"\n") < len(gports) and p.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([p.stdout], [], [], left)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        lines = out.decode("ascii", "replace").splitlines()
        want = [r"answered %d [!-~]{12}" % g for g in gports]
        if len(lines) != len(want) or not all(
                re.fullmatch(w, line) for w, line in zip(want, lines)):
            if p.poll() is None:
                kill_pids(session_members(p.pid) + [p.pid])
            err = p.stderr.read().decode("utf-8", "replace")
            self.fail("web server on %s: %r (want %r)\n%s\n%s" % (
                local, lines, want, err[-2000:], m.tail()))
        return p

    def assert_client(self, m, client, count=1):
        """The master took client from nginx's connection, count times."""
        m.d.wait_for_log(r"\[WS\] %s:\d+: client %s:\d+$" % (
            NGINX_SOURCE_RE, re_addr(client)), 5, count)

    def assert_listed(self, m, what, msgs, servers):
        """msgs is one getserversExtResponse listing exactly servers."""
        info = "%s: %r\n%s" % (what, msgs, m.tail())
        self.assertEqual(len(msgs), 1, info)
        idx, total, label, entries = parse_ext(msgs[0])
        self.assertEqual((idx, total, label), (1, 1, ""), info)
        self.assertEqual(sorted(entries), sorted(servers), info)
        if len(servers) == 1:
            self.assertEqual(msgs[0], EXT_ONE + v4_entry(*servers[0]) +
                             b"\\", info)

    # -- Node.js

    def node_checks(self, mode):
        self.need_node()
        burst = 5
        m = self.front_master(mode, ["--ws-max-per-ip", "1", "--max-per-ip",
                                     "1", "--throttle-burst", burst],
                              throttle=True)
        port = self.front(mode, m)
        g1, g1b, g2 = free_ports(3)

        # Two web game servers behind nginx.  127.0.0.3 announces two
        # ports: --max-per-ip 1 lists the first only.  127.0.0.7 is
        # listed all the same: the limit is not counted under nginx.
        self.web_server(m, port, "127.0.0.3", [g1, g1b])
        self.assert_client(m, "127.0.0.3")
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.3:%d verified" %
                         g1, 5)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.3:\d+: received \d+ bytes: "
                         r"\\377\\377\\377\\377infoResponse", 5, 2)
        self.web_server(m, port, "127.0.0.7", [g2])
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.7:%d verified" %
                         g2, 5)
        servers = [("127.0.0.3", g1), ("127.0.0.7", g2)]

        # A web client behind nginx gets them under their own addresses.
        # Its forged X-Forwarded-For, which names 127.0.0.3 (at its
        # limit of one connection), is not believed.
        rc, msgs, err = self.peer(port, "127.0.0.4", "--header",
                                  "X-Forwarded-For: 127.0.0.3")
        self.assertEqual(rc, 0, err + m.tail())
        self.assert_listed(m, "list from 127.0.0.4", msgs, servers)
        self.assert_client(m, "127.0.0.4")
        self.assertEqual(m.d.count(r"\[WS\] %s:\d+: client 127\.0\.0\.3:"
                                   % NGINX_SOURCE_RE), 1, m.tail())

        # --ws-max-per-ip 1: a second connection from 127.0.0.3, whose
        # game server holds one, is refused (nginx passes the master's
        # 429 on, or the master closes the stream).
        rc, msgs, err = self.peer(port, "127.0.0.3")
        self.assertEqual((rc, msgs), (1, []), err + m.tail())
        if mode == "http":
            self.assertIn("upgrade refused: 429", err)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.3:\d+ (refused|disconnected): "
                         r"too many connections from the address$", 5)
        self.assert_client(m, "127.0.0.3", 2)

        # The throttle: each client gets its own burst, whatever number
        # of them nginx carries.
        t = time.monotonic()
        for client in ("127.0.0.5", "127.0.0.6"):
            rc, msgs, err = self.peer(port, client, "--count", burst + 3)
            self.assertEqual(rc, 0, err + m.tail())
            self.assertEqual(len(msgs), burst, "%s: %d answers to %d "
                             "requests\n%s" % (client, len(msgs), burst + 3,
                                               m.tail()))
            for msg in msgs:
                self.assert_listed(m, client, [msg], servers)
            self.assert_client(m, client)
            m.d.wait_for_log(r"netd: %s:\d+: list request throttled$" %
                             re_addr(client), 5, 3)
        # 127.0.0.5 spent its burst: it has regained at most a token a
        # second since.
        rc, msgs, err = self.peer(port, "127.0.0.5", "--count", burst + 3)
        regained = int(time.monotonic() - t) + 1
        if regained < burst:
            self.assertLessEqual(len(msgs), regained, m.tail())
        self.assert_client(m, "127.0.0.5", 2)
        m.d.wait_for_log(r"netd: 127\.0\.0\.5:\d+: list request throttled$",
                         5, 3 + burst + 3 - len(msgs))
        self.assertEqual(m.d.count(r"netd: %s:\d+: list request throttled"
                                   % NGINX_SOURCE_RE), 0, m.tail())
        self.assertEqual(m.d.count(r"client %s:" % NGINX_SOURCE_RE), 0,
                         m.tail())

    def test_node_http_proxy_pass(self):
        self.node_checks("http")

    def test_node_stream_proxy_protocol(self):
        self.node_checks("stream")

    # -- Chromium

    def browser(self, m, port, what):
        t = time.monotonic()
        rc, out, err = run_node(self, "browser_test.js", [port],
                                BROWSER_TIMEOUT)
        return rc, hex_lines(out), "%s (%.1f s): exit %s\n%s\n%s" % (
            what, time.monotonic() - t, rc, err[-3000:], m.tail())

    def browser_checks(self, mode):
        self.need_browser()
        m = self.front_master(mode, ["--ws-max-per-ip", "1"])
        port = self.front(mode, m)
        (g1,) = free_ports(1)
        self.web_server(m, port, "127.0.0.3", [g1])
        m.d.wait_for_log(LINE + r"netd: server 127\.0\.0\.3:%d verified" %
                         g1, 5)

        # While another connection from 127.0.0.1 is open through nginx,
        # Chromium (from 127.0.0.1 too) is over --ws-max-per-ip 1.
        holder = self.via(port, "127.0.0.1")
        holder.handshake()
        self.assert_client(m, "127.0.0.1")
        rc, msgs, info = self.browser(m, port, "Chromium, over the limit")
        self.assertEqual((rc, msgs), (2, []), info)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ (refused|disconnected): "
                         r"too many connections from the address$", 5)
        self.assert_client(m, "127.0.0.1", 2)

        # Once it is closed, Chromium gets the web server, listed under
        # its own address, while nginx carries that server's connection.
        gone = r"\[WS\] 127\.0\.0\.1:\d+ disconnected: connection lost"
        holder.close()
        m.d.wait_for_log(gone, 5)
        rc, msgs, info = self.browser(m, port, "Chromium")
        self.assertEqual(rc, 0, info)
        self.assert_listed(m, info, msgs, [("127.0.0.3", g1)])
        self.assert_client(m, "127.0.0.1", 3)
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ handshake: 101$", 5, 2)
        # The refused one, the holder and Chromium's, all closed.
        m.d.wait_for_log(r"\[WS\] 127\.0\.0\.1:\d+ disconnected: ", 5, 3)
        self.assertEqual(m.d.count(r"client %s:" % NGINX_SOURCE_RE), 0,
                         m.tail())

    def test_chromium_http_proxy_pass(self):
        self.browser_checks("http")

    def test_chromium_stream_proxy_protocol(self):
        self.browser_checks("stream")


if __name__ == "__main__":
    unittest.main()
