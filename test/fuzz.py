#!/usr/bin/env python3
"""test/fuzz.py -- logext's own fuzzer.

    python3 test/fuzz.py --dsn DSN [--seed N] [--statements N] [--sessions 2]
                         [--log SERVER_LOG] [--force-parallel] [--quiet]

Two (or --sessions) sessions, each on its own thread and connection, call
every logext function with random arguments, valid and invalid (NULLs,
empty, long, reserved and non-ASCII names, negative and huge numbers,
wrong types, mismatched and multidimensional arrays), mixed with
transaction control (BEGIN at every isolation level, SAVEPOINT, ROLLBACK TO,
RELEASE, COMMIT, ROLLBACK, PREPARE TRANSACTION), statement_timeout,
logext.debug_precommit_sleep_ms (to widen the commit window),
pg_cancel_backend of a session (at once, or 0-30 ms later from a helper
connection so that it lands inside a statement or a COMMIT, the session's
own COMMIT too), now and then pg_terminate_backend of the other session,
log_create / log_drop / log_roll of the same few names, consumer group
calls (log_commit, log_committed, log_reset_offsets, log_read_group,
log_join, log_heartbeat, log_leave, log_delete_group), log_compact_offsets,
COPY and INSERT into segment relations, the monitoring views, whole-partition
reads that check their offsets, and rarely DROP EXTENSION logext CASCADE +
CREATE EXTENSION.  Per session the statements come from a RNG seeded with
--seed and the session number (the interleaving of the sessions is up to
the scheduler).

DSN is a libpq connection string of a superuser connection to a database
of a server that preloads logext (logext is created there if missing; logs
"fz.*" and groups "fg*" are dropped first).

It fails (exit status 1) if
  - a statement fails with an internal error (SQLSTATE XX000, XX001, XX002)
    or the server closes a connection that nobody terminated;
  - with --log, the server log written during the run has "terminated by
    signal", "terminated by exception", PANIC or TRAP;
  - a session's read of a whole partition (now and then during the run)
    returns offsets that are not strictly increasing;
  - at the end, for some partition of some log, log_read from the
    partition's first offset returns offsets that are not strictly
    increasing, below the first offset, or not below next_offset
    (logext.partitions), or a consumer group's committed offset is beyond
    the partition's end.
It prints how many statements ended how (ok or SQLSTATE) per kind of call.
"""

import argparse
import collections
import io
import json
import os
import random
import re
import sys
import threading
import time
import traceback

try:
    import psycopg2
    import psycopg2.extensions
except ImportError:  # pragma: no cover
    sys.stderr.write("fuzz.py needs psycopg2 (Debian package python3-psycopg2)\n")
    sys.exit(2)

LOGS = ["fz.a", "fz.b", "fz.c", "fz.d"]
BAD_LOGS = ["", "x" * 201, "n" * 65, "__consumer_offsets", "__fz", "a;b'\"", "ünï", "fz.none", None]
GROUPS = ["fg1", "fg2", "fg3"]
BAD_GROUPS = ["", "__fg", "bad group", "g" * 300, None]
MEMBERS = ["m1", "m2", "m3"]
INTERNAL_ERRORS = {"XX000", "XX001", "XX002"}
CRASH_RE = re.compile(r"terminated by signal|terminated by exception|PANIC:|TRAP:")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = collections.defaultdict(collections.Counter)
        self.statements = 0
        self.internal = []          # (session, statement, sqlstate, message)
        self.problems = []          # failed "verify" reads
        self.lost = []              # unexpected connection losses
        self.terminated = 0
        self.cancels = 0

    def add(self, kind, outcome):
        with self.lock:
            self.outcomes[kind][outcome] += 1
            self.statements += 1


class Session(threading.Thread):
    def __init__(self, idx, args, stats, budget, peers):
        super().__init__(name="session%d" % idx)
        self.idx = idx
        self.args = args
        self.stats = stats
        self.budget = budget
        self.peers = peers          # idx -> pid (shared)
        self.rng = random.Random(args.seed * 1000 + idx)
        self.conn = None
        self.savepoints = []
        self.prepared = 0
        self.expect_loss = False
        self.done = 0
        self.helper = None          # connection of gen_cancel_later
        self.timers = []

    # ------------------------------------------------------------ plumbing
    def connect(self):
        for attempt in range(200):
            try:
                self.conn = psycopg2.connect(self.args.dsn, application_name="fuzz%d" % self.idx)
                self.conn.autocommit = True
                cur = self.conn.cursor()
                cur.execute("SET statement_timeout = '5s'")
                cur.execute("SET lock_timeout = '5s'")
                if self.args.force_parallel:
                    cur.execute("SET force_parallel_mode = on")
                cur.execute("SELECT pg_backend_pid()")
                self.peers[self.idx] = cur.fetchone()[0]
                self.savepoints = []
                return
            except psycopg2.OperationalError:
                time.sleep(0.1)
        raise RuntimeError("session %d cannot connect" % self.idx)

    def tx_status(self):
        try:
            return self.conn.info.transaction_status
        except Exception:
            return psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN

    def in_tx(self):
        return self.tx_status() in (psycopg2.extensions.TRANSACTION_STATUS_INTRANS,
                                    psycopg2.extensions.TRANSACTION_STATUS_INERROR)

    def failed_tx(self):
        return self.tx_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR

    def run(self):
        try:
            self.connect()
            while self.done < self.budget:
                kind, sql, params, copy_data = self.pick()
                self.execute(kind, sql, params, copy_data)
                self.done += 1
        except Exception:
            with self.stats.lock:
                self.stats.problems.append("session %d stopped after %d statements: %s"
                                           % (self.idx, self.done, traceback.format_exc()))
        for t in self.timers:
            t.join()
        try:
            if self.helper is not None:
                self.helper.close()
        except Exception:
            pass
        try:
            if self.conn is not None and not self.conn.closed:
                cur = self.conn.cursor()
                if self.in_tx():
                    cur.execute("ROLLBACK")
                self.conn.close()
        except Exception:
            pass

    def execute(self, kind, sql, params, copy_data):
        outcome = "ok"
        try:
            cur = self.conn.cursor()
            if copy_data is not None:
                cur.copy_expert(sql, io.StringIO(copy_data))
            else:
                cur.execute(sql, params)
                if cur.description is not None:
                    rows = cur.fetchall()
                    if kind == "verify" and rows and rows[0][0]:
                        with self.stats.lock:
                            self.stats.problems.append("session %d: %s: offsets out of order: %s"
                                                       % (self.idx, self.render(sql, params), rows[0]))
            if kind == "begin":
                self.savepoints = []
        except Exception as e:
            # psycopg2 can raise a SystemError when the server ends the
            # connection during COPY FROM
            if not isinstance(e, (psycopg2.Error, SystemError)):
                raise
            code = getattr(e, "pgcode", None)
            cause = e.__cause__ or e.__context__
            if code is None and isinstance(cause, psycopg2.Error):
                code = cause.pgcode
            lost = self.conn.closed != 0 or isinstance(e, psycopg2.InterfaceError) or (
                code is None and isinstance(e, psycopg2.OperationalError))
            if lost or (code is not None and code.startswith("57P")):
                outcome = "lost" if code is None else code
                if code is None and not self.expect_loss:
                    msg = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
                    with self.stats.lock:
                        self.stats.lost.append((self.idx, self.render(sql, params), msg))
                self.expect_loss = False
                try:
                    self.conn.close()
                except Exception:
                    pass
                self.connect()
            else:
                outcome = code or "error"
                if code in INTERNAL_ERRORS:
                    with self.stats.lock:
                        self.stats.internal.append(
                            (self.idx, self.render(sql, params), code,
                             (getattr(e, "pgerror", None) or str(e)).strip()))
                if isinstance(e, SystemError):
                    # the connection's state is unknown: start afresh
                    try:
                        self.conn.close()
                    except Exception:
                        pass
                    self.connect()
        self.stats.add(kind, outcome)

    def render(self, sql, params):
        try:
            return self.conn.cursor().mogrify(sql, params).decode("utf-8", "replace")
        except Exception:
            return "%s %% %r" % (sql, params)

    # ------------------------------------------------------------ values
    def chance(self, p):
        return self.rng.random() < p

    def log_name(self):
        return self.rng.choice(LOGS) if self.chance(0.9) else self.rng.choice(BAD_LOGS)

    def group(self):
        return self.rng.choice(GROUPS) if self.chance(0.92) else self.rng.choice(BAD_GROUPS)

    def member(self):
        r = self.rng.random()
        if r < 0.9:
            return self.rng.choice(MEMBERS)
        return self.rng.choice(["", "m" * 300, None, "mémbre"])

    def partition(self, allow_null=True):
        r = self.rng.random()
        if r < 0.85:
            return self.rng.randrange(4)
        return self.rng.choice([-1, 4, 4096, 2 ** 31 - 1, -2 ** 31] + ([None] if allow_null else []))

    def offset(self):
        r = self.rng.random()
        if r < 0.5:
            return 0
        if r < 0.85:
            return self.rng.randrange(60)
        return self.rng.choice([-1, 2 ** 63 - 1, -2 ** 63, 1000000, None])

    def max_records(self):
        return self.rng.choice([1, 2, 10, 1000, 1000, 100000, 2 ** 31 - 1, 0, -1, None]
                               if self.chance(0.2) else [1, 5, 100, 1000])

    def wait_ms(self):
        if self.chance(0.7):
            return 0
        return self.rng.choice([1, 10, 50, 200, -1, None])

    def key(self):
        r = self.rng.random()
        if r < 0.4:
            return None
        if r < 0.9:
            return "k%d" % self.rng.randrange(20)
        return self.rng.choice(["", "ключ ✓", "k" * 65535, "k" * 65536, "a\tb\nc\\d"])

    def value(self):
        r = self.rng.random()
        if r < 0.75:
            return "v%d" % self.rng.randrange(1000000)
        if r < 0.85:
            return ""
        if r < 0.95:
            return "x" * self.rng.choice([100, 5000, 9000, 70000, 300000])
        return None

    def headers(self):
        r = self.rng.random()
        if r < 0.6:
            return None
        if r < 0.9:
            return json.dumps({"h": self.rng.randrange(100), "s": "x" * self.rng.randrange(10)})
        return self.rng.choice(["[]", "1", '"str"', "null", '{"deep": [[[[1]]]]}'])

    # ------------------------------------------------------------ statements
    def pick(self):
        """(kind, sql, params, copy_data)"""
        rng = self.rng
        if self.failed_tx() and self.chance(0.8):
            if self.savepoints and self.chance(0.5):
                sp = rng.choice(self.savepoints)
                del self.savepoints[self.savepoints.index(sp) + 1:]
                return ("rollback_to", "ROLLBACK TO SAVEPOINT " + sp, None, None)
            self.savepoints = []
            return ("rollback", "ROLLBACK", None, None)
        if self.in_tx() and self.chance(0.12):
            r = rng.random()
            self.savepoints = []
            if r < 0.6:
                if self.chance(0.25):
                    # cancel this session's own COMMIT (and its pre-commit write)
                    self.schedule_cancel(self.peers[self.idx], self.rng.random() * 0.03)
                return ("commit", "COMMIT", None, None)
            if r < 0.9:
                return ("rollback", "ROLLBACK", None, None)
            self.prepared += 1
            return ("prepare", "PREPARE TRANSACTION 'fz_%d_%d'" % (self.idx, self.prepared), None, None)
        weights = [
            ("begin", 6), ("savepoint", 4), ("rollback_to", 2), ("release", 1),
            ("create", 6), ("drop", 2), ("roll", 4), ("append", 22), ("append_batch", 8),
            ("read", 14), ("read_group", 6), ("commit_offset", 6), ("committed", 2),
            ("reset_offsets", 3), ("delete_group", 1), ("join", 3), ("heartbeat", 2),
            ("leave", 2), ("views", 4), ("routing", 2), ("last_positions", 2),
            ("compact", 1), ("copy", 3), ("insert_segment", 2), ("select_segment", 2),
            ("timeout", 2), ("precommit_sleep", 1), ("cancel", 1), ("cancel_later", 3), ("terminate", 0.15),
            ("prepared_end", 1), ("wrong_type", 2), ("extension", 0.02), ("verify", 2),
        ]
        total = sum(w for _, w in weights)
        x = rng.random() * total
        for kind, w in weights:
            x -= w
            if x < 0:
                break
        if kind in ("savepoint", "rollback_to", "release") and not self.in_tx() and self.chance(0.9):
            kind = "begin"
        return getattr(self, "gen_" + kind)()

    def gen_begin(self):
        lvl = self.rng.choice(["", " ISOLATION LEVEL READ COMMITTED", " ISOLATION LEVEL REPEATABLE READ",
                               " ISOLATION LEVEL SERIALIZABLE"])
        return ("begin", "BEGIN" + lvl, None, None)

    def gen_savepoint(self):
        sp = "s%d" % self.rng.randrange(4)
        if self.in_tx():
            if sp in self.savepoints:
                self.savepoints.remove(sp)
            self.savepoints.append(sp)
        return ("savepoint", "SAVEPOINT " + sp, None, None)

    def gen_rollback_to(self):
        sp = self.rng.choice(self.savepoints) if self.savepoints else "s0"
        if sp in self.savepoints:
            del self.savepoints[self.savepoints.index(sp) + 1:]
        return ("rollback_to", "ROLLBACK TO SAVEPOINT " + sp, None, None)

    def gen_release(self):
        sp = self.rng.choice(self.savepoints) if self.savepoints else "s0"
        if sp in self.savepoints:
            del self.savepoints[self.savepoints.index(sp):]
        return ("release", "RELEASE SAVEPOINT " + sp, None, None)

    def gen_create(self):
        parts = self.rng.choice([1, 2, 3, 4, 4]) if self.chance(0.9) else \
            self.rng.choice([0, -1, 4097, None, 2 ** 31 - 1])
        return ("create", "SELECT logext.log_create(%s, %s)", (self.log_name(), parts), None)

    def gen_drop(self):
        return ("drop", "SELECT logext.log_drop(%s)", (self.log_name(),), None)

    def gen_roll(self):
        return ("roll", "SELECT logext.log_roll(%s, %s)", (self.log_name(), self.partition()), None)

    def gen_append(self):
        variant = self.rng.choice(["text", "bytea", "jsonb"])
        v = self.value()
        if variant == "bytea" and v is not None:
            v = psycopg2.Binary(v.encode())
        elif variant == "jsonb" and v is not None:
            v = json.dumps({"v": v[:50], "n": self.rng.randrange(100)}) if self.chance(0.9) else "{bad json"
        part = self.partition() if self.chance(0.4) else None
        n = 1 if self.chance(0.8) else self.rng.randrange(2, 30)
        sql = ("SELECT logext.log_append(%%s, %%s::%s, key => %%s, headers => %%s::jsonb, partition => %%s)"
               " FROM generate_series(1, %d)" % (variant, n))
        return ("append", sql, (self.log_name(), v, self.key(), self.headers(), part), None)

    def gen_append_batch(self):
        rng = self.rng
        n = rng.choice([0, 1, 2, 5, 50, 300])
        vals = ["b%d" % rng.randrange(10 ** 6) for _ in range(n)]
        if n and self.chance(0.05):
            vals[rng.randrange(n)] = None
        keys = None
        hdrs = None
        if self.chance(0.5):
            m = n if self.chance(0.9) else max(0, n + rng.choice([-1, 1]))
            keys = [("k%d" % rng.randrange(20)) if self.chance(0.9) else None for _ in range(m)]
        if self.chance(0.3):
            m = n if self.chance(0.9) else max(0, n + rng.choice([-1, 1]))
            hdrs = [json.dumps({"i": i}) for i in range(m)]
        typ = rng.choice(["text", "bytea"])
        if typ == "bytea":
            vals = [psycopg2.Binary(v.encode()) if v is not None else None for v in vals]
        if n >= 2 and self.chance(0.05):
            half = n // 2
            vals = [vals[:half], vals[half:2 * half]]      # two-dimensional
        if self.chance(0.02):
            vals = None
        part = self.partition() if self.chance(0.3) else None
        # psycopg2 sends [] as '{}' and nested lists as ARRAY[ARRAY[...]]
        sql = ("SELECT logext.log_append_batch(%%s, %%s::%s[], keys => %%s::text[], headers => %%s::jsonb[],"
               " partition => %%s)" % typ)
        return ("append_batch", sql, (self.log_name(), vals, keys, hdrs, part), None)

    def gen_read(self):
        sql = ("SELECT count(*), min(log_offset), max(log_offset) FROM logext.log_read(%s, %s, %s, %s, %s)")
        return ("read", sql, (self.log_name(), self.partition(), self.offset(), self.max_records(),
                              self.wait_ms()), None)

    def gen_read_group(self):
        part = self.partition() if self.chance(0.6) else None
        sql = "SELECT count(*) FROM logext.log_read_group(%s, %s, %s, %s, %s)"
        return ("read_group", sql, (self.group(), self.log_name(), part, self.max_records(), self.wait_ms()), None)

    def gen_commit_offset(self):
        if self.chance(0.5):
            # commit what a read returned, like a consumer
            sql = ("SELECT logext.log_commit(%s, %s, r.partition, max(r.log_offset) + 1)"
                   "  FROM logext.log_read(%s, %s, %s, 50) r GROUP BY r.partition")
            log = self.log_name()
            return ("commit_offset", sql, (self.group(), log, log, self.partition(), self.offset()), None)
        return ("commit_offset", "SELECT logext.log_commit(%s, %s, %s, %s)",
                (self.group(), self.log_name(), self.partition(), self.offset()), None)

    def gen_committed(self):
        return ("committed", "SELECT logext.log_committed(%s, %s, %s)",
                (self.group(), self.log_name(), self.partition()), None)

    def gen_reset_offsets(self):
        pos = self.rng.choice(["earliest", "latest", "0", "3", "-1", "99999999999", "bogus", "", None])
        part = self.partition() if self.chance(0.5) else None
        return ("reset_offsets", "SELECT logext.log_reset_offsets(%s, %s, %s, %s)",
                (self.group(), self.log_name(), pos, part), None)

    def gen_delete_group(self):
        return ("delete_group", "SELECT logext.log_delete_group(%s)", (self.group(),), None)

    def gen_join(self):
        t = self.rng.choice([10000, 10000, 500, 100, 3600000, 0, -1, None])
        return ("join", "SELECT logext.log_join(%s, %s, %s)", (self.group(), self.member(), t), None)

    def gen_heartbeat(self):
        return ("heartbeat", "SELECT logext.log_heartbeat(%s, %s)", (self.group(), self.member()), None)

    def gen_leave(self):
        return ("leave", "SELECT logext.log_leave(%s, %s)", (self.group(), self.member()), None)

    def gen_views(self):
        v = self.rng.choice(["logext.partitions", "logext.log_segments", "logext.waiters",
                             "logext.consumer_groups", "logext.group_members", "logext.log_group_offsets()",
                             "logext.logs", "logext.segments"])
        return ("views", "SELECT count(*) FROM " + v, None, None)

    def gen_routing(self):
        if self.chance(0.5):
            return ("routing", "SELECT logext.log_partition_for(%s, %s)", (self.log_name(), self.key()), None)
        v = self.value()
        return ("routing", "SELECT logext.murmur2(%s)", (psycopg2.Binary(v.encode()) if v is not None else None,), None)

    def gen_last_positions(self):
        return ("last_positions", "SELECT count(*) FROM logext.log_last_positions()", None, None)

    def gen_compact(self):
        return ("compact", "SELECT logext.log_compact_offsets(%s)", (self.rng.choice([True, False, None]),), None)

    def current_segment(self):
        try:
            cur = self.conn.cursor()
            if self.failed_tx():
                return None
            cur.execute("SELECT relid::text FROM logext.log_segments WHERE log_name = %s ORDER BY random() LIMIT 1",
                        (self.rng.choice(LOGS),))
            row = cur.fetchone()
            self.stats.add("lookup", "ok")
            return row[0] if row else None
        except psycopg2.Error as e:
            self.stats.add("lookup", e.pgcode or "error")
            if self.conn.closed:
                self.connect()
            return None

    def gen_copy(self):
        seg = self.current_segment() or "logext.seg_1_0_0"
        rows = []
        for _ in range(self.rng.choice([0, 1, 10, 200])):
            k = self.key()
            k = "\\N" if k is None else k.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            v = "\\\\x" + os.urandom(self.rng.randrange(0, 40)).hex()
            h = self.headers()
            h = "\\N" if h is None else h
            rows.append("%s\t%s\t%s\n" % (k, v, h))
        if rows and self.chance(0.1):
            rows[self.rng.randrange(len(rows))] = self.rng.choice(["only one column\n", "a\t\\\\xzz\t{}\n",
                                                                    "a\t\\N\t{}\n", "a\t\\\\x00\tnot json\n"])
        cols = "(key, value, headers)" if self.chance(0.9) else "(partition, log_offset, value)"
        return ("copy", "COPY %s %s FROM STDIN" % (seg, cols), None, "".join(rows))

    def gen_insert_segment(self):
        seg = self.current_segment() or "logext.seg_1_0_0"
        if self.chance(0.85):
            sql = ("INSERT INTO %s (key, value, headers) SELECT 'i' || g, convert_to('v' || g, 'UTF8'), NULL"
                   " FROM generate_series(1, %d) g" % (seg, self.rng.randrange(1, 20)))
        else:
            sql = self.rng.choice([
                "INSERT INTO %s (key, value) VALUES ('k', NULL)" % seg,
                "INSERT INTO %s (partition, log_offset, value) VALUES (0, 0, '\\x00')" % seg,
                "INSERT INTO %s (value) VALUES ('\\x01') RETURNING *" % seg,
                "UPDATE %s SET key = 'x'" % seg,
                "DELETE FROM %s" % seg,
                "TRUNCATE %s" % seg,
            ])
        return ("insert_segment", sql, None, None)

    def gen_select_segment(self):
        seg = self.current_segment() or "logext.seg_1_0_0"
        sql = self.rng.choice([
            "SELECT count(*), min(log_offset), max(log_offset) FROM %s" % seg,
            "SELECT * FROM %s ORDER BY log_offset DESC LIMIT 3" % seg,
            "SELECT count(*) FROM %s WHERE key = 'k1'" % seg,
            "SELECT count(*) FROM %s TABLESAMPLE SYSTEM (50)" % seg,
        ])
        return ("select_segment", sql, None, None)

    def gen_timeout(self):
        t = self.rng.choice(["2ms", "20ms", "200ms"]) if self.chance(0.25) else "5s"
        return ("timeout", "SET statement_timeout = '%s'" % t, None, None)

    def gen_precommit_sleep(self):
        ms = self.rng.choice([0, 0, 1, 5, 20, 50])
        return ("precommit_sleep", "SET logext.debug_precommit_sleep_ms = %d" % ms, None, None)

    def other_pid(self):
        others = [p for i, p in self.peers.items() if i != self.idx]
        return self.rng.choice(others) if others else 0

    def gen_cancel(self):
        with self.stats.lock:
            self.stats.cancels += 1
        return ("cancel", "SELECT pg_cancel_backend(%s)", (self.other_pid(),), None)

    def gen_cancel_later(self):
        """cancel a session (this one or another) 0-30 ms from now, from a
        helper connection, so that the cancel lands inside a statement or a
        COMMIT rather than between them"""
        target = self.rng.choice(list(self.peers.values()))
        delay = self.rng.random() * 0.03
        self.schedule_cancel(target, delay)
        return ("cancel_later", "SELECT 'cancel in %d ms'" % int(delay * 1000), None, None)

    def schedule_cancel(self, target, delay):
        with self.stats.lock:
            self.stats.cancels += 1

        def fire():
            try:
                if self.helper is None or self.helper.closed:
                    self.helper = psycopg2.connect(self.args.dsn, application_name="fuzz_helper%d" % self.idx)
                    self.helper.autocommit = True
                self.helper.cursor().execute("SELECT pg_cancel_backend(%s)", (target,))
            except psycopg2.Error:
                pass

        t = threading.Timer(delay, fire)
        t.daemon = True
        t.start()
        self.timers = [x for x in self.timers if x.is_alive()] + [t]

    def gen_terminate(self):
        with self.stats.lock:
            self.stats.terminated += 1
        # the other session expects to lose its connection
        for s in self.args.sessions_list:
            if s is not self:
                s.expect_loss = True
        return ("terminate", "SELECT pg_terminate_backend(%s)", (self.other_pid(),), None)

    def gen_prepared_end(self):
        if self.in_tx():
            return ("prepared_end", "SELECT count(*) FROM pg_prepared_xacts", None, None)
        return ("prepared_end", self.finish_prepared_sql(self.rng.choice(["COMMIT", "ROLLBACK"])), None, None)

    def finish_prepared_sql(self, verb):
        # run from psycopg2 in autocommit: fetch a gid first
        try:
            cur = self.conn.cursor()
            cur.execute("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'fz\\_%' ORDER BY random() LIMIT 1")
            row = cur.fetchone()
        except psycopg2.Error:
            if self.conn.closed:
                self.connect()
            row = None
        if row is None:
            return "SELECT 0"
        return "%s PREPARED '%s'" % (verb, row[0])

    def gen_wrong_type(self):
        sql = self.rng.choice([
            "SELECT logext.log_append(%s, 1)",
            "SELECT logext.log_append(%s, 'v'::text, partition => 'zero')",
            "SELECT logext.log_append(%s, 'v'::text, headers => '{')",
            "SELECT logext.log_append_batch(%s, ARRAY[1, 2])",
            "SELECT logext.log_append_batch(%s, '{{a}}'::text[])",
            "SELECT logext.log_append_batch(%s, '[5:6]={a,b}'::text[], keys => '[0:1]={k,l}'::text[])",
            "SELECT * FROM logext.log_read(%s, 0, 'x')",
            "SELECT logext.log_create(%s, 1.5)",
            "SELECT logext.log_roll(%s)",
            "SELECT logext._log_drop_segments(-1, %s)",
            "SELECT logext._segment_create(-5, 0, %s)",
        ])
        return ("wrong_type", sql, (self.log_name(),), None)

    def gen_verify(self):
        # a whole partition, read in this session (in its transaction, if
        # any): offsets strictly increasing
        sql = ("SELECT count(*) FILTER (WHERE prev IS NOT NULL AND o <= prev), count(*)"
               "  FROM (SELECT r.log_offset AS o, lag(r.log_offset) OVER (ORDER BY r.n) AS prev"
               "          FROM logext.log_read(%s, %s, 0, 1000000)"
               "               WITH ORDINALITY AS r(partition, log_offset, appended_at, key, value, headers, n)) x")
        return ("verify", sql, (self.rng.choice(LOGS), self.rng.randrange(4)), None)

    def gen_extension(self):
        if self.in_tx():
            return ("extension", "SELECT 1", None, None)
        return ("extension", "DROP EXTENSION logext CASCADE; CREATE EXTENSION logext", None, None)


def check_invariants(dsn, out):
    """log_read of every partition: strictly increasing offsets within
    [first_offset, next_offset); committed offsets not beyond the end"""
    problems = []
    conn = psycopg2.connect(dsn, application_name="fuzz_check")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET statement_timeout = 0")
    cur.execute("SELECT log_name, partition, first_offset, next_offset, record_count FROM logext.partitions"
                " ORDER BY 1, 2")
    parts = cur.fetchall()
    nrec = 0
    for log, p, first, nxt, count in parts:
        prev = None
        frm = first
        n = 0
        while True:
            cur.execute("SELECT log_offset FROM logext.log_read(%s, %s, %s, 10000)", (log, p, frm))
            offs = [r[0] for r in cur.fetchall()]
            if not offs:
                break
            for o in offs:
                if prev is not None and o <= prev:
                    problems.append("%s/%d: offset %d after %d" % (log, p, o, prev))
                if o < first:
                    problems.append("%s/%d: offset %d below first offset %d" % (log, p, o, first))
                if o >= nxt:
                    problems.append("%s/%d: offset %d not below next_offset %d" % (log, p, o, nxt))
                prev = o
            n += len(offs)
            frm = offs[-1] + 1
            if len(problems) > 20:
                break
        nrec += n
    cur.execute("SELECT \"group\", log_name, partition, committed_offset, log_end_offset"
                "  FROM logext.consumer_groups WHERE committed_offset > log_end_offset")
    for row in cur.fetchall():
        problems.append("group %s on %s/%d: committed offset %d beyond the end %d" % row)
    conn.close()
    out.write("fuzz.py: invariants: %d partitions, %d records read back, %d problems\n"
              % (len(parts), nrec, len(problems)))
    return problems


def prepare(dsn):
    conn = psycopg2.connect(dsn, application_name="fuzz_setup")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("CREATE EXTENSION IF NOT EXISTS logext")
    cur.execute("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'fz\\_%'")
    for (gid,) in cur.fetchall():
        cur.execute("ROLLBACK PREPARED '%s'" % gid)
    cur.execute("SELECT logext.log_drop(log_name) FROM logext.logs WHERE log_name LIKE 'fz.%'")
    for g in GROUPS:
        cur.execute("SELECT logext.log_delete_group(%s)", (g,))
    for i, log in enumerate(LOGS):
        cur.execute("SELECT logext.log_create(%s, %s)", (log, i + 1))
        cur.execute("SELECT logext.log_append(%s, 'seed'::text, partition => p) FROM generate_series(0, %s) p",
                    (log, i))
    conn.close()


def cleanup_prepared(dsn):
    conn = psycopg2.connect(dsn, application_name="fuzz_cleanup")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'fz\\_%'")
    gids = [g for (g,) in cur.fetchall()]
    for gid in gids:
        cur.execute("ROLLBACK PREPARED '%s'" % gid)
    conn.close()
    return len(gids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True, help="libpq connection string (superuser)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--statements", type=int, default=4000, help="statements over all sessions")
    ap.add_argument("--sessions", type=int, default=2)
    ap.add_argument("--log", help="server log to check for crashes")
    ap.add_argument("--force-parallel", action="store_true",
                    help="run every session with force_parallel_mode = on")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    out = sys.stdout

    log_start = os.path.getsize(args.log) if args.log else 0
    t0 = time.time()
    prepare(args.dsn)
    stats = Stats()
    peers = {}
    per = args.statements // args.sessions
    sessions = []
    args.sessions_list = sessions
    for i in range(args.sessions):
        sessions.append(Session(i, args, stats, per + (1 if i < args.statements % args.sessions else 0),
                                peers))
    for s in sessions:
        s.start()
    for s in sessions:
        s.join()
    elapsed = time.time() - t0
    leftover = cleanup_prepared(args.dsn)

    out.write("fuzz.py: seed %d, %d sessions, %d statements in %.1f s (%d cancels, %d terminates sent;"
              " %d prepared transactions rolled back at the end)\n"
              % (args.seed, args.sessions, stats.statements, elapsed, stats.cancels, stats.terminated, leftover))
    if not args.quiet:
        for kind in sorted(stats.outcomes):
            c = stats.outcomes[kind]
            out.write("  %-16s %s\n" % (kind, ", ".join("%s %d" % (k, v) for k, v in c.most_common())))
    bad = False
    if stats.internal:
        bad = True
        out.write("fuzz.py: %d internal errors:\n" % len(stats.internal))
        for idx, sql, code, msg in stats.internal[:30]:
            out.write("  session %d: %s: %s\n    %s\n" % (idx, code, msg.replace("\n", " | "), sql))
    if stats.lost:
        bad = True
        out.write("fuzz.py: %d connections lost unexpectedly:\n" % len(stats.lost))
        for idx, sql, msg in stats.lost[:30]:
            out.write("  session %d: %s\n    %s\n" % (idx, msg, sql))
    problems = stats.problems + check_invariants(args.dsn, out)
    if problems:
        bad = True
        for p in problems[:30]:
            out.write("  invariant: %s\n" % p)
    if args.log:
        with open(args.log, "rb") as f:
            f.seek(log_start)
            text = f.read().decode("utf-8", "replace")
        crashes = [l for l in text.splitlines() if CRASH_RE.search(l)]
        if crashes:
            bad = True
            out.write("fuzz.py: crashes in the server log:\n")
            for l in crashes[:30]:
                out.write("  %s\n" % l)
        else:
            out.write("fuzz.py: no crash in the server log\n")
    out.write("fuzz.py: %s\n" % ("FAILED" if bad else "OK"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
