# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The manual pages: lint-clean, installed, and found from each other.

Every page of man/ must pass mandoc -T lint -W warning (the STYLE level,
left out, only complains here about references to pages of other
packages that are not installed), must be installed by make install, and
must be named with .Xr by another page, so that a reader of
tremmasterd(8) finds it.  Skipped without mandoc(1); run for the normal
build only, since the pages do not depend on the build.
"""

import glob
import os
import re
import shutil
import subprocess
import unittest

import harness

ROOT = os.path.dirname(os.path.dirname(harness.HERE))
TIMEOUT = 60


def pages():
    return sorted(glob.glob(os.path.join(ROOT, "man", "*.[1-9]")))


class ManTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if harness.sanitize():
            raise unittest.SkipTest("the pages do not depend on the build: "
                                    "run with the normal build")
        if shutil.which("mandoc") is None:
            raise unittest.SkipTest("mandoc not installed")

    def test_pages_exist(self):
        names = [os.path.basename(p) for p in pages()]
        self.assertIn("tremmasterd.8", names)
        self.assertIn("tremmasterd-plugins.7", names)

    def test_lint(self):
        for page in pages():
            with self.subTest(page=os.path.basename(page)):
                p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                                    page], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=TIMEOUT)
                out = p.stdout.decode("utf-8", "replace")
                self.assertEqual(p.returncode, 0, out)
                self.assertEqual(out.strip(), "")

    def test_installed(self):
        p = subprocess.run(["make", "-s", "-n", "-C", ROOT, "install",
                            "DESTDIR=/nonexistent"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        for page in pages():
            self.assertIn("man/" + os.path.basename(page), out)

    def test_cross_referenced(self):
        texts = {}
        for page in pages():
            with open(page, encoding="utf-8") as f:
                texts[page] = f.read()
        for page in pages():
            name, sec = os.path.basename(page).rsplit(".", 1)
            xr = re.compile(r"^\.Xr %s %s\b" % (re.escape(name), sec), re.M)
            others = [p for p in pages() if p != page]
            with self.subTest(page=os.path.basename(page)):
                self.assertTrue(any(xr.search(texts[p]) for p in others),
                                "no other page names %s(%s)" % (name, sec))


if __name__ == "__main__":
    unittest.main()
