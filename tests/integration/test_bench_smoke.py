# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The benchmark's smoke run: bench/run.sh --smoke against the binary under
test.

run.sh starts the daemon ($TREMMASTERD) on free loopback ports and runs
every mode of bench/loadgen for a second or two with small numbers,
checking correctness only (every response set complete and well formed,
every server verified, WebSocket connections held, records stored, the
default throttle holding): it exits non-zero on any failure.  The load
generator is built with "make bench" when it is missing.  All traffic
stays on 127.0.0.0/8; run.sh stops what it started and removes its
temporary directories.
"""

import os
import signal
import subprocess
import unittest

import harness

ROOT = os.path.dirname(os.path.dirname(harness.HERE))
RUN_SH = os.path.join(ROOT, "bench", "run.sh")
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
TIMEOUT = 120


class BenchSmokeTest(unittest.TestCase):
    def test_smoke(self):
        # Not skipped under ASan+UBSan: the smoke run takes about 30 s
        # with either build.  Started as root, the daemon drops privileges
        # and LeakSanitizer cannot work (harness.daemon_env).
        env = harness.daemon_env(leak_check=not harness.IS_ROOT,
                                 extra={"TREMMASTERD": harness.binary()})
        if not os.access(LOADGEN, os.X_OK):
            build = subprocess.run(["make", "-C", ROOT, "bench"],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=TIMEOUT)
            self.assertEqual(build.returncode, 0,
                             build.stdout.decode("utf-8", "replace"))
        env["LOADGEN"] = LOADGEN
        p = subprocess.Popen(["bash", RUN_SH, "--smoke"], cwd=ROOT, env=env,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            # SIGTERM to run.sh alone: its trap stops what it started.
            p.send_signal(signal.SIGTERM)
            try:
                out, _ = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                harness.kill_pids(harness.session_members(p.pid) + [p.pid])
                out, _ = p.communicate(timeout=10)
            self.fail("bench/run.sh --smoke did not finish in %d s\n%s" % (
                TIMEOUT, harness.tail(out.decode("utf-8", "replace"), 60)))
        text = out.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0,
                         "bench/run.sh --smoke failed\n" +
                         harness.tail(text, 80))
        self.assertIn("no correctness failure", text)
        self.assertFalse(harness.sanitizer_reports(text), text)


if __name__ == "__main__":
    unittest.main()
