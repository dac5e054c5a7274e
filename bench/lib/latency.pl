#!/usr/bin/perl
# latency.pl MODE NAME N -- W5 commit-to-consumer wake latency.
#
# A producer (this process) commits N single-record transactions, one every
# 2-6 ms (random), each carrying extract(epoch from clock_timestamp()) taken
# inside the inserting statement, i.e. just before its commit.  A consumer
# (forked child, its own connection) waits for records and, as soon as it has
# fetched one, computes (its clock) - (payload time); both run on this
# machine, so they share the clock.  So the figure covers commit (WAL flush)
# + wake-up + fetch.
#
# MODE:
#   logext_wait   consumer blocks in logext.log_read(NAME, 0, next, 1000, wait_ms => 1000)
#   logext_poll   consumer polls logext.log_read(NAME, 0, next, 1000) and sleeps 1 ms when empty
#   outbox_notify producer: WITH i AS (INSERT INTO NAME ... RETURNING id) SELECT pg_notify(NAME, id::text) FROM i
#                 (NOTIFY in the inserting transaction); consumer LISTENs, waits on the socket,
#                 then SELECT ... WHERE id > last ORDER BY id LIMIT 1000
# Prints one line:
#   p50 p99 max mean n commit_p50 ack_p50 ack_p99
# (ms) where p50..mean are (consumer fetch time - payload time), commit_p50 is
# the producer's statement+commit time, and ack_* are (consumer fetch time -
# time the producer got its COMMIT acknowledged): the pure wake-up part; it
# can be negative when the consumer sees a record before the producer's
# client has read the commit reply.
use strict;
use warnings;
use DBI;
use IO::Select;
use Time::HiRes qw(time sleep);
use POSIX qw(_exit);

my ($mode, $name, $n) = @ARGV;
die "usage: latency.pl MODE NAME N\n" unless defined $n;
sub conn {
	return DBI->connect("dbi:Pg:dbname=$ENV{PGDATABASE}", $ENV{PGUSER}, '',
						{ RaiseError => 1, AutoCommit => 1, PrintError => 0 });
}
sub pct {
	my ($a, $p) = @_;
	my $i = int($p * (@$a - 1) + 0.5);
	return $a->[$i];
}

pipe(my $rd, my $wr) or die $!;      # child -> parent: "ready\n", then "done\n"
my $outfile = "/tmp/logext-bench-lat.$$";
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
	close $rd;
	my @lat;
	eval {
		my $dbh = conn();
		my $deadline;
		if ($mode eq 'logext_wait' || $mode eq 'logext_poll') {
			my $wait = $mode eq 'logext_wait' ? 1000 : 0;
			my $sth = $dbh->prepare('SELECT log_offset, value, key FROM logext.log_read($1, 0, $2, 1000, $3)');
			my ($next) = $dbh->selectrow_array(
				'SELECT next_offset FROM logext.partitions WHERE log_name = $1 AND partition = 0', undef, $name);
			die "no log $name\n" unless defined $next;
			syswrite($wr, "ready\n");
			$deadline = time() + 120;
			while (@lat < $n && time() < $deadline) {
				$sth->execute($name, $next, $wait);
				my $rows = $sth->fetchall_arrayref;
				my $now = time();
				if (!@$rows) { sleep(0.001) unless $wait; next; }
				push @lat, map { [$_->[2], $now, $_->[1]] } @$rows;
				$next = $rows->[-1][0] + 1;
			}
		} elsif ($mode eq 'outbox_notify') {
			my $sth = $dbh->prepare(qq{SELECT id, payload, key FROM "$name" WHERE id > \$1 ORDER BY id LIMIT 1000});
			my ($last) = $dbh->selectrow_array(qq{SELECT coalesce(max(id), 0) FROM "$name"});
			$dbh->do(qq{LISTEN "$name"});
			my $sel = IO::Select->new($dbh->{pg_socket});
			syswrite($wr, "ready\n");
			$deadline = time() + 120;
			while (@lat < $n && time() < $deadline) {
				$sel->can_read(1.0);
				my $got = 0;
				while (my $nt = $dbh->pg_notifies) { $got++; }
				next unless $got;
				$sth->execute($last);
				my $rows = $sth->fetchall_arrayref;
				my $now = time();
				next unless @$rows;
				push @lat, map { [$_->[2], $now, $_->[1]] } @$rows;
				$last = $rows->[-1][0];
			}
		} else {
			die "unknown mode $mode\n";
		}
		$dbh->disconnect;
	};
	if ($@) { syswrite($wr, "error $@\n"); _exit(1); }
	open(my $out, '>', $outfile) or _exit(1);
	printf $out "%s %.6f %s\n", @$_ for @lat;
	close $out;
	syswrite($wr, "done\n");
	_exit(0);
}
close $wr;
my $ready = <$rd>;
die "consumer failed: $ready" unless defined $ready && $ready eq "ready\n";
my $dbh = conn();
my $sth;
if ($mode =~ /^logext/) {
	$sth = $dbh->prepare(q{SELECT logext.log_append($1, textsend(extract(epoch from clock_timestamp())::text), key => $2)});
} else {
	$sth = $dbh->prepare(qq{WITH i AS (INSERT INTO "$name"(key, payload) VALUES (\$2, textsend(extract(epoch from clock_timestamp())::text)) RETURNING id) SELECT pg_notify(\$1, id::text) FROM i});
}
my (@commit, %ack);
for my $i (1 .. $n) {
	sleep(0.002 + rand(0.004));
	my $key = sprintf("%016d", $i);
	my $t = time();
	$sth->execute($name, $key);
	$sth->finish;
	my $t2 = time();
	push @commit, ($t2 - $t) * 1000;
	$ack{$key} = $t2;
}
my $res = <$rd>;
waitpid($pid, 0);
$dbh->disconnect;
die "consumer: $res" unless defined $res && $res eq "done\n";
open(my $in, '<', $outfile) or die "$outfile: $!";
my (@lat, @acklat);
while (<$in>) {
	my ($key, $seen, $payload) = split;
	push @lat, ($seen - $payload) * 1000;
	push @acklat, ($seen - $ack{$key}) * 1000 if exists $ack{$key};
}
close $in;
unlink $outfile;
die "consumer saw " . scalar(@lat) . " of $n records\n" unless @lat == $n;
@lat = sort { $a <=> $b } @lat;
@acklat = sort { $a <=> $b } @acklat;
@commit = sort { $a <=> $b } @commit;
my $sum = 0; $sum += $_ for @lat;
printf "%.3f %.3f %.3f %.3f %d %.3f %.3f %.3f\n", pct(\@lat, 0.5), pct(\@lat, 0.99), $lat[-1],
	$sum / @lat, scalar @lat, pct(\@commit, 0.5), pct(\@acklat, 0.5), pct(\@acklat, 0.99);
