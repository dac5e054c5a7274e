--
-- api: the happy path of the SQL API.
--   log_create / log_drop, the three log_append overloads, the two
--   log_append_batch overloads, log_read, log_last_positions, the
--   partitions and log_segments views, and a seq scan of a segment.
--
-- Output must be deterministic: no timestamps, pids, oids or byte sizes.
--
\set VERBOSITY terse

-- the objects the extension installs
SELECT amname, amtype FROM pg_am WHERE amname = 'log';
SELECT f AS function, to_regprocedure(f) IS NOT NULL AS present
  FROM unnest(ARRAY[
         'logext.log_create(text, integer, interval, bigint, bigint, interval, text, interval)',
         'logext.log_drop(text)',
         'logext.log_append(text, bytea, text, jsonb, integer)',
         'logext.log_append(text, text, text, jsonb, integer)',
         'logext.log_append(text, jsonb, text, jsonb, integer)',
         'logext.log_append_batch(text, bytea[], text[], jsonb[], integer)',
         'logext.log_append_batch(text, text[], text[], jsonb[], integer)',
         'logext.log_last_positions()',
         'logext.murmur2(bytea)',
         'logext.log_partition_for(text, text)',
         'logext.log_partitions()']) WITH ORDINALITY AS t(f, i)
 ORDER BY i;
-- log_read(log_name, partition, from_offset, max_records DEFAULT 1000, ...)
SELECT p.proname, p.pronargs >= 4 AS has_4_or_more_args,
       (p.proargtypes::regtype[])[0:3] AS first_four_arg_types,
       p.proargnames[1:4] AS first_four_arg_names
  FROM pg_proc p
 WHERE p.pronamespace = 'logext'::regnamespace AND p.proname = 'log_read';

-- a log with three partitions
SELECT logext.log_create('api.orders', 3);
SELECT log_name, partitions FROM logext.logs WHERE log_name = 'api.orders';
SELECT log_name, partition, first_offset, next_offset, last_stable_offset,
       record_count, blocked_by_pid, blocked_since
  FROM logext.partitions WHERE log_name = 'api.orders' ORDER BY partition;

-- one segment relation per partition, of access method "log"
SELECT s.log_name, s.partition, s.base_offset, a.amname, c.relnamespace::regnamespace AS nsp
  FROM logext.log_segments s
  JOIN pg_class c ON c.oid = s.relid
  JOIN pg_am a ON a.oid = c.relam
 WHERE s.log_name = 'api.orders' ORDER BY s.partition;

-- nothing to read yet
SELECT * FROM logext.log_read('api.orders', 0, 0);

-- the three overloads of log_append; each returns the partition used.
-- An untyped literal resolves to the text overload.
SELECT logext.log_append('api.orders', 'plain text', partition => 0);
SELECT logext.log_append('api.orders', '\x00ff10'::bytea, partition => 0);
SELECT logext.log_append('api.orders', '{"b": 2, "a": [1, "x"]}'::jsonb, partition => 0);
SELECT logext.log_append('api.orders', 'with key and headers'::text, key => 'k-1',
                         headers => '{"h1": "v1", "n": 7}', partition => 0);
SELECT logext.log_append('api.orders', 'héllo wörld ✓'::text, partition => 0);
SELECT logext.log_append('api.orders', ''::bytea, partition => 0);          -- empty value
SELECT logext.log_append('api.orders', '"json string"'::jsonb, partition => 0);
-- positional arguments
SELECT logext.log_append('api.orders', 'positional'::text, NULL, NULL, 0);

-- the records, in offset order, exactly as appended
SELECT partition, log_offset, key, value, headers
  FROM logext.log_read('api.orders', 0, 0) ORDER BY log_offset;
SELECT log_offset,
       CASE WHEN log_offset = 1 THEN '(binary)' ELSE convert_from(value, 'UTF8') END AS value_text,
       octet_length(value) AS len
  FROM logext.log_read('api.orders', 0, 0) ORDER BY log_offset;
-- appended_at is set and sane (not shown: it is a timestamp)
SELECT count(*) AS n,
       bool_and(appended_at IS NOT NULL AND appended_at <= now()
                AND appended_at > now() - interval '1 hour') AS sane
  FROM logext.log_read('api.orders', 0, 0);

-- reading from the middle, with a limit, and past the end
SELECT log_offset FROM logext.log_read('api.orders', 0, 3) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 2, 3) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 7, 1000) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 8) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 1000000) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 9223372036854775807) ORDER BY log_offset;
SELECT log_offset FROM logext.log_read('api.orders', 0, 0, 1) ORDER BY log_offset;
-- the other partitions are still empty
SELECT count(*) FROM logext.log_read('api.orders', 1, 0);
SELECT count(*) FROM logext.log_read('api.orders', 2, 0);

-- the last append transaction was a single record at partition 0, offset 7
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;

-- one transaction over several partitions: positions per partition;
-- records of one transaction in one partition get consecutive offsets
-- in the order they were appended
BEGIN;
SELECT logext.log_append('api.orders', 'p1-a'::text, partition => 1);
SELECT logext.log_append('api.orders', 'p2-a'::text, partition => 2);
SELECT logext.log_append('api.orders', 'p1-b'::text, partition => 1);
SELECT logext.log_append('api.orders', 'p0-a'::text, partition => 0);
SELECT logext.log_append('api.orders', 'p1-c'::text, partition => 1);
COMMIT;
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api.orders', 1, 0) ORDER BY log_offset;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api.orders', 2, 0) ORDER BY log_offset;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api.orders', 0, 8) ORDER BY log_offset;

-- a transaction that appends nothing does not change log_last_positions()
SELECT 1 AS no_append;
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;

-- many appends in one statement
SELECT count(logext.log_append('api.orders', 'bulk-' || g, partition => 2))
  FROM generate_series(1, 500) g;
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;
SELECT count(*), min(log_offset), max(log_offset),
       bool_and(convert_from(value, 'UTF8') = 'bulk-' || log_offset) AS in_order
  FROM logext.log_read('api.orders', 2, 1, 100000);

-- batches: both overloads, with and without keys and headers
SELECT logext.log_append_batch('api.orders', ARRAY['b1', 'b2', 'b3']::text[], partition => 1);
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;
SELECT logext.log_append_batch('api.orders', ARRAY['\x01'::bytea, '\x0203'::bytea],
                               keys => ARRAY['kb1', NULL],
                               headers => ARRAY['{"i": 1}'::jsonb, NULL],
                               partition => 1);
SELECT logext.log_append_batch('api.orders', ARRAY[]::text[]);
SELECT partition, log_offset, key, value, headers
  FROM logext.log_read('api.orders', 1, 3) ORDER BY log_offset;
-- keyed batch without a partition: each record is routed by its own key
SELECT logext.log_append_batch('api.orders', ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6']::text[],
                               keys => ARRAY['user-1', 'user-2', 'user-3', 'k1', 'k2', 'k3']);
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;
SELECT r.partition, r.key, convert_from(r.value, 'UTF8') AS v,
       r.partition = logext.log_partition_for('api.orders', r.key) AS routed_by_key
  FROM generate_series(0, 2) p,
       LATERAL logext.log_read('api.orders', p, 0, 100000) r
 WHERE r.key IN ('user-1', 'user-2', 'user-3', 'k1', 'k2', 'k3')
 ORDER BY r.partition, r.log_offset;

-- the partitions view after all that
SELECT log_name, partition, first_offset, next_offset, last_stable_offset,
       record_count, bytes > 0 AS has_bytes, blocked_by_pid, blocked_since
  FROM logext.partitions WHERE log_name = 'api.orders' ORDER BY partition;

-- a seq scan of a segment relation shows the committed records
SELECT relid AS seg0 FROM logext.log_segments
 WHERE log_name = 'api.orders' AND partition = 0 \gset
SELECT partition, log_offset, key, value, headers FROM :seg0 ORDER BY log_offset;
SELECT count(*) FROM :seg0;
SELECT log_offset FROM :seg0 WHERE key = 'k-1';
-- ... and agrees with log_read on every column, appended_at included
SELECT count(*) AS same
  FROM :seg0 s
  JOIN logext.log_read('api.orders', 0, 0) r USING (log_offset)
 WHERE s.partition = r.partition AND s.appended_at = r.appended_at
   AND s.key IS NOT DISTINCT FROM r.key AND s.value = r.value
   AND s.headers IS NOT DISTINCT FROM r.headers;
-- ... for every partition
SELECT s.partition,
       (SELECT count(*) FROM logext.log_read('api.orders', s.partition, 0, 100000)) AS via_read,
       p.record_count AS via_view
  FROM logext.log_segments s
  JOIN logext.partitions p USING (log_name, partition)
 WHERE s.log_name = 'api.orders' ORDER BY s.partition;

-- an uncommitted append is invisible to the seq scan too, even in its own transaction
BEGIN;
SELECT logext.log_append('api.orders', 'pending'::text, partition => 0);
SELECT count(*) FROM :seg0;
SELECT count(*) FROM logext.log_read('api.orders', 0, 0);
ROLLBACK;

-- a second log is independent of the first
SELECT logext.log_create('api_Second-log.v2');   -- default: one partition
SELECT log_name, partitions FROM logext.logs WHERE log_name LIKE 'api%' ORDER BY log_name;
SELECT logext.log_append('api_Second-log.v2', 'only one'::text);
SELECT logext.log_append('api_Second-log.v2', 'keyed'::text, key => 'any key');
SELECT partition, log_offset, key, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api_Second-log.v2', 0, 0) ORDER BY log_offset;
SELECT log_name, partition, next_offset FROM logext.partitions
 WHERE log_name LIKE 'api%' ORDER BY log_name, partition;

-- log_drop removes the catalog rows, the segment relations and the view rows
SELECT logext.log_drop('api.orders');
SELECT count(*) FROM logext.logs WHERE log_name = 'api.orders';
SELECT count(*) FROM logext.log_segments WHERE log_name = 'api.orders';
SELECT count(*) FROM logext.partitions WHERE log_name = 'api.orders';
SELECT to_regclass(:'seg0') IS NULL AS segment_gone;

-- the name can be reused; the new log starts again at offset 0
SELECT logext.log_create('api.orders', 2);
SELECT logext.log_append('api.orders', 'reborn'::text, partition => 1);
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api.orders', 1, 0) ORDER BY log_offset;
SELECT count(*) FROM logext.log_read('api.orders', 0, 0);

-- a drop that rolls back keeps the log and its records
BEGIN;
SELECT logext.log_drop('api.orders');
ROLLBACK;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('api.orders', 1, 0) ORDER BY log_offset;

-- a create that rolls back leaves nothing
BEGIN;
SELECT logext.log_create('api.rolledback', 2);
ROLLBACK;
SELECT count(*) FROM logext.logs WHERE log_name = 'api.rolledback';
SELECT count(*) FROM logext.partitions WHERE log_name = 'api.rolledback';

-- clean up
SELECT logext.log_drop('api.orders');
SELECT logext.log_drop('api_Second-log.v2');
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
SELECT count(*) FROM logext.partitions WHERE log_name NOT LIKE '\_\_%';
