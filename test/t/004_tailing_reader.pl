
# Copyright: logext contributors
#
# 004_tailing_reader.pl: a consumer that polls log_read(next = last + 1)
# while many sessions append concurrently gets exactly the committed
# records, each once, in offset order, without gaps:
#   - fast autocommit appenders (keyed), batch appenders
#   - long transactions that stay open for seconds between appends
#   - transactions that roll back, and savepoints that roll back
#   - commits held in the pre-commit window by logext.debug_precommit_sleep_ms
# At the end the collected records are compared with a full read of the
# log, and with the set of records the writers committed.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

my $NPART = 4;

my $node = PostgreSQL::Test::Cluster->new('tail');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'logext'
max_connections = 30
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION logext');
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

# the tailing reader
my $reader = $node->background_psql('postgres');
$reader->set_query_timer_restart;
my %next = map { $_ => 0 } 0 .. $NPART - 1;
my %got = map { $_ => [] } 0 .. $NPART - 1;
my $jumps = 0;
my $polls = 0;
my $empty_polls = 0;

sub poll_once
{
	my $new = 0;
	for my $p (0 .. $NPART - 1)
	{
		my $out = $reader->query_safe(
			"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('tail', $p, $next{$p}, 50)"
		);
		$polls++;
		my @rows = map { [ split /\|/, $_, 2 ] } grep { length } split /\n/, $out;
		$empty_polls++ unless @rows;
		for my $r (@rows)
		{
			if ($r->[0] != $next{$p})
			{
				$jumps++;
				diag "partition $p: asked for $next{$p}, got offset $r->[0]";
			}
			push @{ $got{$p} }, $r;
			$next{$p} = $r->[0] + 1;
			$new++;
		}
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
	poll_once();
	die 'writers did not finish in time' if time - $t0 > $PostgreSQL::Test::Utils::timeout_default;
}
for my $w (sort keys %writers)
{
	my $ok = $writers{$w}{h}->finish;
	ok($ok, "writer $w finished without error") or diag ${ $writers{$w}{err} };
}
note sprintf('writers took %.1f s; %d polls, %d empty', time - $t0, $polls, $empty_polls);

# drain: everything is committed now
1 while poll_once() > 0;
$reader->quit;

# compare with a full read of the log
my $jumps_ok = is($jumps, 0, 'the reader never had to skip an offset it asked for');
my %seen;
my $dups = 0;
my $total = 0;
for my $p (0 .. $NPART - 1)
{
	my $full = $node->safe_psql('postgres',
		"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('tail', $p, 0, 1000000)");
	my @full = map { [ split /\|/, $_, 2 ] } grep { length } split /\n/, $full;
	is_deeply($got{$p}, \@full, "partition $p: the tailing reader collected exactly the full log (" . scalar(@full) . ' records)');
	my @expect_offsets = 0 .. $#full;
	is_deeply([ map { $_->[0] } @full ], \@expect_offsets, "partition $p: offsets are dense from 0");
	for my $r (@{ $got{$p} })
	{
		$dups++ if $seen{ $r->[1] }++;
		$total++;
	}
}
is($dups, 0, 'every record was collected once');
my @missing = grep { !$seen{$_} } sort keys %committed;
my @extra = grep { !$committed{$_} } sort keys %seen;
is(scalar @missing, 0, 'every committed record was collected') or diag "missing: @missing[0 .. ($#missing < 20 ? $#missing : 20)]";
is(scalar @extra, 0, 'nothing but committed records was collected') or diag "extra: @extra[0 .. ($#extra < 20 ? $#extra : 20)]";
is(scalar(grep { $seen{$_} } keys %rolled_back), 0, 'no rolled-back record was collected');
is($total, scalar keys %committed, "collected $total records");

# keyed records kept their per-key order of commit within each partition
my $order_ok = 1;
for my $p (0 .. $NPART - 1)
{
	my %last;
	for my $r (@{ $got{$p} })
	{
		next unless $r->[1] =~ /^(w1|w4)\.(\d+)$/;
		my ($w, $t) = ($1, $2);
		if (defined $last{$w} && $t < $last{$w})
		{
			$order_ok = 0;
			diag "partition $p: $r->[1] after $w.$last{$w}";
		}
		$last{$w} = $t;
	}
}
ok($order_ok, "each writer's sequential commits appear in commit order");

$node->stop;
done_testing();
