# Copyright (c) 2026, logext developers
#
# 017_crash_retention.pl: a crash while the maintenance worker rolls and
# drops segments loses nothing that is committed and still retained, and
# leaves no orphan.
#   - a client appends batches of 20 records (one transaction each) to a
#     log with small segments (64 kB) and retention_bytes of 128 kB; with
#     logext.retention_check_interval = 1s the worker rolls and drops
#     segments all the time.  The client prints a line after each commit.
#   - the postmaster and all its children are killed with SIGKILL while
#     this goes on, three times.  After each restart:
#       - every batch in the log is complete (its 20 records together, in
#         order) and there once; the acknowledged batches that are not in
#         the log are all older than every acknowledged batch that is (a
#         drop removes the oldest segments only), and the newest
#         acknowledged batch is there;
#       - offsets increase strictly from the partition's first offset;
#       - the catalog and the relations agree (no missing segment, no
#         orphan relation) and log_verify() finds nothing;
#       - appending and retention go on.

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

my $node = logext_node('crash_retention', qq{
restart_after_crash = on
log_min_messages = warning
logext.maintenance_naptime = 50ms
logext.retention_check_interval = 1s
});
$node->safe_psql('postgres', q{
SELECT logext.log_create('cret', 1, retention => NULL, segment_age => NULL,
                         segment_bytes => 65536, retention_bytes => 131072)});

my @acked;    # acknowledged batches "round.batch", oldest first

sub first_offset
{
	return $node->safe_psql('postgres',
		"SELECT first_offset FROM logext.partitions WHERE log_name = 'cret'");
}

for my $round (1 .. 3)
{
	my $n = 20000;
	my $sql = join('',
		map {
			"SELECT 'B|$round.$_' FROM (SELECT logext.log_append_batch('cret', "
			  . "array_agg('$round.$_.' || i || '.' || repeat('x', 500) ORDER BY i)) "
			  . "FROM generate_series(0, 19) i) b;\n"
		} 1 .. $n);
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-A', '-t', '-d', $node->connstr('postgres') ],
		'<', \$sql, '>', \$out, '2>', \$err);

	# let the worker roll and drop in this round (the partition's first
	# offset moves on), then crash at a moment that differs per round
	my $first_before = first_offset();
	my $waited = 0;
	while ($waited < 1200)
	{
		$h->pump_nb;
		my $seen = () = $out =~ /^B\|/mg;
		last if $seen >= 50 * $round && $waited % 10 == 0 && first_offset() > $first_before;
		usleep(50_000);
		$waited++;
	}
	ok(first_offset() > $first_before, "round $round: the worker dropped segments before the crash");
	usleep(123_000 * $round);
	crash_node($node);
	eval { $h->finish };

	my @this = $out =~ /^B\|(\S+)$/mg;
	ok(@this >= 1, "round $round: batches were acknowledged before the crash (" . scalar(@this) . ")");
	push @acked, @this;

	$node->start;

	my $rows = $node->safe_psql('postgres', q{
SELECT r.log_offset, split_part(convert_from(r.value, 'UTF8'), '.', 1) || '.' ||
       split_part(convert_from(r.value, 'UTF8'), '.', 2),
       split_part(convert_from(r.value, 'UTF8'), '.', 3)
  FROM logext.partitions p, LATERAL logext.log_read('cret', 0, p.first_offset, 10000000) r
 WHERE p.log_name = 'cret' ORDER BY r.log_offset});
	my (%count, @seq, $prev_offset, $bad_offsets);
	$bad_offsets = 0;
	for my $line (split /\n/, $rows)
	{
		my ($o, $batch, $i) = split /\|/, $line;
		$bad_offsets++ if defined $prev_offset && $o <= $prev_offset;
		$prev_offset = $o;
		$count{$batch}++;
		push @seq, [ $batch, $i ];
	}
	is($bad_offsets, 0, "round $round: offsets increase strictly from the first offset");
	my @partial = grep { $count{$_} != 20 } keys %count;
	is(scalar(@partial), 0, "round $round: every batch in the log is complete and there once (@partial)");
	my $broken = 0;
	for my $k (0 .. $#seq)
	{
		my ($b, $i) = @{ $seq[$k] };
		$broken++ if $i > 0 && ($k == 0 || $seq[ $k - 1 ][0] ne $b || $seq[ $k - 1 ][1] != $i - 1);
	}
	is($broken, 0, "round $round: each batch's records are together, in order");

	# what retention removed is a prefix of what was acknowledged
	my $first_kept;
	for my $k (0 .. $#acked)
	{
		if (exists $count{ $acked[$k] })
		{
			$first_kept = $k;
			last;
		}
	}
	ok(defined $first_kept, "round $round: acknowledged batches are in the log");
	my @lost = grep { !exists $count{ $acked[$_] } } ($first_kept // 0) .. $#acked;
	is(scalar(@lost), 0,
		"round $round: no acknowledged batch newer than the oldest one kept is missing (@acked[@lost])");
	ok(exists $count{ $acked[-1] }, "round $round: the newest acknowledged batch is there");

	check_catalog_agrees($node, "round $round");
	is($node->safe_psql('postgres', "SELECT count(*) FROM logext.log_verify('cret')"),
		'0', "round $round: log_verify finds nothing");
}

# retention goes on after the crashes: the partition shrinks to a few segments
$node->safe_psql('postgres', q{
SELECT logext.log_append_batch('cret', array_agg(repeat('y', 500))) FROM generate_series(1, 200)});
ok(poll_query($node, q{
SELECT count(*) <= 4 FROM logext.log_segments WHERE log_name = 'cret'}, 't', 60),
	'retention goes on after the crashes');

$node->stop;
done_testing();
