
# Copyright: logext contributors
#
# 006_no_preload.pl: on a server that does not preload logext, loading it
# is a plain ERROR, not the end of the session.
#   - LOAD 'logext' and CREATE EXTENSION logext fail with SQLSTATE 55000
#     (object_not_in_prerequisite_state) and a hint naming
#     shared_preload_libraries and the restart
#   - the session stays usable (same backend, a following SELECT works),
#     and a second attempt in the same session fails the same way (a failed
#     _PG_init leaves the library mapped, and PostgreSQL calls _PG_init again)
#   - CREATE EXTENSION leaves nothing behind; the server log has no FATAL
#   - after adding logext to shared_preload_libraries and restarting, the
#     same CREATE EXTENSION works

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->start;

my $hint =
  'HINT:  Add logext to shared_preload_libraries in postgresql.conf and restart the server.';

my $log_offset = -s $node->logfile;
my ($ret, $stdout, $stderr) = $node->psql(
	'postgres', q{
\set VERBOSITY default
SELECT 'pid=' || pg_backend_pid();
LOAD 'logext';
\echo load1=:LAST_ERROR_SQLSTATE
SELECT 'alive after LOAD';
LOAD 'logext';
\echo load2=:LAST_ERROR_SQLSTATE
CREATE EXTENSION logext;
\echo create1=:LAST_ERROR_SQLSTATE
SELECT 'alive after CREATE EXTENSION';
CREATE EXTENSION logext;
\echo create2=:LAST_ERROR_SQLSTATE
SELECT 'pid=' || pg_backend_pid();
SELECT 'extensions=' || count(*) FROM pg_extension WHERE extname = 'logext';
SELECT 'schemas=' || count(*) FROM pg_namespace WHERE nspname = 'logext';
SELECT 'access methods=' || count(*) FROM pg_am WHERE amname = 'log';
},
	on_error_stop => 0);

note "stdout:\n$stdout";
note "stderr:\n$stderr";
is($ret, 0, 'psql ran to the end (the connection was not lost)');
for my $step (qw(load1 load2 create1 create2))
{
	like($stdout, qr/^$step=55000$/m, "$step: SQLSTATE 55000");
}
like($stdout, qr/^alive after LOAD$/m, 'the session works after LOAD');
like($stdout, qr/^alive after CREATE EXTENSION$/m,
	'the session works after CREATE EXTENSION');
my @pids = $stdout =~ /^pid=(\d+)$/mg;
is(scalar(@pids), 2, 'two backend pids reported');
is($pids[0], $pids[1], 'the same backend ran every statement');
my $nerrors = () =
  $stderr =~ /ERROR:  logext must be loaded via shared_preload_libraries/g;
is($nerrors, 4, 'four errors saying logext must be preloaded');
my $nhints = () = $stderr =~ /\Q$hint\E/g;
is($nhints, 4, 'each with the hint naming the setting and the restart');
unlike($stderr, qr/FATAL|XX000|cannot create PGC_POSTMASTER/,
	'no FATAL error');
like($stdout, qr/^extensions=0$/m,     'no extension was created');
like($stdout, qr/^schemas=0$/m,        'no schema was left behind');
like($stdout, qr/^access methods=0$/m, 'no access method was left behind');

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/FATAL/, 'the server log has no FATAL');

# a fresh session fails the same way on its first call into the library
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION logext', on_error_stop => 0);
like($stderr, qr/ERROR:  logext must be loaded via shared_preload_libraries/,
	'a new session gets the same error');

# with the library preloaded the same command works
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'logext'");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION logext');
is( $node->safe_psql(
		'postgres',
		"SELECT logext.log_create('np', 1); SELECT count(*) FROM logext.logs WHERE log_name = 'np'"
	),
	"\n1",
	'after preloading, CREATE EXTENSION and log_create work');

$node->stop;
done_testing();
