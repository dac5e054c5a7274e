--
-- transactions: offsets are assigned at commit, dense per partition, and
-- only committed records are ever readable.
--   * appends are invisible until commit, even to the appending transaction
--   * ROLLBACK, an error, ROLLBACK TO SAVEPOINT and a failing plpgsql block
--     leave nothing, and do not use up offsets
--   * RELEASE SAVEPOINT keeps the records (also against a later rollback of
--     an outer savepoint)
--   * PREPARE TRANSACTION with pending appends is refused
--   * a transaction that appended commits synchronously even with
--     synchronous_commit = off
--
\set VERBOSITY terse

CREATE FUNCTION pg_temp.contents(l text, p int) RETURNS text
LANGUAGE sql AS $f$
    SELECT coalesce(string_agg(r.log_offset || ':' || convert_from(r.value, 'UTF8'), ' '
                               ORDER BY r.log_offset), '(empty)')
      FROM logext.log_read(l, p, 0, 100000) r
$f$;

SELECT logext.log_create('tx.a', 2);

-- invisible to the own transaction before commit
BEGIN;
SELECT logext.log_append('tx.a', 'a1'::text, partition => 0);
SELECT logext.log_append('tx.a', 'a2'::text, partition => 0);
SELECT logext.log_append_batch('tx.a', ARRAY['a3', 'a4']::text[], partition => 0);
SELECT pg_temp.contents('tx.a', 0);
SELECT next_offset, record_count FROM logext.partitions WHERE log_name = 'tx.a' AND partition = 0;
COMMIT;
SELECT pg_temp.contents('tx.a', 0);
SELECT * FROM logext.log_last_positions();

-- ROLLBACK leaves nothing; log_last_positions() still shows the last commit
BEGIN;
SELECT logext.log_append('tx.a', 'rolled back'::text, partition => 0);
ROLLBACK;
SELECT pg_temp.contents('tx.a', 0);
SELECT * FROM logext.log_last_positions();
-- ... and the next commit takes the next dense offset
SELECT logext.log_append('tx.a', 'a5'::text, partition => 0);
SELECT * FROM logext.log_last_positions();

-- an error aborts the transaction and its appends
\set VERBOSITY sqlstate
BEGIN;
SELECT logext.log_append('tx.a', 'error 1'::text, partition => 0);
SELECT 1 / 0;
COMMIT;
\set VERBOSITY terse
-- an error in the statement that appends
SELECT logext.log_append('tx.a', 'error 2' || g, partition => 0) / (3 - g) FROM generate_series(1, 3) g;
SELECT pg_temp.contents('tx.a', 0);

-- savepoints
BEGIN;
SELECT logext.log_append('tx.a', 'b1'::text, partition => 0);
SAVEPOINT s1;
SELECT logext.log_append('tx.a', 'gone 1'::text, partition => 0);
SELECT logext.log_append('tx.a', 'gone 2'::text, partition => 1);
ROLLBACK TO SAVEPOINT s1;
SELECT logext.log_append('tx.a', 'b2'::text, partition => 0);
SAVEPOINT s2;
SELECT logext.log_append('tx.a', 'b3'::text, partition => 0);
RELEASE SAVEPOINT s2;
SAVEPOINT s3;
SELECT logext.log_append('tx.a', 'gone 3'::text, partition => 0);
SAVEPOINT s4;
SELECT logext.log_append('tx.a', 'gone 4'::text, partition => 0);
RELEASE SAVEPOINT s4;          -- released into s3 ...
ROLLBACK TO SAVEPOINT s3;      -- ... so this drops it too
SAVEPOINT s5;
SELECT logext.log_append('tx.a', 'gone 5'::text, partition => 0);
ROLLBACK TO SAVEPOINT s5;
ROLLBACK TO SAVEPOINT s5;      -- twice: still nothing
SELECT logext.log_append('tx.a', 'b4'::text, partition => 0);
COMMIT;
SELECT pg_temp.contents('tx.a', 0);
SELECT pg_temp.contents('tx.a', 1);
SELECT * FROM logext.log_last_positions();

-- a savepoint rollback that removes everything: the commit appends nothing
BEGIN;
SAVEPOINT s;
SELECT logext.log_append('tx.a', 'gone 6'::text, partition => 1);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT pg_temp.contents('tx.a', 1);
SELECT log_name, partition, next_offset FROM logext.partitions WHERE log_name = 'tx.a' ORDER BY partition;

-- a subtransaction of plpgsql that fails drops its appends; one that
-- succeeds keeps them
DO $$
BEGIN
    PERFORM logext.log_append('tx.a', 'c1'::text, partition => 1);
    BEGIN
        PERFORM logext.log_append('tx.a', 'gone 7'::text, partition => 1);
        PERFORM logext.log_append_batch('tx.a', ARRAY['gone 8', 'gone 9']::text[], partition => 1);
        RAISE EXCEPTION 'fail';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    BEGIN
        PERFORM logext.log_append('tx.a', 'c2'::text, partition => 1);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    PERFORM logext.log_append('tx.a', 'c3'::text, partition => 1);
END
$$;
SELECT pg_temp.contents('tx.a', 1);

-- appends in both partitions, some rolled back, in many transactions:
-- offsets stay dense
SELECT format('DO $d$BEGIN PERFORM logext.log_append(%L, %L::text, partition => %s); %s END$d$',
              'tx.a', 'd' || g, g % 2, CASE WHEN g % 3 = 0 THEN 'RAISE SQLSTATE ''P0001'';' ELSE '' END)
  FROM generate_series(1, 30) g \gexec
SELECT r.partition, count(*) AS records,
       min(r.log_offset) AS min_offset, max(r.log_offset) AS max_offset,
       count(*) = max(r.log_offset) + 1 AS dense,
       count(*) FILTER (WHERE convert_from(r.value, 'UTF8') LIKE 'gone%') AS rolled_back_visible,
       count(*) FILTER (WHERE convert_from(r.value, 'UTF8') ~ '^d([0-9]+)$'
                          AND substr(convert_from(r.value, 'UTF8'), 2)::int % 3 = 0) AS aborted_visible
  FROM generate_series(0, 1) p, LATERAL logext.log_read('tx.a', p, 0, 100000) r
 GROUP BY r.partition ORDER BY r.partition;
SELECT string_agg(convert_from(r.value, 'UTF8'), ' ' ORDER BY r.log_offset) AS d_records_p0
  FROM logext.log_read('tx.a', 0, 0, 100000) r WHERE convert_from(r.value, 'UTF8') LIKE 'd%';
SELECT string_agg(convert_from(r.value, 'UTF8'), ' ' ORDER BY r.log_offset) AS d_records_p1
  FROM logext.log_read('tx.a', 1, 0, 100000) r WHERE convert_from(r.value, 'UTF8') LIKE 'd%';
SELECT log_name, partition, first_offset, next_offset, last_stable_offset, record_count
  FROM logext.partitions WHERE log_name = 'tx.a' ORDER BY partition;

-- PREPARE TRANSACTION is refused while appends are pending, and the
-- transaction is rolled back
\set VERBOSITY sqlstate
BEGIN;
SELECT logext.log_append('tx.a', 'prepared'::text, partition => 0);
PREPARE TRANSACTION 'tx_a_prepared';
\set VERBOSITY terse
SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'tx_a_prepared';
SELECT pg_temp.contents('tx.a', 0);
SELECT log_name, partition, next_offset FROM logext.partitions WHERE log_name = 'tx.a' ORDER BY partition;

-- a transaction that appended is flushed at commit even with
-- synchronous_commit = off (the WAL flush position passes the position
-- the WAL had reached before the commit)
SET synchronous_commit = off;
BEGIN;
SELECT logext.log_append('tx.a', 'sync'::text, partition => 1);
SELECT pg_current_wal_insert_lsn() AS before_commit \gset
COMMIT;
SELECT pg_current_wal_flush_lsn() > :'before_commit'::pg_lsn AS flushed_at_commit;
RESET synchronous_commit;
SELECT * FROM logext.log_last_positions();

-- a transaction in a partition-crossing order: each partition gets its own
-- dense range, in append order
BEGIN;
SELECT logext.log_append('tx.a', 'e1'::text, partition => 1);
SELECT logext.log_append('tx.a', 'e2'::text, partition => 0);
SAVEPOINT s;
SELECT logext.log_append('tx.a', 'gone 10'::text, partition => 1);
ROLLBACK TO s;
SELECT logext.log_append('tx.a', 'e3'::text, partition => 1);
COMMIT;
SELECT * FROM logext.log_last_positions() ORDER BY partition;
SELECT pg_temp.contents('tx.a', 0);
SELECT pg_temp.contents('tx.a', 1);

-- REPEATABLE READ: a reader inside a snapshot does not see later commits
-- (checked across sessions by the isolation tests); in one session the
-- snapshot still sees the committed records from before
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM logext.log_read('tx.a', 0, 0, 100000);
SELECT logext.log_append('tx.a', 'rr'::text, partition => 0);
SELECT count(*) FROM logext.log_read('tx.a', 0, 0, 100000);
COMMIT;
SELECT count(*) FROM logext.log_read('tx.a', 0, 0, 100000);

-- dropping a log that the own transaction appended to: the commit fails,
-- and the whole transaction (the drop too) rolls back
BEGIN;
SELECT logext.log_append('tx.a', 'dropped with the log'::text, partition => 0);
SELECT logext.log_drop('tx.a');
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY terse
SELECT count(*) FROM logext.logs WHERE log_name = 'tx.a';
SELECT count(*) FROM logext.partitions WHERE log_name = 'tx.a';

SELECT pg_temp.contents('tx.a', 0) LIKE '%dropped with the log%' AS appended_record_visible;

-- clean up
SELECT logext.log_drop('tx.a');
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
