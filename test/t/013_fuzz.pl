
# Copyright: logext contributors
#
# 013_fuzz.pl: test/fuzz.py, logext's own fuzzer, for a bounded number of
# statements: two sessions call every logext function with random valid
# and invalid arguments, with transactions, savepoints, rollbacks, PREPARE
# TRANSACTION, statement timeouts, cancels and terminations of each other,
# log_create / log_drop / log_roll of the same names, consumer group calls,
# COPY and INSERT into segments, and now and then DROP EXTENSION logext
# CASCADE.  Zero crashes and internal errors (XX000) in the server log, no
# connection lost that nobody terminated, and at the end every partition
# reads back with strictly increasing offsets within [first_offset,
# next_offset) and no group is committed beyond a partition's end (fuzz.py
# checks these and exits non-zero otherwise).
#
# Skipped when python3 with psycopg2 (Debian package python3-psycopg2) is
# not installed.  LOGEXT_FUZZ_STATEMENTS (default 20000) and
# LOGEXT_FUZZ_SEED (default 1) change the run.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

if (system('python3 -c "import psycopg2" >/dev/null 2>&1') != 0)
{
	plan skip_all => 'python3 with psycopg2 is not installed (apt-get install python3-psycopg2)';
}

my $statements = $ENV{LOGEXT_FUZZ_STATEMENTS} // 20000;
my $seed = $ENV{LOGEXT_FUZZ_SEED} // 1;
my $script = "$FindBin::RealBin/../fuzz.py";

my $node = logext_node('fuzz', qq{
max_connections = 20
max_prepared_transactions = 5
log_statement = none
log_min_error_statement = panic
log_line_prefix = '%m [%p] %e %q%a '
restart_after_crash = on
}, extension => 0);
$node->safe_psql('postgres', 'CREATE DATABASE fuzz');

my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[
		'python3', $script, '--dsn', $node->connstr('fuzz'), '--seed', $seed,
		'--statements', $statements, '--log', $node->logfile
	],
	'>', \$stdout, '2>', \$stderr);
note $stdout;
ok($ok, "fuzz.py: $statements statements (seed $seed): no crash, no internal error, invariants hold")
  or diag "$stdout\n$stderr";
like($stdout, qr/no crash in the server log/, 'server log checked');
like($stdout, qr/invariants: \d+ partitions, \d+ records read back, 0 problems/, 'invariants checked');

is($node->safe_psql('fuzz', 'SELECT 1'), '1', 'the server answers after the run');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|terminated by exception|PANIC:|TRAP:/,
	'no crash, PANIC or TRAP in the server log');
my @internal = grep { /\] XX00\d / } split /\n/, $log;
is(scalar(@internal), 0, 'no internal error (XX000) in the server log')
  or diag join("\n", @internal[ 0 .. ($#internal > 20 ? 20 : $#internal) ]);

$node->stop;
done_testing();
