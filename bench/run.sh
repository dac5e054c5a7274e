#!/usr/bin/env bash
# bench/run.sh [--quick] [--keep]
#
# logext benchmark suite: logext vs a naive outbox table, PgQ, LISTEN/NOTIFY
# and heap COPY/cursor floors, all in one throwaway PostgreSQL 15 cluster.
# See bench/README.md for the workloads.  Writes bench/results/latest.json and
# bench/results/latest.md and prints the table.
#
#   --quick   fewer repetitions and smaller data (about 3-4 minutes)
#   --keep    leave the cluster running and the work directory in place
#
# Environment overrides: BENCH_REPS, BENCH_N (multiple of 10000), BENCH_W1_SECS,
# BENCH_W2_SECS, BENCH_W5_MSGS, BENCH_BUDGET_S (time budget deciding whether
# the 10^7-record W6 level runs), BENCH_SKIP_BUILD=1.
set -euo pipefail

QUICK=0
KEEP=0
for a in "$@"; do
	case "$a" in
		--quick) QUICK=1 ;;
		--keep) KEEP=1 ;;
		-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
		*) echo "unknown argument: $a" >&2; exit 2 ;;
	esac
done

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$BENCH")
LIB=$BENCH/lib
PGB=$BENCH/pgbench
BIN=/usr/lib/postgresql/15/bin
export PATH="$BIN:$PATH"
T0=$SECONDS
CMDLINE="bash bench/run.sh${*:+ $*}"

if [ $QUICK = 1 ]; then
	REPS=${BENCH_REPS:-1}; N=${BENCH_N:-200000}; W1_SECS=${BENCH_W1_SECS:-5}; W2_SECS=${BENCH_W2_SECS:-4}
	W5_MSGS=${BENCH_W5_MSGS:-200}; W6_LEVELS="1e4 1e6"; NDEL=20000; BUDGET=${BENCH_BUDGET_S:-600}
else
	REPS=${BENCH_REPS:-3}; N=${BENCH_N:-1000000}; W1_SECS=${BENCH_W1_SECS:-10}; W2_SECS=${BENCH_W2_SECS:-8}
	W5_MSGS=${BENCH_W5_MSGS:-1000}; W6_LEVELS="1e4 1e6 1e7"; NDEL=100000; BUDGET=${BENCH_BUDGET_S:-800}
fi

say() { echo "=== [$((SECONDS - T0))s] $*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

for t in perl psql pgbench; do command -v $t >/dev/null || die "$t not found"; done
perl -MDBI -MDBD::Pg -e1 2>/dev/null || die "perl DBI/DBD::Pg missing: apt-get install libdbd-pg-perl"

# ------------------------------------------------------------------ cluster
WORK=$(mktemp -d /tmp/logext-bench.XXXXXX)
chmod 755 "$WORK"
RAW=$WORK/raw.tsv
META=$WORK/meta.tsv
: >"$RAW"
: >"$META"
PGDATA=$WORK/pgdata
SOCK=$WORK/sock
SERVER_LOG=$WORK/pglog/server.log
HOLDER_PID=
STARTED=0

if [ "$(id -u)" = 0 ]; then
	asuser() { runuser -u postgres -- "$@"; }
	install -d -o postgres -g postgres -m 700 "$PGDATA" "$SOCK"
	install -d -o postgres -g postgres -m 755 "$WORK/pglog"
else
	asuser() { "$@"; }
	install -d -m 700 "$PGDATA" "$SOCK"
	install -d -m 755 "$WORK/pglog"
fi

cleanup() {
	local rc=$?
	if [ -n "$HOLDER_PID" ]; then kill "$HOLDER_PID" 2>/dev/null || true; fi
	if [ $KEEP = 1 ]; then
		echo "kept: $WORK  (psql -h $SOCK -p $PORT -U postgres -d bench; stop: pg_ctl -D $PGDATA stop)" >&2
		exit $rc
	fi
	if [ $STARTED = 1 ]; then
		asuser "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 ||
			asuser "$BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ $rc != 0 ] && [ -f "$SERVER_LOG" ]; then
		echo "--- last lines of the server log:" >&2
		tail -30 "$SERVER_LOG" >&2 || true
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a free TCP port (the cluster listens only on its private socket, but the
# port also names the socket, and a free one keeps any later TCP use safe)
PORT=$(perl -MIO::Socket::INET -e 'for my $p (55400 .. 55999) { next if -e "/tmp/.s.PGSQL.$p"; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p, Listen => 1, ReuseAddr => 0) or next; close $s; print $p; exit 0 } exit 1') ||
	die "no free port"

if [ "$(id -u)" = 0 ] && [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
	say "building and installing logext from a private copy of $SRC"
	mkdir -p "$WORK/tree"
	tar -C "$SRC" --exclude=./.git --exclude=./bench --exclude='*.o' --exclude='*.bc' --exclude='*.so' -cf - . | tar -C "$WORK/tree" -xf -
	make -C "$WORK/tree" -j2 PG_CONFIG="$BIN/pg_config" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build failed"; }
	make -C "$WORK/tree" install PG_CONFIG="$BIN/pg_config" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "install failed"; }
elif [ "$(id -u)" != 0 ]; then
	say "not root: using the logext already installed"
fi

say "initdb + start on port $PORT ($PGDATA)"
asuser "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log" >&2; die "initdb failed"; }
SETTINGS="fsync=on, synchronous_commit=on, wal_level=replica, shared_buffers=512MB, max_wal_size=4GB, checkpoint_timeout=30min (CHECKPOINT before each measurement)"
cat >>"$PGDATA/postgresql.conf" <<CONF
# logext benchmark cluster
port = $PORT
listen_addresses = ''
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'logext'
fsync = on
synchronous_commit = on
wal_level = replica
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
max_connections = 50
CONF
asuser "$BIN/pg_ctl" -D "$PGDATA" -l "$SERVER_LOG" -w start >/dev/null
STARTED=1
export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
psql -X -q -d postgres -c "CREATE DATABASE bench" >/dev/null
psql -X -q -c "CREATE EXTENSION logext; CREATE EXTENSION pgq;" >/dev/null

# ------------------------------------------------------------------ helpers
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
record() { printf '%s\t%s\n' "$1" "$2" >>"$RAW"; echo "    $1 = $2" >&2; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
now() { date +%s.%N; }
calc() { perl -e "printf('%.6f', $1)"; }
checkpoint() { q "CHECKPOINT" >/dev/null; }
lsn() { q "SELECT pg_current_wal_insert_lsn()"; }

# pgbench_run SCRIPT [pgbench options...] -> prints "tps latency_ms transactions"
pgbench_run() {
	local script=$1 out
	shift
	out=$(pgbench -n -M prepared "$@" -f "$PGB/$script" 2>&1) || { echo "$out" >&2; die "pgbench $script failed"; }
	if echo "$out" | grep -Eq '^number of failed transactions: [1-9]'; then echo "$out" >&2; die "pgbench $script had failures"; fi
	local tps lat ntx
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1)
	lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' | head -1)
	ntx=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' | head -1)
	[ -n "$tps" ] && [ -n "$lat" ] && [ -n "$ntx" ] || { echo "$out" >&2; die "cannot parse pgbench output"; }
	echo "$tps $lat $ntx"
}

# rotate REP LIST...: the list rotated by REP-1 places, so that no system is
# always measured first within a repetition
rotate() { local r=$(($1 - 1)); shift; local a=("$@") n=$#; for i in $(seq 0 $((n - 1))); do echo -n "${a[$(((i + r) % n))]} "; done; }

OUTBOX_COLS="id bigserial PRIMARY KEY, key text, payload bytea, created_at timestamptz DEFAULT now()"

WAIT_MS=no
if [ "$(q "SELECT count(*) FROM pg_proc WHERE oid = 'logext.log_read'::regproc AND 'wait_ms' = ANY (proargnames)")" = 1 ]; then
	WAIT_MS=yes
fi

meta date "$(date -u +%Y-%m-%dT%H:%MZ)"
meta mode "$([ $QUICK = 1 ] && echo quick || echo full)"
meta command "$CMDLINE"
meta reps "$REPS"
meta n "$N"
meta git_commit "$(git -c safe.directory="$SRC" -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta git_dirty "$(if [ -n "$(git -c safe.directory="$SRC" -C "$SRC" status --porcelain -- src sql Makefile 2>/dev/null)" ]; then echo yes; else echo no; fi)"
meta machine "$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo), $(uname -r)"
meta pg_version "$(q "SHOW server_version")"
meta settings "$SETTINGS"
meta wait_ms "$WAIT_MS"
other_pg() { local n; n=$(ps -eo ppid=,comm= | awk '$2 == "postgres" && ($1 == 1 || $1 == 0)' | wc -l); echo $((n - 1)); }
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg), other PostgreSQL clusters running on the machine: $(other_pg)"
meta w1_secs "$W1_SECS"
meta w2_secs "$W2_SECS"
meta w5_msgs "$W5_MSGS"
say "mode=$([ $QUICK = 1 ] && echo quick || echo full) reps=$REPS N=$N; log_read wait_ms: $WAIT_MS"

say "generating $N records of bulk input"
mkdir -p "$WORK/data"
perl "$LIB/gen_data.pl" "$WORK/data" "$N"

# ------------------------------------------------------------------ W1
say "W1: single-record transactions, pgbench -c 2 -T $W1_SECS"
q "SELECT logext.log_create('bench_w1', 1);
   CREATE TABLE outbox_w1 ($OUTBOX_COLS);
   SELECT pgq.create_queue('q_w1');" >/dev/null
w1_run() { # system metric [seconds]
	checkpoint
	local r l1 l2 ntx
	l1=$(lsn)
	r=$(pgbench_run "w1_$1.sql" -c 2 -j 2 -T "${3:-$W1_SECS}")
	l2=$(lsn)
	record "$2" "${r%% *}"
	ntx=$(echo "$r" | cut -d' ' -f3)
	if [ "${2%%.*}" = w1 ] && [ "$ntx" -gt 0 ]; then
		record "w1.$1.wal_per_txn" "$(q "SELECT round(pg_wal_lsn_diff('$l2', '$l1') / $ntx, 1)")"
	fi
}
for rep in $(seq "$REPS"); do
	for s in $(rotate "$rep" logext outbox pgq); do w1_run $s "w1.$s.tps"; done
done

# ------------------------------------------------------------------ W2
say "W2: 100 records per transaction, pgbench -c 2 -T $W2_SECS"
q "SELECT logext.log_create('bench_w2', 1);
   CREATE TABLE outbox_w2 ($OUTBOX_COLS);
   SELECT pgq.create_queue('q_w2');" >/dev/null
for rep in $(seq "$REPS"); do
	for v in $(rotate "$rep" logext_batch:logext_batch100 logext_single:logext_single100 outbox:outbox pgq:pgq); do
		checkpoint
		r=$(pgbench_run "w2_${v%%:*}.sql" -c 2 -j 2 -T "$W2_SECS")
		record "w2.${v##*:}.rps" "$(calc "${r%% *} * 100")"
	done
done

# ------------------------------------------------------------------ W2 bulk, W3, W4
# one fresh container per system and repetition: bulk load N records (W2 bulk
# rows/s, W4 WAL and bytes), then drain them with one consumer (W3), then
# clean up what was drained (W4 reclaimed: logext drops the drained
# segments by retention, the outbox DELETEs the rows and VACUUMs)
# W4 reclaimed: the share of the load's bytes given back to the file system
# by cleaning up after the drain, and how long the cleanup took
cleanup_drained() { # system name bytes_before
	local s=$1 name=$2 before=$3 t1 t2 after
	case $s in
		logext | outbox) ;;
		*) return ;;
	esac
	t1=$(now)
	case $s in
		logext) # everything was consumed: seal it and let retention drop it
			q "SELECT logext.log_roll('$name', 0)" >/dev/null
			q "SELECT logext.log_alter('$name', retention_bytes => 1)" >/dev/null
			q "SELECT logext.log_enforce_retention('$name')" >/dev/null
			after=$(q "SELECT sum(pg_total_relation_size(relid)) FROM logext.log_segments WHERE log_name = '$name'") ;;
		outbox)
			q "DELETE FROM $name" >/dev/null
			q "VACUUM $name" >/dev/null
			after=$(q "SELECT pg_total_relation_size('$name')") ;;
	esac
	t2=$(now)
	record "w4.$s.reclaimed_pct" "$(calc "100 * ($before - $after) / $before")"
	record "w4.$s.cleanup_s" "$(calc "$t2 - $t1")"
}

load_and_drain() { # system rep
	local s=$1 rep=$2 pfx=w name t1 t2 l1 l2 bytes out
	case $s in
		logext) name=${pfx}_bulk_$rep; q "SELECT logext.log_create('$name', 1)" >/dev/null ;;
		outbox) name=${pfx}_outbox_$rep; q "CREATE TABLE $name ($OUTBOX_COLS)" ;;
		pgq) name=${pfx}_q_$rep
			q "SELECT pgq.create_queue('$name'); SELECT pgq.set_queue_config('$name', 'ticker_max_count', '1000');
			   SELECT pgq.register_consumer('$name', 'c1');" >/dev/null ;;
		heap) name=${pfx}_heap_floor_$rep; q "CREATE TABLE $name (key text, payload bytea)" ;;
	esac
	checkpoint
	l1=$(lsn)
	t1=$(now)
	case $s in
		logext) # COPY into the partition's segment: the same rows and parsing as the heap COPY floor
			psql -X -q -v ON_ERROR_STOP=1 -c "COPY $(q "SELECT relid FROM logext.log_segments WHERE log_name = '$name'") (key, value) FROM STDIN" <"$WORK/data/copy.tsv" >/dev/null ;;
		outbox) psql -X -q -v ON_ERROR_STOP=1 -v tbl="$name" -f "$WORK/data/outbox_bulk.sql" >/dev/null ;;
		pgq) psql -X -q -v ON_ERROR_STOP=1 -v q="$name" -f "$WORK/data/pgq_bulk.sql" >/dev/null ;;
		heap) psql -X -q -v ON_ERROR_STOP=1 -c "COPY $name (key, payload) FROM STDIN" <"$WORK/data/copy.tsv" >/dev/null ;;
	esac
	t2=$(now)
	l2=$(lsn)
	case $s in
		logext) bytes=$(q "SELECT sum(pg_total_relation_size(relid)) FROM logext.log_segments WHERE log_name = '$name'") ;;
		outbox | heap) bytes=$(q "SELECT pg_total_relation_size('$name')") ;;
		pgq) bytes=$(q "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
		                       pgq.queue qu WHERE qu.queue_name = '$name' AND n.nspname = 'pgq' AND c.relkind = 'r'
		                       AND c.relname ~ ('^event_' || qu.queue_id || '(_[0-9]+)?\$')") ;;
	esac
	case $s in
		logext) record w2.logext_copy.rps "$(calc "$N / ($t2 - $t1)")" ;;
		outbox) record w2.outbox_bulk10k.rps "$(calc "$N / ($t2 - $t1)")" ;;
		pgq) record w2.pgq_bulk1k.rps "$(calc "$N / ($t2 - $t1)")" ;;
		heap) record w2.copy.rps "$(calc "$N / ($t2 - $t1)")" ;;
	esac
	record "w4.$s.bytes_per_rec" "$(calc "$bytes / $N")"
	record "w4.$s.wal_per_rec" "$(q "SELECT pg_wal_lsn_diff('$l2', '$l1') / $N")"
	out=$(perl "$LIB/drain.pl" "$s" "$name" "$N") || die "drain $s failed"
	record "w3.$s.rps" "$(calc "${out% *} / ${out#* }")"
	cleanup_drained $s "$name" "$bytes"
	case $s in
		logext) q "SELECT logext.log_drop('$name')" >/dev/null ;;
		outbox | heap) q "DROP TABLE $name" ;;
		pgq) q "SELECT pgq.drop_queue('$name', true)" >/dev/null ;;
	esac
}
say "W2 bulk / W3 drain / W4 size: $N records per system and repetition"
for rep in $(seq "$REPS"); do
	for s in $(rotate "$rep" logext outbox pgq heap); do
		say "  rep $rep: $s"
		load_and_drain $s "$rep"
	done
done

# ------------------------------------------------------------------ W5
say "W5: wake latency over $W5_MSGS messages"
q "CREATE TABLE lat_outbox ($OUTBOX_COLS)"
W5_MODES="logext_poll:lat_log outbox_notify:lat_outbox"
[ "$WAIT_MS" = yes ] && W5_MODES="logext_wait:lat_log $W5_MODES"
q "SELECT logext.log_create('lat_log', 1)" >/dev/null
for rep in $(seq "$REPS"); do
	for mv in $(rotate "$rep" $W5_MODES); do
		m=${mv%%:*}
		out=$(perl "$LIB/latency.pl" "$m" "${mv##*:}" "$W5_MSGS") || die "latency $m failed"
		read -r p50 p99 mx mean cnt cp50 ap50 ap99 <<<"$out"
		record "w5.$m.p50" "$p50"
		record "w5.$m.p99" "$p99"
		record "w5.$m.max" "$mx"
		record "w5.$m.commit_p50" "$cp50"
		record "w5.$m.ack_p50" "$ap50"
		record "w5.$m.ack_p99" "$ap99"
	done
done

# ------------------------------------------------------------------ W7
# Paired measurements: in each repetition the same work runs once while a
# session sits idle in a REPEATABLE READ transaction (holding back the xmin
# horizon) and once right after that session has gone.  The N-record log and
# outbox table drained here are loaded once, with the snapshot held.
say "W7: held xmin (REPEATABLE READ snapshot held open) vs clean, paired per repetition"
W7_W1_SECS=$(((W1_SECS + 1) / 2))
holder_start() {
	perl "$LIB/hold_xmin.pl" >"$WORK/holder.out" 2>&1 &
	HOLDER_PID=$!
	for i in $(seq 50); do grep -q holding "$WORK/holder.out" 2>/dev/null && break; sleep 0.1; done
	grep -q holding "$WORK/holder.out" || die "xmin holder did not start: $(cat "$WORK/holder.out")"
	HXMIN=$(q "SELECT backend_xmin FROM pg_stat_activity WHERE application_name = 'logext-bench-holder' AND state = 'idle in transaction'")
	[ -n "$HXMIN" ] || die "xmin holder holds no xmin"
}
holder_stop() {
	local still
	still=$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'logext-bench-holder' AND backend_xmin = '$HXMIN' AND state = 'idle in transaction'")
	[ "$still" = 1 ] || die "the xmin holder lost its snapshot"
	kill "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null || true
	HOLDER_PID=
	for i in $(seq 50); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'logext-bench-holder'")" = 0 ] && break
		sleep 0.1
	done
}
dead() { # n_dead_tup of the tables of one system
	case $1 in
		logext) q "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE schemaname = 'logext'" ;;
		outbox) q "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname IN ('outbox_w1', 'w7_outbox')" ;;
		outbox_del) q "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname = 'w7_del'" ;;
	esac
}
w7_drain() { # system name count -> rec/s
	local out
	out=$(perl "$LIB/drain.pl" "$1" "$2" "$3") || die "drain $1 failed"
	calc "${out% *} / ${out#* }"
}
del_load() {
	q "TRUNCATE w7_del"
	psql -X -q -v ON_ERROR_STOP=1 -v tbl=w7_del -f <(head -n $((NDEL / 10000)) "$WORK/data/outbox_bulk.sql") >/dev/null
}
w7_round() { # held|clean
	local tag=$1 d0l d0o
	d0l=$(dead logext); d0o=$(dead outbox)
	for s in logext outbox; do w1_run $s "w7.$s.w1_${tag}_tps" "$W7_W1_SECS"; done
	record "w7.logext.w3_${tag}_rps" "$(w7_drain logext w7_log "$N")"
	record "w7.outbox.w3_${tag}_rps" "$(w7_drain outbox w7_outbox "$N")"
	del_load
	checkpoint
	record "w7.outbox_del.w3_${tag}_rps" "$(w7_drain outbox_del w7_del "$NDEL")"
	sleep 1 # exited sessions have flushed their table statistics
	if [ "$tag" = held ]; then
		record w7.logext.dead_tup "$(($(dead logext) - d0l))"
		record w7.outbox.dead_tup "$(($(dead outbox) - d0o))"
		record w7.outbox_del.dead_tup "$(dead outbox_del)" # TRUNCATEd before the drain
	fi
}
q "CREATE TABLE w7_outbox ($OUTBOX_COLS); CREATE TABLE w7_del ($OUTBOX_COLS)"
q "SELECT logext.log_create('w7_log', 1)" >/dev/null
holder_start
say "  session $HOLDER_PID idle in REPEATABLE READ with backend_xmin $HXMIN; loading $N records into w7_log and w7_outbox"
psql -X -q -v ON_ERROR_STOP=1 -v log=w7_log -f "$WORK/data/logext_bulk.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v tbl=w7_outbox -f "$WORK/data/outbox_bulk.sql" >/dev/null
# the first read of a freshly loaded heap sets hint bits: one untimed drain of
# each before the timed ones, so that held and clean runs read the same pages
perl "$LIB/drain.pl" logext w7_log "$N" >/dev/null
perl "$LIB/drain.pl" outbox w7_outbox "$N" >/dev/null
for rep in $(seq "$REPS"); do
	# odd repetitions run held first, even ones clean first
	if [ $((rep % 2)) = 0 ]; then
		[ -z "$HOLDER_PID" ] || holder_stop
		say "  rep $rep: clean"
		w7_round clean
	fi
	[ -n "$HOLDER_PID" ] || holder_start
	say "  rep $rep: held (backend_xmin $HXMIN)"
	w7_round held
	holder_stop
	if [ $((rep % 2)) = 1 ]; then
		say "  rep $rep: clean"
		w7_round clean
	fi
done
record w7.outbox_del.rows "$NDEL"
q "SELECT logext.log_drop('w7_log'); DROP TABLE w7_outbox; DROP TABLE w7_del;" >/dev/null

# ------------------------------------------------------------------ W6
# One log per size, so that every repetition measures all sizes back to back
# (machine drift then hits all sizes alike).  The largest size is only built
# if the estimated time still fits in the budget.
say "W6: scale, log sizes $W6_LEVELS"
next_offset() { q "SELECT next_offset FROM logext.partitions WHERE log_name = '$1' AND partition = 0"; }
grow_rate=
LEVELS_DONE=
for lv in $W6_LEVELS; do
	target=$(perl -e "print int($lv)")
	calls=$(((target + 9999) / 10000))
	nlv=$(($(echo "$LEVELS_DONE" | wc -w) + 1))
	need=$(perl -e "printf '%d', $calls * 10000 / ${grow_rate:-100000} + 6 * $nlv * $REPS + 10")
	if [ $((SECONDS - T0 + need)) -gt "$BUDGET" ]; then
		say "  skipping size $lv: needs ~${need}s, elapsed $((SECONDS - T0))s, budget ${BUDGET}s"
		record "w6.$lv.read_mid_ms" skipped
		continue
	fi
	say "  building w6_$lv: $calls calls of log_append_batch(10,000)"
	q "SELECT logext.log_create('w6_$lv', 1)" >/dev/null
	t1=$(now)
	pgbench_run w6_grow.sql -c 1 -t "$calls" -D log="w6_$lv" >/dev/null
	t2=$(now)
	grow_rate=$(calc "$calls * 10000 / ($t2 - $t1)")
	LEVELS_DONE="$LEVELS_DONE $lv"
done
checkpoint
for rep in $(seq "$REPS"); do
	for lv in $LEVELS_DONE; do
		n=$(next_offset "w6_$lv")
		if [ "$rep" = 1 ]; then record "w6.$lv.records" "$n"; fi
		r=$(pgbench_run w6_read_mid.sql -c 1 -t 200 -D log="w6_$lv" -D mid=$((n / 2)))
		record "w6.$lv.read_mid_ms" "$(echo "$r" | cut -d" " -f2)"
		r=$(pgbench_run w6_append_batch.sql -c 1 -t 40 -D log="w6_$lv")
		record "w6.$lv.append_batch_us_per_rec" "$(echo "$r" | cut -d" " -f2)" # ms per 1000 records = µs per record
		r=$(pgbench_run w6_append_single.sql -c 2 -j 2 -T 3 -D log="w6_$lv")
		record "w6.$lv.append_single_tps" "${r%% *}"
	done
done
for lv in $LEVELS_DONE; do record "w6.$lv.records_end" "$(next_offset "w6_$lv")"; done

# ------------------------------------------------------------------ report
meta elapsed_s "$((SECONDS - T0))"
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg), other PostgreSQL clusters running on the machine: $(other_pg)"
if grep -Eq 'PANIC|TRAP|server process .* was terminated' "$SERVER_LOG"; then
	grep -E 'PANIC|TRAP|terminated' "$SERVER_LOG" >&2
	die "the server crashed during the run"
fi
mkdir -p "$BENCH/results"
cp "$RAW" "$BENCH/results/latest.raw.tsv"
cp "$META" "$BENCH/results/latest.meta.tsv"
perl "$LIB/report.pl" "$RAW" "$META" "$BENCH/results"
say "done in $((SECONDS - T0))s; wrote $BENCH/results/latest.md and latest.json"
