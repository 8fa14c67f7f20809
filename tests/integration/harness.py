# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""Helpers for the black-box tests of tremmasterd.

The binary under test is $TREMMASTERD (an absolute path, set by
tests/run.py); $TREMMASTERD_SANITIZE is "1" for the AddressSanitizer
build.  Everything here uses the Python 3 standard library only.

Rules every test follows through these helpers:
- ports are picked free for UDP and TCP on 127.0.0.1 and ::1, never the
  default 30710, and the daemon only listens on loopback addresses;
- every daemon runs in its own session, with its own data directory and
  log directory, and is stopped by PID in a cleanup;
- every wait is bounded;
- after every run the output is searched for sanitizer reports.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# tests/run.py runs the same (cached) modules against several builds and
# changes the environment in between: read it at each use, never at import.
def binary():
    """The binary under test, $TREMMASTERD (default: build/tremmasterd)."""
    return os.environ.get("TREMMASTERD") or os.path.join(
        os.path.dirname(os.path.dirname(HERE)), "build", "tremmasterd")


def sanitize():
    """Is the binary under test the AddressSanitizer build?"""
    return os.environ.get("TREMMASTERD_SANITIZE", "0") == "1"


IS_ROOT = os.geteuid() == 0

DEFAULT_PORT = 30710
CMD_TIMEOUT = 10        # one-shot invocations
START_TIMEOUT = 10      # daemon start-up
STOP_TIMEOUT = 15       # orderly shutdown

SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "runtime error:",
                      "LeakSanitizer")

NEED_ROOT = "needs root (chroot and setuid are only done when started " \
    "as root)"


def _have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            s.bind(("::1", 0))
        finally:
            s.close()
        return True
    except OSError:
        return False


HAVE_IPV6 = _have_ipv6()
NEED_IPV6 = "IPv6 (::1) is not available on this system"


def nobody():
    """(uid, gid) of the user nobody and its primary group (nogroup)."""
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def unprivileged_ids():
    """The uid and gid an unprivileged daemon run ends up with."""
    if IS_ROOT:
        return nobody()
    return os.getuid(), os.getgid()


def binary_reachable_by_nobody():
    """Can nobody execute the binary (every directory on the way +x)?"""
    if not IS_ROOT:
        return True
    path = os.path.realpath(binary())
    st = os.stat(path)
    if not st.st_mode & 0o001:
        return False
    d = os.path.dirname(path)
    while True:
        if not os.stat(d).st_mode & 0o001:
            return False
        if d == "/":
            return True
        d = os.path.dirname(d)


def sanitizer_reports(text):
    """The lines of text that hold a sanitizer report, if any."""
    return [line for line in text.splitlines()
            if any(p in line for p in SANITIZER_PATTERNS)]


def tail(text, n=40):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


def daemon_env(leak_check=True, extra=None):
    """The environment of a run of the daemon.

    Started as root, the children chroot and drop privileges, and
    LeakSanitizer can neither read /proc in a chroot nor ptrace a process
    that changed its ids: such runs pass leak_check=False, which turns leak
    detection off in the sanitizer build.  Every other run keeps it.
    """
    env = dict(os.environ)
    if sanitize():
        opts = [o for o in env.get("ASAN_OPTIONS", "").split(":") if o]
        if not leak_check:
            opts = [o for o in opts if not o.startswith("detect_leaks=")]
            opts.append("detect_leaks=0")
        if opts:
            env["ASAN_OPTIONS"] = ":".join(opts)
    if extra:
        env.update(extra)
    return env


def sanitizer_log_env(logdir, leak_check=True):
    """Extra environment sending sanitizer reports to logdir/asan.PID and
    logdir/ubsan.PID, for runs whose standard error is /dev/null."""
    asan = daemon_env(leak_check).get("ASAN_OPTIONS", "")
    asan = ":".join(o for o in (asan, "log_path=" +
                                os.path.join(logdir, "asan")) if o)
    ubsan = ":".join(o for o in (os.environ.get("UBSAN_OPTIONS", ""),
                                 "log_path=" + os.path.join(logdir, "ubsan"))
                     if o)
    return {"ASAN_OPTIONS": asan, "UBSAN_OPTIONS": ubsan}


def sanitizer_log_files(logdir):
    """The text of the report files sanitizer_log_env() asked for."""
    text = ""
    for name in sorted(os.listdir(logdir)):
        if name.startswith("asan.") or name.startswith("ubsan."):
            with open(os.path.join(logdir, name), "rb") as f:
                text += f.read().decode("utf-8", "replace")
    return text


def skip_unless_nobody_can_run(test):
    """Skip test when, as root, nobody could not execute the binary."""
    if not binary_reachable_by_nobody():
        test.skipTest("nobody cannot execute %s (a directory on the way "
                      "is not searchable)" % binary())


def _drop_to_nobody():
    """preexec_fn: become nobody for good, groups first."""
    uid, gid = nobody()
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


# ---------------------------------------------------------------------------
# Ports

_handed_out = set()


def _bind(family, kind, addr, port, listen=False):
    """A socket bound to (addr, port); the caller closes it."""
    s = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        if listen:
            s.listen(1)
    except OSError:
        s.close()
        raise
    return s


def loopback_addrs():
    addrs = [(socket.AF_INET, "127.0.0.1")]
    if HAVE_IPV6:
        addrs.append((socket.AF_INET6, "::1"))
    return addrs


def port_is_free(port):
    """port can be bound for UDP and TCP on 127.0.0.1 and ::1."""
    socks = []
    try:
        for family, addr in loopback_addrs():
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                socks.append(_bind(family, kind, addr, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_ports(n):
    """n distinct ports free for UDP and TCP on 127.0.0.1 and ::1."""
    ports = []
    for _ in range(200):
        if len(ports) == n:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port == DEFAULT_PORT or port in ports or port in _handed_out:
            continue
        if port_is_free(port):
            ports.append(port)
            _handed_out.add(port)
    if len(ports) != n:
        raise RuntimeError("cannot find %d free ports" % n)
    return ports


def bind_errno(addr, port, proto="udp"):
    """0 if we can bind (addr, port) ourselves, else the errno."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    try:
        s = _bind(family, kind, addr, port, listen=(proto == "tcp"))
    except OSError as e:
        return e.errno
    s.close()
    return 0


def hold_port(addr, port, proto="udp"):
    """Bind (addr, port) and keep it; the caller closes the socket."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    return _bind(family, kind, addr, port, listen=(proto == "tcp"))


def daemon_args(port, cport, ws=None, verbose=2, loopback=True):
    """Arguments for a run on loopback: -p port -P cport [-W ws]."""
    args = ["-v"] * verbose
    if loopback:
        args += ["-l", "127.0.0.1"]
        if HAVE_IPV6:
            args += ["-L", "::1"]
    args += ["-p", str(port), "-P", str(cport)]
    if ws is not None:
        args += ["-W", str(ws)]
    return args


# ---------------------------------------------------------------------------
# /proc

def proc_stat(pid):
    """(ppid, state, pgrp, session) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    rest = data.rpartition(")")[2].split()
    if len(rest) < 4:
        return None
    return int(rest[1]), rest[0], int(rest[2]), int(rest[3])


def all_pids():
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            pids.append(int(name))
    return pids


def pid_alive(pid):
    """pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[1] not in ("Z", "X", "x")


def children_of(pid):
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st is not None and st[0] == pid and st[1] not in ("Z", "X"):
            out.append(p)
    return sorted(out)


def session_members(sid):
    """Live processes of session sid (every process a run started)."""
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st is not None and st[3] == sid and st[1] not in ("Z", "X"):
            out.append(p)
    return sorted(out)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def proc_info(pid):
    """uid, gid, groups (lists of ints), root, cmdline, ppid of pid."""
    info = {"pid": pid}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "Uid":
                info["uid"] = [int(x) for x in value.split()]
            elif key == "Gid":
                info["gid"] = [int(x) for x in value.split()]
            elif key == "Groups":
                info["groups"] = [int(x) for x in value.split()]
            elif key == "PPid":
                info["ppid"] = int(value)
    info["root"] = os.readlink("/proc/%d/root" % pid)
    info["cmdline"] = cmdline(pid)
    return info


def fd_socket_inodes(pid):
    """Inodes of the sockets pid holds."""
    out = set()
    d = "/proc/%d/fd" % pid
    for name in os.listdir(d):
        try:
            link = os.readlink(os.path.join(d, name))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", link)
        if m:
            out.add(int(m.group(1)))
    return out


def _proc_net_addr(addr):
    """addr as /proc/net/{udp,tcp}{,6} print it (32-bit words in host
    order, each as %08X)."""
    if ":" in addr:
        raw = socket.inet_pton(socket.AF_INET6, addr)
    else:
        raw = socket.inet_pton(socket.AF_INET, addr)
    return "".join("%08X" % struct.unpack("=I", raw[i:i + 4])[0]
                   for i in range(0, len(raw), 4))


def port_socket_inodes(port, protos=("udp", "udp6"), addrs=None):
    """Inodes of the sockets bound to port (TCP: listening only), on one of
    the local addresses addrs (default: any)."""
    want = None
    if addrs is not None:
        want = {_proc_net_addr(a) for a in addrs}
    out = set()
    for proto in protos:
        try:
            with open("/proc/net/%s" % proto) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, _, lport = fields[1].rpartition(":")
            if int(lport, 16) != port:
                continue
            if want is not None and local.upper() not in want:
                continue
            if proto.startswith("tcp") and fields[3] != "0A":
                continue
            out.add(int(fields[9]))
    return out


def ancestors(pid):
    """The PIDs above pid, up to init."""
    out = []
    for _ in range(1000):
        st = proc_stat(pid)
        if st is None or st[0] <= 0:
            break
        pid = st[0]
        out.append(pid)
    return out


def collect(recv, first, quiet, limit):
    """Call recv(timeout) until it returns None: the first call may wait
    first seconds, the next ones quiet seconds; never more than limit
    seconds in all.  The list of what it returned."""
    out = []
    deadline = time.monotonic() + limit
    wait = first
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r = recv(min(wait, left))
        if r is None:
            break
        out.append(r)
        wait = quiet
    return out


def wait_until(pred, timeout, interval=0.05):
    """Poll pred until true or timeout; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def kill_pids(pids, sig=signal.SIGKILL):
    for p in pids:
        try:
            os.kill(p, sig)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# One-shot runs

def run_cmd(args, cwd=None, unprivileged=False, env_extra=None,
            timeout=CMD_TIMEOUT, leak_check=True):
    """Run tremmasterd once; returns (exit code, stdout, stderr).

    With unprivileged, a root test runs it as nobody.  A one-shot run
    starts no child, so leaks are looked for even as root unless
    leak_check is false (a run that detaches and forks).  Fails (raises
    AssertionError) on a timeout, on a process left behind in its session,
    or on a sanitizer report.
    """
    tmp = None
    if cwd is None:
        cwd = tmp = tempfile.mkdtemp(prefix="tremmasterd-cmd-")
    drop = unprivileged and IS_ROOT
    if drop:
        uid, gid = nobody()
        os.chown(cwd, uid, gid)
    env = daemon_env(leak_check, env_extra)
    try:
        p = subprocess.Popen([binary()] + [str(a) for a in args],
                             cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True,
                             preexec_fn=_drop_to_nobody if drop else None)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_pids(session_members(p.pid) + [p.pid])
            out, err = p.communicate(timeout=5)
            kill_pids(session_members(p.pid))
            raise AssertionError(
                "%s did not exit within %d s\nstdout:\n%s\nstderr:\n%s" % (
                    args, timeout, tail(out.decode("utf-8", "replace")),
                    tail(err.decode("utf-8", "replace"))))
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
        left = []
        if not wait_until(lambda: not session_members(p.pid), 5):
            left = session_members(p.pid)
        if left:
            kill_pids(left)
            raise AssertionError("%s left processes behind: %s\n%s%s" % (
                args, left, tail(out), tail(err)))
        reports = sanitizer_reports(out + "\n" + err)
        if reports:
            raise AssertionError("sanitizer report from %s:\n%s\n%s" % (
                args, tail(out), tail(err, 80)))
        return p.returncode, out, err
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# The daemon

class Daemon:
    """One run of tremmasterd in the background.

    The data directory (the working directory) and the log directory are
    fresh temporary directories.  Standard output and standard error go to
    the log file.  The run is stopped, and the directories removed, by a
    cleanup registered on the test case, so nothing is left behind even
    when the test fails.
    """

    def __init__(self, test, args, files=None, unprivileged=False,
                 env_extra=None, datadir=None):
        self.test = test
        self.args = [str(a) for a in args]
        self.unprivileged = unprivileged and IS_ROOT
        self.env_extra = env_extra
        self.proc = None
        self.pid = None
        self.known_children = set()
        self.returncode = None
        self._stopped = False
        self._tmpdirs = []
        self.datadir = datadir or self.make_dir("tremmasterd-data-")
        self.logdir = self.make_dir("tremmasterd-log-")
        self.logpath = os.path.join(self.logdir, "daemon.log")
        self._logf = None
        self._final_log = None
        if files:
            for name, content in files.items():
                self.write_file(name, content)
        test.addCleanup(self.stop)

    # -- files

    def make_dir(self, prefix="tremmasterd-"):
        d = os.path.realpath(tempfile.mkdtemp(prefix=prefix))
        self._tmpdirs.append(d)
        return d

    def path(self, name):
        return os.path.join(self.datadir, name)

    def write_file(self, name, content):
        with open(self.path(name), "w") as f:
            f.write(content)
        if self.unprivileged:
            uid, gid = nobody()
            os.chown(self.path(name), uid, gid)

    def read_file(self, name):
        with open(self.path(name)) as f:
            return f.read()

    # -- process

    @property
    def cmd(self):
        return [binary()] + self.args

    def start(self):
        if self.unprivileged:
            uid, gid = nobody()
            os.chown(self.datadir, uid, gid)
            for name in os.listdir(self.datadir):
                os.chown(os.path.join(self.datadir, name), uid, gid)
        env = daemon_env(not IS_ROOT or self.unprivileged, self.env_extra)
        self._logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            self.cmd, cwd=self.datadir, env=env, stdin=subprocess.DEVNULL,
            stdout=self._logf, stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_drop_to_nobody if self.unprivileged else None)
        self.pid = self.proc.pid
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        os.kill(self.pid, sig)

    def children(self):
        """Live children of the daemon; their PIDs are remembered."""
        kids = children_of(self.pid)
        self.known_children.update(kids)
        return kids

    def proc_info(self, pid):
        return proc_info(pid)

    def child_by_title(self, name):
        """PID of the child whose title is "tremmasterd: name"."""
        for p in self.children():
            c = cmdline(p) or ""
            if c.startswith("tremmasterd: " + name):
                return p
        self.test.fail("no %s child; children %s\n%s" % (
            name, [(p, cmdline(p)) for p in self.children()], self.tail()))

    # -- log

    def log(self):
        if self._final_log is not None:
            return self._final_log
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def tail(self, n=40):
        return "--- log tail (%s) ---\n%s" % (" ".join(self.cmd),
                                               tail(self.log(), n))

    def count(self, regex):
        return len(re.findall(regex, self.log(), re.M))

    def wait_for_log(self, regex, timeout=START_TIMEOUT, count=1):
        """Wait until regex (multiline) matched count times in the log.

        Returns the last match; fails the test with the log tail on a
        timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = list(re.finditer(regex, self.log(), re.M))
            if len(found) >= count:
                return found[count - 1]
            exited = not self.running()
            if exited:
                # One last read: the lines may have landed just now.
                found = list(re.finditer(regex, self.log(), re.M))
                if len(found) >= count:
                    return found[count - 1]
            if exited or time.monotonic() >= deadline:
                self.test.fail("%r (x%d) not in the log after %.1f s%s\n%s"
                               % (regex, count, timeout,
                                  " (daemon exited with %s)" %
                                  self.proc.returncode if exited else "",
                                  self.tail()))
            time.sleep(0.05)

    def wait_started(self, timeout=START_TIMEOUT):
        """Wait for netd's data files and (with -v -v) logd's link."""
        self.wait_for_log(r"^\S+ \S+ netd: data files: ", timeout)
        if self.args.count("-v") >= 2:
            self.wait_for_log(r"^\S+ \S+ logd: link to netd is up$",
                              timeout)
        ok = wait_until(lambda: len(self.children()) >= 2, timeout)
        if not ok:
            self.test.fail("children did not appear\n" + self.tail())
        # The titles are set right after the privilege drop.
        wait_until(lambda: all((cmdline(p) or "").startswith("tremmasterd:")
                               for p in self.children()), 2)
        return self

    def wait(self, timeout=STOP_TIMEOUT):
        """Wait for the daemon to exit; returns its exit status."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.test.fail("daemon did not exit within %d s\n%s" % (
                timeout, self.tail()))
        return self.returncode

    def leftovers(self):
        """Live processes of this run other than the daemon itself."""
        pids = set(session_members(self.pid)) if self.pid else set()
        for p in self.known_children:
            st = proc_stat(p)
            if st is not None and st[3] == self.pid and pid_alive(p):
                pids.add(p)
        pids.discard(self.pid)
        return sorted(p for p in pids if pid_alive(p))

    def check_sanitizer(self):
        reports = sanitizer_reports(self.log())
        if reports:
            raise AssertionError("sanitizer report in the daemon log:\n%s"
                                 % tail(self.log(), 120))

    def stop(self):
        """Teardown: SIGTERM, then SIGKILL by PID; remove the temp dirs."""
        if self._stopped:
            return self.returncode
        self._stopped = True
        try:
            if self.running():
                try:
                    os.kill(self.pid, signal.SIGTERM)
                except OSError:
                    pass
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    kill_pids([self.pid])
                    self.proc.wait(5)
            if self.proc is not None:
                self.returncode = self.proc.returncode
                left = self.leftovers()
                if left:
                    kill_pids(left)
                    wait_until(lambda: not self.leftovers(), 5)
        finally:
            if self._logf is not None:
                self._logf.close()
            self._final_log = self.log()
            for d in self._tmpdirs:
                shutil.rmtree(d, ignore_errors=True)
        self.check_sanitizer()
        return self.returncode
