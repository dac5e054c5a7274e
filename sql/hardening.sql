--
-- hardening: rolls and drops undone by subtransactions, rolling an empty
-- segment, the record size limit.
--
SET client_min_messages = warning;
SET statement_timeout = '60s';
CREATE FUNCTION pg_temp.sqlstate(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT logext.log_create('hd.roll', 1);
SELECT logext.log_append('hd.roll', 'r0'::text);

-- rolling a segment that holds no record yet is a no-op: the second roll
-- returns the same base offset and adds no segment (it used to fail with
-- 23505 on segments_pkey)
SELECT logext.log_roll('hd.roll', 0) AS base;
SELECT logext.log_roll('hd.roll', 0) AS base_again;
SELECT partition, base_offset FROM logext.log_segments WHERE log_name = 'hd.roll' ORDER BY base_offset;

-- a roll cannot run in a subtransaction either (a DO block with an
-- exception handler): it would hold up every commit to the partition
SELECT logext.log_append('hd.roll', 'r1'::text);
SELECT pg_temp.sqlstate($q$
DO $$
BEGIN
    PERFORM logext.log_roll('hd.roll', 0);
EXCEPTION WHEN division_by_zero THEN
    NULL;
END
$$
$q$);
SELECT logext.log_append('hd.roll', 'r2'::text);
SELECT logext.log_append('hd.roll', 'r3'::text);

-- a log_drop undone by its subtransaction leaves the log working, with
-- its slots: rolling and appending afterwards give each offset once
DO $$
BEGIN
    PERFORM logext.log_drop('hd.roll');
    RAISE EXCEPTION 'undo the drop';
EXCEPTION WHEN raise_exception THEN
    NULL;
END
$$;
BEGIN;
SAVEPOINT a;
SELECT logext.log_drop('hd.roll');
ROLLBACK TO SAVEPOINT a;
SELECT logext.log_append('hd.roll', 'r4'::text);
COMMIT;
SELECT logext.log_roll('hd.roll', 0) AS base;
SELECT logext.log_append('hd.roll', 'r5'::text);
SELECT log_offset, convert_from(value, 'UTF8') AS v FROM logext.log_read('hd.roll', 0, 0);
SELECT count(*) AS records, count(DISTINCT log_offset) AS distinct_offsets
  FROM logext.log_read('hd.roll', 0, 0);
SELECT log_name, partition, first_offset, next_offset, record_count
  FROM logext.partitions WHERE log_name = 'hd.roll';

-- log_roll of a log that does not exist, and of logext's own offsets log
-- (rolled only by its compaction, which carries the offsets over)
SELECT pg_temp.sqlstate($$SELECT logext.log_roll('hd.none', 0)$$);
SELECT pg_temp.sqlstate($$SELECT logext.log_roll('__consumer_offsets', 0)$$);


-- a record must fit in one row of log_read(): key, headers and value
-- together are at most 1 GB - 1 MB (a value of ~1 GB used to be accepted
-- and then could never be read, XX000); here the value alone is 2 bytes
-- under the limit, the key takes it over
SELECT pg_temp.sqlstate($$SELECT logext.log_append('hd.roll', repeat('x', 1024 * 1024 * 1023 - 2), key => 'abc')$$);
SELECT count(*) FROM logext.log_read('hd.roll', 0, 0);

SELECT logext.log_drop('hd.roll');
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
