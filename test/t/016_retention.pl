# Copyright (c) 2026, logext developers
#
# 016_retention.pl: the maintenance worker applies each log's retention and
# rolling settings; log_enforce_retention() counts what it drops; a crash
# in the middle of a drop loses nothing and leaves no orphan; the space of
# a dropped segment is back in the file system once the drop commits.
#   - with logext.retention_check_interval = 1s the worker rolls a
#     partition past segment_bytes and drops its oldest segments beyond
#     retention_bytes, until the partition keeps no more than it must; what
#     is kept reads back complete and in order from the new first offset;
#     the dropped segments' files are empty (PostgreSQL unlinks them at the
#     next checkpoint);
#   - with the worker's checks far apart, log_enforce_retention() returns
#     the number of segments it dropped;
#   - the server is killed with SIGKILL while a transaction that dropped a
#     segment is still open: after crash recovery the segment, its catalog
#     row and its records are all there; the next run drops it.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('retention', qq{
restart_after_crash = on
log_min_messages = warning
logext.maintenance_naptime = 100ms
logext.retention_check_interval = 1s
});

# the catalog and the files agree: every segment of $log exists, has its
# file, and log_verify finds nothing
sub check_segments
{
	my ($log, $what) = @_;
	is($node->safe_psql('postgres', qq{
SELECT count(*) FILTER (WHERE c.oid IS NULL OR pg_relation_filepath(s.relid) IS NULL)
  FROM logext.log_segments s LEFT JOIN pg_class c ON c.oid = s.relid
 WHERE s.log_name = '$log'}), '0', "$what: every segment of the catalog exists");
	is($node->safe_psql('postgres', "SELECT count(*) FROM logext.log_verify('$log')"),
		'0', "$what: log_verify finds nothing");
}

# the records of partition $p of $log from its first offset: count, first,
# last, and whether the values are "v<offset>" and 1000 x's, in order
sub kept
{
	my ($log, $p) = @_;
	return $node->safe_psql('postgres', qq{
SELECT count(*), min(r.log_offset), max(r.log_offset),
       bool_and(convert_from(r.value, 'UTF8') = 'v' || r.log_offset || repeat('x', 1000))
  FROM logext.partitions pt,
       LATERAL logext.log_read('$log', $p, pt.first_offset, 1000000) r
 WHERE pt.log_name = '$log' AND pt.partition = $p});
}

# --------------------------------------------------------------------------
# the maintenance worker
# --------------------------------------------------------------------------
$node->safe_psql('postgres', q{
SELECT logext.log_create('rw', 2, retention => NULL, segment_age => NULL,
                         segment_bytes => 65536, retention_bytes => 131072)});
my $first_file = $node->safe_psql('postgres', q{
SELECT pg_relation_filepath(relid) FROM logext.log_segments
 WHERE log_name = 'rw' AND partition = 0});
ok(-e $node->data_dir . "/$first_file", 'the first segment has its file');
# 800 records of about 1 kB, in transactions of 100 (more than a segment's
# 64 kB each); after each, the worker rolls the partition
for my $b (0 .. 7)
{
	my $from = $b * 100;
	$node->safe_psql('postgres', qq{
SELECT count(logext.log_append('rw', 'v' || g || repeat('x', 1000), partition => 0))
  FROM generate_series($from, $from + 99) g});
	ok(poll_query($node, qq{
SELECT max(base_offset) FROM logext.log_segments WHERE log_name = 'rw' AND partition = 0},
		$from + 100, 30), "the worker rolls partition 0 after batch $b");
}
ok(poll_query($node, q{
SELECT min(base_offset) FROM logext.log_segments WHERE log_name = 'rw' AND partition = 0},
	'600', 30), 'the worker dropped the oldest segments: 600 is the first offset kept');
my ($n, $min, $max, $ordered) = split /\|/, kept('rw', 0);
is($max, '799', 'the newest record is kept');
is($n, $max - $min + 1, 'every offset from the first kept to the last is there');
is($ordered, 't', 'the kept records read back in order with their values');
# (PostgreSQL truncates a dropped relation's first file at commit and
# unlinks it at the next checkpoint)
ok(!-s $node->data_dir . "/$first_file",
	"the dropped segment's space is back: its file is empty or gone");
is($node->safe_psql('postgres', q{
SELECT count(*) FROM logext.log_segments WHERE log_name = 'rw' AND partition = 0}),
	'3', 'partition 0 keeps two sealed segments (at least retention_bytes) and the active one');
check_segments('rw', 'after the worker');
is(kept('rw', 1), '0|||', 'partition 1 is untouched');

# --------------------------------------------------------------------------
# log_enforce_retention's count, with the worker's checks far apart
# --------------------------------------------------------------------------
$node->safe_psql('postgres', "ALTER SYSTEM SET logext.retention_check_interval = '1h'");
$node->reload;
# the worker reads the new interval at its next round; wait a little
usleep(500_000);
$node->safe_psql('postgres', q{
SELECT logext.log_create('rc', 1, retention => NULL, segment_age => NULL,
                         segment_bytes => 65536, retention_bytes => 65536)});
$node->safe_psql('postgres', q{
SELECT count(logext.log_append('rc', 'v' || g || repeat('x', 1000)))
  FROM generate_series(0, 99) g});
is($node->safe_psql('postgres', "SELECT logext.log_enforce_retention('rc')"), '0',
	'a full active segment is rolled, nothing dropped');
$node->safe_psql('postgres', q{
SELECT count(logext.log_append('rc', 'v' || g || repeat('x', 1000)))
  FROM generate_series(100, 199) g});
is($node->safe_psql('postgres', "SELECT logext.log_enforce_retention('rc')"), '1',
	'the oldest segment beyond retention_bytes is dropped: 1');
is($node->safe_psql('postgres', "SELECT logext.log_enforce_retention('rc')"), '0',
	'then nothing more');
is($node->safe_psql('postgres', "SELECT base_offset FROM logext.log_segments WHERE log_name = 'rc' ORDER BY 1"),
	"100\n200", 'segments 100 (sealed) and 200 (active) are left');

# --------------------------------------------------------------------------
# a crash while a drop is not yet committed
# --------------------------------------------------------------------------
$node->safe_psql('postgres', q{
SELECT count(logext.log_append('rc', 'v' || g || repeat('x', 1000)))
  FROM generate_series(200, 299) g});
$node->safe_psql('postgres', "SELECT logext.log_roll('rc', 0)");
my $doomed = $node->safe_psql('postgres', q{
SELECT relid::oid FROM logext.log_segments WHERE log_name = 'rc' ORDER BY base_offset LIMIT 1});
my $dropper = start_bg_psql($node, 'postgres', 'dropper', '-c',
	"SELECT logext.log_enforce_retention('rc'), pg_sleep(120)");
ok(poll_query($node, qq{
SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
 WHERE a.application_name = 'dropper' AND l.relation = $doomed AND l.mode = 'AccessExclusiveLock' AND l.granted},
	'1', 60), 'the drop of the oldest segment is done, its transaction open');
crash_node($node);
finish_psql($dropper, 5);
$node->start;
is($node->safe_psql('postgres', "SELECT base_offset FROM logext.log_segments WHERE log_name = 'rc' ORDER BY 1"),
	"100\n200\n300", 'after the crash: the segment whose drop did not commit is back');
is(kept('rc', 0), '200|100|299|t', 'and its records read back, each with its value');
check_segments('rc', 'after the crash');
ok($node->safe_psql('postgres', "SELECT logext.log_enforce_retention('rc')") >= 1,
	'the next run drops it');
is($node->safe_psql('postgres', "SELECT min(base_offset) FROM logext.log_segments WHERE log_name = 'rc'"),
	'200', 'the oldest segment is gone now');
check_segments('rc', 'after the drop');

$node->stop;
done_testing();
