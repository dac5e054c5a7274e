--
-- inputs: every SQL function of logext called with hostile arguments.
--
-- Table-driven: each case is one statement, run by pg_temp.try(), which
-- undoes whatever the statement did (it succeeds inside a subtransaction
-- that is then rolled back) and reports
--   ok             the statement succeeded (a scalar result was not NULL)
--   ok (NULL)      it succeeded and its scalar result was NULL
--   SQLSTATE: msg  it failed
-- so the expected output is one readable table per group of cases.
--   1. NULL in each argument of every function in schema logext (but the
--      table AM handler), generated from pg_proc, the other arguments valid;
--   2. names: empty, 64+ bytes, 200/201 characters, quotes, semicolons,
--      spaces, newlines, non-ASCII, reserved "__" names;
--   3. numbers: huge, negative, zero, extremes of integer and bigint;
--   4. wrong types and argument counts;
--   5. log_append_batch with empty, NULL-element, mismatched,
--      multidimensional and non-1-based arrays;
--   6. the internal (superuser-only) functions with wrong relations, ids
--      and names;
--   7. log_roll (not allowed in a subtransaction, so run at top level);
--   8. a value of about 1 GB (the largest a bytea can be): refused with
--      54000, nothing else happens.
-- No case may fail with XX000 (internal error) or crash the server; the
-- logs used are still intact at the end.
--
\set VERBOSITY terse
SET client_min_messages = warning;
SET statement_timeout = '120s';

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
    v   text;
    st  text;
    msg text;
BEGIN
    EXECUTE stmt INTO v;
    RAISE EXCEPTION USING ERRCODE = 'LXOK0', MESSAGE = CASE WHEN v IS NULL THEN 'ok (NULL)' ELSE 'ok' END;
EXCEPTION
    WHEN SQLSTATE 'LXOK0' THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        RETURN msg;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        -- relation names and OIDs depend on what earlier tests created
        msg := regexp_replace(msg, 'seg_[0-9]+_', 'seg_N_', 'g');
        msg := regexp_replace(msg, 'OID [0-9]+', 'OID N', 'g');
        IF length(msg) > 100 THEN
            msg := left(msg, 97) || '...';
        END IF;
        RETURN st || ': ' || msg;
END
$f$;

-- the logs the cases use
SELECT logext.log_create('in.a', 2);
SELECT count(*) FROM (SELECT logext.log_append('in.a', 'r' || g, key => 'k' || g, partition => g % 2)
                        FROM generate_series(0, 9) g) x;
SELECT logext.log_create('in.victim', 1);
SELECT logext.log_append('in.victim', 'v0'::text);
SELECT logext.log_commit('in.g', 'in.a', 0, 1);
CREATE TABLE in_heap (x int);
CREATE TEMP TABLE cases (id serial PRIMARY KEY, grp int NOT NULL, stmt text NOT NULL);
CREATE TEMP TABLE logs_before AS SELECT log_name FROM logext.logs;
CREATE TEMP TABLE rels_before AS SELECT oid FROM pg_class WHERE relnamespace = 'logext'::regnamespace;

--
-- 1. NULL in each argument, the others valid
--
-- a valid value for each argument (by function and name, or by name and
-- type); the internal functions get the victim log and a heap table
CREATE TEMP TABLE samples (fn text, arg text, typ regtype, val text);
INSERT INTO samples VALUES
    (NULL, 'log_name', 'text', $$'in.a'$$),
    (NULL, 'partitions', 'integer', '2'),
    (NULL, 'partition', 'integer', '0'),
    (NULL, 'value', 'bytea', $$'\x01'::bytea$$),
    (NULL, 'value', 'text', $$'v'::text$$),
    (NULL, 'value', 'jsonb', $$'{"v": 1}'::jsonb$$),
    (NULL, 'key', 'text', $$'k'$$),
    (NULL, 'headers', 'jsonb', $$'{"h": "x"}'::jsonb$$),
    (NULL, 'values', 'bytea[]', $$ARRAY['\x01']::bytea[]$$),
    (NULL, 'values', 'text[]', $$ARRAY['v']::text[]$$),
    (NULL, 'keys', 'text[]', $$ARRAY['k']$$),
    (NULL, 'headers', 'jsonb[]', $$ARRAY['{}'::jsonb]$$),
    (NULL, 'from_offset', 'bigint', '0'),
    (NULL, 'max_records', 'integer', '10'),
    (NULL, 'wait_ms', 'integer', '0'),
    (NULL, 'group', 'text', $$'in.g'$$),
    (NULL, 'next_offset', 'bigint', '1'),
    (NULL, 'member_id', 'text', $$'m1'$$),
    (NULL, 'session_timeout_ms', 'integer', '10000'),
    (NULL, 'to_position', 'text', $$'earliest'$$),
    (NULL, 'force', 'boolean', 'false'),
    (NULL, 'data', 'bytea', $$'\x01'::bytea$$),
    (NULL, 'log_id', 'integer', $$(SELECT log_id FROM logext.logs WHERE log_name = 'in.victim')$$),
    (NULL, 'seg', 'regclass', $$'in_heap'::regclass$$),
    (NULL, 'base_offset', 'bigint', '0'),
    (NULL, 'seg_name', 'text', $$'in_new_seg'$$),
    (NULL, 'fixed_id', 'integer', 'NULL::integer'),
    (NULL, 'new_owner', 'regrole', 'current_user::regrole'),
    (NULL, 'retention', 'interval', $$'1 day'::interval$$),
    (NULL, 'retention_bytes', 'bigint', '1000000'),
    (NULL, 'segment_bytes', 'bigint', '1048576'),
    (NULL, 'segment_age', 'interval', $$'1 hour'::interval$$),
    (NULL, 'cleanup_policy', 'text', $$'delete'$$),
    (NULL, 'delete_retention', 'interval', $$'1 day'::interval$$),
    (NULL, 'ts', 'timestamp with time zone', 'now()'),
    (NULL, 'offset_reset', 'text', $$'earliest'$$),
    ('log_create', 'log_name', 'text', $$'in.new'$$),
    ('_log_create', 'log_name', 'text', $$'in.new'$$),
    ('log_drop', 'log_name', 'text', $$'in.victim'$$),
    ('_log_drop_segments', 'log_name', 'text', $$'in.victim'$$);

CREATE TEMP VIEW fn_args AS
SELECT p.oid, p.proname::text AS fn, p.proretset, a.n, a.typ::regtype AS typ,
       p.proargnames[a.n] AS arg, p.pronargs
  FROM pg_proc p
  CROSS JOIN LATERAL unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(typ, n)
 WHERE p.pronamespace = 'logext'::regnamespace
   AND p.prorettype <> 'table_am_handler'::regtype;

INSERT INTO cases (grp, stmt)
SELECT 1, format(CASE WHEN f.proretset THEN 'SELECT count(*) FROM logext.%s(%s)' ELSE 'SELECT logext.%s(%s)' END,
                 f.fn, f.args)
  FROM (SELECT t.oid, t.fn, t.proretset, k.n AS null_arg,
               string_agg(CASE WHEN t.n = k.n THEN 'NULL::' || format_type(t.typ, NULL)
                               ELSE coalesce((SELECT s.val FROM samples s
                                               WHERE s.arg = t.arg AND s.typ = t.typ AND (s.fn IS NULL OR s.fn = t.fn)
                                               ORDER BY s.fn NULLS LAST LIMIT 1), 'MISSING') END,
                          ', ' ORDER BY t.n) AS args
          FROM fn_args t
          JOIN (SELECT DISTINCT oid, n FROM fn_args) k ON k.oid = t.oid
         GROUP BY t.oid, t.fn, t.proretset, k.n) f
 ORDER BY f.fn, pg_get_function_identity_arguments(f.oid), f.null_arg;
-- the functions without arguments
INSERT INTO cases (grp, stmt)
SELECT 1, format('SELECT count(*) FROM logext.%s()', p.proname)
  FROM pg_proc p
 WHERE p.pronamespace = 'logext'::regnamespace AND p.pronargs = 0
 ORDER BY p.proname;
-- every argument missing a sample would show up here
SELECT stmt FROM cases WHERE stmt LIKE '%MISSING%';

--
-- 2. names
--
INSERT INTO cases (grp, stmt) VALUES
    (2, $$SELECT logext.log_create('')$$),
    (2, $$SELECT logext.log_create(repeat('n', 64))$$),
    (2, $$SELECT logext.log_create(repeat('n', 65))$$),
    (2, $$SELECT logext.log_create(repeat('n', 200))$$),
    (2, $$SELECT logext.log_create(repeat('n', 201))$$),
    (2, $$SELECT logext.log_create(repeat('n', 100000))$$),
    (2, $$SELECT logext.log_create('a''b')$$),
    (2, $$SELECT logext.log_create('a"b')$$),
    (2, $$SELECT logext.log_create('a;b')$$),
    (2, $$SELECT logext.log_create('x''); DROP TABLE in_heap; --')$$),
    (2, $$SELECT logext.log_create('a b')$$),
    (2, $$SELECT logext.log_create(E'a\nb')$$),
    (2, $$SELECT logext.log_create(E'a\tb')$$),
    (2, $$SELECT logext.log_create('a/b')$$),
    (2, $$SELECT logext.log_create('a\b')$$),
    (2, $$SELECT logext.log_create('a%b')$$),
    (2, $$SELECT logext.log_create('ünï')$$),
    (2, $$SELECT logext.log_create('日本')$$),
    (2, $$SELECT logext.log_create(repeat('ü', 40))$$),
    (2, $$SELECT logext.log_create('..')$$),
    (2, $$SELECT logext.log_create('__x')$$),
    (2, $$SELECT logext.log_create('__consumer_offsets')$$),
    (2, $$SELECT logext.log_create('_x')$$),
    (2, $$SELECT logext.log_create('in.a')$$),
    (2, $$SELECT logext.log_create('IN.A')$$),
    (2, $$SELECT logext.log_drop('')$$),
    (2, $$SELECT logext.log_drop(repeat('n', 201))$$),
    (2, $$SELECT logext.log_drop('a;b')$$),
    (2, $$SELECT logext.log_drop('日本')$$),
    (2, $$SELECT logext.log_drop('__x')$$),
    (2, $$SELECT logext.log_drop('__consumer_offsets')$$),
    (2, $$SELECT logext.log_append('', 'v'::text)$$),
    (2, $$SELECT logext.log_append(repeat('n', 100000), 'v'::text)$$),
    (2, $$SELECT logext.log_append('a''b', 'v'::text)$$),
    (2, $$SELECT logext.log_append('__consumer_offsets', 'v'::text)$$),
    (2, $$SELECT logext.log_append('__consumer_offsets', '\x00'::bytea, key => 'forged')$$),
    (2, $$SELECT logext.log_append_batch('__consumer_offsets', ARRAY['v']::text[])$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => '')$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => 'ключ ✓')$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => repeat('k', 65535))$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => repeat('k', 65536))$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => repeat('ü', 32768))$$),
    (2, $$SELECT logext.log_append('in.a', 'v'::text, key => E'a\u0001b')$$),
    (2, $$SELECT count(*) FROM logext.log_read('', 0, 0)$$),
    (2, $$SELECT count(*) FROM logext.log_read(repeat('n', 100000), 0, 0)$$),
    (2, $$SELECT count(*) FROM logext.log_read('__consumer_offsets', 0, (SELECT first_offset FROM logext.partitions WHERE log_name = '__consumer_offsets'))$$),
    (2, $$SELECT count(*) FROM logext.log_read('__nope', 0, 0)$$),
    (2, $$SELECT logext.log_partition_for('', 'k')$$),
    (2, $$SELECT logext.log_partition_for('in.a', '')$$),
    (2, $$SELECT logext.log_partition_for('in.a', repeat('k', 100000))$$),
    (2, $$SELECT logext.log_partition_for('__consumer_offsets', 'k')$$),
    (2, $$SELECT logext.murmur2(''::bytea)$$),
    (2, $$SELECT logext.murmur2(convert_to(repeat('m', 1000000), 'UTF8'))$$),
    (2, $$SELECT logext.log_commit('', 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit(repeat('g', 65), 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit(repeat('g', 100000), 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit('g''; DROP TABLE in_heap; --', 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit('grüppe ✓', 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit(E'g\u0001', 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_commit('__g', 'in.a', 0, 1)$$),
    (2, $$SELECT logext.log_group_set_owner('', current_user::regrole)$$),
    (2, $$SELECT logext.log_group_set_owner(repeat('g', 100000), current_user::regrole)$$),
    (2, $$SELECT logext.log_group_set_owner('in.g', 0::oid::regrole)$$),
    (2, $$SELECT logext.log_group_set_owner('in.g', 'no_such_role_x'::regrole)$$),
    (2, $$SELECT logext.log_commit('in.g', '', 0, 1)$$),
    (2, $$SELECT logext.log_commit('in.g', 'no.such.log', 0, 1)$$),
    (2, $$SELECT logext.log_commit('in.g', '__consumer_offsets', 0, 1)$$),
    (2, $$SELECT logext.log_committed('', 'in.a', 0)$$),
    (2, $$SELECT logext.log_committed(repeat('g', 100000), 'in.a', 0)$$),
    (2, $$SELECT logext.log_committed('in.g', 'no.such.log', 0)$$),
    (2, $$SELECT logext.log_committed('in.g', '__consumer_offsets', 0)$$),
    (2, $$SELECT logext.log_reset_offsets('', 'in.a', 'earliest')$$),
    (2, $$SELECT logext.log_reset_offsets(repeat('g', 100000), 'in.a', 'earliest')$$),
    (2, $$SELECT logext.log_reset_offsets('in.g', 'no.such.log', 'earliest')$$),
    (2, $$SELECT logext.log_reset_offsets('in.g', '__consumer_offsets', 'earliest')$$),
    (2, $$SELECT count(*) FROM logext.log_read_group('', 'in.a')$$),
    (2, $$SELECT count(*) FROM logext.log_read_group(repeat('g', 100000), 'in.a')$$),
    (2, $$SELECT count(*) FROM logext.log_read_group('in.g', 'no.such.log')$$),
    (2, $$SELECT count(*) FROM logext.log_read_group('in.g', '__consumer_offsets')$$),
    (2, $$SELECT logext.log_delete_group('')$$),
    (2, $$SELECT logext.log_delete_group(repeat('g', 100000))$$),
    (2, $$SELECT logext.log_delete_group('no.such.group')$$),
    (2, $$SELECT logext.log_join('', 'm1')$$),
    (2, $$SELECT logext.log_join('in.g', '')$$),
    (2, $$SELECT logext.log_join(repeat('g', 100000), 'm1')$$),
    (2, $$SELECT logext.log_join('in.g', repeat('m', 100000))$$),
    (2, $$SELECT logext.log_join('grüppe ✓', 'mémbre;''"')$$),
    (2, $$SELECT logext.log_heartbeat('', '')$$),
    (2, $$SELECT logext.log_heartbeat(repeat('g', 100000), repeat('m', 100000))$$),
    (2, $$SELECT logext.log_heartbeat('no.such.group', 'm1')$$),
    (2, $$SELECT logext.log_leave('', '')$$),
    (2, $$SELECT logext.log_leave(repeat('g', 100000), repeat('m', 100000))$$),
    (2, $$SELECT logext.log_leave('no.such.group', 'm1')$$);

--
-- 3. numbers
--
INSERT INTO cases (grp, stmt) VALUES
    (3, $$SELECT logext.log_create('in.n', 0)$$),
    (3, $$SELECT logext.log_create('in.n', -1)$$),
    (3, $$SELECT logext.log_create('in.n', 4097)$$),
    (3, $$SELECT logext.log_create('in.n', 2147483647)$$),
    (3, $$SELECT logext.log_create('in.n', -2147483648)$$),
    (3, $$SELECT logext.log_append('in.a', 'v'::text, partition => 2)$$),
    (3, $$SELECT logext.log_append('in.a', 'v'::text, partition => -1)$$),
    (3, $$SELECT logext.log_append('in.a', 'v'::text, partition => 2147483647)$$),
    (3, $$SELECT logext.log_append('in.a', 'v'::text, partition => -2147483648)$$),
    (3, $$SELECT logext.log_append_batch('in.a', ARRAY['v']::text[], partition => 2)$$),
    (3, $$SELECT logext.log_append_batch('in.a', ARRAY['v']::text[], partition => -2147483648)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, -9223372036854775808)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 9223372036854775807)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 9223372036854775807, 10, 10)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 5)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 6)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 2, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', -1, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 2147483647, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', -2147483648, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, -2147483648)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, 2147483647)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, 1, -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, 1, -2147483648)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 0, 1, 2147483647)$$),
    (3, $$SELECT count(*) FROM logext.log_read('in.a', 0, 5, 1, 1)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, -1)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, -9223372036854775808)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, 0)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, 5)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, 6)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 0, 9223372036854775807)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 2, 0)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', -1, 0)$$),
    (3, $$SELECT logext.log_commit('in.g', 'in.a', 2147483647, 0)$$),
    (3, $$SELECT logext.log_committed('in.g', 'in.a', 0)$$),
    (3, $$SELECT logext.log_committed('in.g', 'in.a', 1)$$),
    (3, $$SELECT logext.log_committed('in.g', 'in.a', 2)$$),
    (3, $$SELECT logext.log_committed('in.g', 'in.a', -1)$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'earliest')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'latest')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'EARLIEST')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '0')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '5')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '6')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '-1')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '9223372036854775807')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '9223372036854775808')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '99999999999999999999999')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', ' 3')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '3x')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', '1e3')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'bogus')$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'earliest', 2)$$),
    (3, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 'earliest', -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 2)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 0, 0)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 0, -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 0, 2147483647)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 0, 10, -1)$$),
    (3, $$SELECT count(*) FROM logext.log_read_group('in.g', 'in.a', 0, 10, 2147483647)$$),
    (3, $$SELECT logext.log_join('in.g', 'm1', 0)$$),
    (3, $$SELECT logext.log_join('in.g', 'm1', -1)$$),
    (3, $$SELECT logext.log_join('in.g', 'm1', -2147483648)$$),
    (3, $$SELECT logext.log_join('in.g', 'm1', 2147483647)$$),
    (3, $$SELECT logext.log_join('in.g', 'm1', 1)$$);

--
-- 4. wrong types and argument counts
--
INSERT INTO cases (grp, stmt) VALUES
    (4, $$SELECT logext.log_create()$$),
    (4, $$SELECT logext.log_create('in.t', 'x')$$),
    (4, $$SELECT logext.log_create('in.t', 1.5)$$),
    (4, $$SELECT logext.log_create('in.t', 2, 3)$$),
    (4, $$SELECT logext.log_create(1, 1)$$),
    (4, $$SELECT logext.log_create(ARRAY['in.t'])$$),
    (4, $$SELECT logext.log_create('in.t', 99999999999)$$),
    (4, $$SELECT logext.log_append('in.a', 'untyped')$$),
    (4, $$SELECT logext.log_append('in.a', 1)$$),
    (4, $$SELECT logext.log_append('in.a', 'v'::text, headers => '{')$$),
    (4, $$SELECT logext.log_append('in.a', 'v'::text, headers => 'not json')$$),
    (4, $$SELECT logext.log_append('in.a', 'v'::text, partition => 'zero')$$),
    (4, $$SELECT logext.log_append('in.a', 'v'::text, nosuch => 1)$$),
    (4, $$SELECT logext.log_append('in.a', '\xzz'::bytea)$$),
    (4, $$SELECT logext.log_append('in.a', '{"a":'::jsonb)$$),
    (4, $$SELECT logext.log_append('in.a')$$),
    (4, $$SELECT logext.log_append_batch('in.a', ARRAY[1, 2])$$),
    (4, $$SELECT logext.log_append_batch('in.a', '{a,b}')$$),
    (4, $$SELECT logext.log_append_batch('in.a', 'v'::text)$$),
    (4, $$SELECT logext.log_append_batch('in.a', ARRAY['{}'::jsonb])$$),
    (4, $$SELECT logext.log_append_batch('in.a', ARRAY['v']::text[], keys => 'k')$$),
    (4, $$SELECT logext.log_append_batch('in.a', ARRAY['v']::text[], headers => ARRAY['{']::jsonb[])$$),
    (4, $$SELECT count(*) FROM logext.log_read('in.a', 0, 'zero')$$),
    (4, $$SELECT count(*) FROM logext.log_read('in.a', 0, 1.5)$$),
    (4, $$SELECT count(*) FROM logext.log_read('in.a', 0)$$),
    (4, $$SELECT count(*) FROM logext.log_read('in.a', 0, 99999999999999999999)$$),
    (4, $$SELECT logext.log_commit('in.g', 'in.a', 0, 'x')$$),
    (4, $$SELECT logext.log_commit('in.g', 'in.a', 0)$$),
    (4, $$SELECT logext.log_reset_offsets('in.g', 'in.a', 5)$$),
    (4, $$SELECT logext.log_join('in.g', 'm1', 'forever')$$),
    (4, $$SELECT logext.murmur2('abc')$$),
    (4, $$SELECT logext.murmur2(123)$$),
    (4, $$SELECT logext.log_compact_offsets('maybe')$$);

--
-- 5. arrays in log_append_batch
--
INSERT INTO cases (grp, stmt) VALUES
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY[]::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '{}'::bytea[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY[NULL]::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', NULL]::bytea[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], keys => ARRAY['k'])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a'], keys => ARRAY['k', 'l'])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a'], keys => ARRAY[]::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], keys => ARRAY[NULL, 'k'])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], headers => ARRAY['{}'::jsonb])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a'], headers => ARRAY['{}', '{}']::jsonb[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], headers => ARRAY[NULL, '[1]']::jsonb[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY[['a', 'b'], ['c', 'd']])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY[['a', 'b'], ['c', 'd']]::bytea[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], keys => ARRAY[['k', 'l']])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b', 'c', 'd'], keys => ARRAY[['k', 'l'], ['m', 'n']])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a', 'b'], headers => ARRAY[['{}', '{}']]::jsonb[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '{{{a}}}'::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '[0:1]={a,b}'::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '[0:1]={a,b}'::text[], keys => '{k,l}'::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '[-5:-4]={a,b}'::text[], keys => '[7:8]={k,l}'::text[],
                                         headers => '[2147483646:2147483647]={"{}","{}"}'::jsonb[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', '[2147483647:2147483647]={a}'::text[])$$),
    (5, $$SELECT logext.log_append_batch('in.a', ARRAY['a'], keys => ARRAY[repeat('k', 65536)])$$),
    (5, $$SELECT logext.log_append_batch('in.a', array_fill('x'::text, ARRAY[100000]))$$),
    (5, $$SELECT logext.log_append_batch('in.a', array_fill('x'::bytea, ARRAY[3], ARRAY[-1]),
                                         array_fill('k'::text, ARRAY[3], ARRAY[-1]))$$),
    (5, $$SELECT logext.log_append_batch('in.a', array_fill('x'::text, ARRAY[2, 0]))$$);

--
-- 6. the internal functions
--
INSERT INTO cases (grp, stmt) VALUES
    (6, $$SELECT logext._segment_init('pg_class'::regclass, 1, 0, 0)$$),
    (6, $$SELECT logext._segment_init('in_heap'::regclass, 1, 0, 0)$$),
    (6, $$SELECT logext._segment_init('logext.logs_pkey'::regclass, 1, 0, 0)$$),
    (6, $$SELECT logext._segment_init((SELECT relid FROM logext.log_segments WHERE log_name = 'in.victim'),
                                      (SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0, 0)$$),
    (6, $$SELECT logext._segment_init((SELECT relid FROM logext.log_segments WHERE log_name = 'in.victim'),
                                      -1, -1, -1)$$),
    (6, $$SELECT logext._segment_create(-1, 0, 'in_seg_x')$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), -1, 'in_seg_x')$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0, '')$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0, 'a"b; DROP TABLE in_heap')$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0, repeat('s', 100))$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0, 'in_heap')$$),
    (6, $$SELECT logext._segment_create((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 0,
                                        (SELECT relname FROM pg_class WHERE oid = (SELECT relid FROM logext.log_segments WHERE log_name = 'in.victim')))$$),
    (6, $$SELECT logext._log_drop_segments(-1, 'in.victim')$$),
    (6, $$SELECT logext._log_drop_segments((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), 'in.a')$$),
    (6, $$SELECT logext._log_drop_segments((SELECT log_id FROM logext.logs WHERE log_name = 'in.victim'), '')$$),
    (6, $$SELECT logext._log_drop_segments(0, '__consumer_offsets')$$),
    (6, $$SELECT logext._log_create('__in', 1)$$),
    (6, $$SELECT logext._log_create('in.fixed', 1, 0)$$),
    (6, $$SELECT logext._log_create('in.fixed', 1, -5)$$),
    (6, $$SELECT logext._log_create('in.fixed', 0, 12345)$$),
    (6, $$SELECT logext.log_compact_offsets(true)$$);

SELECT c.grp, c.id, c.stmt, pg_temp.try(c.stmt) AS result FROM cases c ORDER BY c.id;

-- the logs are intact, and the cases left nothing behind
SELECT log_name, partition, next_offset, record_count FROM logext.partitions
 WHERE log_name LIKE 'in.%' ORDER BY 1, 2;
SELECT log_offset, key, convert_from(value, 'UTF8') AS v FROM logext.log_read('in.a', 1, 0);
SELECT count(*) FROM logext.log_read('in.victim', 0, 0);
SELECT log_name FROM logext.logs EXCEPT SELECT log_name FROM logs_before;
SELECT relname FROM pg_class WHERE relnamespace = 'logext'::regnamespace AND oid NOT IN (SELECT oid FROM rels_before);
SELECT logext.log_committed('in.g', 'in.a', 0) AS committed;
SELECT count(*) FROM logext.group_members;
SELECT count(*) FROM in_heap;

--
-- 7. log_roll, at top level (not allowed in a subtransaction)
--
SELECT logext.log_roll(NULL, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll(repeat('n', 100000), 0);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('a;b''"', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('__consumer_offsets', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', 2);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', 2147483647);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', -2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a');
\echo :LAST_ERROR_SQLSTATE
SELECT logext.log_roll('in.a', 1) AS base;
SELECT logext.log_roll('in.a', 1) AS base_again;
SELECT count(*) FROM logext.log_read('in.a', 1, 0);

--
-- 8. a value of about 1 GB: the largest bytea PostgreSQL can hold
-- (1 GB - 5 bytes) is over logext's record limit (1 GB - 1 MB) and is
-- refused with 54000 (a value over 1 GB cannot even be built)
--
SELECT pg_temp.try($$SELECT logext.log_append('in.a', convert_to(repeat('x', 1073741819), 'UTF8'))$$) AS one_gb;
SELECT log_name, partition, next_offset, record_count FROM logext.partitions
 WHERE log_name = 'in.a' ORDER BY 1, 2;

SELECT logext.log_delete_group('in.g');
SELECT logext.log_drop('in.a');
SELECT logext.log_drop('in.victim');
DROP TABLE in_heap;
