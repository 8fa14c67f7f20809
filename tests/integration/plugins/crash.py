#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A plugin that crashes: it appends "start|PID" and the config lines it
reads to RECORD, says so on standard error at config|1|ready and exits
with status 1."""

import os
import sys

with open(sys.argv[1], "a", buffering=1) as rec:
    rec.write("start|%d\n" % os.getpid())
    for line in sys.stdin:
        rec.write(line)
        if line == "config|1|ready\n":
            print("crashing on purpose", file=sys.stderr)
            sys.exit(1)
