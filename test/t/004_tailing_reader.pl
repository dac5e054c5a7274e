
# Copyright: logext contributors
#
# 004_tailing_reader.pl: a consumer that polls log_read(next = last + 1)
# while many sessions append concurrently gets exactly the committed
# records, each once, in offset order, without gaps:
#   - fast autocommit appenders (keyed), batch appenders
#   - long transactions that stay open for seconds between appends
#   - transactions that roll back, and savepoints that roll back
#   - commits held in the pre-commit window by logext.debug_precommit_sleep_ms
# Two readers run: one polls log_read without waiting, one uses wait_ms.
# At the end the collected records are compared with a full read of the
# log, and with the set of records the writers committed.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $NPART = 4;

my $node = logext_node('tail', qq{
max_connections = 30
});
$node->safe_psql('postgres', "SELECT logext.log_create('tail', $NPART)");

my $tmp = PostgreSQL::Test::Utils::tempdir;
my %committed;    # value => 1 for every record a writer commits
my %rolled_back;  # value => 1 for every record that must never appear

sub append_sql
{
	my ($value, $key, $part) = @_;
	my $args = "'tail', '$value'::text";
	$args .= ", key => '$key'" if defined $key;
	$args .= ", partition => $part" if defined $part;
	return "SELECT logext.log_append($args);\n";
}

my %scripts;

# w1: fast keyed autocommit appends
$scripts{w1} = '';
for my $t (1 .. 600)
{
	$scripts{w1} .= append_sql("w1.$t", "k" . ($t % 37));
	$committed{"w1.$t"} = 1;
	$scripts{w1} .= "SELECT pg_sleep(0.01);\n" if $t % 10 == 0;
}

# w2: long transactions, each open for about a second
$scripts{w2} = '';
for my $t (1 .. 10)
{
	$scripts{w2} .= "BEGIN;\n";
	for my $i (1 .. 5)
	{
		$scripts{w2} .= append_sql("w2.$t.$i", undef, ($t + $i) % $NPART);
		$committed{"w2.$t.$i"} = 1;
		$scripts{w2} .= "SELECT pg_sleep(0.2);\n";
	}
	$scripts{w2} .= "COMMIT;\n";
}

# w3: rollbacks and savepoint rollbacks
$scripts{w3} = '';
for my $t (1 .. 200)
{
	$scripts{w3} .= "BEGIN;\n";
	if ($t % 2)
	{
		$scripts{w3} .= append_sql("w3.$t.a.X", "k$t");
		$scripts{w3} .= append_sql("w3.$t.b.X", undef, $t % $NPART);
		$scripts{w3} .= "SELECT pg_sleep(0.01);\nROLLBACK;\n";
		$rolled_back{"w3.$t.a.X"} = $rolled_back{"w3.$t.b.X"} = 1;
	}
	else
	{
		$scripts{w3} .= append_sql("w3.$t.a", "k$t");
		$scripts{w3} .= "SAVEPOINT s;\n" . append_sql("w3.$t.sp.X", "k$t") . "ROLLBACK TO SAVEPOINT s;\n";
		$scripts{w3} .= append_sql("w3.$t.b", undef, $t % $NPART);
		$scripts{w3} .= "SELECT pg_sleep(0.01);\nCOMMIT;\n";
		$committed{"w3.$t.a"} = $committed{"w3.$t.b"} = 1;
		$rolled_back{"w3.$t.sp.X"} = 1;
	}
}

# w4: commits held in the pre-commit window (30 ms, sometimes 400 ms)
$scripts{w4} = "SET logext.debug_precommit_sleep_ms = 30;\n";
for my $t (1 .. 150)
{
	$scripts{w4} .= "SET logext.debug_precommit_sleep_ms = 400;\n" if $t % 25 == 0;
	$scripts{w4} .= append_sql("w4.$t", "k" . ($t % 11));
	$committed{"w4.$t"} = 1;
	$scripts{w4} .= "SET logext.debug_precommit_sleep_ms = 30;\n" if $t % 25 == 0;
}

# w5: batches, partly keyed
$scripts{w5} = '';
for my $t (1 .. 60)
{
	my @v = map { "w5.$t.$_" } 1 .. 10;
	$committed{$_} = 1 for @v;
	my $vals = join(', ', map { "'$_'" } @v);
	my $keys = join(', ', map { "'bk$t.$_'" } 1 .. 10);
	if ($t % 3)
	{
		$scripts{w5} .= "SELECT logext.log_append_batch('tail', ARRAY[$vals]::text[], keys => ARRAY[$keys]);\n";
	}
	else
	{
		$scripts{w5} .= "SELECT logext.log_append_batch('tail', ARRAY[$vals]::text[], partition => " . ($t % $NPART) . ");\n";
	}
	$scripts{w5} .= "SELECT pg_sleep(0.05);\n";
}

# w6: one transaction open for most of the run, in every partition,
# committed in the pre-commit window of 500 ms
$scripts{w6} = "SET logext.debug_precommit_sleep_ms = 500;\nBEGIN;\n";
for my $p (0 .. $NPART - 1)
{
	$scripts{w6} .= append_sql("w6.$p", undef, $p);
	$committed{"w6.$p"} = 1;
}
$scripts{w6} .= "SELECT pg_sleep(4);\n";
$scripts{w6} .= append_sql("w6.late", 'late');
$committed{"w6.late"} = 1;
$scripts{w6} .= "COMMIT;\n";

# start the writers
my %writers;
for my $w (sort keys %scripts)
{
	my $file = "$tmp/$w.sql";
	PostgreSQL::Test::Utils::append_to_file($file, $scripts{$w});
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1',
			'-d', $node->connstr('postgres'), '-f', $file
		],
		'<', '/dev/null', '>', \$out, '2>', \$err);
	$writers{$w} = { h => $h, out => \$out, err => \$err };
}

# Two tailing readers, each its own psql process driven asynchronously:
# "poll" calls log_read without waiting, "wait" calls it with wait_ms, so
# it sleeps until a commit wakes it (or the time is up).  Each cycles over
# the partitions asking for next = last + 1.
my %readers;
for my $r (qw(poll wait))
{
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err);
	$readers{$r} = {
		h => $h, in => \$in, out => \$out, err => \$err,
		wait_ms => ($r eq 'wait' ? 300 : 0),
		next => { map { $_ => 0 } 0 .. $NPART - 1 },
		got => { map { $_ => [] } 0 .. $NPART - 1 },
		p => 0, busy => 0, jumps => 0, polls => 0, empty => 0, new => 0,
	};
}

# send the next query if idle; collect the answer if complete; returns the
# number of new records collected
sub reader_step
{
	my ($rd) = @_;
	my $new = 0;
	if (!$rd->{busy})
	{
		my $p = $rd->{p};
		${ $rd->{in} } .= "SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('tail', $p, $rd->{next}{$p}, 50, $rd->{wait_ms});\n\\echo __done__\n";
		$rd->{busy} = 1;
	}
	$rd->{h}->pump_nb;
	die "reader failed: ${ $rd->{err} }" if ${ $rd->{err} } ne '';
	if (${ $rd->{out} } =~ s/^(.*?)__done__\n//s)
	{
		my $answer = $1;
		my $p = $rd->{p};
		$rd->{polls}++;
		my @rows = map { [ split /\|/, $_, 2 ] } grep { length } split /\n/, $answer;
		$rd->{empty}++ unless @rows;
		for my $r (@rows)
		{
			if ($r->[0] != $rd->{next}{$p})
			{
				$rd->{jumps}++;
				diag "partition $p: asked for $rd->{next}{$p}, got offset $r->[0]";
			}
			push @{ $rd->{got}{$p} }, $r;
			$rd->{next}{$p} = $r->[0] + 1;
			$new++;
		}
		$rd->{busy} = 0;
		$rd->{p} = ($p + 1) % $NPART;
	}
	return $new;
}

my $t0 = time;
while (1)
{
	my $running = 0;
	for my $w (values %writers)
	{
		$w->{h}->pump_nb if $w->{h}->pumpable;
		$running++ if $w->{h}->pumpable;
	}
	last unless $running;
	reader_step($_) for values %readers;
	usleep(1000);
	die 'writers did not finish in time' if time - $t0 > $PostgreSQL::Test::Utils::timeout_default;
}
for my $w (sort keys %writers)
{
	my $ok = $writers{$w}{h}->finish;
	ok($ok, "writer $w finished without error") or diag ${ $writers{$w}{err} };
}
note sprintf('writers took %.1f s', time - $t0);

# drain: everything is committed now; stop after a full cycle over the
# partitions that brought nothing new
for my $r (sort keys %readers)
{
	my $rd = $readers{$r};
	my $quiet = 0;
	while ($quiet < $NPART)
	{
		my $polls = $rd->{polls};
		my $n = reader_step($rd);
		if ($rd->{polls} > $polls)
		{
			$quiet = $n ? 0 : $quiet + 1;
		}
		else
		{
			usleep(1000);
		}
	}
	${ $rd->{in} } .= "\\q\n";
	$rd->{h}->finish;
	note sprintf('reader %s: %d calls, %d empty', $r, $rd->{polls}, $rd->{empty});
}

# compare what each reader collected with a full read of the log
my %full;
for my $p (0 .. $NPART - 1)
{
	my $out = $node->safe_psql('postgres',
		"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('tail', $p, 0, 1000000)");
	$full{$p} = [ map { [ split /\|/, $_, 2 ] } grep { length } split /\n/, $out ];
	is_deeply([ map { $_->[0] } @{ $full{$p} } ], [ 0 .. $#{ $full{$p} } ],
		"partition $p: offsets are dense from 0");
}

for my $r (sort keys %readers)
{
	my $rd = $readers{$r};
	is($rd->{jumps}, 0, "reader $r: never got an offset other than the one it asked for");
	my %seen;
	my $dups = 0;
	my $total = 0;
	for my $p (0 .. $NPART - 1)
	{
		is_deeply($rd->{got}{$p}, $full{$p},
			"reader $r: partition $p: collected exactly the full log (" . scalar(@{ $full{$p} }) . ' records)');
		for my $rec (@{ $rd->{got}{$p} })
		{
			$dups++ if $seen{ $rec->[1] }++;
			$total++;
		}
	}
	is($dups, 0, "reader $r: every record was collected once");
	my @missing = grep { !$seen{$_} } sort keys %committed;
	my @extra = grep { !$committed{$_} } sort keys %seen;
	is(scalar @missing, 0, "reader $r: every committed record was collected")
	  or diag "missing: @missing[0 .. ($#missing < 20 ? $#missing : 20)]";
	is(scalar @extra, 0, "reader $r: nothing but committed records was collected")
	  or diag "extra: @extra[0 .. ($#extra < 20 ? $#extra : 20)]";
	is(scalar(grep { $seen{$_} } keys %rolled_back), 0, "reader $r: no rolled-back record was collected");
	is($total, scalar keys %committed, "reader $r: collected $total records");

	# a writer's sequential commits appear in commit order within a partition
	my $order_ok = 1;
	for my $p (0 .. $NPART - 1)
	{
		my %last;
		for my $rec (@{ $rd->{got}{$p} })
		{
			next unless $rec->[1] =~ /^(w1|w4)\.(\d+)$/;
			my ($w, $t) = ($1, $2);
			if (defined $last{$w} && $t < $last{$w})
			{
				$order_ok = 0;
				diag "partition $p: $rec->[1] after $w.$last{$w}";
			}
			$last{$w} = $t;
		}
	}
	ok($order_ok, "reader $r: each writer's sequential commits appear in commit order");
}

$node->stop;
done_testing();
