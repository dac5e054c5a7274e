--
-- errors: every kind of bad input is rejected with the right SQLSTATE, and
-- leaves nothing behind.
--
-- pg_temp.sqlstate(stmt) runs stmt and returns 'ok' or the SQLSTATE it
-- raised; the SQLSTATE (not the wording) is the contract:
--   22004 null_value_not_allowed   22023 invalid_parameter_value
--   42602 invalid_name             42704 undefined_object
--   42710 duplicate_object         25006 read_only_sql_transaction
--   42939 reserved_name
--
\set VERBOSITY terse

CREATE FUNCTION pg_temp.sqlstate(stmt text) RETURNS text
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$f$;

-- a table that an injected statement would drop
CREATE TABLE y (a int);
INSERT INTO y VALUES (1);

--
-- log_create
--
SELECT t.name_shown, pg_temp.sqlstate(format('SELECT logext.log_create(%L, 1)', t.name)) AS result
  FROM (VALUES (1, 'x"; drop table y; --', 'x"; drop table y; --'),
               (2, $$x'); drop table y; --$$, $$x'); drop table y; --$$),
               (3, 'a b', 'a b'),
               (4, '', 'empty'),
               (5, ' ', 'space'),
               (6, 'a/b', 'a/b'),
               (7, 'a;b', 'a;b'),
               (8, 'ä', 'ä'),
               (9, E'abc\n', 'abc + newline'),
               (10, E'\nabc', 'newline + abc'),
               (11, E'ab\tc', 'tab'),
               (12, 'seg_1_0_0"', 'seg_1_0_0"'),
               (13, '%s%s%I', '%s%s%I'),
               (14, 'a*', 'a*'),
               (15, repeat('n', 64), '64 chars'),
               (16, repeat('n', 100000), '100000 chars'),
               (17, repeat('ä', 100), '100 x ä')) AS t(i, name, name_shown)
 ORDER BY t.i;
-- nothing was created, and y survived
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
SELECT * FROM y;

-- NULL name
SELECT pg_temp.sqlstate('SELECT logext.log_create(NULL, 1)');
SELECT pg_temp.sqlstate('SELECT logext.log_create(NULL)');
-- partitions out of range or NULL
SELECT t.p, pg_temp.sqlstate(format('SELECT logext.log_create(%L, %s)', 'err.p' || t.i, t.p)) AS result
  FROM (VALUES (1, '0'), (2, '-1'), (3, '4097'), (4, '-2147483648'),
               (5, '2147483647'), (6, 'NULL')) AS t(i, p)
 ORDER BY t.i;
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)

-- the edges that are valid: 1 character, 63 characters, every allowed character
SELECT logext.log_create('x');
SELECT logext.log_create(repeat('n', 63));
SELECT logext.log_create('AZaz09._-');
SELECT logext.log_create('.');
SELECT logext.log_create('-');
-- a wide log (4096, the largest count, needs more lock table than a default
-- server has for dropping it in one transaction, so 1024 here; 4097 is
-- refused above)
SELECT logext.log_create('err.wide', 1024);
SELECT count(*), min(partition), max(partition) FROM logext.partitions WHERE log_name = 'err.wide';
SELECT logext.log_append('err.wide', 'last partition'::text, partition => 1023);
SELECT pg_temp.sqlstate($$SELECT logext.log_append('err.wide', 'v'::text, partition => 1024)$$);
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v FROM logext.log_read('err.wide', 1023, 0);
SELECT logext.log_drop('err.wide');
-- names are case sensitive
SELECT logext.log_create('Err.Case');
SELECT logext.log_create('err.case');
SELECT CASE WHEN length(log_name) > 20 THEN left(log_name, 3) || '...' ELSE log_name END AS log_name,
       length(log_name), partitions
  FROM logext.logs WHERE log_name NOT LIKE '\_\_%' ORDER BY log_name COLLATE "C";

-- names starting with "__" are reserved for logext's own logs (42939
-- reserved_name); a single leading underscore is an ordinary name
SELECT pg_temp.sqlstate($$SELECT logext.log_create('__x')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_create('__consumer_offsets')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_create('__')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('__consumer_offsets')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('__no_such_internal_log')$$);
SELECT logext.log_create('_x');
SELECT logext.log_drop('_x');

-- duplicates
SELECT pg_temp.sqlstate($$SELECT logext.log_create('x')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_create('x', 5)$$);
SELECT pg_temp.sqlstate(format('SELECT logext.log_create(%L)', repeat('n', 63)));
SELECT pg_temp.sqlstate($$SELECT logext.log_create('Err.Case')$$);
-- the duplicate attempt changed nothing
SELECT log_name, partitions FROM logext.logs WHERE log_name = 'x';

--
-- log_drop
--
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('no.such.log')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('x"; drop table y; --')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('')$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop(NULL)$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('ERR.CASE')$$);
SELECT logext.log_drop('Err.Case');
SELECT pg_temp.sqlstate($$SELECT logext.log_drop('Err.Case')$$);  -- already dropped
SELECT logext.log_drop(repeat('n', 63));
SELECT logext.log_drop('AZaz09._-');
SELECT logext.log_drop('.');
SELECT logext.log_drop('-');
SELECT log_name FROM logext.logs WHERE log_name NOT LIKE '\_\_%' ORDER BY log_name COLLATE "C";
SELECT * FROM y;

--
-- log_append
--
SELECT logext.log_create('err.a', 3);
SELECT t.descr, pg_temp.sqlstate(t.stmt) AS result
  FROM (VALUES
    (1,  'NULL log name (bytea)',     $$SELECT logext.log_append(NULL, '\x01'::bytea)$$),
    (2,  'NULL log name (text)',      $$SELECT logext.log_append(NULL, 'v'::text)$$),
    (3,  'NULL log name (jsonb)',     $$SELECT logext.log_append(NULL, '1'::jsonb)$$),
    (4,  'NULL value (bytea)',        $$SELECT logext.log_append('err.a', NULL::bytea)$$),
    (5,  'NULL value (text)',         $$SELECT logext.log_append('err.a', NULL::text)$$),
    (6,  'NULL value (jsonb)',        $$SELECT logext.log_append('err.a', NULL::jsonb)$$),
    (7,  'NULL value (untyped)',      $$SELECT logext.log_append('err.a', NULL)$$),
    (8,  'NULL value with key',       $$SELECT logext.log_append('err.a', NULL::text, key => 'k')$$),
    (9,  'unknown log',               $$SELECT logext.log_append('no.such.log', 'v'::text)$$),
    (10, 'unknown log, injection',    $$SELECT logext.log_append('x"; drop table y; --', 'v'::text)$$),
    (11, 'unknown log, empty name',   $$SELECT logext.log_append('', 'v'::text)$$),
    (12, 'unknown log, other case',   $$SELECT logext.log_append('ERR.A', 'v'::text)$$),
    (13, 'partition = partitions',    $$SELECT logext.log_append('err.a', 'v'::text, partition => 3)$$),
    (14, 'partition -1',              $$SELECT logext.log_append('err.a', 'v'::text, partition => -1)$$),
    (15, 'partition 4096',            $$SELECT logext.log_append('err.a', 'v'::text, partition => 4096)$$),
    (16, 'partition int min',         $$SELECT logext.log_append('err.a', 'v'::text, partition => -2147483648)$$),
    (17, 'partition int max',         $$SELECT logext.log_append('err.a', 'v'::text, partition => 2147483647)$$),
    (18, 'bad partition with key',    $$SELECT logext.log_append('err.a', 'v'::text, key => 'k', partition => 3)$$),
    (19, 'bad partition, bytea',      $$SELECT logext.log_append('err.a', '\x01'::bytea, partition => 3)$$),
    (20, 'bad partition, jsonb',      $$SELECT logext.log_append('err.a', '1'::jsonb, partition => -1)$$),
    (21, 'NULL value, unknown log',   $$SELECT logext.log_append('no.such.log', NULL::text)$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
-- none of that appended anything
SELECT log_name, partition, next_offset, record_count FROM logext.partitions
 WHERE log_name = 'err.a' ORDER BY partition;

-- a key longer than the 65535 bytes a record can hold is rejected
SELECT pg_temp.sqlstate($$SELECT logext.log_append('err.a', 'v'::text, key => repeat('k', 70000))$$) <> 'ok'
       AS too_long_key_rejected;
-- a key of exactly 65535 bytes fits
SELECT logext.log_append('err.a', 'v'::text, key => repeat('k', 65535), partition => 0);
SELECT log_offset, octet_length(key) FROM logext.log_read('err.a', 0, 0) ORDER BY log_offset;

-- key and partition disagreeing is allowed: the explicit partition wins
SELECT logext.log_partition_for('err.a', 'user-1');                    -- 2
SELECT logext.log_append('err.a', 'explicit wins'::text, key => 'user-1', partition => 0);
SELECT partition, log_offset, key, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('err.a', 0, 1) ORDER BY log_offset;

-- an error in a transaction after appends: nothing from it appears
\set VERBOSITY sqlstate
BEGIN;
SELECT logext.log_append('err.a', 'before error'::text, partition => 0);
SELECT logext.log_append('err.a', 'v'::text, partition => 99);
COMMIT;
\set VERBOSITY terse
SELECT count(*) FROM logext.log_read('err.a', 0, 0);

--
-- log_append_batch
--
SELECT t.descr, pg_temp.sqlstate(t.stmt) AS result
  FROM (VALUES
    (1,  'NULL log name',                $$SELECT logext.log_append_batch(NULL, ARRAY['a']::text[])$$),
    (2,  'NULL values array (text)',     $$SELECT logext.log_append_batch('err.a', NULL::text[])$$),
    (3,  'NULL values array (bytea)',    $$SELECT logext.log_append_batch('err.a', NULL::bytea[])$$),
    (4,  'NULL element (text)',          $$SELECT logext.log_append_batch('err.a', ARRAY['a', NULL, 'c']::text[])$$),
    (5,  'NULL element (bytea)',         $$SELECT logext.log_append_batch('err.a', ARRAY['\x01'::bytea, NULL])$$),
    (6,  'keys shorter',                 $$SELECT logext.log_append_batch('err.a', ARRAY['a', 'b']::text[], keys => ARRAY['k'])$$),
    (7,  'keys longer',                  $$SELECT logext.log_append_batch('err.a', ARRAY['a', 'b']::text[], keys => ARRAY['k', 'k', 'k'])$$),
    (8,  'headers shorter',              $$SELECT logext.log_append_batch('err.a', ARRAY['a', 'b']::text[], headers => ARRAY['{}'::jsonb])$$),
    (9,  'headers longer (bytea)',       $$SELECT logext.log_append_batch('err.a', ARRAY['\x01'::bytea], headers => ARRAY['{}'::jsonb, '{}'])$$),
    (10, 'empty values, one key',        $$SELECT logext.log_append_batch('err.a', ARRAY[]::text[], keys => ARRAY['k'])$$),
    (11, 'unknown log',                  $$SELECT logext.log_append_batch('no.such.log', ARRAY['a']::text[])$$),
    (12, 'partition out of range',       $$SELECT logext.log_append_batch('err.a', ARRAY['a']::text[], partition => 3)$$),
    (13, 'negative partition',           $$SELECT logext.log_append_batch('err.a', ARRAY['a']::text[], partition => -1)$$),
    (14, 'two-dimensional values',       $$SELECT logext.log_append_batch('err.a', ARRAY[['a', 'b'], ['c', 'd']]::text[])$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
SELECT log_name, partition, next_offset, record_count FROM logext.partitions
 WHERE log_name = 'err.a' ORDER BY partition;
-- NULL keys and NULL headers inside the arrays are fine, and so is a NULL keys array
SELECT logext.log_append_batch('err.a', ARRAY['n1', 'n2']::text[], keys => ARRAY[NULL, NULL]::text[],
                               headers => ARRAY[NULL, NULL]::jsonb[], partition => 2);
SELECT logext.log_append_batch('err.a', ARRAY['n3']::text[], keys => NULL, headers => NULL, partition => 2);
SELECT partition, log_offset, key, convert_from(value, 'UTF8') AS v, headers
  FROM logext.log_read('err.a', 2, 0) ORDER BY log_offset;

--
-- log_read
--
SELECT t.descr, pg_temp.sqlstate(t.stmt) AS result
  FROM (VALUES
    (1,  'negative offset',           $$SELECT * FROM logext.log_read('err.a', 0, -1)$$),
    (2,  'offset int8 min',           $$SELECT * FROM logext.log_read('err.a', 0, -9223372036854775808)$$),
    (3,  'max_records 0',             $$SELECT * FROM logext.log_read('err.a', 0, 0, 0)$$),
    (4,  'max_records -1',            $$SELECT * FROM logext.log_read('err.a', 0, 0, -1)$$),
    (5,  'unknown log',               $$SELECT * FROM logext.log_read('no.such.log', 0, 0)$$),
    (6,  'unknown log, injection',    $$SELECT * FROM logext.log_read('x"; drop table y; --', 0, 0)$$),
    (7,  'partition = partitions',    $$SELECT * FROM logext.log_read('err.a', 3, 0)$$),
    (8,  'partition -1',              $$SELECT * FROM logext.log_read('err.a', -1, 0)$$),
    (9,  'NULL log name',             $$SELECT * FROM logext.log_read(NULL, 0, 0)$$),
    (10, 'NULL partition',            $$SELECT * FROM logext.log_read('err.a', NULL, 0)$$),
    (11, 'NULL offset',               $$SELECT * FROM logext.log_read('err.a', 0, NULL)$$),
    (12, 'NULL max_records',          $$SELECT * FROM logext.log_read('err.a', 0, 0, NULL)$$),
    (13, 'offset past the end',       $$SELECT * FROM logext.log_read('err.a', 0, 1000)$$),
    (14, 'max_records int max',       $$SELECT * FROM logext.log_read('err.a', 0, 0, 2147483647)$$)
  ) AS t(i, descr, stmt)
 ORDER BY t.i;
SELECT count(*) FROM logext.log_read('err.a', 0, 1000);

--
-- routing helpers
--
SELECT logext.murmur2(NULL) IS NULL AS strict_null;
SELECT logext.log_partition_for('err.a', NULL) IS NULL AS strict_null;
SELECT pg_temp.sqlstate($$SELECT logext.log_partition_for('no.such.log', 'k')$$);

--
-- writing in a read-only transaction is refused
--
BEGIN READ ONLY;
SELECT pg_temp.sqlstate($$SELECT logext.log_append('err.a', 'ro'::text)$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_append_batch('err.a', ARRAY['ro']::text[])$$);
COMMIT;
SET default_transaction_read_only = on;
SELECT pg_temp.sqlstate($$SELECT logext.log_append('err.a', 'ro'::text, partition => 1)$$);
RESET default_transaction_read_only;
-- reading is fine in a read-only transaction
BEGIN READ ONLY;
SELECT count(*) FROM logext.log_read('err.a', 0, 0);
COMMIT;
SELECT log_name, partition, next_offset, record_count FROM logext.partitions
 WHERE log_name = 'err.a' ORDER BY partition;

-- the internal helpers are not for PUBLIC
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'logext'::regnamespace AND p.proname LIKE '\_%'
 ORDER BY 1;

-- clean up
SELECT logext.log_drop('err.a');
SELECT logext.log_drop('x');
SELECT logext.log_drop('err.case');
DROP TABLE y;
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
