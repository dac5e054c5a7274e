--
-- roll: log_roll() starts a new segment for a partition at its next
-- offset, and log_compact_offsets() rolls the consumer offsets log over to
-- a segment seeded with the latest offset of every group.
--
SET client_min_messages = warning;
SELECT logext.log_create('rl.a', 2);

-- nothing to roll while the active segment is empty: it stays
SELECT logext.log_roll('rl.a', 0) AS base;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rl.a' ORDER BY 1, 2;

-- a roll starts the new segment at the next offset; readers cross it
SELECT logext.log_append('rl.a', 'a' || g, partition => 0) FROM generate_series(0, 2) g;
SELECT logext.log_roll('rl.a', 0) AS base;
SELECT logext.log_append('rl.a', 'b' || g, partition => 0) FROM generate_series(3, 4) g;
SELECT logext.log_roll('rl.a', 0) AS base;
SELECT logext.log_roll('rl.a', 0) AS base_again;
SELECT logext.log_append('rl.a', 'c5'::text, partition => 0);
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rl.a' ORDER BY 1, 2;
SELECT log_offset, convert_from(value, 'UTF8') AS value FROM logext.log_read('rl.a', 0, 0);
SELECT log_offset, convert_from(value, 'UTF8') AS value FROM logext.log_read('rl.a', 0, 4);
SELECT first_offset, next_offset, record_count FROM logext.partitions WHERE log_name = 'rl.a' ORDER BY partition;
SELECT count(*) AS problems FROM logext.log_verify('rl.a');

-- refusals
BEGIN;
SELECT logext.log_roll('rl.a', 1);
ROLLBACK;
SELECT logext.log_roll('rl.nope', 0);
SELECT logext.log_roll('rl.a', 2);
SELECT logext.log_roll('rl.a', -1);
SELECT logext.log_roll(NULL, 0);
SELECT logext.log_roll('rl.a', NULL);
SELECT logext.log_roll('__consumer_offsets', 0);

-- compaction keeps every group's latest offset and drops the old segments
SELECT logext.log_commit('rl.g' || g, 'rl.a', 0, 1) FROM generate_series(1, 3) g;
SELECT logext.log_commit('rl.g1', 'rl.a', 0, 4);
SELECT logext.log_commit('rl.g2', 'rl.a', 0, 6);
SELECT logext.log_delete_group('rl.g3');
SELECT logext.log_compact_offsets() AS below_threshold;
-- (-1 while the maintenance worker happens to be compacting: try again)
CREATE FUNCTION pg_temp.compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    FOR i IN 1 .. 100 LOOP
        kept := logext.log_compact_offsets(true);
        EXIT WHEN kept >= 0;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN kept;
END
$$;
SELECT pg_temp.compact() > 0 AS compacted;
SELECT count(*) AS offsets_segments FROM logext.log_segments WHERE log_name = '__consumer_offsets';
SELECT "group", committed_offset FROM logext.consumer_groups WHERE log_name = 'rl.a' ORDER BY 1;
SELECT logext.log_committed('rl.g3', 'rl.a', 0) AS deleted_group;
-- and commits go on after it
SELECT logext.log_commit('rl.g1', 'rl.a', 0, 5);
SELECT logext.log_committed('rl.g1', 'rl.a', 0);
BEGIN;
SELECT logext.log_compact_offsets(true);
ROLLBACK;

-- neither is for everyone
CREATE ROLE regress_logext_roller;
SET ROLE regress_logext_roller;
SELECT logext.log_roll('rl.a', 0);
SELECT logext.log_compact_offsets(true);
RESET ROLE;
DROP ROLE regress_logext_roller;

SELECT logext.log_delete_group('rl.g' || g) FROM generate_series(1, 2) g;
SELECT logext.log_drop('rl.a');
