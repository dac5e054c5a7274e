#!/usr/bin/env bash
# scripts/test.sh -- build logext and run its whole test suite
#
#   sudo bash scripts/test.sh
#
# Installs the Debian packages, builds and installs logext from a private
# copy of the tree, starts a throwaway PostgreSQL 15 cluster that preloads
# logext, and runs, each stage on its own so that one failing stage does not
# hide the others:
#   1. pg_regress     sql/*.sql      (make installcheck TAP_TESTS= ISOLATION=)
#   2. isolation      specs/*.spec   (make installcheck TAP_TESTS= REGRESS=)
#   3. pgTAP          test/pgtap/*.sql via pg_prove, in database logext_pgtap
#   4. TAP            test/t/*.pl    (make installcheck REGRESS= ISOLATION=;
#                     PostgreSQL::Test::Cluster makes its own clusters)
# Unit of counting: one test file (a regress test, a spec, a pgTAP file, a
# TAP script) passes or fails.  A failed build counts as one failure.  The
# last line printed is "N passed, N failed"; the exit status is non-zero if
# anything failed.  The cluster and the work directory are removed at exit.
#
# Knobs: LOGEXT_SKIP_APT=1 (skip apt-get), LOGEXT_TEST_TIMEOUT (seconds per
# stage or TAP file, default 1800), PROVE_FLAGS (e.g. -v), LOGEXT_KEEP=1
# (keep the work directory for inspection; the cluster is still stopped).

set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/cluster.sh
. scripts/cluster.sh

PASSED=0
FAILED=0
SUMMARY_PRINTED=0
STAGE_TIMEOUT=${LOGEXT_TEST_TIMEOUT:-1800}
declare -a FAILED_UNITS=()

pass()
{
	PASSED=$((PASSED + ${2:-1}))
}

fail()
{
	FAILED=$((FAILED + 1))
	FAILED_UNITS+=("$1")
}

# files written by the postgres user may not be readable by a sudo user
print_file_tail()
{
	local f=$1 n=${2:-60}
	logext_as_root test -f "$f" || return 0
	echo "---- $f (last $n lines) ----"
	logext_as_root tail -n "$n" "$f"
}

print_file()
{
	local f=$1 max=${2:-1500}
	logext_as_root test -f "$f" || return 0
	echo "---- $f ----"
	logext_as_root head -n "$max" "$f"
	[ "$(logext_as_root wc -l <"$f")" -le "$max" ] || echo "... (truncated at $max lines)"
}

# shellcheck disable=SC2317  # invoked from the EXIT trap
finish()
{
	local rc=$?
	[ "$SUMMARY_PRINTED" = 1 ] && return
	SUMMARY_PRINTED=1
	logext_cleanup >/dev/null 2>&1
	if [ "$rc" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
		# the script itself died (e.g. set-up step aborted)
		fail "test.sh aborted (exit $rc)"
	fi
	echo
	if [ ${#FAILED_UNITS[@]} -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${FAILED_UNITS[@]}"
	fi
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -gt 0 ]; then
		exit 1
	fi
	exit 0
}
trap finish EXIT
trap 'echo "interrupted" >&2; fail "test.sh interrupted"; exit 130' INT TERM HUP

# Count pg_regress / pg_isolation_regress result lines of a run.  PG15
# prints "test NAME ... ok", "     NAME ... FAILED" (parallel group) and
# "... failed (ignored)".  Sets N_OK and N_FAIL.
count_pg_regress()
{
	local out=$1
	N_OK=$(grep -cE '^(test|    ) +[^ ]+ +\.\.\. +(ok|failed \(ignored\))' "$out")
	N_FAIL=$(grep -cE '^(test|    ) +[^ ]+ +\.\.\. +FAILED' "$out")
}

# run_pg_regress_stage LABEL NTESTS MAKE-ARGS... : one pg_regress based stage
run_pg_regress_stage()
{
	local label=$1 ntests=$2
	shift 2
	local out=$LOGEXT_OUT/$label.out rc fd tee_pid
	logext_say "$label: make -k installcheck $*"
	# show the output as it comes and keep a copy to count the results
	exec {fd}> >(tee "$out")
	tee_pid=$!
	logext_run logext_as_pg timeout -k 30 "$STAGE_TIMEOUT" make -k -C "$LOGEXT_TREE" installcheck "$@" >&"$fd" 2>&1
	rc=$?
	exec {fd}>&-
	wait "$tee_pid" 2>/dev/null
	count_pg_regress "$out"
	local missing=$((ntests - N_OK - N_FAIL))
	[ $missing -gt 0 ] || missing=0
	pass "$label" "$N_OK"
	FAILED=$((FAILED + N_FAIL + missing))
	grep -E '^(test|    ) +[^ ]+ +\.\.\. +FAILED' "$out" |
		sed -E "s/^(test)? *([^ ]+) .*/$label: \2/" >"$LOGEXT_OUT/$label.failed"
	while IFS= read -r l; do FAILED_UNITS+=("$l"); done <"$LOGEXT_OUT/$label.failed"
	[ $missing -gt 0 ] && FAILED_UNITS+=("$label: $missing test(s) did not run (exit $rc)")
	if [ "$rc" -ne 0 ] && [ "$N_FAIL" -eq 0 ] && [ $missing -eq 0 ]; then
		fail "$label: make installcheck exited with $rc"
	fi
	logext_say "$label: $N_OK ok, $((N_FAIL + missing)) failed (exit $rc)"
	[ "$rc" -eq 0 ] && [ "$N_FAIL" -eq 0 ] && [ $missing -eq 0 ]
}

# ------------------------------------------------------------------ set-up
logext_say "logext test suite (source: $LOGEXT_SRC)"
if ! logext_install_packages; then
	fail "set-up: package installation"
	exit 1
fi

logext_make_workdir test
logext_copy_tree
cd "$LOGEXT_TREE" || exit 1

if ! logext_build_install; then
	fail "build: make / make install (see output above)"
	exit 1
fi
logext_chown_tree || exit 1

# test inventories (the Makefile derives REGRESS and ISOLATION the same way)
shopt -s nullglob
REGRESS_TESTS=()
for f in sql/*.sql; do
	case "$f" in sql/"$LOGEXT_EXTNAME"--*) continue ;; esac # install scripts
	REGRESS_TESTS+=("$(basename "$f" .sql)")
done
ISOLATION_TESTS=(specs/*.spec)
PGTAP_TESTS=(test/pgtap/*.sql)
TAP_TESTS=(test/t/*.pl)
shopt -u nullglob
logext_say "found ${#REGRESS_TESTS[@]} regress, ${#ISOLATION_TESTS[@]} isolation, ${#PGTAP_TESTS[@]} pgTAP, ${#TAP_TESTS[@]} TAP test files"

CLUSTER_UP=0
if logext_cluster_init && logext_cluster_start; then
	CLUSTER_UP=1
else
	# every test that needs this server counts as failed (or the start
	# itself, if there are none); TAP tests make their own clusters
	n=0
	for t in "${REGRESS_TESTS[@]}"; do fail "regress: $t (server did not start)"; n=1; done
	for t in "${ISOLATION_TESTS[@]}"; do fail "isolation: $(basename "$t" .spec) (server did not start)"; n=1; done
	for t in "${PGTAP_TESTS[@]}"; do fail "pgTAP: $t (server did not start)"; n=1; done
	[ $n = 1 ] || fail "set-up: throwaway cluster did not start"
fi

ANY_STAGE_FAILED=0

# ------------------------------------------------------- 1+2. regress, isolation
if [ $CLUSTER_UP = 1 ]; then
	if [ ${#REGRESS_TESTS[@]} -gt 0 ]; then
		if ! run_pg_regress_stage regress "${#REGRESS_TESTS[@]}" TAP_TESTS= ISOLATION=; then
			ANY_STAGE_FAILED=1
			print_file "$LOGEXT_TREE/regression.diffs"
		fi
	else
		logext_say "regress: no tests in sql/ (skipped)"
	fi

	if [ ${#ISOLATION_TESTS[@]} -gt 0 ]; then
		if ! run_pg_regress_stage isolation "${#ISOLATION_TESTS[@]}" TAP_TESTS= REGRESS=; then
			ANY_STAGE_FAILED=1
			print_file "$LOGEXT_TREE/output_iso/regression.diffs"
		fi
	else
		logext_say "isolation: no specs in specs/ (skipped)"
	fi
else
	logext_say "regress/isolation: not run, no server"
fi

# ---------------------------------------------------------------- 3. pgTAP
if [ ${#PGTAP_TESTS[@]} -eq 0 ]; then
	logext_say "pgTAP: no files in test/pgtap/ (skipped)"
elif [ $CLUSTER_UP = 0 ]; then
	logext_say "pgTAP: not run, no server"
else
	logext_say "pgTAP: creating database logext_pgtap"
	if logext_psql -q -d postgres -c "CREATE DATABASE logext_pgtap" &&
		logext_psql -q -d logext_pgtap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION $LOGEXT_EXTNAME"; then
		for f in "${PGTAP_TESTS[@]}"; do
			logext_say "pgTAP: pg_prove $f"
			# shellcheck disable=SC2086  # PROVE_FLAGS may hold several flags
			if logext_run logext_as_pg timeout -k 30 "$STAGE_TIMEOUT" pg_prove ${PROVE_FLAGS:-} -d logext_pgtap "$f" 2>&1; then
				pass "$f"
			else
				fail "pgTAP: $f"
				ANY_STAGE_FAILED=1
			fi
		done
	else
		for f in "${PGTAP_TESTS[@]}"; do fail "pgTAP: $f (database set-up failed)"; done
		ANY_STAGE_FAILED=1
	fi
fi

# ------------------------------------------------------------------ 4. TAP
if [ ${#TAP_TESTS[@]} -eq 0 ]; then
	logext_say "TAP: no scripts in test/t/ (skipped)"
else
	for f in "${TAP_TESTS[@]}"; do
		logext_say "TAP: make installcheck REGRESS= ISOLATION= PROVE_TESTS=$f"
		if logext_run logext_as_pg timeout -k 30 "$STAGE_TIMEOUT" make -C "$LOGEXT_TREE" installcheck \
			REGRESS= ISOLATION= PROVE_TESTS="$f" 2>&1; then
			pass "$f"
		else
			fail "TAP: $f"
			ANY_STAGE_FAILED=1
			for l in "$LOGEXT_TREE"/tmp_check/log/*; do
				[ -f "$l" ] && print_file_tail "$l" 80
			done
		fi
		# a TAP script killed by the timeout may leave its clusters running
		logext_kill_leftovers "$LOGEXT_TREE/tmp_check"
	done
fi

# ------------------------------------------------------------ wrap up
if [ $ANY_STAGE_FAILED = 1 ] || [ $FAILED -gt 0 ]; then
	logext_server_log_tail 80
fi
exit 0 # finish() prints the summary and sets the exit status
