#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""An example tremmasterd plugin (tremmasterd-plugins(7)), Python 3
standard library only.  It uses every stream of the protocol:

- report: it keeps a copy of the server table from the snapshot and the
  server reports, and writes each report, as received, to --record FILE
  (and, with --log LEVEL, the daemon's log lines at LEVEL and above);
- filter: it drops heartbeats whose tag (the word after "heartbeat") is
  --drop-game NAME, and answers getservers and getserversExt from
  --answer-from HOST with its own bytes (--answer-bytes, escaped as on
  the wire of the protocol); everything else proceeds;
- request: once the daemon is up it asks for each --add ADDR[,LABEL]
  to be challenged and listed, asks for the counters, and, run with
  --plugin-admin, sets the motd with --motd TEXT.

Run it from tremmasterd:

    tremmasterd --plugin "/path/to/example.py --drop-game DarkPlaces"
"""

import argparse
import re
import sys

PROTOCOL = "1"


def escape(data):
    """Bytes as a field: printable ASCII but | and \\ as they are, any
    other byte as \\ and three octal digits."""
    out = []
    for b in data:
        if 0x20 <= b <= 0x7e and b not in (0x7c, 0x5c):
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return "".join(out)


def unescape(field):
    """The reverse of escape(); ValueError on a bad escape."""
    out = bytearray()
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\":
            digits = field[i + 1:i + 4]
            if not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise ValueError("bad escape in %r" % field)
            out.append(int(digits, 8))
            i += 4
        else:
            out.append(ord(c))
            i += 1
    return bytes(out)


class Plugin:
    def __init__(self, args):
        self.args = args
        self.servers = {}           # "addr transport" -> fields
        self.record = open(args.record, "a") if args.record else None
        self.next_token = 0
        self.answer_bytes = unescape(args.answer_bytes)

    def send(self, *fields):
        sys.stdout.write("|".join(fields) + "\n")
        sys.stdout.flush()

    def note(self, line):
        if self.record:
            self.record.write(line + "\n")
            self.record.flush()

    def token(self):
        self.next_token += 1
        return "t%d" % self.next_token

    # -- the handshake

    def config(self, f):
        if f[2] == "ready":
            self.send("register", "report", "server")
            if self.args.log:
                self.send("register", "report", "log", self.args.log)
            if self.args.drop_game:
                self.send("register", "filter", "heartbeat")
            if self.args.answer_from:
                self.send("register", "filter", "getservers")
            self.send("register", "ready")
        elif f[2] == "initialize":
            for spec in self.args.add:
                addr, _, label = spec.partition(",")
                if label:
                    self.send("request", self.token(), "add-server", addr,
                              label)
                else:
                    self.send("request", self.token(), "add-server", addr)
            if self.args.motd is not None:
                self.send("request", self.token(), "motd-set",
                          escape(self.args.motd.encode()))
            self.send("request", self.token(), "counters")

    # -- the streams

    def report(self, f):
        event = f[3]
        if event in ("server-add", "server-update"):
            self.servers[f[4] + " " + f[5]] = f[6:]
        elif event == "server-remove":
            self.servers.pop(f[4] + " " + f[5], None)
        elif event == "snapshot-end":
            self.note("table|%d" % len(self.servers))

    def filter(self, f):
        kind, token, addr, data = f[3], f[4], f[5], unescape(f[7])
        host = addr.rsplit(":", 1)[0].strip("[]")
        if kind == "heartbeat" and self.args.drop_game:
            words = data[4:].split(None, 2)
            tag = words[1].decode("latin-1") if len(words) > 1 else ""
            if tag == self.args.drop_game:
                self.send("filter-result", token, "drop")
                return
        if kind == "getservers" and host == self.args.answer_from:
            self.send("filter-result", token, "answer",
                      escape(self.answer_bytes))
            return
        self.send("filter-result", token, "proceed")

    def run(self):
        for line in sys.stdin:
            line = line.rstrip("\n")
            self.note(line)
            f = line.split("|")
            if len(f) < 3 or f[1] != PROTOCOL:
                print("unexpected line: %r" % line, file=sys.stderr)
                continue
            if f[0] == "config":
                self.config(f)
            elif f[0] == "report":
                self.report(f)
            elif f[0] == "filter":
                self.filter(f)
            elif f[0] == "response" and f[3] != "ok":
                print("request %s: %s" % (f[2], unescape(f[-1]).decode(
                    "latin-1")), file=sys.stderr)
        # End of file: the daemon is stopping (the seed's cleanup()).
        self.note("eof|%d" % len(self.servers))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--record", metavar="FILE",
                   help="append every line from the daemon to FILE")
    p.add_argument("--log", metavar="LEVEL",
                   choices=("always", "error", "print", "verbose", "debug"),
                   help="also take the daemon's log lines at LEVEL")
    p.add_argument("--drop-game", metavar="NAME",
                   help="drop heartbeats with this tag")
    p.add_argument("--answer-from", metavar="HOST",
                   help="answer getservers from HOST with --answer-bytes")
    p.add_argument("--answer-bytes", metavar="ESCAPED",
                   default="\\377\\377\\377\\377getserversResponse"
                   "\\134EOT\\000\\000\\000",
                   help="the answer, escaped (default: an empty list)")
    p.add_argument("--add", metavar="ADDR[,LABEL]", action="append",
                   default=[], help="ask for ADDR to be challenged")
    p.add_argument("--motd", metavar="TEXT",
                   help="set the motd (needs --plugin-admin)")
    Plugin(p.parse_args()).run()


if __name__ == "__main__":
    main()
