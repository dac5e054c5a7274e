
# Copyright: logext contributors
#
# 011_sqlsmith.pl: sqlsmith (random SQL generated from the catalog: every
# function, operator, table and view it finds, logext's internal functions,
# catalog tables and segment relations included) runs as a superuser
# against a database with logext and logs holding data of varied shapes
# (test/sqlsmith.sh creates them: keys, headers, multi-page values, rolled
# partitions, COPY, consumer group offsets), for a bounded number of
# queries.  Zero crashes: the server log must have no "terminated by
# signal", PANIC or TRAP, the server must still answer, and every partition
# can still be read without crashing it.
#
# Skipped when sqlsmith is not installed (Debian package sqlsmith).
# LOGEXT_SQLSMITH_QUERIES (default 5000) and LOGEXT_SQLSMITH_SEED (default
# 4242) change the run.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

if (system('sqlsmith --version >/dev/null 2>&1') != 0)
{
	plan skip_all => 'sqlsmith is not installed (apt-get install sqlsmith)';
}

my $queries = $ENV{LOGEXT_SQLSMITH_QUERIES} // 5000;
my $seed = $ENV{LOGEXT_SQLSMITH_SEED} // 4242;
my $script = "$FindBin::RealBin/../sqlsmith.sh";

my $node = logext_node('sqlsmith', qq{
max_connections = 20
log_statement = none
log_min_error_statement = error
restart_after_crash = on
}, extension => 0);
$node->safe_psql('postgres', 'CREATE DATABASE smith');

my $out = PostgreSQL::Test::Utils::tempdir;
my $target = $node->connstr('smith');
my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[
		'bash', $script, '--seed', $seed, '--log', $node->logfile,
		'--out', $out, $target, $queries
	],
	'>', \$stdout, '2>', \$stderr);
my @lines = split /\n/, $stdout;
note join("\n", @lines[ ($#lines > 8 ? $#lines - 8 : 0) .. $#lines ]);
ok($ok, "sqlsmith: $queries queries (seed $seed), no crash")
  or diag "$stdout\n$stderr";
like($stdout, qr/no crash in the server log/, 'server log checked');

# the cluster is still up and usable
is($node->safe_psql('smith', 'SELECT 1'), '1', 'server answers after the run');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC:|TRAP:/, 'no crash, PANIC or TRAP in the whole server log');

$node->stop;
done_testing();
