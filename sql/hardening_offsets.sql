--
-- hardening_offsets: compaction of the consumer offsets log in edge cases
-- (consumer/offsets.c), in a database of its own so that the offsets log
-- starts empty:
--   - compacting an empty offsets log is a no-op that returns 0, also when
--     forced and repeated; compacting an already compacted log works again
--     and again (every seeded segment starts with a marker record, so a new
--     segment never starts at the same offset as the old one);
--   - compaction keeps the latest committed offset of every key, drops
--     deleted groups, and neither keeps nor seeds the offsets of dropped
--     logs (a log re-created under the same name starts without them);
--   - a re-created extension does not see the old one's offsets;
--   - log_reset_offsets(..., 'latest') on an idle partition is its end.
--
CREATE DATABASE logext_hardening_offsets;
\c logext_hardening_offsets
SET client_min_messages = warning;
CREATE EXTENSION logext;

-- nothing to compact
SELECT logext.log_compact_offsets(true) AS kept;
SELECT logext.log_compact_offsets(true) AS kept;
SELECT logext.log_compact_offsets() AS kept;
SELECT count(*) AS segments FROM logext.log_segments WHERE log_name = '__consumer_offsets';

SELECT logext.log_create('ho.a', 2);
SELECT logext.log_create('ho.b', 1);
SELECT logext.log_append_batch('ho.a', ARRAY['x', 'y', 'z']::text[], partition => p) FROM generate_series(0, 1) p;
SELECT logext.log_append_batch('ho.b', ARRAY['x', 'y']::text[]);

SELECT logext.log_commit('g1', 'ho.a', 0, 1);
SELECT logext.log_commit('g1', 'ho.a', 0, 2);
SELECT logext.log_commit('g1', 'ho.a', 1, 3);
SELECT logext.log_commit('g2', 'ho.a', 0, 3);
SELECT logext.log_reset_offsets('g3', 'ho.b', 'latest');
SELECT logext.log_delete_group('g2');

-- three keys kept (g1 on two partitions, g3), g2 gone; repeatable
SELECT logext.log_compact_offsets(true) AS kept;
SELECT logext.log_compact_offsets(true) AS kept;
SELECT count(*) AS segments FROM logext.log_segments WHERE log_name = '__consumer_offsets';
SELECT "group", log_name, partition, committed_offset
  FROM logext.consumer_groups ORDER BY 1, 2, 3;
SELECT logext.log_committed('g2', 'ho.a', 0) IS NULL AS g2_deleted;

-- a dropped log's offsets are not kept, and do not come back with a new
-- log of the same name
SELECT logext.log_drop('ho.b');
SELECT logext.log_compact_offsets(true) AS kept;
SELECT logext.log_create('ho.b', 1);
SELECT logext.log_committed('g3', 'ho.b', 0) IS NULL AS g3_gone;
SELECT "group", log_name, partition, committed_offset
  FROM logext.consumer_groups ORDER BY 1, 2, 3;

-- 'latest' of an idle partition is its next offset
SELECT logext.log_append_batch('ho.b', ARRAY['p', 'q', 'r', 's']::text[]);
SELECT logext.log_reset_offsets('g4', 'ho.b', 'latest');
SELECT logext.log_committed('g4', 'ho.b', 0) AS latest;
SELECT count(*) AS unread FROM logext.log_read_group('g4', 'ho.b', 0);
SELECT logext.log_compact_offsets(true) AS kept;

-- a re-created extension starts without the old one's offsets
DROP EXTENSION logext CASCADE;
CREATE EXTENSION logext;
SELECT count(*) AS offsets FROM logext.consumer_groups;
SELECT logext.log_compact_offsets(true) AS kept;

\c contrib_regression
DROP DATABASE logext_hardening_offsets;
