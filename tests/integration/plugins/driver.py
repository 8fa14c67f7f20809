#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A well-behaved plugin the tests steer (Python 3 standard library only).

It appends to --record FILE "start|PID", then every line netd sends as it
is, every line it sends itself as "> LINE", and "eof" at end of file.  At
config|1|ready it registers each --register WHAT (register|WHAT), waits
--ready-delay seconds (reading all the while), then sends register|ready.
Every line written to the --control FIFO is sent to netd as it is.  With
--verdict, every filter line is answered filter-result|TOKEN|VERDICT
(proceed, drop, rewrite|DATA or answer|DATA, DATA escaped); without it,
filter lines are not answered at all.
"""

import argparse
import os
import selectors
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--record", required=True)
    p.add_argument("--control")
    p.add_argument("--register", action="append", default=[])
    p.add_argument("--ready-delay", type=float, default=0.0)
    p.add_argument("--verdict")
    a = p.parse_args()

    rec = open(a.record, "a", buffering=1)
    rec.write("start|%d\n" % os.getpid())

    def send(line):
        rec.write("> " + line + "\n")
        os.write(1, (line + "\n").encode("ascii"))

    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "netd")
    if a.control:
        cfd = os.open(a.control, os.O_RDWR | os.O_NONBLOCK)
        sel.register(cfd, selectors.EVENT_READ, "control")
    bufs = {"netd": b"", "control": b""}
    ready_at = None

    while True:
        timeout = None
        if ready_at is not None:
            timeout = max(0.0, ready_at - time.monotonic())
        for key, _ in sel.select(timeout):
            data = os.read(key.fd, 65536)
            if not data and key.data == "netd":
                rec.write("eof\n")
                return 0
            bufs[key.data] += data
            while b"\n" in bufs[key.data]:
                raw, bufs[key.data] = bufs[key.data].split(b"\n", 1)
                line = raw.decode("ascii", "replace")
                if key.data == "control":
                    send(line)
                    continue
                rec.write(line + "\n")
                f = line.split("|")
                if line == "config|1|ready":
                    for what in a.register:
                        send("register|" + what)
                    ready_at = time.monotonic() + a.ready_delay
                elif f[0] == "filter" and a.verdict is not None:
                    send("filter-result|%s|%s" % (f[4], a.verdict))
        if ready_at is not None and time.monotonic() >= ready_at:
            ready_at = None
            send("register|ready")


if __name__ == "__main__":
    sys.exit(main())
