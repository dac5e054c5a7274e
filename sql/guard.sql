--
-- guard: a segment relation can only be read (and vacuumed).  DML and DDL
-- on it fail with feature_not_supported (0A000) or another error, always
-- with a hint, and leave the records untouched.  Ordinary tables are not
-- affected by the guard.
--
\set VERBOSITY terse

-- result: the SQLSTATE, and whether the error carried a hint.  A statement
-- that succeeds is rolled back (so one statement the guard lets through
-- cannot spoil the ones after it) and reported as 'ok'.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
    st   text;
    hint text;
BEGIN
    EXECUTE stmt;
    RAISE EXCEPTION USING ERRCODE = 'LXOK0';
EXCEPTION
    WHEN SQLSTATE 'LXOK0' THEN
        RETURN 'ok';
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
        RETURN st || CASE WHEN coalesce(hint, '') <> '' THEN ' (with hint)' ELSE ' (no hint)' END;
END
$f$;

CREATE FUNCTION pg_temp.contents(l text, p int) RETURNS text
LANGUAGE sql AS $f$
    SELECT coalesce(string_agg(r.log_offset || ':' || coalesce(r.key, '-') || ':' ||
                               convert_from(r.value, 'UTF8'), ' ' ORDER BY r.log_offset), '(empty)')
      FROM logext.log_read(l, p, 0, 100000) r
$f$;

SELECT logext.log_create('guard.g', 2);
SELECT logext.log_append('guard.g', 'r0'::text, key => 'k0', partition => 0);
SELECT logext.log_append('guard.g', 'r1'::text, key => 'k1', partition => 0);
SELECT logext.log_append('guard.g', 'r2'::text, partition => 0);
SELECT relid AS seg FROM logext.log_segments WHERE log_name = 'guard.g' AND partition = 0 \gset
SELECT relid AS seg_empty FROM logext.log_segments WHERE log_name = 'guard.g' AND partition = 1 \gset
SELECT pg_temp.contents('guard.g', 0);

-- a table to reference from the statements below
CREATE TABLE other (partition int4, log_offset int8, appended_at timestamptz,
                    key text, value bytea, headers jsonb);
INSERT INTO other VALUES (0, 99, now(), 'x', '\x00', NULL);

SET client_min_messages = warning;
SELECT t.i, t.descr, pg_temp.try(replace(replace(t.stmt, 'SEG_EMPTY', :'seg_empty'), 'SEG', :'seg')) AS result
  FROM (VALUES
    -- DML
    (1,  'INSERT',                   $$INSERT INTO SEG VALUES (0, 3, now(), 'k', '\x01', NULL)$$),
    (2,  'INSERT ... SELECT',        $$INSERT INTO SEG SELECT * FROM other$$),
    (3,  'INSERT into empty segment',$$INSERT INTO SEG_EMPTY VALUES (1, 0, now(), 'k', '\x01', NULL)$$),
    (4,  'INSERT ... RETURNING',     $$INSERT INTO SEG VALUES (0, 3, now(), 'k', '\x01', NULL) RETURNING ctid$$),
    (5,  'UPDATE',                   $$UPDATE SEG SET key = 'changed'$$),
    (6,  'UPDATE one row',           $$UPDATE SEG SET value = '\x00' WHERE log_offset = 1$$),
    (7,  'UPDATE empty segment',     $$UPDATE SEG_EMPTY SET key = 'changed'$$),
    (8,  'UPDATE ... FROM',          $$UPDATE SEG s SET key = o.key FROM other o WHERE o.partition = s.partition$$),
    (9,  'DELETE',                   $$DELETE FROM SEG$$),
    (10, 'DELETE one row',           $$DELETE FROM SEG WHERE log_offset = 0$$),
    (11, 'DELETE empty segment',     $$DELETE FROM SEG_EMPTY$$),
    (12, 'MERGE',                    $$MERGE INTO SEG s USING other o ON s.log_offset = o.log_offset
                                       WHEN NOT MATCHED THEN INSERT VALUES (o.partition, o.log_offset, o.appended_at, o.key, o.value, o.headers)$$),
    (13, 'SELECT FOR UPDATE',        $$SELECT * FROM SEG FOR UPDATE$$),
    (14, 'SELECT FOR SHARE',         $$SELECT * FROM SEG FOR SHARE$$),
    (15, 'TRUNCATE',                 $$TRUNCATE SEG$$),
    (16, 'TRUNCATE empty segment',   $$TRUNCATE SEG_EMPTY$$),
    (17, 'TRUNCATE via another table',$$TRUNCATE other, SEG$$),
    -- DDL
    (20, 'CREATE INDEX',             $$CREATE INDEX ON SEG (log_offset)$$),
    (21, 'CREATE INDEX empty',       $$CREATE INDEX ON SEG_EMPTY (log_offset)$$),
    (22, 'CREATE UNIQUE INDEX',      $$CREATE UNIQUE INDEX ON SEG (log_offset)$$),
    (23, 'ALTER TABLE ADD COLUMN',   $$ALTER TABLE SEG ADD COLUMN extra int$$),
    (24, 'ALTER TABLE DROP COLUMN',  $$ALTER TABLE SEG DROP COLUMN headers$$),
    (25, 'ALTER TABLE ALTER TYPE',   $$ALTER TABLE SEG ALTER COLUMN key TYPE varchar(10)$$),
    (26, 'ALTER TABLE RENAME',       $$ALTER TABLE SEG RENAME TO renamed_segment$$),
    (27, 'ALTER TABLE RENAME COLUMN',$$ALTER TABLE SEG RENAME COLUMN key TO k$$),
    (28, 'ALTER TABLE SET SCHEMA',   $$ALTER TABLE SEG SET SCHEMA public$$),
    (29, 'ALTER TABLE ADD PRIMARY KEY',$$ALTER TABLE SEG ADD PRIMARY KEY (log_offset)$$),
    (30, 'ALTER TABLE ADD CHECK',    $$ALTER TABLE SEG ADD CHECK (log_offset >= 0)$$),
    (31, 'ALTER TABLE SET ACCESS METHOD', $$ALTER TABLE SEG SET ACCESS METHOD heap$$),
    (32, 'ALTER TABLE SET UNLOGGED', $$ALTER TABLE SEG SET UNLOGGED$$),
    (33, 'CLUSTER',                  $$CLUSTER SEG$$),
    (34, 'DROP TABLE',               $$DROP TABLE SEG$$),
    (35, 'DROP TABLE empty',         $$DROP TABLE SEG_EMPTY$$),
    (36, 'DROP TABLE with another',  $$DROP TABLE other, SEG$$),
    (37, 'CREATE TRIGGER (AFTER ROW)', $$CREATE TRIGGER trg AFTER INSERT ON SEG FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()$$),
    (38, 'CREATE RULE',              $$CREATE RULE r AS ON INSERT TO SEG DO INSTEAD NOTHING$$),
    (50, 'CREATE RULE _RETURN (table to view)', $$CREATE RULE "_RETURN" AS ON SELECT TO SEG_EMPTY DO INSTEAD SELECT * FROM other$$),
    (39, 'COPY FROM',                $$COPY SEG FROM PROGRAM 'printf "%s\n" "0,5,2020-01-01 00:00:00+00,k,\x01,"' (FORMAT csv)$$),
    (42, 'ALTER TABLE OWNER TO',     $$ALTER TABLE SEG OWNER TO pg_monitor$$),
    (43, 'ALTER TABLE SET (fillfactor)', $$ALTER TABLE SEG SET (fillfactor = 50)$$),
    (44, 'ALTER TABLE DISABLE TRIGGER ALL', $$ALTER TABLE SEG DISABLE TRIGGER ALL$$),
    (47, 'LOCK TABLE (read lock)',   $$LOCK TABLE SEG IN ACCESS SHARE MODE$$),
    (48, 'SELECT',                   $$SELECT * FROM SEG$$),
    (49, 'EXPLAIN',                  $$EXPLAIN SELECT * FROM SEG WHERE log_offset > 1$$),
    (40, 'CREATE TABLE ... INHERITS',$$CREATE TABLE child_of_segment () INHERITS (SEG)$$),
    (41, 'REINDEX TABLE',            $$REINDEX TABLE SEG$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;

RESET client_min_messages;

-- statements that cannot run in a function
\set VERBOSITY sqlstate
VACUUM FULL :seg;
VACUUM (FULL, FREEZE) :seg;
CLUSTER :seg USING nonexisting_index;
BEGIN;
INSERT INTO :seg VALUES (0, 3, now(), 'k', '\x01', NULL);
ROLLBACK;
\set VERBOSITY terse

-- the records are all still there, untouched, and the relations exist
SELECT pg_temp.contents('guard.g', 0);
SELECT pg_temp.contents('guard.g', 1);
SELECT partition, log_offset, key, value FROM :seg ORDER BY log_offset;
SELECT to_regclass(:'seg') IS NOT NULL AS seg_exists, to_regclass(:'seg_empty') IS NOT NULL AS seg_empty_exists;
SELECT count(*) AS indexes FROM pg_index WHERE indrelid IN (:'seg'::regclass, :'seg_empty'::regclass);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = :'seg'::regclass;
SELECT count(*) AS rules FROM pg_rewrite WHERE ev_class = :'seg'::regclass;
SELECT count(*) AS children FROM pg_inherits WHERE inhparent = :'seg'::regclass;
SELECT attname FROM pg_attribute WHERE attrelid = :'seg'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT partition, log_offset, key, value, headers FROM other;

-- reading is fine: seq scan, filters, aggregates, joins, EXPLAIN, ANALYZE
SELECT count(*), min(log_offset), max(log_offset) FROM :seg;
SELECT log_offset, key FROM :seg WHERE key IS NOT NULL ORDER BY log_offset DESC;
SELECT o.log_offset AS other_offset, s.log_offset FROM other o LEFT JOIN :seg s ON s.key = o.key;
ANALYZE :seg;
SELECT count(*) FROM :seg_empty;

-- plain VACUUM is allowed (it freezes), the records stay readable
SELECT relfrozenxid AS frozen_before FROM pg_class WHERE oid = :'seg'::regclass \gset
VACUUM :seg;
VACUUM (FREEZE) :seg;
VACUUM (FREEZE, VERBOSE false) :seg_empty;
VACUUM (ANALYZE) :seg;
SELECT pg_temp.contents('guard.g', 0);
-- the segment has a valid relfrozenxid (clog truncation respects it), and
-- VACUUM (FREEZE) advanced it past the transactions that appended
SELECT relfrozenxid::text::bigint > 0 AS has_relfrozenxid,
       age(relfrozenxid) < age(:'frozen_before'::xid) AS advanced_by_vacuum
  FROM pg_class WHERE oid = :'seg'::regclass;
-- a database-wide VACUUM visits the segments too and succeeds
VACUUM;
SELECT pg_temp.contents('guard.g', 0);
-- appends continue after vacuum at the next offset
SELECT logext.log_append('guard.g', 'r3'::text, partition => 0);
SELECT * FROM logext.log_last_positions();
SELECT pg_temp.contents('guard.g', 0);

-- the guard does not get in the way of ordinary tables
CREATE TABLE plain (a int);
INSERT INTO plain VALUES (1), (2);
UPDATE plain SET a = a + 10;
DELETE FROM plain WHERE a = 11;
CREATE INDEX ON plain (a);
ALTER TABLE plain ADD COLUMN b text;
CLUSTER plain USING plain_a_idx;
VACUUM FULL plain;
TRUNCATE plain;
DROP TABLE plain;
-- nor the extension's own catalog tables, which log_create/log_drop maintain
SELECT logext.log_create('guard.h', 1);
SELECT logext.log_drop('guard.h');

-- clean up
DROP TABLE other;
SELECT logext.log_drop('guard.g');
SELECT to_regclass(:'seg') IS NULL AS seg_gone, to_regclass(:'seg_empty') IS NULL AS seg_empty_gone;
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
