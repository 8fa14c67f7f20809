# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The regression run of every libFuzzer harness: fuzz/run.sh -r NAME.

Each harness of build-fuzz/ runs every seed of fuzz/corpus-seed/NAME/
once, then fuzzes for 3 s; a crash, a leak or a broken check of the
harness fails the test, with the end of libFuzzer's log (the input and
the whole log are kept in the temporary directory run.sh names).  make
check builds the harnesses; here they are built when missing.

Run for the normal build only: the harnesses carry their own ASan and
UBSan, so the build-san pass would only repeat them.  Skipped when clang
cannot link libFuzzer.
"""

import os
import signal
import subprocess
import unittest

import harness

ROOT = os.path.dirname(os.path.dirname(harness.HERE))
RUN_SH = os.path.join(ROOT, "fuzz", "run.sh")
FUZZBUILD = os.path.join(ROOT, "build-fuzz")
HARNESSES = ("proto", "files", "ws-http", "packet", "ws", "plugin",
             "puppet", "api", "proxy")
TIMEOUT = 60
PROBE = b"int LLVMFuzzerTestOneInput(const char *d, long n) { return (0); }\n"


def have_libfuzzer():
    try:
        p = subprocess.run(["clang", "-fsanitize=fuzzer", "-x", "c", "-o",
                            os.devnull, "-"], input=PROBE,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0


class FuzzRegressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if harness.sanitize():
            raise unittest.SkipTest("the harnesses carry their own "
                                    "sanitizers: run with the normal build")
        if not have_libfuzzer():
            raise unittest.SkipTest("clang cannot link libFuzzer "
                                    "(-fsanitize=fuzzer)")
        missing = [n for n in HARNESSES if not os.access(
            os.path.join(FUZZBUILD, n + "-fuzzer"), os.X_OK)]
        if missing:
            p = subprocess.run(["make", "-C", ROOT, "fuzz"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=300)
            if p.returncode != 0:
                raise AssertionError("make fuzz failed\n" + harness.tail(
                    p.stdout.decode("utf-8", "replace"), 40))

    def regress(self, name):
        p = subprocess.Popen(["sh", RUN_SH, "-r", FUZZBUILD, name],
                             cwd=ROOT, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            harness.kill_pids(harness.session_members(p.pid) + [p.pid],
                              signal.SIGKILL)
            out, _ = p.communicate(timeout=10)
            self.fail("%s-fuzzer did not finish in %d s\n%s" % (
                name, TIMEOUT, out.decode("utf-8", "replace")))
        text = out.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, "%s-fuzzer found something\n%s" %
                         (name, harness.tail(text, 60)))
        self.assertIn("fuzz: nothing found", text)
        self.assertRegex(text, r"stat::number_of_executed_units: +[1-9]")

    def test_proto(self):
        self.regress("proto")

    def test_files(self):
        self.regress("files")

    def test_ws_http(self):
        self.regress("ws-http")

    def test_packet(self):
        self.regress("packet")

    def test_ws(self):
        self.regress("ws")

    def test_plugin(self):
        self.regress("plugin")

    def test_puppet(self):
        self.regress("puppet")

    def test_api(self):
        self.regress("api")


if __name__ == "__main__":
    unittest.main()
