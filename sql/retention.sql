--
-- retention: a log's settings (log_create, log_alter, logext.log_settings),
-- rolling by size and age and dropping by age and size
-- (log_enforce_retention), reads outside a partition's offsets, and more
-- partitions.
--
SET client_min_messages = warning;
\set VERBOSITY terse
-- (the maintenance worker applies the same settings now and then, so what
-- is checked is the state a run leaves, not how many segments this call
-- dropped: test/t/016_retention.pl counts those)

-- defaults, and settings given at creation (NULL: no limit)
SELECT logext.log_create('rt.default');
SELECT logext.log_create('rt.a', 2, retention => NULL, segment_bytes => 65536,
                         segment_age => NULL, retention_bytes => 100000);
SELECT log_name, partitions, retention, retention_bytes, segment_bytes, segment_age,
       cleanup_policy, delete_retention
  FROM logext.log_settings WHERE log_name LIKE 'rt.%' ORDER BY 1;
-- the internal offsets log is not listed
SELECT count(*) FROM logext.log_settings WHERE log_name LIKE '\_\_%';

-- bad settings are refused, at creation and by log_alter
SELECT logext.log_create('rt.bad', retention => '0 s');
SELECT logext.log_create('rt.bad', retention => '-1 day');
SELECT logext.log_create('rt.bad', retention_bytes => 0);
SELECT logext.log_create('rt.bad', segment_bytes => 1000);
SELECT logext.log_create('rt.bad', segment_age => '10 ms');
SELECT logext.log_create('rt.bad', cleanup_policy => 'keep');
SELECT logext.log_create('rt.bad', cleanup_policy => NULL);
SELECT logext.log_create('rt.bad', delete_retention => '-1 s');
SELECT count(*) FROM logext.logs WHERE log_name = 'rt.bad';
SELECT logext.log_alter('rt.default', segment_bytes => 10);
SELECT logext.log_alter('rt.nope', retention => '1 day');
SELECT logext.log_alter('__consumer_offsets', retention => '1 day');

-- log_alter: what is left out stays, NULL removes a limit
SELECT logext.log_alter('rt.default', retention => '2 days', retention_bytes => 123456789);
SELECT logext.log_alter('rt.default', segment_age => NULL, cleanup_policy => 'compact,delete');
SELECT log_name, partitions, retention, retention_bytes, segment_bytes, segment_age,
       cleanup_policy, delete_retention
  FROM logext.log_settings WHERE log_name = 'rt.default';
SELECT logext.log_alter('rt.default', retention => NULL, retention_bytes => NULL);
SELECT retention, retention_bytes FROM logext.log_settings WHERE log_name = 'rt.default';

-- rolling by size: a segment that passed segment_bytes is rolled
SELECT count(*) FROM (SELECT logext.log_append('rt.a', repeat('x', 1000), partition => 0)
                        FROM generate_series(1, 100)) s;
SELECT logext.log_enforce_retention('rt.a') >= 0 AS ran;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rt.a' ORDER BY 1, 2;
-- nothing to do twice: the new active segment is empty, the old one is
-- needed to keep 100000 bytes
SELECT logext.log_enforce_retention('rt.a') >= 0 AS ran;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rt.a' ORDER BY 1, 2;

-- dropping by size: a partition keeps at least retention_bytes, oldest
-- segments go first, the active one never
SELECT count(*) FROM (SELECT logext.log_append('rt.a', repeat('y', 1000), partition => 0)
                        FROM generate_series(1, 200)) s;
SELECT logext.log_enforce_retention('rt.a') >= 0 AS ran;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rt.a' ORDER BY 1, 2;
SELECT logext.log_enforce_retention('rt.a') >= 0 AS ran;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'rt.a' ORDER BY 1, 2;
SELECT partition, first_offset, next_offset FROM logext.partitions WHERE log_name = 'rt.a' ORDER BY 1;
SELECT count(*) AS problems FROM logext.log_verify('rt.a');

-- reads: below the first offset and past the next one are out of range
-- (SQLSTATE LX001); the next offset itself is the tail
SELECT count(*) FROM logext.log_read('rt.a', 0, 0);
SELECT count(*) FROM logext.log_read('rt.a', 0, 99);
SELECT min(log_offset), max(log_offset), count(*) FROM logext.log_read('rt.a', 0, 100, 1000);
SELECT count(*) FROM logext.log_read('rt.a', 0, 300);
SELECT count(*) FROM logext.log_read('rt.a', 0, 301);
SELECT count(*) FROM logext.log_read('rt.a', 1, 0);
SELECT count(*) FROM logext.log_read('rt.a', 1, 1);
DO $$
BEGIN
    PERFORM count(*) FROM logext.log_read('rt.a', 0, 5);
EXCEPTION WHEN SQLSTATE 'LX001' THEN
    RAISE WARNING 'caught LX001';
END $$;
-- the log's view and consumer groups start from the earliest offset kept
SELECT min(log_offset), count(*) FROM logext_logs."rt.a" WHERE partition = 0;
SELECT logext.log_commit('rt.g', 'rt.a', 0, 10);
SELECT logext.log_committed('rt.g', 'rt.a', 0);
SELECT min(log_offset), count(*) FROM logext.log_read_group('rt.g', 'rt.a', 0, 1000);
-- consumer_groups shows the records retention removed before the group
-- read them, and the group's policy; 'error' and 'latest' instead of the
-- default 'earliest'
SELECT "group", partition, committed_offset, log_start_offset, records_lost, offset_reset
  FROM logext.consumer_groups WHERE "group" = 'rt.g';
SELECT logext.log_group_set_offset_reset('rt.g', 'error');
SELECT count(*) FROM logext.log_read_group('rt.g', 'rt.a', 0, 1000);
SELECT logext.log_group_set_offset_reset('rt.g', 'latest');
SELECT count(*) FROM logext.log_read_group('rt.g', 'rt.a', 0, 1000);
SELECT offset_reset FROM logext.consumer_groups WHERE "group" = 'rt.g';
-- a new group without committed offsets follows its policy too
SELECT logext.log_group_set_offset_reset('rt.new', 'error');
SELECT count(*) FROM logext.log_read_group('rt.new', 'rt.a', 0, 1000);
SELECT logext.log_group_set_offset_reset('rt.new', 'latest');
SELECT count(*) FROM logext.log_read_group('rt.new', 'rt.a', 0, 1000);
SELECT logext.log_group_set_offset_reset('rt.new', 'earliest');
SELECT min(log_offset), count(*) FROM logext.log_read_group('rt.new', 'rt.a', 0, 1000);
SELECT logext.log_group_set_offset_reset('rt.g', 'sometimes');
SELECT logext.log_group_set_offset_reset('rt.g', NULL);
-- once the group commits a position in range, nothing is lost any more
SELECT logext.log_commit('rt.g', 'rt.a', 0, 150);
SELECT committed_offset, records_lost FROM logext.consumer_groups WHERE "group" = 'rt.g';
-- deleting a group deletes its settings
SELECT logext.log_delete_group('rt.g');
SELECT logext.log_delete_group('rt.new');
SELECT count(*) FROM logext.group_settings WHERE group_name LIKE 'rt.%';

-- dropping by age: records older than retention go with their segment
SELECT logext.log_create('rt.t', 1, retention => '1 second', segment_bytes => NULL,
                         segment_age => NULL);
SELECT logext.log_append('rt.t', 'old'::text);
SELECT logext.log_roll('rt.t', 0) AS base;
SELECT logext.log_append('rt.t', 'new'::text);
SELECT logext.log_enforce_retention('rt.t') >= 0 AS ran;
-- not yet: the old record is younger than a second
SELECT base_offset FROM logext.log_segments WHERE log_name = 'rt.t' ORDER BY 1;
SELECT pg_sleep(1.2);
SELECT logext.log_enforce_retention('rt.t') >= 0 AS ran;
SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('rt.t', 0, 1);
SELECT base_offset FROM logext.log_segments WHERE log_name = 'rt.t';

-- rolling by age: the first record of the active segment is older than
-- segment_age
SELECT logext.log_alter('rt.t', segment_age => '1 second');
SELECT pg_sleep(1.2);
SELECT logext.log_enforce_retention('rt.t') >= 0 AS ran;
SELECT base_offset FROM logext.log_segments WHERE log_name = 'rt.t' ORDER BY 1;

-- refusals
BEGIN;
SELECT logext.log_enforce_retention('rt.a');
ROLLBACK;
SELECT logext.log_enforce_retention('rt.nope');
SELECT logext.log_enforce_retention('__consumer_offsets');
CREATE ROLE regress_rt_other;
SET ROLE regress_rt_other;
SELECT logext.log_enforce_retention('rt.a');
SELECT logext.log_alter('rt.a', retention => '1 day');
RESET ROLE;
SELECT logext.log_group_set_offset_reset('rt.owned', 'latest');
GRANT SELECT ON logext_logs."rt.a" TO regress_rt_other;
SET ROLE regress_rt_other;
SELECT logext.log_group_set_offset_reset('rt.owned', 'error');
RESET ROLE;
SELECT logext.log_delete_group('rt.owned');
REVOKE SELECT ON logext_logs."rt.a" FROM regress_rt_other;
DROP ROLE regress_rt_other;

-- more partitions: only more; existing records stay where they are
SELECT logext.log_alter('rt.a', partitions => 4);
SELECT partitions FROM logext.log_settings WHERE log_name = 'rt.a';
SELECT partition, first_offset, next_offset FROM logext.partitions WHERE log_name = 'rt.a' ORDER BY 1;
SELECT logext.log_append('rt.a', 'p3'::text, partition => 3);
SELECT partition, log_offset, convert_from(value, 'UTF8') FROM logext.log_read('rt.a', 3, 0);
SELECT logext.log_alter('rt.a', partitions => 2);
SELECT logext.log_alter('rt.a', partitions => 5000);
SELECT logext.log_alter('rt.a', partitions => 4);
SELECT count(*) AS problems FROM logext.log_verify('rt.a');

-- seek by time: the first offset appended at or after a time, checked
-- against a scan for every time in the partition (and just after each),
-- over several segments and many pages; before the first record: the first
-- offset; after the last: the next offset
SELECT logext.log_create('rt.time', 1, retention => NULL, segment_bytes => NULL, segment_age => NULL);
DO $$
BEGIN
    FOR t IN 0 .. 29 LOOP
        PERFORM logext.log_append('rt.time', 't' || t || repeat('x', 1000)) FROM generate_series(1, 40);
        COMMIT;
        IF t % 10 = 9 THEN
            PERFORM logext.log_roll('rt.time', 0);
            COMMIT;
        END IF;
        PERFORM pg_sleep(0.002);
    END LOOP;
END $$;
SELECT count(DISTINCT appended_at) AS times, count(*) AS records
  FROM logext.log_read('rt.time', 0, 0, 10000);
SELECT count(*) FILTER (WHERE got IS DISTINCT FROM want) AS mismatches, count(*) AS probes
  FROM (SELECT logext.log_offset_for_time('rt.time', 0, p.ts) AS got,
               coalesce((SELECT min(r.log_offset) FROM logext.log_read('rt.time', 0, 0, 10000) r
                          WHERE r.appended_at >= p.ts), 1200) AS want
          FROM (SELECT DISTINCT appended_at AS ts FROM logext.log_read('rt.time', 0, 0, 10000)
                UNION SELECT DISTINCT appended_at + interval '1 microsecond' FROM logext.log_read('rt.time', 0, 0, 10000)
                UNION SELECT DISTINCT appended_at - interval '1 microsecond' FROM logext.log_read('rt.time', 0, 0, 10000)) p) c;
SELECT logext.log_offset_for_time('rt.time', 0, '-infinity') AS before_all,
       logext.log_offset_for_time('rt.time', 0, 'infinity') AS after_all,
       logext.log_offset_for_time('rt.time', 0, NULL) AS null_time;
SELECT logext.log_offset_for_time('rt.nope', 0, now());
SELECT logext.log_offset_for_time('rt.time', 1, now());
SELECT logext.log_drop('rt.time');

SELECT logext.log_drop('rt.default');
SELECT logext.log_drop('rt.a');
SELECT logext.log_drop('rt.t');
