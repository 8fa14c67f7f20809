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
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from fakes import EMPTY_EXT, HDR, UDPTest
from harness import free_ports, wait_until
from ws_client import Closed, WSClient
from wsfakes import WSMaster

GETSERVERSEXT = HDR + b"getserversExt Tremulous 69 empty full"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


def v2_header(src, sport, dst="127.0.0.1", dport=30700, cmd=1):
    """A PROXY v2 header for TCP from src:sport."""
    if ":" in src:
        fam = 0x21
        addrs = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, "::1")
    else:
        fam = 0x11
        addrs = socket.inet_aton(src) + socket.inet_aton(dst)
    body = addrs + struct.pack(">HH", sport, dport)
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
            c = self.conn(m)
            c.send_raw(b"PROXY TCP4 192.0.2.7 127.0.0.1 %d 30700\r\n" %
                       (40000 + i))
            c.handshake()
            self.served(c, m)
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
        # An obfuscated name leaves the connection under the proxy.
        c = self.conn(m)
        c.handshake(extra=[("Forwarded", "for=_hidden")])
        self.served(c, m)


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

    def wait_listening(self, port, p):
        def up():
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
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


if __name__ == "__main__":
    unittest.main()
