#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Write the seed corpora of packet-fuzzer, ws-fuzzer, plugin-fuzzer,
puppet-fuzzer and api-fuzzer.

Run from the top of the tree: python3 fuzz/mkseeds.py.  The layouts are
described at the top of fuzz/packet-fuzzer.c and fuzz/ws-fuzzer.c;
plugin-fuzzer takes one line of the plugin protocol
(man/tremmasterd-plugins.7); puppet-fuzzer a selector byte, then another
master's server-list packet (PROTOCOL.md, section 4) or a line of
puppetmasters.txt; api-fuzzer the fields of up to four game servers
(fuzz/api-fuzzer.c).
"""

import os
import socket
import struct

HDR = b"\xff\xff\xff\xff"
HERE = os.path.dirname(os.path.abspath(__file__))

# packet-fuzzer selector bits.
V6, PORT2, CHAL, WS = 0x04, 0x08, 0x10, 0x20
RAW, ECHO, CLOSE, PORT0 = 0x00, 0x40, 0x80, 0xc0
SET_MOTD, SET_DEBUG = 0x08, 0x40

INFO = (b"\\hostname\\fuzz\\protocol\\70,71\\clients\\3"
        b"\\sv_maxclients\\12\\version\\1.3")


def rec(sel, step, data):
    return struct.pack(">BBH", sel, step, len(data)) + data


def packet_seeds():
    hb = HDR + b"heartbeat Tremulous\n"
    dead = HDR + b"heartbeat TremulousFlatline-1\n"
    gs = HDR + b"getservers 70 empty full"
    gse = HDR + b"getserversExt Tremulous 70 ipv6 empty full"
    motd = HDR + b"getmotd \\challenge\\abc\\version\\1.3\\renderer\\gl"
    return {
        # A server registers and is listed, then a client asks.
        "register": bytes([SET_MOTD]) + rec(0, 1, hb) +
        rec(ECHO, 2, INFO) + rec(1, 1, gs),
        "register-v6": bytes([0]) + rec(V6, 1, hb) +
        rec(V6 | ECHO, 2, INFO) + rec(V6 | 1, 1, gse),
        "register-ws": bytes([0]) + rec(WS, 1, hb) +
        rec(WS | ECHO, 2, INFO) + rec(WS | 2, 1, gs) +
        rec(WS | CLOSE, 1, b""),
        # Too late, then a flatline, then a raw answer on the wrong port.
        "late": bytes([SET_DEBUG]) + rec(PORT2, 1, hb) +
        rec(PORT2 | ECHO, 150, INFO) + rec(PORT2, 1, dead) +
        rec(PORT2, 1, HDR + b"infoResponse\n" + INFO),
        "motd": bytes([SET_MOTD]) + rec(2, 1, motd) +
        rec(WS | 2, 1, motd) + rec(3, 1, motd),
        "gamestat": bytes([0]) + rec(1, 1, HDR + b"gamestat 1 2 3") +
        rec(PORT0, 1, HDR + b"gamestat x") +
        rec(CHAL, 1, HDR + b"getservers 70"),
        # Three servers of one protocol: each follow-up list is held
        # while the next registration changes the table.
        "held-lists": bytes([0x04]) + rec(0, 1, hb) + rec(ECHO, 1, INFO) +
        rec(1, 1, hb) + rec(ECHO | 1, 1, INFO) + rec(2, 1, hb) +
        rec(ECHO | 2, 1, INFO),
        "expire": bytes([0x03]) + rec(0, 1, hb) + rec(ECHO, 1, INFO) +
        rec(PORT2, 1, hb) + rec(0, 210, gs) + rec(0, 1, gs),
    }


def frame(b0, flags, payload):
    return struct.pack(">BBH", b0, flags, len(payload)) + payload


def ws_seeds():
    # ws-fuzzer first byte: mode | PEER_V6 0x04 | PEER_IGNORED 0x08.
    gs = HDR + b"getservers 70 empty full"
    port = HDR + b"port" + struct.pack(">H", 30720)
    upgrade = (b"GET / HTTP/1.1\r\nHost: m\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
    return {
        "messages": bytes([0]) + frame(0x82, 0, port) +
        frame(0x82, 0, gs) + frame(0x89, 0, b"ping") +
        frame(0x81, 0, b"text") + frame(0x88, 0, b"\x03\xe8bye"),
        "fragments": bytes([0x04]) + frame(0x02, 0, gs[:6]) +
        frame(0x89, 0x10, b"") + frame(0x80, 0x40, gs[6:]),
        "long": bytes([3]) + frame(0x82, 0x20, b"\x00" * 300) +
        frame(0x82, 0, b"x" * 4097),
        "unmasked": bytes([0]) + frame(0x82, 0x80, gs),
        "rsv": bytes([0]) + frame(0xc2, 0, gs),
        "raw-open": bytes([1]) + b"\x82\x85\x00\x00\x00\x00hello",
        "raw": bytes([2]) + upgrade + b"\x88\x80\x01\x02\x03\x04",
        "bad-upgrade": bytes([2]) + b"GET / HTTP/1.0\r\n\r\n",
        "ignored": bytes([0x08]) + frame(0x82, 0, gs),
    }


def escape(data):
    """The plugin protocol's escaping of a field (plp_escape())."""
    return b"".join(bytes([c]) if 0x20 <= c <= 0x7e and c not in b"|\\"
                    else b"\\%03o" % c for c in data)


def plugin_seeds():
    # One line of each kind a plugin may send, with its newline.
    tok = b"0123456789abcdef"
    hb = escape(HDR + b"heartbeat Tremulous\n")
    answer = escape(HDR + b"getserversResponse\\\xc0\x00\x02\x0a\x78\x00"
                    b"\\EOT\x00\x00\x00")
    lines = {
        "register-server": b"register|report|server",
        "register-files": b"register|report|files",
        "register-log": b"register|report|log|debug",
        "register-heartbeat": b"register|filter|heartbeat",
        "register-getservers": b"register|filter|getservers",
        "register-ready": b"register|ready",
        "result-proceed": b"filter-result|" + tok + b"|proceed",
        "result-drop": b"filter-result|" + tok + b"|drop",
        "result-rewrite": b"filter-result|" + tok + b"|rewrite|" + hb,
        "result-answer": b"filter-result|" + tok + b"|answer|" + answer,
        "result-all-bytes": b"filter-result|" + tok + b"|answer|" +
        escape(bytes(range(256))),
        "add-server": b"request|a1|add-server|192.0.2.10:30720",
        "add-server-label": b"request|a.2_x-3|add-server|"
        b"[2001:db8::10]:30720|Puppet",
        "counters": b"request|c|counters",
        "snapshot": b"request|s|snapshot",
        "flatline": b"request|fl|flatline|192.0.2.10:30720",
        "processes": b"request|p|processes",
        "ignore-add": b"request|i1|ignore-add|10.0.0.0/8",
        "ignore-remove": b"request|i2|ignore-remove|2001:db8::/32",
        "featured-set": b"request|f|featured-set|Official servers|"
        b"192.0.2.10:30720 [2001:db8::10]:30720",
        "motd-set": b"request|m|motd-set|" + escape(b"Welcome | \\o/"),
        "reload": b"request|r|reload",
        "shutdown": b"request|q|shutdown",
    }
    return {name: line + b"\n" for name, line in lines.items()}


def v4(addr, port):
    return b"\\" + bytes(int(x) for x in addr.split(".")) + \
        struct.pack(">H", port)


def v6(addr, port):
    return b"/" + socket.inet_pton(socket.AF_INET6, addr) + \
        struct.pack(">H", port)


def web(host, port):
    return b"\\" + host + b":" + struct.pack(">H", port)


def ext_header(index, total, label):
    return b"\0%d\0%d\0" % (index, total) + label


def puppet_seeds():
    # puppet-fuzzer first byte: bit 0 clear, a packet; set, a line.
    plain = HDR + b"getserversResponse"
    ext = HDR + b"getserversExtResponse"
    webr = HDR + b"getserverswebResponse"
    lists = {
        # TREM, dpmaster, C-MASTER.
        "plain": plain + v4("127.0.0.1", 30721) + v4("127.0.0.1", 30720) +
        b"\\",
        "plain-empty": plain + b"\\",
        "plain-eot": plain + v4("192.0.2.10", 30720) +
        v4("192.0.2.11", 27960) + b"\\EOT\0\0\0",
        "plain-eot-short": plain + v4("192.0.2.12", 30720) + b"\\EOT",
        "plain-eot-lookalike": plain + v4("69.79.84.0", 30720) +
        v4("69.79.84.1", 256) + v4("69.79.84.0", 1) + b"\\",
        "ext-label": ext + ext_header(1, 2, b"Featured Label") +
        v4("127.0.0.1", 30722) + b"\\",
        "ext-v6": ext + ext_header(2, 2, b"") + v6("2001:db8::1", 30720) +
        v4("192.0.2.1", 30721) + v6("::1", 30722) + b"\\",
        "ext-empty": ext + ext_header(1, 1, b"") + b"\\",
        "ext-no-header": ext + v6("2001:db8::2", 30720) + b"\\EOT\0\0\0",
        # The JavaScript master and TMW, byte for byte.
        "web-javascript": webr + web(b"eu-1.game.tremulous.online", 30721) +
        b"\\EOT\0",
        "web-tmw": webr + ext_header(1, 1, b"") +
        web(b"eu-1.example.org", 30721) + b"\\",
        "web-label": webr + ext_header(1, 3, b"Web") +
        web(b"a.example.org", 30720) + web(b"192.0.2.1", 30721) +
        web(b"b_2-x", 65535) + b"\0\0",
        "bad-header": ext + ext_header(0, 1, b"") + v4("192.0.2.1", 1),
    }
    lines = {
        "colon": b"master.tremulous.net:30710",
        "colon-all": b"master.tremulous.online:30710:websocket:71:"
        b"getserversExt",
        "colon-empty": b"master.tremulo.us:30710:::getservers",
        "space": b"master.tremulo.us 30710 udp 70 getservers",
        "space-tabs": b"\t h \t 30710\tauto\t71\r",
        "v6": b"[2001:db8::1]:30710:udp:71:getservers",
        "url": b"wss://master.tremulous.online:443/ws 71 getserversExt",
        "url-v6": b"ws://[::1]:30710/",
        "comment": b"# remote masters: host:port[:conn[:protocol]]",
    }
    seeds = {"list-" + n: b"\x00" + d for n, d in lists.items()}
    seeds.update({"line-" + n: b"\x01" + d for n, d in lines.items()})
    return seeds


def api_seeds():
    # api-fuzzer: per server a byte of players, then hostname, map, game,
    # gamename, label and protocols, each ended by a NUL.
    def server(players, *fields):
        return bytes([players]) + b"".join(f + b"\0" for f in fields)
    return {
        "plain": server(0x35, b"^1Red^7Base", b"atcs", b"base", b"GPP",
                        b"Official", b"71"),
        "markup": server(0x02, b"<script>&amp;\"'</b>", b"<map>", b"]]>",
                         b"&", b"<L>", b"70,71"),
        "latin1": server(0xff, b"caf\xe9 \xa0\xff", b"\xe9t\xe9", b"", b"",
                         b"Gr\xfcn", b"71") +
        server(0x11, b"caf\xc3\xa9 \xe2\x82\xac", b"niveus", b"", b"",
               b"", b"69"),
        "controls": server(0x10, b"a\x01b\x1b[31mc\x7f", b"m\tap\n", b"",
                           b"", b"L\x07", b"7\x001"),
        "four": b"".join(server(i * 40, b"s%d" % i, b"m", b"base", b"",
                                b"" if i % 2 else b"Official", b"71")
                         for i in range(4)),
        "empty": b"",
    }


def main():
    for name, seeds in (("packet", packet_seeds()), ("ws", ws_seeds()),
                        ("plugin", plugin_seeds()),
                        ("puppet", puppet_seeds()), ("api", api_seeds())):
        d = os.path.join(HERE, "corpus-seed", name)
        os.makedirs(d, exist_ok=True)
        for f, data in seeds.items():
            with open(os.path.join(d, f), "wb") as fp:
                fp.write(data)


if __name__ == "__main__":
    main()
