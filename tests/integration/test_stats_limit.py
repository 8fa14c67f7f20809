# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors

"""The size limit of the statistics database (--db-max-size): logd stops
storing at the limit, says so once, drops what does not fit and goes on,
for SQLite (stats.db) and for TDB (each of its two files).

Records are client records from getmotd, sent over UDP to the running
daemon on 127.0.0.1 (sources in 127/8), as in test_stats.py; the daemon
runs with --throttle-burst 0 and --answer-budget 0, so that a source may
send many and every getmotd is answered.
"""

import os
import re
import socket
import sqlite3
import time

from harness import IS_ROOT, nobody, run_cmd, wait_until
from test_stats import (CLIENTS_SQL, EXITING, GAMESTATS_SQL, HDR, LINE,
                        SQLITE_FILE, TDB_CLIENTS, TDB_GAMES, Sender,
                        StatsCase, distinct_addrs, getmotd, send_from,
                        sqlite_query, tdb_check, tdb_dump)

MIB = 1024 * 1024
SLACK = 4096            # a page past the limit, at most
FIRST = 50              # records stored before the flood, checked after
FLOOD = 8000            # bound on the records sent to fill 1 MiB
BURST = 100
MOTD = "limit test\n"

REACHED = (LINE + r"logd: statistics: the database reached its size limit "
           r"of (\d+) MiB \(--db-max-size\): new records are dropped$")
DROPPED = (LINE + r"logd: statistics: (\d+) records dropped in all: the "
           r"database was full$")
RENDERER = b"R" * 255   # the longest renderer a client record holds


def version(tag, i):
    """A 127-byte version (the longest a client record holds), unique."""
    v = b"%s %06d " % (tag, i)
    return v + b"v" * (127 - len(v))


class LimitCase(StatsCase):

    def limited(self, db, mib, extra=()):
        d = self.daemon(db, ["--db-max-size", mib, "--answer-budget", "0"] +
                        list(extra))
        d.write_file("motd.txt", MOTD)
        return d

    def start_limited(self, d, db):
        d.start().wait_started()
        d.wait_for_log(LINE + r"logd: statistics database: %s$" % db)
        return d

    def assert_answers(self, d):
        """The daemon is alive and netd still answers a getmotd."""
        self.assert_alive(d)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.5)
        want = HDR + b'motd "\\challenge\\77\\motd\\limit test\\"'
        for _ in range(10):
            s.sendto(HDR + b"getmotd\\challenge\\77", ("127.0.0.1", d.port))
            try:
                got = s.recv(2048)
            except socket.timeout:
                continue
            self.assertEqual(got, want)
            return
        self.fail("no motd answer from a full-database daemon\n" + d.tail())

    def reached(self, d):
        return re.findall(REACHED, d.log())

    def flood(self, d, send):
        """send(i) for i from FIRST on, in bursts, until logd says the
        database is full; then 500 more, which must all be dropped.
        Returns the number sent."""
        i = FIRST
        while i < FIRST + FLOOD and not self.reached(d):
            for _ in range(BURST):
                send(i)
                i += 1
            time.sleep(0.02)
        self.assertTrue(wait_until(lambda: self.reached(d), 5),
                        "no size limit line after %d records\n%s" % (
                            i, d.tail()))
        for _ in range(500):
            send(i)
            i += 1
        return i

    def stop_counts(self, d):
        """Stop the daemon; (received, stored, refused, dropped) of logd's
        client records."""
        self.stop_ok(d)
        found = re.findall(EXITING, d.log())
        self.assertEqual(len(found), 1, d.tail())
        clients, games, stored, refused = (int(x) for x in found[0])
        self.assertEqual(games, 0)
        drops = re.findall(DROPPED, d.log())
        dropped = int(drops[0]) if drops else 0
        return clients, stored, refused, dropped

    def stop_capped(self, d, path, sent):
        """Stop d after a flood of sent records that reached the 1 MiB
        cap: the line came once, over 500 records were dropped, every
        record was stored or dropped (none lost on the way), and path is
        still within the cap.  Returns the number stored."""
        received, stored, refused, dropped = self.stop_counts(d)
        self.assert_filled_once(d, 1)
        self.assertLessEqual(received, sent)
        self.assertEqual(refused, 0)
        self.assertGreater(dropped, 500 - 1, d.tail())
        self.assertEqual(stored + dropped, received, d.tail())
        self.assertLessEqual(os.path.getsize(path), MIB + SLACK)
        return stored

    def assert_filled_once(self, d, mib):
        self.assertEqual(self.reached(d), [str(mib)],
                         "not one size limit line\n" + d.tail())


# ---------------------------------------------------------------------------

class SqliteLimitTest(LimitCase):

    def test_sqlite_full_keeps_running(self):
        d = self.start_limited(self.limited("sqlite", 1), "sqlite")
        db = d.path(SQLITE_FILE)
        s = Sender(self, d.port)
        for i in range(FIRST):
            s.send(getmotd(version=version(b"first", i), renderer=RENDERER))
        self.wait_committed(d, FIRST)
        sent = self.flood(d, lambda i: s.send(getmotd(
            version=version(b"flood", i), renderer=RENDERER)))
        self.assertLessEqual(os.path.getsize(db), MIB + SLACK)
        self.assert_answers(d)
        # Read while logd runs: the committed rows are sound.
        self.assertEqual(sqlite_query(db, "PRAGMA integrity_check",
                                      readonly=True), [("ok",)])
        stored = self.stop_capped(d, db, sent)
        self.assertFalse(os.path.exists(db + "-journal"))
        self.assertEqual(sqlite_query(db, "PRAGMA integrity_check"),
                         [("ok",)])
        rows = sqlite_query(db, "SELECT CAST(version AS BLOB), "
                            "CAST(renderer AS BLOB) FROM clients "
                            "ORDER BY rowid")
        self.assertEqual(len(rows), stored)
        self.assertGreater(stored, 1000, "1 MiB holds over 1000 records")
        self.assertEqual(rows[:FIRST], [(version(b"first", i), RENDERER)
                                        for i in range(FIRST)])
        # --stats reads the full database.
        rc, out, err = run_cmd(["--stats", "-d", "sqlite"], cwd=d.datadir)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"\(sqlite\): %d client records, 0 game "
                         r"records\n" % stored)

    def big_database(self, d, rows):
        """A stats.db of rows client records (about 450 bytes each)."""
        db = d.path(SQLITE_FILE)
        con = sqlite3.connect(db)
        con.execute(CLIENTS_SQL)
        con.execute(GAMESTATS_SQL)
        con.executemany("INSERT INTO clients VALUES (?, ?, ?)",
                        [("203.0.113.9", version(b"old", i).decode(),
                          RENDERER.decode()) for i in range(rows)])
        con.commit()
        con.close()
        if IS_ROOT:
            os.chown(db, *nobody())
        return db

    def test_sqlite_starts_full(self):
        """A stats.db already past the limit: logd starts, says it is
        full, stores nothing, and --stats still reads it."""
        d = self.limited("sqlite", 1)
        db = self.big_database(d, 3000)
        size = os.path.getsize(db)
        self.assertGreater(size, MIB + SLACK)
        self.start_limited(d, "sqlite")
        d.wait_for_log(REACHED)
        s = Sender(self, d.port)
        for i in range(20):
            s.send(getmotd(version=version(b"late", i), renderer=RENDERER))
        d.wait_for_log(LINE + r"logd: client 127\.0\.0\.1:\d+: version "
                       r"\"late 000019 ", timeout=5)
        self.assert_answers(d)
        received, stored, refused, dropped = self.stop_counts(d)
        self.assert_filled_once(d, 1)
        self.assertEqual((received, stored, refused, dropped),
                         (20, 0, 0, 20), d.tail())
        self.assertEqual(os.path.getsize(db), size)
        self.assertEqual(sqlite_query(db, "SELECT count(*) FROM clients"),
                         [(3000,)])
        self.assertEqual(sqlite_query(db, "PRAGMA integrity_check"),
                         [("ok",)])
        rc, out, err = run_cmd(["--stats", "-d", "sqlite"], cwd=d.datadir)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"\(sqlite\): 3000 client records, ")

    def test_sqlite_zero_is_no_limit(self):
        """--db-max-size 0: the same over-sized stats.db takes records."""
        d = self.limited("sqlite", 0)
        db = self.big_database(d, 3000)
        self.start_limited(d, "sqlite")
        s = Sender(self, d.port)
        for i in range(20):
            s.send(getmotd(version=version(b"late", i), renderer=RENDERER))
        self.wait_committed(d, 20)
        received, stored, refused, dropped = self.stop_counts(d)
        self.assertEqual((received, stored, dropped), (20, 20, 0), d.tail())
        self.assertEqual(self.reached(d), [])
        self.assertEqual(sqlite_query(db, "SELECT count(*) FROM clients"),
                         [(3020,)])


# ---------------------------------------------------------------------------

class TdbLimitTest(LimitCase):
    """TDB keys client records by address: every record comes from its
    own source address 127.0.X.Y, so each is one key."""

    def test_tdb_full_keeps_running(self):
        d = self.start_limited(self.limited("tdb", 1), "tdb")
        addrs = distinct_addrs(FIRST + FLOOD + 500, third=1)

        def send(i, tag=b"flood"):
            send_from(addrs[i], d.port,
                      [getmotd(version=version(tag, i), renderer=RENDERER)])
        for i in range(FIRST):
            send(i, b"first")
        self.wait_committed(d, FIRST)
        sent = self.flood(d, send)
        path = d.path(TDB_CLIENTS)
        self.assertLessEqual(os.path.getsize(path), MIB + SLACK)
        self.assert_answers(d)
        stored = self.stop_capped(d, path, sent)
        self.assertLessEqual(os.path.getsize(d.path(TDB_GAMES)), MIB)
        self.assertEqual(tdb_check(self, path), stored)
        clients = tdb_dump(self, path)
        self.assertEqual(len(clients), stored)
        self.assertGreater(stored, 500, "1 MiB holds over 500 records")
        for i in range(FIRST):
            self.assertEqual(clients.get(addrs[i].encode()),
                             b"\"" + version(b"first", i) + b"\" \"" +
                             RENDERER + b"\"", addrs[i])
        rc, out, err = run_cmd(["--stats", "-d", "tdb"], cwd=d.datadir)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"\(tdb\): %d client addresses, 0 game "
                         r"records\n" % stored)


if __name__ == "__main__":
    import unittest
    unittest.main()
