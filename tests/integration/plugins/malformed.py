#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A plugin that breaks the protocol one way, MODE, after appending
"start|PID" to RECORD; then it sleeps (netd ends it):

  stream    an unknown stream after register|ready
  long      20000 bytes without a newline after register|ready
  escape    a bad escape in a filter-result's data after register|ready
  early     a request before register|ready
  again     a register line after register|ready
  control   a line with a control character after register|ready
"""

import os
import sys
import time

mode, record = sys.argv[1], sys.argv[2]
with open(record, "a") as rec:
    rec.write("start|%d\n" % os.getpid())
for line in sys.stdin:
    if line == "config|1|ready\n":
        break
ready = b"register|report|server\nregister|ready\n"
bad = {
    "stream": ready + b"report|1|server-add\n",
    "long": ready + b"x" * 20000,
    "escape": ready + b"filter-result|0123456789abcdef|rewrite|\\9zz\n",
    "early": b"register|report|server\nrequest|t1|counters\n",
    "again": ready + b"register|report|server\n",
    "control": ready + b"request|t1|count\ters\n",
}[mode]
os.write(1, bad)
while True:
    time.sleep(60)
