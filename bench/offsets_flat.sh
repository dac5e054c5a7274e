#!/usr/bin/env bash
# bench/offsets_flat.sh -- consumer offset commits under a held snapshot
#
#   sudo bash bench/offsets_flat.sh [--seconds N] [--rate R] [--with-heap]
#
# Commits consumer-group offsets at a fixed rate (default 1,000 commits/s for
# 600 s) with pgbench while another session holds a REPEATABLE READ snapshot
# open (idle in transaction) for the whole run, and samples every 30 s: the
# commit rate and latency pgbench reports, the on-disk size of the consumer
# offsets log and the dead tuples it created.  logext stores offset commits
# as records of an internal log that the maintenance worker compacts, so
# size and latency should stay flat.  With --with-heap the same load runs
# against a heap table of offsets updated in place (the usual design),
# whose dead tuples pile up behind the held snapshot.
#
# Prints one line per sample and a summary; writes
# bench/results/offsets_flat.txt.

set -uo pipefail

SECONDS_RUN=600
RATE=1000
WITH_HEAP=0
while [ $# -gt 0 ]; do
	case "$1" in
		--seconds) SECONDS_RUN=$2; shift 2 ;;
		--rate) RATE=$2; shift 2 ;;
		--with-heap) WITH_HEAP=1; shift ;;
		-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/cluster.sh
. scripts/cluster.sh
export LOGEXT_FSYNC=${LOGEXT_FSYNC:-on}
logext_bench_cluster offsets || exit 1

RESULT=$LOGEXT_SRC/bench/results/offsets_flat.txt
mkdir -p "$(dirname "$RESULT")"
: >"$RESULT"
out() { echo "$*" | tee -a "$RESULT"; }

logext_psql -q -d postgres <<'SQL' || exit 1
CREATE EXTENSION logext;
SELECT logext.log_create('bench', 4);
SELECT logext.log_append_batch('bench', array_agg(i::text)) FROM generate_series(1, 100000) i;
CREATE TABLE heap_offsets (grp text, part int, next_offset bigint, PRIMARY KEY (grp, part));
INSERT INTO heap_offsets SELECT 'g' || g, p, 0 FROM generate_series(0, 99) g, generate_series(0, 3) p;
SQL

cat >"$LOGEXT_WORK/logext.sql" <<'SQL'
\set g random(0, 99)
\set p random(0, 3)
SELECT logext.log_commit('g' || :g, 'bench', :p, 1000);
SQL
cat >"$LOGEXT_WORK/heap.sql" <<'SQL'
\set g random(0, 99)
\set p random(0, 3)
UPDATE heap_offsets SET next_offset = 1000 WHERE grp = 'g' || :g AND part = :p;
SQL
chmod 644 "$LOGEXT_WORK"/*.sql

# one session holds a snapshot for the whole run
logext_psql -q -d postgres <<SQL >/dev/null 2>&1 &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM heap_offsets;
SELECT pg_sleep($((SECONDS_RUN * (1 + WITH_HEAP) + 60)));
COMMIT;
SQL
HOLDER=$!
sleep 2

sample()
{
	logext_psql -At -d postgres -c "
		SELECT (SELECT sum(pg_relation_size(relid)) FROM logext.log_segments
		         WHERE log_name = '__consumer_offsets'),
		       pg_total_relation_size('heap_offsets'),
		       (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'heap_offsets')"
}

run()
{
	local name=$1 script=$2 t=0 size
	out "== $name: $RATE commits/s for $SECONDS_RUN s, snapshot held by pid $HOLDER"
	out "time_s  offsets_log_bytes  heap_table_bytes  heap_dead_tuples"
	logext_as_pg "$LOGEXT_BIN/pgbench" -n -c 2 -j 2 -R "$RATE" -T "$SECONDS_RUN" -P 30 \
		-f "$script" postgres >"$LOGEXT_WORK/$name.pgbench" 2>&1 &
	local bench=$!
	while kill -0 "$bench" 2>/dev/null; do
		size=$(sample)
		out "$t  ${size//|/  }"
		sleep 30
		t=$((t + 30))
	done
	wait "$bench"
	out "-- pgbench progress (tps, latency average and stddev per 30 s):"
	grep -E "^progress|^tps|latency average" "$LOGEXT_WORK/$name.pgbench" | tee -a "$RESULT"
}

run logext "$LOGEXT_WORK/logext.sql"
[ "$WITH_HEAP" = 1 ] && run heap "$LOGEXT_WORK/heap.sql"
kill "$HOLDER" 2>/dev/null
out "done; results in $RESULT"
