
# Copyright: logext contributors
#
# 001_crash.pl: what a client was told survives a crash.
#
# Several psql clients append keyed records (some values span several
# pages) in transactions of 1-3 records; some transactions roll back, some
# roll back a savepoint, half of the clients run with synchronous_commit =
# off, one sits in the pre-commit window (logext.debug_precommit_sleep_ms)
# most of the time so that the crash leaves holes.  After every COMMIT a client prints "C|<txn>" and the positions
# from log_last_positions().  While they run, the postmaster and all its
# children are killed with SIGKILL (nothing gets to clean up or flush).
# After restart (crash recovery):
#   - every acknowledged transaction is present, each record exactly once,
#     bit-identical, at the offsets log_last_positions() reported;
#   - nothing rolled back (whole transaction or savepoint) is visible;
#   - offsets are strictly increasing, and the only holes are offsets of
#     transactions that were in flight at the crash (bounded);
#   - the partitions view agrees, and appending continues after the last
#     offset.
# Three rounds, then the same under pgbench: the count of records is at
# least pgbench's count of processed transactions, and at most 4 (one per
# client) more, and offsets are strictly increasing.

use strict;
use warnings;

use Digest::MD5 qw(md5_hex);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $NCLIENTS = 4;
my $NPART = 4;
my $ROUNDS = 3;
my $TXNS_PER_SCRIPT = 4000;

my $node = logext_node('crash', qq{
max_connections = 40
restart_after_crash = on
log_min_messages = warning
});
$node->safe_psql('postgres', "SELECT logext.log_create('crash', $NPART)");
$node->safe_psql('postgres', "SELECT logext.log_create('pgb', 3)");
# a log created and appended to in one transaction (with wal_level =
# minimal, the default here, its new segments skip WAL until commit)
$node->safe_psql(
	'postgres', q{
BEGIN;
SELECT logext.log_create('same.txn', 2);
SELECT logext.log_append('same.txn', 'st' || g, partition => g % 2) FROM generate_series(1, 300) g;
SELECT logext.log_append('same.txn', repeat('big', 10000), partition => 0);
COMMIT;
});
my $same_txn_fp = $node->safe_psql('postgres',
	"SELECT partition, count(*), md5(string_agg(log_offset || ':' || encode(value, 'hex'), ',' ORDER BY log_offset)) FROM logext.log_read('same.txn', 0, 0, 100000) GROUP BY 1 UNION ALL SELECT partition, count(*), md5(string_agg(log_offset || ':' || encode(value, 'hex'), ',' ORDER BY log_offset)) FROM logext.log_read('same.txn', 1, 0, 100000) GROUP BY 1 ORDER BY 1"
);

my $tmp = PostgreSQL::Test::Utils::tempdir;

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

# the value of record $rid: "<rid>:<n>:" followed by n copies of md5(rid)
sub value_of
{
	my ($rid, $n) = @_;
	return "$rid:$n:" . (md5_hex($rid) x $n);
}

# all records of a log: { partition => [ [offset, value], ... ] } in read order
sub read_log
{
	my ($node, $log, $nparts) = @_;
	my %log;
	for my $p (0 .. $nparts - 1)
	{
		my $out = $node->safe_psql('postgres',
			"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('$log', $p, 0, 100000000)"
		);
		$log{$p} = [ map { [ split /\|/, $_, 2 ] } grep { length } split /\n/, $out ];
	}
	return \%log;
}

# strictly increasing offsets in every partition; returns the number of holes
# and the hole offsets (offsets below the largest present one that are missing)
sub check_offsets
{
	my ($log, $what) = @_;
	my $holes = 0;
	my @hole_list;
	for my $p (sort keys %$log)
	{
		my $prev = -1;
		my $increasing = 1;
		for my $r (@{ $log->{$p} })
		{
			if ($r->[0] <= $prev)
			{
				$increasing = 0;
				diag "$what: partition $p: offset $r->[0] after $prev";
			}
			for my $h ($prev + 1 .. $r->[0] - 1)
			{
				push @hole_list, [ $p, $h ];
			}
			$holes += $r->[0] - $prev - 1 if $r->[0] > $prev;
			$prev = $r->[0];
		}
		ok($increasing, "$what: partition $p: offsets strictly increasing");
	}
	return ($holes, \@hole_list);
}

# --------------------------------------------------------------------------
# rounds of psql clients killed by a crash
# --------------------------------------------------------------------------

my %txn;         # txn id => { mode => 'C'|'X', rids => [..], n => {rid => n} }
my %acked;       # txn id => 1 (COMMIT returned)
my %positions;   # txn id => { partition => [first, last] }
my %appended_partition;  # rid => partition returned by log_append
my %appended_order;      # txn id => [ rids in append order as printed ]
my $inflight_records = 0;  # records of unacknowledged transactions that reached COMMIT or may have
my $inflight_txns = 0;

sub gen_script
{
	my ($c, $round) = @_;
	my $sql = '';
	# half of the clients turn off synchronous_commit: a transaction that
	# appended must commit synchronously anyway
	$sql .= "SET synchronous_commit = off;\n" if $c % 2;
	# the last client spends most of its time in the pre-commit window
	# (records written, commit not yet logged), so the crash is likely to
	# leave holes that readers must skip
	$sql .= "SET logext.debug_precommit_sleep_ms = 20;\n" if $c == $NCLIENTS;
	for my $t (1 .. $TXNS_PER_SCRIPT)
	{
		my $id = "c$c.r$round.t$t";
		my $mode = ($t % 7 == 3) ? 'X' : 'C';
		my $nrec = 1 + ($t % 3);
		my @rids;
		$sql .= "BEGIN;\n";
		for my $i (0 .. $nrec - 1)
		{
			my $rid = "$id.$i$mode";
			my $n = ($t % 100 == 0 && $i == 0) ? 1000 : ($t % 25 == 0 && $i == 0) ? 300 : 1;
			my $key = 'key-' . (($t * 7 + $i * 13 + $c) % 101);
			my $part = ($t % 11 == 5) ? ", partition => " . ($i % $NPART) : '';
			$sql .= "SELECT 'A|$rid|' || logext.log_append('crash', '$rid:$n:' || repeat(md5('$rid'), $n), key => '$key'$part);\n";
			push @rids, $rid;
			$txn{$id}{n}{$rid} = $n;
			if ($i == 0 && $t % 5 == 1)
			{
				$sql .= "SAVEPOINT s;\n";
				$sql .= "SELECT 'G|' || logext.log_append('crash', 'gone.$id', key => '$key');\n";
				$sql .= "ROLLBACK TO SAVEPOINT s;\n";
			}
		}
		$txn{$id}{mode} = $mode;
		$txn{$id}{rids} = \@rids;
		if ($mode eq 'C')
		{
			$sql .= "COMMIT;\n\\echo C|$id\n";
			$sql .= "SELECT 'P|$id|' || partition || '|' || first_offset || '|' || last_offset "
			  . "FROM logext.log_last_positions() WHERE log_name = 'crash';\n";
		}
		else
		{
			$sql .= "ROLLBACK;\n";
		}
	}
	return $sql;
}

sub parse_output
{
	my ($file) = @_;
	my $last_started;    # the transaction whose A lines were seen last
	open(my $fh, '<', $file) or die "cannot open $file: $!";
	while (my $line = <$fh>)
	{
		chomp $line;
		if ($line =~ /^A\|((c\d+\.r\d+\.t\d+)\.\d+[CX])\|(\d+)$/)
		{
			$appended_partition{$1} = $3;
			push @{ $appended_order{$2} }, $1;
			$last_started = $2;
		}
		elsif ($line =~ /^C\|(\S+)$/)
		{
			$acked{$1} = 1;
		}
		elsif ($line =~ /^P\|(\S+)\|(\d+)\|(\d+)\|(\d+)$/)
		{
			$positions{$1}{$2} = [ $3, $4 ];
		}
		elsif ($line =~ /^G\|\d+$/)
		{
			;
		}
		elsif ($line ne '')
		{
			diag "unexpected client output: $line";
		}
	}
	close $fh;
	# The transaction a client was in when the server died: if it was a
	# committing one, it may be committed, or its records may be holes.
	if (defined $last_started && !$acked{$last_started} && $txn{$last_started}{mode} eq 'C')
	{
		$inflight_txns++;
		$inflight_records += scalar @{ $appended_order{$last_started} };
	}
	return;
}

for my $round (1 .. $ROUNDS)
{
	my @clients;
	for my $c (1 .. $NCLIENTS)
	{
		my $script = "$tmp/client_${c}_r$round.sql";
		my $out = "$tmp/client_${c}_r$round.out";
		PostgreSQL::Test::Utils::append_to_file($script, gen_script($c, $round));
		my $h = IPC::Run::start(
			[
				'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1',
				'-d', $node->connstr('postgres'), '-f', $script
			],
			'<', '/dev/null', '>', $out, '2>', "$out.err");
		push @clients, [ $h, $out ];
	}

	# let them get going: wait for a good number of acknowledged commits
	my $acks = 0;
	my $waited = 0;
	while ($acks < 300 * $NCLIENTS && $waited < 600)
	{
		usleep(100_000);
		$waited++;
		$acks = 0;
		for my $cl (@clients)
		{
			open(my $fh, '<', $cl->[1]) or next;
			$acks += grep { /^C\|/ } <$fh>;
			close $fh;
		}
	}
	usleep(int(rand(300_000)));
	note "round $round: crashing with about $acks acknowledged commits";
	crash_node($node);

	for my $cl (@clients)
	{
		eval { $cl->[0]->finish; };
		parse_output($cl->[1]);
	}

	$node->start;

	my $log = read_log($node, 'crash', $NPART);

	# index the log by record id
	my %where;    # rid => [partition, offset]
	my $dups = 0;
	my $bad_values = 0;
	my $gone = 0;
	my $aborted = 0;
	my $present_unacked = 0;
	my %present_unacked_txn;
	for my $p (keys %$log)
	{
		for my $r (@{ $log->{$p} })
		{
			my ($off, $v) = @$r;
			if ($v =~ /^gone\./)
			{
				$gone++;
				next;
			}
			my ($rid, $n) = $v =~ /^([^:]+):(\d+):/;
			if (!defined $rid)
			{
				$bad_values++;
				diag "unparsable value at $p/$off: " . substr($v, 0, 60);
				next;
			}
			$dups++ if exists $where{$rid};
			$where{$rid} = [ $p, $off ];
			$bad_values++, diag("value of $rid at $p/$off differs")
			  if $v ne value_of($rid, $n);
			my ($id) = $rid =~ /^(c\d+\.r\d+\.t\d+)\./;
			$aborted++, diag("rolled back record $rid is visible at $p/$off")
			  if $rid =~ /X$/;
			$present_unacked_txn{$id} = 1 unless $acked{$id} || $rid =~ /X$/;
		}
	}
	is($dups, 0, "round $round: no record appears twice");
	is($bad_values, 0, "round $round: every record is bit-identical");
	is($gone, 0, "round $round: no record of a rolled-back savepoint is visible");
	is($aborted, 0, "round $round: no record of a rolled-back transaction is visible");

	# every acknowledged transaction: all records present, at the reported offsets
	my ($missing, $misplaced, $acked_records, $checked_positions) = (0, 0, 0, 0);
	for my $id (sort keys %acked)
	{
		for my $rid (@{ $txn{$id}{rids} })
		{
			$acked_records++;
			if (!exists $where{$rid})
			{
				$missing++;
				diag "acknowledged record $rid is missing";
			}
		}
		next unless $positions{$id};
		# records of the transaction in each partition, in append order,
		# occupy first..last
		my %by_part;
		push @{ $by_part{ $appended_partition{$_} } }, $_ for @{ $appended_order{$id} };
		for my $p (keys %by_part)
		{
			my $pos = $positions{$id}{$p};
			if (!$pos)
			{
				$misplaced++;
				diag "$id: log_last_positions() did not report partition $p";
				next;
			}
			my ($first, $last) = @$pos;
			if ($last - $first + 1 != scalar @{ $by_part{$p} })
			{
				$misplaced++;
				diag "$id: partition $p: reported $first..$last for " . scalar(@{ $by_part{$p} }) . " records";
				next;
			}
			my $o = $first;
			for my $rid (@{ $by_part{$p} })
			{
				$checked_positions++;
				my $w = $where{$rid};
				if (!$w || $w->[0] != $p || $w->[1] != $o)
				{
					$misplaced++;
					diag "$rid: expected at $p/$o, found at " . ($w ? "$w->[0]/$w->[1]" : 'nowhere');
				}
				$o++;
			}
		}
		for my $p (keys %{ $positions{$id} })
		{
			if (!$by_part{$p})
			{
				$misplaced++;
				diag "$id: log_last_positions() reported partition $p it did not append to";
			}
		}
	}
	cmp_ok($acked_records, '>', 0, "round $round: there are acknowledged records ($acked_records)");
	is($missing, 0, "round $round: every acknowledged record survived the crash");
	is($misplaced, 0,
		"round $round: every acknowledged record is at the offset log_last_positions() reported ($checked_positions checked)");

	my $n_present_unacked = scalar keys %present_unacked_txn;
	cmp_ok($n_present_unacked, '<=', $inflight_txns,
		"round $round: only transactions in flight at a crash are present unacknowledged ($n_present_unacked)");

	my ($holes, $hole_list) = check_offsets($log, "round $round");
	cmp_ok($holes, '<=', $inflight_records,
		"round $round: holes ($holes) only from records in flight at a crash (at most $inflight_records)");

	# a reader asked for a hole gets the next record
	my $hole_reads_ok = 1;
	for my $h (@$hole_list[ 0 .. ($#$hole_list < 4 ? $#$hole_list : 4) ])
	{
		my ($p, $o) = @$h;
		my ($next) = grep { $_->[0] > $o } @{ $log->{$p} };
		my $got = $node->safe_psql('postgres',
			"SELECT log_offset FROM logext.log_read('crash', $p, $o, 1)");
		my $want = $next ? $next->[0] : '';
		if ($got ne $want)
		{
			$hole_reads_ok = 0;
			diag "reading partition $p from hole $o returned '$got', expected '$want'";
		}
	}
	ok($hole_reads_ok, "round $round: reading from a hole returns the next record");

	is($node->safe_psql('postgres',
		"SELECT partition, count(*), md5(string_agg(log_offset || ':' || encode(value, 'hex'), ',' ORDER BY log_offset)) FROM logext.log_read('same.txn', 0, 0, 100000) GROUP BY 1 UNION ALL SELECT partition, count(*), md5(string_agg(log_offset || ':' || encode(value, 'hex'), ',' ORDER BY log_offset)) FROM logext.log_read('same.txn', 1, 0, 100000) GROUP BY 1 ORDER BY 1"),
		$same_txn_fp, "round $round: a log created and filled in one transaction survived");

	# the partitions view agrees with what is there
	my $view = $node->safe_psql('postgres',
		"SELECT partition, next_offset, last_stable_offset, blocked_by_pid IS NULL FROM logext.partitions WHERE log_name = 'crash' ORDER BY partition"
	);
	my $view_ok = 1;
	for my $row (split /\n/, $view)
	{
		my ($p, $next, $lso, $unblocked) = split /\|/, $row;
		my $max = @{ $log->{$p} } ? $log->{$p}[-1][0] : -1;
		if ($next <= $max || $lso != $next || $unblocked ne 't')
		{
			$view_ok = 0;
			diag "partitions view for $p: next $next lso $lso unblocked $unblocked; max present $max";
		}
	}
	ok($view_ok, "round $round: partitions view: next_offset after the last record, nothing in flight");
}

# appending continues after the last offset in every partition
{
	my $log = read_log($node, 'crash', $NPART);
	my $sql = "BEGIN;\n";
	$sql .= "SELECT logext.log_append('crash', 'after:0:'::text, partition => $_);\n" for 0 .. $NPART - 1;
	$sql .= "COMMIT;\nSELECT partition || '|' || first_offset FROM logext.log_last_positions() ORDER BY partition;\n";
	my $out = $node->safe_psql('postgres', $sql);
	my $ok = 1;
	for my $line (grep { /^\d+\|\d+$/ } split /\n/, $out)
	{
		my ($p, $first) = split /\|/, $line;
		my $max = @{ $log->{$p} } ? $log->{$p}[-1][0] : -1;
		if ($first <= $max)
		{
			$ok = 0;
			diag "partition $p: new record at $first, but $max already exists";
		}
	}
	ok($ok, 'after the crashes, new records go after every existing offset');
}

# --------------------------------------------------------------------------
# pgbench, killed
# --------------------------------------------------------------------------
# creating a log works after crash recovery (the catalog's identity
# sequence must not hand out a log_id again)
{
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT logext.log_create('after.crash', 2)");
	is($ret, 0, 'log_create works after crash recovery') or diag $err;
}

my $pgb_script = "$tmp/pgb.sql";
PostgreSQL::Test::Utils::append_to_file(
	$pgb_script, q{\set k random(1, 100000)
SELECT logext.log_append('pgb', 'pgb:' || :client_id || ':' || :k, key => 'key-' || :k);
});
my ($pgb_out, $pgb_err) = ('', '');
my $pgb = IPC::Run::start(
	[
		'pgbench', '-n', '-c', '4', '-j', '2', '-T', '120', '-f', $pgb_script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'<', '/dev/null', '>', \$pgb_out, '2>', \$pgb_err);
{
	my $waited = 0;
	while ($waited < 600)
	{
		usleep(100_000);
		$waited++;
		my $n = $node->safe_psql('postgres',
			"SELECT coalesce(sum(next_offset), 0) FROM logext.partitions WHERE log_name = 'pgb'");
		last if $n >= 2000;
	}
}
usleep(int(rand(300_000)));
crash_node($node);
eval { $pgb->finish; };
note "pgbench stdout:\n$pgb_out";
note "pgbench stderr:\n$pgb_err";
my ($processed) = $pgb_out =~ /number of transactions actually processed: (\d+)/;
ok(defined $processed, 'pgbench reported the transactions it completed');
$processed //= 0;

$node->start;
{
	my $log = read_log($node, 'pgb', 3);
	my $records = 0;
	$records += scalar @{ $log->{$_} } for keys %$log;
	my ($holes) = check_offsets($log, 'pgbench');
	cmp_ok($records, '>=', $processed, "pgbench: $records records >= $processed acknowledged");
	cmp_ok($records - $processed + $holes, '<=', 4,
		'pgbench: unacknowledged records plus holes at most one per client');
	my $bad = grep { $_->[1] !~ /^pgb:\d+:\d+$/ } map { @{ $log->{$_} } } keys %$log;
	is($bad, 0, 'pgbench: every record is intact');
	my $view = $node->safe_psql('postgres',
		"SELECT sum(next_offset) - sum(record_count) FROM logext.partitions WHERE log_name = 'pgb'");
	note "pgbench: next_offset - record_count = $view";
}

# and a clean pgbench run after the crash: offsets stay strictly increasing
$node->pgbench(
	'-n -c 4 -j 2 -t 200', 0,
	[qr{number of transactions actually processed: 800/800}],
	[qr{}], 'pgbench after crash recovery',
	{ '001_crash_pgb_after' => q{\set k random(1, 100000)
SELECT logext.log_append('pgb', 'pgb:' || :client_id || ':' || :k, key => 'key-' || :k);
} });
{
	my $log = read_log($node, 'pgb', 3);
	check_offsets($log, 'pgbench after recovery');
}

$node->stop;
done_testing();
