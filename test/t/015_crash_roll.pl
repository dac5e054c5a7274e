# Copyright (c) 2026, logext developers
#
# 015_crash_roll.pl: a crash in the middle of rolls and compactions loses
# nothing and leaves no orphan.
#   - one client appends batches of 10 records to partition 0 of a log and
#     rolls the partition after each batch; another commits consumer
#     offsets and compacts the offsets log after each commit; a third
#     appends to partition 1 without rolls.  Each prints a line after each
#     statement, that is after its commit.
#   - the postmaster and all its children are killed with SIGKILL while they
#     run, three times.  After each restart (crash recovery):
#       - every acknowledged batch is there, exactly once: partition 0 reads
#         back with strictly increasing offsets, each batch's 10 records
#         together, and at least as many records as were acknowledged;
#       - the catalog and the relations agree: every segment in
#         logext.segments exists and is a log segment, no log-AM relation
#         in schema logext is missing from it, segments of a partition
#         chain without gaps, and log_verify() finds nothing;
#       - the last acknowledged consumer offset is the committed one (or a
#         later one, from a commit that was not yet acknowledged);
#       - appending, rolling and compacting go on.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('crash_roll', qq{
restart_after_crash = on
log_min_messages = warning
logext.maintenance_naptime = 50ms
});
$node->safe_psql('postgres', "SELECT logext.log_create('cr', 2)");

my $batches = 0;       # acknowledged batches of partition 0, over all rounds
my $p1_acked = 0;      # acknowledged records of partition 1
my $offset_acked = 0;  # last acknowledged committed offset of group g

sub run_clients
{
	my ($round) = @_;
	my @h;
	my %out = (roll => '', commit => '', p1 => '');
	my %err = (roll => '', commit => '', p1 => '');
	my $n = 400;

	# batch b of round r: 10 records "r.b.0" .. "r.b.9", then a roll
	my $roll_sql = join('',
		map {
			"SELECT 'B|$_' FROM (SELECT logext.log_append_batch('cr', "
			  . "array_agg('$round.$_.' || i ORDER BY i), partition => 0) "
			  . "FROM generate_series(0, 9) i) b;\n"
			  . "SELECT logext.log_roll('cr', 0);\n"
		} 1 .. $n);
	# offsets: commit ever larger offsets (at most the partition's end)
	my $commit_sql = join('',
		map {
			"SELECT 'O|' || o FROM (SELECT n AS o, logext.log_commit('g', 'cr', 1, n) "
			  . "FROM (SELECT last_stable_offset AS n FROM logext.partitions "
			  . "WHERE log_name = 'cr' AND partition = 1) x) y;\n"
			  . "SELECT logext.log_compact_offsets(true);\n"
		} 1 .. $n);
	my $p1_sql = join('',
		map { "SELECT 'P|$_' FROM (SELECT logext.log_append('cr', 'p1.$round.$_'::text, partition => 1)) a;\n" }
		  1 .. $n * 2);
	for my $c ([ 'roll', $roll_sql ], [ 'commit', $commit_sql ], [ 'p1', $p1_sql ])
	{
		my ($name, $sql) = @$c;
		push @h,
		  IPC::Run::start(
			[ 'psql', '-X', '-q', '-A', '-t', '-d', $node->connstr('postgres') ],
			'<', \$sql, '>', \$out{$name}, '2>', \$err{$name});
	}
	return (\@h, \%out);
}

for my $round (1 .. 3)
{
	my ($h, $out) = run_clients($round);
	# let them get going, then crash at a moment that differs per round
	my $target = $batches + 5 * $round;
	my $waited = 0;
	while ($waited < 600)
	{
		$_->pump_nb for @$h;
		my $seen = () = $out->{roll} =~ /^B\|/mg;
		last if $seen >= 5 * $round;
		usleep(50_000);
		$waited++;
	}
	usleep(37_000 * $round);
	crash_node($node);
	eval { $_->finish } for @$h;

	my @acked_batches = $out->{roll} =~ /^B\|(\d+)$/mg;
	my @acked_p1 = $out->{p1} =~ /^P\|(\d+)$/mg;
	my @acked_offsets = $out->{commit} =~ /^O\|(\d+)$/mg;
	ok(@acked_batches >= 1, "round $round: batches were acknowledged before the crash (" . scalar(@acked_batches) . ")");
	$batches += @acked_batches;
	$p1_acked += @acked_p1;
	$offset_acked = $acked_offsets[-1] if @acked_offsets;

	$node->start;

	# every acknowledged batch of this round, exactly once, in one piece
	my $rows = $node->safe_psql('postgres', qq{
SELECT convert_from(value, 'UTF8') FROM logext.log_read('cr', 0, 0, 1000000)
 WHERE convert_from(value, 'UTF8') LIKE '$round.%' ORDER BY log_offset});
	my %count;
	my @seq;
	for my $v (split /\n/, $rows)
	{
		my ($r, $b, $i) = split /\./, $v;
		$count{$b}++;
		push @seq, "$b.$i";
	}
	my @missing = grep { ($count{$_} // 0) != 10 } @acked_batches;
	is(scalar(@missing), 0, "round $round: every acknowledged batch has its 10 records (missing or partial: @missing)");
	my @dups = grep { $count{$_} > 10 } keys %count;
	is(scalar(@dups), 0, "round $round: no record twice");
	# a batch's records are consecutive
	my $broken = 0;
	for my $k (0 .. $#seq)
	{
		my ($b, $i) = split /\./, $seq[$k];
		$broken++ if $i > 0 && ($k == 0 || $seq[ $k - 1 ] ne "$b." . ($i - 1));
	}
	is($broken, 0, "round $round: each batch's records are together, in order");

	is( $node->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE NOT ok) FROM (
  SELECT lag(log_offset) OVER (ORDER BY log_offset) < log_offset OR lag(log_offset) OVER (ORDER BY log_offset) IS NULL AS ok
    FROM logext.log_read('cr', 0, 0, 1000000)) t}),
		'0', "round $round: offsets of partition 0 increase strictly");
	cmp_ok(
		$node->safe_psql('postgres', q{SELECT count(*) FROM logext.log_read('cr', 0, 0, 1000000)}),
		'>=', 10 * $batches, "round $round: at least the acknowledged records of partition 0");
	cmp_ok(
		$node->safe_psql('postgres', q{SELECT count(*) FROM logext.log_read('cr', 1, 0, 1000000)}),
		'>=', $p1_acked, "round $round: at least the acknowledged records of partition 1");

	# the catalog and the relations agree
	check_catalog_agrees($node, "round $round");
	is( $node->safe_psql('postgres', q{
SELECT count(*) FROM logext.logs l, LATERAL logext.log_verify(l.log_name)}),
		'0', "round $round: log_verify finds nothing in any log, the offsets log included");
	cmp_ok(
		$node->safe_psql('postgres', q{SELECT coalesce(logext.log_committed('g', 'cr', 1), 0)}),
		'>=', $offset_acked, "round $round: the last acknowledged consumer offset is committed");

	# and work goes on
	is( $node->safe_psql('postgres', q{
SELECT logext.log_append('cr', 'after'::text, partition => 0);
SELECT logext.log_roll('cr', 0) > 0;
SELECT logext.log_compact_offsets(true) >= 0}),
		"0\nt\nt", "round $round: appending, rolling and compacting go on");
}

$node->stop;
done_testing();
