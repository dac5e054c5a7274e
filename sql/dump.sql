--
-- dump: logext.dump, the table pg_dump reads every log from and pg_restore
-- writes every log back through.  A scan gives, per log, a "log" row, per
-- partition its "segment" rows, the "record" rows the snapshot sees and an
-- "end" row, then the consumer groups' "offset" rows; inserting those rows
-- in that order, in one transaction, recreates it all.
--
SET client_min_messages = warning;
SELECT logext.log_create('dm.a', 2);
SELECT logext.log_append('dm.a', 'v' || g, key => 'k' || g,
                         headers => jsonb_build_object('n', g), partition => g % 2)
  FROM generate_series(1, 6) g;
SELECT logext.log_roll('dm.a', 1);
SELECT logext.log_append('dm.a', '\x00ff'::bytea, partition => 1);
SELECT logext.log_commit('dm.g', 'dm.a', 1, 2);

-- what a dump holds (timestamps aside)
SELECT item, log_name, partition, log_offset, key, value, headers, "group", settings,
       appended_at IS NOT NULL AS has_time
  FROM logext.dump WHERE log_name LIKE 'dm.%';

-- a round trip through a table: save, drop the log, insert the rows back
CREATE TEMP TABLE saved AS
  SELECT row_number() OVER () AS n, * FROM logext.dump WHERE log_name = 'dm.a';
CREATE TEMP TABLE before AS
  SELECT p, r.* FROM generate_series(0, 1) p, LATERAL logext.log_read('dm.a', p, 0) r;
SELECT logext.log_drop('dm.a');
INSERT INTO logext.dump
  SELECT item, log_name, partition, log_offset, appended_at, key, value, headers, "group", settings
    FROM saved ORDER BY n;
SELECT count(*) AS differences FROM (
  (SELECT p, r.* FROM generate_series(0, 1) p, LATERAL logext.log_read('dm.a', p, 0) r
   EXCEPT SELECT * FROM before)
  UNION ALL
  (SELECT * FROM before
   EXCEPT SELECT p, r.* FROM generate_series(0, 1) p, LATERAL logext.log_read('dm.a', p, 0) r)) d;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'dm.a' ORDER BY 1, 2;
SELECT "group", partition, committed_offset FROM logext.consumer_groups WHERE log_name = 'dm.a';
SELECT logext.log_append('dm.a', 'next'::text, partition => 1);
SELECT log_offset, value FROM logext.log_read('dm.a', 1, 3);
SELECT count(*) AS problems FROM logext.log_verify('dm.a');

-- holes: offsets the rows skip stay taken, and the log goes on after "end"
INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value, settings) VALUES
  ('log', 'dm.h', NULL, NULL, '2026-01-01 00:00:00+00', NULL, '{"partitions": 1}'),
  ('segment', 'dm.h', 0, 10, '2026-01-01 00:00:00+00', NULL, NULL),
  ('record', 'dm.h', 0, 10, '2026-01-01 00:00:01+00', 'ten', NULL),
  ('record', 'dm.h', 0, 13, '2026-01-01 00:00:02+00', 'thirteen', NULL),
  ('segment', 'dm.h', 0, 15, '2026-01-01 00:00:03+00', NULL, NULL),
  ('record', 'dm.h', 0, 16, '2026-01-01 00:00:04+00', 'sixteen', NULL),
  ('end', 'dm.h', 0, 20, NULL, NULL, NULL);
SELECT log_offset, appended_at, convert_from(value, 'UTF8') FROM logext.log_read('dm.h', 0, 10);
SELECT first_offset, next_offset FROM logext.partitions WHERE log_name = 'dm.h';
SELECT base_offset, created_at FROM logext.log_segments WHERE log_name = 'dm.h' ORDER BY 1;
SELECT created_at FROM logext.logs WHERE log_name = 'dm.h';
SELECT logext.log_append('dm.h', 'twenty'::text);
SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('dm.h', 0, 14);
SELECT count(*) AS problems FROM logext.log_verify('dm.h');

-- the rows of an aborted subtransaction read as holes; the restore of that
-- log stops there
BEGIN;
INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value, settings) VALUES
  ('log', 'dm.s', NULL, NULL, NULL, NULL, '{"partitions": 1}'),
  ('segment', 'dm.s', 0, 0, NULL, NULL, NULL),
  ('record', 'dm.s', 0, 0, now(), 'kept', NULL);
SAVEPOINT s;
INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value) VALUES
  ('record', 'dm.s', 0, 1, now(), 'rolled back');
ROLLBACK TO s;
INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value) VALUES
  ('record', 'dm.s', 0, 2, now(), 'too late');
ROLLBACK TO s;
COMMIT;
SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('dm.s', 0, 0);
SELECT logext.log_append('dm.s', 'appended'::text);
SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('dm.s', 0, 0);

-- a restore cannot be prepared
BEGIN;
INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.p', '{"partitions": 1}');
PREPARE TRANSACTION 'dm';
SELECT count(*) FROM logext.logs WHERE log_name = 'dm.p';

-- bad rows: each is refused with 22023 and says why; nothing is left behind
CREATE FUNCTION pg_temp.try_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RETURN SQLSTATE || ': ' || msg;
END
$$;
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name) VALUES (NULL, 'dm.x')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name) VALUES ('table', 'dm.x')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset) VALUES ('segment', 'dm.x', 0, 0)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name) VALUES ('log', 'dm.x')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.x', '{"partitions": "two"}')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.x', '{"partitions": 0}')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.a', '{"partitions": 1}')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', '__dm', '{"partitions": 1}')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, settings) VALUES
  ('log', 'dm.x', NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 1, 0, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, settings) VALUES
  ('log', 'dm.x', NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 0, -1, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, settings) VALUES
  ('log', 'dm.x', NULL, NULL, '{"partitions": 1}'), ('record', 'dm.x', 0, 0, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value, settings) VALUES
  ('log', 'dm.x', NULL, NULL, NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 0, 0, NULL, NULL, NULL),
  ('record', 'dm.x', 0, 0, NULL, 'no time', NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value, settings) VALUES
  ('log', 'dm.x', NULL, NULL, NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 0, 0, NULL, NULL, NULL),
  ('record', 'dm.x', 0, 5, now(), 'five', NULL), ('record', 'dm.x', 0, 4, now(), 'four', NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, value, settings) VALUES
  ('log', 'dm.x', NULL, NULL, NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 0, 0, NULL, NULL, NULL),
  ('record', 'dm.x', 0, 5, now(), 'five', NULL), ('segment', 'dm.x', 0, 3, NULL, NULL, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, appended_at, key, value, settings) VALUES
  ('log', 'dm.x', NULL, NULL, NULL, NULL, NULL, '{"partitions": 1}'), ('segment', 'dm.x', 0, 0, NULL, NULL, NULL, NULL),
  ('record', 'dm.x', 0, 0, now(), repeat('k', 100000), 'v', NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, settings) VALUES
  ('log', 'dm.x', NULL, NULL, '{"partitions": 2}'), ('segment', 'dm.x', 1, 0, NULL), ('segment', 'dm.x', 0, 0, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, "group") VALUES ('offset', 'dm.nolog', 0, 1, 'g')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, "group") VALUES ('offset', 'dm.a', 7, 1, 'g')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, "group") VALUES ('offset', 'dm.a', 0, -1, 'g')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, "group") VALUES ('offset', 'dm.a', 0, 1, NULL)$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset, "group") VALUES ('offset', 'dm.a', 0, 1, '')$$);
-- rows of one log in separate transactions
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.y', '{"partitions": 1}')$$);
SELECT pg_temp.try_rows($$INSERT INTO logext.dump (item, log_name, partition, log_offset) VALUES ('segment', 'dm.y', 0, 0)$$);
SELECT log_name FROM logext.logs WHERE log_name LIKE 'dm.%' ORDER BY 1;
SELECT logext.log_drop('dm.y');

-- logext.dump takes nothing but inserts and scans
UPDATE logext.dump SET key = 'x';
DELETE FROM logext.dump;
TRUNCATE logext.dump;
CREATE TABLE dm_other (a int) USING log_dump;
ALTER TABLE logext.dump ADD COLUMN extra int;
SELECT count(*) FROM logext.dump;
INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.z', '{"partitions": 1}');
ALTER TABLE logext.dump DROP COLUMN extra;
SELECT count(*) > 0 AS readable_again FROM logext.dump;
-- no parallel scan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT count(*) > 0 AS serial_scan FROM logext.dump;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- only a superuser (or a role granted them) may read or write it
CREATE ROLE regress_logext_dumper;
GRANT CREATE ON SCHEMA logext_logs TO regress_logext_dumper;
SET ROLE regress_logext_dumper;
SELECT count(*) FROM logext.dump;
INSERT INTO logext.dump (item, log_name, settings) VALUES ('log', 'dm.z', '{"partitions": 1}');
RESET ROLE;
REVOKE CREATE ON SCHEMA logext_logs FROM regress_logext_dumper;
DROP ROLE regress_logext_dumper;

SELECT logext.log_drop('dm.a');
SELECT logext.log_drop('dm.h');
SELECT logext.log_drop('dm.s');
SELECT count(*) AS rows_left FROM logext.dump WHERE log_name LIKE 'dm.%';
