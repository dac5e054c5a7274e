#!/usr/bin/env bash
# bench/lifecycle.sh -- what retention and seek by time cost
#
#   sudo bash bench/lifecycle.sh [--max N]
#
# 1. Seek by time: logs of 10^4, 10^6 and 10^7 records (--max caps the
#    largest), appended in transactions of 1,000 records (so 1,000 records
#    share each appended_at); then logext.log_offset_for_time() for 200
#    times spread over each log.  Prints the shared buffers one call reads
#    (EXPLAIN BUFFERS) and the time per call: both should stay flat (a few
#    page reads) as the log grows 1,000-fold.
# 2. Reclaiming 1M records: a log of 1M records of 100 bytes in segments of
#    16 MB, all sealed, then log_enforce_retention() with retention_bytes
#    = 1 drops them: the time it takes and the segment bytes before and
#    after.  For reference, the same records in a heap table reclaimed the
#    usual way (DELETE, then VACUUM): time and table size before and after
#    (VACUUM leaves the space in the table for reuse).
#
# Writes bench/results/lifecycle.txt.

set -uo pipefail

MAX=10000000
while [ $# -gt 0 ]; do
	case "$1" in
		--max) MAX=$2; shift 2 ;;
		-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/cluster.sh
. scripts/cluster.sh
export LOGEXT_FSYNC=${LOGEXT_FSYNC:-off}
logext_bench_cluster lifecycle || exit 1

RESULT=$LOGEXT_SRC/bench/results/lifecycle.txt
mkdir -p "$(dirname "$RESULT")"
: >"$RESULT"
out() { echo "$*" | tee -a "$RESULT"; }
q() { logext_psql -At -d postgres -c "$1"; }

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

q "CREATE EXTENSION logext" >/dev/null || exit 1
logext_psql -q -d postgres <<'SQL' || exit 1
-- a log of n records in transactions of 1,000 (one appended_at each),
-- rolled every 2M records
CREATE PROCEDURE bench_load_timed(log text, n bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM logext.log_create(log, 1, retention => NULL, segment_bytes => NULL, segment_age => NULL);
    COMMIT;
    FOR b IN 0 .. n / 1000 - 1 LOOP
        PERFORM logext.log_append_batch(log, array_agg('record ' || (b * 1000 + i) ORDER BY i))
          FROM generate_series(1, 1000) i;
        COMMIT;
        IF (b + 1) % 2000 = 0 THEN
            PERFORM logext.log_roll(log, 0);
            COMMIT;
        END IF;
    END LOOP;
END $$;

-- log_offset_for_time() for k times spread evenly over the log: the shared
-- buffers one call touches (EXPLAIN BUFFERS) and microseconds per call
CREATE FUNCTION bench_seek(log text, k int, OUT buffers_per_call numeric, OUT us_per_call numeric)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    plan json;
    bufs bigint := 0;
    started timestamptz;
BEGIN
    SELECT min(appended_at) INTO t0 FROM logext.log_read(log, 0, 0, 1);
    SELECT max(appended_at) INTO t1
      FROM logext.log_read(log, 0, (SELECT next_offset - 1 FROM logext.partitions p WHERE p.log_name = log), 1);
    FOR i IN 1 .. k LOOP
        EXECUTE format('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT logext.log_offset_for_time(%L, 0, %L)',
                       log, t0 + (t1 - t0) * (i::float8 / (k + 1)))
          INTO plan;
        bufs := bufs + coalesce((plan -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::bigint, 0)
                     + coalesce((plan -> 0 -> 'Plan' ->> 'Shared Read Blocks')::bigint, 0);
    END LOOP;
    started := clock_timestamp();
    FOR i IN 1 .. k LOOP
        PERFORM logext.log_offset_for_time(log, 0, t0 + (t1 - t0) * (i::float8 / (k + 1)));
    END LOOP;
    buffers_per_call := round(bufs::numeric / k, 1);
    us_per_call := round(extract(epoch FROM clock_timestamp() - started)::numeric * 1e6 / k, 1);
END $$;
SQL

out "== seek by time: log_offset_for_time() at 200 times spread over each log"
out "records  segments  buffers_per_call  us_per_call"
for n in 10000 1000000 10000000; do
	[ "$n" -le "$MAX" ] || continue
	q "CALL bench_load_timed('ft_$n', $n)" >/dev/null || exit 1
	out "$n  $(q "SELECT count(*) FROM logext.log_segments WHERE log_name = 'ft_$n'")  $(q "SELECT buffers_per_call || '  ' || us_per_call FROM bench_seek('ft_$n', 200)")"
done

out "== reclaiming 1M records of 100 bytes"
out "what  seconds  bytes_before  bytes_after"
q "SELECT logext.log_create('reclaim', 1, retention => NULL, segment_bytes => NULL, segment_age => NULL)" >/dev/null
for b in $(seq 1 10); do
	q "SELECT logext.log_append_batch('reclaim', array_agg(repeat('r', 100))) FROM generate_series(1, 100000)" >/dev/null
	q "SELECT logext.log_roll('reclaim', 0)" >/dev/null
done
q "CHECKPOINT" >/dev/null
before=$(q "SELECT sum(bytes) FROM logext.log_segments WHERE log_name = 'reclaim'")
q "SELECT logext.log_alter('reclaim', retention_bytes => 1)" >/dev/null
t0=$(now)
dropped=$(q "SELECT logext.log_enforce_retention('reclaim')")
t1=$(now)
after=$(q "SELECT sum(bytes) FROM logext.log_segments WHERE log_name = 'reclaim'")
out "logext_retention($dropped segments)  $(secs "$t0" "$t1")  $before  $after"

q "CREATE TABLE reclaim_heap (v text)" >/dev/null
q "INSERT INTO reclaim_heap SELECT repeat('r', 100) FROM generate_series(1, 1000000)" >/dev/null
q "VACUUM reclaim_heap" >/dev/null
q "CHECKPOINT" >/dev/null
before=$(q "SELECT pg_relation_size('reclaim_heap')")
t0=$(now)
q "DELETE FROM reclaim_heap" >/dev/null
q "VACUUM reclaim_heap" >/dev/null
t1=$(now)
after=$(q "SELECT pg_relation_size('reclaim_heap')")
out "heap_delete_vacuum  $(secs "$t0" "$t1")  $before  $after"
out "done; results in $RESULT"
