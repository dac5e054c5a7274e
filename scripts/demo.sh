#!/usr/bin/env bash
# scripts/demo.sh -- see logext work in a throwaway PostgreSQL 15 cluster
#
#   sudo bash scripts/demo.sh [--keep]
#
# Installs the Debian packages, builds and installs logext, starts a
# throwaway cluster that preloads it, and walks through the main job:
# create a partitioned log, append keyed records from several concurrent
# sessions, see where a commit's records landed, read them back in offset
# order, replay a partition from offset 0 with an independent reader, look
# at the monitoring views, and let a consumer group catch up and then wait
# for (and be woken by) a new commit.  The cluster is stopped and removed at the
# end unless --keep is given; then the script prints how to connect.
#
# Knobs: LOGEXT_SKIP_APT=1 (skip apt-get), LOGEXT_FSYNC=off (default on).

set -uo pipefail

KEEP=0
for arg in "$@"; do
	case "$arg" in
		--keep) KEEP=1 ;;
		-h | --help)
			sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		*)
			echo "unknown argument: $arg (try --help)" >&2
			exit 2
			;;
	esac
done

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/cluster.sh
. scripts/cluster.sh

export LOGEXT_FSYNC=${LOGEXT_FSYNC:-on}
DB=logext_demo
WORKERS=4
TXNS_PER_WORKER=5
RECORDS_PER_TXN=3

logext_install_traps

step()
{
	echo
	echo "################################################################"
	echo "## $*"
	echo "################################################################"
}

# psql session against the demo database that echoes every statement
demo_psql()
{
	logext_psql -d "$DB" --echo-queries -P pager=off
}

fail()
{
	echo "DEMO FAILED: $*" >&2
	logext_server_log_tail 40 >&2
	exit 1
}

# ------------------------------------------------------------------ set-up
logext_install_packages || fail "package installation"
logext_make_workdir demo
logext_copy_tree
cd "$LOGEXT_TREE" || exit 1
logext_build_install || fail "build"
logext_chown_tree || fail "chown"
logext_cluster_init || fail "initdb"
logext_cluster_start || fail "server start"
logext_psql -q -d postgres -c "CREATE DATABASE $DB" || fail "CREATE DATABASE"

# ------------------------------------------------------------------ 1
step "1. Create the extension and a log 'orders' with 4 partitions"
demo_psql <<'SQL' || fail "step 1"
CREATE EXTENSION logext;
SELECT logext.log_create('orders', 4);
SELECT log_name, partitions FROM logext.logs;
SQL

# ------------------------------------------------------------------ 2
step "2. $WORKERS sessions append concurrently: $TXNS_PER_WORKER transactions each, $RECORDS_PER_TXN keyed records per transaction"
echo "Each record's key is 'customer-N'; a key always goes to the same partition"
echo "(Kafka's default partitioner: murmur2 of the key bytes, masked positive, modulo 4)."
echo "Offsets are assigned when each transaction commits."
worker_sql()
{
	local w=$1 t
	echo "\\set ON_ERROR_STOP 1"
	for t in $(seq 1 "$TXNS_PER_WORKER"); do
		cat <<SQL
BEGIN;
SELECT count(logext.log_append('orders',
         format('{"order": "w$w-t$t-%s", "customer": "customer-%s", "amount": %s}',
                i, ($w * 7 + $t * 3 + i) % 8 + 1, 10 * i + $t)::text,
         key => 'customer-' || (($w * 7 + $t * 3 + i) % 8 + 1)))
  FROM generate_series(1, $RECORDS_PER_TXN) AS i;
SELECT pg_sleep(random() * 0.05);
COMMIT;
SQL
	done
}
pids=()
for w in $(seq 1 "$WORKERS"); do
	worker_sql "$w" | logext_psql -q -d "$DB" -o /dev/null &
	pids+=($!)
done
werr=0
for pid in "${pids[@]}"; do
	wait "$pid" || werr=1
done
[ $werr = 0 ] || fail "an appending session failed"
echo "all $WORKERS sessions committed $((WORKERS * TXNS_PER_WORKER)) transactions, $((WORKERS * TXNS_PER_WORKER * RECORDS_PER_TXN)) records"

# ------------------------------------------------------------------ 3
step "3. Append in a transaction, commit, then ask where the records landed"
echo "log_last_positions() reports this session's last committed appending transaction."
echo "Then read each touched partition back from that first offset with log_read()."
demo_psql <<'SQL' || fail "step 3"
BEGIN;
SELECT logext.log_append('orders', '{"order": "manual-1", "customer": "customer-1"}'::text, key => 'customer-1') AS partition;
SELECT logext.log_append('orders', '{"order": "manual-2", "customer": "customer-2"}'::text, key => 'customer-2') AS partition;
\echo '-- not committed yet, so not readable (not even by this transaction):'
SELECT count(*) AS visible_manual_records
  FROM generate_series(0, 3) AS p, logext.log_read('orders', p, 0) AS r
 WHERE convert_from(r.value, 'UTF8') LIKE '%manual-%';
COMMIT;
SELECT * FROM logext.log_last_positions() ORDER BY log_name, partition;

\echo '-- read back from the first offset of this commit, in offset order:'
SELECT lp.partition, r.log_offset, r.key, convert_from(r.value, 'UTF8') AS value
  FROM logext.log_last_positions() AS lp,
       logext.log_read('orders', lp.partition, lp.first_offset) AS r
 ORDER BY lp.partition, r.log_offset;

\echo '-- the same with an explicit partition and offset:'
SELECT partition AS p, first_offset AS off
  FROM logext.log_last_positions() ORDER BY partition LIMIT 1 \gset
SELECT log_offset, key, convert_from(value, 'UTF8') AS value
  FROM logext.log_read('orders', :p, :off);
SQL

# ------------------------------------------------------------------ 4
step "4. A second, independent reader replays a partition from offset 0"
echo "Another session, no shared state with the writers, replays the partition of"
echo "key 'customer-2': offsets are dense (0, 1, 2, ...), and every record of a key"
echo "is in the partition log_partition_for() names (Kafka's murmur2 partitioner)."
demo_psql <<'SQL' || fail "step 4"
SELECT logext.log_partition_for('orders', 'customer-2') AS p \gset
SELECT log_offset, key, convert_from(value, 'UTF8') AS value
  FROM logext.log_read('orders', :p, 0)
 ORDER BY log_offset;
SELECT count(*) AS records, min(log_offset) AS first, max(log_offset) AS last,
       count(*) = max(log_offset) + 1 AS dense
  FROM logext.log_read('orders', :p, 0);
\echo '-- murmur2 agrees with Kafka (Utils.murmur2("foobar") = -790332482):'
SELECT logext.murmur2('foobar'::bytea);
SELECT r.key, count(*) AS records, min(p) AS partition,
       logext.log_partition_for('orders', r.key) AS log_partition_for,
       min(p) = max(p) AND min(p) = logext.log_partition_for('orders', r.key) AS same_partition
  FROM generate_series(0, 3) AS p, logext.log_read('orders', p, 0) AS r
 GROUP BY r.key
 ORDER BY r.key;
SQL

# ------------------------------------------------------------------ 5
step "5. An open transaction does not hold readers back"
echo "A background session appends and keeps its transaction open for 2 seconds;"
echo "a reader meanwhile returns at once with everything committed so far."
logext_psql -q -d "$DB" -o /dev/null <<'SQL' &
BEGIN;
SELECT logext.log_append('orders', '{"order": "slow-1", "customer": "customer-1"}'::text, key => 'customer-1');
SELECT pg_sleep(2);
COMMIT;
SQL
slow=$!
sleep 0.5
demo_psql <<'SQL' || fail "step 5"
\timing on
SELECT logext.log_partition_for('orders', 'customer-1') AS p \gset
SELECT count(*) AS readable_now,
       count(*) FILTER (WHERE convert_from(value, 'UTF8') LIKE '%slow-1%') AS slow_record_visible
  FROM logext.log_read('orders', :p, 0);
SQL
wait "$slow" || fail "the slow session failed"
echo "-- after the background session committed:"
demo_psql <<'SQL' || fail "step 5"
SELECT logext.log_partition_for('orders', 'customer-1') AS p \gset
SELECT log_offset, key, convert_from(value, 'UTF8') AS value
  FROM logext.log_read('orders', :p, 0)
 WHERE convert_from(value, 'UTF8') LIKE '%slow-1%';
SQL

# ------------------------------------------------------------------ 6
step "6. Monitoring: logext.partitions and logext.log_segments"
demo_psql <<'SQL' || fail "step 6"
SELECT * FROM logext.partitions ORDER BY log_name, partition;
SELECT log_name, partition, base_offset, relid FROM logext.log_segments ORDER BY log_name, partition, base_offset;
\echo '-- a segment relation can be read with plain SELECT:'
SELECT relid AS seg FROM logext.log_segments
 WHERE log_name = 'orders' AND partition = logext.log_partition_for('orders', 'customer-8')
 ORDER BY base_offset LIMIT 1 \gset
SELECT partition, log_offset, key, convert_from(value, 'UTF8') AS value FROM :seg ORDER BY log_offset LIMIT 5;
SQL

# ------------------------------------------------------------------ 7
step "7. A subscriber: consumer group 'billing' catches up, then waits for new records"
echo "The group's position is its committed offset per partition; reading a batch and"
echo "committing the next offset happen in one transaction (exactly once)."
demo_psql <<'SQL' || fail "step 7"
SELECT "group", log_name, partition, committed_offset, log_end_offset, lag
  FROM logext.consumer_groups WHERE "group" = 'billing' ORDER BY partition;
\echo '-- no committed offsets yet: the group starts at the earliest record of each partition'
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS
  SELECT * FROM logext.log_read_group('billing', 'orders', max_records => 1000);
SELECT partition, count(*) AS records, min(log_offset), max(log_offset) FROM batch GROUP BY partition ORDER BY partition;
SELECT logext.log_commit('billing', 'orders', partition, max(log_offset) + 1) FROM batch GROUP BY partition;
COMMIT;
\echo '-- caught up: lag 0 on every partition'
SELECT "group", log_name, partition, committed_offset, log_end_offset, lag
  FROM logext.consumer_groups WHERE "group" = 'billing' ORDER BY partition;
SQL
echo
echo "A consumer waiting in log_read(..., wait_ms) is woken by the next commit (no polling):"
part=$(logext_psql -At -d "$DB" -c "SELECT logext.log_partition_for('orders', 'customer-1')") || fail "step 7"
next=$(logext_psql -At -d "$DB" -c "SELECT logext.log_committed('billing', 'orders', $part)") || fail "step 7"
( sleep 1; logext_psql -q -d "$DB" -c "SELECT logext.log_append('orders', '{\"order\": \"late-1\", \"customer\": \"customer-1\"}'::text, key => 'customer-1')" >/dev/null ) &
demo_psql <<SQL || fail "step 7"
SELECT clock_timestamp() AS waiting_since \gset
SELECT partition, log_offset, key, convert_from(value, 'UTF8') AS value,
       round(extract(epoch FROM clock_timestamp() - :'waiting_since'::timestamptz)::numeric, 2) AS waited_s
  FROM logext.log_read('orders', $part, $next, 10, wait_ms => 10000);
SQL
wait

# ------------------------------------------------------------------ done
echo
if [ $KEEP = 1 ]; then
	trap - EXIT INT TERM HUP
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo "
	logext_say "demo finished; the cluster is still running (--keep)"
	cat <<EOF

Connect (as root, or as the postgres OS user; the socket directory is private):
  ${sudo}psql -h $LOGEXT_SOCKDIR -p $LOGEXT_PORT -U postgres -d $DB
Server log:
  $LOGEXT_SERVER_LOG
Stop and remove it when done:
  ${sudo}runuser -u postgres -- $LOGEXT_BIN/pg_ctl -D $LOGEXT_PGDATA -m fast stop
  ${sudo}rm -rf $LOGEXT_WORK
EOF
else
	logext_say "demo finished; stopping and removing the throwaway cluster"
	logext_cleanup
	echo "done (run with --keep to keep the cluster running)"
fi
