
# Copyright: logext contributors
#
# 003_standby.pl: a streaming standby replays the log.
#   - after catch-up, log_read on the standby returns exactly what it
#     returns on the primary (every column, every partition), and so do the
#     partitions view and a seq scan of a segment; also after more appends,
#     a 1 MB value, rollbacks, savepoints, VACUUM FREEZE, log_create and
#     log_drop; and after a restart of the standby
#   - the primary runs with wal_consistency_checking = 'all', so the standby
#     compares every replayed page with the primary's full-page image
#   - a reader on the standby never skips: while a transaction on the
#     primary sits in the pre-commit window (records written, not yet
#     committed) and a later one has committed, the standby stops before
#     the first one's offset
#   - writing on the standby is refused; after promotion the new primary
#     appends at the next offset

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $primary = logext_node('primary', qq{
wal_consistency_checking = 'all'
max_wal_size = 1GB
}, init => [ allows_streaming => 1 ]);
$primary->safe_psql('postgres', "SELECT logext.log_create('sb', 3)");
$primary->safe_psql('postgres', "SELECT logext.log_append('sb', 'before the backup'::text, partition => 0)");

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
# init_from_backup copies postgresql.conf, so logext is preloaded there too
$standby->start;

sub view_of
{
	my ($node, $log) = @_;
	return $node->safe_psql('postgres',
		"SELECT partition, first_offset, next_offset, last_stable_offset, record_count FROM logext.partitions WHERE log_name = '$log' ORDER BY partition"
	);
}

sub catchup
{
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
}

sub compare
{
	my ($log, $nparts, $what) = @_;
	catchup();
	my $fp = log_fingerprint($primary, $log, $nparts);
	is(log_fingerprint($standby, $log, $nparts), $fp, "$what: log_read on the standby = on the primary");
	is(view_of($standby, $log), view_of($primary, $log), "$what: partitions view on the standby = on the primary");
	return $fp;
}

compare('sb', 3, 'right after start');

$primary->safe_psql(
	'postgres', q{
SELECT logext.log_append('sb', 'text ' || g, key => 'k' || (g % 17),
                         headers => jsonb_build_object('g', g)) FROM generate_series(1, 2000) g;
SELECT logext.log_append('sb', decode(md5(g::text), 'hex'), partition => g % 3) FROM generate_series(1, 500) g;
SELECT logext.log_append('sb', jsonb_build_object('n', g), partition => 1) FROM generate_series(1, 100) g;
SELECT logext.log_append_batch('sb', array_agg('batch ' || g ORDER BY g), keys => array_agg('bk' || g ORDER BY g))
  FROM generate_series(1, 3000) g;
SELECT logext.log_append('sb', (SELECT string_agg(sha256(int8send(g)), ''::bytea) FROM generate_series(1, 32768) g),
                         key => 'one MB', partition => 2);
BEGIN; SELECT logext.log_append('sb', 'rolled back'::text, partition => 0); ROLLBACK;
BEGIN;
SELECT logext.log_append('sb', 'kept'::text, partition => 0);
SAVEPOINT s;
SELECT logext.log_append('sb', 'savepoint rolled back'::text, partition => 0);
ROLLBACK TO s;
COMMIT;
});
my $fp = compare('sb', 3, 'after appends');
like($fp, qr/^0\|\d{3,}\|/, 'the log has records');
is($standby->safe_psql('postgres',
	"SELECT count(*) FROM logext.log_read('sb', 0, 0, 100000) WHERE position('rolled back'::bytea IN value) > 0"),
	'0', 'standby: nothing rolled back is visible');
is($standby->safe_psql('postgres',
	"SELECT length(value), encode(sha256(value), 'hex') = encode(sha256((SELECT string_agg(sha256(int8send(g)), ''::bytea) FROM generate_series(1, 32768) g)), 'hex') FROM logext.log_read('sb', 2, 0, 100000) WHERE key = 'one MB'"),
	'1048576|t', 'standby: the 1 MB value is bit-identical');

# a seq scan of a segment on the standby
my $seg = $primary->safe_psql('postgres', "SELECT relid FROM logext.log_segments WHERE log_name = 'sb' AND partition = 1");
my $scan = "SELECT count(*), md5(string_agg(log_offset || ':' || encode(value, 'hex'), ',' ORDER BY log_offset)) FROM $seg";
is($standby->safe_psql('postgres', $scan), $primary->safe_psql('postgres', $scan),
	'seq scan of a segment on the standby = on the primary');

# VACUUM FREEZE on the primary is replayed (freeze records), nothing changes
$primary->safe_psql('postgres', "VACUUM (FREEZE) $seg");
$primary->safe_psql('postgres', "VACUUM (FREEZE)");
compare('sb', 3, 'after VACUUM FREEZE');

# logs created and dropped on the primary
$primary->safe_psql('postgres',
	"SELECT logext.log_create('sb.new', 2); SELECT logext.log_append('sb.new', 'n' || g, partition => g % 2) FROM generate_series(1, 10) g;"
);
compare('sb.new', 2, 'a log created after the standby started');
my $new_segs = $primary->safe_psql('postgres', "SELECT string_agg(relid::text, ',') FROM logext.log_segments WHERE log_name = 'sb.new'");
$primary->safe_psql('postgres', "SELECT logext.log_drop('sb.new')");
catchup();
is($standby->safe_psql('postgres', "SELECT count(*) FROM logext.logs WHERE log_name = 'sb.new'"),
	'0', 'a dropped log is gone on the standby');
is($standby->safe_psql('postgres',
	"SELECT count(*) FROM unnest(string_to_array('$new_segs', ',')) s WHERE to_regclass(s) IS NOT NULL"),
	'0', 'its segments are gone on the standby');

# writing on the standby is refused, reading works
my ($ret, $out, $err) = $standby->psql('postgres', "SELECT logext.log_append('sb', 'on standby'::text)");
isnt($ret, 0, 'log_append on the standby fails');
like($err, qr/read-only|recovery/, 'log_append on the standby: read-only error');
($ret, $out, $err) = $standby->psql('postgres', "SELECT logext.log_create('sb.x', 1)");
isnt($ret, 0, 'log_create on the standby fails');

# --------------------------------------------------------------------------
# the pre-commit window, seen from the standby
# --------------------------------------------------------------------------
$primary->safe_psql('postgres', "SELECT logext.log_create('sb.window', 1)");
$primary->safe_psql('postgres', "SELECT logext.log_append('sb.window', 'w0'::text)");
catchup();

my $slow = $primary->background_psql('postgres');
$slow->query_safe('SET logext.debug_precommit_sleep_ms = 6000');
my $slow_pid = $slow->query_safe('SELECT pg_backend_pid()');
# autocommit: the append writes at pre-commit, then sleeps before the commit
$slow->{stdin} .= "SELECT logext.log_append('sb.window', 'slow'::text);\n";
$slow->{run}->pump_nb;
# wait until it is in the window: the primary's partitions view shows it
$primary->poll_query_until('postgres',
	"SELECT next_offset = 2 FROM logext.partitions WHERE log_name = 'sb.window'")
  or die 'the slow transaction did not reach the pre-commit window';
$primary->safe_psql('postgres', "SELECT logext.log_append('sb.window', 'fast'::text)");
catchup();    # the standby has replayed the slow write and the fast commit
my $in_window_standby = $standby->safe_psql('postgres',
	"SELECT string_agg(log_offset || ':' || convert_from(value, 'UTF8'), ' ' ORDER BY log_offset) FROM logext.log_read('sb.window', 0, 0)"
);
my $in_window_primary = $primary->safe_psql('postgres',
	"SELECT string_agg(log_offset || ':' || convert_from(value, 'UTF8'), ' ' ORDER BY log_offset) FROM logext.log_read('sb.window', 0, 0)"
);
my $still_in_window = $primary->safe_psql('postgres',
	"SELECT count(*) FROM pg_stat_activity WHERE pid = $slow_pid AND state = 'active'");
is($still_in_window, '1', 'the slow transaction is still committing');
is($in_window_primary, '0:w0', 'primary, in the window: the reader stops before the uncommitted offset 1');
is($in_window_standby, '0:w0', 'standby, in the window: the reader stops before the uncommitted offset 1');
is($standby->safe_psql('postgres', "SELECT log_offset FROM logext.log_read('sb.window', 0, 2)"),
	'2', 'standby, in the window: offset 2 (committed) is readable when asked for directly');

# let the slow one finish
$slow->query_safe('SELECT 1');
$slow->quit;
catchup();
is($standby->safe_psql('postgres',
	"SELECT string_agg(log_offset || ':' || convert_from(value, 'UTF8'), ' ' ORDER BY log_offset) FROM logext.log_read('sb.window', 0, 0)"),
	'0:w0 1:slow 2:fast', 'standby, after the commit: all three in order');

# --------------------------------------------------------------------------
# standby restart, more appends, then promotion
# --------------------------------------------------------------------------
$standby->restart;
$primary->safe_psql('postgres', "SELECT logext.log_append('sb', 'after standby restart ' || g, partition => g % 3) FROM generate_series(1, 30) g");
$fp = compare('sb', 3, 'after a standby restart');

my $next = $primary->safe_psql('postgres',
	"SELECT string_agg(next_offset::text, ',' ORDER BY partition) FROM logext.partitions WHERE log_name = 'sb'");
$primary->stop;
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'promotion failed';
is(log_fingerprint($standby, 'sb', 3), $fp, 'after promotion: the log is unchanged');
my $pos = $standby->safe_psql(
	'postgres', q{
BEGIN;
SELECT logext.log_append('sb', 'after promotion'::text, partition => 0);
SELECT logext.log_append('sb', 'after promotion'::text, partition => 1);
SELECT logext.log_append('sb', 'after promotion'::text, partition => 2);
COMMIT;
SELECT string_agg(first_offset::text, ',' ORDER BY partition) FROM logext.log_last_positions();});
$pos = (split /\n/, $pos)[-1];
is($pos, $next, 'after promotion: appends continue at the next offset of every partition');

$standby->stop;
ok(!$standby->log_contains(qr/inconsistent page found/), 'wal_consistency_checking found no inconsistent page');
done_testing();
