#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Run every test of tremmasterd against one or more build directories.

Unit tests are the cmocka binaries in BUILD/tests/; integration tests are
the unittest modules tests/integration/test_*.py, which drive the real
daemon BUILD/tremmasterd over loopback.  With --package, the tests of
the Debian package instead, tests/package/test_*.py (make deb-check).
Prints a line per test and ends
with "N passed, N failed, N skipped"; exits 1 if anything failed.
"""

import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_TIMEOUT = 300


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def report(self, status, name, detail=""):
        print("%s %s" % (status, name), flush=True)
        if status == "PASS":
            self.passed += 1
        elif status == "SKIP":
            self.skipped += 1
            if detail:
                print("    " + detail.strip().replace("\n", "\n    "))
        else:
            self.failed += 1
            self.failures.append(name)
            if detail:
                print("    " + detail.strip().replace("\n", "\n    "),
                      flush=True)


def run_unit(build, counts):
    tdir = os.path.join(build, "tests")
    if not os.path.isdir(tdir):
        counts.report("FAIL", "%s: no unit tests built" % build)
        return
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for name in sorted(os.listdir(tdir)):
        path = os.path.join(tdir, name)
        if not name.startswith("test_") or not os.access(path, os.X_OK):
            continue
        try:
            p = subprocess.run([path], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               timeout=UNIT_TIMEOUT)
            out = p.stdout.decode("utf-8", "replace")
            rc = p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace")
            rc = "timeout"
        seen = 0
        for line in out.splitlines():
            m = re.match(r"^(not ok|ok) \d+ - (.*)$", line)
            if not m:
                continue
            seen += 1
            label = "%s unit/%s/%s" % (build, name, m.group(2))
            if m.group(1) == "ok":
                counts.report("PASS", label)
            else:
                counts.report("FAIL", label, out)
        if rc != 0 and (seen == 0 or rc == "timeout" or rc < 0):
            counts.report("FAIL", "%s unit/%s (exit %s)" % (build, name, rc),
                          out)


class Result(unittest.TestResult):
    def __init__(self, counts, build):
        super().__init__()
        self.counts = counts
        self.build = build
        self.started = 0

    def label(self, test):
        return "%s %s" % (self.build, test.id())

    def startTest(self, test):
        self.started = time.monotonic()
        super().startTest(test)

    def addSuccess(self, test):
        self.counts.report("PASS", "%s (%.1fs)" % (
            self.label(test), time.monotonic() - self.started))

    def addFailure(self, test, err):
        self.counts.report("FAIL", self.label(test),
                           self._exc_info_to_string(err, test))

    def addError(self, test, err):
        self.counts.report("FAIL", self.label(test),
                           self._exc_info_to_string(err, test))

    def addSubTest(self, test, subtest, err):
        # A failing subtest fails its test; passing ones are not counted.
        if err is not None:
            self.counts.report("FAIL", self.label(subtest),
                               self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self.counts.report("SKIP", self.label(test), reason)

    def addExpectedFailure(self, test, err):
        self.counts.report("FAIL", self.label(test), "expected failure")

    def addUnexpectedSuccess(self, test):
        self.counts.report("FAIL", self.label(test), "unexpected success")


def run_integration(build, counts, pattern):
    binary = os.path.abspath(os.path.join(build, "tremmasterd"))
    if not os.access(binary, os.X_OK):
        counts.report("FAIL", "%s: %s not built" % (build, binary))
        return
    os.environ["TREMMASTERD"] = binary
    os.environ["TREMMASTERD_SANITIZE"] = "1" if "san" in build else "0"
    idir = os.path.join(HERE, "integration")
    if idir not in sys.path:
        sys.path.insert(0, idir)
    suite = unittest.defaultTestLoader.discover(idir, pattern=pattern,
                                                top_level_dir=idir)
    suite.run(Result(counts, build))


def run_package(counts, pattern):
    pdir = os.path.join(HERE, "package")
    suite = unittest.defaultTestLoader.discover(pdir, pattern=pattern,
                                                top_level_dir=pdir)
    suite.run(Result(counts, "package"))


def main():
    args = sys.argv[1:]
    pattern = "test_*.py"
    package = False
    if args and args[0] == "--package":
        package = bool(args.pop(0))
    if args and args[0].startswith("--pattern="):
        pattern = args.pop(0).split("=", 1)[1]
    builds = args or ["build"]
    counts = Counts()
    if package:
        run_package(counts, pattern)
    else:
        for build in builds:
            run_unit(build, counts)
            run_integration(build, counts, pattern)
    if counts.failures:
        print("\nfailed:")
        for f in counts.failures:
            print("  " + f)
    print("%d passed, %d failed, %d skipped" % (
        counts.passed, counts.failed, counts.skipped))
    return 1 if counts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
