--
-- hardening_guard: ways around the segment guard that used to work, and
-- small fixes of the install script.
--   1. a segment cannot become a partition or a child of another table (a
--      TRUNCATE of that table would empty it), and the access method never
--      replaces a segment's storage, however TRUNCATE reaches it
--   2. only logext creates tables of the log access method; VACUUM
--      advances relfrozenxid of an empty one
--   3. a log-AM table outside schema logext is not a segment
--   4. the catalog tables logext.logs and logext.segments cannot be
--      truncated, dropped or altered, even by a superuser
--   5. "." and ".." are not log names
--   9. log_roll(NULL, ...) is an error; the monitoring views are readable
--      by everyone
--
-- pg_temp.try(stmt) runs stmt (rolled back if it succeeds) and returns
-- 'ok' or 'SQLSTATE: message', with segment names (which hold log ids that
-- depend on the tests before) shown as seg_N.
--
\set VERBOSITY terse

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
    st  text;
    msg text;
BEGIN
    EXECUTE stmt;
    RAISE EXCEPTION USING ERRCODE = 'LXOK0';
EXCEPTION
    WHEN SQLSTATE 'LXOK0' THEN
        RETURN 'ok';
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RETURN st || ': ' || regexp_replace(msg, 'seg_[0-9]+_[0-9]+_[0-9]+', 'seg_N', 'g');
END
$f$;

CREATE FUNCTION pg_temp.contents(l text, p int) RETURNS text
LANGUAGE sql AS $f$
    SELECT coalesce(string_agg(r.log_offset || ':' || convert_from(r.value, 'UTF8'), ' '
                               ORDER BY r.log_offset), '(empty)')
      FROM logext.log_read(l, p, 0, 100000) r
$f$;

SELECT logext.log_create('hg.a', 1);
SELECT logext.log_append('hg.a', 'r' || g, partition => 0) FROM generate_series(0, 2) g;
SELECT relid AS seg FROM logext.log_segments WHERE log_name = 'hg.a' \gset
SELECT pg_temp.contents('hg.a', 0);

--
-- 1. partitions and inheritance
--
CREATE TABLE hg_parted (partition int4, log_offset int8, appended_at timestamptz,
                        key text, value bytea NOT NULL, headers jsonb)
    PARTITION BY LIST (partition);
CREATE TABLE hg_plain (partition int4, log_offset int8, appended_at timestamptz,
                       key text, value bytea NOT NULL, headers jsonb);
SELECT t.descr, pg_temp.try(replace(t.stmt, 'SEG', :'seg')) AS result
  FROM (VALUES
    (1, 'ATTACH PARTITION seg',   $$ALTER TABLE hg_parted ATTACH PARTITION SEG FOR VALUES IN (0)$$),
    (2, 'attach, then TRUNCATE',  $$ALTER TABLE hg_parted ATTACH PARTITION SEG FOR VALUES IN (0); TRUNCATE hg_parted$$),
    (3, 'INHERIT seg',            $$ALTER TABLE hg_plain INHERIT SEG$$),
    (4, 'inherit, then TRUNCATE', $$ALTER TABLE hg_plain INHERIT SEG; TRUNCATE SEG$$),
    (5, 'PARTITION OF seg',       $$CREATE TABLE hg_p0 PARTITION OF SEG FOR VALUES IN (0)$$),
    (6, 'INHERITS (seg)',         $$CREATE TABLE hg_c () INHERITS (SEG)$$),
    (7, 'seg ATTACH PARTITION',   $$ALTER TABLE SEG ATTACH PARTITION hg_plain FOR VALUES IN (0)$$),
    (8, 'seg INHERIT',            $$ALTER TABLE SEG INHERIT hg_plain$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
SELECT count(*) AS inherits FROM pg_inherits
 WHERE inhrelid = :'seg'::regclass OR inhparent = :'seg'::regclass;

-- The access method refuses to replace the storage of a segment that
-- TRUNCATE reaches by a path the utility hook does not see.  Here a
-- superuser links the segment under a parent in pg_inherits by hand.
CREATE FUNCTION pg_temp.link_under(child regclass, parent regclass) RETURNS void
LANGUAGE sql AS $f$
    INSERT INTO pg_inherits (inhrelid, inhparent, inhseqno, inhdetachpending)
        VALUES (child, parent, 1, false);
    UPDATE pg_class SET relhassubclass = true WHERE oid = parent;
$f$;
BEGIN;
SELECT pg_temp.link_under(:'seg', 'hg_plain');
SELECT pg_temp.try('TRUNCATE hg_plain') AS truncate_parent;
SELECT pg_temp.try('TRUNCATE hg_plain CASCADE') AS truncate_parent_cascade;
ROLLBACK;
-- a segment created by the same transaction: in an outer subtransaction
-- (storage would be replaced) and in the same one (storage truncated)
BEGIN;
SELECT logext.log_create('hg.new', 1);
SELECT relid AS seg_new FROM logext.log_segments WHERE log_name = 'hg.new' \gset
SAVEPOINT s;
SELECT pg_temp.link_under(:'seg_new', 'hg_plain');
SELECT pg_temp.try('TRUNCATE hg_plain') AS truncate_parent_new_segment;
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.link_under(:'seg_new', 'hg_plain');
SELECT pg_temp.try('TRUNCATE hg_plain') AS truncate_parent_same_subxact;
ROLLBACK;
-- every record is still there, and the metapage with them
SELECT pg_temp.contents('hg.a', 0);
SELECT pg_relation_size(:'seg') > 0 AS has_storage;
SELECT logext.log_append('hg.a', 'r3'::text);
SELECT pg_temp.contents('hg.a', 0);

--
-- 2. tables of the log access method are made by logext only
--
SELECT t.descr, pg_temp.try(replace(t.stmt, 'SEG', :'seg')) AS result
  FROM (VALUES
    (1, 'CREATE TABLE USING log',
        $$CREATE TABLE hg_t (partition int4, log_offset int8, appended_at timestamptz,
                             key text, value bytea NOT NULL, headers jsonb) USING log$$),
    (2, 'CREATE TABLE logext.x USING log',
        $$CREATE TABLE logext.hg_t (partition int4, log_offset int8, appended_at timestamptz,
                                    key text, value bytea NOT NULL, headers jsonb) USING log$$),
    (3, 'CREATE TABLE AS ... USING log', $$CREATE TABLE hg_t USING log AS SELECT * FROM SEG$$),
    (4, 'SET default_table_access_method, CREATE TABLE',
        $$SET LOCAL default_table_access_method = log;
          CREATE TABLE hg_t (partition int4, log_offset int8, appended_at timestamptz,
                             key text, value bytea NOT NULL, headers jsonb)$$),
    (5, 'SET default_table_access_method, CREATE TABLE (LIKE seg)',
        $$SET LOCAL default_table_access_method = log; CREATE TABLE hg_t (LIKE SEG)$$),
    (6, 'SET default_table_access_method, CREATE TABLE AS',
        $$SET LOCAL default_table_access_method = log; CREATE TABLE hg_t AS SELECT * FROM SEG$$),
    (7, 'SET default_table_access_method, SELECT INTO',
        $$SET LOCAL default_table_access_method = log; SELECT * INTO hg_t FROM SEG$$),
    (8, 'PARTITION OF ... USING log',
        $$CREATE TABLE hg_t PARTITION OF hg_parted FOR VALUES IN (5) USING log$$),
    (9, 'ALTER TABLE SET ACCESS METHOD log', $$ALTER TABLE hg_plain SET ACCESS METHOD log$$),
    (10, 'CREATE TABLE (LIKE seg) (a heap table)', $$CREATE TABLE hg_t (LIKE SEG)$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
SELECT count(*) AS log_am_tables_outside_logs FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE a.amname = 'log' AND c.oid NOT IN (SELECT relid FROM logext.segments);
-- log_create and log_roll still make segments
SELECT logext.log_roll('hg.a', 0);
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'hg.a' ORDER BY base_offset;
SELECT logext.log_append('hg.a', 'r4'::text);
SELECT pg_temp.contents('hg.a', 0);

-- VACUUM advances relfrozenxid of an empty log-AM relation (a segment
-- created by logext._segment_create but not yet initialised)
SELECT logext._segment_create(999, 0, 'hg_empty') AS empty_rel \gset
SELECT pg_relation_size(:'empty_rel') AS empty_size;
SELECT relfrozenxid AS frozen_before FROM pg_class WHERE oid = :'empty_rel'::regclass \gset
SELECT txid_current() IS NOT NULL AS xid1;
SELECT txid_current() IS NOT NULL AS xid2;
VACUUM (FREEZE) :empty_rel;
SELECT age(relfrozenxid) < age(:'frozen_before'::xid) AS advanced_by_vacuum
  FROM pg_class WHERE oid = :'empty_rel'::regclass;
-- (it stays: like any log-AM relation in schema logext it cannot be dropped
-- by DROP TABLE; the extension's removal takes it along)
-- a database-wide VACUUM FULL still copies segments (into a transient
-- log-AM relation of its own), and they keep their records
SELECT relfilenode AS seg_filenode FROM pg_class WHERE oid = :'seg'::regclass \gset
VACUUM FULL;
SELECT relfilenode <> :seg_filenode AS seg_copied FROM pg_class WHERE oid = :'seg'::regclass;
SELECT pg_temp.contents('hg.a', 0);

--
-- 3. a log-AM table outside schema logext (one made before only logext
-- could make them; here by editing pg_class) is not protected as a segment
--
CREATE TABLE hg_foreign (partition int4, log_offset int8, appended_at timestamptz,
                         key text, value bytea NOT NULL, headers jsonb);
UPDATE pg_class SET relam = (SELECT oid FROM pg_am WHERE amname = 'log')
 WHERE oid = 'hg_foreign'::regclass;
DROP TABLE hg_foreign;
SELECT to_regclass('hg_foreign') IS NULL AS dropped;
-- a segment stays protected
SELECT pg_temp.try(format('DROP TABLE %s', :'seg')) AS drop_segment;

--
-- 4. the catalog tables
--
SELECT count(*) AS logs_before FROM logext.logs \gset
SELECT t.descr, pg_temp.try(t.stmt) AS result
  FROM (VALUES
    (1,  'TRUNCATE logs',            $$TRUNCATE logext.logs$$),
    (2,  'TRUNCATE logs CASCADE',    $$TRUNCATE logext.logs CASCADE$$),
    (3,  'TRUNCATE segments',        $$TRUNCATE logext.segments$$),
    (4,  'TRUNCATE other, segments', $$TRUNCATE hg_plain, logext.segments$$),
    (5,  'DROP TABLE logs CASCADE',  $$DROP TABLE logext.logs CASCADE$$),
    (6,  'DROP TABLE segments',      $$DROP TABLE logext.segments$$),
    (7,  'ALTER TABLE ADD COLUMN',   $$ALTER TABLE logext.logs ADD COLUMN x int$$),
    (8,  'ALTER TABLE DROP CONSTRAINT', $$ALTER TABLE logext.segments DROP CONSTRAINT segments_log_id_fkey$$),
    (9,  'RENAME',                   $$ALTER TABLE logext.logs RENAME TO logs_old$$),
    (10, 'SET SCHEMA',               $$ALTER TABLE logext.segments SET SCHEMA public$$),
    (11, 'CREATE RULE',              $$CREATE RULE r AS ON DELETE TO logext.logs DO INSTEAD NOTHING$$),
    (12, 'CREATE TRIGGER',           $$CREATE TRIGGER t BEFORE DELETE ON logext.segments
                                       FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()$$),
    (13, 'INHERITS (logs)',          $$CREATE TABLE hg_c () INHERITS (logext.logs)$$),
    (14, 'ATTACH PARTITION logs',    $$CREATE TABLE hg_lp (LIKE logext.logs) PARTITION BY RANGE (log_id);
                                       ALTER TABLE hg_lp ATTACH PARTITION logext.logs FOR VALUES FROM (0) TO (1000)$$),
    (15, 'ALTER SCHEMA logext RENAME', $$ALTER SCHEMA logext RENAME TO logext_old$$),
    (16, 'ALTER SCHEMA logext OWNER',  $$ALTER SCHEMA logext OWNER TO pg_monitor$$),
    (18, 'SELECT (allowed)',         $$SELECT count(*) FROM logext.logs$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
VACUUM FULL logext.logs;
SELECT count(*) = :logs_before AS logs_intact FROM logext.logs;
SELECT count(*) AS segments_of_hg_a FROM logext.log_segments WHERE log_name = 'hg.a';

--
-- 5. "." and ".." are not log names (Kafka refuses them too)
--
SELECT pg_temp.try($$SELECT logext.log_create('.')$$) AS dot,
       pg_temp.try($$SELECT logext.log_create('..')$$) AS dotdot,
       pg_temp.try($$SELECT logext.log_create('...')$$) AS three_dots;

--
-- 9. log_roll with NULL arguments; monitoring views for everyone
--
SELECT pg_temp.try($$SELECT logext.log_roll(NULL, 0)$$) AS null_name,
       pg_temp.try($$SELECT logext.log_roll('hg.a', NULL)$$) AS null_partition;
CREATE ROLE regress_logext_hg_reader;
SET ROLE regress_logext_hg_reader;
SELECT t.v, pg_temp.try(format('SELECT count(*) FROM logext.%I', t.v)) AS result
  FROM (VALUES ('partitions'), ('waiters'), ('log_segments'), ('consumer_groups'),
               ('group_members')) AS t(v)
 ORDER BY t.v;
RESET ROLE;
DROP ROLE regress_logext_hg_reader;

-- clean up
DROP TABLE hg_parted, hg_plain;
SELECT logext.log_drop('hg.a');
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
