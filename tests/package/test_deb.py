# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The Debian package (make deb-check): debian/ builds with
dpkg-buildpackage -us -uc -b in a copy of the tree, lintian finds neither
error nor warning, and the package installs into throwaway roots where
its daemon runs against loopback, is upgraded and purged.

A throwaway root is an overlay on the host's / with its own upper
directory, mounted in a private mount namespace (unshare), so it goes
away with the last process in it; what the package wrote there is read
back from the upper directory, or by a command run in the root.  The
installed daemon runs as its unit runs it: the unit's command line, its
capability bounding set (setpriv), no new privileges, and a read-only
root but for /var/lib/tremmasterd (ProtectSystem=strict, ReadWritePaths).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import fakes                                    # noqa: E402
from harness import (children_of, free_ports, kill_pids,  # noqa: E402
                     pid_alive, wait_until)

UNIT = "lib/systemd/system/tremmasterd.service"
DATA = "var/lib/tremmasterd"
BUILD_TIMEOUT = 900
CMD_TIMEOUT = 120

# Mounts the root of directory $1 (overlay on /, upper $1/up), with $2 = 1
# read-only but for the data directory, then runs the rest of the line.
MOUNT = r"""
set -e
T=$1 ro=$2
shift 2
R=$T/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/up,workdir=$T/work" "$R"
if [ "$ro" = 1 ]; then
	mount --bind "$R/var/lib/tremmasterd" "$R/var/lib/tremmasterd"
	mount -o remount,bind,ro "$R"
fi
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
exec "$@"
"""


def run(argv, timeout=CMD_TIMEOUT, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def copy_tree(dest):
    """The tree as git would check it out, with the work in progress:
    tracked and untracked files, not the ignored ones (builds,
    node_modules)."""
    if os.path.isdir(os.path.join(TOP, ".git")):
        names = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=TOP,
            check=True, stdout=subprocess.PIPE).stdout.split(b"\0")
        names = [n.decode() for n in names if n]
    else:
        names = []
        for d, dirs, files in os.walk(TOP):
            rel = os.path.relpath(d, TOP)
            dirs[:] = [x for x in dirs if not x.startswith("build") and
                       x not in ("node_modules", "run", ".git")]
            names += [os.path.normpath(os.path.join(rel, f)) for f in files]
    for n in names:
        src = os.path.join(TOP, n)
        if not os.path.lexists(src):
            continue                    # deleted, not yet committed
        os.makedirs(os.path.join(dest, os.path.dirname(n)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, n), follow_symlinks=False)


def unit_values(text, key):
    return [v for k, v in re.findall(r"(?m)^(\w+)=(.*)$", text) if k == key]


CAP_NUMBERS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_KILL": 5,
               "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10,
               "CAP_SYS_CHROOT": 18}


def skip_unless_root(test):
    if os.geteuid() != 0:
        test.skipTest("needs root (dpkg, mount, chroot)")


class Package:
    """The package, built once for all the tests."""
    tmp = None
    debs = None
    error = None

    @classmethod
    def get(cls, test):
        skip_unless_root(test)
        for tool in ("dpkg-buildpackage", "lintian", "unshare", "setpriv"):
            if shutil.which(tool) is None:
                test.fail("%s is not installed (sh tools/install-deps.sh)"
                          % tool)
        if cls.error is not None:
            test.fail(cls.error)
        if cls.debs is None:
            cls.build()
            if cls.error is not None:
                test.fail(cls.error)
        return cls

    @classmethod
    def build(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tremmasterd-deb.")
        src = os.path.join(cls.tmp, "src")
        copy_tree(src)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=%d" %
                   (os.cpu_count() or 1))
        rc, out = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
                      env=env, timeout=BUILD_TIMEOUT)
        cls.build_log = out
        if rc != 0:
            errs = [line for line in out.splitlines() if "error" in line and
                    not line.startswith(("cc ", "gcc ", "clang "))]
            cls.error = "dpkg-buildpackage: exit %d\n%s\n...\n%s" % (
                rc, "\n".join(errs[:20]), out[-2000:])
            return
        debs = [f for f in os.listdir(cls.tmp) if re.match(
            r"tremmasterd_[^_]+_[^_]+\.deb$", f)]
        if len(debs) != 1:
            cls.error = "no single tremmasterd .deb in %s" % os.listdir(
                cls.tmp)
            return
        cls.deb = os.path.join(cls.tmp, debs[0])
        cls.changes = [os.path.join(cls.tmp, f) for f in os.listdir(cls.tmp)
                       if f.endswith(".changes")][0]
        # The same package, one version later: an upgrade without a
        # second build.
        x = os.path.join(cls.tmp, "next")
        subprocess.run(["dpkg-deb", "-R", cls.deb, x], check=True)
        ctl = os.path.join(x, "DEBIAN", "control")
        with open(ctl) as f:
            text = f.read()
        cls.version = re.search(r"(?m)^Version: (\S+)$", text).group(1)
        cls.next_version = cls.version + "+1"
        with open(ctl, "w") as f:
            f.write(text.replace("Version: " + cls.version,
                                 "Version: " + cls.next_version))
        cls.next_deb = os.path.join(cls.tmp, "tremmasterd-next.deb")
        rc, out = run(["dpkg-deb", "-b", x, cls.next_deb])
        if rc != 0:
            cls.error = "dpkg-deb -b: " + out
            return
        shutil.rmtree(x)
        cls.debs = [cls.deb]

    @classmethod
    def cleanup(cls):
        if cls.tmp is not None:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.tmp = None


def tearDownModule():
    Package.cleanup()


class Root:
    """A throwaway root: an overlay on /, mounted for each command in a
    mount namespace of its own."""

    def __init__(self, test):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="tremmasterd-root.")
        for d in ("up", "work", "root"):
            os.mkdir(os.path.join(self.dir, d))
        test.addCleanup(shutil.rmtree, self.dir, True)

    def argv(self, argv, ro=False):
        return ["unshare", "--mount", "--propagation", "private", "sh",
                "-c", MOUNT, "mount", self.dir, "1" if ro else "0"] + argv

    def run(self, argv, ro=False, ok=True):
        rc, out = run(self.argv(argv, ro))
        if ok and rc != 0:
            self.test.fail("%s: exit %d\n%s" % (" ".join(argv), rc, out))
        return rc, out

    def sh(self, script, ok=True):
        """A shell command in the root; its output."""
        return self.run(["chroot", os.path.join(self.dir, "root"), "sh",
                         "-c", script], ok=ok)[1]

    def dpkg(self, *args, ok=True):
        return self.run(["dpkg", "--root", os.path.join(self.dir, "root"),
                         "--force-unsafe-io"] + list(args), ok=ok)[1]

    def upper(self, path):
        """Where the root's path is once written there."""
        return os.path.join(self.dir, "up", path.lstrip("/"))

    def read(self, path):
        """A file of the root, through its links (/lib is usr/lib)."""
        return self.sh("cat %s" % path)

    def user(self):
        """The package's user as the root's passwd has it: (uid, gid)."""
        for line in self.read("/etc/passwd").splitlines():
            f = line.split(":")
            if f[0] == "tremmasterd":
                return int(f[2]), int(f[3]), f[5], f[6]
        self.test.fail("no user tremmasterd in the root's /etc/passwd")

    def stat(self, path):
        """owner uid, group gid, octal mode, type of a path in the root."""
        out = self.sh("stat -c '%%u %%g %%a %%F' %s" % path).split()
        return int(out[0]), int(out[1]), out[2], " ".join(out[3:])

    def exists(self, path):
        return self.sh("test -e %s && echo yes || echo no" % path,
                       ok=False).strip() == "yes"

    def digests(self, path):
        """name: (sha256, uid, mode) of every file of a directory."""
        out = self.sh("cd %s && for f in *; do [ -f \"$f\" ] && "
                      "echo \"$f $(sha256sum < \"$f\" | cut -c1-64) "
                      "$(stat -c '%%u %%a' \"$f\")\"; done; true" % path)
        got = {}
        for line in out.splitlines():
            name, digest, uid, mode = line.split()
            got[name] = (digest, int(uid), mode)
        return got


class PackagedMaster:
    """The installed daemon, started in the root as its unit starts it;
    what fakes.Client and fakes.FakeServer need of a master."""

    def __init__(self, test, root, unit, opts):
        self.test = test
        self.root = root
        self.ports = free_ports(2)
        self.port, self.cport = self.ports
        self.opts = opts + ["-l", "127.0.0.1", "-p", str(self.port), "-P",
                            str(self.cport), "--throttle-burst", "0", "-v"]
        self.caps = unit_values(unit, "CapabilityBoundingSet")[0].split()
        self.exec_start = self.command(unit_values(unit, "ExecStart")[0])
        self.exec_pre = self.command(unit_values(unit, "ExecStartPre")[0])
        self.logpath = os.path.join(root.dir, "daemon.log")
        self.proc = None
        test.addCleanup(self.kill)

    def command(self, line):
        """The unit's command line, $TREMMASTERD_OPTS replaced."""
        words = line.split()
        self.test.assertIn("$TREMMASTERD_OPTS", words, line)
        i = words.index("$TREMMASTERD_OPTS")
        return words[:i] + self.opts + words[i + 1:]

    def confined(self, argv):
        bset = ",".join(["-all"] + ["+" + c[4:].lower() for c in self.caps])
        return ["setpriv", "--bounding-set", bset, "--no-new-privs",
                "chroot", os.path.join(self.root.dir, "root")] + argv

    def check(self):
        return self.root.run(self.confined(self.exec_pre), ro=True)[1]

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            self.root.argv(self.confined(self.exec_start), ro=True),
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        started = wait_until(lambda: " started: " in self.tail() or
                             self.proc.poll() is not None, 15)
        if not started or self.proc.poll() is not None:
            self.test.fail("the installed daemon did not start\n" +
                           self.tail())
        return self

    def tail(self, n=60):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.test.fail("the installed daemon did not stop\n" +
                           self.tail())

    def kill(self):
        """Cleanup: the whole session of the daemon, by its id."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait(10)
        if self.proc is not None:
            self.log.close()


class BuildTest(unittest.TestCase):

    def test_lintian(self):
        """No error, no warning: lintian on the .changes (the package
        and its build information)."""
        pkg = Package.get(self)
        rc, out = run(["lintian", "--fail-on", "error,warning",
                       pkg.changes])
        tags = [line for line in out.splitlines()
                if re.match(r"[EW]: ", line)]
        self.assertEqual(tags, [], out)
        self.assertEqual(rc, 0, out)

    def test_contents(self):
        """The binary, both manual pages, the unit, the options file as a
        conffile, and nothing of the build."""
        pkg = Package.get(self)
        rc, out = run(["dpkg-deb", "-c", pkg.deb])
        self.assertEqual(rc, 0, out)
        files = {line.split()[-1].lstrip(".") for line in out.splitlines()}
        for want in ("/usr/sbin/tremmasterd", "/" + UNIT,
                     "/usr/share/man/man8/tremmasterd.8.gz",
                     "/usr/share/man/man7/tremmasterd-plugins.7.gz",
                     "/etc/default/tremmasterd",
                     "/usr/share/doc/tremmasterd/copyright"):
            self.assertIn(want, files, out)
        self.assertFalse([f for f in files if "/build" in f or
                          f.endswith(".o")], out)
        rc, out = run(["dpkg-deb", "-f", pkg.deb, "Depends"])
        for lib in ("libevent", "libtls", "libwslay", "libsqlite3",
                    "libtdb", "libseccomp", "adduser"):
            self.assertIn(lib, out)
        x = tempfile.mkdtemp(prefix="tremmasterd-ctl.")
        self.addCleanup(shutil.rmtree, x, True)
        subprocess.run(["dpkg-deb", "-e", pkg.deb, x], check=True)
        with open(os.path.join(x, "conffiles")) as f:
            self.assertIn("/etc/default/tremmasterd", f.read().split())

    def test_unit_hardening(self):
        """The unit: what the daemon allows, no more; systemd-analyze
        verify finds nothing to say of it."""
        with open(os.path.join(TOP, "debian", "tremmasterd.service")) as f:
            unit = f.read()
        for key, want in (("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                          ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                          ("ReadWritePaths", "/var/lib/tremmasterd"),
                          ("PrivateDevices", "yes")):
            self.assertEqual(unit_values(unit, key), [want], key)
        caps = unit_values(unit, "CapabilityBoundingSet")[0].split()
        self.assertEqual(sorted(caps), sorted([
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETUID",
            "CAP_SETGID", "CAP_KILL"]))
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        pkg = Package.get(self)
        root = Root(self)
        root.dpkg("-i", pkg.deb)
        rc, out = root.run(["chroot", os.path.join(root.dir, "root"),
                            "systemd-analyze", "verify", "/" + UNIT],
                           ok=False)
        self.assertEqual((rc, out.strip()), (0, ""), out)


class InstallTest(unittest.TestCase):

    def install(self):
        pkg = Package.get(self)
        root = Root(self)
        out = root.dpkg("-i", pkg.deb)
        self.assertNotRegex(out, r"(?i)\bwarning\b|\berror\b", out)
        return pkg, root

    def test_install_run_purge(self):
        """Installed: the user, its data directory, the unit enabled.  The
        daemon, as the unit runs it with the unit's capabilities and a
        read-only root, lists a server that registers over loopback,
        keeps its statistics, and writes serverlist.txt on SIGTERM.
        Purged: the package's files go, the data and the user stay."""
        pkg, root = self.install()
        uid, gid, home, shell = root.user()
        self.assertLess(uid, 1000)
        self.assertEqual((home, shell),
                         ("/var/lib/tremmasterd", "/usr/sbin/nologin"))
        self.assertEqual(root.stat("/var/lib/tremmasterd"),
                         (uid, gid, "755", "directory"))
        self.assertEqual(root.stat("/var/empty")[:3], (0, 0, "755"))
        self.assertEqual(root.sh(
            "readlink /etc/systemd/system/multi-user.target.wants/"
            "tremmasterd.service").strip(),
            "/lib/systemd/system/tremmasterd.service")

        unit = root.read("/" + UNIT)
        api = free_ports(1)[0]
        # A plugin that never reads its input: stopped by signals, which
        # the parent, root, sends to a process of the user (CAP_KILL).
        idle = root.upper("/usr/local/libexec/idle-plugin")
        os.makedirs(os.path.dirname(idle), exist_ok=True)
        with open(idle, "w") as f:
            f.write("#!/bin/sh\nexec sleep 60\n")
        os.chmod(idle, 0o755)
        m = PackagedMaster(self, root, unit, [
            "-d", "sqlite", "--api-host", "127.0.0.1", "--api-port",
            str(api), "--plugin", "/usr/local/libexec/idle-plugin"])
        out = m.check()
        self.assertRegex(out, r"configuration OK", out)
        m.start()
        with open("/proc/%d/status" % m.proc.pid) as f:
            st = f.read()
        want = sum(1 << CAP_NUMBERS[c] for c in m.caps)
        self.assertEqual(int(re.search(r"CapBnd:\s*(\w+)", st).group(1), 16),
                         want, st)
        self.assertRegex(st, r"NoNewPrivs:\s*1")
        s = fakes.FakeServer(self, m, addr="127.0.0.2", hostname="Packaged")
        c = fakes.Client(self, m)
        s.register()
        c.wait_listed([s])
        # The REST API plugin too: chrooted and under its filter.
        with urllib.request.urlopen("http://127.0.0.1:%d/api/servers" % api,
                                    timeout=10) as r:
            listed = json.load(r)
        self.assertEqual([x["address"] for x in listed["servers"]],
                         [s.addr_str], listed)
        m.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: re.search(
            r"master: reloaded data files", m.tail()), 5), m.tail())
        kids = children_of(m.proc.pid)
        self.addCleanup(kill_pids, kids)
        self.assertEqual(len(kids), 4, m.tail())    # netd, logd, 2 plugins
        self.assertEqual(m.stop(), 0, m.tail())
        self.assertEqual([k for k in kids if pid_alive(k)], [], m.tail())
        log = m.tail(400)
        self.assertNotRegex(log, r"Permission denied|Operation not "
                            r"permitted|fatal|Read-only", log)
        self.assertRegex(log, r"wrote 1 servers? to serverlist\.txt", log)
        self.assertEqual(root.read("/%s/serverlist.txt" % DATA),
                         "127.0.0.2:%d\n" % s.port)
        data = root.digests("/" + DATA)
        self.assertIn("serverlist.txt", data)
        self.assertIn("stats.db", data, log)
        for name, (_, owner, _) in data.items():
            self.assertEqual(owner, uid, "%s: owner %d" % (name, owner))
        root.sh("test -s /%s/stats.db" % DATA)

        root.dpkg("--purge", "tremmasterd")
        for gone in ("/usr/sbin/tremmasterd", "/etc/default/tremmasterd",
                     "/" + UNIT, "/etc/systemd/system/multi-user.target."
                     "wants/tremmasterd.service"):
            self.assertFalse(root.exists(gone), gone)
        self.assertEqual(root.digests("/" + DATA), data)
        self.assertEqual(root.user()[0], uid)

    def test_upgrade_purge(self):
        """An upgrade keeps the operator's data files, their owner and
        mode, the directory's mode and an edited conffile; a purge keeps
        the data; an empty data directory goes with the purge."""
        pkg, root = self.install()
        uid, gid, _, _ = root.user()
        d = root.upper("/" + DATA)
        files = {"featured.txt": "Featured\n127.0.0.3:30720\n",
                 "motd.txt": "Welcome\n", "ignore.txt": "10.0.0.0/8\n"}
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chown(os.path.join(d, name), uid, gid)
        os.chmod(os.path.join(d, "motd.txt"), 0o640)
        os.chmod(d, 0o750)
        opts = root.upper("/etc/default/tremmasterd")
        with open(opts, "a") as f:
            f.write('TREMMASTERD_OPTS="-p 30700 -p 30710"\n')
        root.sh("/usr/sbin/tremmasterd -u tremmasterd -j /%s --create-db "
                "-d sqlite" % DATA)
        before = root.digests("/" + DATA)
        self.assertEqual(set(before), set(files) | {"stats.db"})

        out = root.dpkg("-i", pkg.next_deb)
        self.assertEqual(root.sh("dpkg-query -W -f '${Version}' "
                                 "tremmasterd"), pkg.next_version, out)
        self.assertEqual(root.digests("/" + DATA), before)
        self.assertEqual(root.stat("/" + DATA), (uid, gid, "750",
                                                 "directory"))
        self.assertIn('TREMMASTERD_OPTS="-p 30700 -p 30710"',
                      root.read("/etc/default/tremmasterd"))

        root.dpkg("--purge", "tremmasterd")
        self.assertFalse(root.exists("/usr/sbin/tremmasterd"))
        self.assertFalse(root.exists("/etc/default/tremmasterd"))
        self.assertEqual(root.digests("/" + DATA), before)

        root2 = Root(self)
        root2.dpkg("-i", pkg.deb)
        self.assertTrue(root2.exists("/" + DATA))
        root2.dpkg("--purge", "tremmasterd")
        self.assertFalse(root2.exists("/" + DATA))


if __name__ == "__main__":
    unittest.main()
