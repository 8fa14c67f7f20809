#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""A plugin that will not stop: SIGTERM is ignored, and at end of file
it appends "eof" to RECORD and sleeps on."""

import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(sys.argv[1], "a", buffering=1) as rec:
    rec.write("start|%d\n" % os.getpid())
    for line in sys.stdin:
        if line == "config|1|ready\n":
            os.write(1, b"register|ready\n")
    rec.write("eof\n")
while True:
    time.sleep(60)
