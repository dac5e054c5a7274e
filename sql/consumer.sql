--
-- consumer: consumer groups and waiting reads.
--   log_commit / log_committed (transactional, savepoints, a transaction
--   sees its own commit), log_read_group from the committed offset or
--   earliest, log_reset_offsets, log_delete_group, log_join / log_heartbeat
--   / log_leave with the p mod n assignment in member-id order, the views
--   consumer_groups, group_members and waiters, log_read's wait_ms, and
--   the errors of all of these.
--
-- Output must be deterministic: no timestamps, pids or timings (waits are
-- checked with booleans only, against bounds far from the expected value).
--
\set VERBOSITY terse

SELECT logext.log_create('cg.in', 2);
SELECT logext.log_append_batch('cg.in', ARRAY['a0', 'a1', 'a2', 'a3', 'a4'], partition => 0);
SELECT logext.log_append_batch('cg.in', ARRAY['b0', 'b1'], partition => 1);

--
-- committing and reading offsets
--

-- no committed offset yet: NULL, and log_read_group starts at the earliest
SELECT logext.log_committed('cg.g', 'cg.in', 0) IS NULL AS no_offset_p0,
       logext.log_committed('cg.g', 'cg.in', 1) IS NULL AS no_offset_p1;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.g', 'cg.in') ORDER BY partition, log_offset;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.g', 'cg.in', 0, 2) ORDER BY log_offset;
-- reading does not commit anything
SELECT logext.log_committed('cg.g', 'cg.in', 0) IS NULL AS still_no_offset;

-- commit "next offset" 2 on partition 0: reads continue from there
SELECT logext.log_commit('cg.g', 'cg.in', 0, 2);
SELECT logext.log_committed('cg.g', 'cg.in', 0);
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.g', 'cg.in', 0) ORDER BY log_offset;
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.g', 'cg.in') ORDER BY partition, log_offset;
-- max_records bounds the total over all partitions
SELECT count(*) FROM logext.log_read_group('cg.g', 'cg.in', max_records => 4);
-- the same offset again is not "backwards"; the log end is allowed
SELECT logext.log_commit('cg.g', 'cg.in', 0, 2);
SELECT logext.log_commit('cg.g', 'cg.in', 1, 2);
SELECT logext.log_committed('cg.g', 'cg.in', 1);
SELECT count(*) AS nothing_left_p1 FROM logext.log_read_group('cg.g', 'cg.in', 1);
-- another group has its own offsets
SELECT logext.log_committed('cg.other', 'cg.in', 0) IS NULL AS other_group_has_none;

--
-- commits are transactional
--

-- ROLLBACK leaves the old offset; inside, the transaction sees its own
-- uncommitted commit (log_committed and log_read_group)
BEGIN;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 4);
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS own_uncommitted;
SELECT log_offset FROM logext.log_read_group('cg.g', 'cg.in', 0) ORDER BY log_offset;
ROLLBACK;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_rollback;

-- an error later in the transaction undoes the commit too
BEGIN;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 5);
SELECT 1 / 0;
ROLLBACK;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_error;

-- savepoints: ROLLBACK TO undoes only the commits made after the savepoint,
-- RELEASE keeps them
BEGIN;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 3);
SAVEPOINT s1;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 5);
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS in_s1;
ROLLBACK TO SAVEPOINT s1;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_rollback_to_s1;
SAVEPOINT s2;
SAVEPOINT s3;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 4);
RELEASE SAVEPOINT s3;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_release_s3;
RELEASE SAVEPOINT s2;
-- a commit in a savepoint that is rolled back, on a key not committed before
SAVEPOINT s4;
SELECT logext.log_commit('cg.sp', 'cg.in', 1, 1);
ROLLBACK TO SAVEPOINT s4;
SELECT logext.log_committed('cg.sp', 'cg.in', 1) IS NULL AS sp_rolled_back;
COMMIT;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_commit,
       logext.log_committed('cg.sp', 'cg.in', 1) IS NULL AS sp_never_committed;

-- the backwards check includes the transaction's own commits
BEGIN;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 5);
SELECT logext.log_commit('cg.g', 'cg.in', 0, 4);
ROLLBACK;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS unchanged;

--
-- consumer_groups: committed offset, log end and lag per partition
--
SELECT "group", log_name, partition, committed_offset, log_end_offset,
       last_stable_offset, lag, member_id
  FROM logext.consumer_groups WHERE "group" LIKE 'cg.%'
 ORDER BY "group", log_name, partition;
SELECT logext.log_append('cg.in', 'a5'::text, partition => 0);
SELECT logext.log_append('cg.in', 'b2'::text, partition => 1);
SELECT "group", log_name, partition, committed_offset, log_end_offset, lag
  FROM logext.consumer_groups WHERE "group" LIKE 'cg.%'
 ORDER BY "group", log_name, partition;

--
-- errors
--
-- backwards without a reset
SELECT logext.log_commit('cg.g', 'cg.in', 0, 3);
-- beyond the end of the log (next offset to be written is 6)
SELECT logext.log_commit('cg.g', 'cg.in', 0, 7);
-- negative
SELECT logext.log_commit('cg.g', 'cg.in', 0, -1);
-- unknown log, unknown partition
SELECT logext.log_commit('cg.g', 'cg.nope', 0, 1);
SELECT logext.log_commit('cg.g', 'cg.in', 2, 1);
SELECT logext.log_commit('cg.g', 'cg.in', -1, 1);
-- group names
SELECT logext.log_commit('bad group', 'cg.in', 0, 1);
SELECT logext.log_commit('', 'cg.in', 0, 1);
SELECT logext.log_commit(repeat('g', 101), 'cg.in', 0, 1);
-- NULLs
SELECT logext.log_commit(NULL, 'cg.in', 0, 1);
SELECT logext.log_commit('cg.g', NULL, 0, 1);
SELECT logext.log_commit('cg.g', 'cg.in', NULL, 1);
SELECT logext.log_commit('cg.g', 'cg.in', 0, NULL);
-- log_committed
SELECT logext.log_committed('cg.g', 'cg.nope', 0);
SELECT logext.log_committed('cg.g', 'cg.in', 5);
SELECT logext.log_committed('bad group', 'cg.in', 0);
-- log_read_group
SELECT * FROM logext.log_read_group('cg.g', 'cg.nope');
SELECT * FROM logext.log_read_group('cg.g', 'cg.in', 9);
SELECT * FROM logext.log_read_group('cg.g', 'cg.in', 0, 0);
SELECT * FROM logext.log_read_group('cg.g', 'cg.in', 0, wait_ms => -1);
SELECT * FROM logext.log_read_group('cg.g', 'cg.in', 0, NULL);
-- none of the failed commits changed anything
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS p0,
       logext.log_committed('cg.g', 'cg.in', 1) AS p1;

--
-- log_reset_offsets: earliest, latest or an offset; may move backwards
--
SELECT logext.log_reset_offsets('cg.g', 'cg.in', 'earliest');
SELECT p, logext.log_committed('cg.g', 'cg.in', p) FROM generate_series(0, 1) p;
SELECT logext.log_reset_offsets('cg.g', 'cg.in', 'latest');
SELECT p, logext.log_committed('cg.g', 'cg.in', p) FROM generate_series(0, 1) p;
SELECT logext.log_reset_offsets('cg.g', 'cg.in', '3', 0);
SELECT p, logext.log_committed('cg.g', 'cg.in', p) FROM generate_series(0, 1) p;
SELECT log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.g', 'cg.in', 0) ORDER BY log_offset;
-- a reset is transactional too
BEGIN;
SELECT logext.log_reset_offsets('cg.g', 'cg.in', 'latest', 0);
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS own_reset;
ROLLBACK;
SELECT logext.log_committed('cg.g', 'cg.in', 0) AS after_rollback;
-- a group without offsets gets them
SELECT logext.log_reset_offsets('cg.h', 'cg.in', 'latest', 1);
SELECT logext.log_committed('cg.h', 'cg.in', 1);
-- errors
SELECT logext.log_reset_offsets('cg.g', 'cg.in', 'bogus');
SELECT logext.log_reset_offsets('cg.g', 'cg.in', '');
SELECT logext.log_reset_offsets('cg.g', 'cg.in', '99', 0);
SELECT logext.log_reset_offsets('cg.g', 'cg.in', '-1', 0);
SELECT logext.log_reset_offsets('cg.g', 'cg.in', 'earliest', 7);
SELECT logext.log_reset_offsets('cg.g', 'cg.nope', 'earliest');
SELECT logext.log_reset_offsets('cg.g', 'cg.in', NULL);
SELECT p, logext.log_committed('cg.g', 'cg.in', p) FROM generate_series(0, 1) p;

--
-- log_delete_group
--
SELECT logext.log_delete_group('cg.h');
SELECT logext.log_committed('cg.h', 'cg.in', 1) IS NULL AS deleted;
-- rolled back: the offsets are back
BEGIN;
SELECT logext.log_delete_group('cg.g');
SELECT logext.log_committed('cg.g', 'cg.in', 0) IS NULL AS deleted_inside;
ROLLBACK;
SELECT p, logext.log_committed('cg.g', 'cg.in', p) FROM generate_series(0, 1) p;
SELECT logext.log_delete_group('cg.g');
SELECT p, logext.log_committed('cg.g', 'cg.in', p) IS NULL AS deleted
  FROM generate_series(0, 1) p;
SELECT "group", partition FROM logext.consumer_groups WHERE "group" IN ('cg.g', 'cg.h');
-- a deleted group reads from the earliest offset again, and may commit any
-- offset (there is nothing to go back from)
SELECT partition, count(*) FROM logext.log_read_group('cg.g', 'cg.in')
 GROUP BY partition ORDER BY partition;
SELECT logext.log_commit('cg.g', 'cg.in', 0, 1);
SELECT logext.log_committed('cg.g', 'cg.in', 0);
SELECT logext.log_delete_group('cg.g');
-- an unknown group has nothing to delete
SELECT logext.log_delete_group('cg.unknown');
SELECT logext.log_delete_group('bad group');

--
-- membership and assignment: partition p belongs to the live member at
-- index p mod n in member-id order; log_read_group reads the partitions of
-- the session's last joined member of the group
--
SELECT logext.log_create('cg.four', 4);
SELECT logext.log_append('cg.four', 'r' || p, partition => p) FROM generate_series(0, 3) p;

SELECT logext.log_join('cg.m', 'm-b');
SELECT logext.log_join('cg.m', 'm-a', 60000);
SELECT "group", member_id, pid = pg_backend_pid() AS this_session, session_timeout_ms,
       joined_at <= last_heartbeat AS heartbeat_after_join
  FROM logext.group_members WHERE "group" = 'cg.m' ORDER BY member_id;
-- the session reads as m-a (joined last): partitions 0 and 2
SELECT partition, log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read_group('cg.m', 'cg.four') ORDER BY partition;
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four', 2);
-- partition 1 is m-b's
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four', 1);
-- committing does not check ownership; consumer_groups shows the owners
SELECT logext.log_commit('cg.m', 'cg.four', p, 0) FROM generate_series(0, 3) p;
SELECT partition, committed_offset, lag, member_id
  FROM logext.consumer_groups WHERE "group" = 'cg.m' ORDER BY partition;

-- joining again with another member id switches the session's member
SELECT logext.log_join('cg.m', 'm-b');
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four') ORDER BY partition;

-- a third member: m-a gets 0 and 3, m-b 1, m-c 2
SELECT logext.log_join('cg.m', 'm-c');
SELECT partition, member_id
  FROM logext.consumer_groups WHERE "group" = 'cg.m' ORDER BY partition;
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four') ORDER BY partition;

-- heartbeats
SELECT logext.log_heartbeat('cg.m', 'm-a') AS live, logext.log_heartbeat('cg.m', 'm-x') AS unknown,
       logext.log_heartbeat('cg.other', 'm-a') AS other_group;

-- m-c (the session's member) leaves: m-a gets 0 and 2, m-b 1 and 3, and the
-- session reads as the member it joined before m-c, m-b
SELECT logext.log_leave('cg.m', 'm-c');
SELECT logext.log_leave('cg.m', 'm-c') AS again;
SELECT member_id FROM logext.group_members WHERE "group" = 'cg.m' ORDER BY member_id;
SELECT partition, member_id
  FROM logext.consumer_groups WHERE "group" = 'cg.m' ORDER BY partition;
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four') ORDER BY partition;

-- a member whose session timeout has passed no longer counts: m-a's
-- heartbeat fails and m-b owns every partition (whether or not the
-- maintenance worker has removed m-a yet)
SELECT logext.log_join('cg.m', 'm-a', 100);
SELECT logext.log_join('cg.m', 'm-b');
SELECT pg_sleep(0.5);
SELECT logext.log_heartbeat('cg.m', 'm-a') AS a_alive, logext.log_heartbeat('cg.m', 'm-b') AS b_alive;
SELECT partition, member_id
  FROM logext.consumer_groups WHERE "group" = 'cg.m' ORDER BY partition;
SELECT partition FROM logext.log_read_group('cg.m', 'cg.four') ORDER BY partition;
-- joining again revives it
SELECT logext.log_join('cg.m', 'm-a', 10000);
SELECT logext.log_join('cg.m', 'm-b');
SELECT partition, member_id
  FROM logext.consumer_groups WHERE "group" = 'cg.m' ORDER BY partition;

-- errors
SELECT logext.log_join('cg.m', 'm-z', 50);
SELECT logext.log_join('cg.m', 'm-z', 3600001);
SELECT logext.log_join('cg.m', 'm-z', NULL);
SELECT logext.log_join('cg.m', '');
SELECT logext.log_join('cg.m', repeat('m', 101));
SELECT logext.log_join('cg.m', NULL);
SELECT logext.log_join('bad group', 'm-z');
SELECT logext.log_heartbeat(NULL, 'm-a');
SELECT logext.log_leave('cg.m', NULL);

-- log_delete_group removes the members too
SELECT logext.log_delete_group('cg.m');
SELECT count(*) AS members_left FROM logext.group_members WHERE "group" = 'cg.m';
SELECT logext.log_leave('cg.m', 'm-a') AS nothing_to_leave;

--
-- log_read with wait_ms
--
-- records exist: returned at once, without waiting for wait_ms
SELECT clock_timestamp() AS t0 \gset
SELECT log_offset, convert_from(value, 'UTF8') AS v
  FROM logext.log_read('cg.in', 1, 0, wait_ms => 10000) ORDER BY log_offset;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS returned_quickly;
-- nothing at from_offset: empty after the wait
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM logext.log_read('cg.in', 1, 3, wait_ms => 50);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '50 ms' AS waited;
-- log_read_group waits the same way
SELECT logext.log_reset_offsets('cg.w', 'cg.in', 'latest');
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM logext.log_read_group('cg.w', 'cg.in', 1, wait_ms => 50);
SELECT * FROM logext.log_read_group('cg.w', 'cg.in', wait_ms => 50);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '100 ms' AS waited;
-- the waits left nothing behind
SELECT count(*) AS waiters FROM logext.waiters WHERE log_name LIKE 'cg.%';
-- errors
SELECT * FROM logext.log_read('cg.in', 1, 0, wait_ms => -1);
SELECT * FROM logext.log_read('cg.in', 1, 0, wait_ms => NULL);
-- statement_timeout ends a long wait, and the waiter is gone
SET statement_timeout = '100ms';
SELECT * FROM logext.log_read('cg.in', 1, 3, wait_ms => 10000);
SELECT * FROM logext.log_read_group('cg.w', 'cg.in', 0, wait_ms => 10000);
RESET statement_timeout;
SELECT count(*) AS waiters FROM logext.waiters WHERE log_name LIKE 'cg.%';
SELECT logext.log_delete_group('cg.w');
-- under REPEATABLE READ the snapshot cannot advance: no wait
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM logext.log_read('cg.in', 1, 3, wait_ms => 10000);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS returned_quickly;
COMMIT;

--
-- the offsets log is internal
--
SELECT log_name, partitions FROM logext.logs WHERE log_name = '__consumer_offsets';
SELECT logext.log_append('__consumer_offsets', 'x'::text);
SELECT logext.log_append('__consumer_offsets', '\x00'::bytea);
SELECT logext.log_append('__consumer_offsets', '{}'::jsonb);
SELECT logext.log_append_batch('__consumer_offsets', ARRAY['x']);
SELECT logext.log_drop('__consumer_offsets');
SELECT logext.log_create('__consumer_offsets');
SELECT count(*) AS still_there FROM logext.logs WHERE log_name = '__consumer_offsets';

-- clean up
SELECT logext.log_drop('cg.in');
SELECT logext.log_drop('cg.four');
SELECT count(*) AS groups_left FROM logext.consumer_groups WHERE "group" LIKE 'cg.%';
