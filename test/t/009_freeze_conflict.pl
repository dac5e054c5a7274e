# Copyright: logext contributors
#
# 009_freeze_conflict.pl: VACUUM of a log segment causes recovery conflicts
# on a hot standby only when it freezes committed records.
#   - a VACUUM that only marks a page all-frozen (its records were frozen
#     by an earlier VACUUM) does not cancel a standby transaction holding
#     an old snapshot (with max_standby_streaming_delay = 0 it used to be
#     cancelled at once);
#   - a VACUUM that freezes committed records the standby snapshot still
#     sees as running does cancel it, as it must.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $primary = logext_node('primary', qq{
autovacuum = off
}, init => [ allows_streaming => 1 ]);
$primary->safe_psql('postgres', "SELECT logext.log_create('fz', 1)");
my $seg = $primary->safe_psql('postgres',
	"SELECT relid FROM logext.log_segments WHERE log_name = 'fz'");

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->append_conf(
	'postgresql.conf', qq{
hot_standby_feedback = off
max_standby_streaming_delay = 0
});
$standby->start;

sub catchup
{
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
}

# two pages of records, all frozen; the last page is not marked all-frozen
# (records may still start on it)
$primary->safe_psql('postgres',
	"SELECT logext.log_append_batch('fz', array_agg(repeat('a', 100))) FROM generate_series(1, 100)");
$primary->safe_psql('postgres', "VACUUM (FREEZE) $seg");
# after a restart the writer starts a fresh page, so the last one is done
$primary->restart;
catchup();

# a standby transaction with a snapshot
my $reader = $standby->background_psql('postgres', on_error_stop => 0);
$reader->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($reader->query_safe("SELECT count(*) FROM $seg"), '100', 'standby reader sees 100 records');

# on the primary: a snapshot held open keeps the next records unfrozen
my $holder = $primary->background_psql('postgres');
$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$holder->query_safe('SELECT 1');
$primary->safe_psql('postgres',
	"SELECT logext.log_append_batch('fz', array_agg(repeat('b', 100))) FROM generate_series(1, 10)");

# this VACUUM only marks the old last page all-frozen
$primary->safe_psql('postgres', "VACUUM (FREEZE) $seg");
catchup();
my $out = $reader->query("SELECT count(*) FROM $seg");
is($out, '100', 'marking a page all-frozen does not cancel the standby snapshot');
is($reader->query('SELECT 1'), '1', 'the standby session is still in its transaction');

# now VACUUM freezes the 10 new committed records: that must conflict
$holder->query_safe('COMMIT');
$holder->quit;
$primary->safe_psql('postgres', "VACUUM (FREEZE) $seg");
catchup();
# the conflict ends the idle-in-transaction session (FATAL) or its query
$out = eval { $reader->query("SELECT count(*) FROM $seg") };
ok(!defined $out || $out ne '100',
	'freezing committed records cancels the old standby snapshot');
ok($standby->log_contains(qr/conflict with recovery/),
	'the standby log shows the conflict');
eval { $reader->quit };

is($standby->safe_psql('postgres', "SELECT count(*) FROM $seg"),
	'110', 'a new standby query sees all 110 records');

$standby->stop;
$primary->stop;
done_testing();
