-- pgTAP: the objects of the public API exist with the documented
-- signatures, return types, volatility, strictness and parallel safety.
-- Run with pg_prove in a database with CREATE EXTENSION pgtap, logext.
BEGIN;
SELECT plan(74);

SELECT has_extension('logext', 'extension logext is installed');
SELECT has_schema('logext');
SELECT ok(EXISTS (SELECT 1 FROM pg_am WHERE amname = 'log' AND amtype = 't'),
          'table access method "log" exists');
SELECT ok((SELECT amhandler::text FROM pg_am WHERE amname = 'log') = 'logext.log_tableam_handler',
          'access method "log" uses logext.log_tableam_handler');

-- catalog tables and views
SELECT has_table('logext', 'logs', 'catalog table logext.logs');
SELECT has_table('logext', 'segments', 'catalog table logext.segments');
SELECT has_view('logext', 'partitions', 'view logext.partitions');
SELECT has_view('logext', 'log_segments', 'view logext.log_segments');
SELECT columns_are('logext', 'partitions',
    ARRAY['log_name', 'partition', 'first_offset', 'next_offset', 'last_stable_offset',
          'record_count', 'bytes', 'blocked_by_pid', 'blocked_since']);
SELECT col_type_is('logext', 'partitions', 'next_offset', 'bigint', 'partitions.next_offset is bigint');
SELECT col_type_is('logext', 'partitions', 'last_stable_offset', 'bigint', 'partitions.last_stable_offset is bigint');
SELECT col_type_is('logext', 'partitions', 'blocked_by_pid', 'integer', 'partitions.blocked_by_pid is integer');
SELECT col_type_is('logext', 'partitions', 'blocked_since', 'timestamp with time zone', 'partitions.blocked_since is timestamptz');
SELECT columns_are('logext', 'log_segments',
    ARRAY['log_name', 'partition', 'base_offset', 'relid', 'bytes', 'created_at']);
SELECT col_type_is('logext', 'log_segments', 'relid', 'regclass', 'log_segments.relid is regclass');

-- administration
SELECT has_function('logext', 'log_create', ARRAY['text', 'integer', 'interval', 'bigint', 'bigint', 'interval', 'text', 'interval']);
SELECT function_returns('logext', 'log_create', ARRAY['text', 'integer', 'interval', 'bigint', 'bigint', 'interval', 'text', 'interval'], 'void');
SELECT has_function('logext', 'log_alter', ARRAY['text', 'integer', 'interval', 'bigint', 'bigint', 'interval', 'text', 'interval']);
SELECT function_returns('logext', 'log_alter', ARRAY['text', 'integer', 'interval', 'bigint', 'bigint', 'interval', 'text', 'interval'], 'void');
SELECT has_function('logext', 'log_enforce_retention', ARRAY['text']);
SELECT function_returns('logext', 'log_enforce_retention', ARRAY['text'], 'integer');
SELECT has_view('logext', 'log_settings', 'view logext.log_settings');
SELECT has_function('logext', 'log_drop', ARRAY['text']);
SELECT function_returns('logext', 'log_drop', ARRAY['text'], 'void');
SELECT volatility_is('logext', 'log_create', ARRAY['text', 'integer', 'interval', 'bigint', 'bigint', 'interval', 'text', 'interval'], 'volatile');

-- appending: three overloads of log_append, two of log_append_batch
SELECT has_function('logext', 'log_append', ARRAY['text', 'bytea', 'text', 'jsonb', 'integer']);
SELECT has_function('logext', 'log_append', ARRAY['text', 'text', 'text', 'jsonb', 'integer']);
SELECT has_function('logext', 'log_append', ARRAY['text', 'jsonb', 'text', 'jsonb', 'integer']);
SELECT function_returns('logext', 'log_append', ARRAY['text', 'bytea', 'text', 'jsonb', 'integer'], 'integer');
SELECT function_returns('logext', 'log_append', ARRAY['text', 'text', 'text', 'jsonb', 'integer'], 'integer');
SELECT function_returns('logext', 'log_append', ARRAY['text', 'jsonb', 'text', 'jsonb', 'integer'], 'integer');
SELECT volatility_is('logext', 'log_append', ARRAY['text', 'bytea', 'text', 'jsonb', 'integer'], 'volatile');
SELECT isnt_strict('logext', 'log_append', ARRAY['text', 'bytea', 'text', 'jsonb', 'integer'],
                   'log_append is not strict (it reports NULLs itself)');
SELECT has_function('logext', 'log_append_batch', ARRAY['text', 'bytea[]', 'text[]', 'jsonb[]', 'integer']);
SELECT has_function('logext', 'log_append_batch', ARRAY['text', 'text[]', 'text[]', 'jsonb[]', 'integer']);
SELECT function_returns('logext', 'log_append_batch', ARRAY['text', 'bytea[]', 'text[]', 'jsonb[]', 'integer'], 'bigint');
SELECT function_returns('logext', 'log_append_batch', ARRAY['text', 'text[]', 'text[]', 'jsonb[]', 'integer'], 'bigint');
SELECT has_function('logext', 'log_last_positions', ARRAY[]::name[]);
SELECT function_returns('logext', 'log_last_positions', ARRAY[]::name[], 'setof record');

-- the defaults of the optional arguments
SELECT is((SELECT pronargdefaults::int FROM pg_proc
            WHERE oid = 'logext.log_append(text, bytea, text, jsonb, integer)'::regprocedure),
          3, 'log_append has 3 defaulted arguments (key, headers, partition)');
SELECT is((SELECT pronargdefaults::int FROM pg_proc
            WHERE oid = 'logext.log_append_batch(text, text[], text[], jsonb[], integer)'::regprocedure),
          3, 'log_append_batch has 3 defaulted arguments (keys, headers, partition)');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'logext.log_append(text, bytea, text, jsonb, integer)'::regprocedure),
          ARRAY['log_name', 'value', 'key', 'headers', 'partition'], 'log_append argument names');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'logext.log_append_batch(text, bytea[], text[], jsonb[], integer)'::regprocedure),
          ARRAY['log_name', 'values', 'keys', 'headers', 'partition'], 'log_append_batch argument names');

-- reading
SELECT has_function('logext', 'log_read', ARRAY['text', 'integer', 'bigint', 'integer', 'integer']);
SELECT function_returns('logext', 'log_read', ARRAY['text', 'integer', 'bigint', 'integer', 'integer'], 'setof logext.record');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'logext.log_read(text, integer, bigint, integer, integer)'::regprocedure),
          ARRAY['log_name', 'partition', 'from_offset', 'max_records', 'wait_ms'],
          'log_read arguments');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
             FROM pg_attribute
            WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'logext.record'::regtype) AND attnum > 0 AND NOT attisdropped),
          'partition integer, log_offset bigint, appended_at timestamp with time zone, key text, value bytea, headers jsonb',
          'log_read result columns and types: logext.record');
SELECT is(ARRAY(SELECT DISTINCT pg_get_function_result(p.oid)
                  FROM pg_proc p
                 WHERE p.pronamespace = 'logext'::regnamespace
                   AND p.proname IN ('log_read', 'log_records', 'log_read_group')),
          ARRAY['SETOF logext.record'],
          'every reading function returns logext.record');
SELECT is((SELECT pg_get_function_result('logext.log_last_positions()'::regprocedure)),
          'TABLE(log_name text, partition integer, first_offset bigint, last_offset bigint)',
          'log_last_positions result columns and types');
SELECT is((SELECT pg_get_function_arguments('logext.log_read(text, integer, bigint, integer, integer)'::regprocedure)),
          'log_name text, partition integer, from_offset bigint, max_records integer DEFAULT 1000, wait_ms integer DEFAULT 0',
          'log_read defaults: max_records 1000, wait_ms 0');

-- routing
SELECT has_function('logext', 'murmur2', ARRAY['bytea']);
SELECT function_returns('logext', 'murmur2', ARRAY['bytea'], 'integer');
SELECT volatility_is('logext', 'murmur2', ARRAY['bytea'], 'immutable');
SELECT is_strict('logext', 'murmur2', ARRAY['bytea']);
SELECT has_function('logext', 'log_partition_for', ARRAY['text', 'text']);
SELECT function_returns('logext', 'log_partition_for', ARRAY['text', 'text'], 'integer');
SELECT is_strict('logext', 'log_partition_for', ARRAY['text', 'text']);

-- checking
SELECT has_function('logext', 'log_verify', ARRAY['text']);
SELECT is((SELECT pg_get_function_result('logext.log_verify(text)'::regprocedure)),
          'TABLE(partition integer, segment regclass, block bigint, log_offset bigint, problem text)',
          'log_verify result columns and types');

-- monitoring
SELECT has_function('logext', 'log_partitions', ARRAY[]::name[]);
SELECT function_returns('logext', 'log_partitions', ARRAY[]::name[], 'setof record');

-- parallel safety: writers are unsafe, murmur2 is safe
SELECT is(array_agg(DISTINCT proparallel::text), ARRAY['u'],
          'every log_append and log_append_batch overload is PARALLEL UNSAFE')
  FROM pg_proc WHERE pronamespace = 'logext'::regnamespace
                 AND proname IN ('log_append', 'log_append_batch', 'log_create', 'log_drop');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'logext.murmur2(bytea)'::regprocedure),
          's', 'murmur2 is PARALLEL SAFE');
SELECT is(array_agg(DISTINCT provolatile::text), ARRAY['v'],
          'every writing function is VOLATILE')
  FROM pg_proc WHERE pronamespace = 'logext'::regnamespace
                 AND proname IN ('log_append', 'log_append_batch', 'log_create', 'log_drop', 'log_last_positions');

-- every public function has a comment
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every public logext function has a COMMENT')
  FROM pg_proc p
 WHERE p.pronamespace = 'logext'::regnamespace
   AND p.proname NOT LIKE '\_%'
   AND p.proname <> 'log_tableam_handler'
   AND obj_description(p.oid, 'pg_proc') IS NULL;

-- privileges: internal helpers are not executable by PUBLIC, the API is
SELECT ok(NOT has_function_privilege('public', 'logext._segment_init(regclass, integer, integer, bigint)', 'EXECUTE'),
          '_segment_init is not executable by PUBLIC');
SELECT ok(NOT has_function_privilege('public', 'logext._log_drop_segments(integer, text)', 'EXECUTE'),
          '_log_drop_segments is not executable by PUBLIC');
SELECT ok(has_function_privilege('public', 'logext.log_read(text, integer, bigint, integer, integer)', 'EXECUTE'),
          'log_read is executable by PUBLIC');
SELECT ok(has_function_privilege('public', 'logext.log_verify(text)', 'EXECUTE'),
          'log_verify is executable by PUBLIC (it checks that the caller owns the log)');
SELECT ok(has_schema_privilege('public', 'logext', 'USAGE'), 'PUBLIC has USAGE on schema logext');

-- segments created by log_create use the "log" access method
SELECT lives_ok($$SELECT logext.log_create('pgtap.objects', 3)$$, 'log_create works');
SELECT is((SELECT count(*)::int FROM logext.log_segments WHERE log_name = 'pgtap.objects'), 3,
          'one segment per partition');
SELECT is((SELECT array_agg(DISTINCT a.amname::text)
             FROM logext.log_segments s JOIN pg_class c ON c.oid = s.relid JOIN pg_am a ON a.oid = c.relam
            WHERE s.log_name = 'pgtap.objects'),
          ARRAY['log'], 'segments use access method "log"');
SELECT results_eq(
    $$SELECT partition, first_offset, next_offset, last_stable_offset FROM logext.partitions
       WHERE log_name = 'pgtap.objects' ORDER BY partition$$,
    $$VALUES (0, 0::bigint, 0::bigint, 0::bigint), (1, 0, 0, 0), (2, 0, 0, 0)$$,
    'a new log has empty partitions starting at offset 0');

SELECT * FROM finish();
ROLLBACK;
