--
-- hostile: a role that shadows built-ins gains nothing.
--
-- regress_logext_mallory, an ordinary role, creates in its own schema
-- operators "=" on (text, text), (regclass, regclass), (oid, oid),
-- (int4, int4) and (name, name) that return true, functions named like
-- built-ins (format, hashtext, lower, pg_advisory_xact_lock,
-- pg_relation_size, now, quote_ident) and tables named like logext's
-- catalog (logs, segments), puts its schema first in search_path (also
-- before pg_catalog) and calls every logext function.  Then a superuser
-- with the same search_path does, and the maintenance worker compacts the
-- offsets log while "=" on regclass is shadowed in schema public.  Every
-- evil function records that it ran, and who ran it, and tries to make
-- mallory a superuser: none of them ever runs.
--
-- Last, CREATE EXTENSION refuses a schema logext that someone else owns,
-- that grants CREATE to others or is not empty (in a database of its own).
--
-- pg_temp.try(stmt) runs stmt (rolled back if it succeeds) and returns
-- 'ok' or 'SQLSTATE: message'.
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
        RETURN st || ': ' || msg;
END
$f$;

-- the records of a partition (comparisons spelled out: the callers have
-- mallory's schema first in search_path)
CREATE FUNCTION pg_temp.contents(l text, p int) RETURNS text
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $f$
    SELECT coalesce(string_agg(r.log_offset || ':' || convert_from(r.value, 'UTF8'), ' '
                               ORDER BY r.log_offset), '(empty)')
      FROM logext.log_read(l, p, 0, 100000) r
$f$;

-- the catalog, to compare before and after
CREATE FUNCTION pg_temp.catalog() RETURNS TABLE (log_name text, partition int, base_offset bigint)
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $f$
    SELECT l.log_name, s.partition, s.base_offset
      FROM logext.logs l JOIN logext.segments s ON s.log_id = l.log_id
     WHERE l.log_name <> '__consumer_offsets'
     ORDER BY 1, 2, 3
$f$;

CREATE ROLE regress_logext_mallory;
CREATE SCHEMA mallory AUTHORIZATION regress_logext_mallory;

SELECT logext.log_create('hostile.l', 2);
SELECT logext.log_create('hostile.m', 2);  -- for mallory
GRANT SELECT, INSERT ON logext_logs."hostile.m" TO regress_logext_mallory;
SELECT logext.log_append('hostile.l', 'h' || g, partition => g % 2) FROM generate_series(0, 3) g;

--
-- mallory's traps
--
SET ROLE regress_logext_mallory;
CREATE TABLE mallory.ran (what text, by_user name);
GRANT INSERT ON mallory.ran TO PUBLIC;
CREATE FUNCTION mallory.gotcha(what text) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    RAISE NOTICE 'mallory''s % ran as %', what, current_user;
    INSERT INTO mallory.ran VALUES (what, current_user);
    BEGIN
        EXECUTE 'ALTER ROLE regress_logext_mallory SUPERUSER';
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
END
$f$;
CREATE FUNCTION mallory.eq_text(text, text) RETURNS boolean
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('= text'); RETURN true; END $f$;
CREATE FUNCTION mallory.eq_regclass(regclass, regclass) RETURNS boolean
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('= regclass'); RETURN true; END $f$;
CREATE FUNCTION mallory.eq_oid(oid, oid) RETURNS boolean
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('= oid'); RETURN true; END $f$;
CREATE FUNCTION mallory.eq_int4(int4, int4) RETURNS boolean
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('= int4'); RETURN true; END $f$;
CREATE FUNCTION mallory.eq_name(name, name) RETURNS boolean
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('= name'); RETURN true; END $f$;
CREATE OPERATOR mallory.= (leftarg = text, rightarg = text, function = mallory.eq_text);
CREATE OPERATOR mallory.= (leftarg = regclass, rightarg = regclass, function = mallory.eq_regclass);
CREATE OPERATOR mallory.= (leftarg = oid, rightarg = oid, function = mallory.eq_oid);
CREATE OPERATOR mallory.= (leftarg = int4, rightarg = int4, function = mallory.eq_int4);
CREATE OPERATOR mallory.= (leftarg = name, rightarg = name, function = mallory.eq_name);
CREATE FUNCTION mallory.format(text, VARIADIC text[]) RETURNS text
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('format'); RETURN 'evil'; END $f$;
CREATE FUNCTION mallory.format(text) RETURNS text
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('format'); RETURN 'evil'; END $f$;
CREATE FUNCTION mallory.hashtext(text) RETURNS int4
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('hashtext'); RETURN 0; END $f$;
CREATE FUNCTION mallory.lower(text) RETURNS text
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('lower'); RETURN $1; END $f$;
CREATE FUNCTION mallory.pg_advisory_xact_lock(int4, int4) RETURNS void
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('pg_advisory_xact_lock'); END $f$;
CREATE FUNCTION mallory.pg_relation_size(regclass) RETURNS bigint
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('pg_relation_size'); RETURN 0; END $f$;
CREATE FUNCTION mallory.now() RETURNS timestamptz
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('now'); RETURN 'epoch'; END $f$;
CREATE FUNCTION mallory.quote_ident(text) RETURNS text
    LANGUAGE plpgsql AS $f$ BEGIN PERFORM mallory.gotcha('quote_ident'); RETURN $1; END $f$;
-- a catalog of its own, in which "evilalias" is the internal offsets log
CREATE TABLE mallory.logs (log_id int4, log_name text, partitions int4, created_at timestamptz);
CREATE TABLE mallory.segments (log_id int4, partition int4, base_offset int8, relid regclass,
                               created_at timestamptz);
INSERT INTO mallory.logs SELECT 0, 'evilalias', 1, pg_catalog.now();
INSERT INTO mallory.segments SELECT 0, 0, 0, s.relid, pg_catalog.now()
  FROM logext.segments s WHERE s.log_id OPERATOR(pg_catalog.=) 0;

--
-- mallory calls every logext function with its schema first
--
SET search_path = mallory, pg_catalog;
-- the internal log cannot be written through an alias (mallory.logs and
-- "=" on text make "evilalias" look like it) or directly
SELECT pg_temp.try($$SELECT logext.log_append('evilalias', 'x'::text)$$) AS append_evilalias,
       pg_temp.try($$SELECT logext.log_append_batch('evilalias', ARRAY['x']::text[])$$) AS batch_evilalias,
       pg_temp.try($$SELECT logext.log_append('__consumer_offsets', 'x'::text)$$) AS append_internal;
SELECT pg_temp.try($$SELECT logext.log_create('hostile.mallory', 2)$$) AS mallory_log_create,
       pg_temp.try($$SELECT logext.log_drop('hostile.m')$$) AS mallory_log_drop;
BEGIN;
SELECT logext.log_append('hostile.m', 'm0'::text, key => 'k');
SELECT logext.log_append('hostile.m', '\x6d31'::bytea, partition => 1);
SELECT logext.log_append('hostile.m', '"m2"'::jsonb, partition => 1);
SELECT logext.log_append_batch('hostile.m', ARRAY['m3', 'm4']::text[], partition => 0);
SELECT logext.log_append_batch('hostile.m', ARRAY['\x6d35'::bytea], partition => 1);
COMMIT;
SELECT log_name, partition, first_offset, last_offset FROM logext.log_last_positions() ORDER BY 1, 2;
SELECT pg_temp.contents('hostile.m', 0) AS p0, pg_temp.contents('hostile.m', 1) AS p1;
SELECT logext.log_partition_for('hostile.m', 'k') AS partition_for_k, logext.murmur2('\x6b') AS murmur2_k;
SELECT log_name, partition, first_offset, next_offset, record_count FROM logext.log_partitions()
 WHERE log_name LIKE 'hostile%' ORDER BY 1, 2;
SELECT log_name, partition, next_offset FROM logext.partitions WHERE log_name LIKE 'hostile%' ORDER BY 1, 2;
SELECT log_name, partition, base_offset FROM logext.log_segments WHERE log_name LIKE 'hostile%' ORDER BY 1, 2, 3;
SELECT count(*) AS waiters FROM logext.waiters;
SELECT count(*) AS log_waiters FROM logext.log_waiters();
BEGIN;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('hostile.grp', 'hostile.m', 0) ORDER BY log_offset;
SELECT logext.log_commit('hostile.grp', 'hostile.m', 0, 2);
COMMIT;
SELECT logext.log_committed('hostile.grp', 'hostile.m', 0) AS committed;
SELECT logext.log_reset_offsets('hostile.grp', 'hostile.m', 'earliest', 0) AS reset;
SELECT logext.log_join('hostile.grp', 'member-1');
SELECT logext.log_heartbeat('hostile.grp', 'member-1') AS heartbeat;
SELECT "group", member_id FROM logext.group_members WHERE "group" LIKE 'hostile%';
SELECT "group", member_id FROM logext.log_group_members() WHERE "group" LIKE 'hostile%';
SELECT "group", log_name, partition, committed_offset FROM logext.consumer_groups
 WHERE "group" LIKE 'hostile%' ORDER BY 1, 2, 3;
SELECT "group", partition, committed_offset FROM logext.log_group_offsets()
 WHERE "group" LIKE 'hostile%' ORDER BY 1, 2;
SELECT logext.log_leave('hostile.grp', 'member-1') AS left_group;
SELECT logext.log_delete_group('hostile.grp') AS deleted;
-- functions not granted to PUBLIC stay out of reach
SELECT t.f, pg_temp.try(t.stmt) AS result
  FROM (VALUES
    (1, 'log_roll',            $$SELECT logext.log_roll('hostile.m', 0)$$),
    (2, 'log_compact_offsets', $$SELECT logext.log_compact_offsets(true)$$),
    (3, '_log_create',         $$SELECT logext._log_create('__evil', 1, NULL::int4)$$),
    (4, '_segment_create',     $$SELECT logext._segment_create(0, 0, 'evil')$$),
    (5, '_log_drop_segments',  $$SELECT logext._log_drop_segments(0, '__consumer_offsets')$$),
    (6, '_segment_init',       $$SELECT logext._segment_init('mallory.ran', 0, 0, 0::int8)$$)
  ) AS t(i, f, stmt)
 ORDER BY t.i;
RESET search_path;
RESET ROLE;
SELECT logext.log_drop('hostile.m');

--
-- a superuser with mallory's schema first in search_path
--
SET search_path = mallory, pg_catalog;
SELECT logext.log_create('hostile.s', 1);
SELECT logext.log_append('hostile.s', 's0'::text);
SELECT logext.log_roll('hostile.s', 0) AS rolled_at;
SELECT logext.log_append('hostile.s', 's1'::text);
SELECT pg_temp.contents('hostile.s', 0) AS s;
SELECT log_name, partition, base_offset FROM logext.log_segments WHERE log_name LIKE 'hostile%' ORDER BY 1, 2, 3;
SELECT logext.log_compact_offsets(true) >= 0 AS compacted;
SELECT logext.log_drop('hostile.s');
SELECT pg_temp.try($$SELECT logext.log_append('evilalias', 'x'::text)$$) AS superuser_append_evilalias;
RESET search_path;

-- nothing of mallory's ran, mallory is no superuser, the catalog and the
-- offsets log hold only what was done on purpose
SELECT what, by_user FROM mallory.ran;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_logext_mallory';
SELECT * FROM pg_temp.catalog();
SELECT pg_temp.contents('hostile.l', 0) AS l0, pg_temp.contents('hostile.l', 1) AS l1;
-- (compaction may have shrunk the offsets log; no record is mallory's 'x')
SELECT count(*) AS evil_in_offsets_log FROM logext.log_read('__consumer_offsets', 0, (SELECT first_offset FROM logext.partitions WHERE log_name = '__consumer_offsets'), 100000)
 WHERE value = '\x78'::bytea;

--
-- the maintenance worker compacts the offsets log while "=" on regclass is
-- shadowed in schema public (on the default search_path of the worker)
--
GRANT CREATE ON SCHEMA public TO regress_logext_mallory;
SET ROLE regress_logext_mallory;
CREATE OPERATOR public.= (leftarg = regclass, rightarg = regclass, function = mallory.eq_regclass);
CREATE OPERATOR public.= (leftarg = oid, rightarg = oid, function = mallory.eq_oid);
CREATE OPERATOR public.= (leftarg = text, rightarg = text, function = mallory.eq_text);
RESET ROLE;
SET search_path = pg_catalog, pg_temp;
ALTER SYSTEM SET logext.maintenance_naptime = '10ms';
ALTER SYSTEM SET logext.offsets_compaction_threshold = '64kB';
SELECT pg_reload_conf();
SELECT s.relid::oid AS offsets_segment FROM logext.segments s WHERE s.log_id = 0 \gset
-- enough committed offsets to pass the threshold
SELECT count(*) AS commits
  FROM (SELECT logext.log_commit('hostile.w' || (g % 10), 'hostile.l', g % 2, 1)
          FROM generate_series(1, 10000) g) c;
-- wait (up to a minute) for the worker to replace the offsets segment
CREATE FUNCTION pg_temp.wait_gone(seg oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    FOR i IN 1 .. 600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM logext.segments s
                               WHERE s.log_id = 0 AND s.relid::oid = seg);
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$f$;
SELECT pg_temp.wait_gone(:'offsets_segment');
SELECT count(*) AS old_offsets_segment_left FROM logext.segments s
 WHERE s.log_id = 0 AND s.relid::oid = :'offsets_segment';
SELECT logext.log_committed('hostile.w7', 'hostile.l', 1) AS committed_w7;
ALTER SYSTEM RESET logext.maintenance_naptime;
ALTER SYSTEM RESET logext.offsets_compaction_threshold;
SELECT pg_reload_conf();
SELECT what, by_user FROM mallory.ran;
SELECT * FROM pg_temp.catalog();
DROP OPERATOR public.= (regclass, regclass);
DROP OPERATOR public.= (oid, oid);
DROP OPERATOR public.= (text, text);
REVOKE CREATE ON SCHEMA public FROM regress_logext_mallory;
RESET search_path;
SELECT sum(logext.log_delete_group('hostile.w' || g)) > 0 AS groups_deleted FROM generate_series(0, 9) g;

--
-- CREATE EXTENSION and a schema logext made beforehand
--
SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_logext_hostile;
\c regress_logext_hostile
\set VERBOSITY terse
-- owned by mallory, with a trap that would beat the real _segment_init
CREATE SCHEMA logext AUTHORIZATION regress_logext_mallory;
SET ROLE regress_logext_mallory;
CREATE TABLE logext.ran (what text, by_user name);
GRANT INSERT ON logext.ran TO PUBLIC;
CREATE FUNCTION logext._segment_init(regclass, int4, int4, int4) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO logext.ran VALUES ('_segment_init', current_user);
    BEGIN
        EXECUTE 'ALTER ROLE regress_logext_mallory SUPERUSER';
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
END
$f$;
RESET ROLE;
CREATE EXTENSION logext;
-- owned by the installing role, but not empty
ALTER SCHEMA logext OWNER TO CURRENT_USER;
CREATE EXTENSION logext;
SELECT what, by_user FROM logext.ran;
DROP FUNCTION logext._segment_init(regclass, int4, int4, int4);
DROP TABLE logext.ran;
-- empty, but others may create objects in it
GRANT CREATE ON SCHEMA logext TO regress_logext_mallory;
CREATE EXTENSION logext;
REVOKE CREATE ON SCHEMA logext FROM regress_logext_mallory;
-- empty and owned by the installing role: fine
CREATE EXTENSION logext;
SELECT logext.log_create('hostile.x', 1);
SELECT log_name, partition FROM logext.log_segments ORDER BY 1, 2;
-- DROP EXTENSION still works, through the catalog and segment guards
DROP EXTENSION logext;
DROP EXTENSION logext CASCADE;
SELECT count(*) AS relations_left FROM pg_class WHERE relnamespace = 'logext'::regnamespace;
CREATE EXTENSION logext;
SELECT count(*) AS user_logs FROM logext.logs WHERE log_name NOT LIKE '\_\_%';
\c :regress_db
DROP DATABASE regress_logext_hostile;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_logext_mallory';

-- clean up
SELECT logext.log_drop('hostile.l');
DROP SCHEMA mallory CASCADE;
DROP ROLE regress_logext_mallory;
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
