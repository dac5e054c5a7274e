#!/usr/bin/perl
# report.pl RAW META OUTDIR -- turn raw measurements into bench/results/latest.{json,md}
# and print the markdown table.  RAW lines: "metric<TAB>value" (one per
# repetition, or "skipped"); META lines: "key<TAB>value".
# Every figure is the median of its repetitions.  Ratios are "logext / other".
use strict;
use warnings;
use JSON::PP;

my ($rawf, $metaf, $outdir) = @ARGV;
die "usage: report.pl RAW META OUTDIR\n" unless defined $outdir;

my (%reps, %skipped, @order, %meta, @metaorder);
open(my $fh, '<', $rawf) or die "$rawf: $!";
while (<$fh>) {
	chomp;
	my ($m, $v) = split /\t/;
	next unless defined $v;
	push @order, $m unless exists $reps{$m} || exists $skipped{$m};
	if ($v eq 'skipped') { $skipped{$m} = 1; next; }
	push @{$reps{$m}}, $v + 0;
}
close $fh;
open($fh, '<', $metaf) or die "$metaf: $!";
while (<$fh>) {
	chomp;
	my ($k, $v) = split /\t/, $_, 2;
	next unless defined $v;
	push @metaorder, $k unless exists $meta{$k};
	$meta{$k} = $v;
}
close $fh;

sub median {
	my @a = sort { $a <=> $b } @_;
	return undef unless @a;
	return @a % 2 ? $a[$#a / 2] : ($a[@a / 2 - 1] + $a[@a / 2]) / 2;
}
my %med = map { $_ => median(@{$reps{$_}}) } keys %reps;
sub M { my $m = shift; return $med{$m}; }
sub fmt {
	my $v = shift;
	return 'n/a' unless defined $v;
	my $a = abs($v);
	return sprintf('%.0f', $v) if $a >= 1000;
	return sprintf('%.1f', $v) if $a >= 100;
	return sprintf('%.2f', $v) if $a >= 1;
	return sprintf('%.3f', $v);
}
# median with the spread of the repetitions, e.g. "1805 ±4%" ((max - min) / 2 / median)
sub fmts {
	my $m = shift;
	my $v = M($m);
	return fmt($v) unless defined $v && $reps{$m} && @{$reps{$m}} > 1 && $v != 0;
	my @a = sort { $a <=> $b } @{$reps{$m}};
	return sprintf('%s ±%.0f%%', fmt($v), abs($a[-1] - $a[0]) / 2 / abs($v) * 100);
}
sub ratio { my ($a, $b) = @_; return (defined $a && defined $b && $b != 0) ? $a / $b : undef; }
sub fr { my $r = shift; return defined $r ? sprintf('%.2f×', $r) : 'n/a'; }

my $lx_w5 = ($meta{wait_ms} // 'no') eq 'yes' ? 'logext_wait' : 'logext_poll';
my $lx_w5_label = $lx_w5 eq 'logext_wait' ? 'logext log_read(wait_ms)' : 'logext poll 1ms';

# ---------------------------------------------------------------- all figures
# [section, label, unit, logext metric, [ [other label, metric], ... ] ]
my @figs = (
	['W1 single-record txns, pgbench 2 clients', 'transactions/s', 'tps', 'w1.logext.tps',
	 [['naive outbox INSERT', 'w1.outbox.tps'], ['PgQ insert_event', 'w1.pgq.tps']]],
	['W1 WAL bytes per single-record transaction', 'WAL bytes/txn', 'B', 'w1.logext.wal_per_txn',
	 [['naive outbox INSERT', 'w1.outbox.wal_per_txn'], ['PgQ insert_event', 'w1.pgq.wal_per_txn']]],
	['W2 100 records/txn, pgbench 2 clients (logext: log_append_batch of 100)', 'records/s', 'rec/s', 'w2.logext_batch100.rps',
	 [['logext 100 log_append calls in 1 txn', 'w2.logext_single100.rps'], ['outbox INSERT..SELECT 100 rows', 'w2.outbox.rps'],
	  ['PgQ 100 insert_event in 1 stmt', 'w2.pgq.rps'], ['heap COPY floor (1 COPY of N rows, 1 session)', 'w2.copy.rps']]],
	['W2 bulk, 1 session (logext: COPY of N rows into the segment, one transaction)', 'records/s', 'rec/s', 'w2.logext_copy.rps',
	 [['heap COPY floor (1 COPY of N rows)', 'w2.copy.rps'], ['outbox INSERT..unnest 10,000 per txn', 'w2.outbox_bulk10k.rps'],
	  ['PgQ insert_event 1,000 per txn + ticker', 'w2.pgq_bulk1k.rps']]],
	['W3 drain N preloaded records, 1 consumer, batches of 1000', 'records/s', 'rec/s', 'w3.logext.rps',
	 [['heap cursor FETCH 1000 (read floor)', 'w3.heap.rps'], ['outbox id > last LIMIT 1000', 'w3.outbox.rps'],
	  ['PgQ next_batch/get_batch_events/finish_batch', 'w3.pgq.rps']]],
	['W4 disk bytes per record after N appends', 'bytes/record', 'B', 'w4.logext.bytes_per_rec',
	 [['naive outbox (table + pkey index)', 'w4.outbox.bytes_per_rec'], ['PgQ event tables', 'w4.pgq.bytes_per_rec'],
	  ['heap COPY floor table', 'w4.heap.bytes_per_rec']]],
	['W4 WAL bytes per record during the N-record bulk load', 'WAL bytes/record', 'B', 'w4.logext.wal_per_rec',
	 [['naive outbox', 'w4.outbox.wal_per_rec'], ['PgQ', 'w4.pgq.wal_per_rec'], ['heap COPY floor', 'w4.heap.wal_per_rec']]],
	['W4 reclaimed: disk space given back after the drain (logext: retention drops the segments)', 'percent of the load', '%', 'w4.logext.reclaimed_pct',
	 [['naive outbox DELETE + VACUUM', 'w4.outbox.reclaimed_pct']]],
	['W4 cleanup time after the drain', 'seconds', 's', 'w4.logext.cleanup_s',
	 [['naive outbox DELETE + VACUUM', 'w4.outbox.cleanup_s']]],
	["W5 wake latency p50 (payload clock_timestamp() -> consumer has the row)", 'ms', 'ms', "w5.$lx_w5.p50",
	 [['outbox LISTEN/NOTIFY', 'w5.outbox_notify.p50'], ($lx_w5 eq 'logext_wait' ? (['logext poll 1ms', 'w5.logext_poll.p50']) : ())]],
	["W5 wake latency p99", 'ms', 'ms', "w5.$lx_w5.p99",
	 [['outbox LISTEN/NOTIFY', 'w5.outbox_notify.p99'], ($lx_w5 eq 'logext_wait' ? (['logext poll 1ms', 'w5.logext_poll.p99']) : ())]],
	["W5 wake latency after the producer's COMMIT returned, p50", 'ms', 'ms', "w5.$lx_w5.ack_p50",
	 [['outbox LISTEN/NOTIFY', 'w5.outbox_notify.ack_p50'], ($lx_w5 eq 'logext_wait' ? (['logext poll 1ms', 'w5.logext_poll.ack_p50']) : ())]],
	["W5 wake latency after the producer's COMMIT returned, p99", 'ms', 'ms', "w5.$lx_w5.ack_p99",
	 [['outbox LISTEN/NOTIFY', 'w5.outbox_notify.ack_p99'], ($lx_w5 eq 'logext_wait' ? (['logext poll 1ms', 'w5.logext_poll.ack_p99']) : ())]],
	["W5 producer statement+commit time, p50", 'ms', 'ms', "w5.$lx_w5.commit_p50",
	 [['outbox INSERT + pg_notify', 'w5.outbox_notify.commit_p50']]],
);

my @lines;
my %json = (meta => {map { $_ => $meta{$_} } @metaorder}, metrics => {}, comparisons => [], targets => [], w6 => {}, w7 => {});
for my $m (@order) {
	$json{metrics}{$m} = exists $skipped{$m} ? {skipped => JSON::PP::true}
		: {median => $med{$m} + 0, reps => $reps{$m}};
}

push @lines, "## All figures", '', 'Median of the repetitions; "±x%" is half the range of the repetitions relative to the median. Ratio = logext ÷ other.', '';
push @lines, '| workload | unit | logext | compared with | other | logext ÷ other |', '|---|---|---:|---|---:|---:|';
for my $f (@figs) {
	my ($sec, $unit, undef, $lm, $others) = @$f;
	my $first = 1;
	for my $o (@$others) {
		my ($ol, $om) = @$o;
		my $r = ratio(M($lm), M($om));
		push @lines, sprintf('| %s | %s | %s | %s | %s | %s |', $first ? $sec : '', $first ? $unit : '',
							 $first ? fmts($lm) : '', $ol, fmts($om), fr($r));
		push @{$json{comparisons}}, {workload => $sec, unit => $unit, logext_metric => $lm, logext => M($lm),
									 other => $ol, other_metric => $om, other_value => M($om), ratio_logext_over_other => $r};
		$first = 0;
	}
}
push @lines, '';

# ---------------------------------------------------------------- W6
my @levels = grep { exists $med{"w6.$_.read_mid_ms"} || exists $skipped{"w6.$_.read_mid_ms"} } qw(1e4 1e5 1e6 1e7);
my %w6flat;
if (@levels) {
	push @lines, '## W6 scale (1-partition log; figures at each log size)', '';
	push @lines, '| records in log | log_read 1000 from the middle (ms/call) | log_append_batch of 1000 (µs/record) | log_append single-call tps (2 clients) |',
		'|---|---:|---:|---:|';
	for my $l (@levels) {
		if ($skipped{"w6.$l.read_mid_ms"}) { push @lines, "| $l | skipped | skipped | skipped |"; next; }
		push @lines, sprintf('| %s (%s → %s during the runs) | %s | %s | %s |', $l, fmt(M("w6.$l.records")), fmt(M("w6.$l.records_end")), fmts("w6.$l.read_mid_ms"),
							 fmts("w6.$l.append_batch_us_per_rec"), fmts("w6.$l.append_single_tps"));
	}
	for my $k (qw(read_mid_ms append_batch_us_per_rec append_single_tps)) {
		my @v = grep { defined } map { M("w6.$_.$k") } @levels;
		next unless @v >= 2;
		my ($mn, $mx) = (sort { $a <=> $b } @v)[0, -1];
		$w6flat{$k} = $mx / $mn;
	}
	push @lines, '', sprintf('max/min across sizes: read %s, batch append %s, single-call append %s',
		map { defined $w6flat{$_} ? sprintf('%.2f', $w6flat{$_}) : 'n/a' } qw(read_mid_ms append_batch_us_per_rec append_single_tps)), '';
	$json{w6} = {levels => \@levels, max_over_min => \%w6flat};
}

# ---------------------------------------------------------------- W7
my %w7;
if (exists $med{'w7.logext.w1_held_tps'}) {
	push @lines, '## W7 held xmin (a session idle in a REPEATABLE READ transaction; paired held/clean runs in each repetition)', '';
	push @lines, '| system | W1 tps held | W1 tps clean | held ÷ clean | drain rec/s held | drain rec/s clean | held ÷ clean | dead tuples created while held |',
		'|---|---:|---:|---:|---:|---:|---:|---:|';
	for my $s (qw(logext outbox outbox_del)) {
		my $r1 = ratio(M("w7.$s.w1_held_tps"), M("w7.$s.w1_clean_tps"));
		my $r3 = ratio(M("w7.$s.w3_held_rps"), M("w7.$s.w3_clean_rps"));
		$w7{$s} = {w1_held_over_clean => $r1, w3_held_over_clean => $r3, dead_tuples => M("w7.$s.dead_tup")};
		my $label = {logext => 'logext', outbox => 'naive outbox (consumer id > last)',
					 outbox_del => sprintf('outbox whose consumer DELETEs what it read (%s rows)', fmt(M('w7.outbox_del.rows')))}->{$s};
		push @lines, sprintf('| %s | %s | %s | %s | %s | %s | %s | %s |', $label,
							 (defined $r1 ? (fmt(M("w7.$s.w1_held_tps")), fmt(M("w7.$s.w1_clean_tps")), fr($r1)) : ('–', '–', '–')),
							 fmt(M("w7.$s.w3_held_rps")), fmt(M("w7.$s.w3_clean_rps")), fr($r3), fmt(M("w7.$s.dead_tup")));
	}
	push @lines, '', sprintf('For reference, the W1/W3 phases earlier in this run (no held snapshot): logext %s tps / %s rec/s, outbox %s tps / %s rec/s.',
							 fmt(M('w1.logext.tps')), fmt(M('w3.logext.rps')), fmt(M('w1.outbox.tps')), fmt(M('w3.outbox.rps'))), '';
	$json{w7} = \%w7;
}

# ---------------------------------------------------------------- targets
my @targets;
sub target {
	my ($name, $value, $op, $goal, $detail) = @_;
	my $st = !defined $value ? 'n/a' : ($op eq '>=' ? $value >= $goal : $value <= $goal) ? 'PASS' : 'MISS';
	push @targets, {target => $name, value => $value, op => $op, goal => $goal, result => $st, detail => $detail};
}
target('W1 logext single-call tps ÷ naive outbox tps', ratio(M('w1.logext.tps'), M('w1.outbox.tps')), '>=', 1.0,
	   sprintf('%s vs %s tps', fmt(M('w1.logext.tps')), fmt(M('w1.outbox.tps'))));
{
	my $r = ratio(M('w2.logext_copy.rps'), M('w2.copy.rps'));
	target('W2 logext bulk (COPY into the segment) rows/s ÷ heap COPY floor rows/s', $r, '>=', 1.0,
		   sprintf('%s vs %s rows/s; hard floor 0.8×: %s', fmt(M('w2.logext_copy.rps')), fmt(M('w2.copy.rps')),
				   !defined $r ? 'n/a' : $r >= 0.8 ? 'above it' : 'BELOW it'));
}
target('W3 logext drain rec/s ÷ heap cursor read floor', ratio(M('w3.logext.rps'), M('w3.heap.rps')), '>=', 1.0,
	   sprintf('%s vs %s rec/s', fmt(M('w3.logext.rps')), fmt(M('w3.heap.rps'))));
target('W4 logext bytes/record ÷ naive outbox bytes/record', ratio(M('w4.logext.bytes_per_rec'), M('w4.outbox.bytes_per_rec')), '<=', 0.7,
	   sprintf('%s vs %s B/record', fmt(M('w4.logext.bytes_per_rec')), fmt(M('w4.outbox.bytes_per_rec'))));
target("W5 $lx_w5_label p99 ÷ outbox LISTEN/NOTIFY p99", ratio(M("w5.$lx_w5.p99"), M('w5.outbox_notify.p99')), '<=', 0.5,
	   sprintf('%s vs %s ms (both include the commit; measured from the commit acknowledgement instead: %s vs %s ms)',
			   fmt(M("w5.$lx_w5.p99")), fmt(M('w5.outbox_notify.p99')), fmt(M("w5.$lx_w5.ack_p99")), fmt(M('w5.outbox_notify.ack_p99'))));
target("W5 $lx_w5_label p99 (ms)", M("w5.$lx_w5.p99"), '<=', 5.0, 'absolute, payload time -> consumer; includes the commit (WAL flush)');
for my $k (['read_mid_ms', 'log_read 1000 from the middle'], ['append_batch_us_per_rec', 'batch append cost per record'],
		   ['append_single_tps', 'single-call append tps']) {
	target("W6 $k->[1]: max/min across log sizes", $w6flat{$k->[0]}, '<=', 1.2,
		   join(', ', map { $skipped{"w6.$_.read_mid_ms"} ? "$_ skipped" : "$_: " . fmt(M("w6.$_.$k->[0]")) } @levels));
}
target('W7 logext W1 tps held ÷ clean', $w7{logext}{w1_held_over_clean}, '>=', 0.9,
	   sprintf('%s vs %s tps', fmt(M('w7.logext.w1_held_tps')), fmt(M('w7.logext.w1_clean_tps'))));
target('W7 logext W3 drain held ÷ clean', $w7{logext}{w3_held_over_clean}, '>=', 0.9,
	   sprintf('%s vs %s rec/s', fmt(M('w7.logext.w3_held_rps')), fmt(M('w7.logext.w3_clean_rps'))));
$json{targets} = \@targets;

my @tl = ('## Targets', '', '| target | measured | goal | result | detail |', '|---|---:|---:|---|---|');
for my $t (@targets) {
	my $v = $t->{value};
	my $isratio = $t->{target} =~ /÷|max\/min/;
	push @tl, sprintf('| %s | %s | %s %s | **%s** | %s |', $t->{target},
					  defined $v ? ($isratio ? sprintf('%.2f', $v) : sprintf('%.2f', $v)) : 'n/a',
					  $t->{op} eq '>=' ? '≥' : '≤', $t->{goal}, $t->{result}, $t->{detail});
}
my $npass = grep { $_->{result} eq 'PASS' } @targets;
push @tl, '', sprintf('%d of %d targets met.', $npass, scalar @targets), '';

my @head = ('# logext benchmark results', '',
			sprintf('- Run %s, mode **%s**, %s repetition(s) per figure (median shown), N = %s records for W2 bulk, W3 and W4. Total run time %s s.',
					$meta{date} // '?', $meta{mode} // '?', $meta{reps} // '?', $meta{n} // '?', $meta{elapsed_s} // '?'),
			sprintf('- Command: `%s` (as root). logext at commit %s%s.', $meta{command} // '?', $meta{git_commit} // '?',
					($meta{git_dirty} // '') eq 'yes' ? ' plus uncommitted changes in src/, sql/ or Makefile' : ''),
			sprintf('- Machine: %s. Load average (1/5/15 min) at start %s; at end %s. The machine is shared, so absolute figures are noisy; every comparison below is within this one run.',
					$meta{machine} // '?', $meta{load_start} // '?', $meta{load_end} // '?'),
			sprintf('- Cluster: PostgreSQL %s; %s. All systems ran in the same cluster; logext uses a 1-partition log.',
					$meta{pg_version} // '?', $meta{settings} // ''),
			sprintf('- W5 logext consumer: %s.', $lx_w5_label), '');
my $md = join("\n", @head, @tl, @lines) . "\n";
open(my $o, '>', "$outdir/latest.md") or die $!;
print $o $md;
close $o;
open($o, '>', "$outdir/latest.json") or die $!;
print $o JSON::PP->new->canonical->pretty->encode(\%json);
close $o;
print $md;
