--
-- routing: Kafka's default partitioner.
--   murmur2(bytes) is Kafka's Utils.murmur2 (seed 0x9747b28c) as a signed
--   int32; a keyed record goes to (murmur2(utf8 key) & 0x7fffffff) % partitions.
--   The expected hashes below are Kafka's own test vectors (UtilsTest) plus
--   values computed with an independent implementation; none are taken from
--   logext's output.
--
\set VERBOSITY terse

SELECT t.input, logext.murmur2(convert_to(t.input, 'UTF8')) AS murmur2, t.expected,
       logext.murmur2(convert_to(t.input, 'UTF8')) = t.expected AS ok
  FROM (VALUES (1, '21', -973932308),
               (2, 'foobar', -790332482),
               (3, 'a-little-bit-long-string', -985981536),
               (4, 'a-little-bit-longer-string', -1486304829),
               (5, 'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971),
               (6, 'abc', 479470107),
               (7, '', 275646681),
               (8, 'a', -1563381124),
               (9, 'ab', 316155434),
               (10, 'abcd', -1323649548),
               (11, 'é', 186971271),
               (12, '日本', -700811021),
               (13, 'user-1', 1404122828),
               (14, 'user-2', -324981792),
               (15, 'user-3', 1141442267)) AS t(i, input, expected)
 ORDER BY t.i;

-- bytes with the high bit set (Java sign extension must be masked away)
SELECT encode(t.b, 'hex') AS input, logext.murmur2(t.b) AS murmur2, t.expected,
       logext.murmur2(t.b) = t.expected AS ok
  FROM (VALUES (1, '\xff'::bytea, -311467685),
               (2, '\x808182'::bytea, -1975640061),
               (3, '\xfffffffffe'::bytea, 688588846),
               (4, '\x00'::bytea, 375494588),
               (5, '\x00000000'::bytea, 850957120)) AS t(i, b, expected)
 ORDER BY t.i;
SELECT logext.murmur2(string_agg(set_byte('\x00'::bytea, 0, g), ''::bytea ORDER BY g)) AS all_256_bytes,
       -1948347274 AS expected
  FROM generate_series(0, 255) g;

-- immutable and deterministic
SELECT count(DISTINCT logext.murmur2('\x0102030405'::bytea)) FROM generate_series(1, 100);

-- log_partition_for = (murmur2 & 0x7fffffff) % partitions, for several partition counts
SELECT logext.log_create('rt.p1', 1);
SELECT logext.log_create('rt.p3', 3);
SELECT logext.log_create('rt.p4', 4);
SELECT logext.log_create('rt.p7', 7);
SELECT t.key,
       logext.log_partition_for('rt.p1', t.key) AS p1,
       logext.log_partition_for('rt.p3', t.key) AS p3,
       logext.log_partition_for('rt.p4', t.key) AS p4,
       logext.log_partition_for('rt.p7', t.key) AS p7,
       (logext.log_partition_for('rt.p3', t.key), logext.log_partition_for('rt.p4', t.key),
        logext.log_partition_for('rt.p7', t.key)) = (t.e3, t.e4, t.e7) AS ok
  FROM (VALUES (1, '', 0, 1, 2),
               (2, 'a', 1, 0, 5),
               (3, 'ab', 2, 2, 0),
               (4, 'abcd', 2, 0, 5),
               (5, 'é', 0, 3, 4),
               (6, '日本', 0, 3, 1),
               (7, 'user-1', 2, 0, 3),
               (8, 'user-2', 2, 0, 0),
               (9, 'user-3', 2, 3, 0),
               (10, 'k1', 2, 1, 0),
               (11, 'k2', 0, 1, 2),
               (12, 'k3', 1, 0, 4)) AS t(i, key, e3, e4, e7)
 ORDER BY t.i;
-- the formula holds for many keys (negative hashes included)
SELECT count(*) AS keys,
       count(*) FILTER (WHERE logext.murmur2(convert_to('key-' || g, 'UTF8')) < 0) > 0 AS some_negative,
       bool_and(logext.log_partition_for('rt.p7', 'key-' || g)
                = (logext.murmur2(convert_to('key-' || g, 'UTF8')) & 2147483647) % 7) AS formula_holds
  FROM generate_series(1, 2000) g;

-- log_append with a key returns that partition, for each overload
SELECT logext.log_append('rt.p7', 'v'::text, key => 'user-1');     -- 3
SELECT logext.log_append('rt.p7', '\x01'::bytea, key => 'user-1'); -- 3
SELECT logext.log_append('rt.p7', '{}'::jsonb, key => 'user-1');   -- 3
SELECT logext.log_append('rt.p7', 'v'::text, key => '');           -- 2 (empty key is a key)
SELECT logext.log_append('rt.p7', 'v'::text, key => '日本');        -- 1

-- 1000 keyed records over 100 keys in one transaction: every append
-- returns the key's partition, and every record is read back from it
SELECT bool_and(logext.log_append('rt.p7', 'r-' || g, key => 'key-' || (g % 100))
                = logext.log_partition_for('rt.p7', 'key-' || (g % 100))) AS returned_partition_ok
  FROM generate_series(1, 1000) g;
SELECT count(*) AS records,
       count(DISTINCT r.partition) AS partitions_used,
       bool_and(r.partition = p) AS read_from_own_partition,
       bool_and(r.partition = logext.log_partition_for('rt.p7', r.key)) AS key_matches_partition
  FROM generate_series(0, 6) p,
       LATERAL logext.log_read('rt.p7', p, 0, 100000) r
 WHERE r.key LIKE 'key-%';
-- the same key always lands in one partition
SELECT count(*) AS keys_in_more_than_one_partition
  FROM (SELECT r.key
          FROM generate_series(0, 6) p, LATERAL logext.log_read('rt.p7', p, 0, 100000) r
         WHERE r.key LIKE 'key-%'
         GROUP BY r.key HAVING count(DISTINCT r.partition) > 1) s;
-- and per key the records keep their append order
SELECT bool_and(ordered) AS per_key_order_kept
  FROM (SELECT r.key,
               array_agg(substr(convert_from(r.value, 'UTF8'), 3)::int ORDER BY r.log_offset)
                 = array_agg(substr(convert_from(r.value, 'UTF8'), 3)::int ORDER BY substr(convert_from(r.value, 'UTF8'), 3)::int)
                 AS ordered
          FROM generate_series(0, 6) p, LATERAL logext.log_read('rt.p7', p, 0, 100000) r
         WHERE r.key LIKE 'key-%'
         GROUP BY r.key) s;

-- batch with keys routes per record, the same way
SELECT logext.log_append_batch('rt.p4', ARRAY['a', 'b', 'c', 'd', 'e']::text[],
                               keys => ARRAY['', 'a', 'ab', 'é', 'k2']);
SELECT r.partition, r.log_offset, r.key, convert_from(r.value, 'UTF8') AS v
  FROM generate_series(0, 3) p, LATERAL logext.log_read('rt.p4', p, 0) r
 ORDER BY r.partition, r.log_offset;

-- an explicit partition wins over the key, also in a batch
SELECT logext.log_append('rt.p4', 'explicit'::text, key => 'a', partition => 3);   -- key says 0
SELECT logext.log_append_batch('rt.p4', ARRAY['e1', 'e2']::text[], keys => ARRAY['a', 'é'], partition => 1);
SELECT r.partition, r.log_offset, r.key, convert_from(r.value, 'UTF8') AS v
  FROM generate_series(0, 3) p, LATERAL logext.log_read('rt.p4', p, 0) r
 WHERE convert_from(r.value, 'UTF8') LIKE 'e%'
 ORDER BY r.partition, r.log_offset;

-- a one-partition log takes every key
SELECT DISTINCT logext.log_append('rt.p1', 'x'::text, key => 'key-' || g) FROM generate_series(1, 50) g;

-- NULL key without a partition spreads over the partitions: 40 separate
-- transactions (the partitioner may stick to one partition per transaction)
\set ECHO none
SELECT format('DO $d$BEGIN PERFORM logext.log_append(%L, %L::text); END$d$', 'rt.p3', 'nokey-' || g)
  FROM generate_series(1, 40) g \gexec
\set ECHO all
SELECT count(*) AS records, count(DISTINCT r.partition) > 1 AS spread
  FROM generate_series(0, 2) p, LATERAL logext.log_read('rt.p3', p, 0) r
 WHERE r.key IS NULL;
-- NULL key with a partition goes there
SELECT logext.log_append('rt.p3', 'nokey-fixed'::text, key => NULL, partition => 1);
SELECT r.partition FROM logext.log_read('rt.p3', 1, 0, 100000) r
 WHERE convert_from(r.value, 'UTF8') = 'nokey-fixed';

SELECT logext.log_drop('rt.p1');
SELECT logext.log_drop('rt.p3');
SELECT logext.log_drop('rt.p4');
SELECT logext.log_drop('rt.p7');
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
