#!/usr/bin/env bash
# test/sqlsmith.sh -- run sqlsmith against a database with logext and logs
# holding data, and report server crashes.
#
#   bash test/sqlsmith.sh [--seed N] [--log SERVER_LOG] [--out DIR] [--no-setup] TARGET QUERIES
#
# TARGET is a libpq connection string of a superuser connection to a
# database of a server that preloads logext (the database is changed: the
# extension is created if missing and logs "ss.*" are dropped and created
# again).  QUERIES is the number of queries sqlsmith generates
# (--max-queries).  The script
#   1. creates logs with data of varied shapes: keyed and unkeyed records,
#      headers, empty values, values spanning several pages, text/bytea/jsonb
#      variants, batches, COPY into a segment, rolled partitions (several
#      segments each, one of them empty), an empty log, a log with 16
#      partitions, committed consumer group offsets;
#   2. runs sqlsmith --exclude-catalog (sqlsmith sets its own short
#      statement_timeout), which calls logext's functions (the internal ones
#      too, as a superuser) and queries its views, catalog tables and
#      segment relations;
#   3. reads every partition of every log back (errors are fine: sqlsmith
#      may have changed logext's catalog tables);
#   4. with --log, looks in the server log, from where it was when the run
#      started, for crashes: "terminated by signal", "terminated by
#      exception", PANIC, TRAP (assertion failure), a process "exited with
#      exit code" 2 or more; and checks that the server still answers.
# sqlsmith's output (sqlsmith.stdout, sqlsmith.stderr) and the part of the
# server log written during the run go to DIR (default: a new directory
# under ${TMPDIR:-/tmp}, printed).
# Exit status: 0 if no crash was found, 1 if one was (the matching log lines
# are printed), 2 on a usage or set-up error.

set -uo pipefail

seed=
server_log=
out=
setup=1
while [ $# -gt 0 ]; do
	case "$1" in
		--seed) seed=$2; shift 2 ;;
		--log) server_log=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--no-setup) setup=0; shift ;;
		-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
		--) shift; break ;;
		-*) echo "unknown option $1" >&2; exit 2 ;;
		*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: $0 [--seed N] [--log SERVER_LOG] [--out DIR] [--no-setup] TARGET QUERIES" >&2; exit 2; }
target=$1
queries=$2
case "$queries" in '' | *[!0-9]*) echo "QUERIES must be a number" >&2; exit 2 ;; esac
seed=${seed:-$$}
if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/sqlsmith.XXXXXX") || exit 2
fi
mkdir -p "$out" || exit 2
echo "sqlsmith.sh: output in $out"

command -v sqlsmith >/dev/null 2>&1 || { echo "sqlsmith is not installed (apt-get install sqlsmith)" >&2; exit 2; }

psql_t()
{
	psql -X -q -v ON_ERROR_STOP=1 -d "$target" "$@"
}

log_start=0
if [ -n "$server_log" ]; then
	[ -r "$server_log" ] || { echo "cannot read server log $server_log" >&2; exit 2; }
	log_start=$(stat -c %s "$server_log")
fi

if [ $setup = 1 ]; then
	echo "sqlsmith.sh: creating logs with data"
	psql_t <<'SQL' || { echo "set-up failed" >&2; exit 2; }
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS logext;
SELECT logext.log_drop(log_name) FROM logext.logs WHERE log_name LIKE 'ss.%';
SELECT logext.log_delete_group(g) FROM unnest(ARRAY['ss.g1', 'ss.g2', 'ss.g3']) g;

-- keyed records with headers, 4 partitions
SELECT logext.log_create('ss.keyed', 4);
SELECT logext.log_append('ss.keyed', ('v' || i)::text, key => 'k' || (i % 37),
                         headers => jsonb_build_object('i', i, 'h', repeat('x', i % 5)))
  FROM generate_series(1, 400) i;
-- all three value variants, NULL keys and headers, empty values, unicode
SELECT logext.log_append('ss.keyed', '{"a": [1, 2, {"b": null}]}'::jsonb, key => 'json');
SELECT logext.log_append('ss.keyed', '\x00ff00'::bytea, headers => '[]'::jsonb);
SELECT logext.log_append('ss.keyed', ''::text, key => '');
SELECT logext.log_append('ss.keyed', 'ünïcødé ✓ 日本'::text, key => 'ключ');

-- values spanning several pages (and one large one)
SELECT logext.log_create('ss.big', 2);
SELECT logext.log_append('ss.big', convert_to(repeat(md5(i::text), 300 * i), 'UTF8'), key => 'b' || i)
  FROM generate_series(1, 12) i;
SELECT logext.log_append('ss.big', convert_to(repeat('L', 3000000), 'UTF8'), partition => 1);

-- batches, with and without keys/headers; COPY into a segment
SELECT logext.log_create('ss.batch', 3);
SELECT logext.log_append_batch('ss.batch', array_agg(('b' || i)::bytea), array_agg('k' || i),
                               array_agg(jsonb_build_object('n', i)))
  FROM generate_series(1, 300) i;
SELECT logext.log_append_batch('ss.batch', ARRAY['t1', 't2', 't3']::text[], partition => 2);
SQL
	# COPY into the first segment of ss.batch, partition 0
	seg=$(psql_t -At -c "SELECT relid FROM logext.log_segments WHERE log_name = 'ss.batch' AND partition = 0 ORDER BY base_offset LIMIT 1")
	printf 'ck%d\t\\\\x%02x\t{"copy": %d}\n' $(for i in $(seq 1 200); do echo "$i $((i % 256)) $i"; done) |
		psql_t -c "COPY $seg (key, value, headers) FROM STDIN" || { echo "COPY failed" >&2; exit 2; }

	psql_t <<'SQL' || { echo "set-up failed" >&2; exit 2; }
SET client_min_messages = warning;
-- rolled partitions: several segments, the last one empty
SELECT logext.log_create('ss.rolled', 2);
SELECT logext.log_append('ss.rolled', ('r0-' || i)::text, partition => 0) FROM generate_series(1, 50) i;
SELECT logext.log_roll('ss.rolled', 0);
SELECT logext.log_append('ss.rolled', ('r1-' || i)::text, partition => 0, key => 'x') FROM generate_series(1, 50) i;
SELECT logext.log_roll('ss.rolled', 0);
SELECT logext.log_append('ss.rolled', ('r2-' || i)::text, partition => 1) FROM generate_series(1, 20) i;
SELECT logext.log_roll('ss.rolled', 1);
SELECT logext.log_append('ss.rolled', 'after roll'::text, partition => 1);
SELECT logext.log_roll('ss.rolled', 1);
-- an empty log and a wide one
SELECT logext.log_create('ss.empty', 1);
SELECT logext.log_create('ss.wide', 16);
SELECT logext.log_append('ss.wide', ('w' || i)::text) FROM generate_series(1, 160) i;

-- consumer groups: committed offsets, a reset, a group read
SELECT logext.log_commit('ss.g1', 'ss.keyed', p, 5) FROM generate_series(0, 3) p;
SELECT logext.log_commit('ss.g1', 'ss.rolled', 0, 60);
SELECT logext.log_reset_offsets('ss.g2', 'ss.wide', 'latest');
SELECT logext.log_reset_offsets('ss.g3', 'ss.batch', 'earliest');
SELECT count(*) FROM logext.log_read_group('ss.g1', 'ss.keyed');
SQL
fi

echo "sqlsmith.sh: sqlsmith --seed=$seed --max-queries=$queries --exclude-catalog"
t0=$SECONDS
sqlsmith --target="$target" --seed="$seed" --max-queries="$queries" --exclude-catalog --verbose \
	>"$out/sqlsmith.stdout" 2>"$out/sqlsmith.stderr" </dev/null
rc=$?
# sqlsmith prints progress and a final error report on stderr
tail -n 25 "$out/sqlsmith.stderr" | tr '\r' '\n' | tail -n 25
echo "sqlsmith.sh: sqlsmith exited with $rc after $((SECONDS - t0)) s"

# aftermath: read every partition of every log back (sqlsmith may have
# changed logext's catalog as a superuser: errors are fine, crashes are not)
echo "sqlsmith.sh: reading every partition back"
psql -X -q -At -d "$target" -c "SELECT count(*) || ' records in ' || count(DISTINCT p.log_name || '/' || p.partition) || ' partitions'
  FROM logext.partitions p, LATERAL logext.log_read(p.log_name, p.partition, p.first_offset, 2147483647) r" 2>&1 | head -5

crash=0
if [ $rc -ne 0 ]; then
	echo "sqlsmith.sh: sqlsmith failed (exit $rc)"
	crash=1
fi
if ! psql_t -At -c "SELECT 'server alive'"; then
	echo "sqlsmith.sh: the server does not answer after the run"
	crash=1
fi
if [ -n "$server_log" ]; then
	tail -c +"$((log_start + 1))" "$server_log" >"$out/sqlsmith.server.log"
	if grep -E 'terminated by signal|terminated by exception|PANIC:|TRAP:|exited with exit code ([2-9]|[1-9][0-9])' \
		"$out/sqlsmith.server.log" >"$out/sqlsmith.crashes"; then
		echo "sqlsmith.sh: crashes in the server log:"
		head -n 40 "$out/sqlsmith.crashes"
		crash=1
	else
		echo "sqlsmith.sh: no crash in the server log"
	fi
fi
[ $crash = 0 ] && echo "sqlsmith.sh: OK ($queries queries, seed $seed)"
exit $crash
