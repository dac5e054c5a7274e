# shellcheck shell=bash
# scripts/cluster.sh -- helper library for scripts/demo.sh and scripts/test.sh
#
# Source it, do not run it:   . "$(dirname "$0")/cluster.sh"
#
# It installs the Debian packages logext needs, builds and installs the
# extension from a private copy of the source tree, and runs a throwaway
# PostgreSQL 15 cluster (data directory, socket directory and server log in
# one mktemp directory under /tmp, its own port, no TCP listener) that
# preloads logext.  Everything it starts is stopped and removed by
# logext_cleanup, which callers install as an EXIT trap.
#
# Works as root (the server and the tests then run as the "postgres" OS user
# via runuser) or as a user with sudo (apt-get and "make install" use sudo,
# the server runs via "sudo -u postgres").
#
# Environment knobs (all optional):
#   LOGEXT_SKIP_APT=1       do not run apt-get (packages already present)
#   LOGEXT_PORT=N           use this port instead of picking a free one
#   LOGEXT_FSYNC=on|off     fsync setting of the throwaway cluster (default off)
#   LOGEXT_EXTNAME=name     extension/library to preload and create (default
#                           logext; only used to test these scripts on a stub)
#   LOGEXT_BIN=dir          PostgreSQL 15 bin directory (default
#                           /usr/lib/postgresql/15/bin); a relocated copy of
#                           the installation lets several test runs install
#                           and run logext side by side
#
# Functions set these globals: LOGEXT_SRC LOGEXT_WORK LOGEXT_TREE LOGEXT_OUT
# LOGEXT_PGDATA LOGEXT_SOCKDIR LOGEXT_PORT LOGEXT_SERVER_LOG; PG_CONFIG and
# PATH are exported.  Layout of the work directory:
#   tree/   copy of the source tree, built there, then owned by postgres
#   data/   data directory of the throwaway cluster (postgres, 0700)
#   sock/   its unix socket directory (postgres, 0700)
#   pglog/  its server log (postgres)
#   out/    build and test output of the invoking user

LOGEXT_PG_MAJOR=15
LOGEXT_EXTNAME=${LOGEXT_EXTNAME:-logext}
LOGEXT_BIN=${LOGEXT_BIN:-/usr/lib/postgresql/$LOGEXT_PG_MAJOR/bin}
LOGEXT_PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libipc-run-perl
 libtap-parser-sourcehandler-pgtap-perl make gcc postgresql-15-pgq3 perl sqlsmith python3-psycopg2"

LOGEXT_SRC=${LOGEXT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LOGEXT_WORK=${LOGEXT_WORK:-}
LOGEXT_TREE=${LOGEXT_TREE:-}
LOGEXT_OUT=${LOGEXT_OUT:-}
LOGEXT_PGDATA=${LOGEXT_PGDATA:-}
LOGEXT_SOCKDIR=${LOGEXT_SOCKDIR:-}
LOGEXT_PORT=${LOGEXT_PORT:-}
LOGEXT_SERVER_LOG=${LOGEXT_SERVER_LOG:-}
LOGEXT_T0=${LOGEXT_T0:-$SECONDS}

export PG_CONFIG=$LOGEXT_BIN/pg_config
case ":$PATH:" in
	"$LOGEXT_BIN:"*) ;;
	*) export PATH="$LOGEXT_BIN:$PATH" ;;
esac

logext_say()
{
	echo "=== [$((SECONDS - LOGEXT_T0))s] $*"
}

logext_die()
{
	echo "ERROR: $*" >&2
	exit 1
}

# Run a command with root privileges (apt-get, make install, chown).
logext_as_root()
{
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "ERROR: need root or sudo to run: $*" >&2
		return 1
	fi
}

# Run a command as the "postgres" OS user with the environment needed to
# talk to the throwaway cluster and to find the PostgreSQL 15 binaries.
logext_as_pg()
{
	local envs=(PATH="$PATH" PG_CONFIG="$PG_CONFIG" LANG=C.UTF-8 LC_ALL=C.UTF-8)
	[ -n "${LOGEXT_SOCKDIR:-}" ] && envs+=(PGHOST="$LOGEXT_SOCKDIR")
	[ -n "${LOGEXT_PORT:-}" ] && envs+=(PGPORT="$LOGEXT_PORT")
	envs+=(PGUSER=postgres HOME="$(getent passwd postgres | cut -d: -f6)")
	[ -n "${CI:-}" ] && envs+=(CI="$CI")
	[ -n "${PROVE_FLAGS:-}" ] && envs+=(PROVE_FLAGS="$PROVE_FLAGS")
	if [ "$(id -un)" = postgres ]; then
		env "${envs[@]}" "$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- env "${envs[@]}" "$@"
	else
		sudo -u postgres env "${envs[@]}" "$@"
	fi
}

# Run a long command (a test stage) so that an INT/TERM to this script stops
# it too: it runs as a background job and the script waits for it, because a
# trapped signal interrupts "wait" at once (but not a foreground command),
# and logext_stop_child then kills what is left of it.  Needed because
# "timeout" puts the command into a process group of its own, out of reach
# of a Ctrl-C on the terminal.
LOGEXT_CHILD=
logext_run()
{
	local rc
	"$@" &
	LOGEXT_CHILD=$!
	wait "$LOGEXT_CHILD"
	rc=$?
	LOGEXT_CHILD=
	return $rc
}

# TERM a process and all its descendants (children first), by pid.
logext_kill_tree()
{
	local pid=$1 c
	for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		logext_kill_tree "$c"
	done
	logext_as_root kill -TERM "$pid" 2>/dev/null
	return 0
}

logext_stop_child()
{
	if [ -n "${LOGEXT_CHILD:-}" ]; then
		logext_kill_tree "$LOGEXT_CHILD"
		wait "$LOGEXT_CHILD" 2>/dev/null
		LOGEXT_CHILD=
	fi
	return 0
}

# psql as postgres against the throwaway cluster; stops at the first error.
logext_psql()
{
	logext_as_pg psql -X -v ON_ERROR_STOP=1 "$@"
}

logext_install_packages()
{
	if [ "${LOGEXT_SKIP_APT:-}" = 1 ]; then
		logext_say "skipping apt-get (LOGEXT_SKIP_APT=1)"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
		# no way to install; go on if everything is there already
		# shellcheck disable=SC2086
		if dpkg-query -W -f='${Status}\n' $LOGEXT_PACKAGES 2>/dev/null | grep -qv 'install ok installed'; then
			logext_die "not root, no sudo, and some of these packages are missing: $LOGEXT_PACKAGES"
		fi
		logext_say "not root and no sudo; required packages are already installed"
		return 0
	fi
	logext_say "installing packages: $(echo "$LOGEXT_PACKAGES" | tr -s '\n ' '  ')"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600)
	logext_as_root "${apt[@]}" update >/dev/null || { echo "apt-get update failed" >&2; return 1; }
	# shellcheck disable=SC2086
	logext_as_root "${apt[@]}" install --no-install-recommends $LOGEXT_PACKAGES >/dev/null ||
		{ echo "apt-get install failed" >&2; return 1; }
	[ -x "$LOGEXT_BIN/initdb" ] || logext_die "$LOGEXT_BIN/initdb missing after install"
	id postgres >/dev/null 2>&1 || logext_die "OS user postgres missing after install"
}

# Create the private work directory /tmp/logext-<what>.XXXXXX (mode 755 so
# the postgres user can reach it).
logext_make_workdir()
{
	local what=${1:-run}
	LOGEXT_WORK=$(mktemp -d "/tmp/logext-$what.XXXXXX") || logext_die "mktemp failed"
	chmod 755 "$LOGEXT_WORK"
	LOGEXT_TREE=$LOGEXT_WORK/tree
	LOGEXT_OUT=$LOGEXT_WORK/out
	LOGEXT_PGDATA=$LOGEXT_WORK/data
	LOGEXT_SOCKDIR=$LOGEXT_WORK/sock
	LOGEXT_SERVER_LOG=$LOGEXT_WORK/pglog/server.log
	mkdir -p "$LOGEXT_OUT"
}

# Copy the source tree (without .git and build/test products) to
# $LOGEXT_TREE.  The tests write into the tree (results/, tmp_check/, ...)
# as the postgres user, and the checkout may not even be readable by it.
logext_copy_tree()
{
	[ -n "$LOGEXT_WORK" ] || logext_make_workdir run
	mkdir -p "$LOGEXT_TREE"
	tar -C "$LOGEXT_SRC" \
		--exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		--exclude=./results --exclude=./output_iso --exclude=./tmp_check \
		--exclude=./regression.diffs --exclude=./regression.out --exclude=./log \
		--exclude=./bench/results \
		-cf - . | tar -C "$LOGEXT_TREE" -xf - || logext_die "copying the tree failed"
}

# Build as the invoking user, install as root.  Returns non-zero on failure
# and leaves the compiler output in $LOGEXT_OUT/build.log.
logext_build_install()
{
	local blog=$LOGEXT_OUT/build.log
	logext_say "building logext in $LOGEXT_TREE"
	if ! make -C "$LOGEXT_TREE" -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$PG_CONFIG" >"$blog" 2>&1; then
		echo "---- build failed; last 80 lines of $blog ----"
		tail -n 80 "$blog"
		return 1
	fi
	grep -E 'warning:' "$blog" | head -20
	logext_say "installing logext (make install)"
	if ! logext_as_root make -C "$LOGEXT_TREE" install PG_CONFIG="$PG_CONFIG" >>"$blog" 2>&1; then
		echo "---- make install failed; last 40 lines of $blog ----"
		tail -n 40 "$blog"
		return 1
	fi
}

# Hand the built tree to the postgres user (the tests write into it).
logext_chown_tree()
{
	logext_as_root chown -R postgres:postgres "$LOGEXT_TREE"
}

logext_port_busy()
{
	local p=$1
	[ -e "/tmp/.s.PGSQL.$p" ] && return 0
	[ -e "/var/run/postgresql/.s.PGSQL.$p" ] && return 0
	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
	return 1
}

# Pick a port nobody listens on, starting near 54329 with a random offset so
# that parallel runs (and TAP clusters, which pick random ports) rarely meet.
logext_pick_port()
{
	if [ -n "${LOGEXT_PORT:-}" ]; then
		return 0
	fi
	local p tries=0
	p=$((54329 + RANDOM % 1000))
	while logext_port_busy "$p"; do
		p=$((p + 1))
		tries=$((tries + 1))
		[ $tries -lt 2000 ] || logext_die "no free port found"
	done
	LOGEXT_PORT=$p
}

# initdb + postgresql.conf for the throwaway cluster.
logext_cluster_init()
{
	[ -n "$LOGEXT_WORK" ] || logext_make_workdir run
	logext_pick_port
	logext_as_root install -d -o postgres -g postgres -m 700 "$LOGEXT_PGDATA" "$LOGEXT_SOCKDIR" || return 1
	logext_as_root install -d -o postgres -g postgres -m 755 "$(dirname "$LOGEXT_SERVER_LOG")" || return 1
	mkdir -p "$LOGEXT_OUT"
	logext_say "initdb in $LOGEXT_PGDATA (port $LOGEXT_PORT, socket dir $LOGEXT_SOCKDIR)"
	logext_as_pg initdb -D "$LOGEXT_PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$LOGEXT_OUT/initdb.log" 2>&1 || { cat "$LOGEXT_OUT/initdb.log"; return 1; }
	logext_as_pg sh -c "cat >> '$LOGEXT_PGDATA/postgresql.conf'" <<CONF || return 1

# ---- added by scripts/cluster.sh (throwaway cluster) ----
port = $LOGEXT_PORT
listen_addresses = ''
unix_socket_directories = '$LOGEXT_SOCKDIR'
shared_preload_libraries = '$LOGEXT_EXTNAME'
wal_level = logical
max_replication_slots = 4
max_wal_senders = 4
max_prepared_transactions = 4
fsync = ${LOGEXT_FSYNC:-off}
logging_collector = off
log_line_prefix = '%m [%p] %q%a '
log_min_messages = warning
CONF
}

logext_cluster_start()
{
	logext_say "starting PostgreSQL $LOGEXT_PG_MAJOR (log: $LOGEXT_SERVER_LOG)"
	if ! logext_as_pg pg_ctl -D "$LOGEXT_PGDATA" -l "$LOGEXT_SERVER_LOG" -w -t 60 start >/dev/null; then
		echo "---- server failed to start; tail of $LOGEXT_SERVER_LOG ----"
		logext_server_log_tail 40
		return 1
	fi
}

logext_server_log_tail()
{
	local n=${1:-50}
	[ -n "$LOGEXT_SERVER_LOG" ] || return 0
	logext_as_root test -f "$LOGEXT_SERVER_LOG" || return 0
	echo "---- $LOGEXT_SERVER_LOG (last $n lines) ----"
	logext_as_root tail -n "$n" "$LOGEXT_SERVER_LOG"
	return 0
}

# Is the throwaway cluster running?
logext_cluster_running()
{
	[ -n "$LOGEXT_PGDATA" ] && [ -f "$LOGEXT_PGDATA/postmaster.pid" ] &&
		logext_as_pg pg_ctl -D "$LOGEXT_PGDATA" status >/dev/null 2>&1
}

logext_cluster_stop()
{
	[ -n "$LOGEXT_PGDATA" ] && [ -d "$LOGEXT_PGDATA" ] || return 0
	if logext_cluster_running; then
		logext_as_pg pg_ctl -D "$LOGEXT_PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			logext_as_pg pg_ctl -D "$LOGEXT_PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
	fi
	return 0
}

# Kill any postmaster still running from a data directory inside the given
# directory (default: the whole work directory, i.e. ours and the TAP
# tests' under tree/tmp_check), by the pid in its postmaster.pid.
logext_kill_leftovers()
{
	local top=${1:-$LOGEXT_WORK}
	[ -n "$top" ] && [ -d "$top" ] || return 0
	local pidfile pid dir
	while IFS= read -r pidfile; do
		pid=$(logext_as_root sed -n 1p "$pidfile" 2>/dev/null)
		dir=$(logext_as_root sed -n 2p "$pidfile" 2>/dev/null)
		case "$pid" in '' | *[!0-9]*) continue ;; esac
		# only signal it if it really is the postmaster of that directory
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "postgres" &&
			[ "$(logext_as_root readlink "/proc/$pid/cwd" 2>/dev/null)" = "$dir" ]; then
			echo "stopping leftover postmaster $pid ($dir)" >&2
			logext_as_root kill -QUIT "$pid" 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				logext_as_root kill -0 "$pid" 2>/dev/null || break
				sleep 0.5
			done
			logext_as_root kill -0 "$pid" 2>/dev/null && logext_as_root kill -KILL "$pid" 2>/dev/null
		fi
	done < <(logext_as_root find "$top" -name postmaster.pid -type f 2>/dev/null)
	return 0
}

# Stop everything and remove the work directory (EXIT trap).
logext_cleanup()
{
	local rc=$?
	trap - EXIT INT TERM HUP
	cd / || true
	logext_stop_child
	logext_cluster_stop
	logext_kill_leftovers "${LOGEXT_WORK:-}"
	if [ -n "${LOGEXT_WORK:-}" ] && [ -d "$LOGEXT_WORK" ] && [ "${LOGEXT_KEEP:-}" != 1 ]; then
		case "$LOGEXT_WORK" in
			/tmp/logext-*) logext_as_root rm -rf -- "$LOGEXT_WORK" ;;
		esac
	fi
	return $rc
}

logext_install_traps()
{
	trap logext_cleanup EXIT
	trap 'echo "interrupted" >&2; exit 130' INT TERM HUP
}

# The common start of a benchmark script run from the top of the source
# tree: traps, packages, a work directory named $1 with a copy of the tree,
# built and installed, and a started cluster.  Leaves the current directory
# at the copy.
logext_bench_cluster()
{
	logext_install_traps
	logext_install_packages || return 1
	logext_make_workdir "$1"
	logext_copy_tree
	cd "$LOGEXT_TREE" || return 1
	logext_build_install || return 1
	logext_chown_tree || return 1
	logext_cluster_init || return 1
	logext_cluster_start || return 1
}
